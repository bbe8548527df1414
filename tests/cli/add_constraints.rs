//! `add-constraints`: the rollout on clean data and its idempotent rerun, the brief's
//! Priority-1 tests against the installed objects, dirty data refused (or repaired first), an
//! INVALID index rebuilt, a conflicting lock (exit 5, writers never stuck), a 200,000-row table
//! under four writers, the `--print-sql` script applied with psql, and `--rollback`.

use std::process::Command as Process;
use std::thread;
use std::time::{Duration, Instant};

use postgres::Client;

use crate::support::background::Background;
use crate::support::constraints::{CHECK, RUNNING, TASK, all_three, end_state, require_installed, valid_objects};
use crate::support::fixtures::*;
use crate::support::proxy::Proxy;
use crate::support::wait::{poll, wait_exit};
use crate::support::writers::{WRITER_MARGIN, Writer, longest_gap, rollout_under_four_writers, wait_for_commits};
use crate::support::{TestDb, describe_sql_error, syncctl, syncctl_bare, syncctl_process, text};

/// Runs `add-constraints` with `args`; asserts the exit code and returns (stdout, stderr).
fn add_constraints(db: &TestDb, args: &[&str], code: i32) -> (String, String) {
    add_constraints_with(db, &[], args, code)
}

/// [`add_constraints`] with global options before the subcommand.
fn add_constraints_with(db: &TestDb, global: &[&str], args: &[&str], code: i32) -> (String, String) {
    let out = syncctl(db).args(global).arg("add-constraints").args(args).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(code), "add-constraints {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    (stdout, stderr)
}

#[test]
fn clean_data_gets_the_three_objects_and_a_second_run_changes_nothing() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    require_installed(&db, REFERENCE_TABLE, 1);

    // --dry-run prints what the current state needs and runs none of it.
    let (plan, _) = add_constraints(&db, &["--dry-run"], 0);
    for statement in [
        "SET statement_timeout = 0;",
        "ADD CONSTRAINT \"chk_sync_state_consistency\" CHECK",
        ") NOT VALID;",
        "VALIDATE CONSTRAINT \"chk_sync_state_consistency\";",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"uniq_user_running_sync\"",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"uniq_task_id\" ON \"public\".\"user_sync_status\"",
    ] {
        assert!(plan.contains(statement), "{statement} missing from:\n{plan}");
    }
    assert!(end_state(&db, REFERENCE_TABLE).is_empty());

    let (summary, steps) = add_constraints(&db, &[], 0);
    assert!(summary.contains("the three constraints are installed and valid"), "{summary}");
    for step in ["add chk_sync_state_consistency NOT VALID", "validate", "build uniq_task_id concurrently"] {
        assert!(steps.contains(step) && steps.contains("done in"), "{step} not reported:\n{steps}");
    }
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    require_installed(&db, REFERENCE_TABLE, 0);

    // The second run finds everything in place and touches nothing (same index oids).
    let oids = |db: &TestDb| -> Vec<u32> {
        db.query("SELECT indexrelid::oid FROM pg_index WHERE indrelid = 'user_sync_status'::regclass ORDER BY 1", &[])
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    let before = (oids(&db), end_state(&db, REFERENCE_TABLE));
    let (summary, _) = add_constraints(&db, &[], 0);
    assert!(summary.contains("nothing to do"), "{summary}");
    assert_eq!((oids(&db), end_state(&db, REFERENCE_TABLE)), before);
    let (json, _) = add_constraints(&db, &["--json"], 0);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["steps"].as_array().unwrap().len(), 0);
}

/// The brief's tests of the constraints: every bad state is refused at write time, and the
/// error names the object that refused it.
#[test]
fn after_the_rollout_the_brief_s_bad_states_are_refused_by_name() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    add_constraints(&db, &[], 0);

    let refused_by = |sql: &str| -> String {
        let err = db.try_execute(sql).expect_err(sql);
        let db_err = err.as_db_error().unwrap_or_else(|| panic!("{sql}: {err}"));
        assert!(db_err.message().contains(db_err.constraint().unwrap()), "{}", describe_sql_error(&err));
        db_err.constraint().unwrap().to_string()
    };
    let insert = |user: &str, task: &str, syncing: bool, progress: i32| {
        format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage)
             VALUES ('{user}', '{task}', {syncing}, {progress})"
        )
    };
    let user = "0b7c0000-0000-4000-8000-000000000001";

    // Inconsistent states, inserted and updated into.
    assert_eq!(refused_by(&insert(user, "t-running-100", true, 100)), CHECK);
    assert_eq!(refused_by(&insert(user, "t-stopped-45", false, 45)), CHECK);
    db.execute(&insert(user, "t-ok", true, 10));
    assert_eq!(refused_by("UPDATE user_sync_status SET is_syncing = false WHERE task_id = 't-ok'"), CHECK);
    // The seed's release that forgets the progress (BRIEF.md's last weak point).
    assert_eq!(refused_by("UPDATE user_sync_status SET progress_percentage = 100 WHERE task_id = 't-ok'"), CHECK);

    // A second running row for the same user.
    assert_eq!(refused_by(&insert(user, "t-second", true, 0)), RUNNING);
    // The same task id again.
    assert_eq!(refused_by(&insert("0b7c0000-0000-4000-8000-000000000002", "t-ok", false, 0)), TASK);
    // A consistent release still works.
    db.execute("UPDATE user_sync_status SET is_syncing = false, progress_percentage = 100 WHERE task_id = 't-ok'");
}

