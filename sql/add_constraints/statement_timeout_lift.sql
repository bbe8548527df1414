-- add-constraints: lift statement_timeout for the rest of the session. VALIDATE and
-- CREATE INDEX CONCURRENTLY scan the whole table (minutes on tens of millions of rows) under
-- locks that block no reader or writer; cancelling them at --statement-timeout would only
-- leave a NOT VALID constraint or an INVALID index to redo. lock_timeout stays in force, so
-- no statement waits long for a lock.
SET statement_timeout = 0
