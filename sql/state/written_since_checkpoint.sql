-- Part 2 of state/skew_offset.sql without track_commit_timestamp: row t keeps being written.
-- Its row version (xmin) is newer than the next transaction id of the last checkpoint, while
-- its updated_at claims a time more than the skew window (the timeout, $1 seconds, at most 2
-- minutes: state/skew_offset.sql) before that checkpoint, or
-- one in the future: a writer with a true clock cannot do both. That bound is as fresh as the
-- last checkpoint (checkpoint_timeout), so a shifted writer that stopped since then still
-- counts as writing. In the first skew window after a checkpoint a live writer may not have written
-- since it, so part 1 alone decides then: a dead row is released a little later, a live one is
-- never taken for dead. `reap --confirm` tells them apart for certain by watching the row
-- version.
-- The checkpoint's time and next transaction id are read from the control file once per
-- transaction by session/local.sql, which keeps them as the settings syncctl.checkpoint_time
-- (epoch seconds) and syncctl.checkpoint_next_xid (the full 64-bit id). Read back here with
-- current_setting(), which is STABLE, where pg_control_checkpoint() is VOLATILE: a statement
-- selecting from the classifier through a CTE is then inlined (no CTE Scan writing every row to
-- a tuplestore) and can run in parallel.
-- The row version is newer than the checkpoint's next id when it follows it in the circular
-- 32-bit transaction id space (PostgreSQL's own TransactionIdFollowsOrEquals): their distance
-- modulo 2^32 is below 2^31. Compared as numbers, not with age(), which is parallel restricted.
-- Cost: plain expressions, evaluated only for the running rows that pass part 1. No
-- sub-SELECTs: once inlined, the classifier repeats this fragment in every expression that uses
-- it, and each sub-SELECT would be one more subplan to plan (a statement with 80 of them took
-- 12 ms to plan on a 10-row table).
--- Placeholders: none but alias t; $1 is the heartbeat timeout in seconds.
to_timestamp(current_setting('syncctl.checkpoint_time')::float8) > now() - make_interval(secs => least($1, 120))
OR ((t.xmin::text::int8 - current_setting('syncctl.checkpoint_next_xid')::int8 % 4294967296 + 4294967296)
        % 4294967296 < 2147483648
    AND (t."updated_at"::timestamptz < to_timestamp(current_setting('syncctl.checkpoint_time')::float8)
                                       - make_interval(secs => least($1, 120))
         OR t."updated_at"::timestamptz > now()))
