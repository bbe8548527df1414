-- health: the original service's statistics in one pass over the table, plus the
-- counts behind the warnings. total_users is an exact count(*), as in the seed.
-- Parameters $1..$6: see state/classify.sql (health passes empty duplicate lists: it counts no
-- duplicates; the unique indexes' status covers them). Cost: one (parallel) scan.
WITH classified AS ({classify})
SELECT now()                                                     AS now,
       count(*)                                                  AS total_users,
       count(*) FILTER (WHERE is_syncing)                        AS active_syncs,
       count(*) FILTER (WHERE zombie)                            AS zombie_tasks,
       count(*) FILTER (WHERE inconsistent)                      AS inconsistent_tasks,
       count(*) FILTER (WHERE completed
                        AND updated_at >= now() - interval '1 hour') AS recent_completed_syncs,
       count(*) FILTER (WHERE skewed)                            AS skewed_tasks,
       -- Writers storing a shifted clock (state/skew_offset.sql): how many, by which offsets,
       -- and the first five task ids, for the warning that names them.
       count(*) FILTER (WHERE skew_offset_seconds IS NOT NULL)   AS shifted_tasks,
       COALESCE(array_agg(DISTINCT skew_offset_seconds ORDER BY skew_offset_seconds)
                FILTER (WHERE skew_offset_seconds IS NOT NULL), '{}') AS shifted_offsets,
       COALESCE((array_agg(COALESCE(task_id, 'NULL') ORDER BY task_id)
                 FILTER (WHERE skew_offset_seconds IS NOT NULL))[1:5], '{}') AS shifted_task_ids,
       count(*) FILTER (WHERE half_released AND NOT zombie)      AS half_released_live_tasks
FROM classified
