-- guard status: whether the guard's objects on {table} are installed and current
-- (guard/objects.sql says how each is compared with what `syncctl guard install` creates).
-- Parameters: $1 (text[]) the functions' names, in the table's schema; $2 (text[]) their
--   expected sources, in the same order; $3 (text[]) the expected proconfig; $4 (text) the
--   trigger's name.
-- One row per object, in install's order: object (its name), kind ('function' or 'trigger'),
-- position, found, current.
-- Locks: none (catalog reads). Cost: catalog only.
--- Placeholders: {guard_objects}, guard/objects.sql filled for the guard.
WITH guard_args AS (
    SELECT $1::text[] AS names, $2::text[] AS bodies, $3::text[] AS config, $4::text AS trigger
)
{guard_objects}
ORDER BY position
