-- The rows that duplicate another row: of each repeated task_id, and of each user's several
-- running rows, every row but one. The one kept is the running row with the freshest
-- heartbeat, as a repair would keep it. The classifier (state/classify.sql) receives their keys
-- ({key}: the primary key, or partition and ctid, never a bare ctid, which repeats across
-- partitions); a ctid key stays valid because both statements run in one REPEATABLE READ
-- snapshot. Users and task ids are grouped by their columns' own `=` (citext: case-insensitive).
-- $1 (int8[]): the hashes of task_id that several rows share (state/duplicate_hashes.sql), or
-- NULL when no repeated task_id is looked for (a valid uniq_task_id rules them out): the rows
-- whose task_id hashes to one of them are grouped by the task_id itself, so a hash collision
-- never makes a duplicate. $2 (boolean) look for users with several running rows: false when a
-- valid unique index already rules the case out (uniq_user_running_sync, or any unique index on
-- user_id alone, such as the primary key of a table of one row per user), and that scan is then
-- skipped.
-- Cost: one read of the table for the candidates' rows (the hash of every row probed in a hash
-- table of the candidates), and an aggregate over the running rows. MATERIALIZED runs the
-- aggregate once: inlined, the planner puts it under the inner side of a parallel hash join,
-- where the leader and every worker build it again (3x the aggregate at 1 M rows; BENCHMARKS.md).
-- No locks beyond ACCESS SHARE.
WITH candidate AS MATERIALIZED (
    SELECT pg_catalog.unnest($1::int8[]) AS "h"
), busy_user AS MATERIALIZED (
    SELECT "user_id"
    FROM {table}
    WHERE $2::boolean AND "is_syncing"
    GROUP BY "user_id"
    HAVING count(*) > 1
)
SELECT key, 'task' AS why
FROM (SELECT {key} AS key,
             count(*) OVER (PARTITION BY t."task_id") AS rows,
             row_number() OVER (PARTITION BY t."task_id"
                                ORDER BY t."is_syncing" DESC NULLS LAST, t."updated_at" DESC NULLS LAST,
                                         t.tableoid, t.ctid) AS n
      FROM {table} AS t
      WHERE $1 IS NOT NULL AND t."task_id" IS NOT NULL
        AND {task_hash} IN (SELECT "h" FROM candidate)) AS r
WHERE n > 1 AND rows > 1
UNION ALL
SELECT key, 'user'
FROM (SELECT {key} AS key,
             row_number() OVER (PARTITION BY t."user_id"
                                ORDER BY t."updated_at" DESC NULLS LAST, t.tableoid, t.ctid) AS n
      FROM {table} AS t
      WHERE t."is_syncing" AND t."user_id" IN (SELECT "user_id" FROM busy_user)) AS u
WHERE n > 1
