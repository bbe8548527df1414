//! `reap`: for cron. Releases every running row whose heartbeat is older than the timeout: lists
//! where they lie once (`sql/reap/dead_rows.sql`), then releases them by ctid in batches of
//! `--limit`, so no batch reads again what an earlier one released, each one statement in a
//! transaction of its own sent in one round trip (`sql/reap/batch.sql`: `FOR UPDATE SKIP LOCKED`
//! and a re-checked condition, so several reapers at once release each row once). Every line for
//! people starts with the time, for the log cron appends it to. Silent when there is nothing to
//! do (a dry run says `nothing to reap`). `--every DUR` repeats, with a line per pass, until
//! SIGTERM / SIGINT, which stop it between passes or cancel the running statement (its
//! transaction rolls back), print a summary, and exit 143 / 130. A row whose writer stores a
//! shifted clock but keeps writing is left; `--confirm DUR` instead watches the dead rows' row
//! versions for DUR and releases only those that did not change.

use std::cell::Cell;
use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{Liveness, ReapArgs};
use crate::db;
use crate::db::queries::reap::{self as queries, BatchParams, DeadRowsParams, DryRunParams, ReleasedRow, RowLocks};
use crate::error;
use crate::exit::ExitStatus;
use crate::output::{self, serde_time};
use crate::signals::Signals;
use crate::table::Table;

/// What a pass released (or, printed as lines, a batch; with `--dry-run`, would release): its
/// JSON document, `{"released": [...], "count": n}`, or with `--dry-run`
/// `{"would_release": [...], "count": n, "dry_run": true}`, since a dry run released nothing.
#[derive(Debug)]
pub(crate) struct ReapReport {
    /// The rows.
    pub(crate) released: Vec<ReleasedRow>,
    /// `--dry-run`: nothing was released.
    pub(crate) dry_run: bool,
}

impl Serialize for ReapReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(if self.dry_run { "would_release" } else { "released" }, &self.released)?;
        map.serialize_entry("count", &self.released.len())?;
        if self.dry_run {
            map.serialize_entry("dry_run", &true)?;
        }
        map.end()
    }
}

/// What a `--every` loop did, said when a signal stops it: its JSON document as it is.
#[derive(Debug, Serialize)]
pub(crate) struct Tally {
    /// Passes run (the one a signal cut short included).
    pub(crate) passes: u64,
    /// Rows released (with `--dry-run`: found releasable) over all passes.
    pub(crate) released_total: u64,
    /// When the loop started.
    #[serde(with = "serde_time")]
    pub(crate) since: DateTime<Utc>,
    /// The signal that stopped it.
    pub(crate) stopped_by: &'static str,
}

