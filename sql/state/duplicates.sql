-- The rows that duplicate another row: of each repeated task_id, and of each user's several
-- running rows, every row but one. The one kept is the running row with the freshest
-- heartbeat, as a repair would keep it. The classifier (state/classify.sql) receives their keys
-- ({key}: the primary key, or partition and ctid, never a bare ctid, which repeats across
-- partitions); a ctid key stays valid because both statements run in one REPEATABLE READ
-- snapshot. Users and task ids are grouped by their columns' own `=` (citext: case-insensitive).
-- $1 (boolean) look for repeated task_ids; $2 (boolean) look for users with several running
-- rows. Each is false when a valid unique index already rules the case out (uniq_task_id;
-- uniq_user_running_sync, or any unique index on user_id alone, such as the primary key of a
-- table of one row per user), and the scan is then skipped.
-- Cost: an aggregate over all task_ids, in memory: state/duplicates_memory.sql gives this
-- statement the work_mem it needs (up to 1 GB: some 7 M task ids of 60 bytes with
-- hash_mem_multiplier 2, half as many with 1; beyond that it spills to
-- temporary files), and one over the running rows. MATERIALIZED runs each aggregate once: inlined, the planner
-- puts it under the inner side of a parallel hash join, where the leader and every worker build
-- it again (3x the aggregate at 1 M rows: 2.1-2.4 s instead of 1.2 s; BENCHMARKS.md).
-- No locks beyond ACCESS SHARE.
WITH repeated_task AS MATERIALIZED (
    SELECT "task_id"
    FROM {table}
    WHERE $1::boolean AND "task_id" IS NOT NULL
    GROUP BY "task_id"
    HAVING count(*) > 1
), busy_user AS MATERIALIZED (
    SELECT "user_id"
    FROM {table}
    WHERE $2::boolean AND "is_syncing"
    GROUP BY "user_id"
    HAVING count(*) > 1
)
SELECT key, 'task' AS why
FROM (SELECT {key} AS key,
             row_number() OVER (PARTITION BY t."task_id"
                                ORDER BY t."is_syncing" DESC NULLS LAST, t."updated_at" DESC NULLS LAST,
                                         t.tableoid, t.ctid) AS n
      FROM {table} AS t
      WHERE t."task_id" IN (SELECT "task_id" FROM repeated_task)) AS r
WHERE n > 1
UNION ALL
SELECT key, 'user'
FROM (SELECT {key} AS key,
             row_number() OVER (PARTITION BY t."user_id"
                                ORDER BY t."updated_at" DESC NULLS LAST, t.tableoid, t.ctid) AS n
      FROM {table} AS t
      WHERE t."is_syncing" AND t."user_id" IN (SELECT "user_id" FROM busy_user)) AS u
WHERE n > 1
