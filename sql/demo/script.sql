-- A practice table for syncctl, as `syncctl demo` loads it into its own cluster: the
-- incident's row among {users} other users, with zombies, rows stopped half-way and a repeated
-- task id. Load it into a database of your own with
--   syncctl demo --print-sql | psql "$DATABASE_URL"
-- then try `syncctl health`, `syncctl inspect` and `syncctl repair --all --dry-run` there.
-- It creates user_sync_status in the first schema of the search_path (and stops if the table
-- exists); one transaction: all of it or nothing. Times are relative to now(), and no row is a
-- live sync (a running row nobody heartbeats would turn into a zombie a minute later).
BEGIN;
SET LOCAL TIME ZONE 'UTC';

{schema}
{incident}
-- The population, with its one parameter (how many users) given by EXECUTE.
PREPARE syncctl_demo_population(int4) AS
{population};
EXECUTE syncctl_demo_population({users});
DEALLOCATE syncctl_demo_population;

COMMIT;
