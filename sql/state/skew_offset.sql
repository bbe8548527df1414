-- A writer storing a shifted clock (a fragment of state/classify.sql and reap/): for a running
-- row of alias t, the whole time-zone offset its heartbeat is shifted by, in seconds, or NULL.
-- Negative: the stored time runs behind the database clock (naive UTC written by a session
-- in UTC+8 lands 8 hours in the past: -28800); positive: ahead of it.
-- The rule, both parts needed:
--  1. the silence (now() - updated_at) lies within the skew window of a whole offset (a
--     non-zero multiple of 15 minutes, at most 14 hours either way). The window is the
--     heartbeat timeout ($1 seconds), but at most 2 minutes: a wider one would take in every
--     silence (with a timeout of 7.5 minutes or more, every silence from 15 minutes to 14 hours
--     lies within it of some quarter hour), and every zombie would pass as a shifted writer. A
--     shifted writer is recognised when it heartbeats at least every 2 minutes; a slower one
--     is a zombie to this rule (`reap --confirm` watches the row version instead);
--  2. the database shows that the row keeps being written, whatever its timestamp says: its
--     row version (xmin) committed recently (state/written_since_checkpoint.sql, or with
--     track_commit_timestamp on, state/written_by_commit_time.sql).
-- A row that only matches part 1 (a task that died 8 hours ago) stays a zombie (but see the
-- first timeout after a checkpoint in state/written_since_checkpoint.sql).
-- Cost: arithmetic on the running rows, in float8 (date_part(), several times cheaper than the
-- numeric of extract()): the planner inlines the fragment into every expression that uses it,
-- so a statement may evaluate it several times per row. The row version's check only for rows
-- that pass part 1.
--- Placeholders: none but alias t and {still_written}, the rule of part 2 that fits the server
--- (track_commit_timestamp, as session/local.sql read it); $1 is the heartbeat timeout in seconds;
--- the skew window, least($1, 120), is repeated in state/written_*.sql.
CASE WHEN t."is_syncing" AND isfinite(t."updated_at")
          AND abs(round(date_part('epoch', now() - t."updated_at"::timestamptz) / 900)) BETWEEN 1 AND 56
          AND abs(date_part('epoch', now() - t."updated_at"::timestamptz)
                  - 900 * round(date_part('epoch', now() - t."updated_at"::timestamptz) / 900)) <= least($1, 120)
          AND ({still_written})
     THEN (-900 * round(date_part('epoch', now() - t."updated_at"::timestamptz) / 900))::int8
END
