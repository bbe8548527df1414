-- syncctl add-constraints --print-sql: the rollout of chk_sync_state_consistency,
-- uniq_user_running_sync and uniq_task_id on {table}, as a psql script.
--
--   psql -v ON_ERROR_STOP=1 -f this-file.sql      (not with -1 / --single-transaction:
--                                                  CREATE INDEX CONCURRENTLY refuses it)
--
-- Check the data first (`syncctl validate-constraints`): VALIDATE and the unique builds fail
-- on rows that violate them. Idempotent: what exists and is valid is skipped, so rerunning it
-- is always safe. A statement that fails on the lock timeout (lock_not_available, 55P03)
-- changed nothing, or left an INVALID index that the next run drops and rebuilds: run the
-- script again, later. No step blocks writers for longer than lock_timeout.
-- The \gset / \if lines are psql meta-commands; a migration tool without them can take the
-- other statements as they are, each in its own transaction (CONCURRENTLY needs none at all).
\set ON_ERROR_STOP on
-- Waiting for a lock queues every later reader and writer of the table behind it: give up
-- soon, and rerun instead.
SET lock_timeout = '{lock_timeout}';
