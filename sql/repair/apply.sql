-- repair, step 2 (apply): the planned changes of rows that are not named with --task, in one
-- statement of a short READ COMMITTED transaction, each applied only to a row still exactly
-- the version the plan read. Nothing was locked between the plan and this statement (a person
-- may have taken minutes to answer).
-- A row version is (tableoid, ctid, xmin): the partition, the slot in it, and the transaction
-- that wrote it. Any update since the plan (a live task's heartbeat or progress, a reaper) gives
-- the row a new ctid and xmin, and a slot freed and reused by another row has another xmin, so
-- such a row is left alone; the caller reports the planned rows missing from RETURNING as
-- skipped. The before-values and the key are compared too (as text, as repair/plan.sql read
-- them), so the rule holds even for a table whose rows are rewritten in place by a tool.
-- Parameters: $1 (json) an array of one object per planned change:
--   key, tableoid, ctid, xmin, the before-values before_is_syncing, before_progress,
--   before_updated_at, before_task_id, before_error_message (text), the new is_syncing (bool),
--   progress (int8), new_task_id (text, NULL to keep it) and reason (text: appended to
--   error_message as " - released by syncctl repair: <reason> at <time>", NULL for no note; <time> is
--   the transaction's start in UTC, RFC 3339 to the second).
-- A noted row also gets updated_at = now(). current_stats is kept. The new task_id goes through
-- json_populate_record so it is converted to task_id's own type, whatever that is.
-- RETURNING: the clause of repair/returning.sql, the changed rows as they are now.
-- Locks: the changed rows (FOR UPDATE strength); waits at most lock_timeout (55P03, exit 5).
-- Cost: a TID scan of the planned slots (the ARRAY sub-select), no table scan.
WITH p AS (
    SELECT *
    FROM json_to_recordset($1::json)
         AS p(key text, tableoid oid, ctid tid, xmin text, before_is_syncing text, before_progress text,
              before_updated_at text, before_task_id text, before_error_message text,
              is_syncing bool, progress int8, new_task_id text, reason text)
)
UPDATE {table} AS t
SET "is_syncing"          = p.is_syncing,
    "progress_percentage" = p.progress,
    "task_id"             = CASE WHEN p.new_task_id IS NULL THEN t."task_id"
                                 ELSE (json_populate_record(NULL::{table},
                                         json_build_object('task_id', p.new_task_id)))."task_id" END,
    "error_message"       = CASE WHEN p.reason IS NULL THEN t."error_message"
                                 ELSE concat_ws(' - ', t."error_message",
                                        'released by syncctl repair: ' || p.reason
                                        || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) END,
    "updated_at"          = CASE WHEN p.reason IS NULL THEN t."updated_at" ELSE now() END
FROM p
WHERE t.ctid = ANY (ARRAY(SELECT ctid FROM p))
  AND t.tableoid = p.tableoid
  AND t.ctid = p.ctid
  AND t.xmin::text = p.xmin
  AND {key} = p.key
  AND t."is_syncing"::text          IS NOT DISTINCT FROM p.before_is_syncing
  AND t."progress_percentage"::text IS NOT DISTINCT FROM p.before_progress
  AND t."updated_at"::text          IS NOT DISTINCT FROM p.before_updated_at
  AND t."task_id"::text             IS NOT DISTINCT FROM p.before_task_id
  AND t."error_message"::text       IS NOT DISTINCT FROM p.before_error_message
{returning}
