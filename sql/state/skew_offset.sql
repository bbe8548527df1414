-- A writer storing a shifted clock (a fragment of state/classify.sql and reap/): for a running
-- row of alias t, the whole time-zone offset its heartbeat is shifted by, in seconds, or NULL.
-- Negative: the stored time runs behind the database clock (naive UTC written by a session
-- in UTC+8 lands 8 hours in the past: -28800); positive: ahead of it.
-- The rule, both parts needed:
--  1. the silence (now() - updated_at) lies within the heartbeat timeout ($1 seconds) of a
--     whole offset: a non-zero multiple of 15 minutes, at most 14 hours either way;
--  2. the database shows that the row keeps being written, whatever its timestamp says: its
--     row version (xmin) committed recently. With track_commit_timestamp on, its commit time
--     is within the heartbeat timeout. Without it, the row version is newer than the next
--     transaction id of the last checkpoint (pg_control_checkpoint()), while its updated_at
--     claims a time more than the timeout before that checkpoint, or one in the future: a
--     writer with a true clock cannot do both. That bound is as fresh as the last checkpoint (checkpoint_timeout), so a
--     shifted writer that stopped since then still counts as writing. In the first timeout
--     after a checkpoint a live writer may not have written since it, so part 1 alone decides
--     then: a dead row is released a little later, a live one is never taken for dead.
--     `reap --confirm` tells them apart for certain by watching the row version.
-- A row that only matches part 1 (a task that died 8 hours ago) stays a zombie (but in the
-- first timeout after a checkpoint, above).
-- Cost: arithmetic on the row; the row version's check only for rows that pass part 1, and the
-- control file (pg_control_checkpoint()) and the snapshot are read by uncorrelated subqueries, once each per
-- statement.
--- Placeholders: none but alias t; $1 is the heartbeat timeout in seconds.
CASE WHEN t."is_syncing" AND isfinite(t."updated_at")
          AND abs(round(extract(epoch FROM now() - t."updated_at"::timestamptz) / 900)) BETWEEN 1 AND 56
          AND abs(extract(epoch FROM now() - t."updated_at"::timestamptz)
                  - 900 * round(extract(epoch FROM now() - t."updated_at"::timestamptz) / 900)) <= $1
          AND CASE WHEN current_setting('track_commit_timestamp')::boolean
                   THEN pg_xact_commit_timestamp(t.xmin) >= now() - make_interval(secs => $1)
                   ELSE (SELECT c.checkpoint_time > now() - make_interval(secs => $1)
                         FROM pg_control_checkpoint() AS c)
                        -- Transaction ids compared as numbers, not with age(), which is
                        -- parallel restricted: the row's 32-bit xmin as a distance back from
                        -- the next id, against the checkpoint's (both ids in full, xid8).
                        OR (((SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8) % 4294967296
                             - t.xmin::text::int8 + 4294967296) % 4294967296
                            <= (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::int8
                                       - (split_part(c.next_xid, ':', 1)::int8 << 32)
                                       - split_part(c.next_xid, ':', 2)::int8
                                FROM pg_control_checkpoint() AS c)
                            AND (t."updated_at"::timestamptz < (SELECT c.checkpoint_time - make_interval(secs => $1)
                                                                FROM pg_control_checkpoint() AS c)
                                 OR t."updated_at"::timestamptz > now()))
              END
     THEN (-900 * round(extract(epoch FROM now() - t."updated_at"::timestamptz) / 900))::int8
END
