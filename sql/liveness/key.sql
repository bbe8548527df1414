-- --liveness lock: the session advisory lock key of each running task: a 64-bit hash of the
-- table's oid and the task id (hashtextextended), in the one-bigint form of the advisory lock
-- functions, a lock space apart from the two-int4 form that serialises claims
-- (start/lock_user.sql), so holding one never blocks the other. Keyed by task, not by user: a
-- task that took a user over gets a lock of its own, which no session of an earlier owner can
-- hold, and a task's lock says nothing about another user's (a 32-bit hash of user ids
-- collides in a few tens of thousands of users; start also refuses a key it finds held).
--
-- Parameters: $1 (int8) the table's oid; $2 (text[]) task ids as task_id::text writes them.
-- Returns task_id, key. Locks: none. Cost: nothing.
SELECT u.task_id, hashtextextended($1::int8::text || '/' || u.task_id, 0) AS key
FROM unnest($2::text[]) AS u(task_id)
