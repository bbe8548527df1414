-- Step 1 only when the constraint does not exist yet (ADD CONSTRAINT has no IF NOT EXISTS).
-- A constraint that has the name but another definition is neither trusted nor kept: the
-- script stops, as the command does. The definition is compared as the command compares it:
-- the text pg_get_constraintdef gives for the consistency predicate on this table, with the
-- casts PostgreSQL adds for bigint, numeric and domain columns, `= TRUE` / `= FALSE` or the
-- bare column / NOT.
--- The same comparison as src/table.rs, expected_check_definitions: change both together.
-- A DO block runs in a transaction, which ADD CONSTRAINT ... NOT VALID is fine with.
DO $syncctl$
DECLARE
  tbl      regclass := {table_literal}::regclass;
  found    text;
  kind     text;
  base     text;
  p_domain boolean;
  s_domain boolean;
  p        text;
  b        text;
  low      text;
  high     text;
  pair     text;
  running  text;
  stopped  text;
  ok       boolean := false;
BEGIN
  SELECT pg_catalog.pg_get_constraintdef(oid), contype::text INTO found, kind
  FROM pg_catalog.pg_constraint
  WHERE conrelid = tbl AND conname = 'chk_sync_state_consistency';
  IF found IS NULL THEN
{statement};
    RETURN;
  END IF;
  SELECT pg_catalog.format_type(COALESCE(NULLIF(t.typbasetype, 0), a.atttypid), NULL), t.typtype = 'd'
    INTO base, p_domain
  FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
  WHERE a.attrelid = tbl AND a.attname = 'progress_percentage';
  SELECT t.typtype = 'd' INTO s_domain
  FROM pg_catalog.pg_attribute AS a JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
  WHERE a.attrelid = tbl AND a.attname = 'is_syncing';
  IF base NOT IN ('smallint', 'bigint', 'numeric') THEN
    base := 'integer';
  END IF;
  p := CASE WHEN p_domain THEN pg_catalog.format('(progress_percentage)::%s', base) ELSE 'progress_percentage' END;
  b := CASE WHEN s_domain THEN '(is_syncing)::boolean' ELSE 'is_syncing' END;
  low := CASE base WHEN 'numeric' THEN '(0)::numeric' ELSE '0' END;
  high := CASE base WHEN 'numeric' THEN '(99)::numeric' ELSE '99' END;
  pair := CASE base WHEN 'numeric' THEN 'ARRAY[(0)::numeric, (100)::numeric]'
                    WHEN 'bigint' THEN 'ARRAY[(0)::bigint, (100)::bigint]'
                    ELSE 'ARRAY[0, 100]' END;
  found := pg_catalog.regexp_replace(found, ' NOT VALID$', '');
  FOREACH running IN ARRAY ARRAY[pg_catalog.format('(%s = true)', b), 'is_syncing'] LOOP
    FOREACH stopped IN ARRAY ARRAY[pg_catalog.format('(%s = false)', b), '(NOT is_syncing)'] LOOP
      ok := ok OR found = pg_catalog.format(
        'CHECK (((%s AND ((%s >= %s) AND (%s <= %s))) OR (%s AND (%s = ANY (%s)))))',
        running, p, low, p, high, stopped, p, pair);
    END LOOP;
  END LOOP;
  IF kind <> 'c' OR NOT ok THEN
    RAISE EXCEPTION 'chk_sync_state_consistency on % has the wrong definition: %', tbl, found
      USING HINT = pg_catalog.format(
        'it should be CHECK (%s); move it aside (ALTER TABLE %s RENAME CONSTRAINT "chk_sync_state_consistency" '
        'TO "chk_sync_state_consistency_old";) or drop it (ALTER TABLE %s DROP CONSTRAINT '
        '"chk_sync_state_consistency";), then run the script again', {predicate_literal}, tbl, tbl);
  END IF;
END
$syncctl$;
