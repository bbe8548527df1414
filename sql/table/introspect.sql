-- Everything syncctl needs to know of --table, in one statement and one round trip: which
-- relation the name resolves to, what the server is, the table's columns, primary key, the
-- CHECK named chk_sync_state_consistency, the relations carrying the two unique indexes' names,
-- its partitioning, and how user_id compares.
--
-- Parameters:
--   $1 (regclass, sent as text): the name as syncctl quoted it, e.g. "Sync Ops"."user_sync_status",
--      resolved exactly as PostgreSQL resolves it in a query (an unqualified name follows
--      search_path). No such relation (or schema) is an error: SQLSTATE 42P01 (or 3F000).
--   $2 (text): the CHECK's name.
--   $3 (text[]): the names the two unique indexes may have: the plain names
--      (uniq_user_running_sync, uniq_task_id) and this table's own ones (<table>_uniq_task_id,
--      used when the plain one is taken).
-- Returns one row. Locks: none (catalog only: no lock on the table, no privilege on it needed).
-- Cost: a handful of catalog index lookups by the table's oid or by (name, schema); no scan of
-- a whole catalog, and pg_get_indexdef / pg_get_expr run only for the few named indexes.
--
-- columns (jsonb, in column order): name, type_name (as PostgreSQL writes it), base_type (the
--   type's oid; a domain counts as its base type, so a domain over boolean is still accepted as
--   is_syncing) and not_null.
-- key (text[]): the primary key's columns in key order (any name, any type, possibly several;
--   empty without one).
-- check (jsonb, NULL when there is none): the constraint with the CHECK's name, whatever its
--   type, with what syncctl needs to compare its definition with the consistency predicate
--   (src/table.rs, expected_check_definitions): pg_get_constraintdef deparses the predicate
--   differently for a column whose type is a domain (`(progress_percentage)::integer`), so say
--   which columns are. A CHECK added NOT VALID and not yet validated has convalidated = false;
--   the deparsed text then ends in " NOT VALID". Names are unique per table: at most one.
-- named (jsonb): the relations of the table's schema that carry one of the names $3. Index
--   names are unique per schema, not per table, so a name may belong to another table's index,
--   or to a table or a sequence: on_table and owner say whose it is. For an index, the facts
--   its definition is judged by (src/table.rs): unique, its key columns ('(expression)' for an
--   expression), its predicate as deparsed, NULLS NOT DISTINCT (a pg_index column since
--   PostgreSQL 15, read through to_jsonb so that the statement runs on 13 and 14 too),
--   deferrable, and whether the first key column is compared with a collation other than the
--   column's own (a nondeterministic one changes what counts as equal). A unique index left by
--   a failed CREATE INDEX CONCURRENTLY is not indisvalid (it may still enforce new writes).
-- partitioning (jsonb, NULL when the table is not partitioned): the strategy and the partition
--   key's columns ('(expression)' for an expression). PostgreSQL has no global index: a unique
--   index of a partitioned table is one per partition, so it must include every partition key
--   column to be unique across the table, and it cannot be built CONCURRENTLY on the
--   partitioned table.
-- one_row_per_user, hash_schema, hash_function: table/user_identity.sql.
-- standby, replay_lag_seconds, version, port: session/server.sql.
--- {user_identity} and {server} are those two files, filled in whole as subqueries.
SELECT c.oid                                                        AS oid,
       n.nspname::text                                              AS schema,
       c.relname::text                                              AS name,
       c.relkind::text                                              AS kind,
       s.standby, s.replay_lag_seconds, s.version, s.port,
       (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'name', a.attname::text,
                   'base_type', COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)::int8,
                   'type_name', pg_catalog.format_type(a.atttypid, a.atttypmod),
                   'not_null', a.attnotnull) ORDER BY a.attnum), '[]')
        FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
                                                                    AS columns,
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.pg_index AS i
             JOIN pg_catalog.pg_attribute AS a
               ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
             WHERE i.indrelid = c.oid AND i.indisprimary
             ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum))
                                                                    AS key,
       (SELECT pg_catalog.jsonb_build_object(
                   'contype', con.contype::text,
                   'validated', con.convalidated,
                   'definition', pg_catalog.pg_get_constraintdef(con.oid),
                   'progress_is_domain',
                   EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                           JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
                           WHERE a.attrelid = c.oid AND a.attname = 'progress_percentage'
                             AND t.typtype = 'd'),
                   'syncing_is_domain',
                   EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                           JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
                           WHERE a.attrelid = c.oid AND a.attname = 'is_syncing'
                             AND t.typtype = 'd'))
        FROM pg_catalog.pg_constraint AS con
        WHERE con.conrelid = c.oid AND con.conname = $2)             AS "check",
       (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'oid', o.oid::int8,
                   'name', o.relname::text,
                   'kind', o.relkind::text,
                   'qualified', pg_catalog.format('%I.%I', n.nspname, o.relname),
                   'on_table', (i.indrelid = c.oid) IS TRUE,
                   'owner', CASE WHEN ot.oid IS NOT NULL
                                 THEN pg_catalog.format('%I.%I', otn.nspname, ot.relname) END,
                   'is_unique', COALESCE(i.indisunique, false),
                   'is_valid', COALESCE(i.indisvalid AND i.indisready, false),
                   'is_immediate', COALESCE(i.indimmediate, true),
                   'key_columns', ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
                                        FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, n)
                                        LEFT JOIN pg_catalog.pg_attribute AS a
                                          ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                                        WHERE k.n <= i.indnkeyatts
                                        ORDER BY k.n),
                   'predicate', pg_catalog.pg_get_expr(i.indpred, i.indrelid),
                   'nulls_not_distinct',
                   COALESCE((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false),
                   'other_collation', COALESCE(i.indcollation[0] IS DISTINCT FROM ka.attcollation, false),
                   'definition', CASE WHEN i.indexrelid IS NOT NULL
                                      THEN pg_catalog.pg_get_indexdef(i.indexrelid) END)), '[]')
        FROM pg_catalog.pg_class AS o
        LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = o.oid
        LEFT JOIN pg_catalog.pg_class AS ot ON ot.oid = i.indrelid
        LEFT JOIN pg_catalog.pg_namespace AS otn ON otn.oid = ot.relnamespace
        LEFT JOIN pg_catalog.pg_attribute AS ka
          ON ka.attrelid = i.indrelid AND ka.attnum = i.indkey[0]
        WHERE o.relname = ANY ($3) AND o.relnamespace = c.relnamespace)
                                                                    AS named,
       (SELECT pg_catalog.jsonb_build_object(
                   'strategy', CASE p.partstrat WHEN 'h' THEN 'HASH' WHEN 'l' THEN 'LIST'
                                                WHEN 'r' THEN 'RANGE' END,
                   'columns', ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
                                    FROM pg_catalog.unnest(p.partattrs::int2[]) WITH ORDINALITY AS k (attnum, n)
                                    LEFT JOIN pg_catalog.pg_attribute AS a
                                      ON a.attrelid = p.partrelid AND a.attnum = k.attnum AND k.attnum > 0
                                    ORDER BY k.n))
        FROM pg_catalog.pg_partitioned_table AS p
        WHERE p.partrelid = c.oid)                                  AS partitioning,
       ui.one_row_per_user, ui.hash_schema, ui.hash_function
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN (
{server}
) AS s
CROSS JOIN (
{user_identity}
) AS ui
WHERE c.oid = $1::regclass
