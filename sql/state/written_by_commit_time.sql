-- Part 2 of state/skew_offset.sql with track_commit_timestamp on: row t keeps being written,
-- for its row version (xmin) committed within the skew window (the heartbeat timeout, $1 seconds,
-- at most 2 minutes: state/skew_offset.sql).
-- pg_xact_commit_timestamp() is VOLATILE: on such a server the classifier holds this one
-- volatile call, so a CTE over it is materialized (a subquery in FROM is not pulled up either,
-- but runs as a subquery scan, in parallel, writing nothing). Cost: one lookup in pg_commit_ts
-- for each row that passes part 1 only.
--- Placeholders: none but alias t; $1 is the heartbeat timeout in seconds.
pg_xact_commit_timestamp(t.xmin) >= now() - make_interval(secs => least($1, 120))
