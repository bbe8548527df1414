//! syncctl through a real PgBouncer with a default configuration (issue 13): every subcommand
//! in transaction and in session pooling, the incident found and repaired, the lease and the
//! reapers under concurrency, lock_timeout honoured, and nothing of syncctl's left on a pooled
//! server connection.
//!
//! Each test starts its own pooler in front of the test server. The tests' own queries through
//! the pooler use the simple protocol (the `postgres` crate's `query` would prepare named
//! statements, which is the very thing a transaction pooler breaks).

use std::process::{Child, Stdio};

use postgres::{Client, NoTls, SimpleQueryMessage};
use serde_json::Value;

use crate::support::bouncer::{Bouncer, Pooling};
use crate::support::fixtures::*;
use crate::support::wait::poll;
use crate::support::writers::rollout_under_four_writers;
use crate::support::{TestDb, admin_url, json, run_at, stderr, syncctl_bare, syncctl_process};

const USER: &str = "5b0c1e2a-0000-4000-8000-00000000b0c1";

/// A database with the reference table and the incident, and a pooler in front of it.
fn setup(pooling: Pooling) -> (TestDb, Bouncer, String) {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let bouncer = Bouncer::start(&admin_url(), pooling);
    let url = bouncer.url(db.url());
    (db, bouncer, url)
}

/// The first column of each row of `sql`, sent with the simple protocol.
fn simple(client: &mut Client, sql: &str) -> Vec<Vec<String>> {
    client
        .simple_query(sql)
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or_default().to_string()).collect())
            }
            _ => None,
        })
        .collect()
}

const SETTINGS: &str = "SELECT pg_backend_pid()::text, current_setting('lock_timeout'), \
     current_setting('statement_timeout'), current_setting('TimeZone'), current_setting('jit')";

/// Both server connections of the pool (two clients, each inside a transaction at the same
/// time) carry the server's own settings: syncctl left nothing on them.
fn pooled_sessions_see_the_server_defaults(db: &TestDb, url: &str) {
    let mut direct = Client::connect(db.url(), NoTls).unwrap();
    let defaults = simple(&mut direct, SETTINGS).remove(0)[1..].to_vec();
    let mut a = Client::connect(url, NoTls).unwrap();
    let mut b = Client::connect(url, NoTls).unwrap();
    a.simple_query("BEGIN").unwrap();
    b.simple_query("BEGIN").unwrap();
    let (seen_a, seen_b) = (simple(&mut a, SETTINGS).remove(0), simple(&mut b, SETTINGS).remove(0));
    assert_ne!(seen_a[0], seen_b[0], "two server connections at once");
    for seen in [seen_a, seen_b] {
        assert_eq!(seen[1..], defaults[..], "lock_timeout, statement_timeout, TimeZone, jit of backend {}", seen[0]);
    }
}

fn every_subcommand(pooling: Pooling) {
    let (db, _bouncer, url) = setup(pooling);
    // The read commands agree with a direct connection.
    for args in [&["inspect", "--json"][..], &["health", "--json"], &["validate-constraints", "--json"]] {
        let (direct, pooled) = (run_at(db.url(), args), run_at(&url, args));
        assert_eq!(pooled.status.code(), direct.status.code(), "{args:?}: {}", stderr(&pooled));
        let (d, p) = (json(&direct.stdout), json(&pooled.stdout));
        for key in ["counts", "ok", "data_ok", "installed", "status"] {
            assert_eq!(p.get(key), d.get(key), "{args:?}: {key}");
        }
    }
    // The incident found and repaired.
    let inspect = json(&run_at(&url, &["inspect", "--json"]).stdout);
    assert_eq!(inspect["counts"]["zombie"], 1, "{inspect}");
    let repaired = run_at(&url, &["repair", "--all", "--yes"]);
    assert_eq!(repaired.status.code(), Some(0), "{}", stderr(&repaired));
    assert_eq!(run_at(db.url(), &["validate-constraints"]).status.code(), Some(0));
    // The rollout, then a sync and a reap under it.
    let rollout = run_at(&url, &["add-constraints"]);
    assert_eq!(rollout.status.code(), Some(0), "{}", stderr(&rollout));
    let validate = json(&run_at(db.url(), &["validate-constraints", "--json"]).stdout);
    assert_eq!(validate["installed"], true, "{validate}");
    let started =
        run_at(&url, &["start", "--user", USER, "--heartbeat", "200ms", "--json", "--demo", "--demo-items", "20"]);
    assert_eq!(started.status.code(), Some(0), "{}", stderr(&started));
    assert_eq!(db.count(REFERENCE_TABLE, &format!("user_id = '{USER}' AND progress_percentage = 100")), 1);
    assert_eq!(run_at(&url, &["reap"]).status.code(), Some(0));
    pooled_sessions_see_the_server_defaults(&db, &url);
}

#[test]
fn every_subcommand_works_through_transaction_pooling() {
    every_subcommand(Pooling::Transaction);
}