#[test]
fn dirty_data_is_refused_with_the_violations_and_nothing_is_created() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);
    let digest = crate::support::table_digest(&db, REFERENCE_TABLE);

    let (stdout, stderr) = add_constraints(&db, &[], 1);
    for task in [MIXED_RUNNING_100_TASK, MIXED_STOPPED_45_TASK, MIXED_NULL_STATE_TASK, MIXED_DUP_USER_B_TASK] {
        assert!(stdout.contains(task), "{task} not listed:\n{stdout}");
    }
    assert!(stdout.contains(MIXED_REPEATED_TASK), "{stdout}");
    assert!(stderr.contains("nothing was changed") && stderr.contains("--repair"), "{stderr}");
    assert!(end_state(&db, REFERENCE_TABLE).is_empty());
    assert_eq!(crate::support::table_digest(&db, REFERENCE_TABLE), digest);

    let (json, _) = add_constraints(&db, &["--json"], 1);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["refused"], true);
    assert_eq!(doc["validation"]["data_ok"], false);
}

/// Needs `repair` (issue 3): until it is merged, `repair` is a stub that exits 2 and this test
/// fails on that exit code.
#[test]
fn with_repair_and_yes_dirty_data_is_repaired_then_the_constraints_installed() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);

    add_constraints(&db, &["--repair", "--yes"], 0);
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    require_installed(&db, REFERENCE_TABLE, 0);
}

/// Under `--json` stdout holds one document, repair's plan and result inside it, with
/// `--dry-run` as without.
#[test]
fn with_repair_and_json_stdout_is_one_document() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    mixed(&db, REFERENCE_TABLE, true);
    for args in [&["--repair", "--yes", "--json", "--dry-run"][..], &["--repair", "--yes", "--json"]] {
        let out = syncctl(&db).arg("add-constraints").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{args:?}: not one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout))
        });
        assert!(doc["repair"]["plan"].as_array().is_some_and(|p| !p.is_empty()), "{args:?}: {doc}");
        assert!(doc["steps"].is_array(), "{args:?}: {doc}");
    }
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
}

#[test]
fn an_invalid_index_left_by_a_failed_concurrent_build_is_dropped_and_rebuilt() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    // A duplicate makes a plain concurrent build fail, leaving an INVALID index behind.
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage)
         SELECT gen_random_uuid(), task_id, false, 100 FROM user_sync_status WHERE task_id IS NOT NULL LIMIT 1",
    );
    let err = db.try_execute("CREATE UNIQUE INDEX CONCURRENTLY uniq_task_id ON user_sync_status (task_id)");
    assert_eq!(err.unwrap_err().code(), Some(&postgres::error::SqlState::UNIQUE_VIOLATION));
    let state = end_state(&db, REFERENCE_TABLE);
    assert_eq!(state.len(), 1);
    assert_eq!((state[0].0.as_str(), state[0].2), (TASK, false), "{state:?}");

    // While the duplicate is there, the rollout refuses, the rows listed. The uniq_task_id build
    // runs first and finds it: nothing else is created, and its INVALID index is dropped.
    let (stdout, stderr) = add_constraints(&db, &[], 1);
    assert!(stdout.contains("duplicate-task-id"), "{stdout}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(end_state(&db, REFERENCE_TABLE).is_empty(), "{:?}\n{stderr}", end_state(&db, REFERENCE_TABLE));
    // --dry-run (the full check) refuses it too, without building anything.
    let (stdout, _) = add_constraints(&db, &["--dry-run"], 1);
    assert!(stdout.contains("duplicate-task-id"), "{stdout}");
    let err = db.try_execute("CREATE UNIQUE INDEX CONCURRENTLY uniq_task_id ON user_sync_status (task_id)");
    assert_eq!(err.unwrap_err().code(), Some(&postgres::error::SqlState::UNIQUE_VIOLATION));

    db.execute("DELETE FROM user_sync_status WHERE id = (SELECT max(id) FROM user_sync_status)");
    let (plan, _) = add_constraints(&db, &["--dry-run"], 0);
    assert!(plan.contains("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"uniq_task_id\";"), "{plan}");
    let (summary, steps) = add_constraints(&db, &[], 0);
    assert!(steps.contains("drop uniq_task_id concurrently") && steps.contains("build uniq_task_id"), "{steps}");
    assert!(summary.contains("unique index uniq_task_id: valid"), "{summary}");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    require_installed(&db, REFERENCE_TABLE, 0);
}

