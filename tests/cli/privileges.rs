//! Least privilege (README, "Least privilege"): each subcommand runs as a role with exactly the
//! GRANTs the README lists for it — in a database where PUBLIC may neither connect nor use the
//! schema — and a role short of them fails with exit 2, a message naming what the subcommand
//! needs, the GRANT to run, and the table unchanged.

use std::process::Output;

use crate::support::fixtures::*;
use crate::support::{TestDb, quote_ident, readonly_role, syncctl, table_digest};

/// The reference table with the incident, in a database where PUBLIC has no CONNECT and no
/// USAGE on `public`: a role has exactly what a test grants it.
fn locked_down_db() -> TestDb {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    db.execute(&format!(
        "REVOKE ALL ON DATABASE {} FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        quote_ident(db.name())
    ));
    db
}

/// A login role with CONNECT on the database, USAGE on `public`, and `grants` (SQL run with
/// `{role}` standing for the quoted role).
fn role_with(db: &TestDb, grants: &str) -> String {
    let role = db.create_role("");
    let role_q = quote_ident(&role);
    db.execute(&format!(
        "GRANT CONNECT ON DATABASE {} TO {role_q}; GRANT USAGE ON SCHEMA public TO {role_q}; {}",
        quote_ident(db.name()),
        grants.replace("{role}", &role_q)
    ));
    role
}

fn run_as(db: &TestDb, role: &str, args: &[&str]) -> Output {
    syncctl(db).env("DATABASE_URL", db.role_url(role)).args(args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Makes the incident's row a zombie again, for the next writer.
fn zombie_again(db: &TestDb) {
    db.execute(&format!(
        "UPDATE user_sync_status SET is_syncing = true, progress_percentage = 0, \
         updated_at = now() - interval '1 day' WHERE task_id = '{INCIDENT_TASK}'"
    ));
}

#[test]
fn read_side_commands_need_only_select() {
    let db = locked_down_db();
    let reader = readonly_role(&db, REFERENCE_TABLE);
    let before = table_digest(&db, REFERENCE_TABLE);
    for (args, code) in [
        (&["inspect"][..], 1),
        (&["inspect", "--state", "all", "--json"][..], 1),
        (&["health", "--json"][..], 2), // CRITICAL: the incident's zombie
        (&["validate-constraints"][..], 0),
        (&["reap", "--dry-run"][..], 0),
        (&["add-constraints", "--dry-run"][..], 0),
    ] {
        let out = run_as(&db, &reader, args);
        assert_eq!(out.status.code(), Some(code), "{args:?} as a SELECT-only role:\n{}", text(&out));
        assert!(!text(&out).contains("permission denied"), "{args:?}: {}", text(&out));
    }
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before);
}

#[test]
fn repair_and_reap_need_select_and_update() {
    let db = locked_down_db();
    let table_grant = role_with(&db, "GRANT SELECT, UPDATE ON user_sync_status TO {role};");
    // The tightest form: UPDATE on the columns they write only.
    let column_grant = role_with(
        &db,
        "GRANT SELECT, UPDATE (is_syncing, progress_percentage, updated_at, error_message, task_id) \
         ON user_sync_status TO {role};",
    );
    for role in [&table_grant, &column_grant] {
        zombie_again(&db);
        let out = run_as(&db, role, &["repair", "--all", "--yes"]);
        assert_eq!(out.status.code(), Some(0), "repair: {}", text(&out));
        assert_eq!(db.count(REFERENCE_TABLE, "is_syncing"), 0, "repair released the zombie");

        zombie_again(&db);
        let out = run_as(&db, role, &["reap"]);
        assert_eq!(out.status.code(), Some(0), "reap: {}", text(&out));
        assert!(text(&out).contains(INCIDENT_TASK), "{}", text(&out));
        assert_eq!(db.count(REFERENCE_TABLE, "is_syncing"), 0, "reap released the zombie");
    }
}

#[test]
fn add_constraints_needs_to_own_the_table() {
    let db = locked_down_db();
    // CREATE INDEX checks CREATE on the table's schema besides ownership.
    let owner =
        role_with(&db, "ALTER TABLE user_sync_status OWNER TO {role}; GRANT CREATE ON SCHEMA public TO {role};");
    repair_as_admin(&db);
    let out = run_as(&db, &owner, &["add-constraints"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_as(&db, &owner, &["validate-constraints", "--require-installed"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_as(&db, &owner, &["add-constraints", "--rollback", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(db.count("pg_indexes", "indexname IN ('uniq_task_id', 'uniq_user_running_sync')"), 0);
}

fn repair_as_admin(db: &TestDb) {
    let out = syncctl(db).args(["repair", "--all", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_role_short_of_a_privilege_gets_exit_2_naming_it_and_nothing_changes() {
    let db = locked_down_db();
    let reader = readonly_role(&db, REFERENCE_TABLE);
    let writer = role_with(&db, "GRANT SELECT, UPDATE ON user_sync_status TO {role};");
    let stranger = db.create_role(""); // not even CONNECT
    let no_usage = db.create_role("");
    db.execute(&format!(
        "GRANT CONNECT ON DATABASE {db_q} TO {r}; GRANT SELECT ON user_sync_status TO {r};",
        db_q = quote_ident(db.name()),
        r = quote_ident(&no_usage)
    ));
    let update = "needs CONNECT on the database, USAGE on the table's schema, SELECT and UPDATE on the table";
    let update_grant = "GRANT SELECT, UPDATE ON user_sync_status TO <role>";
    let owner = "add-constraints needs to own the table";
    let owner_without_create = role_with(&db, "ALTER TABLE user_sync_status OWNER TO {role};");
    let cases: [(&str, &[&str], &str, &str); 9] = [
        (&reader, &["repair", "--all", "--yes"], update, update_grant),
        (&reader, &["repair", "--all", "--dry-run"], update, update_grant),
        (&reader, &["reap"], update, update_grant),
        (&reader, &["add-constraints"], owner, "run it as the owner of user_sync_status"),
        (&writer, &["add-constraints"], owner, "run it as the owner of user_sync_status"),
        (&owner_without_create, &["add-constraints"], "permission denied for schema public", "GRANT CREATE ON SCHEMA"),
        (&stranger, &["inspect"], "User does not have CONNECT privilege", "GRANT CONNECT ON DATABASE"),
        (&stranger, &["reap"], "reap needs CONNECT on the database", "GRANT SELECT, UPDATE ON user_sync_status"),
        // Without USAGE on the schema the table is invisible rather than forbidden.
        (&no_usage, &["inspect"], "table user_sync_status does not exist", "USAGE on the table's schema"),
    ];
    for (role, args, says, hint) in cases {
        let before = table_digest(&db, REFERENCE_TABLE);
        let out = run_as(&db, role, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(stderr.contains(says), "{args:?} should say {says:?}: {stderr}");
        assert!(stderr.contains("hint: ") && stderr.contains(hint), "{args:?} hint {hint:?}: {stderr}");
        assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "{args:?} changed the table");
    }
    assert_eq!(db.count(REFERENCE_TABLE, &format!("task_id = '{INCIDENT_TASK}' AND is_syncing")), 1);
}
