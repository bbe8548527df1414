-- start, claim: the new task as a new row (tables that keep one row per sync, such as the
-- reference table, whose primary key is not user_id). The previous rows of the user stay as
-- history; the advisory lock and the release of dead rows before this insert keep the user at
-- one running row, with or without uniq_user_running_sync.
--
--- Placeholders: {table}.
-- Parameters: $1 the user id (text, parsed with user_id's type); $2 the task id;
--   $3 the sync type ('full' or 'incremental'); $4 the stats as JSON text.
-- started_at = updated_at = now(): the database clock (a `timestamp without time zone` column
-- gets it in the session TimeZone, --timestamp-zone). Locks: ROW EXCLUSIVE. Cost: one insert.
INSERT INTO {table} ("user_id", "task_id", "is_syncing", "sync_type", "progress_percentage",
                     "current_stats", "error_message", "started_at", "updated_at")
VALUES ($1, $2, true, $3, 0, $4, NULL, now(), now())
