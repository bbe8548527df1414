//! The table-shape matrix (DESIGN.md, "Table shapes that must work"; README, "Tables that
//! differ"): the same scenarios on every shape production tables really have. On each shape:
//! - the incident is found (`inspect`, `health`), released by `repair --all`, and its user
//!   syncs again with `start`;
//! - a live task, kept heartbeating by the test, is never released by `repair`, `reap` or a
//!   `start` for its user, whatever its progress (40, 100, NULL where the column allows it);
//! - a dead task of a user is taken over by `start`, and its error text and the takeover note
//!   are kept (in the old row, or on one-row-per-user tables in `current_stats.previous_task`);
//! - concurrent starts for one user, spelled differently where the type allows, give one
//!   running row at every moment and one task;
//! - `add-constraints` installs the three objects, or says it cannot, and
//!   `validate-constraints --require-installed` agrees.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

use crate::support::wait::{wait_exit, wait_for};
use crate::support::{TestDb, syncctl, syncctl_process, text};

/// The columns every shape shares after its user_id and key columns.
const STATE_COLUMNS: &str = "
  task_id             text,
  is_syncing          boolean     NOT NULL DEFAULT false,
  sync_type           text,
  progress_percentage integer     NOT NULL DEFAULT 0,
  current_stats       jsonb       NOT NULL DEFAULT '{}',
  error_message       text,
  started_at          timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()";

