-- inspect: how many rows are in each state, over the rows --user / --task select (the table
-- when neither is given), whatever --state shows. Also the database's clock for the report.
--- Placeholders: {classify} the classifier (state/classify.sql); {state_counts} one
--- `count(*) FILTER (WHERE <state>) AS <state>` per state, generated from the states' one list
--- (src/state.rs), so a new state is counted without touching this file.
-- Parameters $1..$6: see state/classify.sql. Cost: one scan of the table.
-- The classifier is a subquery in FROM, not a WITH: a WITH holding a volatile function (the
-- skew check reads pg_control_checkpoint()) is materialized, the whole table written to a
-- temporary file first; a subquery is read row by row, in parallel (both functions are
-- parallel safe).
SELECT now() AS now,
       {state_counts}
FROM ({classify}) AS classified
