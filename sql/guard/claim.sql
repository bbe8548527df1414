-- guard API: claim the user's sync, with the semantics of `syncctl start` (its
-- start/update_task.sql and start/insert_task.sql run here as they are):
--   1. every claim of one user is serialised by the transaction-level advisory lock start
--      takes (the table's oid, the hash of user_id's own type), so two clicks at once, or a
--      click beside `syncctl start`, make one task;
--   2. the user's running row with a heartbeat newer than p_timeout is reused: its task id
--      comes back with outcome 'reused';
--   3. a running row whose heartbeat is older is released (progress 0, its error kept, and
--      " - released by syncctl guard: no heartbeat for 1m 13s at 2026-12-02T11:12:30Z"
--      appended, the time in UTC), and a new task follows with outcome 'taken_over';
--   4. otherwise a new task, outcome 'claimed': task id sync_<user>_<8 hex>_<unix seconds>,
--      running, progress 0, stats {}, started_at = updated_at = now(); on a table that keeps
--      one row per user it is written over the user's row (the previous error moves into
--      current_stats.previous_task, as start does), else inserted.
-- Commit right after it, then start the work: the lock is held until the transaction ends.
--   SELECT task_id, outcome FROM {claim_name}(:user_id, :force_full);
-- Works for a role with SELECT, INSERT and UPDATE on the table (SECURITY INVOKER; and USAGE on
-- the sequence of a serial key).
-- Locks: the advisory lock; the user's running rows FOR UPDATE; ROW EXCLUSIVE on the table.
-- Cost: an index lookup of the user's running rows (uniq_user_running_sync), and one write.
CREATE OR REPLACE FUNCTION {claim_function}(
    p_user_id    {table}."user_id"%TYPE,
    p_force_full boolean DEFAULT false,
    p_timeout    interval DEFAULT interval '60 seconds')
RETURNS TABLE (task_id text, outcome text)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
SET TimeZone = {timestamp_zone}
AS $syncctl$
#variable_conflict use_column
DECLARE
    v_table    regclass := {table_literal}::regclass;
    v_one      boolean;
    v_schema   text;
    v_hash     text;
    v_key      int4;
    v_row      record;
    v_silence  int8;
    v_outcome  text := 'claimed';
    v_task     text;
BEGIN
    IF p_user_id IS NULL THEN
        RAISE EXCEPTION 'no user id given' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE {user_identity_literal} INTO v_one, v_schema, v_hash USING v_table::oid;
    -- start/lock_user.sql's lock: the oid reinterpreted as int4 as syncctl sends it, and the
    -- hash function of user_id's type (table/user_identity.sql), the text's when it has none.
    v_key := (v_table::oid::int8 - CASE WHEN v_table::oid::int8 > 2147483647 THEN 4294967296 ELSE 0 END)::int4;
    IF v_hash IS NULL THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(v_key, pg_catalog.hashtext(p_user_id::text));
    ELSE
        EXECUTE format('SELECT pg_catalog.pg_advisory_xact_lock($1, %I.%I($2))', v_schema, v_hash)
            USING v_key, p_user_id;
    END IF;
    FOR v_row IN
        SELECT t.tableoid AS part, t.ctid AS slot, t."task_id"::text AS task,
               CASE WHEN isfinite(t."updated_at") THEN t."updated_at"::timestamptz END AS beat
        FROM {table} AS t
        WHERE t."user_id" = p_user_id AND t."is_syncing"
        ORDER BY 4 DESC NULLS LAST
        FOR UPDATE
    LOOP
        IF v_row.beat >= now() - p_timeout THEN
            RETURN QUERY SELECT v_row.task, 'reused'::text;
            RETURN;
        END IF;
        v_silence := floor(extract(epoch FROM now() - v_row.beat));
        UPDATE {table} AS t
        SET "is_syncing" = false,
            "progress_percentage" = 0,
            "error_message" = concat_ws(' - ', NULLIF(t."error_message"::text, ''),
                'released by syncctl guard: '
                || COALESCE('no heartbeat for '
                            || (SELECT {duration} FROM (SELECT v_silence AS s) AS silence),
                            'no heartbeat recorded')
                || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            "updated_at" = now()
        WHERE t.tableoid = v_row.part AND t.ctid = v_row.slot;
        v_outcome := 'taken_over';
    END LOOP;
    v_task := 'sync_' || p_user_id::text || '_' || left(replace(gen_random_uuid()::text, '-', ''), 8)
              || '_' || floor(extract(epoch FROM now()))::int8;
    IF v_one THEN
        EXECUTE {update_task_literal}
            USING p_user_id, v_task, CASE WHEN p_force_full THEN 'full' ELSE 'incremental' END, '{}'::text;
        IF FOUND THEN
            RETURN QUERY SELECT v_task, v_outcome;
            RETURN;
        END IF;
    END IF;
    EXECUTE {insert_task_literal}
        USING p_user_id, v_task, CASE WHEN p_force_full THEN 'full' ELSE 'incremental' END,
              (json_populate_record(NULL::{table}, json_build_object('current_stats', '{}'::json)))."current_stats";
    RETURN QUERY SELECT v_task, v_outcome;
END
$syncctl$
