//! The invariant checker: samples the whole table continuously on a connection of its own
//! (re-opened across server restarts and terminated backends) and records every violation of
//! the campaign's invariants, once per kind and task:
//!
//! - a user with two running rows;
//! - a row violating the CHECK predicate of `chk_sync_state_consistency`, or a NULL state;
//! - a write by a task after it was fenced out: once a task's row is not syncing, the row never
//!   changes again (its whole text is compared) and the task never runs again; while it runs,
//!   its counter (new + updated + errors of the demo's stats) never goes back;
//! - two rows with one task id;
//! - a zombie that survived a reap pass: a running row silent for longer than the reaper's
//!   timeout + interval + [`ZOMBIE_SLACK`], on a server up for at least as long (both read on
//!   the database clock, `pg_postmaster_start_time()` for the server's last start);
//! - a task with a live, heartbeating owner released by another process: a row released by
//!   reap, repair or a takeover (its note says `released by syncctl …`) sooner after a
//!   heartbeat the checker saw than any release may come (the heartbeat timeout; under
//!   `--liveness lock`, the time between the two probes that find the owner's lock free). Both times are the row's own `updated_at` (the
//!   database clock): the release stamps it, and a heartbeat the checker missed would only make
//!   the row fresher still, so the check never accuses a release that was due.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use postgres::{Client, NoTls};
use serde_json::Value;

/// How late a reap may be beyond timeout + interval: the machine is shared and loaded, and a
/// reaper may be between a failed pass and its next tick, or being restarted.
pub(super) const ZOMBIE_SLACK: Duration = Duration::from_secs(6);

const SAMPLE_EVERY: Duration = Duration::from_millis(100);

const SAMPLE_SQL: &str = "SELECT t.user_id::text, t.task_id, t.is_syncing, t.progress_percentage, \
     t.current_stats::text, extract(epoch FROM now() - t.updated_at)::float8, t::text, \
     extract(epoch FROM now() - pg_postmaster_start_time())::float8, \
     extract(epoch FROM t.updated_at)::float8, t.error_message \
     FROM user_sync_status t";

/// What the checker has seen of one task.
#[derive(Default)]
struct Seen {
    /// The highest counter seen.
    counter: i64,
    /// The row's text when it was first seen not syncing.
    released: Option<String>,
    /// The freshest heartbeat seen while it ran (epoch seconds, database clock).
    heartbeat: Option<f64>,
}

/// The checker's findings, shared with the campaign.
#[derive(Default)]
pub(super) struct Findings {
    pub samples: u64,
    pub reconnects: u64,
    /// Distinct violations, `kind: detail`.
    pub violations: Vec<String>,
    reported: BTreeSet<(String, String)>,
}

impl Findings {
    fn violation(&mut self, kind: &str, subject: &str, detail: String) {
        if self.reported.insert((kind.to_string(), subject.to_string())) {
            self.violations.push(format!("{kind}: {detail}"));
        }
    }
}

