-- add-constraints: index builds in progress on the table by other backends (CREATE INDEX,
-- CONCURRENTLY or not, and REINDEX), read at the moment of acting. An INVALID index that a
-- backend is still building is not a failed build: it must not be dropped (the build may be
-- seconds from making it valid, e.g. in the backend of a syncctl that was killed). And a
-- concurrent build started beside another one on the same table waits for the other's
-- snapshot while the other waits for its own (deadlock detected), so syncctl waits for the
-- other build in the client instead of queuing on the lock.
-- The view hides the table of other roles' sessions (relid NULL) from a role that may not read
-- all statistics; such a build counts when its backend holds a lock on the table (a concurrent
-- build keeps SHARE UPDATE EXCLUSIVE on it from start to end, and pg_locks shows every
-- session's locks).
-- $1 (oid): the table. One row per build: its pid, its index (NULL when the view does not say),
-- the index's name, the phase.
SELECT p.pid                            AS pid,
       NULLIF(p.index_relid, 0)         AS index_oid,
       c.relname::text                  AS index_name,
       COALESCE(p.phase, 'phase hidden') AS phase
FROM pg_catalog.pg_stat_progress_create_index AS p
LEFT JOIN pg_catalog.pg_class AS c ON c.oid = NULLIF(p.index_relid, 0)
WHERE p.pid <> pg_catalog.pg_backend_pid()
  AND p.datid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND (p.relid = $1
       OR (p.relid IS NULL
           AND EXISTS (SELECT FROM pg_catalog.pg_locks AS l
                       WHERE l.pid = p.pid AND l.locktype = 'relation'
                         AND l.database = p.datid AND l.relation = $1)))
ORDER BY p.pid
