-- guard remove: drops the guard's trigger from {table} (on a partitioned table, with its clones
-- on the partitions), then the guard's function and the API (claim, heartbeat, release).
-- Idempotent: what is not there is skipped. Rows are not touched.
-- Locks: DROP TRIGGER takes ACCESS EXCLUSIVE on the table, waiting at most the lock_timeout set
-- before this. Cost: catalog only.
DROP TRIGGER IF EXISTS {trigger} ON {table};
DROP FUNCTION IF EXISTS {claim_function}, {heartbeat_function}, {release_function}, {guard_function};
