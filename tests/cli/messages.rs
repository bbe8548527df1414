//! The errors a DBA is likely to meet say what happened and what to do next: one test per
//! message, each checking the exit code, the message and its hint.

use crate::support::fixtures::*;
use crate::support::{TestDb, readonly_role, syncctl, syncctl_bare};

/// (exit code, stderr) of a run.
fn fails(cmd: &mut assert_cmd::Command) -> (Option<i32>, String) {
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn says(stderr: &str, what: &str, next: &str) {
    let hint = stderr.split("hint:").nth(1).unwrap_or_default();
    let error = stderr.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
    assert!(error.contains(what), "what happened: {what:?} on an `error: ` line (clap's prefix) of\n{stderr}");
    assert!(hint.contains(next), "what to do next: {next:?} in the hint of\n{stderr}");
}

#[test]
fn cannot_connect() {
    let (code, stderr) = fails(syncctl_bare().args(["-d", "postgres://postgres@127.0.0.1:1/postgres", "inspect"]));
    assert_eq!(code, Some(3));
    says(&stderr, "cannot connect to postgres@127.0.0.1:1/postgres", "check that the server runs");
}

#[test]
fn missing_table_or_column() {
    let db = incident_db();
    let (code, stderr) = fails(syncctl(&db).args(["--table", "sync_status", "inspect"]));
    assert_eq!(code, Some(2));
    says(&stderr, "table sync_status does not exist", "check --table");

    db.execute("ALTER TABLE user_sync_status DROP COLUMN error_message");
    let (code, stderr) = fails(syncctl(&db).arg("health"));
    assert_eq!(code, Some(3), "health reports UNKNOWN");
    says(&stderr, "has no column error_message", "check --table");
}

#[test]
fn missing_privilege() {
    let db = incident_db();
    let role = readonly_role(&db, REFERENCE_TABLE);
    let (code, stderr) = fails(syncctl(&db).env("DATABASE_URL", db.role_url(&role)).args(["repair", "--all", "--yes"]));
    assert_eq!(code, Some(2));
    says(&stderr, "repair needs", "GRANT SELECT, UPDATE ON");
}

#[test]
fn lock_timeout() {
    let db = incident_db();
    let mut holder = db.client();
    let mut tx = holder.transaction().unwrap();
    tx.execute("SELECT 1 FROM user_sync_status WHERE is_syncing FOR UPDATE", &[]).unwrap();
    let (code, stderr) = fails(syncctl(&db).args(["--lock-timeout", "300ms", "repair", "--zombies", "--yes"]));
    assert_eq!(code, Some(5));
    says(&stderr, "canceling statement due to lock timeout", "another session holds a conflicting lock");
    tx.rollback().unwrap();
}

#[test]
fn constraint_violation_during_rollout() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);
    let (code, stderr) = fails(syncctl(&db).arg("add-constraints"));
    assert_eq!(code, Some(1));
    says(&stderr, "the data would not accept the constraints; nothing was changed", "syncctl repair --all");
}

#[test]
fn no_terminal_for_confirmation() {
    let db = incident_db();
    let (code, stderr) = fails(syncctl(&db).args(["repair", "--all"]));
    assert_eq!(code, Some(2));
    says(
        &stderr,
        "there is no terminal to confirm on and --yes was not given; nothing changed",
        "run again with --yes",
    );
}

