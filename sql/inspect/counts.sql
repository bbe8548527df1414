-- inspect: how many rows are in each state, over the rows --user / --task select (the table
-- when neither is given), whatever --state shows. Also the database's clock for the report.
-- Parameters $1..$6: see state/classify.sql. Cost: one scan of the table.
WITH classified AS ({classify})
SELECT now()                                        AS now,
       count(*) FILTER (WHERE zombie)               AS "zombie",
       count(*) FILTER (WHERE half_released)        AS "half-released",
       count(*) FILTER (WHERE inconsistent)         AS "inconsistent",
       count(*) FILTER (WHERE duplicate)            AS "duplicate",
       count(*) FILTER (WHERE skewed)               AS "skewed",
       count(*) FILTER (WHERE running)              AS "running",
       count(*) FILTER (WHERE failed)               AS "failed",
       count(*) FILTER (WHERE completed)            AS "completed",
       count(*) FILTER (WHERE idle)                 AS "idle"
FROM classified
