-- syncctl guard install|remove --print-sql: the guard of {table} (its trigger, its function and
-- the application's functions claim, heartbeat and release) installed or removed, as a psql
-- script.
--
--   psql -v ON_ERROR_STOP=1 -f this-file.sql
--
-- One transaction: all of it or nothing. Idempotent: rerunning it is always safe. The trigger
-- steps lock the table (CREATE TRIGGER SHARE ROW EXCLUSIVE, DROP TRIGGER ACCESS EXCLUSIVE),
-- waiting at most the lock_timeout below, since writers queue behind the wait: when it fails
-- with lock_not_available (55P03) nothing changed; run the script again, later.
-- `syncctl guard status` says whether what is installed is what this script creates.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL lock_timeout = '{lock_timeout}';
