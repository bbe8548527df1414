-- The primary key's columns, in key order (any name, any type, possibly several columns).
-- $1 (oid): the table. Catalog only.
SELECT a.attname::text AS name
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_attribute AS a
  ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = $1
  AND i.indisprimary
ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)
