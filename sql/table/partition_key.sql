-- How the table is partitioned, when it is: the strategy and the partition key's columns
-- ('(expression)' for an expression). PostgreSQL has no global index: a unique index of a
-- partitioned table is one per partition, so it must include every partition key column to be
-- unique across the table, and it cannot be built CONCURRENTLY on the partitioned table.
-- No row when the table is not partitioned.
-- $1 (oid): the table. Catalog only.
SELECT CASE p.partstrat WHEN 'h' THEN 'HASH' WHEN 'l' THEN 'LIST' WHEN 'r' THEN 'RANGE' END
                                                                    AS strategy,
       ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
             FROM pg_catalog.unnest(p.partattrs::int2[]) WITH ORDINALITY AS k (attnum, n)
             LEFT JOIN pg_catalog.pg_attribute AS a
               ON a.attrelid = p.partrelid AND a.attnum = k.attnum AND k.attnum > 0
             ORDER BY k.n)                                          AS columns
FROM pg_catalog.pg_partitioned_table AS p
WHERE p.partrelid = $1
