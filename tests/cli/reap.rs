//! `reap`: many reapers at once release each zombie exactly once, live rows are never touched
//! whatever their age, nothing to do prints nothing, and `--every` stops cleanly on SIGTERM.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fixtures::*;
use crate::support::wait::{wait_exit, wait_for};
use crate::support::{TestDb, syncctl, syncctl_process, table_digest};

/// How many times `error_message` carries the reap note.
const REAP_NOTES: &str = "(length(error_message) - length(replace(error_message, 'released by syncctl reap', ''))) \
                          / length('released by syncctl reap')";

/// `n` live rows: syncing, heartbeat 5 s old, but started long ago (the seed's 30-minute rule
/// would have cleaned them up).
fn live_rows(db: &TestDb, n: i32) {
    db.execute(&format!(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('live' || n)::uuid, 'live-' || n, true, n % 100, now() - interval '3 days', now() - interval '5 seconds'
         FROM generate_series(1, {n}) AS n"
    ));
}

fn live_digest(db: &TestDb) -> String {
    db.scalar("SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM user_sync_status t WHERE task_id LIKE 'live-%'")
}

#[test]
fn four_reapers_release_ten_thousand_zombies_exactly_once() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, error_message, started_at, updated_at)
         SELECT md5('zombie' || n)::uuid, 'zombie-' || n, true, n % 100,
                CASE WHEN n % 3 = 0 THEN 'old error' END, now() - interval '1 hour', now() - interval '10 minutes'
         FROM generate_series(1, 10000) AS n",
    );
    live_rows(&db, 50);
    let live_before = live_digest(&db);

    let children: Vec<Child> = (0..4)
        .map(|_| syncctl_process(db.url()).args(["reap", "--limit", "300"]).stdout(Stdio::piped()).spawn().unwrap())
        .collect();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.lines().all(|l| l.starts_with("released zombie-")), "{text}");
        total += text.lines().count();
    }
    assert_eq!(total, 10_000, "the counts the four reapers print add up");
    assert_eq!(db.count("user_sync_status", &format!("task_id LIKE 'zombie-%' AND {REAP_NOTES} = 1")), 10_000);
    assert_eq!(db.count("user_sync_status", "task_id LIKE 'zombie-%' AND (is_syncing OR progress_percentage <> 0)"), 0);
    assert_eq!(
        db.count(
            "user_sync_status",
            "error_message LIKE 'old error - released by syncctl reap: no heartbeat for 1_m %s at %'"
        ),
        3333,
        "the old error text is kept, the note appended"
    );
    assert_eq!(live_digest(&db), live_before, "no live row touched");
}

#[test]
fn live_rows_are_never_reaped_whatever_their_age() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    live_rows(&db, 20);
    incident(&db, REFERENCE_TABLE);
    let live_before = live_digest(&db);
    let before = table_digest(&db, REFERENCE_TABLE);

    let out = syncctl(&db).args(["reap", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>().len(), 1, "{text}");
    assert!(text.starts_with(&format!("would release {INCIDENT_TASK} user {INCIDENT_USER} silent ")), "{text}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "--dry-run changes nothing");

    let out = syncctl(&db).args(["reap", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["count"], 1);
    assert_eq!(doc["released"][0]["task_id"], INCIDENT_TASK);
    assert!(doc["released"][0]["silent_seconds"].as_i64().unwrap() > 86_400 * 100);
    let row = db.query_one(
        "SELECT is_syncing, progress_percentage, error_message FROM user_sync_status WHERE task_id = $1",
        &[&INCIDENT_TASK],
    );
    assert_eq!((row.get::<_, bool>(0), row.get::<_, i32>(1)), (false, 0));
    let error: String = row.get(2);
    assert!(error.starts_with(&format!("{INCIDENT_ERROR} - released by syncctl reap: no heartbeat for ")), "{error}");
    crate::support::note_time(&error);
    assert_eq!(live_digest(&db), live_before, "live rows started days ago are not touched");
}

#[test]
fn nothing_to_do_prints_nothing() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    let before = table_digest(&db, REFERENCE_TABLE);
    for args in [&["reap"][..], &["reap", "--json"], &["reap", "--dry-run"]] {
        let out = syncctl(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before);
}

#[test]
fn the_loop_stops_on_sigterm_and_leaves_no_transaction_open() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let mut child =
        syncctl_process(db.url()).args(["reap", "--every", "200ms"]).stdout(Stdio::piped()).spawn().unwrap();
    wait_for("the first pass to release the incident", || {
        db.count("user_sync_status", &format!("task_id = '{INCIDENT_TASK}' AND NOT is_syncing")) == 1
    });
    let reapers = format!("datname = '{}' AND application_name = 'syncctl/reap'", db.name());
    assert_eq!(db.count("pg_stat_activity", &reapers), 1, "the loop keeps its connection");
    // Between passes and during them, the loop's session is never left inside an open
    // transaction: each batch is a transaction of its own, committed at once. Its round trips
    // leave the session idle in that transaction for a moment, so "left open" means so for
    // longer than a second (passes are 200 ms apart: a transaction left open would stay open).
    // Sampled over a dozen passes.
    let open = format!(
        "{reapers} AND ((state LIKE 'idle in transaction%' AND now() - state_change > interval '1 second') \
         OR (state = 'idle' AND xact_start IS NOT NULL))"
    );
    for _ in 0..60 {
        assert_eq!(db.count("pg_stat_activity", &open), 0, "the loop left a transaction open between passes");
        std::thread::sleep(Duration::from_millis(40));
    }

    // SAFETY: kill(2) on the pid of a child this test spawned and has not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(143));
    wait_for("the reaper's backend to go", || db.count("pg_stat_activity", &reapers) == 0);
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "released once, then silent passes: {stdout}");
    assert!(stdout.starts_with(&format!("released {INCIDENT_TASK} user {INCIDENT_USER} silent ")), "{stdout}");
}

