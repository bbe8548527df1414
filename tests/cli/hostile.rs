//! Hostile input: SQL injection in `--table`, `--user`, `--task`; identifiers with quotes, dots,
//! spaces and unicode; invalid durations, limits, formats, states, zones and colours; malformed
//! and unreachable database URLs (the password never printed); tables that are not sync status
//! tables; a closed stdout. Every case asserts its exit code, a message naming the problem, no
//! panic, no password, and — through `table_digest` — that the table is unchanged.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use crate::support::fixtures::*;
use crate::support::wait::wait_exit;
use crate::support::{TestDb, syncctl, syncctl_process, table_digest};

/// The password every database URL of these tests carries; it must never be printed.
const PASSWORD: &str = "Hostile-Pa55word-7Q";

/// One hostile input: the arguments, the exit code the README documents, and what the output
/// (stdout and stderr) must say.
struct Case {
    args: Vec<String>,
    code: i32,
    says: String,
}

fn case(args: &[&str], code: i32, says: &str) -> Case {
    Case { args: args.iter().map(|a| a.to_string()).collect(), code, says: says.to_string() }
}

/// Runs every case against `db` and checks, for each, the exit code, the message, that nothing
/// panicked or printed the password, and that none of `tables` changed. Reports all failures at
/// once.
fn check(db: &TestDb, tables: &[&str], cases: &[Case]) {
    let digest = || tables.iter().map(|t| table_digest(db, t)).collect::<Vec<_>>();
    let mut failures = Vec::new();
    for c in cases {
        let before = digest();
        let out = syncctl(db).args(&c.args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let all = format!("{stdout}{stderr}");
        let mut wrong = Vec::new();
        if out.status.code() != Some(c.code) {
            wrong.push(format!("exit {:?}, expected {}", out.status.code(), c.code));
        }
        if !all.contains(&c.says) {
            wrong.push(format!("the output does not say {:?}", c.says));
        }
        if c.code != 0 && stderr.trim().is_empty() {
            wrong.push("a failure with nothing on stderr".into());
        }
        if stderr.contains("panicked") {
            wrong.push("it panicked".into());
        }
        if all.contains(PASSWORD) {
            wrong.push("the password was printed".into());
        }
        if digest() != before {
            wrong.push(format!("a table changed: {tables:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "syncctl {:?}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                c.args,
                wrong.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

#[test]
fn sql_injection_in_table_is_refused_before_any_sql_runs() {
    let db = incident_db();
    let not_valid = "is not a valid table name";
    check(
        &db,
        &[REFERENCE_TABLE],
        &[
            case(
                &["--table", "user_sync_status; DROP TABLE user_sync_status", "inspect"],
                2,
                "';' needs the name to be quoted",
            ),
            case(&["--table", "x'; DROP TABLE user_sync_status; --", "repair", "--all", "--yes"], 2, not_valid),
            case(
                &["--table", "\"user_sync_status\"; DROP TABLE user_sync_status", "reap"],
                2,
                "unexpected ';' after a quoted name",
            ),
            case(&["--table", "user_sync_status--", "add-constraints"], 2, not_valid),
            case(&["--table", "user_sync_status/**/", "validate-constraints"], 2, not_valid),
            case(&["--table", "user_sync_status\n;DELETE FROM user_sync_status", "reap"], 2, not_valid),
            case(&["--table", "public.user_sync_status.x", "repair", "--all", "--yes"], 2, "use at most schema.table"),
            // Quoted as a whole it is one (absent) name, never SQL.
            case(&["--table", "\"user_sync_status; DROP TABLE user_sync_status\"", "reap"], 2, "does not exist"),
            // A real table that is no sync status table, such as a system catalog.
            case(&["--table", "pg_catalog.pg_class", "repair", "--all", "--yes"], 2, "has no column user_id"),
        ],
    );
    assert_eq!(db.count(REFERENCE_TABLE, "true"), INCIDENT_ROWS);
}

#[test]
fn sql_injection_in_user_and_task_is_only_ever_a_value() {
    let db = incident_db();
    let no_fit = "--user / --task do not fit the table's columns (user_id is uuid";
    let nothing = "counts: zombie 0, half-released 0";
    let tautology = format!("{INCIDENT_TASK}' OR '1'='1");
    let user_tautology = format!("{INCIDENT_USER}' OR 'x'='x");
    check(
        &db,
        &[REFERENCE_TABLE],
        &[
            case(&["inspect", "--user", "' OR 1=1 --"], 2, no_fit),
            case(&["inspect", "--task", "' OR '1'='1"], 0, nothing),
            case(&["inspect", "--task", &tautology], 0, nothing),
            case(&["inspect", "--user", &user_tautology, "--state", "all"], 2, no_fit),
            case(&["repair", "--user", "1; DELETE FROM user_sync_status", "--all", "--yes"], 2, no_fit),
            case(&["repair", "--user", &user_tautology, "--yes"], 2, no_fit),
            case(
                &["repair", "--task", "x'; UPDATE user_sync_status SET is_syncing = false; --", "--yes"],
                0,
                "nothing to repair",
            ),
            case(
                &["repair", "--task", "$$; DROP TABLE user_sync_status; $$", "--task", &tautology, "--dry-run"],
                0,
                "nothing to repair",
            ),
            case(&["inspect", "--state", "zombie'; DROP TABLE user_sync_status; --"], 2, "unknown state"),
            case(&["reap", "--timeout", "1s; DROP TABLE user_sync_status"], 2, "write durations like"),
        ],
    );
}

#[test]
fn identifiers_with_quotes_dots_spaces_and_unicode_work_when_quoted() {
    let db = TestDb::new();
    db.execute("CREATE SCHEMA \"Sync \"\"Ops\"\"\"; CREATE SCHEMA \"データ\"");
    // As written on the command line, and as written in SQL to create them (the same text).
    let tables = ["\"Sync \"\"Ops\"\"\".\"user.sync status\"", "\"データ\".\"Täble ☃\"", "\"a.b\""];
    for table in tables {
        reference_table(&db, table);
        incident(&db, table);
    }

    // Mistyped, the names are refused, naming the mistake, and nothing changes.
    let not_valid = "is not a valid table name";
    check(
        &db,
        &tables,
        &[
            case(&["--table", "Sync \"Ops\".\"user.sync status\"", "inspect"], 2, "' ' needs the name to be quoted"),
            case(
                &["--table", "\"Sync \"Ops\"\".\"user.sync status\"", "reap"],
                2,
                "unexpected 'O' after a quoted name",
            ),
            case(&["--table", "\"Sync \"\"Ops\"\"\".user.sync status", "repair", "--all", "--yes"], 2, not_valid),
            case(&["--table", "データ.Täble ☃", "add-constraints"], 2, "' ' needs the name to be quoted"),
            case(&["--table", "\"データ\".\"Täble ☃", "reap"], 2, "a quote is not closed"),
            case(&["--table", "a.b", "repair", "--all", "--yes"], 2, "table a.b does not exist"),
            case(&["--table", "\"\".\"a.b\"", "reap"], 2, "a quoted name is empty"),
            case(&["--table", "", "inspect"], 2, "a part of the name is empty"),
            case(&["--table", "\"A.B\"", "reap"], 2, "does not exist"),
        ],
    );

    // Quoted right, every command works on them.
    for table in tables {
        let out = syncctl(&db).args(["--table", table, "inspect", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{table}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(INCIDENT_TASK), "{table}");

        let out = syncctl(&db).args(["--table", table, "reap"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{table}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(INCIDENT_TASK), "{table}");
        assert_eq!(db.count(table, "is_syncing"), 0, "{table}: the zombie was reaped");

        let out = syncctl(&db).args(["--table", table, "add-constraints"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{table}: {}", String::from_utf8_lossy(&out.stderr));
        let out =
            syncctl(&db).args(["--table", table, "validate-constraints", "--require-installed"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{table}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn invalid_durations_are_refused_naming_the_flag() {
    let db = incident_db();
    let mut cases = Vec::new();
    let flags: [(&str, &[&str]); 6] = [
        ("--heartbeat-timeout", &["inspect"]),
        ("--lock-timeout", &["repair", "--all", "--yes"]),
        ("--statement-timeout", &["reap"]),
        ("--timeout", &["reap"]),
        ("--every", &["reap"]),
        ("--retry-delay", &["add-constraints"]),
    ];
    let values = [
        ("-5s", "must be positive"),
        ("0s", "must be longer than zero"),
        ("99999999h", "is too long"),
        ("soon", "expected number at 0 (write durations like 500ms"),
        ("5", "time unit needed, for example 5sec"),
    ];
    for (flag, command) in flags {
        for (value, says) in values {
            // Global flags go before the subcommand, the others after it.
            let args: Vec<&str> = if flag.ends_with("-timeout") && flag != "--timeout" {
                [&[flag, value][..], command].concat()
            } else {
                [command, &[flag, value][..]].concat()
            };
            cases.push(case(&args, 2, &format!("invalid value '{value}' for '{flag} <DUR>': {says}")));
        }
    }
    check(&db, &[REFERENCE_TABLE], &cases);
}

#[test]
fn bad_database_urls_fail_clearly_and_never_print_the_password() {
    let db = incident_db();
    let role: String = db.scalar("SELECT current_user::text");
    let real = db.url_as(&role, Some(PASSWORD));
    let no_such_db = real.replace(db.name(), "syncctl_no_such_database");
    let no_such_role = db.url_as("syncctl_no_such_role", Some(PASSWORD));
    let separator = if real.contains('?') { '&' } else { '?' };
    let bad_setting = format!("{real}{separator}options=-c%20statement_timeout%3Dxyz");
    let refused = format!("postgres://alice:{PASSWORD}@127.0.0.1:1/db");
    let encoded = "postgres://alice:Hostile%2DPa55word%2D7Q@127.0.0.1:1/db".to_string();
    let unknown_host = format!("postgres://alice:{PASSWORD}@syncctl-no-such-host.invalid:5432/db");
    let invalid = "the database URL is not valid";
    let urls: Vec<(String, &[&str], i32, &str)> = vec![
        (refused.clone(), &["inspect"], 3, "Connection refused"),
        (refused.clone(), &["health", "--json"], 3, "\"status\": \"UNKNOWN\""),
        (encoded, &["repair", "--all", "--yes"], 3, "Connection refused"),
        (unknown_host, &["reap"], 3, "cannot connect to alice@syncctl-no-such-host.invalid:5432/db"),
        (format!("host=127.0.0.1 port=1 user=alice password={PASSWORD}"), &["reap"], 3, "Connection refused"),
        (no_such_role, &["inspect"], 3, "role \"syncctl_no_such_role\" does not exist"),
        (no_such_db, &["add-constraints"], 3, "database \"syncctl_no_such_database\" does not exist"),
        (bad_setting, &["repair", "--all", "--yes"], 2, "the server refused a session setting"),
        (format!("postgres://alice:{PASSWORD}@127.0.0.1:notaport/db"), &["inspect"], 2, invalid),
        (format!("postgres://alice:{PASSWORD}@[::1:5432/db"), &["reap"], 2, invalid),
        (format!("mysql://alice:{PASSWORD}@127.0.0.1/db"), &["inspect"], 2, invalid),
        (format!("postgres://alice:{PASSWORD}@127.0.0.1/db?connect_timeout=abc"), &["reap"], 2, invalid),
        (format!("postgres://alice:{PASSWORD}@127.0.0.1/db?sslmode=bogus"), &["inspect"], 2, "unknown sslmode 'bogus'"),
        (
            format!("postgres://alice:{PASSWORD}@127.0.0.1/db?sslmode=verify-full"),
            &["reap"],
            2,
            "need the CA's root certificate",
        ),
        (PASSWORD.to_string(), &["inspect"], 2, invalid),
    ];
    // -vv: the most a user can ask to see.
    let cases: Vec<Case> = urls
        .iter()
        .map(|(url, command, code, says)| case(&[&["-vv", "--database-url", url][..], command].concat(), *code, says))
        .collect();
    check(&db, &[REFERENCE_TABLE], &cases);

    // PGPASSWORD is a secret too.
    let out = syncctl(&db)
        .env("PGPASSWORD", PASSWORD)
        .args(["-vv", "--database-url", "postgres://alice@127.0.0.1:1/db", "inspect"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("Connection refused") && !all.contains(PASSWORD), "{all}");
}

#[test]
fn tables_that_are_not_sync_status_tables_are_refused_naming_why() {
    let db = incident_db();
    db.execute(
        "CREATE TABLE syncing_text (LIKE user_sync_status); ALTER TABLE syncing_text ALTER is_syncing TYPE text;
         CREATE TABLE progress_text (LIKE user_sync_status); ALTER TABLE progress_text ALTER progress_percentage TYPE text;
         CREATE TABLE updated_text (LIKE user_sync_status); ALTER TABLE updated_text ALTER updated_at TYPE text;
         CREATE TABLE no_task (LIKE user_sync_status); ALTER TABLE no_task DROP COLUMN task_id;
         CREATE VIEW sync_view AS SELECT * FROM user_sync_status;
         CREATE MATERIALIZED VIEW sync_matview AS SELECT * FROM user_sync_status;
         CREATE SEQUENCE sync_seq;
         INSERT INTO syncing_text SELECT * FROM user_sync_status;",
    );
    let boolean = "column public.syncing_text.is_syncing is text, but syncctl needs boolean";
    check(
        &db,
        &[REFERENCE_TABLE, "syncing_text"],
        &[
            case(&["--table", "syncing_text", "inspect"], 2, boolean),
            case(&["--table", "syncing_text", "repair", "--all", "--yes"], 2, boolean),
            case(&["--table", "syncing_text", "reap"], 2, boolean),
            case(&["--table", "syncing_text", "add-constraints"], 2, boolean),
            case(&["--table", "syncing_text", "health"], 3, boolean),
            case(&["--table", "progress_text", "reap"], 2, "progress_percentage is text, but syncctl needs an integer"),
            case(
                &["--table", "updated_text", "repair", "--all", "--yes"],
                2,
                "updated_at is text, but syncctl needs a timestamp",
            ),
            case(&["--table", "no_task", "reap"], 2, "table public.no_task has no column task_id"),
            case(&["--table", "sync_view", "reap"], 2, "sync_view is a view; syncctl works on the table itself"),
            case(&["--table", "sync_view", "repair", "--all", "--yes"], 2, "is a view"),
            case(&["--table", "sync_matview", "add-constraints"], 2, "is a materialized view"),
            case(&["--table", "sync_seq", "inspect"], 2, "sync_seq is not a table"),
            case(&["--table", "no_such_schema.user_sync_status", "reap"], 2, "does not exist"),
            case(&["--table", "no_such_table", "validate-constraints"], 2, "table no_such_table does not exist"),
        ],
    );
    assert_eq!(db.count("syncing_text", "is_syncing = 'true'"), 1, "the text-typed zombie was left alone");
}

#[test]
fn bad_formats_limits_states_zones_and_colours_are_usage_errors() {
    let db = incident_db();
    let zone = "check --timestamp-zone";
    check(
        &db,
        &[REFERENCE_TABLE],
        &[
            case(&["inspect", "--format", "xml"], 2, "invalid value 'xml' for '--format <FORMAT>'"),
            case(&["repair", "--all", "--yes", "--format", "yaml"], 2, "[possible values: table, json, csv]"),
            // A usage error under health is UNKNOWN: a monitor reads 2 as CRITICAL.
            case(&["health", "--format", "nagios"], 3, "[possible values: table, json, prometheus]"),
            case(&["inspect", "--limit", "0"], 2, "0 is not in 1..=4294967295"),
            case(&["inspect", "--limit", "-1"], 2, "invalid value '-1' for '--limit <N>'"),
            case(&["inspect", "--limit", "99999999999"], 2, "99999999999 is not in 1..="),
            case(&["reap", "--limit", "0"], 2, "0 is not in 1..=4294967295"),
            case(&["reap", "--limit", "-5"], 2, "invalid value '-5' for '--limit <N>'"),
            case(&["add-constraints", "--retries", "0"], 2, "0 is not in 1..=100"),
            case(&["inspect", "--state", "sleeping"], 2, "unknown state 'sleeping'"),
            case(&["inspect", "--state", "zombie,"], 2, "hint: use one of: zombie"),
            case(&["--timestamp-zone", "Mars/Olympus_Mons", "inspect"], 2, zone),
            case(&["--timestamp-zone", "UTC'; DROP TABLE user_sync_status; --", "repair", "--all", "--yes"], 2, zone),
            case(&["--timestamp-zone", "UTC -c statement_timeout=1", "reap"], 2, zone),
            case(&["--timestamp-zone", "", "inspect"], 2, zone),
            case(&["--color", "purple", "inspect"], 2, "[possible values: auto, always, never]"),
            case(&["--color", "", "reap"], 2, "a value is required for '--color <WHEN>'"),
        ],
    );
}

/// Spawns syncctl with stdout piped, reads one line, closes the pipe and waits: the run must
/// end with exit 0 and nothing on stderr about a panic or a broken pipe.
fn read_one_line_then_close(db: &TestDb, args: &[&str]) {
    let mut child = syncctl_process(db.url()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?}: no first line");
    // The reader (and the pipe) is dropped here, as `| head -1` does.
    let status = wait_exit(&mut child);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe"), "{args:?}: {stderr}");
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    let db = incident_db();
    // Far more output than a pipe buffers (64 KiB), so the writes do meet the closed pipe.
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT gen_random_uuid(), 'bulk-' || g, true, 10, now() - interval '1 day', now() - interval '70 minutes'
         FROM generate_series(1, 5000) AS g",
    );
    let before = table_digest(&db, REFERENCE_TABLE);
    for format in ["table", "json", "csv"] {
        read_one_line_then_close(&db, &["inspect", "--state", "all", "--limit", "100000", "--format", format]);
    }
    read_one_line_then_close(&db, &["reap", "--dry-run"]);
    read_one_line_then_close(&db, &["repair", "--all", "--dry-run"]);
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "dry runs and inspect changed nothing");
}
