-- add-constraints, step 1: add chk_sync_state_consistency NOT VALID: a running row has
-- progress 0-99, a stopped one 0 or 100.
-- NOT VALID skips the scan of existing rows (VALIDATE does it next, under a weaker lock), so
-- the ACCESS EXCLUSIVE lock ALTER TABLE takes is held only for a catalog change (1-2 ms on
-- 10 M rows). From the commit on, every INSERT and UPDATE is checked.
-- Waiting for that lock blocks every reader and writer queued behind it, so lock_timeout is
-- short (--lock-timeout) and the step is retried with backoff instead of waiting.
--- Placeholder: the quoted, schema-qualified table. No parameters.
ALTER TABLE {table}
  ADD CONSTRAINT "chk_sync_state_consistency" CHECK (
        ("is_syncing" = TRUE  AND "progress_percentage" BETWEEN 0 AND 99)
     OR ("is_syncing" = FALSE AND "progress_percentage" IN (0, 100))
  ) NOT VALID
