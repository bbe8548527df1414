-- inspect: the rows in the asked states, worst first.
-- Parameters $1..$6: see state/classify.sql; $7 (text[]) the state names to show;
-- $8 (int8) at most this many rows.
-- "Worst first" sorts by the state flags in severity order (the same order as State in
-- src/state.rs), then the longest silence first. Cost: one scan of the table plus a top-N sort.
WITH classified AS ({classify})
SELECT key, user_id, task_id, is_syncing, progress_percentage, error_message,
       started_at, updated_at, silent_seconds,
       zombie, half_released, inconsistent, duplicate, skewed, running, failed, completed, idle
FROM classified
WHERE ('zombie' = ANY ($7) AND zombie)
   OR ('half-released' = ANY ($7) AND half_released)
   OR ('inconsistent' = ANY ($7) AND inconsistent)
   OR ('duplicate' = ANY ($7) AND duplicate)
   OR ('skewed' = ANY ($7) AND skewed)
   OR ('running' = ANY ($7) AND running)
   OR ('failed' = ANY ($7) AND failed)
   OR ('completed' = ANY ($7) AND completed)
   OR ('idle' = ANY ($7) AND idle)
ORDER BY zombie DESC, half_released DESC, inconsistent DESC, duplicate DESC, skewed DESC,
         running DESC, failed DESC, completed DESC, idle DESC,
         silent_seconds DESC NULLS FIRST, key
LIMIT $8
