-- start, at the end: after a release whose reply was lost (the connection dropped), a retry
-- touches no row; this tells whether the row holds exactly that release (the first attempt
-- committed) or someone else's (the lease was lost).
--
--- Placeholders: {table}.
-- Parameters: as release.sql: $1 task id; $2 user id; $3 (int4) 0 or 100; $4 the stats as JSON
--   text; $5 (text) the error or NULL.
-- Locks: none beyond ACCESS SHARE. Cost: as beat.sql.
SELECT count(*) > 0 AS ours
FROM {table} AS t
WHERE t."task_id" = $1 AND t."user_id" = $2 AND NOT t."is_syncing"
  AND t."progress_percentage" = $3::int4
  AND t."current_stats"::jsonb = $4::text::jsonb
  AND t."error_message"::text IS NOT DISTINCT FROM $5::text
