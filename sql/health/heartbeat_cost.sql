-- health: what the heartbeats cost the table. Every heartbeat rewrites updated_at (and
-- progress_percentage, current_stats); PostgreSQL can make such an update HOT (no new index
-- entries, the old version pruned in place) only when no index covers a column it changes.
-- An index on one of them (e.g. `ON (updated_at) WHERE is_syncing`) makes every heartbeat
-- write an entry into every index of the table, and leaves dead entries behind.
-- Parameters: $1 (int8) the table's oid.
-- Returns the statistics collector's counts since its last reset, summed over the leaf
-- partitions of a partitioned table: updates, hot_updates (int8) and dead_tuples (int8, an
-- estimate), then rewritten_indexes (text[]): the indexes, by name, whose key, expression or
-- predicate uses a column heartbeats rewrite (their dependency on the column in pg_depend
-- says so for all three).
-- Locks: none. Cost: catalog lookups and the statistics of the table's partitions.
SELECT COALESCE(sum(s.n_tup_upd), 0)::int8     AS updates,
       COALESCE(sum(s.n_tup_hot_upd), 0)::int8 AS hot_updates,
       COALESCE(sum(s.n_dead_tup), 0)::int8    AS dead_tuples,
       ARRAY(SELECT DISTINCT i.relname::text
             FROM pg_catalog.pg_depend AS d
             JOIN pg_catalog.pg_class AS i ON i.oid = d.objid AND i.relkind IN ('i', 'I')
             JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.classid = 'pg_catalog.pg_class'::regclass
               AND d.refclassid = 'pg_catalog.pg_class'::regclass
               AND d.refobjid = $1::int8::oid
               AND a.attname IN ('updated_at', 'progress_percentage', 'current_stats')
             ORDER BY 1)                       AS rewritten_indexes
FROM pg_catalog.pg_stat_all_tables AS s
-- The table itself (pg_partition_tree lists nothing for a table that is not partitioned), and
-- the leaf partitions of a partitioned one, where its rows are.
WHERE s.relid = $1::int8::oid
   OR s.relid IN (SELECT p.relid FROM pg_catalog.pg_partition_tree($1::int8::oid) AS p WHERE p.isleaf)
