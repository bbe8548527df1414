//! `inspect`: states of the incident's row and of every kind of row in the mixed table, the same
//! classification on a differently shaped table, filters, formats, and the errors it reports.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::*;
use crate::support::writers::shifted_writers;
use crate::support::{Cluster, ClusterOptions, TestDb, json, readonly_role, syncctl, syncctl_bare, text};

/// Workers storing naive UTC from a UTC+8 session: their rows are `skewed (-8h)`, with
/// `skew_offset_seconds` -28800 as JSON, and not zombies; the real zombies stay zombies.
#[test]
fn writers_storing_a_shifted_clock_are_skewed_with_their_offset() {
    let db = TestDb::new();
    let _writers = shifted_writers(&db);
    let out = syncctl(&db).args(["inspect", "--state", "all", "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    for row in doc["rows"].as_array().unwrap() {
        let task = row["task_id"].as_str().unwrap();
        let (states, offset) = (row["states"].clone(), row["skew_offset_seconds"].clone());
        let expected = match task {
            t if t.starts_with("shanghai-") => (serde_json::json!(["skewed"]), serde_json::json!(-28_800)),
            t if t.starts_with("zombie-") => (serde_json::json!(["zombie"]), Value::Null),
            _ => (serde_json::json!(["running"]), Value::Null),
        };
        assert_eq!((states, offset), expected, "{task}: {row}");
    }
    assert_eq!((doc["counts"]["zombie"].clone(), doc["counts"]["skewed"].clone()), (2.into(), 3.into()), "{doc}");
    let out = syncctl(&db).args(["inspect"]).output().unwrap();
    let table = text(&out.stdout);
    assert_eq!(table.matches("skewed (-8h)").count(), 3, "{table}");
}

/// (task_id, user_id) -> states, for every row of the table.
fn states_by_row(db: &TestDb, table: &str) -> BTreeMap<(String, String), Vec<String>> {
    let out = syncctl(db)
        .args(["--table", table, "inspect", "--state", "all", "--limit", "100000", "--json"])
        .output()
        .unwrap();
    let doc = json(&out.stdout);
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let key = (r["task_id"].as_str().unwrap_or("NULL").to_string(), r["user_id"].as_str().unwrap().to_string());
            let states = r["states"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
            (key, states)
        })
        .collect()
}

fn states_of(map: &BTreeMap<(String, String), Vec<String>>, task: &str) -> Vec<Vec<String>> {
    map.iter().filter(|((t, _), _)| t == task).map(|(_, s)| s.clone()).collect()
}

#[test]
fn the_incident_row_is_a_zombie_and_half_released() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["inspect", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "problem rows listed: exit 1");
    let doc = json(&out.stdout);
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "only the incident's row is a problem: {doc:#}");
    assert_eq!(rows[0]["task_id"], INCIDENT_TASK);
    assert_eq!(rows[0]["states"], serde_json::json!(["zombie", "half-released"]));
    assert_eq!(rows[0]["error_message"], INCIDENT_ERROR);
    assert_eq!(rows[0]["updated_at"], "2025-07-22T05:27:50.842634+00:00");
    assert!(rows[0]["silent_seconds"].as_f64().unwrap() > 3600.0 * 24.0 * 100.0);
    assert_eq!(doc["counts"]["completed"], INCIDENT_COMPLETED);
    assert_eq!(doc["counts"]["idle"], INCIDENT_IDLE);

    // The human table names the row and both states.
    let out = syncctl(&db).arg("inspect").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(INCIDENT_TASK) && text.contains("zombie, half-released"), "{text}");
}

