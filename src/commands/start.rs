//! `start`: claim a user's sync (or reuse the live one), then run it in the foreground under a
//! heartbeating lease, and release it in one statement at the end.
//!
//! The pieces, one concern each: [`claim`] (the idempotent claim), [`lease`] (heartbeat,
//! fencing, reconnection, release), [`demo`] and [`child`] (the work), [`follow`]
//! (`--if-running follow`), [`progress`] (what is shown). This file wires them: the work runs
//! as one task, the lease as another, and the loop here watches the work, the lease, the
//! signals and the stall timer, and decides how the sync ends.

pub mod child;
pub mod claim;
pub mod demo;
pub mod follow;
pub mod lease;
pub mod progress;

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use tokio::sync::{oneshot, watch};
use tokio::time::{Instant, sleep_until};

use crate::Ctx;
use crate::cli::{IfRunning, Liveness, StartArgs};
use crate::db;
use crate::error::UsageError;
use crate::exit::ExitStatus;
use crate::signals::Signals;
use crate::state::Classifier;
use crate::table::{TASK_INDEX, Table};
use claim::{Claim, Claimed, Request, RunningRow};
use lease::{End, Lease, Release};
use progress::{Ending, Reporter, Snapshot};

pub(crate) use crate::db::queries::START_BEAT as BEAT;
pub(crate) use crate::db::queries::START_INSERT_TASK as INSERT_TASK;
pub(crate) use crate::db::queries::START_LOCK_USER as LOCK_USER;
pub(crate) use crate::db::queries::START_RELEASE as RELEASE;
pub(crate) use crate::db::queries::START_RELEASE_DEAD as RELEASE_DEAD;
pub(crate) use crate::db::queries::START_RELEASED as RELEASED;
pub(crate) use crate::db::queries::START_ROWS as ROWS;
pub(crate) use crate::db::queries::START_UPDATE_TASK as UPDATE_TASK;

/// `full` or `incremental`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncType {
    /// `--full`.
    Full,
    /// The default.
    Incremental,
}

impl SyncType {
    /// As written to sync_type and SYNCCTL_SYNC_TYPE.
    pub fn name(self) -> &'static str {
        match self {
            SyncType::Full => "full",
            SyncType::Incremental => "incremental",
        }
    }
}

/// How the work ended on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Completed,
    /// Failed, with the reason.
    Failed(String),
    /// Stopped because it was asked to.
    Stopped,
}

/// How the work is told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Not asked to stop.
    Run,
    /// Asked while the lease still holds (a signal, a stall): the child gets SIGTERM and its
    /// grace period, and the lease heartbeats through it.
    Graceful,
    /// The lease is gone: another process may own the task already, so the work must not run a
    /// moment longer (the child's group gets SIGKILL).
    Now,
}

/// Resolves once the work is asked to stop (or the sender is gone, which asks it to stop
/// now), with how.
pub async fn stopped(stop: &mut watch::Receiver<Stop>) -> Stop {
    match stop.wait_for(|s| *s != Stop::Run).await {
        Ok(how) => *how,
        Err(_) => Stop::Now,
    }
}

/// The work a task runs.
enum Work {
    Demo(demo::Demo),
    Child(child::Child),
}

impl Work {
    async fn run(self, progress: watch::Sender<Snapshot>, stop: watch::Receiver<Stop>, reporter: Reporter) -> Outcome {
        match self {
            Work::Demo(demo) => demo.run(progress, stop).await,
            Work::Child(child) => child.run(progress, stop, reporter).await,
        }
    }
}

