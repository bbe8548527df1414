-- inspect: the rows in the asked states, worst first.
-- Placeholders: {classify} the classifier (state/classify.sql); {state_filter} the asked
-- states' columns joined by OR, {state_names} the names of a row's states as a text[], and
-- {state_order} the state columns in severity order: all three generated from the states' one
-- list (src/state.rs), so a new state needs no change here.
-- Parameters $1..$6: see state/classify.sql; $7 (int8) at most this many rows.
-- "Worst first" sorts by the state flags in severity order, then the longest silence first.
-- Cost: one scan of the table plus a top-N sort.
WITH classified AS ({classify})
SELECT key, user_id, task_id, is_syncing, progress_percentage, error_message,
       started_at, updated_at, silent_seconds, {state_names} AS states
FROM classified
WHERE {state_filter}
ORDER BY {state_order},
         silent_seconds DESC NULLS FIRST, key
LIMIT $7
