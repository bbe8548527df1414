-- health: up to five zombies, the longest silent first (the seed's zombie_task_details).
-- Parameters $1..$6: see state/classify.sql. With an index on updated_at for running rows this
-- reads only running rows; without it, one scan.
WITH classified AS ({classify})
SELECT task_id,
       user_id,
       started_at,
       updated_at                                 AS last_update,
       floor(silent_seconds / 60)::int8           AS silent_minutes
FROM classified
WHERE zombie
ORDER BY updated_at ASC NULLS FIRST, key
LIMIT 5
