-- health: up to five zombies, the longest silent first (the seed's zombie_task_details, with
-- silent_seconds beside its whole silent_minutes).
-- Parameters $1..$6: see state/classify.sql.
-- `is_syncing` and the order by the stored heartbeat are spelled out so that an index on
-- updated_at of running rows (e.g. `ON (updated_at) WHERE is_syncing`) serves both: the scan
-- walks the oldest heartbeats first and stops after five zombies. Without such an index, one
-- scan of the table. Rows that never heartbeated (NULL) come last, as in that index.
WITH classified AS ({classify})
SELECT task_id,
       user_id,
       started_at,
       updated_at                                 AS last_update,
       floor(silent_seconds / 60)::int8           AS silent_minutes,
       silent_seconds
FROM classified
WHERE is_syncing AND zombie
ORDER BY heartbeat_at ASC NULLS LAST
LIMIT 5
