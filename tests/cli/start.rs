//! `start`: the idempotent claim under concurrency (50 processes for one user, 200 users), the
//! heartbeat and takeover after `kill -9`, fencing, signals, reconnection after
//! `pg_terminate_backend`, the child protocol, the stall timeout and `--liveness lock`. Real
//! processes and real signals; every wait polls with a generous deadline.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::cluster::process_alive;
use crate::support::constraints::PLAIN_CONSTRAINTS;
use crate::support::fixtures::*;
use crate::support::wait::{exit_within, poll};
use crate::support::{Cluster, ClusterOptions, TestDb, syncctl, syncctl_process};

/// How long a `start` may take to exit before the test fails: generous, the machine may be
/// loaded. (The other waits poll with [`crate::support::wait::POLL_DEADLINE`], as long.)
const DEADLINE: Duration = Duration::from_secs(90);
/// Short heartbeats, so the tests see several in a second, and a short timeout unless a test
/// sets its own.
const FAST: [&str; 2] = ["--heartbeat", "200ms"];
const SHORT_TIMEOUT: [&str; 2] = ["--heartbeat-timeout", "3s"];

const USER: &str = "6a1f3c2e-0d9b-4c57-9e0a-2f4b8c1d7e65";

/// A started `syncctl start`: the process, its first stdout line, and the rest of its output.
struct Started {
    child: Child,
    first_line: String,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Started {
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill {signal}");
    }

    /// Waits for the exit; returns the status, the rest of stdout and all of stderr.
    fn wait(mut self) -> (ExitStatus, String, String) {
        let status = exit_within(&mut self.child, DEADLINE)
            .unwrap_or_else(|| panic!("syncctl start did not exit within {DEADLINE:?}"));
        (status, self.stdout.join().unwrap(), self.stderr.join().unwrap())
    }
}

/// Spawns `syncctl <args>` against `db` (clean environment) and reads its first stdout line.
fn spawn(db: &TestDb, args: &[&str]) -> Started {
    spawn_at(db.url(), args)
}

/// Spawns `syncctl <args>` against the database at `url`.
fn spawn_at(url: &str, args: &[&str]) -> Started {
    let mut child = syncctl_process(url).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let stdout = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    Started { child, first_line: first_line.trim_end().to_string(), stdout, stderr }
}

/// `start --user <user> <args…>` with fast heartbeats.
fn start(db: &TestDb, user: &str, args: &[&str]) -> Started {
    let mut all = vec!["start", "--user", user];
    all.extend(FAST);
    if !args.contains(&"--heartbeat-timeout") {
        all.extend(SHORT_TIMEOUT);
    }
    all.extend(args);
    spawn(db, &all)
}

/// The task's row: (is_syncing, progress, current_stats, error_message, updated_at as text).
fn task_row(db: &TestDb, task: &str) -> Option<(bool, i32, Value, Option<String>, String)> {
    let rows = db.query(
        "SELECT is_syncing, progress_percentage, current_stats, error_message, updated_at::text \
         FROM user_sync_status WHERE task_id = $1",
        &[&task],
    );
    assert!(rows.len() <= 1, "task {task} has {} rows", rows.len());
    rows.first().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
}

fn events(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "children", name].iter().collect();
    path.to_string_lossy().into_owned()
}

fn db_with_table() -> TestDb {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db
}

/// 50 processes for one user at once: one task, and all 50 print its id.
fn fifty_starts_make_one_task(db: &TestDb) {
    let long =
        ["--heartbeat-timeout", "20s", "--lock-timeout", "60s", "--demo", "--demo-items", "100", "--demo-rate", "10"];
    let runs: Vec<Started> = (0..50)
        .map(|_| {
            let mut args = vec!["start", "--user", USER, "--heartbeat", "200ms"];
            args.extend(long);
            spawn(db, &args)
        })
        .collect();
    let task = runs[0].first_line.clone();
    assert!(task.starts_with(&format!("sync_{USER}_")), "{task}");
    for run in runs {
        assert_eq!(run.first_line, task, "every start prints the same task id");
        let (status, _, stderr) = run.wait();
        assert_eq!(status.code(), Some(0), "{stderr}");
    }
    assert_eq!(db.count("user_sync_status", &format!("user_id = '{USER}'")), 1, "exactly one task row");
    let (syncing, progress, stats, error, _) = task_row(db, &task).unwrap();
    assert!(!syncing && progress == 100 && error.is_none(), "completed: {progress} {error:?}");
    assert_eq!(
        stats["new"].as_i64().unwrap() + stats["updated"].as_i64().unwrap() + stats["errors"].as_i64().unwrap(),
        100
    );
}

#[test]
fn fifty_starts_for_one_user_make_one_task_without_the_unique_index() {
    let db = db_with_table();
    fifty_starts_make_one_task(&db);
}

