-- Puts back the work_mem and enable_hashagg that state/duplicates_plan.sql set for the search
-- for repeated task_ids, for the rest of the transaction (set_config(..., true) is SET LOCAL).
-- $1 (text), $2 (text): the previous values, as current_setting() said them. Cost: nothing.
SELECT pg_catalog.set_config('work_mem', $1, true) AS work_mem,
       pg_catalog.set_config('enable_hashagg', $2, true) AS enable_hashagg
