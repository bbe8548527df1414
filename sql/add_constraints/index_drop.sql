-- add-constraints: drop one of the two unique indexes: an INVALID one left by a failed or
-- interrupted concurrent build (it still enforces uniqueness on new writes but serves no query)
-- before it is rebuilt, or either one under --rollback.
-- CONCURRENTLY: takes SHARE UPDATE EXCLUSIVE on the table, so readers and writers go on; it
-- waits for transactions using the index. It cannot run inside a transaction block.
-- Placeholder: the quoted, schema-qualified index. No parameters.
DROP INDEX CONCURRENTLY IF EXISTS {index}
