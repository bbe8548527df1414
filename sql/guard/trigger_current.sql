-- guard: whether trigger row g (pg_trigger) is the guard's trigger as guard/trigger.sql creates
-- it: its name on {table}, enabled, BEFORE INSERT OR UPDATE FOR EACH ROW (tgtype 23 = ROW 1 +
-- BEFORE 2 + INSERT 4 + UPDATE 16), no column list, no WHEN, calling the guard function.
(g.tgrelid = {table_literal}::regclass
 AND g.tgname = {trigger_literal}
 AND g.tgfoid = pg_catalog.to_regprocedure({guard_function_literal})
 AND g.tgenabled = 'O'
 AND g.tgtype = 23
 AND g.tgattr = ''::int2vector
 AND g.tgqual IS NULL)
