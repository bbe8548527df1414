-- add-constraints: lift statement_timeout for the rest of the session. VALIDATE and
-- CREATE INDEX CONCURRENTLY scan the whole table (minutes on tens of millions of rows) under
-- locks that block no reader or writer; cancelling them at --statement-timeout would only
-- leave a NOT VALID constraint or an INVALID index to redo. The waits stay bounded: each step
-- sets lock_timeout first (--lock-timeout for the ACCESS EXCLUSIVE steps, --build-wait for the
-- others).
SET statement_timeout = 0
