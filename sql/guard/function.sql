-- guard: the trigger function that enforces the lease on {table} for every writer, not only
-- for syncctl start. BEFORE INSERT OR UPDATE, FOR EACH ROW (guard/trigger.sql):
--   1. A write to a running row takes updated_at from the database clock, whatever the writer
--      sent (its clock or time zone can no longer make a live task look dead); a new task (an
--      INSERT of a running row, or a stopped row claimed again) gets started_at likewise.
--   2. A write that keeps the task_id of a stopped row and changes its state, progress, stats,
--      error or heartbeat (a late heartbeat, progress or completion of a worker whose task was
--      released, or a resurrection) is skipped: the row stays as it is, the statement counts 0
--      rows for it, and a WARNING names the task. A new claim (another task_id) passes. So does
--      a write to a stopped row that violates chk_sync_state_consistency (progress not 0 or
--      100): it predates the guard, and repair must be able to fix it.
--   3. A release (is_syncing true -> false) with progress other than 0 or 100 lands with progress
--      0, the error kept: the CHECK accepts it instead of refusing it and leaving a zombie.
-- Bypass, for a DBA's one-off fix, in that transaction only:
--   SET LOCAL syncctl.guard = 'off';
-- TimeZone is pinned to the zone syncctl reads `timestamp without time zone` columns in
-- (--timestamp-zone at install), so now() lands in such a column as syncctl reads it. Values
-- are compared as text: that works for every column type (json has no equality).
-- Locks: none of its own. Cost: a few comparisons per written row.
CREATE OR REPLACE FUNCTION {guard_function}()
RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET TimeZone = {timestamp_zone}
AS $syncctl$
BEGIN
    IF current_setting('syncctl.guard', true) = 'off' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW."is_syncing" THEN
            NEW."started_at" := now();
            NEW."updated_at" := now();
        END IF;
        RETURN NEW;
    END IF;
    IF OLD."is_syncing" IS FALSE
       AND OLD."task_id" IS NOT NULL
       AND NEW."task_id"::text IS NOT DISTINCT FROM OLD."task_id"::text
       AND OLD."progress_percentage" IN (0, 100)
       AND (NEW."is_syncing"::text, NEW."progress_percentage"::text, NEW."current_stats"::text,
            NEW."error_message"::text, NEW."updated_at"::text)
           IS DISTINCT FROM
           (OLD."is_syncing"::text, OLD."progress_percentage"::text, OLD."current_stats"::text,
            OLD."error_message"::text, OLD."updated_at"::text)
    THEN
        RAISE WARNING 'syncctl guard: write to task % skipped: the task no longer runs (stopped at %)',
                      OLD."task_id", OLD."updated_at"
            USING HINT = 'its worker lost the lease (released by repair, reap or a takeover): stop it; '
                         'for a deliberate fix run SET LOCAL syncctl.guard = ''off'' in the transaction first';
        RETURN NULL;
    END IF;
    IF NEW."is_syncing" THEN
        NEW."updated_at" := now();
        IF OLD."is_syncing" IS NOT TRUE THEN
            NEW."started_at" := now();
        END IF;
    ELSIF OLD."is_syncing" THEN
        NEW."updated_at" := now();
        IF NEW."progress_percentage" NOT IN (0, 100) THEN
            NEW."progress_percentage" := 0;
        END IF;
    END IF;
    RETURN NEW;
END
$syncctl$
