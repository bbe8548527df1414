//! `start`: claim a user's sync (or reuse the live one), then run it in the foreground under a
//! heartbeating lease, and release it in one statement at the end.
//!
//! The pieces, one concern each: [`claim`] (the idempotent claim), [`lease`] (heartbeat,
//! fencing, reconnection, release), [`simulated`] and [`child`] (the work), [`follow`]
//! (`--if-running follow`), [`progress`] (what is shown). This file wires them: the work runs
//! as one task, the lease as another, and the loop here watches the work, the lease, the
//! signals and the stall timer, and decides how the sync ends.

pub(crate) mod child;
pub(crate) mod claim;
pub(crate) mod follow;
pub(crate) mod lease;
pub(crate) mod progress;
pub(crate) mod simulated;

use std::time::Duration;

use anyhow::Result;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{IfRunning, Liveness, StartArgs};
use crate::db::Access;
use crate::db::queries::start::LeaseStatements;
use crate::error::UsageError;
use crate::exit::ExitStatus;
use crate::output::start::{self as say, ClaimedBody, ProgressBody, TookOver};
use crate::signals::Signals;
use crate::state::Classifier;
use crate::table::{TASK_INDEX, Table};
use claim::{Claim, Claimed, Request, RunningRow};
use lease::{End, Lease, Release};
use progress::{Ending, Reporter, SyncProgress};

/// `full` or `incremental`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyncType {
    /// `--full`.
    Full,
    /// The default.
    Incremental,
}

impl SyncType {
    /// As written to sync_type and SYNCCTL_SYNC_TYPE.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SyncType::Full => "full",
            SyncType::Incremental => "incremental",
        }
    }
}

/// How the work ended on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WorkOutcome {
    /// Done.
    Completed,
    /// Failed, with the reason.
    Failed(String),
    /// Stopped because it was asked to.
    Stopped,
}

/// How the work is told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
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
pub(crate) async fn stopped(stop: &mut watch::Receiver<Stop>) -> Stop {
    match stop.wait_for(|s| *s != Stop::Run).await {
        Ok(how) => *how,
        Err(_) => Stop::Now,
    }
}

/// The work a task runs.
enum Work {
    /// `--demo`.
    Simulated(simulated::SimulatedSync),
    /// `-- COMMAND [ARGS…]`.
    Child(child::Child),
}

impl Work {
    /// Runs the work to its end, or until `stop` asks it to stop.
    async fn run(
        self,
        progress: watch::Sender<SyncProgress>,
        stop: watch::Receiver<Stop>,
        reporter: Reporter,
    ) -> WorkOutcome {
        match self {
            Work::Simulated(sync) => sync.run(progress, stop).await,
            Work::Child(child) => child.run(progress, stop, reporter).await,
        }
    }
}

/// Runs `start`.
pub(crate) async fn run(args: StartArgs, ctx: &Ctx) -> Result<ExitStatus> {
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
    let Session { mut client, table, .. } = Session::open(ctx, &spec::START, Access::Write, Snapshot::None).await?;
    if args.liveness == Liveness::Lock {
        crate::liveness::require_own_backend(&client, &ctx.global).await?;
    }
    claim::require_columns(&table)?;
    if !table.holds(TASK_INDEX) && !table.one_row_per_user {
        // Every heartbeat and progress write finds the row by task_id and user_id: on a large
        // table with an index on neither, each one is a scan of the whole table.
        ctx.printer.warn(&say::no_task_index(TASK_INDEX, &table.display()));
    }
    let sync_type = if args.full { SyncType::Full } else { SyncType::Incremental };
    let classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(Some(&args.user), None);
    let request = Request {
        user: &args.user,
        sync_type,
        lock_liveness: args.liveness == Liveness::Lock,
        create: !args.no_create,
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
    let about = say::live_task(&row.task_id, row.progress, row.silent_seconds);
    if args.if_running == IfRunning::Fail {
        ctx.printer.error(&say::already_running(&args.user, &about), None);
        return Ok(ExitStatus::Problems);
    }
    let reporter = Reporter::new(&row.task_id, args.json, ctx.global.quiet, &ctx.printer);
    let snapshot = row.snapshot();
    reporter.started("reused", ProgressBody { progress: snapshot.progress, stats: &snapshot.stats });
    reporter.note(&say::reusing(&about));
    if args.if_running == IfRunning::Reuse {
        return Ok(ExitStatus::Success);
    }
    let classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(Some(&args.user), Some(&row.task_id));
    let every = args.heartbeat.min(Duration::from_secs(1));
    follow::follow(client, table, &classifier, every, &reporter, signals).await
}

/// Runs a claimed task to its end: the work and the lease are started, watched until the
/// sync's end is decided, the work is stopped if it still runs, and the end is released.
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
    announce(&reporter, &claimed, sync_type);
    let work = work_for(args, &claimed, sync_type);
    let mut running = launch(work, args, ctx, &claimed, table, client, &reporter);
    let verdict = watch(&mut running, args, &reporter, signals).await;
    let (snapshot, end) = wind_down(running, &verdict).await;
    let verdict = settle(verdict, end, ctx);
    reporter.progress(&snapshot, true);
    reporter.finished(verdict.ending, &snapshot, verdict.error.as_deref());
    Ok(verdict.status)
}

