-- The guard's objects on {table} (a fragment of guard/status.sql and health/report.sql):
-- whether each is installed and current, compared with what `syncctl guard install` would
-- create, by definition, not by name.
-- A function is current when its schema holds exactly one function of the name, written in
-- PL/pgSQL, SECURITY INVOKER, with the source (pg_proc.prosrc) and the settings (proconfig:
-- search_path, TimeZone) install gives it. The trigger is current as guard/trigger_current.sql
-- says; a trigger of the name with another definition (disabled, AFTER, other events, another
-- function) is found but not current.
-- What install creates comes from the one row of relation guard_args, which the statement
-- around defines from its parameters: names (text[]) the functions' names, in the table's
-- schema; bodies (text[]) their expected sources, in the same order; config (text[]) the
-- expected proconfig; trigger (text) the trigger's name.
-- One row per object: object (its name), kind ('function' or 'trigger'), position (install's
-- order), found, current.
-- Locks: none (catalog reads). Cost: catalog only.
--- Placeholders: {table_literal}, {trigger_current} (guard/trigger_current.sql, of alias g).
SELECT e.name AS object,
       'function'::text AS kind,
       e.position AS position,
       count(p.oid) > 0 AS found,
       COALESCE(count(p.oid) = 1
                AND bool_and(p.prosrc = e.body AND p.proconfig = a.config AND NOT p.prosecdef
                             AND l.lanname = 'plpgsql'), false) AS current
FROM guard_args AS a
CROSS JOIN LATERAL unnest(a.names, a.bodies) WITH ORDINALITY AS e(name, body, position)
LEFT JOIN pg_catalog.pg_proc AS p
       ON p.pronamespace = (SELECT c.relnamespace FROM pg_catalog.pg_class AS c
                            WHERE c.oid = {table_literal}::regclass)
      AND p.proname = e.name
LEFT JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
GROUP BY e.name, e.position, a.config
UNION ALL
SELECT a.trigger,
       'trigger',
       5,
       count(g.oid) > 0,
       COALESCE(bool_or({trigger_current}), false)
FROM guard_args AS a
LEFT JOIN pg_catalog.pg_trigger AS g
       ON g.tgrelid = {table_literal}::regclass
      AND g.tgname = a.trigger
GROUP BY a.trigger
