-- reap --dry-run: the running rows a reap would release now (the condition of reap/batch.sql),
-- longest silent first. A plain SELECT: no row locks, changes nothing.
-- Parameters: $1 (float8) the timeout in seconds (--timeout); $2 (text[]) task ids whose owner's
-- liveness lock was found free (--liveness lock; else empty).
-- Cost: like reap/batch.sql, without the batch limit.
SELECT t."task_id"::text                                                  AS task_id,
       t."user_id"::text                                                  AS user_id,
       CASE WHEN isfinite(t."updated_at")
            THEN extract(epoch FROM now() - t."updated_at"::timestamptz)::float8 END AS silent_seconds
FROM {table} AS t
WHERE t."is_syncing"
  AND (t."updated_at" IS NULL OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)
       OR t."task_id"::text = ANY ($2::text[]))
ORDER BY t."updated_at" ASC NULLS FIRST
