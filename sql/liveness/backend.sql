-- --liveness lock, before start claims: which server process runs this connection's statement.
-- Asked on start's connection, then on a second connection, then on start's again: a
-- transaction pooler (PgBouncer in transaction mode) hands the server connection around
-- between transactions, so the second connection gets start's backend, or start's next
-- transaction runs on another one, and a session lock would neither stay held nor be seen.
-- Returns pid. Locks: none. Cost: nothing.
SELECT pg_catalog.pg_backend_pid() AS pid
