-- --liveness lock, for inspect and reap: the running rows whose owner's lock must be probed.
-- Returns task_id and user_id as text.
--- Placeholder: {table}, the quoted table.
-- Locks: none beyond ACCESS SHARE. Cost: one scan of the running rows (of the table without an
-- index on is_syncing).
SELECT t."task_id"::text AS task_id, t."user_id"::text AS user_id
FROM {table} AS t
WHERE t."is_syncing" AND t."task_id" IS NOT NULL
