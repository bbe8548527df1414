# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_syncctl_global_optspecs
    string join \n d/database-url= table= heartbeat-timeout= lock-timeout= statement-timeout= timestamp-zone= color= wide v/verbose q/quiet h/help V/version
end

function __fish_syncctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_syncctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_syncctl_using_subcommand
    set -l cmd (__fish_syncctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c syncctl -n "__fish_syncctl_needs_command" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_needs_command" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_needs_command" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_needs_command" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_needs_command" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "inspect" -d 'List rows with their states (default: only problem rows, worst first). Read-only'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "health" -d 'The health report: counts, zombie details, constraint status. Read-only'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "validate-constraints" -d 'Check, read-only, whether the data would accept the three constraints, and whether they are installed and valid. For CI before a migration'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "repair" -d 'Release stuck, inconsistent and duplicate rows, as one explicit transaction: lock, show the plan, confirm, re-check, verify, commit'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "reap" -d 'Release every running row whose heartbeat is older than the timeout (for cron)'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "add-constraints" -d 'Roll the three constraints out on a live table without blocking writers'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "start" -d 'Claim a user\'s sync (or reuse the live one) and run it in the foreground under a heartbeating lease'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "guard" -d 'Install, check or remove the guard: a trigger that enforces the lease for every writer of the table, and the SQL functions the application calls (claim, heartbeat, release)'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "demo" -d 'Start a throwaway PostgreSQL cluster, load the incident, and walk through fixing it: health, validate-constraints, repair, add-constraints, start, health'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "man" -d 'Print a man page (roff), as checked in under `man/`: syncctl\'s, or a subcommand\'s'
complete -c syncctl -n "__fish_syncctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l state -d 'Only rows in this state (repeatable, or comma-separated), or `all`. Default: the five problem states' -r -f -a "zombie\t'Syncing, and the heartbeat is older than the timeout (or missing)'
half-released\t'Syncing, with an error message: someone released half of it'
inconsistent\t'Violates the CHECK predicate (syncing at 0-99%, or stopped at 0 or 100%), or NULL'
duplicate\t'A second running row of a user, or a repeated task id'
skewed\t'A timestamp more than a minute in the future, or a heartbeat still written a whole time-zone offset away: a clock or time-zone bug'
running\t'Syncing with a fresh heartbeat'
failed\t'Stopped at 0% with an error'
completed\t'Stopped at 100%'
idle\t'Stopped at 0% without an error'
all\t'Every state'"
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l user -d 'Only this user\'s rows (compared with the user_id column\'s own type)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l task -d 'Only this task\'s rows' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l limit -d 'At most this many rows (the counts cover all matching rows)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l liveness -d 'How a running row is known to be alive: `lock` also counts a row dead at once when its owner\'s session lock (`start --liveness lock`) is free' -r -f -a "heartbeat\t'By its heartbeat: updated_at newer than --heartbeat-timeout (database clock)'
lock\t'Also by a session advisory lock its process holds: a running row whose lock is free is dead at once. Only for deployments where every writer is `syncctl start --liveness lock` and no transaction-mode pooler (PgBouncer) sits in between'"
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l format -d 'Output format' -r -f -a "table\t'A human table'
json\t'One JSON document'
csv\t'CSV with a header line'"
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l output -d 'Write the report to FILE atomically (temporary file, then rename) instead of stdout; `-` is stdout. Only a regular file (or a new one) is accepted: a device, FIFO or directory is refused before any work' -r -F
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l json -d 'Short for `--format json`'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l format -d 'Output format' -r -f -a "table\t'A human summary'
json\t'The JSON health document: `healthy`, `statistics`, `zombie_task_details`, plus `warnings` and `constraints`'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'"
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l output -d 'Write the report to FILE atomically (temporary file, then rename) instead of stdout; `-` is stdout. Only a regular file (or a new one) is accepted: a device, FIFO or directory is refused before any work' -r -F
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l json -d 'Short for `--format json`'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand health" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l limit -d 'Sample rows shown per failing check' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l format -d 'Output format' -r -f -a "table\t'A human table'
json\t'One JSON document'
csv\t'CSV with a header line'"
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l output -d 'Write the report to FILE atomically (temporary file, then rename) instead of stdout; `-` is stdout. Only a regular file (or a new one) is accepted: a device, FIFO or directory is refused before any work' -r -F
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l require-installed -d 'Also fail when any of the three constraints is missing or not valid'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l json -d 'Short for `--format json`'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand validate-constraints" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l task -d 'Repair this task (repeatable); a task named here is released even when it is live' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l user -d 'Repair this user\'s problem rows' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l format -d 'Output format' -r -f -a "table\t'A human table'
json\t'One JSON document'
csv\t'CSV with a header line'"
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l zombies -d 'Release zombies (running rows whose heartbeat is older than the heartbeat timeout)'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l half-released -d 'Release half-released rows (running, with an error message)'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l inconsistent -d 'Fix rows that violate the CHECK predicate or have NULL states'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l duplicates -d 'Fix second running rows of a user and repeated task ids'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l all -d 'All of the above kinds'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l dry-run -d 'Show the plan, change nothing'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s y -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l json -d 'Short for `--format json`'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand repair" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l timeout -d 'Release running rows silent for longer than this (default: --heartbeat-timeout)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l limit -d 'Rows per batch (one transaction each)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l every -d 'Run as a loop, one pass every DUR, until SIGTERM or SIGINT' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l confirm -d 'Watch the dead rows for DUR, then release only those not written meanwhile (their row version, not their timestamp, decides). Also releases rows whose heartbeat sits a whole time-zone offset in the past, which reap otherwise leaves while they are written' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l liveness -d 'How a running row is known to be alive: `lock` also releases at once a row whose owner\'s session lock (`start --liveness lock`) is free, however fresh its heartbeat' -r -f -a "heartbeat\t'By its heartbeat: updated_at newer than --heartbeat-timeout (database clock)'
lock\t'Also by a session advisory lock its process holds: a running row whose lock is free is dead at once. Only for deployments where every writer is `syncctl start --liveness lock` and no transaction-mode pooler (PgBouncer) sits in between'"
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l dry-run -d 'Show what would be released, change nothing'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l json -d 'One JSON document per pass instead of one line per released task'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand reap" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l retries -d 'Attempts of an ACCESS EXCLUSIVE step (ADD / DROP CONSTRAINT) when its lock is not obtained within --lock-timeout' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l build-wait -d 'How long the steps that block no writer may wait: VALIDATE and CREATE / DROP INDEX CONCURRENTLY (for their SHARE UPDATE EXCLUSIVE lock, and for older transactions and snapshots to end), and waiting for another session\'s index build on the table to finish. Past it: exit 5. The ACCESS EXCLUSIVE steps keep the short --lock-timeout' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l retry-delay -d 'Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l repair -d 'When the data would not accept the constraints, run `repair --all` right after the CHECK is added NOT VALID (new violations are refused from then on), then validate and build (repair asks for confirmation on a terminal; pass --yes without one)'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s y -l yes -d 'Do not ask for confirmation (`--repair`, `--rollback`); needed without a terminal'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l dry-run -d 'Connect, print the statements the table\'s current state needs, run nothing'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l print-sql -d 'Print the whole rollout as an idempotent psql script, without connecting'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l rollback -d 'Remove the three objects instead (indexes concurrently)'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l json -d 'A JSON summary on stdout instead of the human one'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand add-constraints" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l user -d 'The user whose sync to start (compared with the user_id column\'s own type)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l if-running -d 'When the user already has a live running task: reuse it (print its task id), follow it to its end, or fail (exit 1)' -r -f -a "reuse\t'Print its task id and progress, exit 0'
follow\t'Watch it to its end and exit with its outcome'
fail\t'Exit 1'"
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l heartbeat -d 'How often the running task writes its heartbeat (updated_at); must be shorter than --heartbeat-timeout, and is best at most half of it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l stall-timeout -d 'Fail the task as stalled when its progress has not moved for this long (a heartbeat proves the process lives, not that the sync moves)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l grace -d 'How long the child gets to exit after SIGTERM before it is killed (SIGKILL); none after a lost lease, when the child is killed at once' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l liveness -d 'How a running task is known to be alive (see the README before choosing `lock`)' -r -f -a "heartbeat\t'By its heartbeat: updated_at newer than --heartbeat-timeout (database clock)'
lock\t'Also by a session advisory lock its process holds: a running row whose lock is free is dead at once. Only for deployments where every writer is `syncctl start --liveness lock` and no transaction-mode pooler (PgBouncer) sits in between'"
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l demo-items -d 'Demo: how many mails to sync' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l demo-rate -d 'Demo: mails per second' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l demo-fail-at -d 'Demo: fail when progress reaches this percentage' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l demo-hang-at -d 'Demo: hang (no progress, heartbeats go on) when progress reaches this percentage' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l full -d 'A full sync (sync_type = \'full\'); without it, \'incremental\''
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l no-create -d 'Only start a sync for a user that has a row already: a user id with no row is an error (exit 2) and nothing is written. Without it, such a user gets a first row (said on stderr), as a mistyped id would too'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l json -d 'JSON-lines events on stdout (claimed, reused, progress, then completed, failed, cancelled, stalled or lease_lost) instead of the task id line'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l demo -d 'Run the built-in simulated mailbox sync instead of a command'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand start" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -f -a "install" -d 'Create (or bring up to date) the trigger, its function and the API functions, in the table\'s schema. Idempotent'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -f -a "status" -d 'Say whether the guard is installed and current (its definitions compared with what install creates): exit 0 when it is, 1 when it is missing or outdated. Read-only'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -f -a "remove" -d 'Drop the trigger, its function and the API functions. Rows are not touched'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and not __fish_seen_subcommand_from install status remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l retries -d 'Attempts when the table\'s lock (for CREATE / DROP TRIGGER) is not obtained within --lock-timeout' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l retry-delay -d 'Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l dry-run -d 'Connect, print the statements that would run, run nothing'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l print-sql -d 'Print the statements as a psql script (one transaction), without connecting; --table must name the schema'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l json -d 'A JSON document instead of the human lines'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l retries -d 'Attempts when the table\'s lock (for CREATE / DROP TRIGGER) is not obtained within --lock-timeout' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l retry-delay -d 'Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l dry-run -d 'Connect, print the statements that would run, run nothing'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l print-sql -d 'Print the statements as a psql script (one transaction), without connecting; --table must name the schema'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from help" -f -a "install" -d 'Create (or bring up to date) the trigger, its function and the API functions, in the table\'s schema. Idempotent'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from help" -f -a "status" -d 'Say whether the guard is installed and current (its definitions compared with what install creates): exit 0 when it is, 1 when it is missing or outdated. Read-only'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Drop the trigger, its function and the API functions. Rows are not touched'
complete -c syncctl -n "__fish_syncctl_using_subcommand guard; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l users -d 'Healthy users loaded around the incident' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -s d -l database-url -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l table -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l heartbeat-timeout -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l timestamp-zone -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l keep -d 'Leave the cluster running at the end, repaired, and print the DATABASE_URL to use'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l keep-broken -d 'Stop before the repair and leave the cluster running with the broken table, to practise inspect, repair and add-constraints on'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l print-sql -d 'Start no cluster: print the practice table (CREATE TABLE user_sync_status and its rows) as a script for psql: `syncctl demo --print-sql | psql "$DATABASE_URL"`'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand demo" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -s d -l database-url -d 'PostgreSQL connection URL or key=value string; without it the libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq\'s defaults apply' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l table -d 'The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`, `"Sync Ops".user_sync_status`' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l heartbeat-timeout -d 'A running task whose heartbeat (updated_at) is older than this is a zombie' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l lock-timeout -d 'How long a statement may wait for a lock before giving up' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l statement-timeout -d 'How long one statement may run before the server cancels it' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l timestamp-zone -d 'Time zone in which `timestamp without time zone` columns are read (the application writes naive UTC by default)' -r
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l color -d 'When to colour the output; NO_COLOR is honoured under `auto`' -r -f -a "auto\t'Colour when the stream is a terminal and NO_COLOR is not set'
always\t'Always colour'
never\t'Never colour'"
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -l wide -d 'Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to the terminal\'s width, no one-field-per-line layout'
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -s v -l verbose -d 'More diagnostics on stderr (repeatable)'
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -s q -l quiet -d 'Only errors on stderr'
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncctl -n "__fish_syncctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "inspect" -d 'List rows with their states (default: only problem rows, worst first). Read-only'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "health" -d 'The health report: counts, zombie details, constraint status. Read-only'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "validate-constraints" -d 'Check, read-only, whether the data would accept the three constraints, and whether they are installed and valid. For CI before a migration'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "repair" -d 'Release stuck, inconsistent and duplicate rows, as one explicit transaction: lock, show the plan, confirm, re-check, verify, commit'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "reap" -d 'Release every running row whose heartbeat is older than the timeout (for cron)'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "add-constraints" -d 'Roll the three constraints out on a live table without blocking writers'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "start" -d 'Claim a user\'s sync (or reuse the live one) and run it in the foreground under a heartbeating lease'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "guard" -d 'Install, check or remove the guard: a trigger that enforces the lease for every writer of the table, and the SQL functions the application calls (claim, heartbeat, release)'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "demo" -d 'Start a throwaway PostgreSQL cluster, load the incident, and walk through fixing it: health, validate-constraints, repair, add-constraints, start, health'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "completions" -d 'Print shell completions'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "man" -d 'Print a man page (roff), as checked in under `man/`: syncctl\'s, or a subcommand\'s'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and not __fish_seen_subcommand_from inspect health validate-constraints repair reap add-constraints start guard demo completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and __fish_seen_subcommand_from guard" -f -a "install" -d 'Create (or bring up to date) the trigger, its function and the API functions, in the table\'s schema. Idempotent'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and __fish_seen_subcommand_from guard" -f -a "status" -d 'Say whether the guard is installed and current (its definitions compared with what install creates): exit 0 when it is, 1 when it is missing or outdated. Read-only'
complete -c syncctl -n "__fish_syncctl_using_subcommand help; and __fish_seen_subcommand_from guard" -f -a "remove" -d 'Drop the trigger, its function and the API functions. Rows are not touched'
