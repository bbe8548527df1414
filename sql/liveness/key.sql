-- --liveness lock: the session advisory lock key of each user's running task. The one-bigint
-- form of the advisory lock functions, a lock space apart from the two-int4 form that
-- serialises claims (start/lock_user.sql), so holding one never blocks the other.
-- key = table oid in the high 32 bits, hashtext(user_id as text) in the low 32 bits.
--
-- Parameters: $1 (int8) the table's oid; $2 (text[]) user ids as user_id::text writes them.
-- Returns user_id, key. Locks: none. Cost: nothing.
SELECT u.user_id, ($1::int8 << 32) | (hashtext(u.user_id)::int8 & 4294967295) AS key
FROM unnest($2::text[]) AS u(user_id)