#[test]
fn fifty_starts_for_one_user_make_one_task_with_the_constraints() {
    let db = db_with_table();
    db.execute(PLAIN_CONSTRAINTS);
    fifty_starts_make_one_task(&db);
}

#[test]
fn two_hundred_users_started_at_once_all_complete() {
    let db = db_with_table();
    let users: Vec<String> = (0..200).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    for batch in users.chunks(25) {
        let runs: Vec<Started> = batch
            .iter()
            .map(|u| {
                spawn(
                    &db,
                    &[
                        "start",
                        "--user",
                        u,
                        "--heartbeat-timeout",
                        "20s",
                        "--demo",
                        "--demo-items",
                        "5",
                        "--demo-rate",
                        "50",
                    ],
                )
            })
            .collect();
        for run in runs {
            let (status, _, stderr) = run.wait();
            assert_eq!(status.code(), Some(0), "{stderr}");
        }
    }
    assert_eq!(db.count("user_sync_status", "true"), 200);
    assert_eq!(
        db.count("user_sync_status", "NOT is_syncing AND progress_percentage = 100 AND error_message IS NULL"),
        200
    );
    assert_eq!(db.scalar::<i64>("SELECT count(DISTINCT task_id) FROM user_sync_status"), 200);
    assert_eq!(db.scalar::<i64>("SELECT count(DISTINCT user_id) FROM user_sync_status"), 200);
}

#[test]
fn the_heartbeat_advances_and_after_kill_9_a_new_start_takes_the_zombie_over() {
    let db = db_with_table();
    let run = start(&db, USER, &["--demo", "--demo-items", "10000", "--demo-rate", "10"]);
    let task = run.first_line.clone();
    let first = poll("the task's row", || task_row(&db, &task)).4;
    let second = poll("a heartbeat", || task_row(&db, &task).map(|r| r.4).filter(|u| *u != first));
    poll("another heartbeat", || task_row(&db, &task).map(|r| r.4).filter(|u| *u != second));

    run.signal(libc::SIGKILL);
    let (status, _, _) = run.wait();
    assert_eq!(status.code(), None, "killed");
    assert!(task_row(&db, &task).unwrap().0, "nobody released it");
    poll("the row to turn zombie", || {
        (db.count("user_sync_status", &format!("task_id = '{task}' AND updated_at < now() - interval '3 s'")) == 1)
            .then_some(())
    });

    let next = start(&db, USER, &["--json", "--demo", "--demo-items", "5", "--demo-rate", "50"]);
    let claimed: Value = serde_json::from_str(&next.first_line).unwrap();
    assert_eq!(claimed["event"], "claimed");
    assert_eq!(claimed["took_over"][0]["task_id"], task.as_str());
    let new_task = claimed["task_id"].as_str().unwrap().to_string();
    assert_ne!(new_task, task);
    let (status, stdout, stderr) = next.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(events(&stdout).last().unwrap()["event"], "completed");

    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 0);
    let error = error.unwrap();
    assert!(error.starts_with("released by syncctl start: no heartbeat for "), "{error}");
    crate::support::note_time(&error);
    let (syncing, progress, _, error, _) = task_row(&db, &new_task).unwrap();
    assert!(!syncing && progress == 100 && error.is_none());
    assert_eq!(db.count("user_sync_status", "is_syncing"), 0);
}

/// Fencing: whoever releases a running task (`repair --task`, or plain SQL as a careless script
/// would), the task stops at its next write, exits 4 and writes nothing more.
#[test]
fn a_task_released_under_it_stops_with_exit_4_and_writes_nothing_more() {
    let db = db_with_table();
    for releaser in ["repair", "sql"] {
        let run = start(&db, USER, &["--json", "--demo", "--demo-items", "10000", "--demo-rate", "20"]);
        let task = serde_json::from_str::<Value>(&run.first_line).unwrap()["task_id"].as_str().unwrap().to_string();
        poll("some progress", || task_row(&db, &task).filter(|r| r.1 > 0));
        if releaser == "repair" {
            let out = syncctl(&db).args(["repair", "--task", &task, "--yes"]).output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        } else {
            db.execute(&format!(
                "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 0, \
                 error_message = 'released by test' WHERE task_id = '{task}'"
            ));
        }
        let left: String = db.query_one("SELECT t::text FROM user_sync_status t WHERE task_id = $1", &[&task]).get(0);
        let (status, stdout, stderr) = run.wait();
        assert_eq!(status.code(), Some(4), "{releaser}: {stderr}");
        assert_eq!(events(&stdout).last().unwrap()["event"], "lease_lost");
        let now: String = db.query_one("SELECT t::text FROM user_sync_status t WHERE task_id = $1", &[&task]).get(0);
        assert_eq!(now, left, "{releaser}: the row stays exactly as the releaser left it");
    }
}