#[test]
fn every_kind_of_row_in_the_mixed_table_gets_its_state() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);

    let out = syncctl(&db).args(["inspect", "--state", "all", "--limit", "100000", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["rows"].as_array().unwrap().len() as i64, MIXED_ROWS + MIXED_DUPLICATE_USER_ROWS);
    let counts = &doc["counts"];
    assert_eq!(counts["zombie"], MIXED_ZOMBIES);
    assert_eq!(counts["half-released"], MIXED_HALF_RELEASED);
    assert_eq!(counts["inconsistent"], MIXED_INCONSISTENT);
    assert_eq!(counts["skewed"], MIXED_SKEWED);
    assert_eq!(counts["failed"], MIXED_FAILED);
    assert_eq!(counts["idle"], MIXED_IDLE);
    // One extra row of the repeated task id, one second running row of the duplicate user.
    assert_eq!(counts["duplicate"], 2);

    let map = states_by_row(&db, REFERENCE_TABLE);
    for task in MIXED_ZOMBIE_TASKS {
        assert_eq!(states_of(&map, task), vec![vec!["zombie"]], "{task}");
    }
    assert_eq!(states_of(&map, MIXED_HALF_RELEASED_TASK), vec![vec!["zombie", "half-released"]]);
    assert_eq!(states_of(&map, MIXED_RUNNING_100_TASK), vec![vec!["inconsistent"]]);
    assert_eq!(states_of(&map, MIXED_STOPPED_45_TASK), vec![vec!["inconsistent"]]);
    assert_eq!(states_of(&map, MIXED_NULL_STATE_TASK), vec![vec!["inconsistent"]]);
    assert_eq!(states_of(&map, MIXED_SKEWED_TASK), vec![vec!["skewed", "running"]]);
    // The fresher of the user's two running rows is kept; the older one is the duplicate.
    assert_eq!(states_of(&map, MIXED_DUP_USER_A_TASK), vec![vec!["running"]]);
    assert_eq!(states_of(&map, MIXED_DUP_USER_B_TASK), vec![vec!["duplicate", "running"]]);
    let mut repeated = states_of(&map, MIXED_REPEATED_TASK);
    repeated.sort();
    assert_eq!(repeated, vec![vec!["completed"], vec!["duplicate", "completed"]]);

    // By default only problem rows, worst first.
    let out = syncctl(&db).args(["inspect", "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len() as i64, MIXED_PROBLEM_ROWS);
    assert_eq!(rows[0]["task_id"], MIXED_HALF_RELEASED_TASK, "zombie and half-released sorts first");
    let order = ["zombie", "half-released", "inconsistent", "duplicate", "skewed"];
    let rank = |r: &Value| order.iter().position(|s| r["states"][0] == *s).unwrap();
    assert!(rows.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])), "worst first: {doc:#}");
}

/// The variant table: keyed by user_id (no id), naive UTC timestamps, a schema name that needs
/// quoting. The same data classifies the same way.
#[test]
fn a_table_keyed_by_user_with_naive_timestamps_classifies_the_same() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, false);
    let variant = variant_table(&db);
    mixed(&db, variant, false);

    let reference = states_by_row(&db, REFERENCE_TABLE);
    let shaped = states_by_row(&db, variant);
    assert_eq!(reference.len() as i64, MIXED_ROWS);
    assert_eq!(reference, shaped);

    // It says how it reads the naive columns.
    let out = syncctl(&db).args(["--table", variant, "inspect", "--json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timestamp without time zone") && stderr.contains("UTC"), "{stderr}");
    assert_eq!(json(&out.stdout)["naive_timestamps"]["read_in"], "UTC");
    // The key is the user_id there.
    let doc = json(&out.stdout);
    assert!(doc["rows"].as_array().unwrap().iter().all(|r| r["key"] == r["user_id"]));
}

