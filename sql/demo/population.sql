-- demo: the users around the incident, so the walk-through looks like a real table: mostly
-- completed and idle rows, some failed ones, and a few of the problems the tool exists for
-- (zombies that died mid-sync, rows stopped half-way, a repeated task id). No row is a live
-- sync: nothing heartbeats it, so a minute later it would be one more zombie in a kept table.
-- $1 (int4) is how many users. Users are numbered from 10001 so they never meet the test
-- fixtures' users (md5('user' || n)::uuid).
--- Placeholder: {table}, the quoted table.
INSERT INTO {table}
  (user_id, task_id, is_syncing, sync_type, progress_percentage, current_stats,
   error_message, started_at, updated_at)
SELECT md5('user' || n)::uuid,
       CASE WHEN n % 997 = 5 THEN 'sync_' || md5('user' || (n - 1))::uuid || '_' || substr(md5('task' || (n - 1)), 1, 8)
            ELSE 'sync_' || md5('user' || n)::uuid || '_' || substr(md5('task' || n), 1, 8) END
         || '_' || (1764000000 + n - (n % 997 = 5)::int),
       zombie,
       CASE WHEN n % 4 = 0 THEN 'full' ELSE 'incremental' END,
       CASE WHEN zombie THEN n % 90 WHEN n % 701 = 3 THEN 45 WHEN n % 5 < 3 THEN 100 ELSE 0 END,
       jsonb_build_object('new', n % 40, 'updated', n % 9, 'errors', 0),
       CASE WHEN NOT zombie AND n % 97 = 0 THEN 'IMAP timeout' END,
       now() - (n % 1440) * interval '1 minute' - interval '5 minutes',
       -- Zombies stopped 20 minutes ago; the rest minutes to a day.
       CASE WHEN zombie THEN now() - interval '20 minutes'
            ELSE now() - (n % 1440) * interval '1 minute' END
FROM generate_series(10001, 10000 + $1::int4) AS n,
     LATERAL (SELECT n % 499 = 7 AS zombie) AS kind