/// The table's sequential scans since the statistics were reset, once the backends that ended
/// have flushed theirs (asynchronously): polled until two reads 300 ms apart agree.
fn seq_scans(db: &TestDb) -> i64 {
    let read =
        || db.scalar::<i64>("SELECT seq_scan FROM pg_stat_user_tables WHERE relid = 'user_sync_status'::regclass");
    let mut last = read();
    poll("the table's statistics to settle", || {
        thread::sleep(Duration::from_millis(300));
        let now = read();
        let settled = now == last;
        last = now;
        settled.then_some(now)
    })
}

/// On clean data the rollout reads the table before its steps once: the steps check the data
/// again themselves (VALIDATE, the unique builds), so the command's sequential scans are those
/// of the `--print-sql` script, which runs the same steps with no check of its own, plus one.
#[test]
fn on_clean_data_the_check_before_the_steps_reads_the_table_once() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);

    let before = seq_scans(&db);
    apply_script(&db, REFERENCE_TABLE);
    let steps = seq_scans(&db) - before;
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    add_constraints(&db, &["--rollback", "--yes"], 0);

    let before = seq_scans(&db);
    let (_, stderr) = add_constraints(&db, &[], 0);
    let command = seq_scans(&db) - before;
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    assert!(
        command <= steps + 1,
        "the rollout scanned the table {command} times, its steps alone {steps} times\n{stderr}"
    );
}

#[test]
fn a_lock_held_longer_than_the_retries_ends_in_exit_5_while_a_writer_keeps_committing() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);

    // A long report: an open transaction that read the table holds ACCESS SHARE, which only
    // ADD CONSTRAINT's ACCESS EXCLUSIVE conflicts with (writers do not).
    let mut holder = db.client();
    let mut report = holder.transaction().unwrap();
    report.query("SELECT count(*) FROM user_sync_status", &[]).unwrap();

    let start: String = db.scalar("SELECT now()::text");
    let writer = Writer::start(&db, CLEAN_ROWS);
    wait_for_commits(&db, &start);
    let from = Instant::now();
    let (stdout, stderr) =
        add_constraints_with(&db, &["--lock-timeout", "300ms"], &["--retries", "4", "--retry-delay", "200ms"], 5);
    let to = Instant::now();
    let (commits, errors) = writer.finish();

    // The state of each object is reported; nothing was half-made.
    assert!(stdout.contains("check chk_sync_state_consistency: missing"), "{stdout}");
    assert!(stdout.contains("unique index uniq_task_id: missing"), "{stdout}");
    assert!(stderr.contains("attempt 3/4") && stderr.contains("lock"), "{stderr}");
    assert!(end_state(&db, REFERENCE_TABLE).is_empty());

    // The writer was held up at most for one lock timeout at a time, never for the whole
    // attempt: it committed all along (the deadline is generous, the holder never let go).
    assert!(errors.is_empty(), "writer errors: {errors:?}");
    let during = commits.iter().filter(|t| **t >= from && **t <= to).count();
    assert!(during >= 4, "the writer committed {during} times during the attempt\n{stderr}");
    let gap = longest_gap(&commits, from, to);
    let bound = Duration::from_millis(300) + WRITER_MARGIN;
    assert!(gap < bound, "the writer was stuck for {gap:?} (lock timeout 300ms + margin)\n{stderr}");

    // Once the report ends, the rollout goes through.
    report.rollback().unwrap();
    add_constraints(&db, &[], 0);
    require_installed(&db, REFERENCE_TABLE, 0);
}

/// A concurrent build waits for transactions that could still write without seeing the index;
/// an open writing transaction outlasts --build-wait. The half-built index is reported (or
/// dropped), and a rerun after the transaction ends drops and rebuilds it.
#[test]
fn an_index_build_held_up_by_an_open_transaction_ends_in_exit_5_and_a_rerun_finishes() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    db.execute(
        "ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
           (is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
           OR (is_syncing = FALSE AND progress_percentage IN (0, 100)))",
    );
    let mut holder = db.client();
    let mut open = holder.transaction().unwrap();
    open.execute("UPDATE user_sync_status SET updated_at = now() WHERE id = 1", &[]).unwrap();

    // On clean data the uniq_task_id build runs first (it checks the task ids): it is the one
    // held up, and the other is not started.
    let (stdout, stderr) = add_constraints(&db, &["--build-wait", "1s"], 5);
    assert!(stdout.contains("build uniq_task_id concurrently") && stdout.contains("failed"), "{stdout}");
    assert!(stdout.contains("unique index uniq_user_running_sync: missing"), "{stdout}");
    assert!(stderr.contains("after --build-wait 1s") && stderr.contains("idle in transaction"), "{stderr}");
    assert!(!valid_objects(&db, REFERENCE_TABLE).contains(&TASK.to_string()));

    open.rollback().unwrap();
    let (summary, _) = add_constraints(&db, &[], 0);
    assert!(summary.contains("unique index uniq_task_id: valid"), "{summary}");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
}

