-- health: the whole report in one statement (one round trip): the original service's
-- statistics with the counts behind the warnings, up to five zombies, the guard's status and
-- what the heartbeats cost the table.
-- Parameters: $1..$6 see state/classify.sql (health passes empty duplicate lists: it counts no
--   duplicates; the unique indexes' status covers them); $7..$10 what the guard's objects
--   should be (guard/objects.sql: names, bodies, config, trigger); $11 (int8) the table's oid.
-- Returns one row: the statistics (total_users is an exact count(*), as in the seed), the
-- zombies' columns as arrays in the same order, the guard's objects' columns as arrays in
-- install's order, and the heartbeat cost.
-- Locks: none beyond ACCESS SHARE. Cost: one (parallel) scan for the statistics, in which
-- every aggregate is computed in parts (a Partial Aggregate in each worker, under Gather); a
-- second scan for the zombies only when there is one to show, and one for the shifted writers'
-- task ids only when there is one, each keeping only its first five rows (no sort or
-- tuplestore of all the matching rows: nothing spills to disk); catalog lookups.
--- Placeholders: {classify} the classifier (state/classify.sql), {guard_objects}
--- guard/objects.sql filled for the guard.
WITH guard_args AS (
    SELECT $7::text[] AS names, $8::text[] AS bodies, $9::text[] AS config, $10::text AS trigger
), statistics AS (
    SELECT count(*)                                                  AS total_users,
           count(*) FILTER (WHERE is_syncing)                        AS active_syncs,
           count(*) FILTER (WHERE zombie)                            AS zombie_tasks,
           count(*) FILTER (WHERE inconsistent)                      AS inconsistent_tasks,
           count(*) FILTER (WHERE completed
                            AND updated_at >= now() - interval '1 hour') AS recent_completed_syncs,
           count(*) FILTER (WHERE skewed)                            AS skewed_tasks,
           -- Writers storing a shifted clock (state/skew_offset.sql): how many, and by which
           -- offsets. An offset is a whole number k of quarter hours, 1 to 56 either way: bit k
           -- of one mask for those behind the clock, of the other for those ahead (bit_or,
           -- unlike array_agg(DISTINCT ...), combines the workers' partial results). Only
           -- running rows have an offset: the FILTER tests is_syncing first, so for a stopped
           -- row each mask costs one step instead of the inlined offset rule twice over (a CASE
           -- around it took a tenth of the aggregate's time at 1 M rows).
           count(*) FILTER (WHERE skew_offset_seconds IS NOT NULL)   AS shifted_tasks,
           COALESCE(bit_or(1::int8 << (-skew_offset_seconds / 900)::int4)
                    FILTER (WHERE is_syncing AND skew_offset_seconds < 0), 0) AS shifted_behind,
           COALESCE(bit_or(1::int8 << (skew_offset_seconds / 900)::int4)
                    FILTER (WHERE is_syncing AND skew_offset_seconds > 0), 0) AS shifted_ahead,
           count(*) FILTER (WHERE half_released AND NOT zombie)      AS half_released_live_tasks
    FROM ({classify}) AS classified
), zombie AS (
    -- Up to five zombies, the longest silent first (the seed's zombie_task_details, with
    -- silent_seconds beside its whole silent_minutes). `is_syncing` and the order by the stored
    -- heartbeat are spelled out so that an index on updated_at of running rows (e.g. `ON
    -- (updated_at) WHERE is_syncing`) serves both: the scan walks the oldest heartbeats first
    -- and stops after five zombies. Without one, a scan of the table (or of the running rows,
    -- through a partial index of them such as uniq_user_running_sync). Rows that never
    -- heartbeated (NULL) come last, as in that index.
    SELECT key, task_id, user_id, started_at, updated_at, heartbeat_at, silent_seconds
    FROM ({classify}) AS classified
    WHERE is_syncing AND zombie
    ORDER BY heartbeat_at ASC NULLS LAST
    LIMIT 5
), guard AS (
{guard_objects}
), cost AS (
    -- What the heartbeats cost the table. Every heartbeat rewrites updated_at (and
    -- progress_percentage, current_stats); PostgreSQL can make such an update HOT (no new
    -- index entries, the old version pruned in place) only when no index covers a column it
    -- changes. The statistics collector's counts since its last reset, summed over the leaf
    -- partitions of a partitioned table: updates, hot_updates and dead_tuples (an estimate);
    -- and the indexes, by name, whose key, expression or predicate uses a column heartbeats
    -- rewrite (their dependency on the column in pg_depend says so for all three): each makes
    -- every heartbeat write an entry into every index of the table, and leaves dead ones.
    SELECT COALESCE(sum(s.n_tup_upd), 0)::int8     AS updates,
           COALESCE(sum(s.n_tup_hot_upd), 0)::int8 AS hot_updates,
           COALESCE(sum(s.n_dead_tup), 0)::int8    AS dead_tuples,
           ARRAY(SELECT DISTINCT i.relname::text
                 FROM pg_catalog.pg_depend AS d
                 JOIN pg_catalog.pg_class AS i ON i.oid = d.objid AND i.relkind IN ('i', 'I')
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_catalog.pg_class'::regclass
                   AND d.refclassid = 'pg_catalog.pg_class'::regclass
                   AND d.refobjid = $11::int8::oid
                   AND a.attname IN ('updated_at', 'progress_percentage', 'current_stats')
                 ORDER BY 1)                       AS rewritten_indexes
    FROM pg_catalog.pg_stat_all_tables AS s
    -- The table itself (pg_partition_tree lists nothing for a table that is not partitioned),
    -- and the leaf partitions of a partitioned one, where its rows are.
    WHERE s.relid = $11::int8::oid
       OR s.relid IN (SELECT p.relid FROM pg_catalog.pg_partition_tree($11::int8::oid) AS p WHERE p.isleaf)
)
SELECT now()                                                         AS now,
       s.total_users, s.active_syncs, s.zombie_tasks, s.inconsistent_tasks, s.recent_completed_syncs,
       s.skewed_tasks, s.shifted_tasks, s.half_released_live_tasks,
       -- The shifted writers' offsets in seconds, ascending (negative: behind the clock).
       ARRAY(SELECT m.sign * 900 * k
             FROM generate_series(1, 56) AS k,
                  (VALUES (-1, s.shifted_behind), (1, s.shifted_ahead)) AS m (sign, mask)
             WHERE m.mask & (1::int8 << k) <> 0
             ORDER BY 1)::int8[]                                     AS shifted_offsets,
       -- The first five of their task ids, for the warning that names them: scanned for only
       -- when there is one (a subquery under CASE runs only when its value is needed).
       CASE WHEN s.shifted_tasks > 0
            THEN ARRAY(SELECT COALESCE(task_id, 'NULL')
                       FROM ({classify}) AS classified
                       WHERE is_syncing AND skew_offset_seconds IS NOT NULL
                       ORDER BY task_id
                       LIMIT 5)
            ELSE '{}' END                                            AS shifted_task_ids,
       z.zombie_task_ids, z.zombie_user_ids, z.zombie_started_at, z.zombie_last_update,
       z.zombie_silent_minutes, z.zombie_silent_seconds,
       g.guard_objects, g.guard_kinds, g.guard_found, g.guard_current,
       c.updates, c.hot_updates, c.dead_tuples, c.rewritten_indexes
FROM statistics AS s
CROSS JOIN cost AS c
-- The zombies, read only when there is one to show (the condition on s is tested once, before
-- the zombie CTE is ever run).
CROSS JOIN LATERAL (
    SELECT COALESCE(array_agg(task_id ORDER BY heartbeat_at ASC NULLS LAST, key), '{}') AS zombie_task_ids,
           COALESCE(array_agg(user_id ORDER BY heartbeat_at ASC NULLS LAST, key), '{}') AS zombie_user_ids,
           COALESCE(array_agg(started_at ORDER BY heartbeat_at ASC NULLS LAST, key), '{}') AS zombie_started_at,
           COALESCE(array_agg(updated_at ORDER BY heartbeat_at ASC NULLS LAST, key), '{}') AS zombie_last_update,
           COALESCE(array_agg(floor(silent_seconds / 60)::int8 ORDER BY heartbeat_at ASC NULLS LAST, key),
                    '{}') AS zombie_silent_minutes,
           COALESCE(array_agg(silent_seconds ORDER BY heartbeat_at ASC NULLS LAST, key), '{}') AS zombie_silent_seconds
    FROM zombie
    WHERE s.zombie_tasks > 0
) AS z
CROSS JOIN (
    SELECT array_agg(object ORDER BY position) AS guard_objects,
           array_agg(kind ORDER BY position) AS guard_kinds,
           array_agg(found ORDER BY position) AS guard_found,
           array_agg(current ORDER BY position) AS guard_current
    FROM guard
) AS g
