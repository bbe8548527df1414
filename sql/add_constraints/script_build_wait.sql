-- The bound on the waits of the statements below (--build-wait): VALIDATE and CREATE / DROP
-- INDEX CONCURRENTLY take SHARE UPDATE EXCLUSIVE, which no writer conflicts with (nor queues
-- behind), and wait for older transactions and snapshots; a long-open transaction holds them
-- up without holding anyone else up.
SET lock_timeout = '{build_wait}'
