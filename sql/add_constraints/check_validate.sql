-- add-constraints, step 2: validate chk_sync_state_consistency against the existing rows.
-- Takes SHARE UPDATE EXCLUSIVE on the table, which does not conflict with readers or writers
-- (ROW EXCLUSIVE), for one scan of the table (about 0.9 s on 10 M rows); a queued request for
-- it does not make writers queue either, so its wait is bounded by --build-wait, not by the
-- short --lock-timeout. A constraint that is already valid is left as it is. Fails with
-- check_violation (23514) when a row violates it; the constraint then stays NOT VALID and keeps
-- refusing new violations.
--- Placeholder: the quoted, schema-qualified table. No parameters.
ALTER TABLE {table} VALIDATE CONSTRAINT "chk_sync_state_consistency"
