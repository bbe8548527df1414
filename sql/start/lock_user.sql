-- start, claim step 1: serialise every claim of one user, whether or not the user has a row yet
-- (SELECT ... FOR UPDATE locks nothing when there is no row, so two first clicks would both
-- insert). Takes the transaction-level advisory lock (table oid, hash of the user id) and
-- returns the user id in the column's own text form plus the database clock's Unix seconds.
-- The hash is the one of user_id's own type ({user_hash}: hashtext, uuid_hash, citext_hash,
-- hash_numeric… from table/user_identity.sql), applied to the value of that type: ids the
-- column's `=` calls equal ('BobN@Example.com' and 'bobn@example.com' in citext) hash alike,
-- so they wait for each other, as the rows they claim are one user's. Hashing the text as typed
-- would let both claim at once.
--
--- Placeholders: {table}, {user_hash}.
-- Parameters:
--   $1 (int4) the table's oid, reinterpreted as int4 (so each table has its own lock space);
--   $2        the user id, sent as text: the UNION gives it user_id's own type, so a value the
--             type cannot hold is a data exception (exit 2) and '60F2…' and '60f2…' are one user.
-- Two different users may share a hash: they then only wait for each other's claim (a few ms).
-- Locks: the advisory lock, held until the claim transaction ends; waits at most lock_timeout.
-- Cost: no table access (the first branch of the UNION is `WHERE false`).
SELECT u.user_id::text AS user_id,
       floor(extract(epoch FROM now()))::int8 AS now_unix,
       pg_advisory_xact_lock($1::int4, {user_hash}(u.user_id)) IS NULL AS locked
FROM (SELECT (SELECT t."user_id" FROM {table} AS t WHERE false UNION ALL SELECT $2 LIMIT 1) AS user_id) AS u
