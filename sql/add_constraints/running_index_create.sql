-- add-constraints: build uniq_user_running_sync, at most one running row per user.
-- CONCURRENTLY: takes SHARE UPDATE EXCLUSIVE (readers and writers go on), scans the table
-- twice, and waits for every transaction that could still write without seeing the index and
-- then for every snapshot older than the build, so a long-open transaction holds it up. None of
-- these waits blocks a writer, so they are bounded by --build-wait (lock_timeout is set to it
-- for this step), not by the short --lock-timeout. It cannot run inside a transaction block.
-- Small: it holds only the running rows. Redundant when user_id alone is the primary key (one
-- row per user), and built all the same (see the README).
-- A failed or interrupted build leaves an INVALID index behind: it is dropped and rebuilt, once
-- no backend is still building it (pg_stat_progress_create_index).
-- The index is named uniq_user_running_sync, or <table>_uniq_user_running_sync when another
-- relation of the schema has that name (index names are unique per schema); it goes into the
-- table's schema.
--- Placeholders: {table} quoted and schema-qualified, {index} the index's quoted name.
--- No parameters.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {index}
  ON {table} ("user_id") WHERE "is_syncing" = TRUE