/// One table shape: how to create it, and user ids its user_id column holds.
struct Shape {
    /// `CREATE TABLE user_sync_status (…)` and whatever goes with it; `{state}` stands for
    /// [`STATE_COLUMNS`].
    ddl: &'static str,
    /// The incident's user, a live task's user, a dead task's user.
    users: [&'static str; 3],
    /// One user for the start storm, in the spellings the type's `=` calls equal.
    storm: [&'static str; 2],
    /// The table keeps one row per user (a unique index on user_id alone).
    one_row_per_user: bool,
    /// progress_percentage may be NULL.
    nullable_progress: bool,
}

const UUIDS: [&str; 3] = [
    "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38",
    "0b9a3c55-7e1d-4c2a-9f00-5d6e7f8a9b0c",
    "c0ffee00-1234-4abc-8def-001122334455",
];
const UUID_STORM: [&str; 2] = ["5EB63BBB-E01E-4ED0-93CB-22BB8F5ACDC3", "5eb63bbb-e01e-4ed0-93cb-22bb8f5acdc3"];

fn uuid_shape(ddl: &'static str, one_row_per_user: bool) -> Shape {
    Shape { ddl, users: UUIDS, storm: UUID_STORM, one_row_per_user, nullable_progress: false }
}

/// Loads the shape's table, with the incident, a live task, a dead task and a row of every
/// other state.
fn load(db: &TestDb, shape: &Shape) {
    db.execute(&shape.ddl.replace("{state}", STATE_COLUMNS));
    let [incident, live, dead] = shape.users;
    db.execute(&format!(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, sync_type, progress_percentage,
                                       error_message, started_at, updated_at) VALUES
         ('{incident}', 'the-incident', true, 'incremental', 0, '任务被管理员手动清理（修复后）',
          to_timestamp(1753133270), '2025-07-22 13:27:50.842634+08:00'::timestamptz),
         ('{live}', 'live-task', true, 'full', 40, NULL, now() - interval '3 hours', now()),
         ('{dead}', 'dead-task', true, 'full', 30, 'a network error', now() - interval '1 hour',
          now() - interval '10 minutes')"
    ));
}

/// The test's own heartbeat of `live-task`, every 100 ms, until dropped.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    fn start(db: &TestDb) -> Heartbeat {
        let stop = Arc::new(AtomicBool::new(false));
        let (url, flag) = (db.url().to_string(), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            while !flag.load(Ordering::Relaxed) {
                client
                    .execute(
                        "UPDATE user_sync_status SET updated_at = now() WHERE task_id = 'live-task' AND is_syncing",
                        &[],
                    )
                    .unwrap();
                thread::sleep(Duration::from_millis(100));
            }
        });
        Heartbeat { stop, thread: Some(thread) }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(db: &TestDb, args: &[&str]) -> (Option<i32>, String, String) {
    let out = syncctl(db).args(args).output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// (is_syncing, progress as text, error_message, current_stats) of the one row of `task`.
fn row(db: &TestDb, task: &str) -> (bool, Option<String>, Option<String>, Value) {
    let r = db.query_one(
        "SELECT is_syncing, progress_percentage::text, error_message, current_stats FROM user_sync_status WHERE task_id = $1",
        &[&task],
    );
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// A progress as text (`0`, `0.00`, `100`) as a number.
fn percent(progress: &Option<String>) -> Option<f64> {
    progress.as_deref().and_then(|p| p.parse().ok())
}

fn assert_live(db: &TestDb, after: &str) {
    let (syncing, _, error, _) = row(db, "live-task");
    assert!(syncing && error.is_none(), "the live task was released by {after}: {error:?}");
}

/// `start --demo` for `user`; its first stdout line (the task id) and its exit code.
fn start_demo(db: &TestDb, user: &str, items: &str) -> (String, Option<i32>) {
    let (code, stdout, stderr) = run(
        db,
        &["start", "--user", user, "--heartbeat", "200ms", "--demo", "--demo-items", items, "--demo-rate", "40"],
    );
    assert!(code.is_some(), "{stderr}");
    (stdout.lines().next().unwrap_or_default().to_string(), code)
}

/// Every scenario of the matrix on one shape, with the live task heartbeating throughout.
fn scenarios(shape: &Shape) {
    let db = TestDb::new();
    load(&db, shape);
    let _beat = Heartbeat::start(&db);
    found_and_repaired(&db);
    live_task_reused(&db, shape);
    dead_task_taken_over(&db, shape);
    storm(&db, shape);
    rollout(&db);
}

/// The incident is found and released by repair; reap and repair never release the live task.
fn found_and_repaired(db: &TestDb) {
    let (code, stdout, stderr) = run(db, &["inspect", "--json"]);
    assert_eq!(code, Some(1), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let found = doc["rows"].as_array().unwrap().iter().find(|r| r["task_id"] == "the-incident").expect("listed");
    let states: Vec<&str> = found["states"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(states.contains(&"zombie") && states.contains(&"half-released"), "{states:?}");
    assert!(doc["rows"].as_array().unwrap().iter().all(|r| r["task_id"] != "live-task"), "the live task is no problem");
    assert_eq!(run(db, &["health"]).0, Some(2));

    // Reap and repair release the dead, never the live.
    let (code, stdout, stderr) = run(db, &["reap"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("released dead-task") && stdout.contains("released the-incident"), "{stdout}");
    assert_live(db, "reap");
    db.execute("UPDATE user_sync_status SET is_syncing = true, updated_at = now() - interval '1 day' WHERE task_id = 'the-incident'");
    for selector in ["--all", "--zombies", "--duplicates"] {
        let (code, _, stderr) = run(db, &["repair", selector, "--yes"]);
        assert!(matches!(code, Some(0 | 1)), "repair {selector}: {stderr}");
        assert_live(db, &format!("repair {selector}"));
    }
    let (syncing, progress, error, _) = row(db, "the-incident");
    assert!(!syncing && percent(&progress) == Some(0.0), "the incident is released");
    assert!(error.is_some_and(|e| e.contains("released by syncctl repair")));
}

/// A start for the live task's user reuses it, whatever its progress (defect 3).
fn live_task_reused(db: &TestDb, shape: &Shape) {
    let live = shape.users[1];
    let mut progresses = vec!["40", "100"];
    if shape.nullable_progress {
        progresses.push("NULL");
    }
    for progress in progresses {
        db.execute(&format!(
            "UPDATE user_sync_status SET progress_percentage = {progress} WHERE task_id = 'live-task'"
        ));
        let (task, code) = start_demo(db, live, "5");
        assert_eq!((task.as_str(), code), ("live-task", Some(0)), "start reuses the live task at progress {progress}");
        assert_live(db, &format!("start at progress {progress}"));
    }
    db.execute("UPDATE user_sync_status SET progress_percentage = 40 WHERE task_id = 'live-task'");
}

/// The incident's user syncs again; a dead task is taken over with its history kept
/// (defects 9 and 10).
fn dead_task_taken_over(db: &TestDb, shape: &Shape) {
    let [incident, _, dead] = shape.users;
    let (task, code) = start_demo(db, incident, "10");
    assert_eq!(code, Some(0));
    assert_eq!(percent(&row(db, &task).1), Some(100.0), "the incident's user synced again");
    db.execute(
        "UPDATE user_sync_status SET is_syncing = true, progress_percentage = 30, updated_at = now() - interval '70 minutes'
         WHERE task_id = 'dead-task'",
    );
    let (task, code) = start_demo(db, dead, "10");
    assert_eq!(code, Some(0));
    let (_, progress, error, stats) = row(db, &task);
    assert_eq!((percent(&progress), error), (Some(100.0), None));
    let history = if shape.one_row_per_user {
        stats["previous_task"]["error_message"].as_str().unwrap_or_default().to_string()
    } else {
        row(db, "dead-task").2.unwrap_or_default()
    };
    assert!(history.contains("a network error") && history.contains("released by syncctl start"), "{history}");
    // Silence is said as everywhere else for people: `1h 10m`, not `4200s`.
    assert!(history.contains("released by syncctl start: no heartbeat for 1h 10m at "), "{history}");
    if shape.one_row_per_user {
        // And again: the next sync of a user whose row keeps one task at a time.
        assert_eq!(start_demo(db, dead, "5").1, Some(0), "a second sync of the same user");
    }
}

/// The rollout, and validate-constraints agreeing with it.
fn rollout(db: &TestDb) {
    let (code, stdout, stderr) = run(db, &["add-constraints", "--yes"]);
    let installed = code == Some(0);
    assert!(installed || matches!(code, Some(1 | 2)), "{stdout}{stderr}");
    let (code, stdout, _) = run(db, &["validate-constraints", "--require-installed"]);
    assert_eq!(code, Some(if installed { 0 } else { 1 }), "validate-constraints agrees with add-constraints: {stdout}");
    assert_live(db, "add-constraints");
}

/// Ten starts for one user at once, in two spellings: one running row at every moment, one task.
fn storm(db: &TestDb, shape: &Shape) {
    let user_rows = format!("user_id = '{}'", shape.storm[0]);
    let mut starts: Vec<Child> = (0..10)
        .map(|n| {
            syncctl_process(db.url())
                .args(["start", "--user", shape.storm[n % 2], "--heartbeat", "200ms"])
                .args(["--demo", "--demo-items", "60", "--demo-rate", "20"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let tasks: Vec<String> = starts
        .iter_mut()
        .map(|c| {
            let mut line = String::new();
            BufReader::new(c.stdout.take().unwrap()).read_line(&mut line).unwrap();
            line.trim_end().to_string()
        })
        .collect();
    wait_for("the storm's sync to end", || {
        let running = db.count("user_sync_status", &format!("{user_rows} AND is_syncing"));
        assert!(running <= 1, "{running} running rows for one user");
        running == 0
    });
    for child in &mut starts {
        assert_eq!(wait_exit(child).code(), Some(0));
    }
    assert!(tasks.iter().all(|t| *t == tasks[0] && !t.is_empty()), "one task for one user: {tasks:?}");
}

#[test]
fn the_reference_table() {
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id uuid NOT NULL, {state})",
        false,
    ));
}

/// One row per user keyed by user_id, with NULLs allowed where the reference says NOT NULL, as
/// such tables often have.
fn keyed_by_user() -> Shape {
    let ddl = "CREATE TABLE user_sync_status (user_id uuid PRIMARY KEY, {state});
               ALTER TABLE user_sync_status ALTER progress_percentage DROP NOT NULL";
    Shape { nullable_progress: true, ..uuid_shape(ddl, true) }
}

fn surrogate_key_and_unique_user() -> Shape {
    uuid_shape("CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id uuid NOT NULL UNIQUE, {state})", true)
}

fn citext_user() -> Shape {
    Shape {
        ddl: "CREATE EXTENSION IF NOT EXISTS citext;
              CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id citext NOT NULL, {state})",
        users: ["Alice@Example.com", "bob@example.com", "Carol@example.COM"],
        storm: ["BobN@Example.com", "bobn@example.com"],
        one_row_per_user: false,
        nullable_progress: false,
    }
}

#[test]
fn keyed_by_user_id() {
    scenarios(&keyed_by_user());
}

#[test]
fn a_composite_key() {
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, {state}, PRIMARY KEY (id, user_id))",
        false,
    ));
}

#[test]
fn no_primary_key() {
    scenarios(&uuid_shape("CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, {state})", false));
}

#[test]
fn a_surrogate_key_and_unique_user_id() {
    scenarios(&surrogate_key_and_unique_user());
}

#[test]
fn hash_partitioned_by_user_id() {
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, {state}) PARTITION BY HASH (user_id);
         CREATE TABLE user_sync_status_p0 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE user_sync_status_p1 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
        false,
    ));
}