/// The first stdout line (the task id, or the `claimed` event), a note when the user had no
/// row, and a note per dead task the claim took over.
fn announce(reporter: &Reporter, claimed: &Claimed, sync_type: SyncType) {
    let took_over = claimed.took_over.iter().map(|(task, reason)| TookOver { task_id: task, reason }).collect();
    reporter.started("claimed", ClaimedBody { user_id: &claimed.user_id, sync_type: sync_type.name(), took_over });
    if claimed.first_row {
        reporter.note(&say::first_row(&claimed.user_id));
    }
    for (task, reason) in &claimed.took_over {
        reporter.note(&say::took_over(task, reason));
    }
}

/// The work `start` was asked to run: the simulated sync (`--demo`) or the child command.
fn work_for(args: &StartArgs, claimed: &Claimed, sync_type: SyncType) -> Work {
    match args.demo {
        true => Work::Simulated(simulated::SimulatedSync {
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
    }
}

/// A claimed task under way: its work and its lease, each a task of its own, and the channels
/// between them and [`watch`].
struct Running {
    /// The work.
    work: JoinHandle<WorkOutcome>,
    /// The lease, which ends with the release, or when it is lost or expires.
    lease: JoinHandle<End>,
    /// The work's progress.
    progress: watch::Receiver<SyncProgress>,
    /// Asks the work to stop.
    stop: watch::Sender<Stop>,
    /// Brings the lease the end to write.
    release: oneshot::Sender<Release>,
}

/// Starts the work, then the lease on the claim's connection.
fn launch(
    work: Work,
    args: &StartArgs,
    ctx: &Ctx,
    claimed: &Claimed,
    table: &Table,
    client: tokio_postgres::Client,
    reporter: &Reporter,
) -> Running {
    let (progress_tx, progress) = watch::channel(claimed.snapshot.clone());
    let (stop, stop_rx) = watch::channel(Stop::Run);
    let work = tokio::spawn(work.run(progress_tx, stop_rx, reporter.clone()));
    let lease = Lease {
        global: ctx.global.clone(),
        statements: LeaseStatements::render(table),
        task_id: claimed.task_id.clone(),
        user_id: claimed.user_id.clone(),
        heartbeat: args.heartbeat,
        timeout: ctx.global.heartbeat_timeout,
        liveness_key: claimed.liveness,
        reporter: reporter.clone(),
    };
    let (release, release_rx) = oneshot::channel();
    let held = claimed.liveness.is_some();
    let lease = tokio::spawn(lease.run(client, held, claimed.begun, progress.clone(), release_rx));
    Running { work, lease, progress, stop, release }
}

/// How the sync ends, as [`watch`] decided it ([`settle`] revises it by the lease's end).
struct Verdict {
    /// How it ended.
    ending: Ending,
    /// Why, unless it completed.
    error: Option<String>,
    /// start's exit status.
    status: ExitStatus,
    /// The work ended on its own.
    work_done: bool,
    /// The lease ended on its own (lost or expired), before any release was asked of it.
    lease_end: Option<End>,
}

/// Watches the work, the lease, the signals and the stall timer until the sync's end is
/// decided, showing progress meanwhile.
async fn watch(running: &mut Running, args: &StartArgs, reporter: &Reporter, signals: &mut Signals) -> Verdict {
    let mut last_move = Instant::now();
    let mut progress_open = true;
    let verdict = |ending, error, status| Verdict { ending, error, status, work_done: false, lease_end: None };
    loop {
        tokio::select! {
            outcome = &mut running.work => {
                let outcome = outcome.unwrap_or_else(|e| WorkOutcome::Failed(format!("the work panicked: {e}")));
                let decided = match outcome {
                    WorkOutcome::Completed => verdict(Ending::Completed, None, ExitStatus::Success),
                    WorkOutcome::Failed(e) => verdict(Ending::Failed, Some(e), ExitStatus::Problems),
                    WorkOutcome::Stopped => {
                        verdict(Ending::Failed, Some("the work stopped".into()), ExitStatus::Problems)
                    }
                };
                return Verdict { work_done: true, ..decided };
            }
            end = &mut running.lease => {
                let decided = verdict(Ending::LeaseLost, None, ExitStatus::LeaseLost);
                return Verdict { lease_end: Some(end.unwrap_or(End::Lost)), ..decided };
            }
            status = signals.next() => {
                let name = match status {
                    ExitStatus::HungUp => "SIGHUP",
                    ExitStatus::Interrupted => "SIGINT",
                    _ => "SIGTERM",
                };
                return verdict(Ending::Cancelled, Some(format!("cancelled by {name}")), status);
            }
            changed = running.progress.changed(), if progress_open => match changed {
                Ok(()) => {
                    last_move = Instant::now();
                    reporter.progress(&running.progress.borrow_and_update(), false);
                }
                Err(_) => progress_open = false,
            },
            _ = sleep_until(last_move + args.stall_timeout) => {
                let error = format!("stalled: no progress for {}", humantime::format_duration(args.stall_timeout));
                return verdict(Ending::Stalled, Some(error), ExitStatus::Problems);
            }
        }
    }
}

/// Stops the work if it still runs (a held lease heartbeats through the child's grace period;
/// a lost one allows none), then has the lease release the task unless it ended already. The
/// last snapshot, and how the lease ended.
async fn wind_down(running: Running, verdict: &Verdict) -> (SyncProgress, End) {
    let Running { mut work, lease, progress, stop, release } = running;
    if !verdict.work_done {
        let _ = stop.send(if verdict.lease_end.is_some() { Stop::Now } else { Stop::Graceful });
        let _ = (&mut work).await;
    }
    let mut snapshot = progress.borrow().clone();
    if verdict.ending == Ending::Completed {
        snapshot.progress = 100;
    }
    let end = match &verdict.lease_end {
        Some(end) => end.clone(),
        None => {
            let end = Release {
                progress: if verdict.ending == Ending::Completed { 100 } else { 0 },
                stats: snapshot.stats_json(),
                error: verdict.error.clone(),
            };
            // The lease task may have ended meanwhile; then the send fails and its end is known.
            let _ = release.send(end);
            lease.await.unwrap_or(End::Lost)
        }
    };
    (snapshot, end)
}

/// The verdict once the lease's end is known: a lease lost or expired overrides it.
fn settle(mut verdict: Verdict, end: End, ctx: &Ctx) -> Verdict {
    match end {
        End::Released => {}
        End::Lost => {
            verdict.ending = Ending::LeaseLost;
            verdict.error =
                Some("the task was released or taken over by someone else; nothing more was written".into());
            verdict.status = ExitStatus::LeaseLost;
        }
        End::Expired => {
            verdict.ending = Ending::LeaseLost;
            verdict.error = Some(format!(
                "no heartbeat got through for {} (--heartbeat-timeout); the row is left for `syncctl reap`",
                humantime::format_duration(ctx.global.heartbeat_timeout)
            ));
            verdict.status = ExitStatus::LeaseLost;
        }
    }
    verdict
}
