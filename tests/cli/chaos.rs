//! The fault campaign (issues 8 and 12): a throwaway cluster, many users each running one
//! `start` after another with short heartbeats (half of them `--demo`, half a real child job,
//! `tests/fixtures/children/campaign.py`; now and then a second `start` for a user whose sync
//! runs, as a double click), two `reap --every` loops and a `repair --zombies --yes` loop
//! beside them, and a chaos driver that at seeded-random moments `kill -9`s, SIGTERMs or
//! SIGHUPs a running `start`, freezes it with its child, terminates a random syncctl backend,
//! or restarts the server. Some starts run with their stderr unread, closed or on `/dev/full`.
//! Meanwhile [`checker`] samples the table for violated invariants, and the jobs record when
//! they run ([`jobs`]): two jobs of one user must never run at once.
//!
//! It runs five setups in turn ([`SETUPS`]): the reference table, one hash-partitioned by
//! user_id without a key, one keyed by user_id, the reference table with every start and
//! reaper under `--liveness lock`, and the reference table with `syncctl guard` installed; each
//! gets a fifth of the faults. At the end (chaos
//! stopped, the reapers given time past the timeout) every task row must be released, every
//! `start` must have exited with a documented code that matches its row, and no job may be
//! left running.
//!
//! Ignored by default (it takes minutes); `.ci/run` runs the CI size:
//! `cargo test --test cli chaos -- --ignored --nocapture`. Sizes and the seed come from
//! `SYNCCTL_CHAOS_FAULTS`, `SYNCCTL_CHAOS_SECONDS`, `SYNCCTL_CHAOS_SEED` (printed, so a failing
//! run can be replayed: the same seed makes the same decisions, though process timing differs).

mod checker;
mod jobs;
mod procs;
mod rng;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::env;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::support::{Cluster, ClusterOptions};
use checker::{Checker, Findings};
use procs::{Exit, Proc, Stderr};
use rng::Rng;

const DEFAULT_SEED: u64 = 0x5eed_c4a0_5000_0008;
const DEFAULT_FAULTS: u64 = 120;
const DEFAULT_SECONDS: u64 = 150;
const USERS: usize = 40;

/// The lease settings of every `start`, and the reapers' timeout and interval.
const HEARTBEAT: &str = "200ms";
const TIMEOUT: &str = "2s";
const REAP_EVERY: &str = "500ms";
const REAP_AFTER: Duration = Duration::from_millis(2500);
const REAPERS: usize = 2;
/// Under `--liveness lock`, a task is released no sooner than this after its last heartbeat
/// (its lock is found free at two probes this far apart, the first after its owner died).
const LOCK_CONFIRM: Duration = Duration::from_secs(1);
/// The grace period of a child job stopped by a signal to its start.
const GRACE: &str = "1s";
/// Speed of the demo and the jobs: tasks of 20..=120 mails at 20 per second last 1 to 6 seconds.
const DEMO_RATE: &str = "20";
/// In a thousand, the starts that get a second start for the same user while they run.
const DOUBLE_CLICKS: u64 = 150;
/// Server restarts are at least this far apart, so most of the run has the server up.
const RESTART_GAP: Duration = Duration::from_secs(12);
/// How long after its start exited a job must be gone (the kernel's parent-death signal ends it
/// at once; this is for a loaded machine).
const JOB_ENDS_WITHIN: Duration = Duration::from_secs(2);
/// How long after the chaos every start must have exited (a task lasts 6 s at most).
const START_EXIT_DEADLINE: Duration = Duration::from_secs(60);
/// How long the end phase may take (every start to exit, every row to be released).
const END_DEADLINE: Duration = Duration::from_secs(120);

fn env_u64(name: &str, default: u64) -> u64 {
    match env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|e| panic!("{name}={v}: {e}"))
        }
        _ => default,
    }
}

/// The kinds of fault, as counted in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    KillStart,
    TermStart,
    HangUpStart,
    FreezeStart,
    TerminateBackend,
    RestartServer,
    CrashServer,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::KillStart => "kill -9 start",
            Fault::TermStart => "SIGTERM start",
            Fault::HangUpStart => "SIGHUP start",
            Fault::FreezeStart => "SIGSTOP start and its job 2.5-5s",
            Fault::TerminateBackend => "pg_terminate_backend",
            Fault::RestartServer => "server restart (fast)",
            Fault::CrashServer => "server crash, down 2.5-5s",
        }
    }
}

/// A running `start`, and how it was run.
struct Started {
    proc: Proc,
    job: bool,
    stderr: Stderr,
}

/// One finished `start`: the task it claimed (or reused), how it ended, and the signal we sent.
struct Run {
    user: String,
    first: Option<serde_json::Value>,
    last: Option<serde_json::Value>,
    not_json: Vec<String>,
    signalled: Option<i32>,
    frozen: bool,
    /// It ran a child job (else the demo).
    job: bool,
    stderr: Stderr,
    exit: Exit,
}

