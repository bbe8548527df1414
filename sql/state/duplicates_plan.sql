-- Before the search for repeated task_ids (state/duplicate_hashes.sql, then
-- state/duplicates.sql): how to run it so that it never writes a temporary file, with a bounded
-- amount of memory, at any table size.
-- The search sorts one 64-bit hash per row (the task_id type's own extended hash function, so
-- values its `=` calls equal hash alike) and keeps the hashes seen twice; a sort of one int8
-- column is a sort of bare datums, 24 bytes a row in memory on PostgreSQL 15 and later (its
-- SortTuple; measured), some 80 on 13 and 14, which sort a small tuple per row. When the table's
-- rows would need more than 1 GB (some 35 M rows on 15), the hash space is cut into passes
-- (hash modulo passes), one sort each, every pass fitting in 1 GB (or in work_mem, when that
-- is larger): the memory the search can take is bounded whatever the table's size, at the cost
-- of one more read of the table per pass. 1 GB rather than less because each pass is a whole
-- read of the table: the hash aggregate this replaced took 2 GB at 10 M rows and still spilled.
-- Rows: of the table or of its partitions' leaves, as the planner counts them: pg_class's
-- density (reltuples / relpages) times the current size, so a table grown since its last
-- ANALYZE is not under-counted; from its size when never analyzed, as if 32 bytes a row (the
-- smallest a row can take). A quarter more for the estimate's error.
-- Returns: previous_work_mem and previous_hashagg, the settings to put back
-- (state/work_mem.sql); passes (int8); task_hash_schema and task_hash_function, the 64-bit
-- hash function of task_id's type (table/hash_function.sql; NULL when the type has none: the
-- search then hashes the value's text).
-- Sets, for the rest of the transaction until state/work_mem.sql (set_config(..., true) is
-- SET LOCAL): work_mem to what one pass needs (never less than the work_mem in effect) and
-- enable_hashagg off: a hash aggregate over the hashes would take some 130 bytes a row
-- (measured) and, planned on its own estimate, could still spill.
-- $1 (oid): the table. Catalog only: no lock on the table. Cost: nothing.
--- {hash_function} is table/hash_function.sql, filled for task_id and support function 2.
WITH stats AS (
    SELECT sum(CASE WHEN c.reltuples >= 0 AND c.relpages > 0
                    THEN c.reltuples / c.relpages
                         * (pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::float8)
                    ELSE pg_catalog.pg_relation_size(c.oid) / 32.0 END)::float8 AS rows
    FROM pg_catalog.pg_class AS c
    -- The table itself, or the leaves of a partitioned one (pg_partition_tree() returns
    -- nothing for a plain table).
    WHERE c.oid = $1 AND c.relkind <> 'p'
       OR c.oid IN (SELECT relid FROM pg_catalog.pg_partition_tree($1) WHERE isleaf)
), need AS (
    SELECT COALESCE(rows, 0) * 1.25
           * CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 150000 THEN 24 ELSE 80 END
           / 1024 AS kb,
           -- kB, as work_mem counts.
           greatest(pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) / 1024, 1048576) AS bound_kb
    FROM stats
), plan AS (
    SELECT pg_catalog.current_setting('work_mem') AS previous_work_mem,
           pg_catalog.current_setting('enable_hashagg') AS previous_hashagg,
           greatest(1, ceil(kb / bound_kb))::int8 AS passes,
           kb
    FROM need
)
SELECT p.previous_work_mem, p.previous_hashagg, p.passes,
       h.hash_schema AS task_hash_schema, h.hash_function AS task_hash_function,
       pg_catalog.set_config('work_mem',
                             greatest(pg_catalog.pg_size_bytes(p.previous_work_mem) / 1024,
                                      ceil(p.kb / p.passes))::int8 || 'kB', true) AS work_mem,
       pg_catalog.set_config('enable_hashagg', 'off', true) AS enable_hashagg
FROM plan AS p
LEFT JOIN LATERAL (
    {hash_function}
) AS h ON true
