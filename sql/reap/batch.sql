-- reap: one batch, one statement in a transaction of its own: release the listed running
-- rows (up to --limit, of one partition, as reap/dead_rows.sql found them) whose heartbeat is
-- older than $1 seconds by the database clock, or missing (the zombie rule of
-- state/classify.sql; started_at plays no part, so a long healthy sync is never reaped).
-- The rows are named by ctid ($5) and partition ($4): each batch reads its own rows (a TID scan)
-- and nothing else, so a pass costs one read of the dead rows plus one fetch a row however many
-- batches it takes (batches resuming an ordinary scan from the start read every row an earlier
-- batch released again). A ctid names a row version: a row written since it was listed (a
-- heartbeat, another reaper's release) has moved on, and is left here (to the next pass, if
-- still dead); a ctid that VACUUM gave to a new row names a row re-checked like any other.
-- Safe with several reapers at once, in either of its two forms ({row_lock} below). First
-- without row locks of its own: the UPDATE locks only the rows it changes, after the plain
-- read of the CTE, and waits for a row another session holds at most a moment
-- (reap/lock_wait.sql), since reap runs it again the second way once that wait runs out. Then,
-- if it did, with FOR UPDATE SKIP LOCKED in the CTE: a row another session holds (another
-- reaper, a stuck transaction of the row's own worker) is skipped, not waited for. The lock
-- costs a WAL record per row (and the row's page written once more after a checkpoint), 10-20 %
-- of a batch, which is why it is only the second way. Either way the UPDATE re-checks the whole
-- condition on the row version it reaches (the CTE's read may be older), so a row that a live
-- task heartbeated or another reaper released in the meantime is left alone, and each
-- released row is released once.
-- A row whose writer stores a shifted clock but keeps writing (state/skew_offset.sql) is left
-- running. Under reap --confirm ($3) only the listed row versions are released, shifted or not:
-- a row written since they were read (whatever timestamp it wrote) has another version and is
-- left: the UPDATE compares the version of the row it reaches.
-- A released row: is_syncing false, progress 0 (a state chk_sync_state_consistency accepts),
-- updated_at now(), and " - released by syncctl reap: no heartbeat for 16m 20s at
-- 2026-12-02T11:12:30Z" (the time in UTC) appended to the old error text (which is kept).
-- current_stats is kept.
-- Its transaction (BEGIN, syncctl's settings: session/local.sql, this statement, COMMIT) is
-- sent in one round trip, not one per statement: a backlog takes a batch per --limit rows, and
-- the waits for the answers were what a batch cost beyond its own work. If this statement
-- fails, the COMMIT behind it rolls the transaction back (the server answers ROLLBACK).
-- synchronous_commit stays on: each COMMIT waits for its WAL flush (and for a synchronous
-- standby, if any), one flush per batch against the batch's own writes of up to --limit rows.
-- Turned off, a crash or a failover could lose the last batches' releases after reap printed
-- them as released (to cron's log, or to whatever reads its JSON); a later reap would release
-- those rows again, but the record would have said so wrongly in between.
-- Parameters: $1 (float8) the timeout in seconds (--timeout); $2 (text[]) task ids whose owner's
-- liveness lock was found free (--liveness lock; else empty): dead at once, whatever their
-- heartbeat; $3 (text[]) under --confirm, the batch's row versions (partition/ctid/xmin, as
-- reap/dry_run.sql names them) seen unchanged over the window, else NULL; $4 (oid) the
-- partition (the table itself unless partitioned); $5 (text[]) the batch's ctids.
-- Returns task_id, user_id, how long each row had been silent, in seconds (NULL: no heartbeat
-- at all), and the row version released.
-- Locks: the released rows (the second way, every listed row still running, until the
-- transaction ends); ROW EXCLUSIVE on the table (waits at most lock_timeout for it).
--- {row_lock} is empty the first way, FOR UPDATE SKIP LOCKED the second (src/db/queries/reap.rs).
-- Cost: a TID scan of the listed ctids and an update of each row; on a partitioned table every
-- partition looks the ctids up (a ctid repeats in every partition) and keeps those of $4.
WITH dead AS (
    SELECT t.tableoid, t.ctid,
           CASE WHEN isfinite(t."updated_at") THEN t."updated_at"::timestamptz END AS last_heartbeat,
           t.tableoid::text || '/' || t.ctid::text || '/' || t.xmin::text AS version
    FROM {table} AS t
    WHERE t.ctid = ANY ($5::text[]::tid[])
      AND t.tableoid = $4
      AND t."is_syncing"
    {row_lock}
)
UPDATE {table} AS t
SET "is_syncing"          = false,
    "progress_percentage" = 0,
    "updated_at"          = now(),
    "error_message"       = concat_ws(' - ', t."error_message",
                              'released by syncctl reap: '
                              || CASE WHEN t."task_id"::text = ANY ($2::text[])
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
       OR t."task_id"::text = ANY ($2::text[]))
  AND CASE WHEN $3::text[] IS NULL
           THEN t."task_id"::text = ANY ($2::text[]) OR ({skew_offset}) IS NULL
           ELSE t.tableoid::text || '/' || t.ctid::text || '/' || t.xmin::text = ANY ($3::text[]) END
RETURNING t."task_id"::text                                           AS task_id,
          t."user_id"::text                                           AS user_id,
          extract(epoch FROM now() - d.last_heartbeat)::float8        AS silent_seconds,
          d.version                                                   AS version
