//! `reap`: for cron. Releases every running row whose heartbeat is older than the timeout, in
//! batches of `--limit`, each one statement (`sql/reap/batch.sql`: `FOR UPDATE SKIP LOCKED` and
//! a re-checked condition, so several reapers at once release each row once). Silent when there
//! is nothing to do. `--every DUR` repeats until SIGTERM / SIGINT, which stop it between passes
//! or cancel the running statement (its transaction rolls back), exit 143 / 130.

use std::cell::Cell;

use anyhow::{Context, Result};
use serde::Serialize;
use tokio_postgres::Client;

use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{Liveness, ReapArgs};
use crate::db;
use crate::db::queries::reap::{self as queries, BatchParams, DryRunParams, ReleasedRow};
use crate::error;
use crate::exit::ExitStatus;
use crate::output;
use crate::signals::Signals;
use crate::table::Table;

/// What a pass released (or, printed as lines, a batch; with `--dry-run`, would release): its
/// JSON document as it is.
#[derive(Debug, Serialize)]
pub(crate) struct ReapReport {
    /// The rows.
    pub(crate) released: Vec<ReleasedRow>,
    /// How many.
    pub(crate) count: usize,
    /// `--dry-run`: nothing was released (absent otherwise).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) dry_run: bool,
}

impl ReapReport {
    /// The report of `released`.
    pub(crate) fn new(released: Vec<ReleasedRow>, dry_run: bool) -> ReapReport {
        ReapReport { count: released.len(), released, dry_run }
    }
}

/// Runs `reap`.
pub(crate) async fn run(args: ReapArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let timeout = args.timeout.unwrap_or(ctx.global.heartbeat_timeout).as_secs_f64();
    let mut signals = Signals::new()?;
    let stop: Cell<Option<ExitStatus>> = Cell::new(None);
    let mut conn: Option<Session> = None;
    loop {
        let result = guarded_pass(&mut conn, &args, timeout, ctx, &mut signals, &stop).await;
        if let Some(status) = stop.get() {
            return Ok(status);
        }
        let Some(every) = args.every else {
            return result.map(|()| ExitStatus::Success);
        };
        if let Err(err) = result {
            // A loop outlives a restart of the server: report, reconnect on the next pass. A
            // usage error (missing table or column, privilege) will not heal by waiting.
            let classified = error::classify(&err);
            if classified.status == ExitStatus::Usage {
                return Err(err);
            }
            ctx.printer.warn(&format!(
                "this pass failed, retrying in {}: {}",
                humantime::format_duration(every),
                crate::redact(&classified.message, &ctx.global)
            ));
            conn = None;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            status = signals.next() => return Ok(status),
        }
    }
}

/// One pass, connecting first if needed. A signal sets `stop`, and cancels the statement in
/// flight; the pass then ends before its next batch.
async fn guarded_pass(
    conn: &mut Option<Session>,
    args: &ReapArgs,
    timeout: f64,
    ctx: &Ctx,
    signals: &mut Signals,
    stop: &Cell<Option<ExitStatus>>,
) -> Result<()> {
    if conn.is_none() {
        let opened = tokio::select! {
            opened = Session::open(ctx, &spec::REAP, db::access(args.dry_run), Snapshot::None) => opened?,
            status = signals.next() => {
                stop.set(Some(status));
                return Ok(());
            }
        };
        *conn = Some(opened);
    }
    let Some(session) = conn.as_ref() else { unreachable!("connected above") };
    let token = session.client.cancel_token();
    let work = pass(&session.client, &session.table, args, timeout, ctx, stop);
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            status = signals.next(), if stop.get().is_none() => {
                stop.set(Some(status));
                if let Err(e) = db::cancel(&ctx.global, &token).await {
                    ctx.printer.debug(&format!("{e:#}"));
                }
            }
        }
    }
}

/// Releases batches until one comes back short of `--limit` (or lists, with `--dry-run`), and
/// prints what it released as it goes.
async fn pass(
    client: &Client,
    table: &Table,
    args: &ReapArgs,
    timeout: f64,
    ctx: &Ctx,
    stop: &Cell<Option<ExitStatus>>,
) -> Result<()> {
    // Under --liveness lock, the tasks whose owner's lock is free are dead whatever their
    // heartbeat; probed once per pass, and named by task id so a task that took the user over
    // since is never mistaken for them.
    let lock_dead = match args.liveness {
        Liveness::Lock => crate::liveness::dead_tasks(client, table).await?,
        Liveness::Heartbeat => Vec::new(),
    };
    if args.dry_run {
        let params = DryRunParams { timeout_seconds: timeout, lock_dead: &lock_dead };
        let rows = db::local(client, async { Ok(queries::dry_run(client, table, &params).await?) })
            .await
            .context("listing the dead rows")?;
        return print(rows, args, ctx);
    }
    let params = BatchParams { timeout_seconds: timeout, limit: i64::from(args.limit), lock_dead: &lock_dead };
    let mut released = Vec::new();
    let mut failure = None;
    while stop.get().is_none() {
        // Each batch commits on its own, so what was released stays released if a later one fails.
        let batch = match db::local(client, async { Ok(queries::batch(client, table, &params).await?) }).await {
            Ok(rows) => rows,
            // Cancelled by a signal: that batch rolled back, and the run ends.
            Err(_) if stop.get().is_some() => break,
            Err(e) => {
                failure = Some(e.context("releasing a batch of dead rows"));
                break;
            }
        };
        let full = batch.len() as i64 == params.limit;
        if args.json {
            released.extend(batch);
        } else {
            print(batch, args, ctx)?;
        }
        if !full {
            break;
        }
    }
    if args.json {
        // What committed is reported even when a later batch failed.
        print(released, args, ctx)?;
    }
    failure.map_or(Ok(()), Err)
}

/// One line per row, or one JSON document; nothing at all when there are no rows.
fn print(rows: Vec<ReleasedRow>, args: &ReapArgs, ctx: &Ctx) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let report = ReapReport::new(rows, args.dry_run);
    let text = if args.json { output::reap::json(&report) } else { output::reap::lines(&report) };
    ctx.printer.data(&text)?;
    Ok(())
}