#[test]
fn filters_compare_with_the_column_type_and_refuse_what_it_cannot_hold() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["inspect", "--state", "all", "--user", INCIDENT_USER, "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["user_id"], INCIDENT_USER);

    let out = syncctl(&db).args(["inspect", "--state", "all", "--task", "no-such-task", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(json(&out.stdout)["rows"].as_array().unwrap().is_empty());

    let out = syncctl(&db).args(["inspect", "--user", "'; DROP TABLE user_sync_status; --"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("uuid"), "{stderr}");
    assert_eq!(db.count(REFERENCE_TABLE, "true"), INCIDENT_ROWS);

    let out = syncctl(&db).args(["inspect", "--state", "sleepy"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_parses_and_csv_has_a_header_and_one_line_per_row() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);

    let out = syncctl(&db).args(["inspect", "--format", "json"]).output().unwrap();
    let doc = json(&out.stdout);
    for key in ["now", "heartbeat_timeout_seconds", "counts", "rows"] {
        assert!(doc.get(key).is_some(), "{key} missing");
    }
    assert_eq!(doc["counts"].as_object().unwrap().len(), 9, "every state has a count");
    assert_eq!(doc["counts"]["duplicate"], 2);

    // Without duplicates among the states asked for, they are not searched (null), the rest is.
    let out = syncctl(&db).args(["inspect", "--state", "zombie", "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    assert!(doc["counts"]["duplicate"].is_null(), "{doc:#}");
    assert_eq!(doc["counts"]["zombie"], MIXED_ZOMBIES);
    assert_eq!(doc["rows"].as_array().unwrap().len() as i64, MIXED_ZOMBIES);

    let out = syncctl(&db).args(["inspect", "--format", "csv"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "key,user_id,task_id,states,is_syncing,progress_percentage,silent_seconds,started_at,updated_at,error_message,\
         skew_offset_seconds"
    );
    assert_eq!(lines.len() as i64, MIXED_PROBLEM_ROWS + 1);
}

#[test]
fn a_select_only_role_runs_the_read_commands() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let role = readonly_role(&db, REFERENCE_TABLE);
    let url = db.role_url(&role);

    for (args, code) in [(vec!["inspect"], 1), (vec!["health"], 2), (vec!["validate-constraints"], 0)] {
        let out = syncctl_bare().env("DATABASE_URL", &url).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_missing_table_or_column_is_a_usage_error_naming_it() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute("ALTER TABLE user_sync_status DROP COLUMN started_at");

    let out = syncctl(&db).arg("inspect").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column started_at"));

    let out = syncctl(&db).args(["--table", "ops.nowhere", "inspect"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ops.nowhere does not exist"));
}

#[test]
fn a_wrong_password_is_exit_3_and_never_printed() {
    let cluster = Cluster::start(ClusterOptions { password_auth: true, ..ClusterOptions::default() });
    let secret = "Wr0ng-Pa55word-xyz";
    let url = format!("postgres://postgres:{secret}@127.0.0.1:{}/postgres", cluster.port());
    for command in ["inspect", "validate-constraints"] {
        let out = syncctl_bare().env("DATABASE_URL", &url).arg(command).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{command}");
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!all.contains(secret), "{all}");
        assert!(all.contains("password authentication failed"), "{all}");
    }
    // Through PGPASSWORD and the command line too.
    let out = syncctl_bare()
        .env("PGPASSWORD", secret)
        .args(["-d", &format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port()), "health", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains(secret), "{all}");
}

/// On a terminal the table fits its width: at 80 columns the incident's row (whose ids and
/// error alone are wider) comes one field per line, with nothing wider than the terminal;
/// `--wide` gives the full values there too, as a pipe gets them.
#[test]
fn the_table_fits_the_terminal_unless_wide() {
    use crate::support::terminal::{on_terminal, too_wide};
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);

    let (code, text) = on_terminal(&db, &["inspect", "--state", "all"], 80);
    assert_eq!(code, Some(1), "{text}");
    assert!(too_wide(&text, 80).is_empty(), "lines wider than 80 columns:\n{text}");
    assert!(text.contains("-[ RECORD 1 ]"), "{text}");
    let (_, text) = on_terminal(&db, &["inspect", "--state", "all"], 200);
    assert!(too_wide(&text, 200).is_empty(), "lines wider than 200 columns:\n{text}");

    let (code, text) = on_terminal(&db, &["inspect", "--wide"], 80);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(INCIDENT_TASK) && text.contains(INCIDENT_ERROR), "{text}");
    assert!(!too_wide(&text, 80).is_empty(), "--wide cuts nothing:\n{text}");
}

#[test]
fn the_limit_note_counts_in_words_that_agree() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);
    for (limit, says) in [("1", "showing the first row (--limit)"), ("2", "showing the first 2 rows (--limit)")] {
        let out = syncctl(&db).args(["inspect", "--state", "all", "--limit", limit]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "--limit {limit}: {stderr}");
    }
}

/// `--output` (inspect's, the same as health's and validate-constraints') replaces its target by
/// a rename: only a regular file (or a new one) may be it. A
/// device (a link to /dev/null stands in for /dev/stdout, which the old code turned into a
/// regular file when run as root), a FIFO and a directory are refused with exit 2 before any
/// work, and stay what they were; `-` is stdout; a link to a regular file stays a link.
#[test]
fn output_refuses_what_is_not_a_regular_file_and_dash_is_stdout() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(PLAIN_CONSTRAINTS);
    let stdout = crate::support::output_refusals(&db, "inspect", 2);
    assert_eq!(json(&stdout)["rows"], serde_json::json!([]));

    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = syncctl(&db).args(["inspect", "--format", "csv", "--output", link.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
    assert!(std::fs::read_to_string(&real).unwrap().starts_with("key,"), "the CSV header replaced the old text");
    assert!(out.stdout.is_empty(), "the report went to the file");
}