#[test]
fn every_subcommand_works_through_session_pooling() {
    every_subcommand(Pooling::Session);
}

/// What many production poolers carry so that clients sending startup `options` connect at all:
/// the options are then accepted and silently not applied.
const IGNORING_OPTIONS: &str = "ignore_startup_parameters = options";

/// `--lock-timeout` holds through the pooler, in both modes and with `options` ignored: a row
/// lock held by a direct session ends repair with exit 5, not a wait for as long as the lock is
/// held.
#[test]
fn lock_timeout_holds_through_the_pooler() {
    for (pooling, extra) in
        [(Pooling::Transaction, ""), (Pooling::Transaction, IGNORING_OPTIONS), (Pooling::Session, "")]
    {
        let db = TestDb::new();
        reference_table(&db, REFERENCE_TABLE);
        incident(&db, REFERENCE_TABLE);
        let bouncer = Bouncer::start_with(&admin_url(), pooling, extra);
        let url = bouncer.url(db.url());
        let mut holder = db.client();
        let mut tx = holder.transaction().unwrap();
        tx.execute("SELECT 1 FROM user_sync_status WHERE task_id = $1 FOR UPDATE", &[&INCIDENT_TASK]).unwrap();
        let out = run_at(&url, &["--lock-timeout", "300ms", "repair", "--task", INCIDENT_TASK, "--yes"]);
        assert_eq!(out.status.code(), Some(5), "{pooling:?} {extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("lock timeout"), "{}", stderr(&out));
        tx.rollback().unwrap();
        pooled_sessions_see_the_server_defaults(&db, &url);
    }
}

/// Many runs at once through a pool of two server connections, each run's statements spread
/// over both: no statement of one run is ever missing on, or collides with, another's server
/// connection (`prepared statement "s4" already exists`).
#[test]
fn concurrent_runs_never_collide_on_prepared_statements() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let bouncer = Bouncer::start_with(&admin_url(), Pooling::Transaction, IGNORING_OPTIONS);
    let url = bouncer.url(db.url());
    let runs: Vec<(&[&str], Child)> =
        [&["health"][..], &["inspect"], &["reap", "--dry-run"], &["validate-constraints"]]
            .iter()
            .cycle()
            .take(24)
            .map(|args| {
                (*args, syncctl_process(&url).args(*args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap())
            })
            .collect();
    for (args, child) in runs {
        let out = child.wait_with_output().unwrap();
        let direct = run_at(db.url(), args);
        assert_eq!(out.status.code(), direct.status.code(), "{args:?} as directly: {}", stderr(&out));
    }
}

fn spawn_start(url: &str, args: &[&str]) -> Child {
    let mut all = vec!["start", "--user", USER, "--heartbeat", "200ms", "--json"];
    all.extend(args);
    syncctl_process(url).args(all).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

fn first_event(child: &mut Child) -> Value {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
}

/// Twenty starts for one user at once through a pool of two server connections: one task.
#[test]
fn twenty_starts_for_one_user_make_one_task_through_the_pooler() {
    for pooling in [Pooling::Transaction, Pooling::Session] {
        twenty_starts(pooling);
    }
}

fn twenty_starts(pooling: Pooling) {
    let (db, _bouncer, url) = setup(pooling);
    // The task lasts 10 s (as start.rs's storm): a 1.5 s one finished before the last of the
    // twenty got in on a loaded machine, and those rightly made a second task.
    let args =
        ["--heartbeat-timeout", "20s", "--lock-timeout", "60s", "--demo", "--demo-items", "100", "--demo-rate", "10"];
    let mut children: Vec<Child> = (0..20).map(|_| spawn_start(&url, &args)).collect();
    let tasks: Vec<String> =
        children.iter_mut().map(|c| first_event(c)["task_id"].as_str().unwrap().to_string()).collect();
    assert!(tasks.iter().all(|t| *t == tasks[0]), "one task id for all: {tasks:?}");
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_eq!(db.count(REFERENCE_TABLE, &format!("user_id = '{USER}'")), 1, "exactly one task row");
}

/// 300 zombies, four reapers at once through the pooler: each released exactly once.
#[test]
fn four_reapers_release_300_zombies_exactly_once_through_the_pooler() {
    for pooling in [Pooling::Transaction, Pooling::Session] {
        four_reapers(pooling);
    }
}

fn four_reapers(pooling: Pooling) {
    let (db, _bouncer, url) = setup(pooling);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('zombie' || n)::uuid, 'zombie-' || n, true, 10, now() - interval '1 hour', now() - interval '10 minutes'
         FROM generate_series(1, 300) AS n",
    );
    let children: Vec<Child> = (0..4)
        .map(|_| syncctl_process(&url).args(["reap", "--limit", "20"]).stdout(Stdio::piped()).spawn().unwrap())
        .collect();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        total += String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| crate::support::after_timestamp(l).starts_with("released zombie-"))
            .count();
    }
    assert_eq!(total, 300, "the four reapers' lines add up to the zombies");
    let once = "task_id LIKE 'zombie-%' AND NOT is_syncing AND \
                (length(error_message) - length(replace(error_message, 'released by syncctl reap', ''))) \
                = length('released by syncctl reap')";
    assert_eq!(db.count(REFERENCE_TABLE, once), 300, "each released once, with one note");
}

