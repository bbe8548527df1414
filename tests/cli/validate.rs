//! `validate-constraints`: every violating row named per check, a clean table passing, and
//! `--require-installed` following the constraints' existence and validity.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::*;
use crate::support::{TestDb, json, quote_ident, syncctl};

fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

fn sample_tasks(check: &Value) -> Vec<String> {
    check["samples"].as_array().unwrap().iter().map(|s| s["task_id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_mixed_table_fails_and_every_violating_row_is_named() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);

    let out = syncctl(&db).args(["validate-constraints", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_eq!(doc["ok"], false);

    let predicate = check(&doc, "check-predicate");
    assert_eq!(predicate["count"], MIXED_CHECK_VIOLATIONS);
    let mut tasks = sample_tasks(predicate);
    tasks.sort();
    assert_eq!(tasks, vec![MIXED_RUNNING_100_TASK, MIXED_STOPPED_45_TASK]);

    let nulls = check(&doc, "null-state");
    assert_eq!(nulls["count"], MIXED_NULL_STATES);
    assert_eq!(sample_tasks(nulls), vec![MIXED_NULL_STATE_TASK]);

    let running = check(&doc, "duplicate-running");
    assert_eq!(running["count"], 1);
    assert_eq!(sample_tasks(running), vec![MIXED_DUP_USER_B_TASK]);
    assert_eq!(running["samples"][0]["user_id"], MIXED_DUP_USER);

    let repeated = check(&doc, "duplicate-task-id");
    assert_eq!(repeated["count"], 1);
    assert_eq!(sample_tasks(repeated), vec![MIXED_REPEATED_TASK]);

    // The human report names them too, and says what to run.
    let out = syncctl(&db).arg("validate-constraints").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        MIXED_RUNNING_100_TASK,
        MIXED_STOPPED_45_TASK,
        MIXED_NULL_STATE_TASK,
        MIXED_DUP_USER_B_TASK,
        MIXED_REPEATED_TASK,
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert!(text.contains("syncctl repair"));

    let out = syncctl(&db).args(["validate-constraints", "--format", "csv"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1 + 2 + 1 + 1 + 1, "{text}");
}

#[test]
fn clean_data_passes_and_require_installed_follows_the_constraints() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);

    let out = syncctl(&db).arg("validate-constraints").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let out = syncctl(&db).args(["validate-constraints", "--require-installed"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "missing constraints fail --require-installed");

    db.execute(PLAIN_CONSTRAINTS);
    let out = syncctl(&db).args(["validate-constraints", "--require-installed", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&out.stdout);
    assert_eq!(check(&doc, "duplicate-task-id")["guaranteed_by"], "uniq_task_id");

    // The CHECK re-added NOT VALID: the data still passes, --require-installed does not.
    db.execute(
        "ALTER TABLE user_sync_status DROP CONSTRAINT chk_sync_state_consistency;
         ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
            (is_syncing AND progress_percentage BETWEEN 0 AND 99)
         OR (NOT is_syncing AND progress_percentage IN (0, 100))) NOT VALID;",
    );
    let out = syncctl(&db).arg("validate-constraints").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = syncctl(&db).args(["validate-constraints", "--require-installed", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    let chk =
        doc["constraints"].as_array().unwrap().iter().find(|c| c["name"] == "chk_sync_state_consistency").unwrap();
    assert_eq!((chk["exists"].as_bool(), chk["valid"].as_bool()), (Some(true), Some(false)));
}

/// Issue #11, 7: objects that carry the three names with other definitions are reported as
/// `wrong definition`, never as installed, and never make a check be skipped.
#[test]
fn objects_with_the_names_but_other_definitions_are_not_trusted() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    db.execute(
        "ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (progress_percentage >= 0);
         CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status (user_id, task_id);
         CREATE UNIQUE INDEX uniq_task_id ON user_sync_status (task_id, id);
         INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage)
         SELECT user_id, 'second-running-row', true, 5 FROM user_sync_status
          WHERE is_syncing ORDER BY id LIMIT 1;",
    );

    let out = syncctl(&db).args(["validate-constraints", "--require-installed", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let doc = json(&out.stdout);
    assert_eq!(doc["installed"], false);
    let running = check(&doc, "duplicate-running");
    assert_eq!(running["count"], 1, "the scan ran: {running}");
    assert_eq!(running["guaranteed_by"], Value::Null);
    assert_eq!(check(&doc, "duplicate-task-id")["guaranteed_by"], Value::Null);
    for c in doc["constraints"].as_array().unwrap() {
        assert_eq!(c["state"], "wrong definition", "{c}");
        assert_eq!((c["exists"].as_bool(), c["valid"].as_bool()), (Some(true), Some(false)), "{c}");
        assert!(!c["reason"].as_str().unwrap().is_empty(), "{c}");
    }

    let out = syncctl(&db).args(["validate-constraints"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("guaranteed by"), "{text}");
    assert!(text.contains("unique index uniq_user_running_sync: wrong definition"), "{text}");
    assert!(text.contains("check chk_sync_state_consistency: wrong definition"), "{text}");

    // health: a WARNING per object (the data has no zombie and no inconsistent row).
    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    let doc = json(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let warnings: Vec<&str> = doc["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.iter().filter(|w| w.contains("wrong definition")).count(), 3, "{warnings:?}");
}

/// Issue #17: without uniq_task_id the search for repeated task_ids compares every task_id; it
/// runs with the work_mem its sort needs, so it writes no temporary file even where work_mem is
/// tiny (64kB here: 30,000 task ids spilled before), and still finds the repeat.
#[test]
fn the_duplicate_search_writes_no_temporary_file() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, updated_at)
         SELECT md5(i::text)::uuid, 'task-' || i, i % 100 = 0, CASE WHEN i % 100 = 0 THEN 50 ELSE 0 END, now()
         FROM generate_series(1, 30000) AS i;
         INSERT INTO user_sync_status (user_id, task_id) VALUES (md5('again')::uuid, 'task-7');",
    );
    db.execute("VACUUM ANALYZE user_sync_status");
    the_repeat_is_found_without_temporary_files(&db);
}

/// Issue #17: the search sizes its memory from the table's statistics; a table grown since its
/// last ANALYZE (autovacuum off, as on a busy table between two runs of the daemon) held 50
/// times the rows pg_class.reltuples said, and the aggregate over every task_id, sized for
/// 1,000, spilled. The rows are now counted as the planner counts them (pg_class's density
/// times the table's current size), and what is sorted is one 64-bit hash a row: no temporary
/// file, and the repeat (found by hash, confirmed by value) is still the only duplicate.
#[test]
fn the_duplicate_search_writes_no_temporary_file_on_a_table_grown_since_its_statistics() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute("ALTER TABLE user_sync_status SET (autovacuum_enabled = off)");
    let load = |from: i64, to: i64| {
        db.execute(&format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, updated_at)
             SELECT md5(i::text)::uuid, 'task-' || i, false, 0, now() FROM generate_series({from}, {to}) AS i"
        ))
    };
    load(1, 1000);
    db.execute("ANALYZE user_sync_status");
    load(1001, 50000);
    db.execute("INSERT INTO user_sync_status (user_id, task_id) VALUES (md5('again')::uuid, 'task-7')");
    the_repeat_is_found_without_temporary_files(&db);
}

/// validate-constraints under work_mem 64kB finds task-7 as the one repeated task id, and no
/// second running sync, without writing a temporary file.
fn the_repeat_is_found_without_temporary_files(db: &TestDb) {
    db.execute(&format!("ALTER DATABASE {} SET work_mem = '64kB'", quote_ident(db.name())));
    let before = temp_files(db);
    let out = syncctl(db).args(["validate-constraints", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out.stdout);
    assert_eq!(check(&doc, "duplicate-task-id")["count"], 1, "{doc:#}");
    assert_eq!(sample_tasks(check(&doc, "duplicate-task-id")), vec!["task-7"], "{doc:#}");
    assert_eq!(check(&doc, "duplicate-running")["count"], 0, "{doc:#}");
    assert_eq!(temp_files_after_syncctl(db, before), before, "validate-constraints wrote temporary files");
}

/// pg_stat_database.temp_files of the test database.
fn temp_files(db: &TestDb) -> i64 {
    db.scalar("SELECT temp_files FROM pg_catalog.pg_stat_database WHERE datname = current_database()")
}

/// temp_files once syncctl's backend has gone (it reports its statistics as it exits, after
/// leaving pg_stat_activity): waits for that, then up to a second more for a change to show.
fn temp_files_after_syncctl(db: &TestDb, before: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.scalar::<i64>(
        "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    ) > 0
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let settle = Instant::now() + Duration::from_secs(1);
    loop {
        let now = temp_files(db);
        if now != before || Instant::now() > settle {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
