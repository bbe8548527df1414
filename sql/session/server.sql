-- What the server a connection reached is, read once per connection (by itself, or as a
-- subquery of table/introspect.sql). Whether it is a hot standby (in recovery, read-only) and
-- how far its replay lags behind: write commands stop on a standby before any work; read
-- commands say they ran on one, since on a lagging standby live tasks look silent (their
-- heartbeats have not been replayed yet). Its version and port, for -v, so a DBA sees which
-- server answered (a pooler or proxy in between listens on another port).
-- Returns standby (bool), replay_lag_seconds (float8; NULL on a primary, or before the first
-- replayed transaction), version (text, server_version), port (int4). Locks: none. Cost: nothing.
SELECT pg_catalog.pg_is_in_recovery() AS standby,
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN extract(epoch FROM now() - pg_catalog.pg_last_xact_replay_timestamp())::float8
       END AS replay_lag_seconds,
       pg_catalog.current_setting('server_version') AS version,
       pg_catalog.current_setting('port')::int4 AS port
