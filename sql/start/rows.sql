-- start: one user's running rows (claim), or one task's row (--if-running follow), classified
-- by the shared classifier (database clock), with what start needs to act on them.
--
--- Placeholders: the classifier fragment (state/classify.sql), the table and its key.
-- Parameters $1..$6: see state/classify.sql; $4 is the user, always set; $5 the task, or NULL.
-- Without $5 only rows with is_syncing are returned; with $5, that task's row in any state.
-- skewed (a timestamp in the future) is read too: start does not trust such a heartbeat.
-- Freshest heartbeat first. Cost: the classifier's scan of the user's rows (an index on
-- user_id makes it an index scan), joined back to the table for the row's partition and ctid
-- (together they name it in this transaction; a ctid alone repeats across partitions) and
-- current_stats.
-- Locks: none beyond ACCESS SHARE (the claim is serialised by the advisory lock).
SELECT c.key, c.task_id, c.is_syncing, c.progress_percentage, c.error_message, c.silent_seconds,
       c.zombie, c.skewed, c.completed,
       t.tableoid AS tableoid,
       t.ctid::text AS ctid,
       t."current_stats"::text AS current_stats
FROM ({classify}) AS c
JOIN {table} AS t ON t."user_id" = $4 AND {key} = c.key
WHERE c.is_syncing OR $5 IS NOT NULL
ORDER BY c.silent_seconds NULLS LAST, c.key