impl Run {
    fn claimed_task(&self) -> Option<&str> {
        let first = self.first.as_ref()?;
        (first["event"] == "claimed").then(|| first["task_id"].as_str()).flatten()
    }
}

/// A loop process (reaper or repair), restarted whenever it exits.
struct Looped {
    args: Vec<String>,
    proc: Option<Proc>,
    due: Instant,
    /// Exit codes seen, by description.
    exits: BTreeMap<String, u64>,
    /// Exit codes that count as normal for one pass or one run.
    normal: &'static [i32],
}

struct Campaign {
    url: String,
    rng: Rng,
    /// Starts and reapers run under `--liveness lock`.
    lock: bool,
    /// Where the jobs record when they run.
    log_dir: PathBuf,
    users: Vec<String>,
    /// Each user's running starts: one, or two after a double click.
    starts: Vec<Vec<Started>>,
    next_start: Vec<Instant>,
    /// When a user's running sync gets its double click.
    double_click: Vec<Option<Instant>>,
    /// Jobs whose start exited, to be looked for once the kernel has had time to end them:
    /// (user, task, when to look).
    ended_jobs: Vec<(usize, String, Instant)>,
    /// Jobs found running after their start exited: (task, pids).
    outlived: Vec<(String, Vec<i32>)>,
    runs: Vec<Run>,
    loops: Vec<Looped>,
    admin: Option<Client>,
    faults: BTreeMap<Fault, u64>,
    terminated: BTreeMap<String, u64>,
    last_restart: Instant,
}

impl Campaign {
    /// A seeded-random start for `user`: the demo or a child job, failing now and then; the
    /// job ignoring SIGTERM, logging a lot or reporting stats jsonb refuses, now and then.
    fn spawn_start(&mut self, user: usize) -> Started {
        let items = (20 + self.rng.below(101)).to_string();
        let mut args: Vec<String> =
            ["start", "--user", &self.users[user], "--heartbeat", HEARTBEAT, "--heartbeat-timeout", TIMEOUT, "--json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        if self.lock {
            args.extend(["--liveness".into(), "lock".into()]);
        }
        let fail_at = match self.rng.below(10) {
            0 => Some((10 + self.rng.below(80)).to_string()),
            _ => None,
        };
        let job = self.rng.below(2) == 0;
        if job {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/children/campaign.py");
            args.extend(["--grace".into(), GRACE.into(), "--".into(), "python3".into()]);
            args.extend([script.display().to_string(), self.log_dir.display().to_string(), items]);
            args.extend([DEMO_RATE.to_string(), fail_at.unwrap_or_else(|| "0".into())]);
            for (flag, in_ten) in [("stubborn", 2), ("noisy", 3), ("nul", 1)] {
                if self.rng.below(10) < in_ten {
                    args.push(flag.into());
                }
            }
        } else {
            args.extend(["--demo", "--demo-items", &items, "--demo-rate", DEMO_RATE].map(String::from));
            if let Some(at) = fail_at {
                args.extend(["--demo-fail-at".into(), at]);
            }
        }
        let stderr = match self.rng.below(10) {
            0 => Stderr::Unread,
            1 => Stderr::Closed,
            2 => Stderr::Full,
            _ => Stderr::Drained,
        };
        Started { proc: Proc::spawn(&self.url, &args, true, stderr), job, stderr }
    }

    /// Collects the starts that exited; spawns the next task of users whose pause is over, and
    /// the second start of a double click when it is due.
    fn tend_starts(&mut self, spawn: bool) {
        let now = Instant::now();
        for user in 0..self.users.len() {
            let mut i = 0;
            while i < self.starts[user].len() {
                let started = &mut self.starts[user][i];
                started.proc.thaw_if_due(!spawn);
                let Some(exit) = started.proc.try_exit() else {
                    i += 1;
                    continue;
                };
                let started = self.starts[user].remove(i);
                let events = started.proc.take_events();
                let task =
                    events.first.as_ref().filter(|e| e["event"] == "claimed").and_then(|e| e["task_id"].as_str());
                if let (true, Some(task)) = (started.job, task) {
                    self.ended_jobs.push((user, task.to_string(), now + JOB_ENDS_WITHIN));
                }
                self.runs.push(Run {
                    user: self.users[user].clone(),
                    first: events.first,
                    last: events.last,
                    not_json: events.not_json,
                    signalled: started.proc.signalled,
                    frozen: started.proc.frozen,
                    job: started.job,
                    stderr: started.stderr,
                    exit,
                });
                // A pause before the user's next sync, as between two clicks.
                self.next_start[user] = now + Duration::from_secs_f64(self.rng.between(0.0, 1.5));
            }
            if !spawn {
                continue;
            }
            if self.starts[user].is_empty() && now >= self.next_start[user] {
                let started = self.spawn_start(user);
                self.starts[user].push(started);
                self.double_click[user] = (self.rng.below(1000) < DOUBLE_CLICKS)
                    .then(|| now + Duration::from_secs_f64(self.rng.between(0.2, 4.0)));
            }
            if self.double_click[user].is_some_and(|at| now >= at) {
                self.double_click[user] = None;
                if self.starts[user].len() == 1 {
                    let started = self.spawn_start(user);
                    self.starts[user].push(started);
                }
            }
        }
    }

