-- The hash function of one column's type that agrees with the type's `=`, so that values `=`
-- calls equal ('Bob@x' and 'bob@x' in citext, 1.0 and 1 in numeric) hash alike: support
-- function {hash_support} of the type's default hash operator class (1: the 32-bit hash,
-- hashtext, uuid_hash, citext_hash, hash_numeric…; 2: the 64-bit extended hash,
-- hashtextextended, uuid_hash_extended, citext_hash_extended…). No row when the type has no
-- hash class, or the class no such function.
-- A domain counts as its base type; a type binary-coercible to the class's input type
-- (varchar to text) uses that class, an exact match first.
-- The class first (one or two candidates, by its input type), then its support function by
-- pg_amproc's unique index: joining pg_amproc to pg_opclass first meets every hash class's
-- every support function (a nested loop of thousands of rows, milliseconds).
-- $1 (oid): the table. Catalog only.
--- Placeholders: {hashed_column}, the column's name as a string literal; {hash_support}, 1 or 2.
SELECT n.nspname::text AS hash_schema, p.proname::text AS hash_function
FROM (SELECT oc.opcfamily, oc.opcintype
      FROM (SELECT COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid) AS type_oid
            FROM pg_catalog.pg_attribute AS a
            JOIN pg_catalog.pg_type AS ty ON ty.oid = a.atttypid
            WHERE a.attrelid = $1 AND a.attname = {hashed_column} AND NOT a.attisdropped) AS col
      JOIN pg_catalog.pg_opclass AS oc
        ON oc.opcdefault
       AND oc.opcmethod = (SELECT oid FROM pg_catalog.pg_am WHERE amname = 'hash')
       AND (oc.opcintype = col.type_oid
            OR EXISTS (SELECT FROM pg_catalog.pg_cast AS c
                       WHERE c.castsource = col.type_oid AND c.casttarget = oc.opcintype
                         AND c.castmethod = 'b'))
      ORDER BY oc.opcintype = col.type_oid DESC, oc.opcintype = 'pg_catalog.text'::regtype DESC
      LIMIT 1) AS oc
JOIN pg_catalog.pg_amproc AS ap
  ON ap.amprocfamily = oc.opcfamily AND ap.amprocnum = {hash_support}
 AND ap.amproclefttype = oc.opcintype AND ap.amprocrighttype = oc.opcintype
JOIN pg_catalog.pg_proc AS p ON p.oid = ap.amproc
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