/// Runs `reap`.
pub(crate) async fn run(args: ReapArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let timeout = args.timeout.unwrap_or(ctx.global.heartbeat_timeout).as_secs_f64();
    let mut signals = Signals::new()?;
    let stop: Cell<Option<ExitStatus>> = Cell::new(None);
    let mut conn: Option<Session> = None;
    // Rows released over the whole run, counted batch by batch: a pass that fails half-way
    // still counts what it committed.
    let released = Cell::new(0);
    let mut tally = Tally { passes: 0, released_total: 0, since: Utc::now(), stopped_by: "" };
    loop {
        tally.passes += 1;
        let before = released.get();
        let result = guarded_pass(&mut conn, &args, timeout, ctx, &mut signals, &stop, &released).await;
        let count = released.get() - before;
        tally.released_total = released.get();
        let Some(every) = args.every else {
            if let Some(status) = stop.get() {
                return Ok(status);
            }
            if args.dry_run && result.is_ok() && count == 0 {
                ctx.printer.note(&format!("{} nothing to reap", output::timestamp_short(&Utc::now())));
            }
            return result.map(|_| ExitStatus::Success);
        };
        if let Some(status) = stop.get() {
            return stopped(tally, status, &args, ctx);
        }
        match result {
            Ok(()) if !args.json => {
                ctx.printer.data(&output::reap::pass_line(tally.passes, count, args.dry_run, Utc::now()))?;
            }
            Ok(()) => {}
            Err(err) => {
                // A loop outlives a restart of the server: report, reconnect on the next pass. A
                // usage error (missing table or column, privilege) will not heal by waiting.
                let classified = error::classify(&err);
                if classified.status == ExitStatus::Usage {
                    return Err(err);
                }
                ctx.printer.warn(&format!(
                    "{} pass {} failed, retrying in {}: {}",
                    output::timestamp_short(&Utc::now()),
                    tally.passes,
                    humantime::format_duration(every),
                    crate::redact(&classified.message, &ctx.global)
                ));
                conn = None;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            status = signals.next() => return stopped(tally, status, &args, ctx),
        }
    }
}

/// The end of a `--every` loop stopped by a signal: its summary, then the signal's exit status.
fn stopped(mut tally: Tally, status: ExitStatus, args: &ReapArgs, ctx: &Ctx) -> Result<ExitStatus> {
    tally.stopped_by = match status {
        ExitStatus::HungUp => "SIGHUP",
        ExitStatus::Interrupted => "SIGINT",
        _ => "SIGTERM",
    };
    let text =
        if args.json { output::reap::json(&tally) } else { output::reap::summary(&tally, args.dry_run, Utc::now()) };
    ctx.printer.data(&text)?;
    Ok(status)
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
    released: &Cell<u64>,
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
    let work = pass(&session.client, &session.table, args, timeout, ctx, stop, released);
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

/// Lists the dead rows once, then releases them in batches of up to `--limit` rows of one
/// partition, in ctid order (or lists them, with `--dry-run`); prints what it released as it
/// goes, and adds it to `released`. A row that turns dead meanwhile waits for the next pass.
async fn pass(
    client: &Client,
    table: &Table,
    args: &ReapArgs,
    timeout: f64,
    ctx: &Ctx,
    stop: &Cell<Option<ExitStatus>>,
    released: &Cell<u64>,
) -> Result<()> {
    // Under --liveness lock, the tasks whose owner's lock is free are dead whatever their
    // heartbeat; probed once per pass, and named by task id so a task that took the user over
    // since is never mistaken for them.
    let lock_dead = match args.liveness {
        Liveness::Lock => crate::liveness::dead_tasks(client, table).await?,
        Liveness::Heartbeat => Vec::new(),
    };
    if args.dry_run {
        let params = DryRunParams { timeout_seconds: timeout, lock_dead: &lock_dead, shifted: false };
        let rows = db::local_one(client, async { Ok(queries::dry_run(client, table, &params).await?) })
            .await
            .context("listing the dead rows")?;
        released.set(released.get() + rows.len() as u64);
        return print(rows, args, ctx);
    }
    let watched = match args.confirm {
        Some(window) => Some(watch(client, table, timeout, &lock_dead, window, stop).await?),
        None => None,
    };
    // The pass's rows, read once (by the watch under --confirm), then released by ctid a batch
    // at a time: no batch reads a row an earlier one released (reap/dead_rows.sql).
    let dead: Vec<Candidate> = match &watched {
        Some(rows) => rows.iter().filter_map(|r| Candidate::of_version(&r.version)).collect(),
        None => {
            let params = DeadRowsParams { timeout_seconds: timeout, lock_dead: &lock_dead };
            db::local_one(client, async { Ok(queries::dead_rows(client, table, &params).await?) })
                .await
                .context("listing the dead rows")?
                .into_iter()
                .map(|r| Candidate { partition: r.partition, ctid: r.ctid, version: None })
                .collect()
        }
    };
    let mut released_versions = HashSet::new();
    let mut document = Vec::new();
    let mut failure = None;
    for chunk in batches(dead, args.limit as usize) {
        if stop.get().is_some() {
            break;
        }
        let ctids: Vec<String> = chunk.iter().map(|c| c.ctid.clone()).collect();
        let versions: Option<Vec<String>> =
            watched.as_ref().map(|_| chunk.iter().filter_map(|c| c.version.clone()).collect());
        let params = BatchParams {
            timeout_seconds: timeout,
            lock_dead: &lock_dead,
            versions: versions.as_deref(),
            partition: chunk[0].partition,
            ctids: &ctids,
        };
        // Each batch commits on its own, so what was released stays released if a later one fails.
        let batch = match release(client, table, &params, stop).await {
            Ok(rows) => rows,
            // Cancelled by a signal: that batch rolled back, and the run ends.
            Err(_) if stop.get().is_some() => break,
            Err(e) => {
                failure = Some(e.context("releasing a batch of dead rows"));
                break;
            }
        };
        released.set(released.get() + batch.len() as u64);
        released_versions.extend(batch.iter().map(|r| r.version.clone()));
        if args.json {
            document.extend(batch);
        } else {
            print(batch, args, ctx)?;
        }
    }
    if args.json {
        // What committed is reported even when a later batch failed.
        print(document, args, ctx)?;
    }
    if failure.is_none() && stop.get().is_none() {
        for row in watched.iter().flatten().filter(|r| !released_versions.contains(&r.version)) {
            ctx.printer.note(&format!(
                "{} kept {}: written during the confirmation window",
                output::timestamp_short(&Utc::now()),
                row.task_id.as_deref().unwrap_or("NULL")
            ));
        }
    }
    failure.map_or(Ok(()), Err)
}

/// One batch, in a transaction of its own whose BEGIN with the settings, statements and COMMIT
/// go in one round trip. First without row locks but the update's own, waiting for a held row
/// only a moment (`reap/lock_wait.sql`); when that wait runs out (or meets a deadlock), that
/// try rolled back and the batch runs again locking its rows `FOR UPDATE SKIP LOCKED`, which
/// skips held rows. The lock costs a WAL record a row, so it is only taken where it is needed.
/// A signal that came during the first try (and may have cancelled it) ends the batch there.
async fn release(
    client: &Client,
    table: &Table,
    params: &BatchParams<'_>,
    stop: &Cell<Option<ExitStatus>>,
) -> Result<Vec<ReleasedRow>> {
    let first = db::local_one(client, async {
        let (bounded, released) =
            tokio::join!(queries::lock_wait(client), queries::batch(client, table, params, RowLocks::Wait));
        bounded?;
        Ok(released?)
    })
    .await;
    match first {
        Err(e)
            if stop.get().is_none()
                && matches!(error::sqlstate(&e), Some(c) if c == SqlState::LOCK_NOT_AVAILABLE || c == SqlState::T_R_DEADLOCK_DETECTED) =>
        {
            db::local_one(client, async { Ok(queries::batch(client, table, params, RowLocks::SkipLocked).await?) })
                .await
        }
        other => other,
    }
}

/// A dead row to release: where it lies, and under `--confirm` the version watched.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    /// Its partition's oid (the table's own unless partitioned).
    partition: u32,
    /// Its ctid, `(block,offset)`.
    ctid: String,
    /// Under `--confirm`, the row version (partition/ctid/xmin) seen unchanged.
    version: Option<String>,
}

impl Candidate {
    /// The row a version (`partition/ctid/xmin`, reap/dry_run.sql) names.
    fn of_version(version: &str) -> Option<Candidate> {
        let mut parts = version.splitn(3, '/');
        let partition = parts.next()?.parse().ok()?;
        let ctid = parts.next()?.to_string();
        Some(Candidate { partition, ctid, version: Some(version.to_string()) })
    }

    /// Where it lies, for the walk's order: partition, block, line pointer.
    fn position(&self) -> (u32, u64, u64) {
        let inner = self.ctid.trim_start_matches('(').trim_end_matches(')');
        let (block, offset) = inner.split_once(',').unwrap_or((inner, "0"));
        (self.partition, block.trim().parse().unwrap_or(u64::MAX), offset.trim().parse().unwrap_or(u64::MAX))
    }
}

/// The walk: rows of one partition per batch, at most `limit` each, in physical order (so a
/// batch touches neighbouring pages).
fn batches(mut dead: Vec<Candidate>, limit: usize) -> Vec<Vec<Candidate>> {
    dead.sort_by_key(Candidate::position);
    let mut out: Vec<Vec<Candidate>> = Vec::new();
    for row in dead {
        match out.last_mut() {
            Some(last) if last.len() < limit.max(1) && last[0].partition == row.partition => last.push(row),
            _ => out.push(vec![row]),
        }
    }
    out
}

/// `--confirm`: reads the dead rows (those of writers storing a shifted clock too) with their
/// row versions, then waits out the window (when there is something to watch), outside any
/// transaction. A signal cuts the wait short; the pass then releases nothing.
async fn watch(
    client: &Client,
    table: &Table,
    timeout: f64,
    lock_dead: &[String],
    window: Duration,
    stop: &Cell<Option<ExitStatus>>,
) -> Result<Vec<ReleasedRow>> {
    let params = DryRunParams { timeout_seconds: timeout, lock_dead, shifted: true };
    let rows = db::local_one(client, async { Ok(queries::dry_run(client, table, &params).await?) })
        .await
        .context("reading the dead rows to watch")?;
    // A signal sets `stop` (the caller's select! watches for it), so the wait is cut into short
    // sleeps that look at it.
    let end = tokio::time::Instant::now() + window;
    while !rows.is_empty() && stop.get().is_none() && tokio::time::Instant::now() < end {
        tokio::time::sleep_until(end.min(tokio::time::Instant::now() + Duration::from_millis(100))).await;
    }
    Ok(rows)
}

/// One line per row, or one JSON document. With no rows, no lines; and no document either,
/// so cron mails only when there was work, except for a dry run (asked by a person) and under
/// `--every` (a document per pass, as a line per pass for people).
fn print(rows: Vec<ReleasedRow>, args: &ReapArgs, ctx: &Ctx) -> Result<()> {
    if rows.is_empty() && !(args.json && (args.dry_run || args.every.is_some())) {
        return Ok(());
    }
    let report = ReapReport { released: rows, dry_run: args.dry_run };
    let text = if args.json { output::reap::json(&report) } else { output::reap::lines(&report, Utc::now()) };
    ctx.printer.data(&text)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(partition: u32, ctid: &str) -> Candidate {
        Candidate { partition, ctid: ctid.into(), version: None }
    }

    #[test]
    fn the_walk_goes_partition_by_partition_in_ctid_order_limit_rows_at_a_time() {
        let dead = vec![row(7, "(10,2)"), row(5, "(3,1)"), row(7, "(2,11)"), row(7, "(2,9)"), row(5, "(0,4)")];
        let walk = batches(dead, 2);
        let ctids: Vec<Vec<(u32, &str)>> =
            walk.iter().map(|b| b.iter().map(|c| (c.partition, c.ctid.as_str())).collect()).collect();
        assert_eq!(ctids, [vec![(5, "(0,4)"), (5, "(3,1)")], vec![(7, "(2,9)"), (7, "(2,11)")], vec![(7, "(10,2)")]]);
        assert!(batches(Vec::new(), 1000).is_empty());
    }

    #[test]
    fn a_version_names_its_partition_and_ctid() {
        let c = Candidate::of_version("16384/(12,3)/745").unwrap();
        assert_eq!((c.partition, c.ctid.as_str(), c.version.as_deref()), (16384, "(12,3)", Some("16384/(12,3)/745")));
        assert_eq!(Candidate::of_version("garbage"), None);
    }
}