/// A running checker thread.
pub(super) struct Checker {
    stop: Arc<AtomicBool>,
    findings: Arc<Mutex<Findings>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Checker {
    /// Starts sampling the table at `url`; `reap_after` is the reaper's timeout plus interval,
    /// `live_for` how long after its last heartbeat a task is surely still alive.
    pub(super) fn start(url: String, reap_after: Duration, live_for: Duration) -> Checker {
        let stop = Arc::new(AtomicBool::new(false));
        let findings = Arc::new(Mutex::new(Findings::default()));
        let (stop_flag, sink) = (Arc::clone(&stop), Arc::clone(&findings));
        let limits = Limits { zombie: (reap_after + ZOMBIE_SLACK).as_secs_f64(), live_for: live_for.as_secs_f64() };
        let thread = thread::spawn(move || {
            let mut tasks: HashMap<String, Seen> = HashMap::new();
            let mut client: Option<Client> = None;
            while !stop_flag.load(Ordering::Relaxed) {
                if client.as_ref().is_none_or(Client::is_closed) {
                    client = Client::connect(&url, NoTls).ok();
                    if client.is_some() {
                        sink.lock().unwrap_or_else(PoisonError::into_inner).reconnects += 1;
                    }
                }
                if let Some(c) = client.as_mut()
                    && let Ok(rows) = c.query(SAMPLE_SQL, &[])
                {
                    let mut findings = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    check(&rows, &mut tasks, &limits, &mut findings);
                    findings.samples += 1;
                }
                thread::sleep(SAMPLE_EVERY);
            }
        });
        Checker { stop, findings, thread: Some(thread) }
    }

    /// Records a violation found outside the sampler (e.g. by the end-of-run checks).
    pub(super) fn violation(&self, kind: &str, subject: &str, detail: String) {
        self.findings.lock().unwrap_or_else(PoisonError::into_inner).violation(kind, subject, detail);
    }

    /// The number of samples so far.
    pub(super) fn samples(&self) -> u64 {
        self.findings.lock().unwrap_or_else(PoisonError::into_inner).samples
    }

    /// Stops sampling and returns the findings.
    pub(super) fn finish(mut self) -> Findings {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().expect("the checker thread panicked");
        }
        std::mem::take(&mut *self.findings.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for Checker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// new + updated + errors of a stats document.
pub(super) fn counter(stats: &str) -> i64 {
    let stats: Value = serde_json::from_str(stats).unwrap_or(Value::Null);
    ["new", "updated", "errors"].iter().filter_map(|k| stats[k].as_i64()).sum()
}

/// The checker's bounds, in seconds.
struct Limits {
    /// A running row silent for longer survived a reap pass.
    zombie: f64,
    /// A row released sooner after a heartbeat was live.
    live_for: f64,
}

/// One row of a sample, by column.
struct Sampled {
    user: String,
    task: Option<String>,
    syncing: Option<bool>,
    progress: Option<i32>,
    stats: String,
    silent: Option<f64>,
    text: String,
    uptime: f64,
    stamped: Option<f64>,
    error: Option<String>,
}

impl Sampled {
    fn of(row: &postgres::Row) -> Sampled {
        Sampled {
            user: row.get(0),
            task: row.get(1),
            syncing: row.get(2),
            progress: row.get(3),
            stats: row.get(4),
            silent: row.get(5),
            text: row.get(6),
            uptime: row.get(7),
            stamped: row.get(8),
            error: row.get(9),
        }
    }
}

/// Checks one sample of the whole table.
fn check(rows: &[postgres::Row], tasks: &mut HashMap<String, Seen>, limits: &Limits, findings: &mut Findings) {
    let rows: Vec<Sampled> = rows.iter().map(Sampled::of).collect();
    let mut running_by_user: HashMap<String, Vec<String>> = HashMap::new();
    let mut rows_by_task: HashMap<String, usize> = HashMap::new();
    for task in rows.iter().filter_map(|r| r.task.clone()) {
        *rows_by_task.entry(task).or_default() += 1;
    }
    for row in &rows {
        let task_name = row.task.clone().unwrap_or_else(|| "<no task id>".into());
        check_row(row, &task_name, limits, findings);
        if row.syncing == Some(true) {
            running_by_user.entry(row.user.clone()).or_default().push(task_name);
        }
        // A repeated task id is reported below; its rows cannot be told apart by task.
        let Some(task) = row.task.clone().filter(|t| rows_by_task[t] == 1) else { continue };
        follow_task(row, &task, tasks.entry(task.clone()).or_default(), limits, findings);
    }
    for (user, running) in running_by_user {
        if running.len() > 1 {
            findings.violation("two running rows", &user, format!("user {user} runs {running:?}"));
        }
    }
    for (task, n) in rows_by_task {
        if n > 1 {
            findings.violation("repeated task id", &task, format!("{n} rows have task id {task}"));
        }
    }
}

/// What one row shows by itself: the CHECK predicate, and a zombie that survived.
fn check_row(row: &Sampled, task_name: &str, limits: &Limits, findings: &mut Findings) {
    let (zombie_limit, text, uptime) = (limits.zombie, &row.text, row.uptime);
    let consistent = match (row.syncing, row.progress) {
        (Some(true), Some(p)) => (0..=99).contains(&p),
        (Some(false), Some(p)) => p == 0 || p == 100,
        _ => false,
    };
    if !consistent {
        findings.violation("check-predicate", task_name, format!("row violates the CHECK predicate: {text}"));
    }
    if row.syncing == Some(true) && row.silent.unwrap_or(f64::INFINITY) > zombie_limit && uptime > zombie_limit {
        findings.violation(
            "zombie survived",
            task_name,
            format!(
                "running row silent {:.1}s (> {zombie_limit:.1}s) on a server up {uptime:.1}s: {text}",
                row.silent.unwrap_or(f64::NAN)
            ),
        );
    }
}

/// What a task's row shows against what earlier samples saw of it: its counter only grows, a
/// released row never changes or runs again, and it was not released while live.
fn follow_task(row: &Sampled, task: &str, seen: &mut Seen, limits: &Limits, findings: &mut Findings) {
    let text = &row.text;
    let now = counter(&row.stats);
    if now < seen.counter {
        findings.violation("counter went back", task, format!("counter {now} after {}: {text}", seen.counter));
    }
    seen.counter = seen.counter.max(now);
    match (&seen.released, row.syncing) {
        (Some(_), Some(true)) => {
            findings.violation("fenced task ran again", task, format!("a released task is syncing again: {text}"))
        }
        (Some(released), _) if released != text => findings.violation(
            "write after fencing",
            task,
            format!("a released row changed:\n  was {released}\n  now {text}"),
        ),
        (None, Some(false)) => {
            seen.released = Some(text.clone());
            let by_another = row.error.as_deref().is_some_and(|e| e.contains("released by syncctl"));
            if let (true, Some(heartbeat), Some(released)) = (by_another, seen.heartbeat, row.stamped)
                && released - heartbeat < limits.live_for
            {
                findings.violation(
                    "live task released",
                    task,
                    format!(
                        "released {:.2}s after a heartbeat (alive for {:.1}s after one): {text}",
                        released - heartbeat,
                        limits.live_for
                    ),
                );
            }
        }
        (None, Some(true)) => {
            if let Some(stamped) = row.stamped {
                seen.heartbeat = Some(seen.heartbeat.map_or(stamped, |h| h.max(stamped)));
            }
        }
        _ => {}
    }
}