#[test]
fn list_partitioned_by_another_column() {
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, {state}, PRIMARY KEY (id, sync_type))
           PARTITION BY LIST (sync_type);
         CREATE TABLE user_sync_status_full PARTITION OF user_sync_status FOR VALUES IN ('full');
         CREATE TABLE user_sync_status_rest PARTITION OF user_sync_status DEFAULT;",
        false,
    ));
}

#[test]
fn user_id_as_text() {
    scenarios(&Shape {
        ddl: "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id text NOT NULL, {state})",
        users: ["alice@example.com", "bob@example.com", "carol@example.com"],
        storm: ["dave@example.com", "dave@example.com"],
        one_row_per_user: false,
        nullable_progress: false,
    });
}

#[test]
fn user_id_as_citext() {
    scenarios(&citext_user());
}

/// Issue #11, defect 2: `BobN@Example.com` and `bobn@example.com` are one citext user, so they
/// take one claim lock: concurrent starts in both spellings give one running row and one task.
#[test]
fn citext_spellings_of_one_user_take_one_claim_lock() {
    let db = TestDb::new();
    load(&db, &citext_user());
    storm(&db, &citext_user());
}

/// Issue #11, defect 3: a row with a fresh heartbeat is reused, never taken over, at progress
/// 100 or NULL as at 40.
#[test]
fn a_fresh_heartbeat_at_progress_100_or_null_is_never_taken_over() {
    let db = TestDb::new();
    load(&db, &keyed_by_user());
    let _beat = Heartbeat::start(&db);
    live_task_reused(&db, &keyed_by_user());
}