/// ADD CONSTRAINT ... NOT VALID and DROP CONSTRAINT take ACCESS EXCLUSIVE, which every writer
/// queues behind: their transaction ends on the server as soon as the statement does, its COMMIT
/// sent with it, not a round trip later once the answer is back. A proxy holds the server's
/// answers back from the statement on: the change is committed, and the lock released, while
/// syncctl has not yet seen the statement's answer.
#[test]
fn the_access_exclusive_steps_commit_before_syncctl_sees_their_answer() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    let check = "EXISTS (SELECT FROM pg_constraint WHERE conname = 'chk_sync_state_consistency')";
    for (marker, args, done) in [
        ("ADD CONSTRAINT \"chk_sync_state_consistency\"", &["add-constraints"][..], check.to_string()),
        (
            "DROP CONSTRAINT IF EXISTS \"chk_sync_state_consistency\"",
            &["add-constraints", "--rollback", "--yes"],
            format!("NOT {check}"),
        ),
    ] {
        let proxy = Proxy::holding(db.url(), marker);
        let mut child = syncctl_process(&proxy.url(db.url()))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        poll(&format!("syncctl {args:?} to send {marker}"), || proxy.is_holding().then_some(()));
        // Its answer has not reached syncctl: only a COMMIT sent with the statement ends it.
        poll(&format!("{marker} to be committed before syncctl saw its answer"), || {
            db.scalar::<bool>(&format!("SELECT {done}")).then_some(())
        });
        let exclusive = db.count(
            "pg_locks",
            "locktype = 'relation' AND relation = 'user_sync_status'::regclass AND mode = 'AccessExclusiveLock'",
        );
        assert_eq!(exclusive, 0, "ACCESS EXCLUSIVE is still held after {marker} committed");
        proxy.release();
        assert_eq!(wait_exit(&mut child).code(), Some(0), "syncctl {args:?}");
    }
    assert!(valid_objects(&db, REFERENCE_TABLE).is_empty());
}

#[test]
fn four_writers_keep_committing_while_a_200k_row_table_gets_its_constraints() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    rollout_under_four_writers(&db, 200_000, db.url());
}

/// Applies the `--print-sql` script for `table` with psql, as the script's header says.
fn apply_script(db: &TestDb, table: &str) {
    let (ok, stdout, stderr) = try_apply_script(db, table);
    assert!(ok, "psql failed:\n{stdout}\n{stderr}");
}

