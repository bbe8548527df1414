#compdef syncctl

autoload -U is-at-least

_syncctl() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_syncctl_commands" \
"*::: :->syncctl" \
&& ret=0
    case $state in
    (syncctl)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:syncctl-command-$line[1]:"
        case $line[1] in
            (inspect)
_arguments "${_arguments_options[@]}" : \
'*--state=[Only rows in this state (repeatable, or comma-separated), or \`all\`. Default\: the five problem states]:STATE:((zombie\:"Syncing, and the heartbeat is older than the timeout (or missing)"
half-released\:"Syncing, with an error message\: someone released half of it"
inconsistent\:"Violates the CHECK predicate (syncing at 0-99%, or stopped at 0 or 100%), or NULL"
duplicate\:"A second running row of a user, or a repeated task id"
skewed\:"A timestamp more than a minute in the future, or a heartbeat still written a whole time-zone offset away\: a clock or time-zone bug"
running\:"Syncing with a fresh heartbeat"
failed\:"Stopped at 0% with an error"
completed\:"Stopped at 100%"
idle\:"Stopped at 0% without an error"
all\:"Every state"))' \
'--user=[Only this user'\''s rows (compared with the user_id column'\''s own type)]:ID:_default' \
'--task=[Only this task'\''s rows]:ID:_default' \
'--limit=[At most this many rows (the counts cover all matching rows)]:N:_default' \
'--liveness=[How a running row is known to be alive\: \`lock\` also counts a row dead at once when its owner'\''s session lock (\`start --liveness lock\`) is free]:LIVENESS:((heartbeat\:"By its heartbeat\: updated_at newer than --heartbeat-timeout (database clock)"
lock\:"Also by a session advisory lock its process holds\: a running row whose lock is free is dead at once. Only for deployments where every writer is \`syncctl start --liveness lock\` and no transaction-mode pooler (PgBouncer) sits in between"))' \
'--format=[Output format]:FORMAT:((table\:"A human table"
json\:"One JSON document"
csv\:"CSV with a header line"))' \
'--output=[Write the report to FILE atomically (temporary file, then rename) instead of stdout; \`-\` is stdout. Only a regular file (or a new one) is accepted\: a device, FIFO or directory is refused before any work]:FILE:_files' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--format)--json[Short for \`--format json\`]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(health)
_arguments "${_arguments_options[@]}" : \
'--format=[Output format]:FORMAT:((table\:"A human summary"
json\:"The JSON health document\: \`healthy\`, \`statistics\`, \`zombie_task_details\`, plus \`warnings\` and \`constraints\`"
prometheus\:"Prometheus text exposition, for node_exporter'\''s textfile collector"))' \
'--output=[Write the report to FILE atomically (temporary file, then rename) instead of stdout; \`-\` is stdout. Only a regular file (or a new one) is accepted\: a device, FIFO or directory is refused before any work]:FILE:_files' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--format)--json[Short for \`--format json\`]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(validate-constraints)
_arguments "${_arguments_options[@]}" : \
'--limit=[Sample rows shown per failing check]:N:_default' \
'--format=[Output format]:FORMAT:((table\:"A human table"
json\:"One JSON document"
csv\:"CSV with a header line"))' \
'--output=[Write the report to FILE atomically (temporary file, then rename) instead of stdout; \`-\` is stdout. Only a regular file (or a new one) is accepted\: a device, FIFO or directory is refused before any work]:FILE:_files' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--require-installed[Also fail when any of the three constraints is missing or not valid]' \
'(--format)--json[Short for \`--format json\`]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(repair)
_arguments "${_arguments_options[@]}" : \
'*--task=[Repair this task (repeatable); a task named here is released even when it is live]:ID:_default' \
'--user=[Repair this user'\''s problem rows]:ID:_default' \
'--format=[Output format]:FORMAT:((table\:"A human table"
json\:"One JSON document"
csv\:"CSV with a header line"))' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--zombies[Release zombies (running rows whose heartbeat is older than the heartbeat timeout)]' \
'--half-released[Release half-released rows (running, with an error message)]' \
'--inconsistent[Fix rows that violate the CHECK predicate or have NULL states]' \
'--duplicates[Fix second running rows of a user and repeated task ids]' \
'--all[All of the above kinds]' \
'--dry-run[Show the plan, change nothing]' \
'-y[Do not ask for confirmation (needed without a terminal)]' \
'--yes[Do not ask for confirmation (needed without a terminal)]' \
'(--format)--json[Short for \`--format json\`]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(reap)
_arguments "${_arguments_options[@]}" : \
'--timeout=[Release running rows silent for longer than this (default\: --heartbeat-timeout)]:DUR:_default' \
'--limit=[Rows per batch (one transaction each)]:N:_default' \
'--every=[Run as a loop, one pass every DUR, until SIGTERM or SIGINT]:DUR:_default' \
'(--dry-run)--confirm=[Watch the dead rows for DUR, then release only those not written meanwhile (their row version, not their timestamp, decides). Also releases rows whose heartbeat sits a whole time-zone offset in the past, which reap otherwise leaves while they are written]:DUR:_default' \
'--liveness=[How a running row is known to be alive\: \`lock\` also releases at once a row whose owner'\''s session lock (\`start --liveness lock\`) is free, however fresh its heartbeat]:LIVENESS:((heartbeat\:"By its heartbeat\: updated_at newer than --heartbeat-timeout (database clock)"
lock\:"Also by a session advisory lock its process holds\: a running row whose lock is free is dead at once. Only for deployments where every writer is \`syncctl start --liveness lock\` and no transaction-mode pooler (PgBouncer) sits in between"))' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--dry-run[Show what would be released, change nothing]' \
'--json[One JSON document per pass instead of one line per released task]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(add-constraints)
_arguments "${_arguments_options[@]}" : \
'--retries=[Attempts of an ACCESS EXCLUSIVE step (ADD / DROP CONSTRAINT) when its lock is not obtained within --lock-timeout]:N:_default' \
'--build-wait=[How long the steps that block no writer may wait\: VALIDATE and CREATE / DROP INDEX CONCURRENTLY (for their SHARE UPDATE EXCLUSIVE lock, and for older transactions and snapshots to end), and waiting for another session'\''s index build on the table to finish. Past it\: exit 5. The ACCESS EXCLUSIVE steps keep the short --lock-timeout]:DUR:_default' \
'--retry-delay=[Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)]:DUR:_default' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--rollback --print-sql)--repair[When the data would not accept the constraints, run \`repair --all\` right after the CHECK is added NOT VALID (new violations are refused from then on), then validate and build (repair asks for confirmation on a terminal; pass --yes without one)]' \
'-y[Do not ask for confirmation (\`--repair\`, \`--rollback\`); needed without a terminal]' \
'--yes[Do not ask for confirmation (\`--repair\`, \`--rollback\`); needed without a terminal]' \
'(--print-sql)--dry-run[Connect, print the statements the table'\''s current state needs, run nothing]' \
'--print-sql[Print the whole rollout as an idempotent psql script, without connecting]' \
'--rollback[Remove the three objects instead (indexes concurrently)]' \
'--json[A JSON summary on stdout instead of the human one]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(start)
_arguments "${_arguments_options[@]}" : \
'--user=[The user whose sync to start (compared with the user_id column'\''s own type)]:ID:_default' \
'--if-running=[When the user already has a live running task\: reuse it (print its task id), follow it to its end, or fail (exit 1)]:WHAT:((reuse\:"Print its task id and progress, exit 0"
follow\:"Watch it to its end and exit with its outcome"
fail\:"Exit 1"))' \
'--heartbeat=[How often the running task writes its heartbeat (updated_at); must be shorter than --heartbeat-timeout, and is best at most half of it]:DUR:_default' \
'--stall-timeout=[Fail the task as stalled when its progress has not moved for this long (a heartbeat proves the process lives, not that the sync moves)]:DUR:_default' \
'--grace=[How long the child gets to exit after SIGTERM before it is killed (SIGKILL); none after a lost lease, when the child is killed at once]:DUR:_default' \
'--liveness=[How a running task is known to be alive (see the README before choosing \`lock\`)]:HOW:((heartbeat\:"By its heartbeat\: updated_at newer than --heartbeat-timeout (database clock)"
lock\:"Also by a session advisory lock its process holds\: a running row whose lock is free is dead at once. Only for deployments where every writer is \`syncctl start --liveness lock\` and no transaction-mode pooler (PgBouncer) sits in between"))' \
'--demo-items=[Demo\: how many mails to sync]:N:_default' \
'--demo-rate=[Demo\: mails per second]:PER_SECOND:_default' \
'--demo-fail-at=[Demo\: fail when progress reaches this percentage]:PERCENT:_default' \
'--demo-hang-at=[Demo\: hang (no progress, heartbeats go on) when progress reaches this percentage]:PERCENT:_default' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--full[A full sync (sync_type = '\''full'\''); without it, '\''incremental'\'']' \
'--no-create[Only start a sync for a user that has a row already\: a user id with no row is an error (exit 2) and nothing is written. Without it, such a user gets a first row (said on stderr), as a mistyped id would too]' \
'--json[JSON-lines events on stdout (claimed, reused, progress, then completed, failed, cancelled, stalled or lease_lost) instead of the task id line]' \
'--demo[Run the built-in simulated mailbox sync instead of a command]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'*::command -- The sync to run as a child\: it gets SYNCCTL_TASK_ID, SYNCCTL_USER_ID and SYNCCTL_SYNC_TYPE, reports `{"progress"\: 42, "stats"\: {...}}` lines on stdout, logs on stderr, and exits 0 when the sync completed:_default' \
&& ret=0
;;
(guard)
_arguments "${_arguments_options[@]}" : \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_syncctl__subcmd__guard_commands" \
"*::: :->guard" \
&& ret=0

    case $state in
    (guard)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:syncctl-guard-command-$line[1]:"
        case $line[1] in
            (install)
_arguments "${_arguments_options[@]}" : \
'--retries=[Attempts when the table'\''s lock (for CREATE / DROP TRIGGER) is not obtained within --lock-timeout]:N:_default' \
'--retry-delay=[Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)]:DUR:_default' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--print-sql)--dry-run[Connect, print the statements that would run, run nothing]' \
'--print-sql[Print the statements as a psql script (one transaction), without connecting; --table must name the schema]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--json[A JSON document instead of the human lines]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
'--retries=[Attempts when the table'\''s lock (for CREATE / DROP TRIGGER) is not obtained within --lock-timeout]:N:_default' \
'--retry-delay=[Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)]:DUR:_default' \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--print-sql)--dry-run[Connect, print the statements that would run, run nothing]' \
'--print-sql[Print the statements as a psql script (one transaction), without connecting; --table must name the schema]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_syncctl__subcmd__guard__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:syncctl-guard-help-command-$line[1]:"
        case $line[1] in
            (install)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(demo)
_arguments "${_arguments_options[@]}" : \
'--users=[Healthy users loaded around the incident]:N:_default' \
'-d+[]:VALUE:_default' \
'--database-url=[]:VALUE:_default' \
'--table=[]:VALUE:_default' \
'--heartbeat-timeout=[]:VALUE:_default' \
'--timestamp-zone=[]:VALUE:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'(--keep-broken --print-sql)--keep[Leave the cluster running at the end, repaired, and print the DATABASE_URL to use]' \
'(--print-sql)--keep-broken[Stop before the repair and leave the cluster running with the broken table, to practise inspect, repair and add-constraints on]' \
'--print-sql[Start no cluster\: print the practice table (CREATE TABLE user_sync_status and its rows) as a script for psql\: \`syncctl demo --print-sql | psql "\$DATABASE_URL"\`]' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':shell -- The shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'-d+[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--database-url=[PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq'\''s defaults apply]:URL:_default' \
'--table=[The sync-status table, written as in SQL\: \`user_sync_status\`, \`ops.user_sync_status\`, \`"Sync Ops".user_sync_status\`]:NAME:_default' \
'--heartbeat-timeout=[A running task whose heartbeat (updated_at) is older than this is a zombie]:DUR:_default' \
'--lock-timeout=[How long a statement may wait for a lock before giving up]:DUR:_default' \
'--statement-timeout=[How long one statement may run before the server cancels it]:DUR:_default' \
'--timestamp-zone=[Time zone in which \`timestamp without time zone\` columns are read (the application writes naive UTC by default)]:ZONE:_default' \
'--color=[When to colour the output; NO_COLOR is honoured under \`auto\`]:WHEN:((auto\:"Colour when the stream is a terminal and NO_COLOR is not set"
always\:"Always colour"
never\:"Never colour"))' \
'--wide[Full values in tables on a terminal too, as for a pipe\: no ids, times or text cut to the terminal'\''s width, no one-field-per-line layout]' \
'(-q --quiet)*-v[More diagnostics on stderr (repeatable)]' \
'(-q --quiet)*--verbose[More diagnostics on stderr (repeatable)]' \
'-q[Only errors on stderr]' \
'--quiet[Only errors on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::command -- The subcommand whose page to print (`syncctl-COMMAND.1`); without it, syncctl'\''s own:_default' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_syncctl__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:syncctl-help-command-$line[1]:"
        case $line[1] in
            (inspect)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(health)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(validate-constraints)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(repair)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(reap)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(add-constraints)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(start)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(guard)
_arguments "${_arguments_options[@]}" : \
":: :_syncctl__subcmd__help__subcmd__guard_commands" \
"*::: :->guard" \
&& ret=0

    case $state in
    (guard)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:syncctl-help-guard-command-$line[1]:"
        case $line[1] in
            (install)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(demo)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_syncctl_commands] )) ||
_syncctl_commands() {
    local commands; commands=(
'inspect:List rows with their states (default\: only problem rows, worst first). Read-only' \
'health:The health report\: counts, zombie details, constraint status. Read-only' \
'validate-constraints:Check, read-only, whether the data would accept the three constraints, and whether they are installed and valid. For CI before a migration' \
'repair:Release stuck, inconsistent and duplicate rows, as one explicit transaction\: lock, show the plan, confirm, re-check, verify, commit' \
'reap:Release every running row whose heartbeat is older than the timeout (for cron)' \
'add-constraints:Roll the three constraints out on a live table without blocking writers' \
'start:Claim a user'\''s sync (or reuse the live one) and run it in the foreground under a heartbeating lease' \
'guard:Install, check or remove the guard\: a trigger that enforces the lease for every writer of the table, and the SQL functions the application calls (claim, heartbeat, release)' \
'demo:Start a throwaway PostgreSQL cluster, load the incident, and walk through fixing it\: health, validate-constraints, repair, add-constraints, start, health' \
'completions:Print shell completions' \
'man:Print a man page (roff), as checked in under \`man/\`\: syncctl'\''s, or a subcommand'\''s' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'syncctl commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__add-constraints_commands] )) ||
_syncctl__subcmd__add-constraints_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl add-constraints commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__completions_commands] )) ||
_syncctl__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl completions commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__demo_commands] )) ||
_syncctl__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl demo commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard_commands] )) ||
_syncctl__subcmd__guard_commands() {
    local commands; commands=(
'install:Create (or bring up to date) the trigger, its function and the API functions, in the table'\''s schema. Idempotent' \
'status:Say whether the guard is installed and current (its definitions compared with what install creates)\: exit 0 when it is, 1 when it is missing or outdated. Read-only' \
'remove:Drop the trigger, its function and the API functions. Rows are not touched' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'syncctl guard commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__help_commands] )) ||
_syncctl__subcmd__guard__subcmd__help_commands() {
    local commands; commands=(
'install:Create (or bring up to date) the trigger, its function and the API functions, in the table'\''s schema. Idempotent' \
'status:Say whether the guard is installed and current (its definitions compared with what install creates)\: exit 0 when it is, 1 when it is missing or outdated. Read-only' \
'remove:Drop the trigger, its function and the API functions. Rows are not touched' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'syncctl guard help commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__help__subcmd__help_commands] )) ||
_syncctl__subcmd__guard__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard help help commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__help__subcmd__install_commands] )) ||
_syncctl__subcmd__guard__subcmd__help__subcmd__install_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard help install commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__help__subcmd__remove_commands] )) ||
_syncctl__subcmd__guard__subcmd__help__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard help remove commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__help__subcmd__status_commands] )) ||
_syncctl__subcmd__guard__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard help status commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__install_commands] )) ||
_syncctl__subcmd__guard__subcmd__install_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard install commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__remove_commands] )) ||
_syncctl__subcmd__guard__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard remove commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__guard__subcmd__status_commands] )) ||
_syncctl__subcmd__guard__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl guard status commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__health_commands] )) ||
_syncctl__subcmd__health_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl health commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help_commands] )) ||
_syncctl__subcmd__help_commands() {
    local commands; commands=(
'inspect:List rows with their states (default\: only problem rows, worst first). Read-only' \
'health:The health report\: counts, zombie details, constraint status. Read-only' \
'validate-constraints:Check, read-only, whether the data would accept the three constraints, and whether they are installed and valid. For CI before a migration' \
'repair:Release stuck, inconsistent and duplicate rows, as one explicit transaction\: lock, show the plan, confirm, re-check, verify, commit' \
'reap:Release every running row whose heartbeat is older than the timeout (for cron)' \
'add-constraints:Roll the three constraints out on a live table without blocking writers' \
'start:Claim a user'\''s sync (or reuse the live one) and run it in the foreground under a heartbeating lease' \
'guard:Install, check or remove the guard\: a trigger that enforces the lease for every writer of the table, and the SQL functions the application calls (claim, heartbeat, release)' \
'demo:Start a throwaway PostgreSQL cluster, load the incident, and walk through fixing it\: health, validate-constraints, repair, add-constraints, start, health' \
'completions:Print shell completions' \
'man:Print a man page (roff), as checked in under \`man/\`\: syncctl'\''s, or a subcommand'\''s' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'syncctl help commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__add-constraints_commands] )) ||
_syncctl__subcmd__help__subcmd__add-constraints_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help add-constraints commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__completions_commands] )) ||
_syncctl__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help completions commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__demo_commands] )) ||
_syncctl__subcmd__help__subcmd__demo_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help demo commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__guard_commands] )) ||
_syncctl__subcmd__help__subcmd__guard_commands() {
    local commands; commands=(
'install:Create (or bring up to date) the trigger, its function and the API functions, in the table'\''s schema. Idempotent' \
'status:Say whether the guard is installed and current (its definitions compared with what install creates)\: exit 0 when it is, 1 when it is missing or outdated. Read-only' \
'remove:Drop the trigger, its function and the API functions. Rows are not touched' \
    )
    _describe -t commands 'syncctl help guard commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__guard__subcmd__install_commands] )) ||
_syncctl__subcmd__help__subcmd__guard__subcmd__install_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help guard install commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__guard__subcmd__remove_commands] )) ||
_syncctl__subcmd__help__subcmd__guard__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help guard remove commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__guard__subcmd__status_commands] )) ||
_syncctl__subcmd__help__subcmd__guard__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help guard status commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__health_commands] )) ||
_syncctl__subcmd__help__subcmd__health_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help health commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__help_commands] )) ||
_syncctl__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help help commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__inspect_commands] )) ||
_syncctl__subcmd__help__subcmd__inspect_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help inspect commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__man_commands] )) ||
_syncctl__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help man commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__reap_commands] )) ||
_syncctl__subcmd__help__subcmd__reap_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help reap commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__repair_commands] )) ||
_syncctl__subcmd__help__subcmd__repair_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help repair commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__start_commands] )) ||
_syncctl__subcmd__help__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help start commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__help__subcmd__validate-constraints_commands] )) ||
_syncctl__subcmd__help__subcmd__validate-constraints_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl help validate-constraints commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__inspect_commands] )) ||
_syncctl__subcmd__inspect_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl inspect commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__man_commands] )) ||
_syncctl__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl man commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__reap_commands] )) ||
_syncctl__subcmd__reap_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl reap commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__repair_commands] )) ||
_syncctl__subcmd__repair_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl repair commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__start_commands] )) ||
_syncctl__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl start commands' commands "$@"
}
(( $+functions[_syncctl__subcmd__validate-constraints_commands] )) ||
_syncctl__subcmd__validate-constraints_commands() {
    local commands; commands=()
    _describe -t commands 'syncctl validate-constraints commands' commands "$@"
}

if [ "$funcstack[1]" = "_syncctl" ]; then
    _syncctl "$@"
else
    compdef _syncctl syncctl
fi
