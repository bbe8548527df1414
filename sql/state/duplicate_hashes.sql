-- The candidates for repeated task_ids, one pass of them: the 64-bit hashes of task_id
-- ({task_hash}, state/duplicates_plan.sql) that two rows or more share, among the hashes whose
-- low 31 bits modulo $1 (int8, the passes) are $2 (int8, this pass, 0 to $1 - 1). A hash
-- collision only makes a candidate: state/duplicates.sql compares the values themselves.
-- Plan: a sort of the bare hashes (24 bytes a row on PostgreSQL 15) and a GroupAggregate;
-- state/duplicates_plan.sql sized work_mem to hold one pass's sort and turned hash aggregation
-- off, so it writes no temporary file. Rather than an aggregate over every distinct task_id,
-- which takes some 220 bytes a value (a 60-byte text; 2 GB at 10 M rows, and spilled still).
-- Cost: one read of the table per pass, and the hash of every row. No locks beyond ACCESS SHARE.
SELECT "h"
FROM (SELECT {task_hash} AS "h"
      FROM {table} AS t
      WHERE t."task_id" IS NOT NULL) AS hashed
WHERE ("h" & 2147483647) % $1 = $2
GROUP BY "h"
HAVING count(*) > 1
