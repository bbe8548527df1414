-- reap: how long a batch's first try (reap/batch.sql without row locks of its own) waits for a
-- lock, for this transaction only: 50 ms, or less where deadlock_timeout or lock_timeout is
-- shorter. A live task holds its row for the moment of a heartbeat, another reaper for its
-- batch; past that wait reap does not wait on: it rolls the try back and runs the batch again
-- with FOR UPDATE SKIP LOCKED, which skips the rows other sessions hold. Half of
-- deadlock_timeout at most, so the try gives up before a deadlock check could pick a session
-- (the application's) to cancel; never longer than the lock_timeout in effect (--lock-timeout).
-- Runs after session/local.sql, in the batch's transaction, sent with it in one round trip.
-- Locks: none. Cost: nothing.
WITH ms AS (
    SELECT extract(epoch FROM pg_catalog.current_setting('deadlock_timeout')::interval) * 1000 AS deadlock,
           extract(epoch FROM pg_catalog.current_setting('lock_timeout')::interval) * 1000 AS lock
)
SELECT pg_catalog.set_config('lock_timeout',
                             greatest(1, least(50, deadlock / 2, CASE WHEN lock > 0 THEN lock END))::int8 || 'ms',
                             true) AS lock_timeout
FROM ms
