-- Every transaction syncctl runs begins with this: its settings for this transaction only
-- (set_config(..., true) is SET LOCAL). Not startup `options` and not session SETs: a
-- transaction pooler (PgBouncer) refuses `options` and hands the server connection to another
-- client after each transaction, so a session setting would be lost to syncctl and left behind
-- for someone else. lock_timeout and statement_timeout bound every wait and statement;
-- TimeZone says how `timestamp without time zone` columns are read and written; jit is off
-- unless the user chose it ($4 NULL), since compiling the classifier's plan costs more than
-- running it.
-- The last checkpoint's time (epoch seconds) and next transaction id (in full, 64 bits), for
-- the shifted-clock rule (state/written_since_checkpoint.sql), as the custom settings
-- syncctl.checkpoint_time and syncctl.checkpoint_next_xid: read once here, so the classifier
-- reads them with current_setting() (STABLE) instead of calling pg_control_checkpoint()
-- (VOLATILE), which would keep every statement over the classifier from being inlined. Like
-- the others they end with the transaction (an empty placeholder stays in the session, as
-- after any SET LOCAL of a custom setting). track_commit_timestamp says which rule syncctl
-- fills the classifier with.
--
-- Parameters: $1, $2 (text) lock_timeout and statement_timeout, e.g. '2000ms'; $3 (text) the
--   time zone; $4 (text) jit, or NULL to leave it.
-- Returns the settings as set, and commit_timestamps (boolean): track_commit_timestamp.
-- Locks: none. Cost: nothing (the control file's checkpoint record, read from pg_control:
--   any role may, on a primary and on a standby).
SELECT pg_catalog.set_config('lock_timeout', $1, true) AS lock_timeout,
       pg_catalog.set_config('statement_timeout', $2, true) AS statement_timeout,
       pg_catalog.set_config('TimeZone', $3, true) AS time_zone,
       CASE WHEN $4::text IS NOT NULL THEN pg_catalog.set_config('jit', $4, true) END AS jit,
       pg_catalog.set_config('syncctl.checkpoint_time',
                             extract(epoch FROM c.checkpoint_time)::text, true) AS checkpoint_time,
       pg_catalog.set_config('syncctl.checkpoint_next_xid',
                             ((pg_catalog.split_part(c.next_xid, ':', 1)::int8 << 32)
                              + pg_catalog.split_part(c.next_xid, ':', 2)::int8)::text, true) AS checkpoint_next_xid,
       pg_catalog.current_setting('track_commit_timestamp')::boolean AS commit_timestamps
FROM pg_catalog.pg_control_checkpoint() AS c
