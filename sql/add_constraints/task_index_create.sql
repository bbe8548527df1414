-- add-constraints: build uniq_task_id, no repeated task ids (and a fast lookup by task_id).
-- CONCURRENTLY: takes SHARE UPDATE EXCLUSIVE (readers and writers go on), scans the table
-- twice, and waits for every transaction that could still write without seeing the index, so
-- a long-open transaction holds it up (lock_timeout applies to those waits). It cannot run
-- inside a transaction block. The longest step: about 13 s on 10 M rows.
-- A failed or interrupted build leaves an INVALID index behind: it is dropped and rebuilt.
-- The index goes into the table's schema.
-- Placeholder: the quoted, schema-qualified table. No parameters.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "uniq_task_id" ON {table} ("task_id")