/// Issue #11, defects 9 and 10: any unique index on user_id alone means one row per user (a
/// second sync of a user updates the row instead of failing on the index), and a takeover keeps
/// the dead task's error text and the takeover note in `current_stats.previous_task`.
#[test]
fn one_row_per_user_by_any_unique_index_keeps_its_history() {
    for shape in [surrogate_key_and_unique_user(), keyed_by_user()] {
        let db = TestDb::new();
        load(&db, &shape);
        dead_task_taken_over(&db, &shape);
    }
}

#[test]
fn user_id_as_bigint() {
    scenarios(&Shape {
        ddl: "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id bigint NOT NULL, {state})",
        users: ["1001", "1002", "1003"],
        storm: ["42", "042"],
        one_row_per_user: false,
        nullable_progress: false,
    });
}

#[test]
fn numeric_progress() {
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id uuid NOT NULL, {state});
         ALTER TABLE user_sync_status ALTER progress_percentage TYPE numeric(5,2)",
        false,
    ));
}

#[test]
fn a_trigger_that_rewrites_updated_at() {
    // Stamps every update that does not set updated_at itself (the common "touch" trigger; the
    // test sets past heartbeats explicitly to make zombies).
    scenarios(&uuid_shape(
        "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id uuid NOT NULL, {state});
         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN
                IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN NEW.updated_at := now(); END IF;
                RETURN NEW;
              END $$;
         CREATE TRIGGER touch BEFORE UPDATE ON user_sync_status FOR EACH ROW EXECUTE FUNCTION touch();",
        false,
    ));
}

/// The first `md5(<prefix><n>)` uuid that hash-partitions (modulus 2) into `remainder`.
fn user_in_partition(db: &TestDb, prefix: &str, remainder: i32) -> String {
    db.query_one(
        "SELECT u::text FROM (SELECT md5($1 || n)::uuid AS u FROM generate_series(1, 100) n) s
         WHERE satisfies_hash_partition('user_sync_status'::regclass, 2, $2, u) LIMIT 1",
        &[&prefix, &remainder],
    )
    .get(0)
}