/// `kill -9` of a start behind the pooler: a new start takes the silent task over. With
/// `--liveness lock` (session pooling only: the lock lives on the session's server connection,
/// and PgBouncer's reset of a session frees it) at once, without waiting for the timeout.
fn takeover(pooling: Pooling, liveness: &str) {
    let (db, _bouncer, url) = setup(pooling);
    let timeout = if liveness == "lock" { "1h" } else { "2s" };
    let long = ["--heartbeat-timeout", timeout, "--liveness", liveness, "--demo", "--demo-items", "100000"];
    let mut first = spawn_start(&url, &long);
    let task = first_event(&mut first)["task_id"].as_str().unwrap().to_string();
    first.kill().unwrap();
    first.wait().unwrap();
    let short = ["--heartbeat-timeout", timeout, "--liveness", liveness, "--demo", "--demo-items", "10"];
    let claimed = poll("a start that takes the task over", || {
        let mut next = spawn_start(&url, &short);
        let event = first_event(&mut next);
        let out = next.wait_with_output().unwrap();
        (event["event"] == "claimed").then(|| {
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            event
        })
    });
    assert_eq!(claimed["took_over"][0]["task_id"], task.as_str(), "{claimed}");
    assert_eq!(db.count(REFERENCE_TABLE, &format!("user_id = '{USER}' AND is_syncing")), 0);
}

#[test]
fn kill_9_takeover_through_the_pooler() {
    takeover(Pooling::Transaction, "heartbeat");
    takeover(Pooling::Session, "heartbeat");
}

#[test]
fn liveness_lock_takeover_through_session_pooling() {
    takeover(Pooling::Session, "lock");
}

/// Through transaction pooling a session lock is neither held nor seen reliably: `start
/// --liveness lock` refuses before claiming anything, and says why.
#[test]
fn liveness_lock_is_refused_through_transaction_pooling() {
    let (db, _bouncer, url) = setup(Pooling::Transaction);
    let before = crate::support::table_digest(&db, REFERENCE_TABLE);
    let out = run_at(&url, &["start", "--user", USER, "--liveness", "lock", "--demo"]);
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(
        message.contains("needs a session that keeps its server connection") && message.contains("session pooling"),
        "{message}"
    );
    assert_eq!(crate::support::table_digest(&db, REFERENCE_TABLE), before, "nothing was claimed");
}

/// A concurrent index build cannot run in a transaction, so through the pooler syncctl bounds
/// it itself: held up by an old snapshot past `--build-wait`, it is cancelled (PgBouncer
/// forwards the cancel request) and the rollout stops with exit 5; once the snapshot is gone a
/// rerun completes, and nothing is left on the pooled connections.
#[test]
fn a_build_held_up_past_build_wait_is_cancelled_through_transaction_pooling() {
    let (db, _bouncer, url) = setup(Pooling::Transaction);
    assert_eq!(run_at(&url, &["repair", "--all", "--yes"]).status.code(), Some(0));
    let mut holder = db.client();
    holder.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").unwrap();
    let out = run_at(&url, &["add-constraints", "--build-wait", "1s"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("--build-wait"), "{}", stderr(&out));
    holder.batch_execute("ROLLBACK").unwrap();
    let out = run_at(&url, &["add-constraints"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&run_at(db.url(), &["validate-constraints", "--json"]).stdout)["installed"], true);
    pooled_sessions_see_the_server_defaults(&db, &url);
}

/// The rollout through the pooler, in both modes, while four writers commit directly: it
/// completes and no writer waits longer than the lock timeout.
#[test]
fn add_constraints_under_four_writers_through_the_pooler() {
    for pooling in [Pooling::Transaction, Pooling::Session] {
        let db = TestDb::new();
        reference_table(&db, REFERENCE_TABLE);
        let bouncer = Bouncer::start(&admin_url(), pooling);
        rollout_under_four_writers(&db, 20_000, &bouncer.url(db.url()));
    }
}

/// Startup options the pooler refuses (PGOPTIONS here) get a message that says so and what to
/// do, not "the server is shutting down".
#[test]
fn refused_startup_options_are_said_to_be_refused() {
    let (_db, _bouncer, url) = setup(Pooling::Transaction);
    let out =
        syncctl_bare().env("DATABASE_URL", &url).env("PGOPTIONS", "-c work_mem=64MB").arg("inspect").output().unwrap();
    let message = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(message.contains("refused the connection's startup parameters"), "{message}");
    assert!(message.contains("PGOPTIONS") && !message.contains("shutting down"), "{message}");
}
