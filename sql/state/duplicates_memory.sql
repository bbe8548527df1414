-- Before state/duplicates.sql looks for repeated task_ids: work_mem for that one statement, so
-- its aggregate over every task_id (one group per row, about 160 bytes a group beside the
-- value itself, measured on PostgreSQL 15) stays in memory instead of spilling to temporary
-- files (4 MB, the default, holds some 20,000 groups: 1 M rows wrote 96 MB of temp files).
-- Sized from the table's statistics: its rows (pg_class.reltuples of the table or of its
-- partitions; from its size when never analyzed, as if 32 bytes a row, the smallest a row can
-- take) times (the task_id's average width + 192 bytes), a quarter more for the estimate's
-- error, divided by hash_mem_multiplier (a hash aggregate may use work_mem times it). Never
-- less than the work_mem in effect, and at most 1 GB: past some 7 M task ids of 60 bytes
-- (hash_mem_multiplier 2; half as many with 1, PostgreSQL 13 and 14's default) the aggregate
-- spills rather than take more of the server's memory. set_config(..., true) is SET LOCAL: it
-- ends with the transaction, and syncctl puts the previous value back (state/work_mem.sql)
-- right after the search, so the statements that follow plan with the usual work_mem.
-- $1 (oid): the table. Returns previous (text), the work_mem to put back, and work_mem (text),
-- the one now in effect. Catalog only: no lock on the table. Cost: nothing.
WITH stats AS (
    SELECT sum(CASE WHEN c.reltuples >= 0 THEN c.reltuples
                    ELSE pg_catalog.pg_relation_size(c.oid) / 32 END)::float8 AS rows,
           (SELECT max(s.avg_width)
            FROM pg_catalog.pg_stats AS s
            JOIN pg_catalog.pg_class AS sc ON sc.relname = s.tablename
            JOIN pg_catalog.pg_namespace AS sn ON sn.oid = sc.relnamespace AND sn.nspname = s.schemaname
            WHERE sc.oid = $1 AND s.attname = 'task_id') AS avg_width
    FROM pg_catalog.pg_class AS c
    -- The table itself, or the leaves of a partitioned one (pg_partition_tree() returns
    -- nothing for a plain table).
    WHERE c.oid = $1 AND c.relkind <> 'p'
       OR c.oid IN (SELECT relid FROM pg_catalog.pg_partition_tree($1) WHERE isleaf)
), wanted AS (
    SELECT pg_catalog.current_setting('work_mem') AS previous,
           -- kB, as work_mem counts.
           least(1048576, greatest(
               pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) / 1024,
               ceil(rows * (COALESCE(avg_width, 64) + 192) * 1.25
                    / pg_catalog.current_setting('hash_mem_multiplier')::float8 / 1024)))::int8 AS kb
    FROM stats
)
SELECT previous, pg_catalog.set_config('work_mem', kb || 'kB', true) AS work_mem
FROM wanted
