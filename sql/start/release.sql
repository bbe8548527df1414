-- start, at the end: release the task in ONE statement, always in a state the CHECK accepts:
-- completed -> progress 100 and the final stats, error NULL; failed, cancelled or stalled ->
-- progress 0 and the error. Conditional on still owning the task, like every write of start.
--
--- Placeholders: {table}.
-- Parameters: $1 task id; $2 user id; $3 (int4) 0 or 100; $4 the stats as JSON text;
--   $5 (text) the error, NULL when completed.
-- Locks: the task's row. Cost: as beat.sql.
UPDATE {table} AS t
SET "is_syncing" = false, "progress_percentage" = $3::int4, "current_stats" = $4,
    "error_message" = $5::text, "updated_at" = now()
WHERE t."task_id" = $1 AND t."user_id" = $2 AND t."is_syncing"
