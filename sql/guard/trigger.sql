-- guard: puts the guard's trigger on {table}, unless it is there as guard/status.sql expects it
-- (enabled, BEFORE INSERT OR UPDATE, FOR EACH ROW, no column list or WHEN, calling the guard
-- function): then nothing happens, so installing twice leaves one trigger. One with the name
-- and another definition is dropped and created again. On a partitioned table PostgreSQL
-- clones it onto every partition, present and future.
-- Locks: CREATE TRIGGER takes SHARE ROW EXCLUSIVE on the table (writers wait for it, readers do
-- not); DROP TRIGGER ACCESS EXCLUSIVE. Both wait at most the lock_timeout set before this.
-- Cost: catalog only.
DO $syncctl$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_trigger AS g
               WHERE {trigger_current}) THEN
        RETURN;
    END IF;
    DROP TRIGGER IF EXISTS {trigger} ON {table};
    CREATE TRIGGER {trigger}
        BEFORE INSERT OR UPDATE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {guard_function}();
END
$syncctl$
