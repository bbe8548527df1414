-- Step 1 only when the constraint does not exist yet (ADD CONSTRAINT has no IF NOT EXISTS).
-- A DO block runs in a transaction, which ADD CONSTRAINT ... NOT VALID is fine with.
DO $syncctl$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                 WHERE conrelid = {table_literal}::regclass
                   AND conname = 'chk_sync_state_consistency') THEN
{statement};
  END IF;
END
$syncctl$;