/// [`apply_script`], returning whether psql succeeded, and its stdout and stderr.
fn try_apply_script(db: &TestDb, table: &str) -> (bool, String, String) {
    let out = syncctl_bare().args(["--table", table, "add-constraints", "--print-sql"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.sql");
    std::fs::write(&path, &out.stdout).unwrap();
    let psql =
        Process::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f"]).arg(&path).output();
    let psql = psql.expect("psql on PATH");
    (psql.status.success(), text(&psql.stdout), text(&psql.stderr))
}

#[test]
fn the_print_sql_script_applied_with_psql_leaves_the_same_end_state_as_the_command() {
    // The reference table, by the command and by the script (twice: it is idempotent).
    let by_command = TestDb::new();
    let by_script = TestDb::new();
    for db in [&by_command, &by_script] {
        reference_table(db, REFERENCE_TABLE);
        clean(db, REFERENCE_TABLE);
    }
    add_constraints(&by_command, &[], 0);
    apply_script(&by_script, REFERENCE_TABLE);
    assert_eq!(valid_objects(&by_script, REFERENCE_TABLE), all_three());
    assert_eq!(end_state(&by_script, REFERENCE_TABLE), end_state(&by_command, REFERENCE_TABLE));
    apply_script(&by_script, REFERENCE_TABLE);
    assert_eq!(end_state(&by_script, REFERENCE_TABLE), end_state(&by_command, REFERENCE_TABLE));

    // The variant table (a schema that needs quoting), with an INVALID uniq_task_id left by a
    // failed build and a NOT VALID CHECK: the script repairs both, as the command does.
    let by_command = TestDb::new();
    let by_script = TestDb::new();
    for db in [&by_command, &by_script] {
        let table = variant_table(db);
        clean(db, table);
        db.execute(
            "INSERT INTO \"Sync Ops\".user_sync_status (user_id, task_id, is_syncing, progress_percentage)
             SELECT gen_random_uuid(), task_id, false, 100 FROM \"Sync Ops\".user_sync_status
              WHERE task_id IS NOT NULL LIMIT 1",
        );
        assert!(
            db.try_execute("CREATE UNIQUE INDEX CONCURRENTLY uniq_task_id ON \"Sync Ops\".user_sync_status (task_id)")
                .is_err()
        );
        db.execute(
            "DELETE FROM \"Sync Ops\".user_sync_status WHERE ctid = (SELECT max(ctid) FROM \"Sync Ops\".user_sync_status);
             ALTER TABLE \"Sync Ops\".user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
               (is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
               OR (is_syncing = FALSE AND progress_percentage IN (0, 100))) NOT VALID",
        );
    }
    let out = syncctl(&by_command).args(["--table", VARIANT_TABLE, "add-constraints"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    apply_script(&by_script, VARIANT_TABLE);
    assert_eq!(valid_objects(&by_script, VARIANT_TABLE), all_three());
    assert_eq!(end_state(&by_script, VARIANT_TABLE), end_state(&by_command, VARIANT_TABLE));
    require_installed(&by_script, VARIANT_TABLE, 0);
}

#[test]
fn print_sql_needs_no_connection_and_says_how_to_run_it() {
    let out = syncctl_bare().args(["add-constraints", "--print-sql"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.contains("psql -v ON_ERROR_STOP=1"), "{script}");
    assert!(script.contains("SET lock_timeout = '2000ms';"), "{script}");
    assert!(script.contains("run the script again"), "{script}");
    // Rows the CHECK refuses: repaired once the CHECK is in place, then the script again.
    assert!(script.contains("CHECK in place NOT VALID") && script.contains("`syncctl repair --all`"), "{script}");
    // The index's name is chosen on the server (index names are unique per schema).
    assert!(script.contains("'uniq_task_id'") && script.contains("'user_sync_status_uniq_task_id'"), "{script}");
    assert!(
        script
            .contains("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS :\"syncctl_index_name\" ON \"user_sync_status\""),
        "{script}"
    );
    assert!(script.contains("SET lock_timeout = '600000ms';"), "--build-wait: {script}");
}

#[test]
fn rollback_removes_the_three_objects_and_a_later_rollout_works_again() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    add_constraints(&db, &[], 0);
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());

    // Without a terminal, it wants --yes and changes nothing.
    let (_, stderr) = add_constraints(&db, &["--rollback"], 2);
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());

    let (plan, _) = add_constraints(&db, &["--rollback", "--dry-run"], 0);
    assert!(plan.contains("DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"uniq_user_running_sync\";"), "{plan}");
    assert!(plan.contains("DROP CONSTRAINT IF EXISTS \"chk_sync_state_consistency\";"), "{plan}");

    let (summary, _) = add_constraints(&db, &["--rollback", "--yes"], 0);
    assert!(summary.contains("the three constraints are removed"), "{summary}");
    assert!(end_state(&db, REFERENCE_TABLE).is_empty());
    add_constraints(&db, &["--rollback", "--yes"], 0);

    add_constraints(&db, &[], 0);
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
    require_installed(&db, REFERENCE_TABLE, 0);
}

/// A session in REPEATABLE READ that took its snapshot and locks nothing of the table: a
/// long report elsewhere in the database. Every concurrent index build waits for it to end.
struct Snapshot {
    client: Client,
    pid: i32,
}

impl Snapshot {
    fn hold(db: &TestDb) -> Snapshot {
        let mut client = db.client();
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM pg_catalog.pg_class")
            .unwrap();
        let pid = client.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
        Snapshot { client, pid }
    }

    fn end(mut self) {
        self.client.batch_execute("COMMIT").unwrap();
    }
}

/// The pid of the backend building an index on `table` while it waits for `holder`'s snapshot,
/// once it does, with the index's oid.
fn build_waiting_for(db: &TestDb, table: &str, holder: i32) -> (i32, u32) {
    poll("a concurrent build waiting for the open snapshot", || {
        let rows = db.query(
            "SELECT pid, index_relid FROM pg_stat_progress_create_index
              WHERE relid = $1::text::regclass AND phase = 'waiting for old snapshots'
                AND current_locker_pid = $2::int4",
            &[&table, &holder],
        );
        rows.first().map(|r| (r.get(0), r.get(1)))
    })
}

/// The oid of the index `name` on `table`, and whether it is valid.
fn index_state(db: &TestDb, table: &str, name: &str) -> Option<(u32, bool)> {
    db.query(
        "SELECT i.indexrelid, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = $1::text::regclass AND c.relname = $2",
        &[&table, &name],
    )
    .first()
    .map(|r| (r.get(0), r.get(1)))
}

const CHECK_SQL: &str = "ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (
       (is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99)
    OR (is_syncing = FALSE AND progress_percentage IN (0, 100)))";

/// CIC waits for every snapshot older than the build. Such a wait blocks no writer, so the
/// short --lock-timeout must not end it: the rollout waits and finishes once the old
/// transaction ends.
#[test]
fn a_snapshot_older_than_the_lock_timeout_holds_the_build_up_and_the_rollout_waits_for_it() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    let report = Snapshot::hold(&db);

    let mut run = Background::spawn(&db, &["--lock-timeout", "300ms", "add-constraints"]);
    let (builder, _) = build_waiting_for(&db, REFERENCE_TABLE, report.pid);
    // Well past the lock timeout, the same statement is still waiting (not cancelled and retried).
    poll("the build to wait ten lock timeouts", || {
        run.assert_running("while the old snapshot was still open");
        let waited: bool = db
            .query_one(
                "SELECT count(*) = 1 FROM pg_stat_activity AS a JOIN pg_stat_progress_create_index AS p USING (pid)
                  WHERE a.pid = $1 AND a.state = 'active' AND p.phase = 'waiting for old snapshots'
                    AND clock_timestamp() - a.query_start > interval '3 seconds'",
                &[&builder],
            )
            .get(0);
        waited.then_some(())
    });
    run.assert_running("while the old snapshot was still open");
    report.end();
    let (code, stdout, stderr) = run.finish();
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("--build-wait"), "the step report names the bound: {stdout}");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
}

