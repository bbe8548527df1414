-- add-constraints --rollback: drop chk_sync_state_consistency.
-- Takes ACCESS EXCLUSIVE on the table for a catalog change only (no scan), so lock_timeout is
-- short (--lock-timeout) and the step is retried with backoff instead of waiting.
--- Placeholder: the quoted, schema-qualified table. No parameters.
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "chk_sync_state_consistency"