/// Every "not found" says where syncctl looked, `user@host:port/db` of its connection, and never
/// the password of the URL: a missing table, a missing column, a missing database or role, and
/// a --user that matches no row.
#[test]
fn not_found_names_the_connection_without_the_password() {
    let db = incident_db();
    let password = "s3cret-pw-never-shown";
    // Trust authentication ignores the password; syncctl still holds it and must not show it.
    let url = db.url_as("postgres", Some(password));
    let host = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().to_string();
    let looked_in = |database: &str| format!("(looked in postgres@{host}/{database})");
    let run = |url: &str, args: &[&str]| {
        let (code, stderr) = fails(syncctl_bare().env("DATABASE_URL", url).args(args));
        assert!(!stderr.contains(password), "the password leaked:\n{stderr}");
        (code, stderr)
    };

    let (code, stderr) = run(&url, &["--table", "sync_status", "inspect"]);
    assert_eq!(code, Some(2));
    says(
        &stderr,
        &format!("table sync_status does not exist (as SQL reads it: \"sync_status\") {}", looked_in(db.name())),
        "check --table",
    );
    let (_, stderr) = run(&url, &["--table", "nowhere.user_sync_status", "health"]);
    says(&stderr, &looked_in(db.name()), "check --table");

    let (_, stderr) = run(&url, &["inspect", "--user", "00000000-0000-0000-0000-000000000000"]);
    assert!(
        stderr.contains(&format!(
            "no row of public.user_sync_status matches --user 00000000-0000-0000-0000-000000000000 {}",
            looked_in(db.name())
        )),
        "{stderr}"
    );
    let (_, stderr) = run(&url, &["repair", "--task", "no-such-task", "--dry-run"]);
    assert!(
        stderr.contains(&format!(
            "no row of public.user_sync_status matches --task no-such-task {}",
            looked_in(db.name())
        )),
        "{stderr}"
    );

    let missing_db = url.replace(&format!("/{}", db.name()), "/syncctl_no_such_database");
    let (code, stderr) = run(&missing_db, &["inspect"]);
    assert_eq!(code, Some(3));
    says(&stderr, &format!("postgres@{host}/syncctl_no_such_database"), "the database does not exist");
    let missing_role = db.url_as("syncctl_no_such_role", Some(password));
    let (_, stderr) = run(&missing_role, &["inspect"]);
    says(&stderr, &format!("syncctl_no_such_role@{host}/{}", db.name()), "check the role");

    db.execute("ALTER TABLE user_sync_status DROP COLUMN error_message");
    let (_, stderr) = run(&url, &["inspect"]);
    says(&stderr, &format!("has no column error_message {}", looked_in(db.name())), "check --table");
}

/// `-v` says on stderr which server it reached, the table it resolved and each statement with
/// its time, for inspect and health alike; stdout is what it is without `-v`.
#[test]
fn verbose_shows_connection_table_and_timed_statements() {
    let db = incident_db();
    // Times and ages move between two runs: compare the outputs with digits masked.
    let masked = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes).chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect::<String>()
    };
    for (command, statement) in [("inspect", "syncctl: sql inspect/rows "), ("health", "syncctl: sql health/report ")] {
        let quiet = syncctl(&db).arg(command).output().unwrap();
        let verbose = syncctl(&db).args(["-v", command]).output().unwrap();
        let stderr = String::from_utf8_lossy(&verbose.stderr);
        assert_eq!(verbose.status.code(), quiet.status.code(), "{stderr}");
        assert_eq!(masked(&verbose.stdout), masked(&quiet.stdout), "-v changed stdout");
        assert!(
            stderr.contains("syncctl: connected to postgres@")
                && stderr.contains(&format!("/{} (PostgreSQL ", db.name())),
            "{stderr}"
        );
        assert!(
            stderr
                .contains("syncctl: table user_sync_status resolved to public.user_sync_status (key id; user_id uuid"),
            "{stderr}"
        );
        let timed = stderr
            .lines()
            .find(|l| l.starts_with(statement))
            .unwrap_or_else(|| panic!("no {statement:?} in\n{stderr}"));
        assert!(timed.ends_with(" ms"), "{timed}");
        assert!(!String::from_utf8_lossy(&quiet.stderr).contains("syncctl: sql "), "statements are timed only with -v");
    }
}

/// Every error has the one prefix, `error: `, the one clap gives a usage error too.
#[test]
fn one_error_prefix_for_usage_and_run_errors() {
    let (code, stderr) = fails(syncctl_bare().args(["inspect", "--no-such-flag"]));
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: "), "clap's usage error:\n{stderr}");
    let (code, stderr) = fails(syncctl_bare().args(["-d", "postgres://postgres@127.0.0.1:1/postgres", "inspect"]));
    assert_eq!(code, Some(3));
    assert!(stderr.starts_with("error: ") && !stderr.contains("syncctl: error"), "a run's error:\n{stderr}");
}
