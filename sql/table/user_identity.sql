-- What makes two user_id values one user, as the column's own type decides it.
-- $1 (oid): the table. Catalog only. One row:
--   one_row_per_user  a valid unique index (the primary key, a UNIQUE constraint or a plain
--                     unique index) whose only key column is user_id, with no predicate and no
--                     expression: the table keeps one row per user, so a new task updates the
--                     user's row instead of inserting a second one;
--   hash_schema,      the 32-bit hash function of user_id's type (table/hash_function.sql):
--   hash_function     values `=` calls equal take the same claim lock (start/lock_user.sql).
--                     NULL when the type has no hash class: the lock then hashes the value's
--                     text.
--- {hash_function} is table/hash_function.sql, filled for user_id and support function 1.
WITH col AS (
    SELECT a.attnum
    FROM pg_catalog.pg_attribute AS a
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
    {hash_function}
) AS h ON true
