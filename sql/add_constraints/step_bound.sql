-- add-constraints: the bound of a step that runs in a transaction (ADD, VALIDATE and DROP of the
-- CHECK), for that transaction only (set_config(..., true) is SET LOCAL, so nothing is left on
-- a pooled server connection). The ACCESS EXCLUSIVE steps (ADD / DROP CONSTRAINT) get the
-- short --lock-timeout: while one waits for its lock, every later reader and writer of the
-- table queues behind it. VALIDATE takes SHARE UPDATE EXCLUSIVE, which no writer conflicts
-- with, and gets --build-wait. statement_timeout is lifted: VALIDATE scans the whole table
-- (minutes on tens of millions of rows) under a lock that blocks no reader or writer, and
-- cancelling it would only leave the constraint NOT VALID to redo; the wait stays bounded.
-- The concurrent index steps cannot run in a transaction: the client bounds those.
-- $1 (text): the bound, e.g. '2000ms'. No lock.
SELECT pg_catalog.set_config('lock_timeout', $1, true) AS lock_timeout,
       pg_catalog.set_config('statement_timeout', '0', true) AS statement_timeout
