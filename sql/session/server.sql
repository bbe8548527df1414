-- Once per connection: whether the server is a hot standby (in recovery, read-only) and how
-- far its replay lags behind. Write commands stop on a standby before any work; read commands
-- say they ran on one, since on a lagging standby live tasks look silent (their heartbeats
-- have not been replayed yet).
-- Returns standby (bool), replay_lag_seconds (float8; NULL on a primary, or before the first
-- replayed transaction). Locks: none. Cost: nothing.
SELECT pg_catalog.pg_is_in_recovery() AS standby,
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN extract(epoch FROM now() - pg_catalog.pg_last_xact_replay_timestamp())::float8
       END AS replay_lag_seconds
