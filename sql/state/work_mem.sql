-- Puts back the work_mem that state/duplicates_memory.sql raised for the duplicate search, for
-- the rest of the transaction (set_config(..., true) is SET LOCAL).
-- $1 (text): the previous value, as current_setting('work_mem') said it. Cost: nothing.
SELECT pg_catalog.set_config('work_mem', $1, true) AS work_mem
