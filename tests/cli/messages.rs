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
