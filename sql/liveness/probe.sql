-- --liveness lock: which keys (liveness/key.sql) no session holds, i.e. whose running task's
-- owner is dead. Each key is tried and, when obtained, released at once.
-- Only meaningful when every writer of running rows is syncctl with --liveness lock.
--
-- Parameters: $1 (int8[]) the keys. Returns key, free.
-- Locks: each session advisory lock for an instant, never waited for. Cost: nothing.
SELECT k.key,
       CASE WHEN pg_try_advisory_lock(k.key) THEN pg_advisory_unlock(k.key) ELSE false END AS free
FROM unnest($1::int8[]) AS k(key)
