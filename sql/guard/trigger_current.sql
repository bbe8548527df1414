-- guard: whether trigger row g (pg_trigger) is the guard's trigger as guard/trigger.sql creates
-- it: its name on {table}, enabled, BEFORE INSERT OR UPDATE FOR EACH ROW (tgtype 23 = ROW 1 +
-- BEFORE 2 + INSERT 4 + UPDATE 16), no column list, no WHEN, calling the guard function; and
-- on a partitioned table, its clone on every partition enabled too.
(g.tgrelid = {table_literal}::regclass
 AND g.tgname = {trigger_literal}
 AND g.tgfoid = pg_catalog.to_regprocedure({guard_function_literal})
 AND g.tgenabled = 'O'
 AND g.tgtype = 23
 AND g.tgattr = ''::int2vector
 AND g.tgqual IS NULL
 AND NOT EXISTS (SELECT FROM pg_catalog.pg_partition_tree({table_literal}::regclass) AS part
                 WHERE part.relid <> {table_literal}::regclass
                   AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS clone
                                   WHERE clone.tgrelid = part.relid
                                     AND clone.tgparentid = g.oid
                                     AND clone.tgenabled = 'O')))
