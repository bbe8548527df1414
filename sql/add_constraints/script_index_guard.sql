-- Is there an index {index_literal} on the table that is not valid, ready and unique (left by
-- a failed or interrupted concurrent build)? IF NOT EXISTS would keep it, so drop it first.
SELECT count(*) > 0 AS syncctl_rebuild,
       coalesce(max(format('%I.%I', n.nspname, c.relname)), '') AS syncctl_index
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE i.indrelid = {table_literal}::regclass
  AND c.relname = {index_literal}
  AND NOT (i.indisvalid AND i.indisready AND i.indisunique) \gset
\if :syncctl_rebuild
{drop};
\endif
