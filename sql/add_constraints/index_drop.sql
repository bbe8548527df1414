-- add-constraints: drop one of this table's two unique indexes: an INVALID one left by a failed
-- or interrupted concurrent build (it still enforces uniqueness on new writes but serves no
-- query) before it is rebuilt, or either one under --rollback. Decided at the moment of acting,
-- from the catalog and pg_stat_progress_create_index: never an index that is valid (in the
-- rollout), that another backend is still building, or that belongs to another table.
-- CONCURRENTLY: takes SHARE UPDATE EXCLUSIVE on the table, so readers and writers go on; it
-- waits for transactions using the index, bounded by --build-wait (no writer waits behind it).
-- It cannot run inside a transaction block.
--- Placeholder: the quoted, schema-qualified index. No parameters.
DROP INDEX CONCURRENTLY IF EXISTS {index}
