-- add-constraints: is the data clean for chk_sync_state_consistency and
-- uniq_user_running_sync? One scan of the table, instead of validate-constraints' three (its
-- duplicate aggregates, then the classifier), since on clean data there is nothing to list.
-- The third object's check, repeated task_ids, is left to the uniq_task_id build, which the
-- rollout then runs first: a concurrent unique build checks every row for duplicates anyway
-- (its sort), and when it finds one (unique_violation) its INVALID index is dropped and
-- validate-constraints' checks run then, to list the rows and refuse with nothing else changed.
-- When this finds anything, those checks run too (the same report as before).
--   inconsistent  rows the CHECK would refuse, or with a NULL is_syncing or progress (a CHECK
--                 lets NULL through; the application's reads do not): check-predicate and
--                 null-state
--   busy_users    users with more than one running row (duplicate-running); counted over the
--                 running rows only (~1.5 %), materialized by the one scan
-- The predicate is state/classify.sql's `inconsistent`: change both together. Users are
-- grouped by their column's own `=` (citext: case-insensitive), as state/duplicates.sql does.
-- Cost: one sequential scan (about 0.1 s at 1 M rows), and a small aggregate. No locks beyond
-- ACCESS SHARE; it runs in a READ ONLY transaction of its own, committed before any step, so no
-- concurrent build waits for its snapshot.
--- Placeholder: the quoted, schema-qualified table. No parameters.
WITH marked AS MATERIALIZED (
    SELECT t."user_id",
           t."is_syncing" IS TRUE AS running,
           NOT COALESCE((t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99)
                        OR (NOT t."is_syncing" AND t."progress_percentage" IN (0, 100)), false) AS inconsistent
    FROM {table} AS t
    WHERE t."is_syncing" IS TRUE
       OR NOT COALESCE((t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99)
                       OR (NOT t."is_syncing" AND t."progress_percentage" IN (0, 100)), false)
)
SELECT (SELECT count(*) FROM marked WHERE inconsistent) AS inconsistent,
       (SELECT count(*)
        FROM (SELECT "user_id" FROM marked WHERE running GROUP BY "user_id" HAVING count(*) > 1) AS b)
         AS busy_users
