-- reap: the rows a pass will release, read once at its start: the partition (tableoid) and ctid
-- of every running row whose heartbeat is older than $1 seconds by the database clock, or
-- missing (the condition of reap/batch.sql and reap/dry_run.sql). reap/batch.sql then releases
-- them by ctid, --limit at a time, so the pass reads the table (or an index on updated_at or of
-- the running rows, whichever the planner picks, as for a single UPDATE of them all) once and
-- never reads a released row again, however many batches it takes. A row that turns dead while
-- the pass runs is left to the next pass.
-- A plain SELECT: no row locks, changes nothing; the batches re-check every row.
-- Parameters: $1 (float8) the timeout in seconds (--timeout); $2 (text[]) task ids whose owner's
-- liveness lock was found free (--liveness lock; else empty): dead at once, whatever their
-- heartbeat.
-- Leaves out rows whose writer stores a shifted clock but keeps writing (state/skew_offset.sql),
-- as a batch does.
-- Cost: one scan of the dead rows' access path (a sequential scan without an index that serves);
-- the result is 2 short values a dead row.
--- Placeholders: {table}, {skew_offset} state/skew_offset.sql.
SELECT t.tableoid       AS partition,
       t.ctid::text     AS ctid
FROM {table} AS t
WHERE t."is_syncing"
  AND (t."updated_at" IS NULL OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)
       OR t."task_id"::text = ANY ($2::text[]))
  AND (t."task_id"::text = ANY ($2::text[]) OR ({skew_offset}) IS NULL)
