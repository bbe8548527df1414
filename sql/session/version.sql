-- Under -v, once per connection: what the server is, so a DBA sees which server answered.
-- Returns version (text, server_version) and port (int4, the port the server listens on: a
-- pooler or proxy in between listens on another). Locks: none. Cost: nothing.
SELECT pg_catalog.current_setting('server_version') AS version,
       pg_catalog.current_setting('port')::int4 AS port
