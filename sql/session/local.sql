-- Every transaction syncctl runs begins with this: its settings for this transaction only
-- (set_config(..., true) is SET LOCAL). Not startup `options` and not session SETs: a
-- transaction pooler (PgBouncer) refuses `options` and hands the server connection to another
-- client after each transaction, so a session setting would be lost to syncctl and left behind
-- for someone else. lock_timeout and statement_timeout bound every wait and statement;
-- TimeZone says how `timestamp without time zone` columns are read and written; jit is off
-- unless the user chose it ($4 NULL), since compiling the classifier's plan costs more than
-- running it.
--
-- Parameters: $1, $2 (text) lock_timeout and statement_timeout, e.g. '2000ms'; $3 (text) the
--   time zone; $4 (text) jit, or NULL to leave it.
-- Locks: none. Cost: nothing.
SELECT pg_catalog.set_config('lock_timeout', $1, true) AS lock_timeout,
       pg_catalog.set_config('statement_timeout', $2, true) AS statement_timeout,
       pg_catalog.set_config('TimeZone', $3, true) AS time_zone,
       CASE WHEN $4::text IS NOT NULL THEN pg_catalog.set_config('jit', $4, true) END AS jit
