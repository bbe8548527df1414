-- {index_literal}: which index is this table's, and under which name? Index names are unique
-- per schema, not per table: the plain name when this table's index has it or it is free, else
-- the table's own name {own_literal}; a name another relation has is never touched. Stop (as
-- the command does) when another session is building an index on the table (it may be about
-- to finish: never drop it, nor build beside it), when both names are taken, or when this
-- table's index has another definition (it must be unique, on the one key column {key_literal},
-- with one of the predicates below, NULLs distinct, not deferrable, in the column's collation).
--- The same rules as src/table.rs (the index checks): change both together.
DO $syncctl$
DECLARE
  tbl     regclass := {table_literal}::regclass;
  ns      oid := (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = {table_literal}::regclass);
  builder record;
  chosen  text;
  other   text;
  idx     record;
BEGIN
  SELECT p.pid, COALESCE(p.phase, 'phase hidden') AS phase INTO builder
  FROM pg_catalog.pg_stat_progress_create_index AS p
  WHERE p.pid <> pg_catalog.pg_backend_pid()
    AND p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
    AND (p.relid = tbl
         OR (p.relid IS NULL
             AND EXISTS (SELECT FROM pg_catalog.pg_locks AS l
                         WHERE l.pid = p.pid AND l.locktype = 'relation'
                           AND l.database = p.datid AND l.relation = tbl)))
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'pid % is building an index on % (%)', builder.pid, tbl, builder.phase
      USING HINT = 'let it finish (pg_stat_progress_create_index), then run the script again: an index '
                   'that is being built must not be dropped';
  END IF;
  chosen := CASE
    WHEN EXISTS (SELECT FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
                 WHERE i.indrelid = tbl AND c.relname = {index_literal}) THEN {index_literal}
    WHEN EXISTS (SELECT FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
                 WHERE i.indrelid = tbl AND c.relname = {own_literal}) THEN {own_literal}
    WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace = ns AND relname = {index_literal})
      THEN {index_literal}
    ELSE {own_literal}
  END;
  SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO other
  FROM pg_catalog.pg_class AS c
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = c.oid
  WHERE c.relnamespace = ns AND c.relname = chosen AND i.indrelid IS DISTINCT FROM tbl;
  IF other IS NOT NULL THEN
    RAISE EXCEPTION 'both % and % are taken by other relations of the schema of %', {index_literal},
      {own_literal}, tbl USING HINT = 'rename one of them, then run the script again';
  END IF;
  SELECT c.oid,
         pg_catalog.pg_get_indexdef(c.oid) AS definition,
         pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified,
         i.indisunique
         AND ARRAY(SELECT COALESCE(a.attname::text, '(expression)')
                   FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, n)
                   LEFT JOIN pg_catalog.pg_attribute AS a
                     ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
                   WHERE k.n <= i.indnkeyatts ORDER BY k.n) = ARRAY[{key_literal}]
         AND COALESCE(pg_catalog.pg_get_expr(i.indpred, i.indrelid) = ANY ({predicates}), {total})
         AND NOT COALESCE((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
         AND i.indimmediate
         AND i.indcollation[0] IS NOT DISTINCT FROM ka.attcollation AS right_definition
    INTO idx
  FROM pg_catalog.pg_index AS i
  JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute AS ka ON ka.attrelid = i.indrelid AND ka.attnum = i.indkey[0]
  WHERE i.indrelid = tbl AND c.relname = chosen;
  IF FOUND AND NOT idx.right_definition THEN
    RAISE EXCEPTION '% on % has the wrong definition: %', chosen, tbl, idx.definition
      USING HINT = pg_catalog.format('it should be %s; move it aside (ALTER INDEX %s RENAME TO %I;) or drop it '
                                     '(DROP INDEX CONCURRENTLY %s;), then run the script again',
                                     {expected_literal}, idx.qualified, chosen || '_old', idx.qualified);
  END IF;
  PERFORM pg_catalog.set_config('syncctl.index_name', chosen, false);
END
$syncctl$;
-- The name chosen above, and whether this table's index under it is INVALID (left by a failed
-- or interrupted build, no backend building it any more): IF NOT EXISTS would keep it, so it
-- is dropped first.
SELECT pg_catalog.current_setting('syncctl.index_name') AS syncctl_index_name,
       pg_catalog.format('%I.%I', n.nspname, pg_catalog.current_setting('syncctl.index_name')) AS syncctl_index,
       EXISTS (SELECT FROM pg_catalog.pg_index AS i JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
               WHERE i.indrelid = {table_literal}::regclass
                 AND c.relname = pg_catalog.current_setting('syncctl.index_name')
                 AND NOT (i.indisvalid AND i.indisready)) AS syncctl_rebuild
FROM pg_catalog.pg_namespace AS n
WHERE n.oid = (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = {table_literal}::regclass) \gset
\if :syncctl_rebuild
{drop};
\endif
