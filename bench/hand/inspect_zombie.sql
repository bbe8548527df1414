-- Hand-written `syncctl inspect --state zombie --json` for user_sync_status (bench/bench.py,
-- item 2): how many rows are in each state (duplicates not searched, as syncctl reports
-- "duplicate": null for --state zombie), and the first :limit zombie rows, worst first (the
-- half-released first, then the longest silent, then the key).
-- Run: psql -X -A -t -v timeout=3600 -v limit=50 -v work_mem=4MB -f inspect_zombie.sql
-- Row states: README "Row states"; the shared predicates are in shifted.psql.
-- Why this is the best plan: the counts need every row: one parallel sequential scan with
-- FILTERed counts (partial aggregates in the workers, no sort, no hash). The rows are 0.4 % of
-- the table: `is_syncing` spelled out lets a partial index on the running rows
-- (uniq_user_running_sync, ix_sync_updated_at) serve them; without one, a parallel scan with a
-- top-N sort. Both statements in one READ ONLY REPEATABLE READ transaction (one snapshot), with
-- syncctl's settings (jit off, lock_timeout 2s, statement_timeout 60s, UTC).
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL jit = off;
SET LOCAL lock_timeout = '2s';
SET LOCAL statement_timeout = '60s';
SET LOCAL TimeZone = 'UTC';
SET LOCAL work_mem = :'work_mem';
\ir shifted.psql

SELECT json_build_object('counts', json_build_object(
         'zombie', count(*) FILTER (WHERE :zombie),
         'half-released', count(*) FILTER (WHERE t.is_syncing AND t.error_message IS NOT NULL),
         'inconsistent', count(*) FILTER (WHERE :inconsistent),
         'duplicate', NULL,
         'skewed', count(*) FILTER (WHERE :shifted OR :future),
         'running', count(*) FILTER (WHERE t.is_syncing AND t.progress_percentage BETWEEN 0 AND 99
                                     AND t.updated_at >= now() - make_interval(secs => :timeout)),
         'failed', count(*) FILTER (WHERE NOT t.is_syncing AND t.progress_percentage = 0
                                    AND t.error_message IS NOT NULL),
         'completed', count(*) FILTER (WHERE NOT t.is_syncing AND t.progress_percentage = 100),
         'idle', count(*) FILTER (WHERE NOT t.is_syncing AND t.progress_percentage = 0
                                  AND t.error_message IS NULL)))
FROM user_sync_status AS t;

SELECT json_build_object('task_ids', COALESCE(json_agg(task_id ORDER BY n), '[]'))
FROM (SELECT t.task_id,
             row_number() OVER (ORDER BY t.error_message IS NOT NULL DESC, :inconsistent DESC,
                                         :future DESC,
                                         extract(epoch FROM now() - t.updated_at) DESC NULLS FIRST,
                                         t.user_id::text) AS n
      FROM user_sync_status AS t
      WHERE t.is_syncing AND :zombie
      ORDER BY t.error_message IS NOT NULL DESC, :inconsistent DESC, :future DESC,
               extract(epoch FROM now() - t.updated_at) DESC NULLS FIRST, t.user_id::text
      LIMIT :limit) AS z;
COMMIT;