    /// Looks for the jobs of starts that exited: none may still run.
    fn tend_ended_jobs(&mut self, all: bool) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = self.ended_jobs.drain(..).partition(|(_, _, at)| all || now >= *at);
        self.ended_jobs = later;
        for (user, task, _) in due {
            let running = jobs::running(&jobs::pids_of(&self.log_dir, &self.users[user], &task));
            if !running.is_empty() {
                self.outlived.push((task, running));
            }
        }
    }

    /// Restarts the reap and repair loops that exited, after a short pause.
    fn tend_loops(&mut self) {
        let now = Instant::now();
        for l in &mut self.loops {
            if let Some(proc) = l.proc.as_mut()
                && let Some(exit) = proc.try_exit()
            {
                let mut what = exit.describe();
                if exit.status.code().is_none_or(|c| !l.normal.contains(&c)) {
                    what = format!("{what} (unexpected): {}", exit.stderr_tail.trim());
                }
                *l.exits.entry(what).or_default() += 1;
                l.proc = None;
                l.due = now + Duration::from_millis(200);
            }
            if l.proc.is_none() && now >= l.due {
                l.proc = Some(Proc::spawn(&self.url, &l.args, false, Stderr::Drained));
            }
        }
    }

    /// The starts (user, slot) that have claimed a task and still run, unfaulted.
    fn claimed_starts(&self) -> Vec<(usize, usize)> {
        let mut claimed = Vec::new();
        for (user, starts) in self.starts.iter().enumerate() {
            for (slot, s) in starts.iter().enumerate() {
                let p = &s.proc;
                if p.signalled.is_none() && !p.frozen && p.first_event().is_some_and(|e| e["event"] == "claimed") {
                    claimed.push((user, slot));
                }
            }
        }
        claimed
    }

    fn admin(&mut self) -> Option<&mut Client> {
        if self.admin.as_ref().is_none_or(Client::is_closed) {
            self.admin = Client::connect(&self.url, NoTls).ok();
        }
        self.admin.as_mut()
    }

    /// `pg_terminate_backend` on a random syncctl connection; returns whether it hit one.
    fn terminate_backend(&mut self) -> bool {
        let Some(admin) = self.admin() else { return false };
        let Ok(rows) = admin.query(
            "SELECT pid, application_name FROM pg_stat_activity \
             WHERE application_name LIKE 'syncctl/%' AND pid <> pg_backend_pid() ORDER BY pid",
            &[],
        ) else {
            self.admin = None;
            return false;
        };
        if rows.is_empty() {
            return false;
        }
        let row = &rows[self.rng.below(rows.len() as u64) as usize];
        let (pid, app): (i32, String) = (row.get(0), row.get(1));
        let Some(admin) = self.admin() else { return false };
        match admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]) {
            Ok(r) if r.get::<_, bool>(0) => {
                *self.terminated.entry(app).or_default() += 1;
                true
            }
            _ => false,
        }
    }

    /// Performs one fault, of a seeded-random kind; returns the kind, or None when it found no
    /// victim (then nothing is counted and the driver tries again shortly).
    fn fault(&mut self, cluster: &Cluster) -> Option<Fault> {
        let roll = self.rng.below(100);
        let kind = match roll {
            0..4 if self.last_restart.elapsed() >= RESTART_GAP => Fault::RestartServer,
            4..8 if self.last_restart.elapsed() >= RESTART_GAP => Fault::CrashServer,
            0..40 => Fault::KillStart,
            40..47 => Fault::TermStart,
            47..54 => Fault::HangUpStart,
            54..67 => Fault::FreezeStart,
            _ => Fault::TerminateBackend,
        };
        let kind = match kind {
            Fault::KillStart | Fault::TermStart | Fault::HangUpStart | Fault::FreezeStart => {
                let victims = self.claimed_starts();
                if victims.is_empty() {
                    Fault::TerminateBackend
                } else {
                    let (user, slot) = victims[self.rng.below(victims.len() as u64) as usize];
                    let pause = Duration::from_secs_f64(self.rng.between(2.5, 5.0));
                    let victim = &mut self.starts[user][slot].proc;
                    match kind {
                        Fault::KillStart => victim.signal(libc::SIGKILL),
                        Fault::TermStart => victim.signal(libc::SIGTERM),
                        Fault::HangUpStart => victim.signal(libc::SIGHUP),
                        _ => {
                            victim.freeze(Instant::now() + pause);
                            // The user clicks again while the sync seems stuck: after the
                            // timeout, that start takes the frozen task over.
                            let again = Duration::from_secs_f64(self.rng.between(2.0, 3.5));
                            self.double_click[user] = Some(Instant::now() + again);
                        }
                    }
                    kind
                }
            }
            Fault::RestartServer | Fault::CrashServer => {
                if kind == Fault::CrashServer {
                    // Down for longer than the heartbeat timeout: every lease expires.
                    cluster.stop_immediate();
                    thread::sleep(Duration::from_secs_f64(self.rng.between(2.5, 5.0)));
                }
                cluster.restart();
                self.admin = None;
                self.last_restart = Instant::now();
                kind
            }
            Fault::TerminateBackend => kind,
        };
        if kind == Fault::TerminateBackend && !self.terminate_backend() {
            return None;
        }
        *self.faults.entry(kind).or_default() += 1;
        Some(kind)
    }

    fn running_rows(&mut self) -> Option<i64> {
        self.admin()?.query_one("SELECT count(*) FROM user_sync_status WHERE is_syncing", &[]).ok().map(|r| r.get(0))
    }
}

