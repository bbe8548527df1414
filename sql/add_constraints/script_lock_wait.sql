-- The bound on the waits of the next statement (--lock-timeout): ADD CONSTRAINT takes ACCESS
-- EXCLUSIVE, and while it waits for that lock every later reader and writer of the table
-- queues behind it. Give up soon, and rerun instead.
SET lock_timeout = '{lock_timeout}'
