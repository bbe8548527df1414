-- Hand-written `syncctl reap` for user_sync_status (bench/bench.py, item 4): release every zombie
-- (running, silent for longer than :timeout seconds or never heartbeated, not a shifted clock
-- still written: shifted.psql) in batches of :batch rows, one transaction each, exactly as reap
-- leaves them: is_syncing false, progress 0, updated_at now(), and
-- " - released by hand: no heartbeat for 16m 20s at 2026-12-02T11:12:30Z" appended to the error.
-- Run: psql -X -A -t -v timeout=3600 -v batch=1000 -f reap.sql   (prints the released count)
-- Why this is the best plan: one read of the dead rows' physical addresses (ctid), by a
-- parallel sequential scan, or by a partial index on the running rows when there is one; then
-- each batch is a TID scan of exactly its rows (no rescan of rows already released: linear in
-- the number of batches). Each UPDATE re-checks the zombie rule on the row it reaches, so a row
-- that heartbeated since (or was moved: another ctid) is left alone. Per batch the settings
-- syncctl sets on its writers: lock_timeout 2s, statement_timeout 60s, jit off, UTC.
-- psql does not expand variables inside a dollar-quoted body, so the DO block is assembled
-- as a string from the predicates of shifted.psql and run by \gexec.
\ir shifted.psql
SELECT $body$
DO $reap$
DECLARE
    dead tid[];
    released int8 := 0;
    n int8;
    i int := 1;
BEGIN
    PERFORM set_config('jit', 'off', true), set_config('TimeZone', 'UTC', true);
    SELECT array_agg(t.ctid) INTO dead
    FROM user_sync_status AS t
    WHERE t.is_syncing AND $body$ || :'zombie' || $body$;
    COMMIT;
    WHILE i <= COALESCE(cardinality(dead), 0) LOOP
        PERFORM set_config('lock_timeout', '2s', true), set_config('statement_timeout', '60s', true),
                set_config('jit', 'off', true), set_config('TimeZone', 'UTC', true);
        UPDATE user_sync_status AS t
        SET is_syncing = false,
            progress_percentage = 0,
            updated_at = now(),
            error_message = concat_ws(' - ', t.error_message,
                'released by hand: ' || COALESCE('no heartbeat for ' || (
                    SELECT CASE WHEN s < 60 THEN s || 's'
                                WHEN s < 3600 THEN s / 60 || 'm ' || s % 60 || 's'
                                WHEN s < 86400 THEN s / 3600 || 'h ' || s % 3600 / 60 || 'm'
                                ELSE s / 86400 || 'd ' || s % 86400 / 3600 || 'h' END
                    FROM (SELECT floor(extract(epoch FROM now() - t.updated_at))::int8 AS s) AS silence),
                    'no heartbeat recorded')
                || ' at ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        WHERE t.ctid = ANY (dead[i:i + $body$ || :'batch' || $body$ - 1])
          AND t.is_syncing AND $body$ || :'zombie' || $body$;
        GET DIAGNOSTICS n = ROW_COUNT;
        released := released + n;
        COMMIT;
        i := i + $body$ || :'batch' || $body$;
    END LOOP;
    RAISE NOTICE 'released %', released;
END
$reap$
$body$ \gexec