/// The end-of-run checks of every `start`: a documented exit code that matches its task's row.
fn check_runs(runs: &[Run], rows: &HashMap<String, (bool, i32, Option<String>)>, shape: &Shape, checker: &Checker) {
    for run in runs {
        let code = run.exit.status.code();
        let signal = run.exit.status.signal();
        let subject = format!("{} pid-exit {}", run.user, run.exit.describe());
        let task = run.claimed_task();
        let why = || {
            format!(
                "start for user {} ({}, signalled {:?}): first {:?}, last {:?}, stderr: {}",
                run.user,
                run.exit.describe(),
                run.signalled,
                run.first,
                run.last,
                run.exit.stderr_tail.trim()
            )
        };
        if !run.not_json.is_empty() {
            checker.violation("start printed non-JSON", &subject, format!("{:?}: {}", run.not_json, why()));
        }
        // Killed by the signal we sent: the row is the reapers' (checked with every row).
        if signal.is_some() && signal == run.signalled {
            continue;
        }
        let Some(task) = task else {
            // No claim: reused a live task (0), or the claim failed (3 database, 5 lock timeout),
            // or SIGTERM before anything (143).
            let reused = run.first.as_ref().is_some_and(|f| f["event"] == "reused");
            let ok = matches!(code, Some(3 | 5)) && run.first.is_none()
                || code == Some(0) && reused
                || code == Some(143) && run.signalled == Some(libc::SIGTERM)
                || code == Some(129) && run.signalled == Some(libc::SIGHUP);
            if !ok {
                checker.violation("start exit without a claim", &subject, why());
            }
            continue;
        };
        let Some((syncing, progress, error)) = rows.get(task) else {
            // On a table of one row per user a later task of the user overwrote it.
            if !shape.one_row_per_user {
                checker.violation("claimed task has no row", task, why());
            }
            continue;
        };
        let error = error.as_deref().unwrap_or("");
        let planned_failure = match run.job {
            true => "exit status 3: campaign job: simulated failure",
            false => "demo: simulated failure",
        };
        let matches_row = match code {
            Some(0) => !syncing && *progress == 100 && error.is_empty(),
            Some(1) => !syncing && *progress == 0 && error.starts_with(planned_failure),
            Some(4) => !syncing,
            Some(143) => run.signalled == Some(libc::SIGTERM) && !syncing && error == "cancelled by SIGTERM",
            Some(129) => run.signalled == Some(libc::SIGHUP) && !syncing && error == "cancelled by SIGHUP",
            _ => false,
        };
        if !matches_row {
            checker.violation(
                "start exit does not match its row",
                task,
                format!("row syncing {syncing} progress {progress} error {error:?}; {}", why()),
            );
        }
    }
}

/// A table the campaign runs on: the reference table, one partitioned by `user_id` without a
/// primary key (rows named by partition and ctid), and one keyed by `user_id` (one row per
/// user, overwritten by each new task).
struct Shape {
    name: &'static str,
    /// Its DDL. Plain (non-unique) indexes keep the heartbeats index lookups as the table grows;
    /// no constraint: the invariants are syncctl's own.
    ddl: &'static str,
    /// A new task overwrites the user's row, so an earlier task's row is gone at the end.
    one_row_per_user: bool,
}