/// Runs `start`.
pub async fn run(args: StartArgs, ctx: &Ctx) -> Result<ExitStatus> {
    if args.heartbeat >= ctx.global.heartbeat_timeout {
        return Err(UsageError::with_hint(
            format!(
                "--heartbeat {} is not shorter than --heartbeat-timeout {}: the task would look dead between heartbeats",
                humantime::format_duration(args.heartbeat),
                humantime::format_duration(ctx.global.heartbeat_timeout)
            ),
            "use a heartbeat of at most half the timeout (the defaults are 15s and 60s)",
        ));
    }
    if !args.command.is_empty() {
        child::check_runnable(&args.command)?;
    }
    // Caught from before the claim on, so no signal can leave a claimed row without its release.
    let mut signals = Signals::new()?;
    let mut client = db::connect(&ctx.global, &crate::commands::spec::START, db::Access::Write).await?;
    if args.liveness == Liveness::Lock {
        crate::liveness::require_own_backend(&client, &ctx.global).await?;
    }
    let table = Table::introspect(&client, &ctx.global.table).await?;
    claim::require_columns(&table)?;
    if !table.holds(TASK_INDEX) && !table.one_row_per_user {
        // Every heartbeat and progress write finds the row by task_id and user_id: on a large
        // table with an index on neither, each one is a scan of the whole table.
        ctx.printer.warn(&format!(
            "{TASK_INDEX} is not installed on {}: unless another index covers task_id, every heartbeat \
             scans the table; `syncctl add-constraints` installs it",
            table.display()
        ));
    }
    let sync_type = if args.full { SyncType::Full } else { SyncType::Incremental };
    let classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(Some(&args.user), None);
    let request = Request {
        user: &args.user,
        sync_type,
        lock_liveness: args.liveness == Liveness::Lock,
        classifier: &classifier,
    };
    match claim::claim(&mut client, &table, &request).await? {
        Claim::Live(row) => already_running(&args, ctx, row, &table, &client, &mut signals).await,
        Claim::New(claimed) => run_task(&args, ctx, claimed, &table, sync_type, client, &mut signals).await,
    }
}

/// The user has a live task: reuse, follow or fail, as `--if-running` says.
async fn already_running(
    args: &StartArgs,
    ctx: &Ctx,
    row: RunningRow,
    table: &Table,
    client: &tokio_postgres::Client,
    signals: &mut Signals,
) -> Result<ExitStatus> {
    let heartbeat = row.silent_seconds.map_or("-".into(), crate::output::human_seconds);
    let about = format!("{} is running ({}%, last heartbeat {heartbeat} ago)", row.task_id, row.progress);
    if args.if_running == IfRunning::Fail {
        ctx.printer.error(&format!("user {} already has a live task: {about}", args.user), None);
        return Ok(ExitStatus::Problems);
    }
    let reporter = Reporter::new(&row.task_id, args.json, ctx.global.quiet, &ctx.printer);
    let snapshot = row.snapshot();
    reporter.started("reused", json!({"progress": snapshot.progress, "stats": snapshot.stats}));
    reporter.note(&format!("reusing the user's live task: {about}"));
    if args.if_running == IfRunning::Reuse {
        return Ok(ExitStatus::Success);
    }
    let classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(Some(&args.user), Some(&row.task_id));
    let every = args.heartbeat.min(Duration::from_secs(1));
    follow::follow(client, table, &classifier, every, &reporter, signals).await
}