#[test]
fn sigint_and_sigterm_release_the_task_as_cancelled() {
    let db = db_with_table();
    for (signal, code, name) in [(libc::SIGINT, 130, "SIGINT"), (libc::SIGTERM, 143, "SIGTERM")] {
        let run = start(&db, USER, &["--demo", "--demo-items", "10000", "--demo-rate", "20"]);
        let task = run.first_line.clone();
        poll("some progress", || task_row(&db, &task).filter(|r| r.1 > 0));
        run.signal(signal);
        let (status, _, stderr) = run.wait();
        assert_eq!(status.code(), Some(code), "{stderr}");
        let (syncing, progress, stats, error, _) = task_row(&db, &task).unwrap();
        assert!(!syncing && progress == 0);
        assert_eq!(error.as_deref(), Some(format!("cancelled by {name}").as_str()));
        assert!(stats["new"].as_i64().unwrap() > 0, "the stats reached so far stay: {stats}");
    }
}

#[test]
fn a_terminated_connection_is_reopened_and_the_task_completes() {
    let db = db_with_table();
    let run = start(&db, USER, &["--heartbeat-timeout", "20s", "--demo", "--demo-items", "60", "--demo-rate", "10"]);
    let task = run.first_line.clone();
    poll("some progress", || task_row(&db, &task).filter(|r| r.1 > 0));
    let terminated: i64 = db.scalar(&format!(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'syncctl/start'",
        db.name()
    ));
    assert_eq!(terminated, 1);
    assert!(task_row(&db, &task).unwrap().0, "terminated in the middle of the run");
    let (status, _, stderr) = run.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("reconnected"), "{stderr}");
    assert_eq!(db.count("user_sync_status", "true"), 1, "still one task row");
    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 100 && error.is_none());
}

#[test]
fn a_childs_progress_reaches_the_table_at_most_99_until_it_completes() {
    let db = db_with_table();
    let script = fixture("progress.py");
    let run = start(&db, USER, &["--full", "--", &script]);
    let task = run.first_line.clone();
    // Sample the row while the child runs: never more than 99 while syncing.
    let mut seen = Vec::new();
    let mut run = Some(run);
    let final_row = poll("the task's release", || {
        let row = task_row(&db, &task)?;
        if row.0 {
            assert!(row.1 <= 99, "progress {} while running", row.1);
            seen.push(row.1);
            None
        } else {
            Some(row)
        }
    });
    let (status, _, stderr) = run.take().unwrap().wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(seen.iter().any(|p| *p >= 50 && *p <= 99), "the child's progress reached the table: {seen:?}");
    assert!(seen.contains(&99), "100 reported while running is stored as 99: {seen:?}");
    let (_, progress, stats, error, _) = final_row;
    assert_eq!((progress, error), (100, None), "completed in one statement with the final stats");
    assert_eq!(stats["new"], 100);
    assert_eq!(stats["env"]["SYNCCTL_TASK_ID"], task.as_str());
    assert_eq!(stats["env"]["SYNCCTL_USER_ID"], USER);
    assert_eq!(stats["env"]["SYNCCTL_SYNC_TYPE"], "full");
    assert!(stderr.contains("synced 50%") && stderr.contains("connecting to the mailbox"), "log relayed: {stderr}");
}

#[test]
fn a_child_exiting_3_fails_the_task_with_its_status_and_last_stderr_line() {
    let db = db_with_table();
    let run = start(&db, USER, &["--", "sh", &fixture("exit3.sh")]);
    let task = run.first_line.clone();
    let (status, _, stderr) = run.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let (syncing, progress, stats, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 0);
    assert_eq!(error.as_deref(), Some("exit status 3: fatal: mailbox gone"));
    assert_eq!(stats["new"], 3);
    // A failed sync is an error, with the one error prefix, not a warning.
    assert!(stderr.lines().any(|l| l.starts_with(&format!("error: failed {task}: exit status 3"))), "{stderr}");
    assert!(!stderr.contains("warning: failed"), "{stderr}");
}

#[test]
fn a_child_printing_garbage_does_not_crash_syncctl() {
    let db = db_with_table();
    let run = start(&db, USER, &["--", &fixture("garbage.py")]);
    let task = run.first_line.clone();
    let (status, _, stderr) = run.wait();
    assert_eq!(status.code(), Some(0), "{}", &stderr[..stderr.len().min(2000)]);
    let (syncing, progress, stats, _, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 100);
    assert_eq!(stats["new"], 6);
    assert!(stderr.contains("(line cut)"));
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_the_grace_period() {
    let db = db_with_table();
    let run = start(&db, USER, &["--grace", "1s", "--", "sh", &fixture("stubborn.sh")]);
    let task = run.first_line.clone();
    let pid =
        poll("the child's pid", || task_row(&db, &task).and_then(|r| r.2.get("pid").and_then(Value::as_i64))) as i32;
    run.signal(libc::SIGINT);
    let signalled = Instant::now();
    // SIGTERM is ignored, so only the SIGKILL after --grace ends the child: never sooner.
    poll("the stubborn child to be killed", || (!process_alive(pid)).then_some(()));
    let lived = signalled.elapsed();
    assert!(lived >= Duration::from_secs(1), "killed after {lived:?}, before the 1s grace period ended");
    let (status, _, stderr) = run.wait();
    assert_eq!(status.code(), Some(130), "{stderr}");
    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 0);
    assert_eq!(error.as_deref(), Some("cancelled by SIGINT"));
}

