-- add-constraints: build uniq_user_running_sync, at most one running row per user.
-- CONCURRENTLY: takes SHARE UPDATE EXCLUSIVE (readers and writers go on), scans the table
-- twice, and waits for every transaction that could still write without seeing the index, so
-- a long-open transaction holds it up (lock_timeout applies to those waits). It cannot run
-- inside a transaction block. Small: it holds only the running rows. Redundant when user_id
-- alone is the primary key (one row per user), and built all the same (see the README).
-- A failed or interrupted build leaves an INVALID index behind: it is dropped and rebuilt.
-- The index goes into the table's schema.
-- Placeholder: the quoted, schema-qualified table. No parameters.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "uniq_user_running_sync"
  ON {table} ("user_id") WHERE "is_syncing" = TRUE
