-- repair, step 2 (apply): the planned changes, in one statement of a short READ COMMITTED
-- transaction, each applied only to a row still exactly as planned.
-- A row is found by the ctid it had in the plan (a TID scan, no table scan) and must still have
-- the planned key and before-values of is_syncing, progress_percentage, updated_at, task_id and
-- error_message (compared as text, as repair/plan.sql read them). Any update since the plan
-- (a live task's heartbeat or progress, a reaper) gives the row a new ctid and new values, so
-- it is left alone; the caller reports the rows missing from RETURNING as skipped.
-- Parameters, arrays of one element per planned change:
--   $1 key, $2 ctid, $3..$7 before-values (is_syncing, progress_percentage, updated_at,
--   task_id, error_message) as text; $8 (bool[]) new is_syncing; $9 (int8[]) new progress;
--   $10 (text[]) new task_id, NULL to keep it; $11 (text[]) the reason appended to
--   error_message as " - released by syncctl repair: <reason> at <time>", NULL for no note.
-- A noted row also gets updated_at = now(). current_stats is kept. The new task_id goes through
-- json_populate_record so it is converted to task_id's own type, whatever that is.
-- RETURNING `consistent` is the CHECK predicate of chk_sync_state_consistency (NULL counts as a
-- violation, as in state/classify.sql) on the new row: the caller rolls back if any is false.
-- Locks: the changed rows (FOR UPDATE strength); waits at most lock_timeout (55P03, exit 5).
UPDATE {table} AS t
SET "is_syncing"          = p.is_syncing,
    "progress_percentage" = p.progress,
    "task_id"             = CASE WHEN p.new_task_id IS NULL THEN t."task_id"
                                 ELSE (json_populate_record(NULL::{table},
                                         json_build_object('task_id', p.new_task_id)))."task_id" END,
    "error_message"       = CASE WHEN p.reason IS NULL THEN t."error_message"
                                 ELSE concat_ws(' - ', t."error_message",
                                        'released by syncctl repair: ' || p.reason
                                        || ' at ' || date_trunc('second', now())) END,
    "updated_at"          = CASE WHEN p.reason IS NULL THEN t."updated_at" ELSE now() END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::bool[], $9::int8[], $10::text[], $11::text[])
     AS p(key, ctid, before_is_syncing, before_progress, before_updated_at, before_task_id,
          before_error_message, is_syncing, progress, new_task_id, reason)
WHERE t.ctid = ANY ($2::text[]::tid[])
  AND t.ctid = p.ctid::tid
  AND {key} = p.key
  AND t."is_syncing"::text          IS NOT DISTINCT FROM p.before_is_syncing
  AND t."progress_percentage"::text IS NOT DISTINCT FROM p.before_progress
  AND t."updated_at"::text          IS NOT DISTINCT FROM p.before_updated_at
  AND t."task_id"::text             IS NOT DISTINCT FROM p.before_task_id
  AND t."error_message"::text       IS NOT DISTINCT FROM p.before_error_message
RETURNING p.key                                      AS key,  -- the planned key: a ctid key moves
          t."task_id"::text                          AS task_id,
          t."is_syncing"                             AS is_syncing,
          round(t."progress_percentage")::int8       AS progress_percentage,
          t."error_message"::text                    AS error_message,
          COALESCE((t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99)
                   OR (NOT t."is_syncing" AND t."progress_percentage" IN (0, 100)), false) AS consistent
