-- The objects of the Priority-1 rollout that exist on the table, and whether each one holds.
-- A CHECK added NOT VALID and not yet validated has convalidated = false. A unique index left by
-- a failed CREATE INDEX CONCURRENTLY is not indisvalid (it may still enforce new writes).
-- $1 (oid): the table; $2 (text): the CHECK's name; $3 (text[]): the unique indexes' names.
-- Catalog only.
SELECT con.conname::text                        AS name,
       'check'                                  AS kind,
       con.convalidated                         AS valid,
       pg_catalog.pg_get_constraintdef(con.oid) AS definition
FROM pg_catalog.pg_constraint AS con
WHERE con.conrelid = $1
  AND con.contype = 'c'
  AND con.conname = $2
UNION ALL
SELECT c.relname::text,
       'unique index',
       i.indisvalid AND i.indisready AND i.indisunique,
       pg_catalog.pg_get_indexdef(i.indexrelid)
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
WHERE i.indrelid = $1
  AND c.relname = ANY ($3)
