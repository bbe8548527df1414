-- Resolve --table to one relation, exactly as PostgreSQL resolves the name in a query
-- (an unqualified name follows search_path).
-- $1 (text): the name as syncctl quoted it, e.g. "Sync Ops"."user_sync_status".
-- Returns no row when there is no such relation. Catalog only: no lock on the table.
SELECT c.oid          AS oid,
       n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind::text AS kind
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.oid = pg_catalog.to_regclass($1)
