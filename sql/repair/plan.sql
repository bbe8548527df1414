-- repair, step 1 (the plan): the rows the selectors pick, classified, and locked.
-- Runs in a REPEATABLE READ transaction that is rolled back as soon as the plan is read: the
-- lock proves the rows can be had within --lock-timeout (else SQLSTATE 55P03, exit 5) and
-- freezes them while they are read; nobody waits on them while a person decides. Each row's
-- version (tableoid, ctid, xmin) and before-values go with the plan to step 2
-- (repair/apply.sql, repair/release_named.sql). A row updated by someone else
-- since this snapshot fails the lock with SQLSTATE 40001, and the plan is made again after a
-- growing pause, for as long as --lock-timeout allows in all (then exit 5, nothing changed).
--- Placeholders: {classify} the classifier (state/classify.sql); {state_filter} the columns of
--- the states asked for (zombie, half-released, inconsistent, duplicate, skewed) joined by OR,
--- generated from the states' one list (src/state.rs); `false` when only --task names rows.
-- Parameters $1..$6: see state/classify.sql ($4 is --user, $5 is NULL);
--   $7  the --task values, one array sent as text and parsed by the server as task_id's own
--       array type (a value the type cannot hold is a data exception, exit 2). A row they name
--       is selected whatever its state.
-- The before-values are the stored values as text (the session's DateStyle and TimeZone, the
-- same in step 2), so step 2 can compare them exactly whatever the columns' types.
-- Locks: FOR UPDATE on the selected rows only (ROW SHARE on the table).
-- Cost: one classifier scan (plus the duplicate aggregates), one more scan joined by key, and
-- the task_id index for $7 when there is one.
WITH classified AS ({classify}),
named AS (
    SELECT {key} AS key FROM {table} AS t WHERE t."task_id" = ANY ($7)
),
target AS (
    SELECT c.*, c.key IN (SELECT key FROM named) AS named
    FROM classified AS c
    WHERE {state_filter}
       OR c.key IN (SELECT key FROM named)
)
SELECT target.*,
       t.tableoid                       AS tableoid,
       t.ctid::text                     AS ctid,
       t.xmin::text                     AS xmin,
       t."is_syncing"::text             AS before_is_syncing,
       t."progress_percentage"::text    AS before_progress,
       t."updated_at"::text             AS before_updated_at,
       t."task_id"::text                AS before_task_id,
       t."error_message"::text          AS before_error_message
FROM {table} AS t
JOIN target ON {key} = target.key
ORDER BY length(target.key), target.key
FOR UPDATE OF t
