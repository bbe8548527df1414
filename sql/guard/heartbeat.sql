-- guard API: the heartbeat of a running task, with its progress (0-99) and stats (both
-- optional: NULL keeps what the row has). updated_at comes from the database clock.
-- Returns true while the row still runs that task; false when the lease is lost (the task was
-- released by repair, reap, a takeover or its own release): the worker must stop.
--   SELECT {heartbeat_name}(:task_id, :progress, CAST(:stats AS jsonb));
-- Works for a role with SELECT and UPDATE on the table (SECURITY INVOKER: the caller's rights).
-- Locks: the task's row. Cost: one lookup through the index on task_id (uniq_task_id).
CREATE OR REPLACE FUNCTION {heartbeat_function}(
    p_task_id  {table}."task_id"%TYPE,
    p_progress integer DEFAULT NULL,
    p_stats    jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET TimeZone = {timestamp_zone}
AS $syncctl$
BEGIN
    IF p_progress NOT BETWEEN 0 AND 99 THEN
        RAISE EXCEPTION 'progress % is out of range for a running task (0 to 99)', p_progress
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'report 100 by releasing the task as completed';
    END IF;
    UPDATE {table} AS t
    SET "progress_percentage" = COALESCE(p_progress, t."progress_percentage"),
        "current_stats"       = COALESCE(p_stats, t."current_stats"::jsonb),
        "updated_at"          = now()
    WHERE t."task_id" = p_task_id
      AND t."is_syncing";
    RETURN FOUND;
END
$syncctl$
