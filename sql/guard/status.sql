-- guard status: whether the guard's objects on {table} are installed and current: each is
-- compared with what `syncctl guard install` would create, by definition, not by name.
-- A function is current when its schema holds exactly one function of the name, written in
-- PL/pgSQL, SECURITY INVOKER, with the source (pg_proc.prosrc) and the settings (proconfig:
-- search_path, TimeZone) install gives it. The trigger is current as guard/trigger_current.sql
-- says; a trigger of the name with another definition (disabled, AFTER, other events, another
-- function) is found but not current.
-- Parameters: $1 (text[]) the functions' names, in the table's schema; $2 (text[]) their
--   expected sources, in the same order; $3 (text[]) the expected proconfig; $4 (text) the
--   trigger's name.
-- One row per object, in install's order: object (its name), kind ('function' or 'trigger'),
-- position, found, current.
-- Locks: none (catalog reads). Cost: catalog only.
WITH expected AS (
    SELECT e.name, e.body, e.position
    FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS e(name, body, position)
)
SELECT e.name AS object,
       'function'::text AS kind,
       e.position AS position,
       count(p.oid) > 0 AS found,
       COALESCE(count(p.oid) = 1
                AND bool_and(p.prosrc = e.body AND p.proconfig = $3::text[] AND NOT p.prosecdef
                             AND l.lanname = 'plpgsql'), false) AS current
FROM expected AS e
LEFT JOIN pg_catalog.pg_proc AS p
       ON p.pronamespace = (SELECT c.relnamespace FROM pg_catalog.pg_class AS c
                            WHERE c.oid = {table_literal}::regclass)
      AND p.proname = e.name
LEFT JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
GROUP BY e.name, e.position
UNION ALL
SELECT $4::text,
       'trigger',
       5,
       count(g.oid) > 0,
       COALESCE(bool_or({trigger_current}), false)
FROM pg_catalog.pg_trigger AS g
WHERE g.tgrelid = {table_literal}::regclass
  AND g.tgname = $4::text
ORDER BY position