/// Another session builds uniq_task_id and waits for an old snapshot: its index is INVALID
/// while it builds. syncctl never drops it: it waits for the build (or gives up with exit 5
/// naming the builder), and the index ends valid, the same index.
#[test]
fn an_index_another_session_is_building_is_never_dropped_and_the_rollout_waits_for_it() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    db.execute(CHECK_SQL);
    db.execute("CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status (user_id) WHERE is_syncing");
    let report = Snapshot::hold(&db);
    let mut other = db.client();
    let other_build = thread::spawn(move || {
        other.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY uniq_task_id ON user_sync_status (task_id)")
    });
    let (builder, index) = build_waiting_for(&db, REFERENCE_TABLE, report.pid);
    assert_eq!(index_state(&db, REFERENCE_TABLE, TASK), Some((index, false)));

    let mut waiting = Background::spawn(&db, &["add-constraints"]);
    waiting.wait_for_stderr(&["uniq_task_id", &format!("pid {builder}")]);
    // The dry run says what it would do.
    let (plan, _) = add_constraints(&db, &["--dry-run"], 0);
    assert!(plan.contains(&format!("pid {builder}")), "{plan}");
    // A second run with a short bound gives up with exit 5, naming the builder, dropping nothing.
    let (stdout, stderr) = add_constraints(&db, &["--build-wait", "1s"], 5);
    assert!(stderr.contains(&format!("pid {builder}")) && stderr.contains("--build-wait"), "{stderr}\n{stdout}");
    assert_eq!(index_state(&db, REFERENCE_TABLE, TASK), Some((index, false)), "the index was touched");
    waiting.assert_running("while the other session was still building");

    report.end();
    other_build.join().unwrap().unwrap();
    let (code, stdout, stderr) = waiting.finish();
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(index_state(&db, REFERENCE_TABLE, TASK), Some((index, true)), "not the same index");
    assert!(stdout.contains("skipped"), "{stdout}");
    require_installed(&db, REFERENCE_TABLE, 0);
}

/// syncctl killed during its build: the server goes on building in the orphaned backend. A
/// rerun waits for that backend instead of dropping the index it is about to finish.
#[test]
fn after_a_kill_during_the_build_a_rerun_waits_for_the_orphaned_build_and_keeps_its_index() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    let report = Snapshot::hold(&db);
    let mut first = Background::spawn(&db, &["add-constraints"]);
    let (orphan, index) = build_waiting_for(&db, REFERENCE_TABLE, report.pid);
    let name: String = db.query_one("SELECT relname::text FROM pg_class WHERE oid = $1", &[&index]).get(0);
    first.child.kill().unwrap();
    let (code, _, _) = first.finish();
    assert_eq!(code, None, "killed");
    // The server does not know yet: the orphaned backend still builds.
    assert_eq!(db.count("pg_stat_progress_create_index", &format!("pid = {orphan}")), 1);

    let mut rerun = Background::spawn(&db, &["add-constraints"]);
    rerun.wait_for_stderr(&[&name, &format!("pid {orphan}")]);
    assert_eq!(index_state(&db, REFERENCE_TABLE, &name), Some((index, false)));
    report.end();
    let (code, stdout, stderr) = rerun.finish();
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(index_state(&db, REFERENCE_TABLE, &name), Some((index, true)), "the orphan's index was dropped");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());
}

/// Index names are unique per schema: a second sync table in the same schema gets its own
/// index names, and nothing of one table is touched for the other.
#[test]
fn two_sync_tables_in_one_schema_each_get_their_own_three_objects() {
    const OTHER: &str = "user_sync_status_b";
    let db = TestDb::new();
    for table in [REFERENCE_TABLE, OTHER] {
        reference_table(&db, table);
        clean(&db, table);
    }
    add_constraints(&db, &[], 0);
    let first = end_state(&db, REFERENCE_TABLE);
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), all_three());

    let (summary, stderr) = add_constraints_with(&db, &["--table", OTHER], &[], 0);
    let own = |role: &str| format!("{OTHER}_{role}");
    let mut expected = vec![CHECK.to_string(), own(RUNNING), own(TASK)];
    expected.sort();
    assert_eq!(valid_objects(&db, OTHER), expected, "{summary}\n{stderr}");
    assert!(
        stderr.contains(&own(TASK)) && stderr.contains("public.user_sync_status"),
        "says whose name it is and which one it uses instead:\n{stderr}"
    );
    assert_eq!(end_state(&db, REFERENCE_TABLE), first, "the first table's objects were touched");
    require_installed(&db, REFERENCE_TABLE, 0);
    require_installed(&db, OTHER, 0);
    let (again, _) = add_constraints_with(&db, &["--table", OTHER], &[], 0);
    assert!(again.contains("nothing to do"), "{again}");

    // Rollback of one leaves the other's intact.
    add_constraints_with(&db, &["--table", OTHER], &["--rollback", "--yes"], 0);
    assert!(end_state(&db, OTHER).is_empty());
    assert_eq!(end_state(&db, REFERENCE_TABLE), first);
    require_installed(&db, REFERENCE_TABLE, 0);

    // The psql script follows the same rule.
    apply_script(&db, OTHER);
    assert_eq!(valid_objects(&db, OTHER), expected);
    assert_eq!(end_state(&db, REFERENCE_TABLE), first);
    require_installed(&db, OTHER, 0);
}