/// A lost lease allows no grace period: another process may run the task already, so the
/// child's group is killed at once, not sent SIGTERM and waited for (here for ten minutes).
#[test]
fn a_child_is_killed_at_once_when_its_lease_is_lost() {
    let db = db_with_table();
    let run = start(&db, USER, &["--json", "--grace", "10m", "--", "sh", &fixture("stubborn.sh")]);
    let task = serde_json::from_str::<Value>(&run.first_line).unwrap()["task_id"].as_str().unwrap().to_string();
    let pid =
        poll("the child's pid", || task_row(&db, &task).and_then(|r| r.2.get("pid").and_then(Value::as_i64))) as i32;
    db.execute(&format!(
        "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 0, \
         error_message = 'released by test' WHERE task_id = '{task}'"
    ));
    let (status, stdout, stderr) = run.wait();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert_eq!(events(&stdout).last().unwrap()["event"], "lease_lost");
    assert!(!process_alive(pid), "the child outlived its lease");
}

#[test]
fn a_hanging_sync_fails_as_stalled_while_its_heartbeat_is_healthy() {
    let db = db_with_table();
    let run = start(
        &db,
        USER,
        &[
            "--json",
            "--stall-timeout",
            "2s",
            "--demo",
            "--demo-items",
            "100",
            "--demo-rate",
            "50",
            "--demo-hang-at",
            "50",
        ],
    );
    let task = serde_json::from_str::<Value>(&run.first_line).unwrap()["task_id"].as_str().unwrap().to_string();
    // While it hangs, the heartbeat goes on: updated_at moves, progress does not.
    let (_, hung_at, _, _, beat) = poll("the hang", || task_row(&db, &task).filter(|r| r.0 && r.1 >= 45));
    poll("a heartbeat during the hang", || task_row(&db, &task).filter(|r| !r.0 || (r.1 == hung_at && r.4 != beat)));
    let (status, stdout, stderr) = run.wait();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("heartbeat of"), "no heartbeat failed: {stderr}");
    let last = events(&stdout).pop().unwrap();
    assert_eq!(last["event"], "stalled");
    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 0);
    assert!(error.unwrap().starts_with("stalled: no progress for 2s"));
}

#[test]
fn with_liveness_lock_a_killed_task_is_taken_over_at_once() {
    let db = db_with_table();
    let lock = ["--liveness", "lock", "--heartbeat-timeout", "60s"];
    let mut args = lock.to_vec();
    args.extend(["--demo", "--demo-items", "10000", "--demo-rate", "10"]);
    let run = start(&db, USER, &args);
    let task = run.first_line.clone();
    poll("some progress", || task_row(&db, &task).filter(|r| r.1 > 0));

    // While the owner lives, another start reuses its task.
    let mut again = lock.to_vec();
    again.extend(["--demo"]);
    let reuse = start(&db, USER, &again);
    assert_eq!(reuse.first_line, task);
    assert_eq!(reuse.wait().0.code(), Some(0));

    run.signal(libc::SIGKILL);
    run.wait();
    poll("the dead backend's lock to go", || (advisory_locks(&db) == 0).then_some(()));
    assert_eq!(
        db.count("user_sync_status", &format!("task_id = '{task}' AND updated_at > now() - interval '30 s'")),
        1
    );

    let mut next_args = lock.to_vec();
    next_args.extend(["--json", "--demo", "--demo-items", "5", "--demo-rate", "50"]);
    let next = start(&db, USER, &next_args);
    let claimed: Value = serde_json::from_str(&next.first_line).unwrap();
    assert_eq!(claimed["event"], "claimed", "{claimed}");
    assert_eq!(claimed["took_over"][0]["task_id"], task.as_str());
    assert_eq!(claimed["took_over"][0]["reason"], "its owner's liveness lock was free");
    let (status, _, stderr) = next.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(db.count("user_sync_status", "is_syncing"), 0);
}

/// Advisory locks held in this test's database (other tests run beside it on the same server).
fn advisory_locks(db: &TestDb) -> i64 {
    db.scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
}

