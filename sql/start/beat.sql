-- start, while running: the heartbeat and the progress write, one statement. Conditional on
-- still owning the task: when it touches no row (someone released or took over the task) the
-- lease is lost and start stops the work and writes nothing more.
--
--- Placeholders: {table}.
-- Parameters: $1 the task id; $2 the user id (both compared with their columns' types: an
--   index on either serves, e.g. uniq_task_id); $3 (int4) progress, stored as at most 99 while
--   running (the CHECK wants 0..99); $4 the stats as JSON text.
-- Locks: the task's row, for the moment of the update. Cost: one index lookup when task_id or
-- user_id is indexed, else a scan of the table: install uniq_task_id (`syncctl add-constraints`).
UPDATE {table} AS t
SET "updated_at" = now(), "progress_percentage" = least($3::int4, 99), "current_stats" = $4
WHERE t."task_id" = $1 AND t."user_id" = $2 AND t."is_syncing"
