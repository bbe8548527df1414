-- Hand-written `syncctl health --json` for user_sync_status (bench/bench.py, item 1): the same
-- statistics (total, active, zombie, inconsistent, recent completed, skewed), the five longest
-- silent zombies, the three constraint objects' state and what heartbeats cost the table.
-- Run: psql -X -A -t -v timeout=3600 -v work_mem=4MB -f health.sql  (one JSON object per line)
-- Row states as in syncctl's README ("Row states"): a zombie is a running row silent for more
-- than :timeout seconds whose heartbeat is not a whole time-zone offset off while the row keeps
-- being written (the shifted-clock rule: shifted.psql).
-- Why this is the best plan: one parallel sequential scan answers every count (count(*) needs
-- the whole table anyway); the five zombies come from a second statement that the planner serves
-- from a partial index on the running rows when one exists (uniq_user_running_sync or
-- ix_sync_updated_at), else a parallel scan with a top-5 sort; catalog and statistics last.
-- Same settings as syncctl: jit off, lock_timeout 2s, statement_timeout 60s, UTC, per transaction;
-- one READ ONLY REPEATABLE READ transaction, so all parts see one snapshot.
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL jit = off;
SET LOCAL lock_timeout = '2s';
SET LOCAL statement_timeout = '60s';
SET LOCAL TimeZone = 'UTC';
SET LOCAL work_mem = :'work_mem';

\ir shifted.psql
SELECT json_build_object(
         'total_users', count(*),
         'active_syncs', count(*) FILTER (WHERE t.is_syncing),
         'zombie_tasks', count(*) FILTER (WHERE :zombie),
         'inconsistent_tasks', count(*) FILTER (WHERE :inconsistent),
         'recent_completed_syncs', count(*) FILTER (WHERE NOT t.is_syncing AND t.progress_percentage = 100
                                                    AND t.updated_at >= now() - interval '1 hour'),
         'skewed_tasks', count(*) FILTER (WHERE :shifted OR :future),
         'half_released_live_tasks', count(*) FILTER (WHERE t.is_syncing AND t.error_message IS NOT NULL
                                                      AND NOT (:zombie))) AS report,
       count(*) FILTER (WHERE :shifted) > 0 AS any_shifted
FROM user_sync_status AS t \gset
\echo :report

-- health's warning names the first five shifted writers' tasks: only when there are any (the
-- count above), as syncctl does; the partial unique index on task_id serves the order when valid.
\if :any_shifted
SELECT json_build_object('shifted_task_ids', COALESCE(json_agg(task_id ORDER BY task_id), '[]'))
FROM (SELECT t.task_id FROM user_sync_status AS t
      WHERE t.is_syncing AND :shifted ORDER BY t.task_id LIMIT 5) AS s;
\endif

-- The five longest silent zombies: `is_syncing` spelled out so a partial index on the running
-- rows serves; ORDER BY the stored heartbeat so an index on (updated_at) WHERE is_syncing walks
-- the oldest first and stops after five.
SELECT json_build_object('zombie_task_ids', COALESCE(json_agg(task_id ORDER BY n), '[]'))
FROM (SELECT t.task_id, row_number() OVER (ORDER BY t.updated_at ASC NULLS LAST) AS n
      FROM user_sync_status AS t
      WHERE t.is_syncing AND :zombie
      ORDER BY t.updated_at ASC NULLS LAST
      LIMIT 5) AS z;

-- The constraint objects and the heartbeat cost: catalog and statistics only.
SELECT json_build_object(
         'check_valid', (SELECT convalidated FROM pg_constraint
                         WHERE conrelid = 'user_sync_status'::regclass AND conname = 'chk_sync_state_consistency'),
         'unique_indexes', (SELECT json_object_agg(c.relname, i.indisvalid AND i.indisready)
                            FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
                            WHERE i.indrelid = 'user_sync_status'::regclass
                              AND c.relname IN ('uniq_user_running_sync', 'uniq_task_id')),
         'updates', s.n_tup_upd, 'hot_updates', s.n_tup_hot_upd, 'dead_tuples', s.n_dead_tup,
         'rewritten_indexes', ARRAY(SELECT DISTINCT i.relname::text
                                    FROM pg_depend AS d
                                    JOIN pg_class AS i ON i.oid = d.objid AND i.relkind IN ('i', 'I')
                                    JOIN pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                                      AND d.refobjid = 'user_sync_status'::regclass
                                      AND a.attname IN ('updated_at', 'progress_percentage', 'current_stats')))
FROM pg_stat_user_tables AS s
WHERE s.relid = 'user_sync_status'::regclass;
COMMIT;