const SHAPES: [Shape; 3] = [
    Shape {
        name: "reference",
        ddl: concat!(
            include_str!("../../sql/schema.sql"),
            "; CREATE INDEX ON user_sync_status (task_id); CREATE INDEX ON user_sync_status (user_id);"
        ),
        one_row_per_user: false,
    },
    Shape {
        name: "hash-partitioned",
        ddl: "CREATE TABLE user_sync_status (
                id bigserial, user_id uuid NOT NULL, task_id text, is_syncing boolean NOT NULL DEFAULT false,
                sync_type text, progress_percentage integer NOT NULL DEFAULT 0,
                current_stats jsonb NOT NULL DEFAULT '{}', error_message text, started_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now()) PARTITION BY HASH (user_id);
              CREATE TABLE user_sync_status_p0 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 0);
              CREATE TABLE user_sync_status_p1 PARTITION OF user_sync_status FOR VALUES WITH (MODULUS 2, REMAINDER 1);
              CREATE INDEX ON user_sync_status (task_id); CREATE INDEX ON user_sync_status (user_id);",
        one_row_per_user: false,
    },
    Shape {
        name: "keyed-by-user",
        ddl: "CREATE TABLE user_sync_status (
                user_id uuid PRIMARY KEY, task_id text, is_syncing boolean NOT NULL DEFAULT false,
                sync_type text, progress_percentage integer NOT NULL DEFAULT 0,
                current_stats jsonb NOT NULL DEFAULT '{}', error_message text, started_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now());
              CREATE INDEX ON user_sync_status (task_id);",
        one_row_per_user: true,
    },
];

/// A campaign's table, whether every start and reaper judges liveness by lock, and whether the
/// table has `syncctl guard` installed (its trigger then sees every write of the campaign).
/// Each gets an equal share of the faults and of the time.
struct Setup {
    name: &'static str,
    shape: &'static Shape,
    lock: bool,
    guard: bool,
}

const SETUPS: [Setup; 5] = [
    Setup { name: "reference", shape: &SHAPES[0], lock: false, guard: false },
    Setup { name: "hash-partitioned", shape: &SHAPES[1], lock: false, guard: false },
    Setup { name: "keyed-by-user", shape: &SHAPES[2], lock: false, guard: false },
    Setup { name: "reference-liveness-lock", shape: &SHAPES[0], lock: true, guard: false },
    Setup { name: "reference-guarded", shape: &SHAPES[0], lock: false, guard: true },
];

#[test]
#[ignore = "the fault campaign takes minutes: cargo test --test cli chaos -- --ignored --nocapture"]
fn fault_campaign() {
    let seed = env_u64("SYNCCTL_CHAOS_SEED", DEFAULT_SEED);
    let fault_goal = env_u64("SYNCCTL_CHAOS_FAULTS", DEFAULT_FAULTS).max(1);
    let seconds = env_u64("SYNCCTL_CHAOS_SECONDS", DEFAULT_SECONDS).max(1);
    eprintln!(
        "chaos: seed {seed:#x}, {fault_goal} faults over about {seconds}s in {} setups, {USERS} users \
         (replay: SYNCCTL_CHAOS_SEED={seed:#x} SYNCCTL_CHAOS_FAULTS={fault_goal} SYNCCTL_CHAOS_SECONDS={seconds})",
        SETUPS.len()
    );
    let cluster = Cluster::start(ClusterOptions {
        conf_lines: vec!["max_connections = 200".into()],
        ..ClusterOptions::default()
    });
    let share = |n: u64| n.div_ceil(SETUPS.len() as u64).max(1);
    for (i, setup) in SETUPS.iter().enumerate() {
        let database = format!("chaos_{}", setup.name.replace('-', "_"));
        Client::connect(&cluster.url("postgres"), NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .unwrap();
        let url = cluster.url(&database);
        Client::connect(&url, NoTls).unwrap().batch_execute(setup.shape.ddl).unwrap();
        if setup.guard {
            let out = crate::support::run_at(&url, &["guard", "install"]);
            assert_eq!(out.status.code(), Some(0), "guard install: {}", crate::support::stderr(&out));
        }
        eprintln!("chaos: setup {} (table {}, database {database})", setup.name, setup.shape.name);
        campaign(&cluster, &url, setup, seed.wrapping_add(i as u64), share(fault_goal), share(seconds));
        if setup.guard {
            // Server restarts and killed backends left it as installed.
            let out = crate::support::run_at(&url, &["guard", "status"]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "guard status after the campaign: {}",
                crate::support::text(&out.stdout)
            );
        }
    }
}

/// One campaign on one setup: the chaos, the end phase, the report, and the verdict.
fn campaign(cluster: &Cluster, url: &str, setup: &Setup, seed: u64, fault_goal: u64, seconds: u64) {
    let log_dir = tempfile::tempdir().expect("a directory for the jobs' records");
    // Under --liveness lock a dead owner's task is released sooner than the heartbeat timeout.
    let live_for = if setup.lock { LOCK_CONFIRM } else { Duration::from_secs(2) };
    let checker = Checker::start(url.to_string(), REAP_AFTER, live_for);
    let begun = Instant::now();
    let mut c = Campaign::new(url, setup, seed, log_dir.path(), begun);
    c.chaos(cluster, fault_goal, seconds, begun);
    let chaos_time = begun.elapsed();
    let all_released = c.end(&checker);
    c.stop_loops(&checker);

    let admin = c.admin().expect("the server is up at the end");
    let rows: HashMap<String, (bool, i32, Option<String>)> = admin
        .query("SELECT task_id, is_syncing, progress_percentage, error_message FROM user_sync_status", &[])
        .unwrap()
        .into_iter()
        .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2), r.get(3))))
        .collect();
    if !all_released {
        let running: Vec<_> = rows.iter().filter(|(_, r)| r.0).map(|(t, _)| t.clone()).collect();
        checker.violation("never released", "end", format!("still running after the end phase: {running:?}"));
    }
    check_runs(&c.runs, &rows, setup.shape, &checker);
    for (task, pids) in &c.outlived {
        checker.violation("job outlived its start", task, format!("job of {task} still running as {pids:?}"));
    }
    let frozen: HashSet<String> =
        c.runs.iter().filter(|r| r.frozen).filter_map(|r| r.claimed_task().map(String::from)).collect();
    let record = jobs::check(log_dir.path(), &frozen, &checker);
    let findings = checker.finish();
    eprintln!(
        "chaos: setup {}, seed {seed:#x}, chaos {:.0}s, whole run {:.0}s",
        setup.name,
        chaos_time.as_secs_f64(),
        begun.elapsed().as_secs_f64()
    );
    c.report(&record, &rows, &findings);
    let total: u64 = c.faults.values().sum();
    let unexpected: Vec<_> = c.loops.iter().flat_map(|l| l.exits.keys()).filter(|k| k.contains("unexpected")).collect();
    assert!(unexpected.is_empty(), "a reap or repair loop exited unexpectedly (seed {seed:#x}): {unexpected:?}");
    assert!(total >= fault_goal, "only {total} faults of {fault_goal}");
    assert!(
        findings.violations.is_empty(),
        "{} invariant violations (seed {seed:#x}); replay with SYNCCTL_CHAOS_SEED={seed:#x}",
        findings.violations.len()
    );
}

