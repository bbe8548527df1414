-- What makes two user_id values one user, as the column's own type decides it.
-- $1 (oid): the table. Catalog only. One row:
--   one_row_per_user  a valid unique index (the primary key, a UNIQUE constraint or a plain
--                     unique index) whose only key column is user_id, with no predicate and no
--                     expression: the table keeps one row per user, so a new task updates the
--                     user's row instead of inserting a second one;
--   hash_schema,      the hash function of user_id's type (support function 1 of its default
--   hash_function     hash operator class: hashtext, uuid_hash, citext_hash, hash_numeric…),
--                     which agrees with the type's `=`: values `=` calls equal ('Bob@x' and
--                     'bob@x' in citext, 1.0 and 1 in numeric) hash alike, so they take the same
--                     claim lock (start/lock_user.sql). NULL when the type has no hash class:
--                     the lock then hashes the value's text.
-- A domain counts as its base type; a type binary-coercible to the class's input type
-- (varchar to text) uses that class, an exact match first.
WITH col AS (
    SELECT a.attnum, COALESCE(NULLIF(ty.typbasetype, 0), a.atttypid) AS type_oid
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS ty ON ty.oid = a.atttypid
    WHERE a.attrelid = $1 AND a.attname = 'user_id' AND NOT a.attisdropped
)
SELECT EXISTS (SELECT FROM pg_catalog.pg_index AS i
               WHERE i.indrelid = $1
                 AND i.indisunique AND i.indisvalid AND i.indisready
                 AND i.indnkeyatts = 1
                 AND i.indkey[0] = (SELECT attnum FROM col)
                 AND i.indpred IS NULL AND i.indexprs IS NULL) AS one_row_per_user,
       h.hash_schema,
       h.hash_function
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    -- The class first (one or two candidates, by its input type), then its support function 1
    -- by pg_amproc's unique index: joining pg_amproc to pg_opclass first meets every hash
    -- class's every support function (a nested loop of thousands of rows, milliseconds).
    -- Every hash class has a function 1, so picking the class first picks the same one.
    SELECT n.nspname::text AS hash_schema, p.proname::text AS hash_function
    FROM (SELECT oc.opcfamily, oc.opcintype
          FROM col
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
      ON ap.amprocfamily = oc.opcfamily AND ap.amprocnum = 1
     AND ap.amproclefttype = oc.opcintype AND ap.amprocrighttype = oc.opcintype
    JOIN pg_catalog.pg_proc AS p ON p.oid = ap.amproc
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
) AS h ON true
