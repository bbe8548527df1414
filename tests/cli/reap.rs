//! `reap`: many reapers at once release each zombie exactly once, live rows are never touched
//! whatever their age, nothing to do prints nothing (a dry run says so), every line for people
//! starts with the time, and `--every` says what each pass did and sums up when a signal stops it.
//! A batch is one round trip (its COMMIT sent behind it, seen through a logging relay), and a
//! signal during one keeps nothing of it.

use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::fixtures::*;
use crate::support::proxy::{Proxy, Wire};
use crate::support::wait::{wait_exit, wait_for};
use crate::support::writers::{beats, shifted_writers};
use crate::support::{TestDb, after_timestamp, syncctl, syncctl_process, table_digest, text};

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

/// A child killed when the test ends before it exits (a failed assertion), so no loop outlives
/// its test.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Already exited and reaped when the test got that far: nothing to do.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a child's stdout as they come, read on a thread (the channel ends with it).
fn lines_of(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads lines until one satisfies `until` (a generous deadline: passes are 200 ms apart), and
/// returns all it read.
fn read_until(lines: &Receiver<String>, what: &str, until: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                let done = until(&line);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!("waited for {what} ({e}); saw {seen:#?}"),
        }
    }
}

/// The task ids of a reap's JSON document, sorted.
fn released_tasks(doc: &Value) -> Vec<String> {
    let mut tasks: Vec<String> =
        doc["released"].as_array().unwrap().iter().map(|r| r["task_id"].as_str().unwrap().to_string()).collect();
    tasks.sort();
    tasks
}

/// Workers storing naive UTC from a UTC+8 session heartbeat 8 hours in the past while alive:
/// reap leaves them running and releases the real zombies; `reap --confirm 3s` watches the row
/// versions and releases only the rows really silent (one 8 hours silent too), saying which it
/// kept.
#[test]
fn shifted_writers_are_left_running_and_confirm_releases_only_silent_rows() {
    let db = TestDb::new();
    let _writers = shifted_writers(&db);
    let running = "SELECT count(*) FROM user_sync_status WHERE task_id LIKE 'shanghai-%' AND is_syncing";

    let out = syncctl(&db).args(["reap", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(released_tasks(&serde_json::from_slice(&out.stdout).unwrap()), ["zombie-1", "zombie-2"]);
    assert_eq!(db.scalar::<i64>(running), 3, "the shifted writers' tasks stay running");

    // Really silent: a task that stopped 8 hours ago (by its timestamp) and one 10 minutes ago.
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         VALUES (gen_random_uuid(), 'gone-8h', true, 10, now() - interval '9 hours', now() - interval '8 hours'),
                (gen_random_uuid(), 'zombie-3', true, 10, now() - interval '1 hour', now() - interval '10 minutes')",
    );
    let started = Instant::now();
    let out = syncctl(&db).args(["reap", "--confirm", "3s", "--json"]).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(3), "it watched for the whole window");
    assert_eq!(released_tasks(&serde_json::from_slice(&out.stdout).unwrap()), ["gone-8h", "zombie-3"], "{stderr}");
    assert_eq!(db.scalar::<i64>(running), 3, "the shifted writers' tasks stay running");
    for task in ["shanghai-1", "shanghai-2", "shanghai-3"] {
        let kept = format!("kept {task}: written during the confirmation window");
        assert!(
            stderr.lines().any(|l| after_timestamp(l) == kept),
            "{kept}
{stderr}"
        );
    }
    let before = beats(&db, "shanghai-1");
    crate::support::wait::poll("the writer to heartbeat on", || (beats(&db, "shanghai-1") > before).then_some(()));
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
        assert!(text.lines().all(|l| after_timestamp(l).starts_with("released zombie-")), "{text}");
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
    let rest = after_timestamp(&text);
    assert!(rest.starts_with(&format!("would release {INCIDENT_TASK} user {INCIDENT_USER} silent ")), "{text}");
    assert!(rest.trim_end().ends_with('h'), "silence as a duration (days and hours), not seconds: {text}");
    let out = syncctl(&db).args(["reap", "--dry-run", "--json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["would_release"][0]["task_id"], INCIDENT_TASK, "a dry run names its list for what it is: {doc}");
    assert!(doc.get("released").is_none(), "{doc}");
    assert_eq!((doc["count"].clone(), doc["dry_run"].clone()), (1.into(), true.into()));
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "--dry-run changes nothing");

    let out = syncctl(&db).args(["reap", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["count"], 1);
    assert_eq!(doc["released"][0]["task_id"], INCIDENT_TASK);
    assert!(doc["released"][0]["silent_seconds"].as_f64().unwrap() > 86_400.0 * 100.0);
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

/// Cron mails only when there was work: nothing to do prints nothing. A dry run, asked by a
/// person, says `nothing to reap` on stderr, as repair says `nothing to repair`; as JSON it is
/// the empty document.
#[test]
fn nothing_to_do_prints_nothing_and_a_dry_run_says_so() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    clean(&db, REFERENCE_TABLE);
    let before = table_digest(&db, REFERENCE_TABLE);
    for args in [&["reap"][..], &["reap", "--json"]] {
        let out = syncctl(&db).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = syncctl(&db).args(["reap", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(after_timestamp(&stderr), "nothing to reap\n");
    let out = syncctl(&db).args(["reap", "--dry-run", "--json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc, serde_json::json!({"would_release": [], "count": 0, "dry_run": true}));
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before);
}

#[test]
fn the_loop_stops_on_sigterm_and_leaves_no_transaction_open() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let mut child =
        Running(syncctl_process(db.url()).args(["reap", "--every", "200ms"]).stdout(Stdio::piped()).spawn().unwrap());
    let lines = lines_of(&mut child.0);
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

    // Each pass says what it did, the ones with nothing to do too, so the log shows it alive.
    let mut seen = read_until(&lines, "pass 3", |l| after_timestamp(l).starts_with("pass 3: "));

    // SAFETY: kill(2) on the pid of a child this test spawned and has not yet reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = wait_exit(&mut child.0);
    assert_eq!(status.code(), Some(143));
    wait_for("the reaper's backend to go", || db.count("pg_stat_activity", &reapers) == 0);
    seen.extend(lines.iter());
    let rest: Vec<&str> = seen.iter().map(|l| after_timestamp(l)).collect();
    assert!(rest[0].starts_with(&format!("released {INCIDENT_TASK} user {INCIDENT_USER} silent ")), "{seen:#?}");
    assert_eq!(rest[1], "pass 1: released 1", "{seen:#?}");
    let passes = rest.len() - 2;
    for (n, line) in rest[2..rest.len() - 1].iter().enumerate() {
        assert_eq!(*line, format!("pass {}: nothing to reap", n + 2), "released once, then empty passes: {seen:#?}");
    }
    // The pass a signal cuts short (if it came during one) counts, but has no line of its own.
    let summary = rest[rest.len() - 1];
    let (head, since) = summary.split_once(" in total since ").expect("a summary");
    assert!(
        [passes, passes + 1].map(|p| format!("stopped by SIGTERM: {p} passes, released 1")).contains(&head.to_string()),
        "{seen:#?}"
    );
    chrono::DateTime::parse_from_rfc3339(since).unwrap();
}

/// As JSON the loop prints a document per pass, the empty ones too (a dry run's lists are
/// `would_release`), and on SIGINT a summary document, then exits 130.
#[test]
fn the_json_loop_prints_every_pass_and_sums_up_on_sigint() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    incident(&db, REFERENCE_TABLE);
    let before = table_digest(&db, REFERENCE_TABLE);
    let mut child = Running(
        syncctl_process(db.url())
            .args(["reap", "--every", "200ms", "--dry-run", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let lines = lines_of(&mut child.0);
    let mut seen = read_until(&lines, "three passes", |_| true);
    seen.extend(read_until(&lines, "three passes", |_| true));
    seen.extend(read_until(&lines, "three passes", |_| true));
    // SAFETY: kill(2) on the pid of a child this test spawned and has not yet reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGINT) }, 0);
    assert_eq!(wait_exit(&mut child.0).code(), Some(130));
    seen.extend(lines.iter());
    let docs: Vec<Value> = seen.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let (summary, passes) = docs.split_last().unwrap();
    assert!(passes.len() >= 3, "{docs:#?}");
    for doc in passes {
        assert_eq!(doc["would_release"][0]["task_id"], INCIDENT_TASK, "{doc}");
        assert_eq!(doc["count"], 1);
    }
    assert_eq!(summary["stopped_by"], "SIGINT", "{summary}");
    let counted = summary["passes"].as_u64().unwrap();
    assert!([passes.len() as u64, passes.len() as u64 + 1].contains(&counted), "{summary}");
    assert_eq!(summary["released_total"].as_u64().unwrap(), passes.len() as u64, "one per pass: {summary}");
    assert!(chrono::DateTime::parse_from_rfc3339(summary["since"].as_str().unwrap()).is_ok(), "{summary}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "--dry-run changes nothing");
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

/// What the statements on the test table read so far, by the server's statistics: tuples read
/// by sequential scans plus index entries read by index scans (plain and bitmap), and the
/// updates, polled until the updates reach `updated` (statistics are flushed asynchronously;
/// a backend's last flush, at exit at the latest, carries all it read before its last update).
fn tuples_read(db: &TestDb, updated: i64) -> i64 {
    crate::support::wait::poll(&format!("the statistics to show {updated} updates"), || {
        let row = db.query_one(
            "SELECT t.n_tup_upd, t.seq_tup_read
                    + COALESCE((SELECT sum(i.idx_tup_read) FROM pg_stat_user_indexes AS i WHERE i.relid = t.relid), 0)::int8
             FROM pg_stat_user_tables AS t WHERE t.relid = 'user_sync_status'::regclass",
            &[],
        );
        (row.get::<_, i64>(0) >= updated).then(|| row.get::<_, i64>(1))
    })
}

/// A backlog released in many small batches reads each row a small constant number of times:
/// the rows are listed once, then released by ctid, so no batch reads again the rows an earlier
/// batch released (batches that each restart a scan, or re-read a bitmap of the index on
/// updated_at, read batches x rows). Without an index on updated_at and with one (whose entries
/// of released rows a bitmap scan never kills).
#[test]
fn a_backlog_in_many_batches_reads_each_row_a_bounded_number_of_times() {
    const ROWS: i64 = 60_000;
    const ZOMBIES: i64 = 3_000;
    // Without the index the list is one sequential scan; with it, a scan of the index (its
    // entries are the running rows: the zombies and a live task every 40 rows).
    let variants = [
        ("", ROWS + 4 * ZOMBIES),
        ("CREATE INDEX ix_sync_updated_at ON user_sync_status (updated_at) WHERE is_syncing;", 4 * ZOMBIES),
    ];
    for (index, bound) in variants {
        let db = TestDb::new();
        reference_table(&db, REFERENCE_TABLE);
        // Every 20th row a zombie (each silent for its own time), every 40th + 1 a live task,
        // the rest done.
        db.execute(&format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
             SELECT md5('row' || n)::uuid, 'task-' || n, n % 20 = 0 OR n % 40 = 1, CASE WHEN n % 40 = 1 THEN 50 ELSE 0 END,
                    now() - interval '2 hours',
                    CASE WHEN n % 20 = 0 THEN now() - interval '10 minutes' - n * interval '1 millisecond'
                         ELSE now() - interval '5 seconds' END
             FROM generate_series(1, {ROWS}) AS n;
             {index}
             ANALYZE user_sync_status"
        ));
        let inserted: i64 = crate::support::wait::poll("the load's statistics", || {
            let n: i64 =
                db.scalar("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'user_sync_status'::regclass");
            (n == ROWS).then_some(n)
        });
        assert_eq!(inserted, ROWS);
        let before = tuples_read(&db, 0);

        let out = syncctl(&db).args(["reap", "--limit", "100", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["count"], ZOMBIES, "{index}");
        let read = tuples_read(&db, ZOMBIES) - before;
        assert_eq!(db.count("user_sync_status", "is_syncing"), ROWS / 40, "only the live tasks still run");
        // One scan of the table (or of the index) for the list, then nothing but the listed rows.
        assert!(
            read <= bound,
            "{ZOMBIES} rows released in 30 batches read {read} tuples ({} tuples a released row; {index})",
            read / ZOMBIES
        );
    }
}

/// `n` zombies, silent for 10 minutes and more, on the reference table.
fn zombies(db: &TestDb, n: i32) {
    db.execute(&format!(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT md5('zombie' || n)::uuid, 'zombie-' || n, true, 40, now() - interval '2 hours',
                now() - interval '10 minutes' - n * interval '1 second'
         FROM generate_series(1, {n}) AS n"
    ));
}

/// A batch is one round trip: its COMMIT is sent behind it, before its answer (BEGIN, the
/// settings and its lock wait went before it in the same flight). Seen through a relay while the batch waits for
/// the table lock a test session holds, so its answer cannot have come yet: a client that waits
/// for each answer has sent nothing more. The released rows are released once the lock goes.
#[test]
fn a_batch_and_its_commit_are_sent_without_waiting_for_the_batch() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    zombies(&db, 5);
    let relay = Proxy::logging(db.url());
    // SHARE conflicts with the batch's ROW EXCLUSIVE, not with the list's ACCESS SHARE.
    let mut gate = db.client();
    let mut holding = gate.transaction().unwrap();
    holding.batch_execute("LOCK TABLE user_sync_status IN SHARE MODE").unwrap();
    let child = syncctl_process(&relay.url(db.url()))
        .args(["--lock-timeout", "60s", "reap", "--limit", "2", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let is_batch = |w: &Wire| matches!(w, Wire::Sent(text) if text.contains("released by syncctl reap"));
    // The first batch's transaction as the relay saw it, from its BEGIN to its COMMIT or to the
    // batch's answer (the one after those of BEGIN and each statement sent before the batch),
    // whichever came first. The answers before the batch's may come before the COMMIT is sent;
    // the batch's cannot, unless the client waited for it.
    let commit = Wire::Sent("COMMIT".into());
    let transaction = crate::support::wait::poll("the first batch's COMMIT or its answer", || {
        let log = relay.log();
        let batch = log.iter().position(is_batch)?;
        let begin = log[..batch].iter().rposition(|w| *w == Wire::Sent("BEGIN".into()))?;
        let before = log[begin..batch].iter().filter(|w| matches!(w, Wire::Sent(_))).count();
        let mut answers = 0;
        for (at, wire) in log.iter().enumerate().skip(begin) {
            answers += usize::from(*wire == Wire::Ready);
            if *wire == commit || answers > before {
                return Some(log[begin..=at].to_vec());
            }
        }
        None
    });
    assert_eq!(
        transaction.last(),
        Some(&commit),
        "the COMMIT must be sent with the batch, not after its answer: {transaction:#?}"
    );
    let reapers = format!("datname = '{}' AND application_name = 'syncctl/reap'", db.name());
    wait_for("the batch to wait for the lock", || {
        db.count("pg_stat_activity", &format!("{reapers} AND wait_event_type = 'Lock'")) == 1
    });
    holding.rollback().unwrap();

    let status = wait_exit(&mut child.0);
    let mut out = Vec::new();
    std::io::Read::read_to_end(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap()["count"], 5);
    assert_eq!(db.count("user_sync_status", "is_syncing"), 0);
    // Three batches, each committed on its own (the first sent twice when its first try, which
    // waits for a lock only a moment, gave up on the held table lock).
    let sent: Vec<Wire> = relay.log().into_iter().filter(|w| *w != Wire::Ready).collect();
    let batches: Vec<usize> = (0..sent.len()).filter(|&at| is_batch(&sent[at])).collect();
    assert!((3..=4).contains(&batches.len()), "{sent:#?}");
    for at in batches {
        assert_eq!(sent.get(at + 1), Some(&Wire::Sent("COMMIT".into())), "{sent:#?}");
    }
}

/// SIGTERM while a batch waits for the table lock (its COMMIT already sent behind it): the
/// batch is cancelled, the COMMIT then rolls its transaction back, and nothing of it is kept,
/// even once the lock is free; the loop sums up and exits 143.
#[test]
fn sigterm_during_a_batch_sent_with_its_commit_releases_nothing() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    zombies(&db, 5);
    let before = table_digest(&db, REFERENCE_TABLE);
    let mut gate = db.client();
    let mut holding = gate.transaction().unwrap();
    holding.batch_execute("LOCK TABLE user_sync_status IN SHARE MODE").unwrap();
    let child = syncctl_process(db.url())
        .args(["--lock-timeout", "60s", "reap", "--limit", "2", "--every", "1h"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Running(child);
    let reapers = format!("datname = '{}' AND application_name = 'syncctl/reap'", db.name());
    wait_for("the first batch to wait for the lock", || {
        db.count("pg_stat_activity", &format!("{reapers} AND wait_event_type = 'Lock'")) == 1
    });

    // SAFETY: kill(2) on the pid of a child this test spawned and has not yet reaped.
    assert_eq!(unsafe { libc::kill(child.0.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = wait_exit(&mut child.0);
    assert_eq!(status.code(), Some(143));
    wait_for("the reaper's backend to go", || db.count("pg_stat_activity", &reapers) == 0);
    holding.rollback().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    let summary = after_timestamp(out.lines().last().unwrap_or_default());
    assert!(summary.starts_with("stopped by SIGTERM: 1 pass, released 0 in total since "), "{out}");
    assert_eq!(table_digest(&db, REFERENCE_TABLE), before, "the cancelled batch changed nothing");
}

/// A zombie whose row another session holds (its worker stuck in a transaction, say) is
/// skipped, not waited for, however long --lock-timeout allows: reap releases the others and
/// exits while the row is still held. The batch's first try waits for the row a moment, then
/// the batch runs again with FOR UPDATE SKIP LOCKED.
#[test]
fn a_zombie_row_another_session_holds_is_skipped_and_the_others_released() {
    let db = TestDb::new();
    reference_table(&db, REFERENCE_TABLE);
    zombies(&db, 3);
    let mut holder = db.client();
    let mut held = holder.transaction().unwrap();
    held.batch_execute("SELECT FROM user_sync_status WHERE task_id = 'zombie-2' FOR UPDATE").unwrap();

    let out = syncctl(&db).args(["--lock-timeout", "1h", "reap", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(released_tasks(&doc), vec!["zombie-1", "zombie-3"], "{doc:#}");
    held.rollback().unwrap();
    assert_eq!(db.count("user_sync_status", "is_syncing"), 1);
    assert_eq!(db.count("user_sync_status", "is_syncing AND task_id = 'zombie-2'"), 1);
}

/// Where no other session holds its rows, a batch writes no row lock of its own: the server's
/// WAL (pg_walinspect, PostgreSQL 15 and later) holds an update record for each released row
/// of the table and no lock record but the updates' own. A `FOR UPDATE` before the update, as
/// every batch took before, wrote one more record a row (and, after a checkpoint, the row's
/// page once more).
#[test]
fn a_batch_that_meets_no_held_row_writes_no_row_lock() {
    let db = TestDb::new();
    if !db.scalar::<bool>(
        "SELECT current_setting('server_version_num')::int >= 150000
            AND EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_walinspect')",
    ) {
        eprintln!("not run: the server has no pg_walinspect (PostgreSQL 15 and later)");
        return;
    }
    reference_table(&db, REFERENCE_TABLE);
    zombies(&db, 50);
    db.execute("CREATE EXTENSION pg_walinspect");
    let start: String = db.scalar("SELECT pg_current_wal_insert_lsn()::text");

    let out = syncctl(&db).args(["reap", "--limit", "20", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["count"], 50);

    // The table's records only (other tests write to the same server): its database and file;
    // up to the WAL flushed, which holds every committed batch.
    let records = |kind: &str| -> i64 {
        db.scalar(&format!(
            "SELECT count(*) FROM pg_get_wal_records_info('{start}', pg_current_wal_flush_lsn())
             WHERE resource_manager LIKE 'Heap%' AND record_type LIKE '{kind}'
               AND block_ref LIKE '% rel %/' || (SELECT oid FROM pg_database WHERE datname = current_database())
                                  || '/' || pg_relation_filenode('user_sync_status') || ' %'"
        ))
    };
    assert!(records("%UPDATE%") >= 50, "the released rows' updates are in the WAL read");
    // An update that moves the row to another page logs a lock on the old version itself (while
    // it looks for room), so lock records may be as many as the non-HOT updates, never more. A
    // lock before each update added one a row: more than the non-HOT updates.
    let (locks, moved) = (records("LOCK%"), records("UPDATE%"));
    assert!(locks <= moved, "a batch locked rows before updating them: {locks} lock records, {moved} non-HOT updates");
}
