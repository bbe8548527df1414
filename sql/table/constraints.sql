-- The constraint named chk_sync_state_consistency on the table, whatever its type, with what
-- syncctl needs to compare its definition with the consistency predicate (src/table.rs,
-- expected_check_definitions): pg_get_constraintdef deparses the predicate differently for a
-- column whose type is a domain (`(progress_percentage)::integer`), so say which columns are.
-- A CHECK added NOT VALID and not yet validated has convalidated = false; the deparsed text
-- then ends in " NOT VALID". Constraint names are unique per table, so there is at most one.
-- $1 (oid): the table; $2 (text): the CHECK's name. Catalog only.
SELECT con.conname::text                        AS name,
       con.contype::text                        AS contype,
       con.convalidated                         AS validated,
       pg_catalog.pg_get_constraintdef(con.oid) AS definition,
       EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
               JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
               WHERE a.attrelid = $1 AND a.attname = 'progress_percentage' AND t.typtype = 'd')
                                                AS progress_is_domain,
       EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
               JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
               WHERE a.attrelid = $1 AND a.attname = 'is_syncing' AND t.typtype = 'd')
                                                AS syncing_is_domain
FROM pg_catalog.pg_constraint AS con
WHERE con.conrelid = $1
  AND con.conname = $2