/// `inspect` and `reap` under `--liveness lock` see a killed task's free lock at once, while its
/// heartbeat still looks fresh; without the flag they wait for the heartbeat timeout.
#[test]
fn with_liveness_lock_inspect_and_reap_see_a_killed_task_at_once() {
    let db = db_with_table();
    let run = start(&db, USER, &["--liveness", "lock", "--demo", "--demo-items", "10000", "--demo-rate", "10"]);
    let task = run.first_line.clone();
    poll("some progress", || task_row(&db, &task).filter(|r| r.1 > 0));
    let states = |liveness: &str| -> Value {
        let out = syncctl(&db).args(["inspect", "--state", "all", "--json", "--liveness", liveness]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["rows"][0]["states"].clone()
    };

    // Alive: running either way, and neither reaper touches it.
    assert_eq!(states("lock"), serde_json::json!(["running"]));
    let out = syncctl(&db).args(["reap", "--liveness", "lock"]).output().unwrap();
    assert_eq!((out.status.code(), out.stdout.is_empty()), (Some(0), true));

    run.signal(libc::SIGKILL);
    run.wait();
    poll("the dead backend's lock to go", || (advisory_locks(&db) == 0).then_some(()));

    assert_eq!(states("heartbeat"), serde_json::json!(["running"]), "the heartbeat is still fresh");
    assert_eq!(states("lock"), serde_json::json!(["zombie"]), "its lock is free: dead at once");
    let out = syncctl(&db).arg("reap").output().unwrap();
    assert_eq!((out.status.code(), out.stdout.is_empty()), (Some(0), true), "heartbeat mode waits");
    let out = syncctl(&db).args(["reap", "--liveness", "lock"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        crate::support::after_timestamp(&String::from_utf8_lossy(&out.stdout))
            .starts_with(&format!("released {task} "))
    );
    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert!(!syncing && progress == 0);
    assert!(error.unwrap().contains("released by syncctl reap: its owner's liveness lock was free"));
}

#[test]
fn if_running_fail_and_follow() {
    let db = db_with_table();
    let run = start(&db, USER, &["--demo", "--demo-items", "30", "--demo-rate", "10"]);
    let task = run.first_line.clone();
    poll("the task's row", || task_row(&db, &task));

    let out = syncctl(&db).args(["start", "--user", USER, "--if-running", "fail", "--demo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&task));

    let follow = start(&db, USER, &["--json", "--if-running", "follow", "--demo"]);
    let (status, stdout, stderr) = follow.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mut events = events(&stdout);
    assert_eq!(events.pop().unwrap()["event"], "completed");
    assert_eq!(run.wait().0.code(), Some(0));
    assert_eq!(db.count("user_sync_status", "true"), 1);
}

#[test]
fn a_table_keyed_by_user_keeps_one_row_per_user() {
    let db = TestDb::new();
    let table = variant_table(&db);
    for _ in 0..2 {
        let run = spawn(
            &db,
            &["--table", table, "start", "--user", USER, "--demo", "--demo-items", "3", "--demo-rate", "50"],
        );
        let (status, _, stderr) = run.wait();
        assert_eq!(status.code(), Some(0), "{stderr}");
    }
    assert_eq!(db.count(table, "progress_percentage = 100 AND NOT is_syncing"), 1);
}

#[test]
fn a_user_with_no_row_is_said_and_no_create_refuses_it() {
    let db = db_with_table();
    let demo = ["--demo", "--demo-items", "3", "--demo-rate", "50"];
    let refused = syncctl(&db).args(["start", "--user", USER, "--no-create"]).args(demo).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("error: user {USER} has no row")) && stderr.contains("--no-create"), "{stderr}");
    let server = db.url().split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap();
    assert!(stderr.contains(&format!("@{server}/{})", db.name())), "where it looked: {stderr}");
    assert!(refused.stdout.is_empty(), "no task id: {}", String::from_utf8_lossy(&refused.stdout));
    assert_eq!(db.count("user_sync_status", "true"), 0, "nothing was written");

    let created = syncctl(&db).args(["start", "--user", USER]).args(demo).output().unwrap();
    let stderr = String::from_utf8_lossy(&created.stderr);
    assert_eq!(created.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(&format!("user {USER} has no row yet; creating it")), "{stderr}");

    // Now the user has a row: said no more, and --no-create lets it start.
    let again = syncctl(&db).args(["start", "--user", USER, "--no-create"]).args(demo).output().unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("has no row"), "{stderr}");
    assert_eq!(db.count("user_sync_status", "progress_percentage = 100"), 2);
}

#[test]
fn a_user_id_the_column_cannot_hold_is_a_usage_error() {
    let db = db_with_table();
    let out = syncctl(&db).args(["start", "--user", "not-a-uuid", "--demo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(db.count("user_sync_status", "true"), 0);
}

#[test]
fn a_running_row_with_a_heartbeat_in_the_future_is_taken_over_not_reused() {
    let db = db_with_table();
    mixed(&db, REFERENCE_TABLE, false);
    let user: String =
        db.scalar(&format!("SELECT user_id::text FROM user_sync_status WHERE task_id = '{MIXED_SKEWED_TASK}'"));
    let run = start(&db, &user, &["--json", "--demo", "--demo-items", "3", "--demo-rate", "50"]);
    let claimed: Value = serde_json::from_str(&run.first_line).unwrap();
    assert_eq!(claimed["event"], "claimed", "{claimed}");
    assert_eq!(claimed["took_over"][0]["task_id"], MIXED_SKEWED_TASK);
    assert_eq!(run.wait().0.code(), Some(0));
    assert_eq!(db.count("user_sync_status", &format!("user_id = '{user}' AND is_syncing")), 0);
}

/// A task whose worker stores naive UTC from a UTC+8 session is skewed, not a zombie: a start
/// for its user takes it over as it takes over a heartbeat in the future, and says why.
#[test]
fn a_task_heartbeating_a_time_zone_offset_in_the_past_is_taken_over_saying_so() {
    let db = TestDb::new();
    let _writers = crate::support::writers::shifted_writers(&db);
    let user: String = db.scalar("SELECT user_id::text FROM user_sync_status WHERE task_id = 'shanghai-1'");
    let run = start(&db, &user, &["--json", "--demo", "--demo-items", "3", "--demo-rate", "50"]);
    let claimed: Value = serde_json::from_str(&run.first_line).unwrap();
    assert_eq!(claimed["took_over"][0]["task_id"], "shanghai-1", "{claimed}");
    assert_eq!(
        claimed["took_over"][0]["reason"],
        "its heartbeat sits a whole time-zone offset in the past (a clock or time-zone bug)",
        "{claimed}"
    );
    assert_eq!(run.wait().0.code(), Some(0));
}

#[test]
fn a_task_survives_a_server_restart_and_completes() {
    let cluster = Cluster::start(ClusterOptions::default());
    let url = cluster.url("postgres");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(include_str!("../../sql/schema.sql")).unwrap();
    drop(admin);
    let run = spawn_at(
        &url,
        &[
            "start",
            "--user",
            USER,
            "--heartbeat",
            "200ms",
            "--heartbeat-timeout",
            "60s",
            "--demo",
            "--demo-items",
            "80",
            "--demo-rate",
            "10",
        ],
    );
    let task = run.first_line.clone();
    let progress = |url: &str| -> Option<i32> {
        let mut client = postgres::Client::connect(url, postgres::NoTls).ok()?;
        client
            .query_opt("SELECT progress_percentage FROM user_sync_status WHERE is_syncing", &[])
            .ok()?
            .map(|r| r.get(0))
    };
    poll("some progress", || progress(&url).filter(|p| *p > 0));
    cluster.restart();
    let (status, _, stderr) = run.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("reconnected"), "{stderr}");
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = client
        .query_one(
            "SELECT count(*), min(task_id), bool_or(is_syncing), min(progress_percentage) FROM user_sync_status",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert_eq!(row.get::<_, String>(1), task);
    assert!(!row.get::<_, bool>(2));
    assert_eq!(row.get::<_, i32>(3), 100);
}

/// Without an index on task_id every heartbeat scans the table: start says so, and says how to
/// fix it; with the constraints installed it says nothing of the kind.
#[test]
fn start_warns_when_task_id_has_no_index() {
    let db = db_with_table();
    let run = |user: &str| {
        let out = syncctl(&db).args(["start", "--user", user, "--demo", "--demo-items", "1"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(USER);
    assert!(stderr.contains("uniq_task_id is not installed") && stderr.contains("syncctl add-constraints"), "{stderr}");
    db.execute(PLAIN_CONSTRAINTS);
    let stderr = run(USER);
    assert!(!stderr.contains("is not installed"), "{stderr}");
}

/// The task's heartbeat age by the database clock, in seconds (None: no such row).
fn silence(db: &TestDb, task: &str) -> Option<f64> {
    db.query(
        "SELECT extract(epoch FROM now() - updated_at)::float8 FROM user_sync_status WHERE task_id = $1 AND is_syncing",
        &[&task],
    )
    .first()
    .map(|r| r.get(0))
}

/// A stderr that nobody reads (a full pipe) costs lines, not the lease: for three heartbeat
/// timeouts the row's heartbeat stays fresh while the child floods stderr; once the pipe is read
/// again syncctl says how many lines it dropped; SIGTERM still releases the task.
#[test]
fn a_stderr_nobody_reads_never_freezes_the_heartbeat() {
    let db = db_with_table();
    let mut child = syncctl_process(db.url())
        .args(["start", "--user", USER, "--heartbeat", "500ms", "--heartbeat-timeout", "3s", "--"])
        .arg(fixture("chatty.py"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let task = first_line.trim_end().to_string();
    // The pipe fills within milliseconds and stays full: nothing reads it for the window.
    let stderr = child.stderr.take().unwrap();
    let window = Instant::now();
    // The scenario is the passing of time: the heartbeat must hold over the whole window.
    while window.elapsed() < Duration::from_secs(9) {
        let silent = silence(&db, &task).expect("the task's row stays running");
        assert!(silent < 3.0, "the heartbeat froze behind the full stderr: silent for {silent:.1}s");
        thread::sleep(Duration::from_millis(250));
    }
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    let reader = thread::spawn(move || {
        let mut lines = BufReader::new(stderr);
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    poll("the note of dropped lines", || text.lock().unwrap().contains("lines of diagnostics dropped").then_some(()));
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = poll("start to exit", || child.try_wait().unwrap());
    assert_eq!(status.code(), Some(143));
    reader.join().unwrap();
    let (syncing, progress, _, error, _) = task_row(&db, &task).unwrap();
    assert_eq!((syncing, progress), (false, 0), "released as cancelled");
    assert!(error.is_some_and(|e| e.contains("cancelled")), "the cancellation is recorded");
}

/// Writes to a full disk (`>/dev/full 2>/dev/full`) or to a closed pipe fail; they must neither
/// panic nor end the task: the sync completes, exit 0.
#[test]
fn a_full_or_closed_stdout_and_stderr_never_end_the_task() {
    let db = db_with_table();
    let demo = ["start", "--user", USER, "--heartbeat", "200ms", "--demo", "--demo-items", "20", "--demo-rate", "40"];
    let full = || Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap());
    let status = syncctl_process(db.url()).args(demo).stdout(full()).stderr(full()).status().unwrap();
    assert_eq!(status.code(), Some(0), "with stdout and stderr on /dev/full");

    let mut child = syncctl_process(db.url()).args(demo).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Both read ends closed at once: every write gets EPIPE.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = poll("start to exit", || child.try_wait().unwrap());
    assert_eq!(status.code(), Some(0), "with stdout and stderr closed");
    let completed = db.count(REFERENCE_TABLE, "NOT is_syncing AND progress_percentage = 100 AND error_message IS NULL");
    assert_eq!(completed, 2, "both syncs completed");
}

/// A child that writes its pid to `pidfile` and then sleeps for ever (exec keeps the pid).
fn sleeper(pidfile: &std::path::Path) -> Vec<String> {
    let script = format!("echo $$ > '{}'; exec sleep 1000", pidfile.display());
    vec!["sh".into(), "-c".into(), script]
}

/// The child never outlives its start: after `kill -9` of start (no one left to stop it) the
/// kernel kills it (parent-death signal), and SIGHUP (a dropped ssh session) is a cancellation
/// like SIGTERM: the row released, the child stopped, exit 129.
#[test]
fn the_child_dies_with_its_start_on_kill_9_and_sighup() {
    let db = db_with_table();
    let dir = tempfile::tempdir().unwrap();
    for (n, signal) in [libc::SIGKILL, libc::SIGHUP].into_iter().enumerate() {
        let pidfile = dir.path().join(format!("child-{n}.pid"));
        let mut args = vec!["--".to_string()];
        args.extend(sleeper(&pidfile));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = start(&db, USER, &args);
        let task = started.first_line.clone();
        let child: i32 = poll("the child's pid", || std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok());
        assert!(process_alive(child));
        started.signal(signal);
        let (status, _, stderr) = started.wait();
        poll("the child to die with its start", || (!process_alive(child)).then_some(()));
        let (syncing, _, _, error, _) = task_row(&db, &task).unwrap();
        if signal == libc::SIGHUP {
            assert_eq!(status.code(), Some(129), "{stderr}");
            assert!(!syncing, "released on SIGHUP");
            assert!(error.is_some_and(|e| e.contains("SIGHUP")));
        } else {
            // Nothing could release the row: it waits for the heartbeat timeout, and the next
            // start takes it over, with no child of the old one beside the new one.
            assert!(syncing);
            db.execute(&format!(
                "UPDATE user_sync_status SET updated_at = now() - interval '70 minutes' WHERE task_id = '{task}'"
            ));
        }
    }
}

/// The state letter of a process in /proc (`T` when stopped).
fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the command name, which is in parentheses and may hold spaces.
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Ctrl-Z stops the child with its start (the child's group of its own is not the terminal's
/// foreground group, so the terminal's SIGTSTP would leave it working without a heartbeat),
/// and SIGCONT continues both.
#[test]
fn ctrl_z_stops_the_child_with_its_start_and_sigcont_continues_both() {
    let db = db_with_table();
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let mut args = vec!["--heartbeat-timeout".to_string(), "1h".into(), "--".into()];
    args.extend(sleeper(&pidfile));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = start(&db, USER, &args);
    let child: i32 = poll("the child's pid", || std::fs::read_to_string(&pidfile).ok()?.trim().parse().ok());
    started.signal(libc::SIGTSTP);
    poll("start and its child stopped", || {
        (process_state(started.pid()) == Some('T') && process_state(child) == Some('T')).then_some(())
    });
    started.signal(libc::SIGCONT);
    poll("start and its child running again", || {
        (process_state(started.pid()) != Some('T') && process_state(child) != Some('T')).then_some(())
    });
    started.signal(libc::SIGTERM);
    let (status, _, stderr) = started.wait();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(!process_alive(child));
}

/// Stats the database refuses are cleaned (a NUL) or dropped (they break a CHECK on the table)
/// with a warning, never retried as a lost connection: heartbeats go on and the release lands,
/// completed, with the last stats that could be stored.
#[test]
fn stats_the_database_refuses_never_lose_the_sync() {
    let db = db_with_table();
    db.execute("ALTER TABLE user_sync_status ADD CONSTRAINT stats_fit CHECK (length(current_stats::text) < 300)");
    let started = start(&db, USER, &["--", &fixture("unstorable.py")]);
    let task = started.first_line.clone();
    let (status, _, stderr) = started.wait();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("NUL characters"), "{stderr}");
    assert!(stderr.contains("refuses the stats"), "{stderr}");
    let (syncing, progress, stats, error, _) = task_row(&db, &task).unwrap();
    assert_eq!((syncing, progress, error), (false, 100, None), "completed");
    assert_eq!(stats["last_folder"], "INBOXjunk", "the NUL is removed, the rest kept: {stats}");
    assert!(stats.get("note").is_none(), "the refused stats are dropped: {stats}");
}

/// `reap --liveness lock` a few times over `for_at_least`: the task must stay running
/// throughout (each reap probes twice, a second apart, so this covers several probes).
fn reaps_leave_running(db: &TestDb, task: &str, for_at_least: Duration) {
    let window = Instant::now();
    while window.elapsed() < for_at_least {
        let out = syncctl(db).args(["reap", "--liveness", "lock"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let (syncing, _, _, error, _) = task_row(db, task).unwrap();
        assert!(syncing, "a live, heartbeating task was reaped through its lock: {error:?}");
    }
}

const LOCK_SLOW: [&str; 8] = ["--liveness", "lock", "--demo", "--demo-items", "100000", "--demo-rate", "10", "-q"];

/// A live task is never judged dead through its lock: not while its connection is being
/// re-opened after `pg_terminate_backend` (start takes the lock back at once, not at its next
/// heartbeat), and not after a takeover whose old owner held the user's lock and then died
/// (each task has a lock of its own).
#[test]
fn with_liveness_lock_a_live_task_is_never_reaped_through_its_lock() {
    let db = db_with_table();
    // A heartbeat far apart, so the connection is re-opened long before the next one.
    let mut args = vec!["start", "--user", USER, "--heartbeat", "5s", "--heartbeat-timeout", "60s"];
    args.extend(LOCK_SLOW);
    let run = spawn(&db, &args);
    let task = run.first_line.clone();
    let killed: i64 = db.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'syncctl/start' AND datname = current_database()",
    );
    assert_eq!(killed, 1, "start's connection is terminated");
    reaps_leave_running(&db, &task, Duration::from_secs(3));
    run.signal(libc::SIGTERM);
    assert_eq!(run.wait().0.code(), Some(143));

    // The takeover: the old owner stopped (its session, and a lock, still there) until its
    // heartbeat times out, a new start takes over, then the old owner dies.
    let user = "0c8a6f1e-3b2d-4e5f-8a9b-1c2d3e4f5a6b";
    let old = start(&db, user, &LOCK_SLOW);
    old.signal(libc::SIGSTOP);
    poll("the stopped owner's heartbeat to time out", || (silence(&db, &old.first_line)? > 3.5).then_some(()));
    let new = start(&db, user, &LOCK_SLOW);
    assert_ne!(new.first_line, old.first_line, "the silent task is taken over");
    old.signal(libc::SIGKILL);
    let _ = old.wait();
    reaps_leave_running(&db, &new.first_line, Duration::from_secs(3));
    new.signal(libc::SIGTERM);
    assert_eq!(new.wait().0.code(), Some(143));
}

/// Two users whose `hashtext` collides have one liveness identity each: once one's task ends,
/// the other's live task keeps running under `reap --liveness lock`.
#[test]
fn with_liveness_lock_users_whose_hashes_collide_stay_apart() {
    let db = db_with_table();
    let pair = db.query_one(
        "SELECT min(u), max(u) FROM (SELECT md5(g::text)::uuid::text AS u FROM generate_series(1, 300000) g) s \
         GROUP BY hashtext(u) HAVING count(*) > 1 LIMIT 1",
        &[],
    );
    let (first, second): (String, String) = (pair.get(0), pair.get(1));
    // The first user's task still runs (and holds its lock) when the second one's is claimed.
    let quick = start(&db, &first, &["--liveness", "lock", "--demo", "--demo-items", "20", "--demo-rate", "10"]);
    let slow = start(&db, &second, &LOCK_SLOW);
    assert_eq!(quick.wait().0.code(), Some(0), "the first user's task completes");
    reaps_leave_running(&db, &slow.first_line, Duration::from_secs(3));
    slow.signal(libc::SIGTERM);
    assert_eq!(slow.wait().0.code(), Some(143));
}
