-- inspect: the rows in the asked states, worst first.
--- Placeholders: {classify} the classifier (state/classify.sql); {state_filter} the asked
--- states' columns joined by OR, {state_names} the names of a row's states as a text[], and
--- {state_order} the state columns in severity order: all three generated from the states' one
--- list (src/state.rs), so a new state needs no change here.
-- Parameters $1..$6: see state/classify.sql; $7 (int8) at most this many rows.
-- "Worst first" sorts by the state flags in severity order, then the longest silence first.
-- Cost: one scan of the table plus a top-N sort.
-- The classifier is a subquery in FROM, not a WITH: a WITH holding a volatile function (the
-- skew check reads pg_control_checkpoint()) is materialized, the whole table written to a
-- temporary file first; a subquery is read row by row, in parallel (both functions are
-- parallel safe).
-- Every column of the classifier goes out (the row struct in src/db/queries/inspect.rs reads
-- those it shows), so a column the classifier gains reaches inspect without a change here.
SELECT classified.*, {state_names} AS states
FROM ({classify}) AS classified
WHERE {state_filter}
ORDER BY {state_order},
         silent_seconds DESC NULLS FIRST, key
LIMIT $7