/// Issue #11, defect 1: a row is identified within its partition. A zombie at `(0,1)` of one
/// partition and a live task at `(0,1)` of the other: `repair --zombies` changes one row, the
/// zombie. With `PRIMARY KEY (id, user_id)`, a user's second running row at the same ctid as
/// another user's only one: `--duplicates` releases the second row alone, and
/// `validate-constraints` counts one duplicate.
#[test]
fn rows_at_the_same_ctid_of_two_partitions_are_two_rows() {
    for key in ["", ", PRIMARY KEY (id, user_id)"] {
        let db = TestDb::new();
        db.execute(&format!(
            "CREATE TABLE user_sync_status (id bigserial, user_id uuid NOT NULL, {STATE_COLUMNS}{key})
               PARTITION BY HASH (user_id);
             CREATE TABLE user_sync_status_p0 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 0);
             CREATE TABLE user_sync_status_p1 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
        ));
        let (dead, live) = (user_in_partition(&db, "dead", 0), user_in_partition(&db, "live", 1));
        db.execute(&format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, updated_at) VALUES
               ('{dead}', 'zombie', true, 10, now() - interval '70 minutes'),
               ('{live}', 'live-task', true, 40, now()),
               ('{dead}', 'dead-user-newest', true, 20, now())"
        ));
        let ctids: Vec<String> = db
            .query("SELECT ctid::text FROM user_sync_status WHERE task_id IN ('zombie', 'live-task')", &[])
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(ctids, ["(0,1)", "(0,1)"], "the scenario: one ctid in both partitions");
        // The live task's heartbeat is fresh; no heartbeat is written during the test, so its
        // row stays where the zombie's twin slot is.

        if !key.is_empty() {
            // Two running rows of `dead`: the older (the zombie) is its second running row.
            let (code, stdout, _) = run(&db, &["validate-constraints", "--json"]);
            assert_eq!(code, Some(1));
            let doc: Value = serde_json::from_str(&stdout).unwrap();
            let check = doc["checks"].as_array().unwrap().iter().find(|c| c["name"] == "duplicate-running").unwrap();
            assert_eq!(check["count"], 1, "one second running row: {check}");
            let (code, stdout, stderr) = run(&db, &["repair", "--duplicates", "--yes"]);
            assert_eq!(code, Some(0), "{stderr}");
            assert!(stdout.contains("changed 1 row, skipped 0"), "{stdout}");
        } else {
            let (code, stdout, stderr) = run(&db, &["repair", "--zombies", "--yes"]);
            assert_eq!(code, Some(0), "{stderr}");
            assert!(stdout.contains("changed 1 row, skipped 0"), "{stdout}");
        }
        assert!(!row(&db, "zombie").0, "the zombie is released");
        assert_live(&db, "repair");
    }
}

/// Issue #11, defect 6: numeric progress is never rounded into another state. 0.3 and 99.7
/// (stopped) and 99.7 (running) are shown as stored and as inconsistent; `repair --all` fixes
/// them, and `add-constraints` then installs the constraints.
#[test]
fn numeric_progress_is_shown_and_repaired_as_stored() {
    let db = TestDb::new();
    db.execute(&format!(
        "CREATE TABLE user_sync_status (id bigserial PRIMARY KEY, user_id uuid NOT NULL, {STATE_COLUMNS});
         ALTER TABLE user_sync_status ALTER progress_percentage TYPE numeric(5,2);
         INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, updated_at) VALUES
           (gen_random_uuid(), 'stopped-0.3', false, 0.3, now()),
           (gen_random_uuid(), 'stopped-99.7', false, 99.7, now()),
           (gen_random_uuid(), 'running-99.7', true, 99.7, now());"
    ));
    let (code, stdout, _) = run(&db, &["inspect", "--json"]);
    assert_eq!(code, Some(1));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    for (task, progress) in [("stopped-0.3", 0.3), ("stopped-99.7", 99.7), ("running-99.7", 99.7)] {
        let r = doc["rows"].as_array().unwrap().iter().find(|r| r["task_id"] == task).expect(task);
        assert_eq!(r["progress_percentage"].as_f64(), Some(progress), "{r}");
        assert!(r["states"].as_array().unwrap().contains(&Value::from("inconsistent")), "{r}");
    }
    let (code, stdout, stderr) = run(&db, &["repair", "--all", "--yes"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("changed 3 rows"), "{stdout}");
    assert_eq!(percent(&row(&db, "running-99.7").1), Some(99.0), "the live one keeps running at 99");
    let (code, stdout, stderr) = run(&db, &["add-constraints", "--yes"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}
