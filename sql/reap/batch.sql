-- reap: one batch, one statement (so one implicit transaction): release up to $2 running rows
-- whose heartbeat is older than $1 seconds by the database clock, or missing (the zombie rule of
-- state/classify.sql; started_at plays no part, so a long healthy sync is never reaped).
-- Safe with several reapers at once: the CTE locks its rows FOR UPDATE SKIP LOCKED (a row
-- another reaper holds is skipped, not waited for), and the UPDATE re-checks the condition on
-- the row it locked, so a row that a live task heartbeated or another reaper released in the
-- meantime is left alone. Each released row is released once.
-- A row whose writer stores a shifted clock but keeps writing (state/skew_offset.sql) is left
-- running. Under reap --confirm ($4) only the listed row versions are released, shifted or not:
-- a row written since they were read (whatever timestamp it wrote) has another version and is
-- left; the row lock the CTE takes keeps the version until the UPDATE.
-- A released row: is_syncing false, progress 0 (a state chk_sync_state_consistency accepts),
-- updated_at now(), and " - released by syncctl reap: no heartbeat for 16m 20s at
-- 2026-12-02T11:12:30Z" (the time in UTC) appended to the old error text (which is kept).
-- current_stats is kept.
-- Parameters: $1 (float8) the timeout in seconds (--timeout); $2 (int8) the batch size (--limit);
-- $3 (text[]) task ids whose owner's liveness lock was found free (--liveness lock; else empty):
-- dead at once, whatever their heartbeat; $4 (text[]) under --confirm, the row versions
-- (partition/ctid/xmin, as reap/dry_run.sql names them) seen unchanged over the window, else
-- NULL.
-- Returns task_id, user_id, how long each row had been silent, in seconds (NULL: no heartbeat
-- at all), and the row version released.
-- Locks: the released rows; ROW EXCLUSIVE on the table (waits at most lock_timeout for it).
-- Cost: with an index on updated_at of running rows (e.g. WHERE is_syncing), only the dead
-- rows are read; without it, a scan that stops after $2 matches.
WITH dead AS (
    SELECT t.tableoid, t.ctid,
           CASE WHEN isfinite(t."updated_at") THEN t."updated_at"::timestamptz END AS last_heartbeat,
           t.tableoid::text || '/' || t.ctid::text || '/' || t.xmin::text AS version
    FROM {table} AS t
    WHERE t."is_syncing"
      AND (t."updated_at" IS NULL OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)
           OR t."task_id"::text = ANY ($3::text[]))
      AND CASE WHEN $4::text[] IS NULL
               THEN t."task_id"::text = ANY ($3::text[]) OR ({skew_offset}) IS NULL
               ELSE t.tableoid::text || '/' || t.ctid::text || '/' || t.xmin::text = ANY ($4::text[]) END
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE {table} AS t
SET "is_syncing"          = false,
    "progress_percentage" = 0,
    "updated_at"          = now(),
    "error_message"       = concat_ws(' - ', t."error_message",
                              'released by syncctl reap: '
                              || CASE WHEN t."task_id"::text = ANY ($3::text[])
                                          AND d.last_heartbeat >= now() - make_interval(secs => $1)
                                      THEN 'its owner''s liveness lock was free'
                                      -- The silence as syncctl says it to people everywhere
                                      -- (state/duration.sql): 45s, 16m 20s, 5h 3m, 483d 2h.
                                      ELSE COALESCE('no heartbeat for ' || (
                                               SELECT {duration}
                                               FROM (SELECT floor(extract(epoch FROM now() - d.last_heartbeat))::int8
                                                            AS s) AS silence),
                                                    'no heartbeat recorded') END
                              || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
FROM dead AS d
WHERE t.ctid = d.ctid
  AND t.tableoid = d.tableoid  -- a ctid repeats in every partition of a partitioned table
  AND t."is_syncing"
  AND (t."updated_at" IS NULL OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)
       OR t."task_id"::text = ANY ($3::text[]))
RETURNING t."task_id"::text                                           AS task_id,
          t."user_id"::text                                           AS user_id,
          extract(epoch FROM now() - d.last_heartbeat)::float8        AS silent_seconds,
          d.version                                                   AS version
