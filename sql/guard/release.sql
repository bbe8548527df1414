-- guard API: the end of a task, in one statement, always in a state chk_sync_state_consistency
-- accepts: 'completed' -> progress 100, error NULL; 'failed' or 'cancelled' -> progress 0 and
-- the error (the outcome's name when none is given). p_stats, when given, replaces the stats.
-- Returns true when the row still ran that task and is now released; false when the lease was
-- already lost (nothing written).
--   SELECT {release_name}(:task_id, 'failed', :error);
-- Works for a role with SELECT and UPDATE on the table (SECURITY INVOKER).
-- Locks: the task's row. Cost: one lookup through the index on task_id (uniq_task_id).
CREATE OR REPLACE FUNCTION {release_function}(
    p_task_id {table}."task_id"%TYPE,
    p_outcome text,
    p_error   text DEFAULT NULL,
    p_stats   jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET TimeZone = {timestamp_zone}
AS $syncctl$
BEGIN
    IF p_outcome IS NULL OR p_outcome NOT IN ('completed', 'failed', 'cancelled') THEN
        RAISE EXCEPTION 'unknown outcome %', quote_nullable(p_outcome)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'the outcome is completed, failed or cancelled';
    END IF;
    UPDATE {table} AS t
    SET "is_syncing"          = false,
        "progress_percentage" = CASE WHEN p_outcome = 'completed' THEN 100 ELSE 0 END,
        "error_message"       = CASE WHEN p_outcome = 'completed' THEN NULL
                                     ELSE COALESCE(p_error, p_outcome) END,
        "current_stats"       = COALESCE(p_stats, t."current_stats"::jsonb),
        "updated_at"          = now()
    WHERE t."task_id" = p_task_id
      AND t."is_syncing";
    RETURN FOUND;
END
$syncctl$
