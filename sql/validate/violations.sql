-- validate-constraints: the rows that stop the three constraints from being added, per check,
-- with each check's total and at most $7 sample rows.
--   check-predicate    violates chk_sync_state_consistency
--   null-state         is_syncing or progress_percentage is NULL (a CHECK lets NULL through;
--                      the application's reads do not)
--   duplicate-running  a second running row of a user: uniq_user_running_sync would refuse it
--   duplicate-task-id  a repeated task_id: uniq_task_id would refuse it
-- The check names match ValidationCheck in src/commands/validate.rs.
-- Parameters $1..$6: see state/classify.sql; $7 (int8) samples per check.
-- Cost: one scan of the table, plus the duplicate aggregates unless valid indexes rule them out.
-- The classifier is a subquery in FROM, not a WITH: a WITH holding a volatile function (the
-- skew check reads pg_control_checkpoint()) is materialized, the whole table written to a
-- temporary file first; a subquery is read row by row, in parallel (both functions are
-- parallel safe).
WITH violation AS (
    SELECT unnest(array_remove(ARRAY[
               CASE WHEN inconsistent AND is_syncing IS NOT NULL
                         AND progress_percentage IS NOT NULL THEN 'check-predicate' END,
               CASE WHEN is_syncing IS NULL OR progress_percentage IS NULL THEN 'null-state' END,
               CASE WHEN second_running THEN 'duplicate-running' END,
               CASE WHEN repeated_task THEN 'duplicate-task-id' END], NULL)) AS check_name,
           key, user_id, task_id, is_syncing, progress_percentage
    FROM ({classify}) AS classified
    WHERE inconsistent OR duplicate
),
numbered AS (
    SELECT v.*,
           count(*) OVER (PARTITION BY check_name)                          AS total,
           row_number() OVER (PARTITION BY check_name ORDER BY task_id, key) AS n
    FROM violation AS v
)
SELECT check_name, total, key, user_id, task_id, is_syncing, progress_percentage
FROM numbered
WHERE n <= $7
ORDER BY check_name, n
