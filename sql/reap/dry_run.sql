-- reap --dry-run: the running rows a reap would release now (the condition of reap/batch.sql),
-- longest silent first; and reap --confirm's candidates, with their row versions. A plain
-- SELECT: no row locks, changes nothing.
-- Parameters: $1 (float8) the timeout in seconds (--timeout); $2 (text[]) task ids whose owner's
-- liveness lock was found free (--liveness lock; else empty); $3 (boolean) also the rows whose
-- writer stores a shifted clock but keeps writing (state/skew_offset.sql), which a plain reap
-- leaves and reap --confirm watches.
-- version names the row version: partition, ctid and xmin, which any write changes (a
-- heartbeat with a wrong timestamp too) and a row lock does not.
-- Cost: like reap/dead_rows.sql (one scan of the dead rows' access path), and a sort of them.
--- Placeholders: {table}, {skew_offset} state/skew_offset.sql.
SELECT t."task_id"::text                                                  AS task_id,
       t."user_id"::text                                                  AS user_id,
       CASE WHEN isfinite(t."updated_at")
            THEN extract(epoch FROM now() - t."updated_at"::timestamptz)::float8 END AS silent_seconds,
       t.tableoid::text || '/' || t.ctid::text || '/' || t.xmin::text     AS version
FROM {table} AS t
WHERE t."is_syncing"
  AND (t."updated_at" IS NULL OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)
       OR t."task_id"::text = ANY ($2::text[]))
  AND ($3 OR t."task_id"::text = ANY ($2::text[]) OR ({skew_offset}) IS NULL)
ORDER BY t."updated_at" ASC NULLS FIRST
