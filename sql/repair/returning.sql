-- repair, step 2: the RETURNING clause of repair/apply.sql and repair/release_named.sql, the
-- changed rows as they are now. `key` is the planned key (a partition-and-ctid key moves with
-- the update). `consistent` is the CHECK predicate of chk_sync_state_consistency (NULL counts
-- as a violation, as in state/classify.sql) on the new row: the caller rolls back if any is
-- false. A fragment, spliced at the end of those statements, and run as part of those statements.
RETURNING p.key                                      AS key,
          t."task_id"::text                          AS task_id,
          t."is_syncing"                             AS is_syncing,
          t."progress_percentage"::float8            AS progress_percentage,
          t."error_message"::text                    AS error_message,
          COALESCE((t."is_syncing" AND t."progress_percentage" BETWEEN 0 AND 99)
                   OR (NOT t."is_syncing" AND t."progress_percentage" IN (0, 100)), false) AS consistent