/// Objects that carry the three names with other definitions: the rollout stops before any DDL
/// with exit 2, naming each object, its definition, what it should be and how to move it aside.
#[test]
fn objects_with_the_names_but_other_definitions_stop_the_rollout_before_any_ddl() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    db.execute(
        "ALTER TABLE user_sync_status ADD CONSTRAINT chk_sync_state_consistency CHECK (progress_percentage >= 0);
         CREATE UNIQUE INDEX uniq_user_running_sync ON user_sync_status (user_id, task_id);
         CREATE UNIQUE INDEX uniq_task_id ON user_sync_status (task_id, id);",
    );
    let before = end_state(&db, REFERENCE_TABLE);
    for args in [&[][..], &["--dry-run"], &["--rollback", "--yes"]] {
        let (stdout, stderr) = add_constraints(&db, args, 2);
        for needle in [
            "wrong definition",
            "uniq_user_running_sync",
            "(user_id, task_id)",
            "uniq_task_id",
            "(task_id, id)",
            "progress_percentage >= 0",
            "DROP INDEX CONCURRENTLY \"public\".\"uniq_task_id\"",
            "ALTER INDEX \"public\".\"uniq_user_running_sync\" RENAME TO",
            "DROP CONSTRAINT \"chk_sync_state_consistency\"",
        ] {
            assert!(stderr.contains(needle), "{args:?}: {needle} missing from:\n{stderr}\n{stdout}");
        }
        assert_eq!(end_state(&db, REFERENCE_TABLE), before, "{args:?} changed something");
    }
    // The psql script stops on them too.
    let (ok, _, stderr) = try_apply_script(&db, REFERENCE_TABLE);
    assert!(!ok && stderr.contains("wrong definition") && stderr.contains("RENAME CONSTRAINT"), "{stderr}");
    assert_eq!(end_state(&db, REFERENCE_TABLE), before, "the script changed something");
    db.execute("ALTER TABLE user_sync_status DROP CONSTRAINT chk_sync_state_consistency");
    let (ok, _, stderr) = try_apply_script(&db, REFERENCE_TABLE);
    assert!(!ok && stderr.contains("uniq_user_running_sync") && stderr.contains("wrong definition"), "{stderr}");
    let indexes = |state: Vec<(String, String, bool)>| -> Vec<(String, String, bool)> {
        state.into_iter().filter(|(name, _, _)| name != CHECK).collect()
    };
    assert_eq!(indexes(end_state(&db, REFERENCE_TABLE)), indexes(before), "the script touched an index");
}

/// Every type progress_percentage may have: what add-constraints installs is recognised as the
/// right definition (the deparsed CHECK differs by type).
#[test]
fn the_installed_check_is_recognised_for_every_progress_type() {
    let db = TestDb::new();
    db.execute("CREATE DOMAIN percent AS integer; CREATE DOMAIN flag AS boolean;");
    for (schema, alter) in [
        ("s_smallint", "ALTER COLUMN progress_percentage TYPE smallint"),
        ("s_bigint", "ALTER COLUMN progress_percentage TYPE bigint"),
        ("s_numeric", "ALTER COLUMN progress_percentage TYPE numeric(5,2)"),
        ("s_domain", "ALTER COLUMN progress_percentage TYPE percent, ALTER COLUMN is_syncing TYPE flag"),
    ] {
        let table = format!("{schema}.user_sync_status");
        db.execute(&format!("CREATE SCHEMA {schema}"));
        reference_table(&db, &table);
        db.execute(&format!("ALTER TABLE {table} {alter}"));
        clean(&db, &table);
        add_constraints_with(&db, &["--table", &table], &[], 0);
        require_installed(&db, &table, 0);
        let (again, _) = add_constraints_with(&db, &["--table", &table], &[], 0);
        assert!(again.contains("nothing to do"), "{table}: {again}");
        // The psql script judges the installed CHECK as the command does: it reruns cleanly.
        apply_script(&db, &table);
    }
}

