-- repair, step 2 (apply) for the running tasks named with --task: released as named, live or
-- not. Unlike repair/apply.sql this does not ask for the row version of the plan: the task's
-- own heartbeats move it while the person reads the plan, and naming the task is the order to
-- release it. It asks that the row still runs that very task (same task_id, still syncing, and
-- on a table with a primary key the planned key); a task that ended or was released since is
-- left alone and reported as skipped.
-- Parameters: $1 (json) an array of {key, task_id, reason}, one per named running row;
--   $2 the task ids, one array sent as text and parsed by the server as task_id's own array
--   type (as repair/plan.sql's $7), so an index on task_id finds the rows;
--   $3 (boolean) the table has no primary key: its key (partition and ctid) moves with every
--   update, so the task id alone names the row.
-- The row: is_syncing false, progress 0 (a state chk_sync_state_consistency accepts),
-- updated_at now(), the old error text kept and the note appended, current_stats kept.
-- RETURNING: the clause of repair/returning.sql, as in repair/apply.sql.
-- Locks: the released rows; waits at most lock_timeout.
-- Cost: an index lookup per task with an index on task_id (uniq_task_id), else one scan.
WITH p AS (
    SELECT * FROM json_to_recordset($1::json) AS p(key text, task_id text, reason text)
)
UPDATE {table} AS t
SET "is_syncing"          = false,
    "progress_percentage" = 0,
    "error_message"       = concat_ws(' - ', t."error_message",
                                      'released by syncctl repair: ' || p.reason
                                      || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    "updated_at"          = now()
FROM p
WHERE t."task_id" = ANY ($2)
  AND t."task_id"::text = p.task_id
  AND t."is_syncing"
  AND ($3::boolean OR {key} = p.key)
{returning}
