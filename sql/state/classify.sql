-- The row-state classifier (README, "Row states"): every row of the table with one boolean
-- per state, decided by the database clock (now()), never the client's. Every command that
-- looks at states selects from this fragment, so they all agree.
--
--- Placeholders: {table} is the quoted table, {key} the primary key as text, {skew_offset}
--- state/skew_offset.sql.
-- Parameters:
--   $1 (float8)  heartbeat timeout in seconds: a running row silent for longer is a zombie;
--   $2 (text[])  keys of rows repeating another row's task_id  (from state/duplicates.sql,
--   $3 (text[])  keys of users' second running rows             or empty); the cardinality
--                test first skips computing each row's key when there is none (the usual case);
--   $4, $5       only this user_id / task_id, or NULL; sent as text and parsed by the server
--                with the column's own type, so an index on the column can serve;
--   $6 (text[])  task_ids whose owner's liveness lock was found free (--liveness lock, see
--                liveness/running.sql): dead at once, whatever their heartbeat says; or empty.
-- Timestamps are cast to timestamptz: a no-op for timestamptz columns; a `timestamp without
-- time zone` column is read in the session TimeZone, which syncctl sets from --timestamp-zone.
-- No CTE (the outer SELECT is flattened away), so the planner can scan in parallel. Cost: one scan of the table
-- (or an index scan with $4 / $5). No locks beyond ACCESS SHARE.
-- A silent row whose writer stores a shifted clock but keeps writing (skew_offset_seconds) is
-- skewed, not a zombie, unless its owner's liveness lock says it is dead.
-- zombie's first test is is_syncing alone: for the stopped rows (most of a table) it is then
-- one step, where silent and lock_dead each test it again inside a COALESCE (the outer SELECT
-- is flattened, so every expression here is evaluated per row, once per reference).
SELECT c.*, c.repeated_task OR c.second_running AS duplicate,
       c.is_syncing IS TRUE AND ((c.silent AND c.skew_offset_seconds IS NULL) OR c.lock_dead) AS zombie,
       c.skew_offset_seconds IS NOT NULL OR c.future AS skewed
FROM (
SELECT {key}                                         AS key,
       t."user_id"::text                             AS user_id,
       t."task_id"::text                             AS task_id,
       t."is_syncing"                                AS is_syncing,
       -- As stored, never rounded: 99.7 in a numeric column is not 100 (float8 holds the
       -- percentages of any integer or numeric(p,s) column exactly enough to print them).
       t."progress_percentage"::float8               AS progress_percentage,
       t."error_message"::text                       AS error_message,
       CASE WHEN isfinite(t."started_at") THEN t."started_at"::timestamptz END AS started_at,
       CASE WHEN isfinite(t."updated_at") THEN t."updated_at"::timestamptz END AS updated_at,
       -- The heartbeat as stored, for ORDER BY: an index on updated_at of running rows serves it.
       t."updated_at"::timestamptz                   AS heartbeat_at,
       CASE WHEN isfinite(t."updated_at")
            THEN extract(epoch FROM now() - t."updated_at"::timestamptz)::float8 END AS silent_seconds,
       COALESCE(t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99
                AND t."updated_at"::timestamptz >= now() - make_interval(secs => $1)
                AND NOT t."task_id"::text = ANY ($6::text[]), false) AS running,
       COALESCE(t."is_syncing" AND (t."updated_at" IS NULL
                OR t."updated_at"::timestamptz < now() - make_interval(secs => $1)), false) AS silent,
       COALESCE(t."is_syncing" AND t."task_id"::text = ANY ($6::text[]), false) AS lock_dead,
       COALESCE(t."is_syncing" AND t."error_message" IS NOT NULL, false) AS half_released,
       -- The CHECK predicate of chk_sync_state_consistency; NULL (which a CHECK lets through)
       -- counts as a violation.
       NOT COALESCE((t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99)
                    OR (NOT t."is_syncing" AND t."progress_percentage" IN (0, 100)), false) AS inconsistent,
       cardinality($2::text[]) > 0 AND {key} = ANY ($2::text[]) AS repeated_task,
       cardinality($3::text[]) > 0 AND {key} = ANY ($3::text[]) AS second_running,
       COALESCE(t."updated_at"::timestamptz > now() + interval '1 minute'
                OR t."started_at"::timestamptz > now() + interval '1 minute', false) AS future,
       ({skew_offset})                                AS skew_offset_seconds,
       COALESCE(NOT t."is_syncing" AND t."progress_percentage" = 100, false) AS completed,
       COALESCE(NOT t."is_syncing" AND t."progress_percentage" = 0
                AND t."error_message" IS NOT NULL, false) AS failed,
       COALESCE(NOT t."is_syncing" AND t."progress_percentage" = 0
                AND t."error_message" IS NULL, false) AS idle
FROM {table} AS t
WHERE (t."user_id" = $4 OR $4 IS NULL)
  AND (t."task_id" = $5 OR $5 IS NULL)
) AS c