/// A table partitioned by sync_type: PostgreSQL has no global unique index, and a unique index
/// of a partitioned table must include the partition key. The CHECK is installed; the two
/// indexes are reported as not enforceable, with why, and every command keeps working.
#[test]
fn on_a_table_partitioned_by_another_column_what_postgresql_cannot_enforce_is_said() {
    let db = TestDb::new();
    db.execute(
        "CREATE TABLE user_sync_status (
           id bigserial, user_id uuid NOT NULL, task_id text, is_syncing boolean NOT NULL DEFAULT false,
           sync_type text, progress_percentage integer NOT NULL DEFAULT 0,
           current_stats jsonb NOT NULL DEFAULT '{}', error_message text, started_at timestamptz,
           updated_at timestamptz NOT NULL DEFAULT now()
         ) PARTITION BY LIST (sync_type);
         CREATE TABLE user_sync_status_full PARTITION OF user_sync_status FOR VALUES IN ('full');
         CREATE TABLE user_sync_status_rest PARTITION OF user_sync_status DEFAULT;",
    );
    clean(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["validate-constraints", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let constraint = |doc: &serde_json::Value, name: &str| {
        doc["constraints"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone()
    };
    for name in [RUNNING, TASK] {
        let c = constraint(&doc, name);
        assert_eq!(c["state"], "not enforceable", "{c}");
        assert!(c["reason"].as_str().unwrap().contains("sync_type"), "{c}");
    }

    let (plan, stderr) = add_constraints(&db, &["--dry-run"], 1);
    assert!(plan.contains("ADD CONSTRAINT \"chk_sync_state_consistency\""), "{plan}");
    assert!(!plan.contains("CREATE UNIQUE INDEX"), "{plan}");
    assert!(stderr.contains("partition key") && stderr.contains("sync_type"), "{stderr}");

    let (summary, stderr) = add_constraints(&db, &[], 1);
    assert!(stderr.contains("cannot enforce") && stderr.contains("sync_type"), "{stderr}");
    assert!(summary.contains("not enforceable"), "{summary}");
    assert_eq!(valid_objects(&db, REFERENCE_TABLE), vec![CHECK.to_string()]);
    // What validate-constraints says agrees with what add-constraints did.
    require_installed(&db, REFERENCE_TABLE, 1);
    let out = syncctl(&db).args(["validate-constraints"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("not enforceable"), "{}", text(&out.stdout));

    let out = syncctl(&db).args(["health", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "WARNING: {}", text(&out.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["statistics"]["total_users"], CLEAN_ROWS);
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{doc:#}");
    assert!(warnings.iter().all(|w| w.as_str().unwrap().contains("sync_type")), "{doc:#}");
}

/// The window `--repair` used to leave: the application keeps committing failure releases at
/// 1-99 % (rows the CHECK refuses) while the rollout runs. The CHECK is added NOT VALID before
/// the repair, so the releases are refused from then on (the writers count them) and VALIDATE
/// finds nothing repair left: the rollout succeeds on its first try, ten times in a row.
#[test]
fn repair_then_rollout_succeeds_every_time_while_the_application_keeps_writing_violations() {
    use crate::support::writers::{AppWriter, users};
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT gen_random_uuid(), 'done_' || n, false, 100, now() - interval '1 hour', now() - interval '50 minutes'
         FROM generate_series(1, 2000) AS n",
    );
    let writers: Vec<AppWriter> = (0..2)
        .map(|w| AppWriter::start(&db, &format!("app{w}"), users(&db, w * 20, 20), 2, Duration::from_millis(2)))
        .collect();
    let violating = "NOT is_syncing AND progress_percentage BETWEEN 1 AND 99";
    for run in 1..=10 {
        // Each run starts on data the CHECK would refuse, written by the application itself.
        poll("the writers' violating releases", || (db.count(REFERENCE_TABLE, violating) > 0).then_some(()));
        let (stdout, stderr) = add_constraints(&db, &["--repair", "--yes"], 0);
        assert!(stdout.contains("the three constraints are installed and valid"), "run {run}:\n{stdout}\n{stderr}");
        let order =
            ["add chk_sync_state_consistency NOT VALID", "repair the rows", "validate chk_sync_state_consistency"];
        let at: Vec<usize> =
            order.iter().map(|s| stdout.find(s).unwrap_or_else(|| panic!("no {s}:\n{stdout}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "run {run}: steps out of order:\n{stdout}");
        db.execute(
            "ALTER TABLE user_sync_status DROP CONSTRAINT chk_sync_state_consistency;
             DROP INDEX uniq_user_running_sync; DROP INDEX uniq_task_id;",
        );
    }
    let reports: Vec<_> = writers.into_iter().map(AppWriter::finish).collect();
    eprintln!("application writers: {reports:?}");
    for r in &reports {
        assert!(r.errors.is_empty(), "a writer failed otherwise than by the CHECK's refusal: {r:?}");
        assert!(r.cycles > 10, "a writer hardly ran: {r:?}");
    }
    assert!(reports.iter().map(|r| r.refused).sum::<usize>() > 0, "the CHECK never refused a release: {reports:?}");
}
