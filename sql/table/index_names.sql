-- The relations of the table's schema that carry one of the names the two unique indexes may
-- have: the plain names (uniq_user_running_sync, uniq_task_id) and this table's own ones
-- (<table>_uniq_task_id, used when the plain one is taken). Index names are unique per schema,
-- not per table, so a name may belong to another table's index, or to a table or a sequence:
-- `owner` and `on_table` say whose it is. For an index, the facts its definition is judged by
-- (src/table.rs): unique, its key columns ('(expression)' for an expression), its predicate as
-- deparsed, NULLS NOT DISTINCT (a pg_index column since PostgreSQL 15, read through to_jsonb so
-- that the statement runs on 13 and 14 too), deferrable, and whether the first key column is
-- compared with a collation other than the column's own (a nondeterministic one changes what
-- counts as equal). A unique index left by a failed CREATE INDEX CONCURRENTLY is not
-- indisvalid (it may still enforce new writes).
-- $1 (oid): the table; $2 (text[]): the names. Catalog only.
SELECT c.oid                                                        AS oid,
       c.relname::text                                              AS name,
       c.relkind::text                                              AS kind,
       pg_catalog.format('%I.%I', n.nspname, c.relname)             AS qualified,
       (i.indrelid = $1) IS TRUE                                    AS on_table,
       CASE WHEN t.oid IS NOT NULL THEN pg_catalog.format('%I.%I', tn.nspname, t.relname) END
                                                                    AS owner,
       COALESCE(i.indisunique, false)                               AS is_unique,
       COALESCE(i.indisvalid AND i.indisready, false)               AS is_valid,
       COALESCE(i.indimmediate, true)                               AS is_immediate,
       ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
             FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, n)
             LEFT JOIN pg_catalog.pg_attribute AS a
               ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             WHERE k.n <= i.indnkeyatts
             ORDER BY k.n)                                          AS key_columns,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid)                AS predicate,
       COALESCE((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
                                                                    AS nulls_not_distinct,
       COALESCE(i.indcollation[0] IS DISTINCT FROM ka.attcollation, false)
                                                                    AS other_collation,
       CASE WHEN i.indexrelid IS NOT NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END
                                                                    AS definition
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = c.oid
LEFT JOIN pg_catalog.pg_class AS t ON t.oid = i.indrelid
LEFT JOIN pg_catalog.pg_namespace AS tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute AS ka ON ka.attrelid = i.indrelid AND ka.attnum = i.indkey[0]
WHERE c.relnamespace = (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = $1)
  AND c.relname = ANY ($2)
