-- The table's columns with their types. A domain counts as its base type, so a column
-- declared as a domain over boolean is still accepted as is_syncing.
-- $1 (oid): the table. Catalog only.
SELECT a.attname::text                                      AS name,
       COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)        AS base_type,
       pg_catalog.format_type(a.atttypid, a.atttypmod)       AS type_name,
       a.attnotnull                                          AS not_null
FROM pg_catalog.pg_attribute AS a
JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
WHERE a.attrelid = $1
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum
