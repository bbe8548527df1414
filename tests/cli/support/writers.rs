//! Writer sessions that keep committing to the reference table while `add-constraints` runs,
//! and the rollout under four of them, directly or through a pooler: a writer must never wait
//! longer than the lock timeout. And writers that heartbeat with a shifted clock, as the
//! application's workers in a non-UTC session do.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use super::constraints::{all_three, require_installed, valid_objects};
use super::fixtures::REFERENCE_TABLE;
use super::{TestDb, describe_sql_error, syncctl_bare, text};

/// A writer session updating random rows of the reference table in a loop, one autocommit
/// statement at a time, recording when each commit returned and any error.
pub(crate) struct Writer {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<(Vec<Instant>, Vec<String>)>,
}

impl Writer {
    /// Starts a writer on `db`'s reference table, whose ids run from 1 to `rows`.
    pub(crate) fn start(db: &TestDb, rows: i64) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let mut client = Client::connect(db.url(), NoTls).unwrap();
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let statement = client
                .prepare(
                    // Consistent updates only: a heartbeat, and progress kept within the CHECK.
                    "UPDATE user_sync_status
                        SET updated_at = now(),
                            progress_percentage = CASE WHEN is_syncing THEN (random() * 99)::int
                                                       ELSE progress_percentage END
                      WHERE id = $1",
                )
                .unwrap();
            let (mut commits, mut errors) = (Vec::new(), Vec::new());
            while !flag.load(Ordering::Relaxed) {
                let id = 1 + (uuid::Uuid::new_v4().as_u128() % rows as u128) as i64;
                match client.execute(&statement, &[&id]) {
                    Ok(_) => commits.push(Instant::now()),
                    Err(e) => errors.push(describe_sql_error(&e)),
                }
            }
            (commits, errors)
        });
        Writer { stop, handle }
    }

    /// Stops the writer; returns its commit times and errors.
    pub(crate) fn finish(self) -> (Vec<Instant>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

/// The longest time between two commits (or the window's edges) inside [from, to].
pub(crate) fn longest_gap(commits: &[Instant], from: Instant, to: Instant) -> Duration {
    let mut times: Vec<Instant> = commits.iter().copied().filter(|t| *t >= from && *t <= to).collect();
    times.insert(0, from);
    times.push(to);
    times.windows(2).map(|w| w[1] - w[0]).max().unwrap()
}

/// What a writer's longest gap between commits may exceed the lock timeout by: its own cycle
/// and the scheduling noise of a loaded 2-core machine, never a lock wait (those end at the
/// lock timeout).
pub(crate) const WRITER_MARGIN: Duration = Duration::from_secs(2);

/// Waits (generously) until the writer has committed at least once, so it is in its loop.
pub(crate) fn wait_for_commits(db: &TestDb, before: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while db.count(REFERENCE_TABLE, &format!("updated_at > '{before}'::timestamptz")) == 0 {
        assert!(Instant::now() < deadline, "the writers never committed");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Fills `db`'s reference table with `rows` rows, runs four writers (direct connections) and
/// the rollout over `url` (the database directly, or through a pooler): the rollout completes
/// and no writer ever waits longer than the lock timeout (plus [`WRITER_MARGIN`]).
pub(crate) fn rollout_under_four_writers(db: &TestDb, rows: i64, url: &str) {
    // One row per user: 2 % running (progress 0..98), the rest completed or idle.
    db.execute(&format!(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT gen_random_uuid(), 'sync_' || n, n % 50 = 0,
                CASE WHEN n % 50 = 0 THEN n % 99 WHEN n % 3 = 0 THEN 0 ELSE 100 END,
                now() - interval '1 hour', now() - interval '10 minutes'
         FROM generate_series(1, {rows}) AS n"
    ));
    db.execute("VACUUM ANALYZE user_sync_status");

    let start: String = db.scalar("SELECT now()::text");
    let writers: Vec<Writer> = (0..4).map(|_| Writer::start(db, rows)).collect();
    wait_for_commits(db, &start);
    let from = Instant::now();
    let out =
        syncctl_bare().env("DATABASE_URL", url).args(["add-constraints", "--lock-timeout", "500ms"]).output().unwrap();
    let to = Instant::now();
    let results: Vec<_> = writers.into_iter().map(Writer::finish).collect();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{}\nstderr:\n{stderr}", text(&out.stdout));
    eprintln!("rollout of {rows} rows under 4 writers, {:?}:\n{stderr}", to - from);

    for (n, (commits, errors)) in results.iter().enumerate() {
        assert!(errors.is_empty(), "writer {n} failed: {errors:?}");
        let during = commits.iter().filter(|t| **t >= from && **t <= to).count();
        let gap = longest_gap(commits, from, to);
        eprintln!("writer {n}: {during} commits during the rollout, longest gap {gap:?}");
        assert!(during > 0, "writer {n} did not commit during the rollout");
        // The only lock a writer can queue behind is ADD CONSTRAINT's, bounded by
        // --lock-timeout (500 ms).
        let bound = Duration::from_millis(500) + WRITER_MARGIN;
        assert!(gap < bound, "writer {n} was stuck for {gap:?} (lock timeout 500ms + margin)");
    }
    assert_eq!(valid_objects(db, REFERENCE_TABLE), all_three());
    require_installed(db, REFERENCE_TABLE, 0);
}

/// What an [`AppWriter`] did.
#[derive(Debug)]
pub(crate) struct AppWriterReport {
    /// Tasks claimed and released (or whose release was refused).
    pub(crate) cycles: u64,
    /// Statements the CHECK refused (SQLSTATE 23514): the failure releases once it exists.
    pub(crate) refused: usize,
    /// Every other error psql reported.
    pub(crate) errors: Vec<String>,
}

/// A writer that behaves like the application, in a process of its own: `psql` fed plain SQL,
/// one autocommit statement at a time, in the shapes of the application's code. For each of its
/// users in turn it claims a task (is_syncing true, progress 0), writes `beats` heartbeats with
/// progress, and releases the task as the application's failure path does, with progress 1-99
/// left in place: a violating row, as long as no CHECK refuses it. Refusals are counted, never
/// fatal. `pace` is the pause between one statement's end and the next one's start: each is
/// sent once psql has run the one before (an `\echo` after it comes back on stdout), so no
/// statement waits in the pipe and stopping the writer stops its writes within one cycle. (Fed
/// at its pace regardless, a psql behind a loaded server, each statement a scan of the table,
/// had the pipe's worth of statements queued and ran them for minutes after the stop: repair's
/// plans met their writes until its --lock-timeout ran out.)
pub(crate) struct AppWriter {
    stop: Arc<AtomicBool>,
    child: std::process::Child,
    feeder: thread::JoinHandle<u64>,
    errors: thread::JoinHandle<(usize, Vec<String>)>,
}

impl AppWriter {
    /// Starts a writer named `name` (its task ids start with it) on `db`'s reference table, for
    /// the rows of `users` (user_id values).
    pub(crate) fn start(db: &TestDb, name: &str, users: Vec<String>, beats: u32, pace: Duration) -> AppWriter {
        use std::io::{BufRead, BufReader, Write};
        use std::process::{Command, Stdio};
        let mut child = Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", db.url()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql on PATH");
        let mut stdin = child.stdin.take().unwrap();
        let mut acks = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = child.stderr.take().unwrap();
        // Errors by SQLSTATE, one line each: `ERROR:  23514`.
        writeln!(stdin, "\\set VERBOSITY sqlstate").unwrap();
        let errors = thread::spawn(move || {
            let (mut refused, mut others) = (0, Vec::new());
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // psql prefixes it with `psql:<stdin>:LINE: `.
                if line.trim_end().ends_with("ERROR:  23514") {
                    refused += 1;
                } else {
                    others.push(line);
                }
            }
            (refused, others)
        });
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let name = name.to_string();
        let feeder = thread::spawn(move || {
            let mut cycles = 0u64;
            'run: while !flag.load(Ordering::Relaxed) {
                for user in &users {
                    let task = format!("{name}_{cycles}");
                    let progress = 1 + (uuid::Uuid::new_v4().as_u128() % 99) as u32;
                    let mut statements = vec![format!(
                        "UPDATE user_sync_status SET task_id = '{task}', is_syncing = TRUE, sync_type = 'full', \
                         progress_percentage = 0, current_stats = '{{}}', error_message = NULL, \
                         started_at = now(), updated_at = now() WHERE user_id = '{user}';"
                    )];
                    for beat in 1..=beats {
                        statements.push(format!(
                            "UPDATE user_sync_status SET progress_percentage = {}, updated_at = now() \
                             WHERE task_id = '{task}';",
                            progress * beat / beats
                        ));
                    }
                    statements.push(format!(
                        "UPDATE user_sync_status SET is_syncing = FALSE, error_message = 'sync failed', \
                         updated_at = now() WHERE task_id = '{task}';"
                    ));
                    for statement in statements {
                        if writeln!(stdin, "{statement}\n\\echo {ACK}").and_then(|()| stdin.flush()).is_err() {
                            break 'run;
                        }
                        // Until psql has run it (or ended).
                        if !acks.by_ref().map_while(Result::ok).any(|line| line == ACK) {
                            break 'run;
                        }
                        thread::sleep(pace);
                    }
                    cycles += 1;
                    if flag.load(Ordering::Relaxed) {
                        break 'run;
                    }
                }
            }
            cycles
            // Dropping stdin ends psql once it ran what it was sent.
        });
        AppWriter { stop, child, feeder, errors }
    }

    /// Stops the writer and waits for its process; what it did.
    pub(crate) fn finish(mut self) -> AppWriterReport {
        self.stop.store(true, Ordering::Relaxed);
        let cycles = self.feeder.join().unwrap();
        let status = self.child.wait().unwrap();
        let (refused, mut errors) = self.errors.join().unwrap();
        if !status.success() {
            errors.push(format!("psql exited with {status}"));
        }
        AppWriterReport { cycles, refused, errors }
    }
}

/// What an [`AppWriter`]'s psql echoes after each statement it ran.
const ACK: &str = "app-writer: done";

/// The user_id of the first `n` rows of `db`'s reference table after the first `skip`, as text.
pub(crate) fn users(db: &TestDb, skip: i64, n: i64) -> Vec<String> {
    db.query("SELECT user_id::text FROM user_sync_status ORDER BY id OFFSET $1 LIMIT $2", &[&skip, &n])
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A worker of the application whose session runs in Asia/Shanghai (UTC+8) and stores its
/// naive `datetime.utcnow()` into the timestamptz column: a separate psql process heartbeating
/// one task every ~0.5 s with the application's statement shape. Each heartbeat counts itself
/// in `current_stats->'beats'`. Killed, with its server session, when dropped.
pub(crate) struct ShiftedWriter {
    child: std::process::Child,
    url: String,
    name: String,
}

impl ShiftedWriter {
    /// Starts heartbeating `task` of `db`'s reference table.
    pub(crate) fn start(db: &TestDb, task: &str) -> ShiftedWriter {
        let name = format!("shifted-writer-{task}");
        // The naive UTC wall clock, cast to timestamptz in the session's zone, is what the
        // driver's parameter becomes; COMMIT in the loop makes each heartbeat its own
        // transaction (and now() its time), as the application's autocommit calls are.
        let heartbeat = format!(
            "DO $$ BEGIN LOOP
               UPDATE user_sync_status
                  SET updated_at = (now() AT TIME ZONE 'UTC')::timestamp,
                      current_stats = jsonb_build_object('beats', COALESCE((current_stats->>'beats')::int, 0) + 1)
                WHERE task_id = '{task}' AND is_syncing;
               COMMIT;
               PERFORM pg_sleep(0.5);
             END LOOP; END $$"
        );
        let child = std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url()])
            .args(["-c", "SET TIME ZONE 'Asia/Shanghai'", "-c", &heartbeat])
            .env("PGAPPNAME", &name)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("psql on PATH");
        ShiftedWriter { child, url: db.url().to_string(), name }
    }
}

impl Drop for ShiftedWriter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The server session outlives its client until it next writes to it: end it here.
        if let Ok(mut client) = Client::connect(&self.url, NoTls) {
            let _ = client.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                  WHERE application_name = $1 AND datname = current_database()",
                &[&self.name],
            );
        }
    }
}

/// The heartbeats a [`ShiftedWriter`] has committed on `task`.
pub(crate) fn beats(db: &TestDb, task: &str) -> i64 {
    db.query_one(
        "SELECT COALESCE((current_stats->>'beats')::int8, 0) FROM user_sync_status WHERE task_id = $1",
        &[&task],
    )
    .get(0)
}

/// The table of the clock-skew tests: three running tasks heartbeated by [`ShiftedWriter`]s
/// (`shanghai-1..3`), two real zombies silent for ten minutes (`zombie-1`, `zombie-2`) and a
/// task heartbeating on the database clock (`live-1`). Returns once every writer has committed
/// twice, so the rows are being written.
pub(crate) fn shifted_writers(db: &TestDb) -> Vec<ShiftedWriter> {
    super::fixtures::reference_table(db, REFERENCE_TABLE);
    db.execute(
        "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, started_at, updated_at)
         SELECT gen_random_uuid(), task, true, 10, now() - interval '1 hour', now() - silence
         FROM (VALUES ('shanghai-1', interval '8 hours'), ('shanghai-2', interval '8 hours'),
                      ('shanghai-3', interval '8 hours'), ('zombie-1', interval '10 minutes'),
                      ('zombie-2', interval '10 minutes'), ('live-1', interval '0')) AS r (task, silence)",
    );
    let writers: Vec<ShiftedWriter> =
        ["shanghai-1", "shanghai-2", "shanghai-3"].iter().map(|t| ShiftedWriter::start(db, t)).collect();
    super::wait::poll("every shifted writer to heartbeat twice", || {
        ["shanghai-1", "shanghai-2", "shanghai-3"].iter().all(|t| beats(db, t) >= 2).then_some(())
    });
    writers
}
