-- start, claim: release a dead running row (its heartbeat timed out, or under --liveness lock
-- its owner's lock is free) before a new task begins, keeping its history: the old error text
-- stays and a note is appended. One statement, a state the CHECK accepts (progress 0).
--
--- Placeholders: {table}.
-- Parameters: $1 (text) the row's ctid as read in this transaction; $2 its task_id as text
--   (NULL when it had none); $3 (text) the reason, e.g. "no heartbeat for 73s"; $4 (oid) the
--   row's partition (the table itself when it is not partitioned).
-- The row is matched by partition and ctid and re-checked (still syncing, same task): a row that its owner
-- touched since it was read has a new ctid and is left alone, and the claim starts over.
-- Stamped with clock_timestamp(), not now(): under --liveness lock the claim probes the old
-- owner's lock for a second inside its transaction, and the row must say when it was really
-- released, after the probes, not when the transaction began.
-- Locks: the row (ROW EXCLUSIVE on the table). Cost: one TID scan.
UPDATE {table} AS t
SET "is_syncing" = false,
    "progress_percentage" = 0,
    "error_message" = concat_ws(' - ', NULLIF(t."error_message"::text, ''),
                                'released by syncctl start: ' || $3::text || ' at '
                                || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    "updated_at" = clock_timestamp()
WHERE t.ctid = $1::text::tid
  AND t.tableoid = $4::oid
  AND t."is_syncing"
  AND t."task_id"::text IS NOT DISTINCT FROM $2::text