/// Runs a claimed task to its end.
async fn run_task(
    args: &StartArgs,
    ctx: &Ctx,
    claimed: Claimed,
    table: &Table,
    sync_type: SyncType,
    client: tokio_postgres::Client,
    signals: &mut Signals,
) -> Result<ExitStatus> {
    let reporter = Reporter::new(&claimed.task_id, args.json, ctx.global.quiet, &ctx.printer);
    let took_over: Vec<_> =
        claimed.took_over.iter().map(|(task, reason)| json!({"task_id": task, "reason": reason})).collect();
    reporter
        .started("claimed", json!({"user_id": claimed.user_id, "sync_type": sync_type.name(), "took_over": took_over}));
    for (task, reason) in &claimed.took_over {
        reporter.note(&format!("released the dead task {task} ({reason}) and took over"));
    }

    let work = match args.demo {
        true => Work::Demo(demo::Demo {
            items: args.demo_items,
            rate: args.demo_rate,
            fail_at: args.demo_fail_at,
            hang_at: args.demo_hang_at,
        }),
        false => Work::Child(child::Child {
            command: args.command.clone(),
            env: vec![
                ("SYNCCTL_TASK_ID", claimed.task_id.clone()),
                ("SYNCCTL_USER_ID", claimed.user_id.clone()),
                ("SYNCCTL_SYNC_TYPE", sync_type.name().to_string()),
            ],
            grace: args.grace,
        }),
    };
    let (progress_tx, mut progress) = watch::channel(claimed.snapshot.clone());
    let (stop_tx, stop_rx) = watch::channel(Stop::Run);
    let mut work = tokio::spawn(work.run(progress_tx, stop_rx, reporter.clone()));
    let lease = Lease {
        global: ctx.global.clone(),
        beat_sql: table.render(&BEAT),
        release_sql: table.render(&RELEASE),
        released_sql: table.render(&RELEASED),
        task_id: claimed.task_id.clone(),
        user_id: claimed.user_id.clone(),
        heartbeat: args.heartbeat,
        timeout: ctx.global.heartbeat_timeout,
        liveness_key: claimed.liveness,
        reporter: reporter.clone(),
    };
    let (release_tx, release_rx) = oneshot::channel();
    let held = claimed.liveness.is_some();
    let mut lease = tokio::spawn(lease.run(client, held, claimed.begun, progress.clone(), release_rx));

    // Watch everything until the sync's end is decided.
    let mut last_move = Instant::now();
    let mut progress_open = true;
    let mut work_done = None;
    let mut lease_end = None;
    let (mut ending, mut error, mut status) = loop {
        tokio::select! {
            outcome = &mut work => {
                let outcome = outcome.unwrap_or_else(|e| Outcome::Failed(format!("the work panicked: {e}")));
                work_done = Some(());
                break match outcome {
                    Outcome::Completed => (Ending::Completed, None, ExitStatus::Success),
                    Outcome::Failed(e) => (Ending::Failed, Some(e), ExitStatus::Problems),
                    Outcome::Stopped => (Ending::Failed, Some("the work stopped".into()), ExitStatus::Problems),
                };
            }
            end = &mut lease => {
                lease_end = Some(end.unwrap_or(End::Lost));
                break (Ending::LeaseLost, None, ExitStatus::LeaseLost);
            }
            status = signals.next() => {
                let name = match status {
                    ExitStatus::HungUp => "SIGHUP",
                    ExitStatus::Interrupted => "SIGINT",
                    _ => "SIGTERM",
                };
                break (Ending::Cancelled, Some(format!("cancelled by {name}")), status);
            }
            changed = progress.changed(), if progress_open => match changed {
                Ok(()) => {
                    last_move = Instant::now();
                    reporter.progress(&progress.borrow_and_update(), false);
                }
                Err(_) => progress_open = false,
            },
            _ = sleep_until(last_move + args.stall_timeout) => {
                let error = format!("stalled: no progress for {}", humantime::format_duration(args.stall_timeout));
                break (Ending::Stalled, Some(error), ExitStatus::Problems);
            }
        }
    };

    if work_done.is_none() {
        // A held lease heartbeats through the child's grace period; a lost one allows none.
        let _ = stop_tx.send(if lease_end.is_some() { Stop::Now } else { Stop::Graceful });
        let _ = (&mut work).await;
    }
    let mut snapshot = progress.borrow().clone();
    if ending == Ending::Completed {
        snapshot.progress = 100;
    }
    let end = match lease_end {
        Some(end) => end,
        None => {
            let release = Release {
                progress: if ending == Ending::Completed { 100 } else { 0 },
                stats: snapshot.stats_json(),
                error: error.clone(),
            };
            // The lease task may have ended meanwhile; then the send fails and its end is known.
            let _ = release_tx.send(release);
            lease.await.unwrap_or(End::Lost)
        }
    };
    match end {
        End::Released => {}
        End::Lost => {
            ending = Ending::LeaseLost;
            error = Some("the task was released or taken over by someone else; nothing more was written".into());
            status = ExitStatus::LeaseLost;
        }
        End::Expired => {
            ending = Ending::LeaseLost;
            error = Some(format!(
                "no heartbeat got through for {} (--heartbeat-timeout); the row is left for `syncctl reap`",
                humantime::format_duration(ctx.global.heartbeat_timeout)
            ));
            status = ExitStatus::LeaseLost;
        }
    }
    reporter.progress(&snapshot, true);
    reporter.finished(ending, &snapshot, error.as_deref());
    Ok(status)
}
