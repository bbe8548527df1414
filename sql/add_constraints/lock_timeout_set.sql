-- add-constraints: the bound on the next step's waits, for the rest of the session (the
-- concurrent steps run outside any transaction, so SET LOCAL would not reach them). The
-- ACCESS EXCLUSIVE steps (ADD / DROP CONSTRAINT) get the short --lock-timeout: while one waits
-- for its lock, every later reader and writer of the table queues behind it. The others
-- (VALIDATE, CREATE / DROP INDEX CONCURRENTLY) take SHARE UPDATE EXCLUSIVE, which no writer
-- conflicts with, and wait for old transactions and snapshots; they get --build-wait.
-- $1 (text): the bound, e.g. '2000ms'. No lock.
SELECT pg_catalog.set_config('lock_timeout', $1, false)
