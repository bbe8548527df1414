-- start, claim: the new task written over the user's row (tables keyed by user_id: one row per
-- user). Returns no row when the user has none yet; start then inserts (insert_task.sql).
--
-- Placeholders: {table}.
-- Parameters: as insert_task.sql: $1 user, $2 task id, $3 sync type, $4 stats JSON text.
-- Locks: the user's row. Cost: one primary-key lookup.
UPDATE {table} AS t
SET "task_id" = $2, "is_syncing" = true, "sync_type" = $3, "progress_percentage" = 0,
    "current_stats" = $4, "error_message" = NULL, "started_at" = now(), "updated_at" = now()
WHERE t."user_id" = $1
