-- Hand-written `syncctl validate-constraints` for user_sync_status (bench/bench.py, item 3): the
-- totals of the four checks that stop the three constraints from being added.
--   check-predicate    rows violating chk_sync_state_consistency (NULLs apart)
--   null-state         is_syncing or progress_percentage NULL
--   duplicate-running  a user's second running row (uniq_user_running_sync would refuse it)
--   duplicate-task-id  a repeated task_id beyond its first row (uniq_task_id would refuse it)
-- Run: psql -X -A -t -v work_mem=4MB -f validate.sql
-- Why this is the best plan: the two predicate checks are FILTERed counts of one parallel
-- sequential scan. user_id is the table's primary key, so no user has a second row at all:
-- duplicate-running is 0 by the key, no scan. duplicate-task-id needs every task_id compared
-- unless a valid unique index on task_id already rules repeats out (the catalog says, at the
-- cost of one lookup). The cheapest comparison that fits in memory is a parallel sort of one
-- 64-bit hash a row (hashtextextended, which agrees with text's `=`: a datum sort, 24 bytes a
-- row on PostgreSQL 15, against some 220 for a hash aggregate over the text values), hash
-- aggregation off so the planner cannot pick an aggregate that spills; the hashes seen twice
-- are only candidates, their rows counted by the value itself (none in the benchmark's data, so
-- that second read is skipped). One pass: a hand-written query knows its workers run, each
-- sorting a third of the rows; syncctl, which cannot, cuts the search into passes past 1 GB.
-- This file takes the same work_mem as syncctl's statement (-v work_mem; bench.py
-- --hand-work-mem).
-- Same settings as syncctl: jit off, lock_timeout 2s, statement_timeout 60s, UTC; READ ONLY.
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL jit = off;
SET LOCAL lock_timeout = '2s';
SET LOCAL statement_timeout = '60s';
SET LOCAL TimeZone = 'UTC';
SET LOCAL work_mem = :'work_mem';

SELECT json_build_object(
         'check-predicate', count(*) FILTER (WHERE t.is_syncing IS NOT NULL AND t.progress_percentage IS NOT NULL
                                             AND NOT ((t.is_syncing AND t.progress_percentage BETWEEN 0 AND 99)
                                                      OR (NOT t.is_syncing AND t.progress_percentage IN (0, 100)))),
         'null-state', count(*) FILTER (WHERE t.is_syncing IS NULL OR t.progress_percentage IS NULL),
         'duplicate-running', 0)
FROM user_sync_status AS t;

SELECT EXISTS (SELECT FROM pg_index AS i
               JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
               WHERE i.indrelid = 'user_sync_status'::regclass AND i.indisunique AND i.indisvalid
                 AND i.indnkeyatts = 1 AND a.attname = 'task_id' AND i.indpred IS NULL
                 AND i.indexprs IS NULL) AS task_id_unique \gset
\if :task_id_unique
SELECT json_build_object('duplicate-task-id', 0);
\else
SET LOCAL enable_hashagg = off;
SELECT count(*) > 0 AS any_candidate, COALESCE(array_agg(h), '{}')::text AS candidates
FROM (SELECT h
      FROM (SELECT hashtextextended(task_id, 0) AS h FROM user_sync_status WHERE task_id IS NOT NULL) AS hashed
      GROUP BY h
      HAVING count(*) > 1) AS c \gset
SET LOCAL enable_hashagg = on;
\if :any_candidate
SELECT json_build_object('duplicate-task-id', COALESCE(sum(n - 1), 0))
FROM (SELECT count(*) AS n
      FROM user_sync_status
      WHERE task_id IS NOT NULL
        AND hashtextextended(task_id, 0) IN (SELECT unnest(:'candidates'::int8[]))
      GROUP BY task_id
      HAVING count(*) > 1) AS d;
\else
SELECT json_build_object('duplicate-task-id', 0);
\endif
\endif
COMMIT;
