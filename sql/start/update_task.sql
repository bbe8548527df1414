-- start, claim: the new task written over the user's row (tables that keep one row per user:
-- user_id is the primary key or has any other valid unique index, table/user_identity.sql).
-- Returns no row when the user has none yet; start then inserts (insert_task.sql).
-- The row's history: error_message must be NULL on a running row (else it is half-released),
-- so when the previous task left an error text (its failure, or the note of the takeover that
-- start/release_dead.sql appended just before in this transaction) it moves into the new
-- task's current_stats as "previous_task": {task_id, error_message, ended_at}. start keeps that
-- key in every later stats write, so it stays on the row until the next task (README, "Tables
-- that differ").
--
--- Placeholders: {table}.
-- Parameters: as insert_task.sql: $1 user, $2 task id, $3 sync type, $4 stats JSON text.
-- current_stats goes through json_populate_record so it takes the column's type (json or
-- jsonb). Returns the stored stats as text, for start's first snapshot.
-- Locks: the user's row. Cost: one lookup through the unique index on user_id.
UPDATE {table} AS t
SET "task_id" = $2, "is_syncing" = true, "sync_type" = $3, "progress_percentage" = 0,
    "current_stats" = (json_populate_record(NULL::{table}, json_build_object('current_stats',
        $4::text::jsonb
        || CASE WHEN t."error_message" IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('previous_task', jsonb_build_object(
                         'task_id', t."task_id"::text,
                         'error_message', t."error_message"::text,
                         'ended_at', t."updated_at"::timestamptz)) END)))."current_stats",
    "error_message" = NULL, "started_at" = now(), "updated_at" = now()
WHERE t."user_id" = $1
RETURNING t."current_stats"::text AS current_stats