impl Campaign {
    /// A campaign on `setup` whose loops (the reapers and a repair) are due at `begun`.
    fn new(url: &str, setup: &Setup, seed: u64, log_dir: &Path, begun: Instant) -> Campaign {
        let strings = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let liveness = if setup.lock { "lock" } else { "heartbeat" };
        let mut loops: Vec<Looped> = (0..REAPERS)
            .map(|_| Looped {
                args: strings(&["reap", "--every", REAP_EVERY, "--timeout", TIMEOUT, "--liveness", liveness]),
                proc: None,
                due: begun,
                exits: BTreeMap::new(),
                normal: &[0, 3],
            })
            .collect();
        loops.push(Looped {
            args: strings(&["repair", "--zombies", "--yes", "--heartbeat-timeout", TIMEOUT]),
            proc: None,
            due: begun,
            exits: BTreeMap::new(),
            // 1: a planned row changed before it was applied (a heartbeat or a reaper got there first).
            normal: &[0, 1, 3, 5],
        });
        Campaign {
            url: url.to_string(),
            rng: Rng::new(seed),
            lock: setup.lock,
            log_dir: log_dir.to_path_buf(),
            users: (0..USERS).map(|i| format!("c4a05000-0000-4000-8000-{i:012}")).collect(),
            starts: (0..USERS).map(|_| Vec::new()).collect(),
            next_start: vec![begun; USERS],
            double_click: vec![None; USERS],
            ended_jobs: Vec::new(),
            outlived: Vec::new(),
            runs: Vec::new(),
            loops,
            admin: None,
            faults: BTreeMap::new(),
            terminated: BTreeMap::new(),
            last_restart: begun,
        }
    }

