-- --liveness lock: the session advisory lock key of one user's running task. The one-bigint
-- form of the advisory lock functions, a lock space apart from the two-int4 form that
-- serialises claims (start/lock_user.sql), so holding one never blocks the other.
-- key = table oid in the high 32 bits, hashtext(user_id as text) in the low 32 bits.
--
-- Parameters: $1 (int8) the table's oid; $2 (text) the user id as user_id::text writes it.
-- Locks: none. Cost: nothing.
SELECT ($1::int8 << 32) | (hashtext($2::text)::int8 & 4294967295) AS key
