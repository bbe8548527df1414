-- --liveness lock: the running task takes its key (liveness/key.sql) as a session advisory
-- lock on its own connection and keeps it until the connection ends: while it is held the
-- owner lives; when the process dies its connection closes and the lock is free at once.
--
-- Parameters: $1 (int8) the key. Returns whether it is now held (false: another session has it).
-- Locks: the session advisory lock, never waited for. Cost: nothing.
SELECT pg_try_advisory_lock($1::int8) AS held