    /// The chaos: `fault_goal` faults at seeded-random intervals averaging seconds / faults,
    /// while starts come and go and the loops run.
    fn chaos(&mut self, cluster: &Cluster, fault_goal: u64, seconds: u64, begun: Instant) {
        let mean = Duration::from_secs(seconds).as_secs_f64() / fault_goal as f64;
        let mut next_fault = begun + Duration::from_secs(2);
        let mut done = 0;
        while done < fault_goal {
            self.tend_starts(true);
            self.tend_loops();
            self.tend_ended_jobs(false);
            if Instant::now() >= next_fault {
                if self.fault(cluster).is_some() {
                    done += 1;
                    if done % 50 == 0 {
                        eprintln!("chaos: {done} of {fault_goal} faults at {:.0}s", begun.elapsed().as_secs_f64());
                    }
                    next_fault = Instant::now() + Duration::from_secs_f64(self.rng.between(0.2, 1.8) * mean);
                } else {
                    next_fault = Instant::now() + Duration::from_millis(100);
                }
            }
            assert!(
                begun.elapsed() < Duration::from_secs(seconds * 3 + 60),
                "the campaign is far behind its schedule ({done} of {fault_goal} faults)"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The end: no new tasks; every start exits; the reapers release whatever was left
    /// running. Whether every row was released in time; then a few more samples of the table.
    fn end(&mut self, checker: &Checker) -> bool {
        let ending = Instant::now();
        while self.starts.iter().any(|s| !s.is_empty()) {
            self.tend_starts(false);
            self.tend_loops();
            self.tend_ended_jobs(false);
            if ending.elapsed() > START_EXIT_DEADLINE {
                self.kill_starts_left(checker);
            }
            thread::sleep(Duration::from_millis(20));
        }
        thread::sleep(JOB_ENDS_WITHIN);
        self.tend_ended_jobs(true);
        let all_released = loop {
            self.tend_loops();
            if self.running_rows() == Some(0) {
                break true;
            }
            if ending.elapsed() > END_DEADLINE {
                break false;
            }
            thread::sleep(Duration::from_millis(100));
        };
        let samples = checker.samples();
        while checker.samples() < samples + 10 {
            thread::sleep(Duration::from_millis(50));
        }
        all_released
    }

    /// Starts still running past the end's deadline: each a violation, and killed.
    fn kill_starts_left(&mut self, checker: &Checker) {
        for (user, started) in self.starts.iter_mut().enumerate() {
            for s in started.drain(..) {
                checker.violation(
                    "start never exited",
                    &format!("{user}/{}", s.proc.pid()),
                    format!(
                        "start of user {} (stderr {:?}, job {}, first event {:?}) still runs {START_EXIT_DEADLINE:?} \
                         after the chaos ended; killed",
                        self.users[user],
                        s.stderr,
                        s.job,
                        s.proc.first_event()
                    ),
                );
            }
        }
    }

    /// Stops the loops with SIGTERM; an exit other than the expected ones is a violation.
    fn stop_loops(&mut self, checker: &Checker) {
        for l in &mut self.loops {
            if let Some(mut proc) = l.proc.take() {
                proc.signal(libc::SIGTERM);
                let exit = loop {
                    if let Some(exit) = proc.try_exit() {
                        break exit;
                    }
                    thread::sleep(Duration::from_millis(20));
                };
                // reap --every exits 143 on SIGTERM; repair may be caught between its steps.
                if !matches!(exit.status.code(), Some(143 | 0 | 3 | 5)) && exit.status.signal() != Some(libc::SIGTERM) {
                    checker.violation(
                        "loop ended badly",
                        &l.args[0],
                        format!("{}: {}", exit.describe(), exit.stderr_tail),
                    );
                }
            }
        }
    }

    /// The campaign's figures on stderr: faults, start runs and their exits, jobs, who released
    /// the rows, the loops' exits, and the checker's verdict.
    fn report(&self, record: &jobs::Record, rows: &HashMap<String, (bool, i32, Option<String>)>, findings: &Findings) {
        let released_by =
            |what: &str| rows.values().filter(|r| r.2.as_deref().is_some_and(|e| e.contains(what))).count();
        let (reaped, repaired, taken_over) = (
            released_by("released by syncctl reap"),
            released_by("released by syncctl repair"),
            released_by("released by syncctl start"),
        );
        let total: u64 = self.faults.values().sum();
        let by_kind: Vec<String> = self.faults.iter().map(|(k, n)| format!("{} {n}", k.name())).collect();
        let terminated: Vec<String> = self.terminated.iter().map(|(a, n)| format!("{a} {n}")).collect();
        let mut exits: BTreeMap<String, u64> = BTreeMap::new();
        for run in &self.runs {
            let what = match (run.exit.status.signal(), run.first.as_ref().map(|f| f["event"].as_str())) {
                (Some(9), _) => "killed (kill -9)".to_string(),
                (_, Some(Some("reused"))) => "reused a live task, exit 0".to_string(),
                (_, None) => format!("no claim, {}", run.exit.describe()),
                _ if run.frozen => format!("frozen, {}", run.exit.describe()),
                _ => run.exit.describe(),
            };
            *exits.entry(what).or_default() += 1;
        }
        let claimed = self.runs.iter().filter(|r| r.claimed_task().is_some()).count();
        let mut by_stderr: BTreeMap<String, u64> = BTreeMap::new();
        for run in &self.runs {
            *by_stderr.entry(format!("{:?}", run.stderr).to_lowercase()).or_default() += 1;
        }
        eprintln!("chaos: {total} faults: {} (terminated: {})", by_kind.join(", "), terminated.join(", "));
        eprintln!("chaos: {} start runs, {claimed} tasks claimed; exits: {exits:?}", self.runs.len());
        eprintln!(
            "chaos: {} runs of a child job; {} jobs recorded {} mails; {} thawed jobs ran beside the task that \
             took theirs over (longest {:.0} ms); stderr of the starts: {by_stderr:?}",
            self.runs.iter().filter(|r| r.job).count(),
            record.jobs,
            record.mails,
            record.thaw_overlaps,
            record.longest_thaw_overlap_ms
        );
        eprintln!(
            "chaos: task rows {}: released by reap {reaped}, by repair {repaired}, taken over by start {taken_over}",
            rows.len()
        );
        for l in &self.loops {
            eprintln!("chaos: `syncctl {}` exits: {:?}", l.args.join(" "), l.exits);
        }
        eprintln!(
            "chaos: {} invariant samples ({} connections of the checker), {} violations",
            findings.samples,
            findings.reconnects,
            findings.violations.len()
        );
        for v in findings.violations.iter().take(30) {
            eprintln!("chaos: VIOLATION {v}");
        }
    }
}

/// Waits until the checker has taken `n` more samples.
fn more_samples(checker: &Checker, n: u64) {
    let (from, begun) = (checker.samples(), Instant::now());
    while checker.samples() < from + n {
        assert!(begun.elapsed() < Duration::from_secs(60), "the checker takes no samples");
        thread::sleep(Duration::from_millis(20));
    }
}

/// The checker is not vacuous: each invariant, broken by hand, is reported (a fast test on the
/// shared server, run by the default `cargo test`).
#[test]
fn the_checker_reports_each_kind_of_violation() {
    let db = crate::support::TestDb::new();
    crate::support::fixtures::reference_table(&db, crate::support::fixtures::REFERENCE_TABLE);
    // The zombie rule needs a server up for longer than its limit (CI may have just started it).
    let begun = Instant::now();
    while db.scalar::<f64>("SELECT extract(epoch FROM now() - pg_postmaster_start_time())::float8") < 10.0 {
        assert!(begun.elapsed() < Duration::from_secs(30));
        thread::sleep(Duration::from_millis(200));
    }
    let insert = |user: u32, task: &str, syncing: bool, progress: i32, stats: &str, age: &str| {
        db.execute(&format!(
            "INSERT INTO user_sync_status (user_id, task_id, is_syncing, progress_percentage, current_stats, updated_at) \
             VALUES ('00000000-0000-4000-8000-{user:012}', '{task}', {syncing}, {progress}, '{stats}', now() - interval '{age}')"
        ))
    };
    let checker = Checker::start(db.url().to_string(), Duration::ZERO, Duration::from_secs(60));
    insert(1, "fenced", true, 10, r#"{"new": 5}"#, "0 s");
    insert(2, "backwards", true, 10, r#"{"new": 10}"#, "0 s");
    more_samples(&checker, 3);
    db.execute("UPDATE user_sync_status SET is_syncing = false, progress_percentage = 100 WHERE task_id = 'fenced'");
    db.execute(r#"UPDATE user_sync_status SET current_stats = '{"new": 3}' WHERE task_id = 'backwards'"#);
    more_samples(&checker, 3);
    db.execute(r#"UPDATE user_sync_status SET current_stats = '{"new": 6}' WHERE task_id = 'fenced'"#);
    more_samples(&checker, 3);
    db.execute("UPDATE user_sync_status SET is_syncing = true, progress_percentage = 50 WHERE task_id = 'fenced'");
    insert(3, "twin-a", true, 0, "{}", "0 s");
    insert(3, "twin-b", true, 0, "{}", "0 s");
    insert(4, "stopped-half-way", false, 45, "{}", "0 s");
    insert(5, "silent", true, 0, "{}", "70 minutes");
    insert(6, "repeated", false, 100, "{}", "0 s");
    insert(7, "repeated", false, 100, "{}", "0 s");
    insert(8, "live", true, 30, "{}", "0 s");
    more_samples(&checker, 3);
    db.execute(
        "UPDATE user_sync_status SET is_syncing = false, progress_percentage = 0, updated_at = now(), \
         error_message = 'released by syncctl reap: no heartbeat for 61s' WHERE task_id = 'live'",
    );
    more_samples(&checker, 3);
    let findings = checker.finish();
    let kinds = [
        ("write after fencing", "fenced"),
        ("fenced task ran again", "fenced"),
        ("counter went back", "backwards"),
        ("two running rows", "twin-b"),
        ("check-predicate", "stopped-half-way"),
        ("zombie survived", "silent"),
        ("repeated task id", "repeated"),
        ("live task released", "live"),
    ];
    for (kind, task) in kinds {
        assert!(
            findings.violations.iter().any(|v| v.starts_with(kind) && v.contains(task)),
            "{kind} of {task} not reported: {:#?}",
            findings.violations
        );
    }
    assert_eq!(findings.violations.len(), kinds.len(), "{:#?}", findings.violations);
}