/// Live rows heartbeat (every 100 ms, from the test) while four `reap --every` loops with a 2 s
/// timeout race them and a batch of zombies: no live row is ever released, every zombie is
/// released exactly once, and rows whose heartbeats stop half-way are released once silent.
#[test]
fn heartbeating_rows_are_never_reaped_by_racing_reapers() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    live_rows(&db, 20);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('zombie' || n)::uuid, 'zombie-' || n, true, 10, now() - interval '1 hour', now() - interval '10 minutes'
         FROM generate_series(1, 500) AS n;
         INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('dying' || n)::uuid, 'dying-' || n, true, 30, now(), now() FROM generate_series(1, 10) AS n",
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let beats = {
        let (url, stop) = (db.url().to_string(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // The dying rows beat for the first second only.
                let dying = started.elapsed() < Duration::from_secs(1);
                client
                    .execute(
                        "UPDATE user_sync_status SET updated_at = now()
                         WHERE is_syncing AND (task_id LIKE 'live-%' OR ($1 AND task_id LIKE 'dying-%'))",
                        &[&dying],
                    )
                    .unwrap();
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let mut reapers: Vec<Child> = (0..4)
        .map(|_| {
            syncctl_process(db.url())
                .args(["reap", "--every", "100ms", "--timeout", "2s"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    wait_for("the zombies and the rows that stopped beating to be released", || {
        db.count("user_sync_status", "is_syncing AND (task_id LIKE 'zombie-%' OR task_id LIKE 'dying-%')") == 0
    });
    // A while longer under the racing reapers, then a last look.
    let window = Instant::now();
    while window.elapsed() < Duration::from_secs(2) {
        assert_eq!(
            db.count("user_sync_status", "task_id LIKE 'live-%' AND NOT is_syncing"),
            0,
            "a live row was reaped"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for reaper in &mut reapers {
        // SAFETY: kill(2) on the pid of a child this test spawned and has not yet reaped.
        assert_eq!(unsafe { libc::kill(reaper.id() as libc::pid_t, libc::SIGTERM) }, 0);
        assert_eq!(wait_exit(reaper).code(), Some(143));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    beats.join().unwrap();
    assert_eq!(db.count("user_sync_status", "task_id LIKE 'live-%' AND NOT is_syncing"), 0, "a live row was reaped");
    let released_twice =
        db.count("user_sync_status", "error_message LIKE '%released by syncctl reap%released by syncctl reap%'");
    assert_eq!(released_twice, 0, "a row was released twice");
    assert_eq!(db.count("user_sync_status", "error_message LIKE '%released by syncctl reap%'"), 510);
}
