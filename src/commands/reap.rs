//! `reap`: for cron. Releases every running row whose heartbeat is older than the timeout, in
//! batches of `--limit`, each one statement (`sql/reap/batch.sql`: `FOR UPDATE SKIP LOCKED` and
//! a re-checked condition, so several reapers at once release each row once). Silent when there
//! is nothing to do. `--every DUR` repeats until SIGTERM / SIGINT, which stop it between passes
//! or cancel the running statement (its transaction rolls back), exit 143 / 130.

use std::cell::Cell;

use anyhow::{Context, Result};
use serde_json::json;
use tokio_postgres::{Client, Row};

use crate::Ctx;
use crate::cli::{Liveness, ReapArgs};
use crate::db::{self, query};
use crate::error;
use crate::exit::ExitStatus;
use crate::signals::Signals;
use crate::table::Table;

pub(crate) use crate::db::queries::REAP_BATCH as BATCH;
pub(crate) use crate::db::queries::REAP_DRY_RUN as DRY_RUN;

/// A released (or, with `--dry-run`, releasable) row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Released {
    task_id: Option<String>,
    user_id: Option<String>,
    /// How long it had been silent; `None` when it never had a heartbeat.
    silent_seconds: Option<i64>,
}

impl Released {
    fn from_row(row: &Row) -> Released {
        Released { task_id: row.get("task_id"), user_id: row.get("user_id"), silent_seconds: row.get("silent_seconds") }
    }
}

/// Runs `reap`.
pub async fn run(args: ReapArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let timeout = args.timeout.unwrap_or(ctx.global.heartbeat_timeout).as_secs_f64();
    let mut signals = Signals::new()?;
    let stop: Cell<Option<ExitStatus>> = Cell::new(None);
    let mut conn: Option<(Client, Table)> = None;
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
    conn: &mut Option<(Client, Table)>,
    args: &ReapArgs,
    timeout: f64,
    ctx: &Ctx,
    signals: &mut Signals,
    stop: &Cell<Option<ExitStatus>>,
) -> Result<()> {
    if conn.is_none() {
        let opened = tokio::select! {
            opened = open(ctx, args) => opened?,
            status = signals.next() => {
                stop.set(Some(status));
                return Ok(());
            }
        };
        *conn = Some(opened);
    }
    let Some((client, table)) = conn.as_ref() else { unreachable!("connected above") };
    let token = client.cancel_token();
    let work = pass(client, table, args, timeout, ctx, stop);
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

async fn open(ctx: &Ctx, args: &ReapArgs) -> Result<(Client, Table)> {
    let client = db::connect(&ctx.global, &crate::commands::spec::REAP, db::access(args.dry_run)).await?;
    let table = Table::introspect(&client, &ctx.global.table).await?;
    crate::commands::naive_note(&table, ctx);
    Ok((client, table))
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
        let sql = table.render(&DRY_RUN);
        let rows = db::local(client, async { Ok(query::query(client, &sql, &[&timeout, &lock_dead]).await?) })
            .await
            .context("listing the dead rows")?;
        let rows: Vec<Released> = rows.iter().map(Released::from_row).collect();
        return print(&rows, args, ctx);
    }
    let sql = table.render(&BATCH);
    let limit = i64::from(args.limit);
    let mut released = Vec::new();
    let mut failure = None;
    while stop.get().is_none() {
        // Each batch commits on its own, so what was released stays released if a later one fails.
        let batch = db::local(client, async { Ok(query::query(client, &sql, &[&timeout, &limit, &lock_dead]).await?) });
        let batch = match batch.await {
            Ok(rows) => rows.iter().map(Released::from_row).collect::<Vec<_>>(),
            // Cancelled by a signal: that batch rolled back, and the run ends.
            Err(_) if stop.get().is_some() => break,
            Err(e) => {
                failure = Some(e.context("releasing a batch of dead rows"));
                break;
            }
        };
        let full = batch.len() as i64 == limit;
        if !args.json {
            print(&batch, args, ctx)?;
        }
        released.extend(batch);
        if !full {
            break;
        }
    }
    if args.json {
        // What committed is reported even when a later batch failed.
        print(&released, args, ctx)?;
    }
    failure.map_or(Ok(()), Err)
}

/// One line per row, or one JSON document; nothing at all when there are no rows.
fn print(rows: &[Released], args: &ReapArgs, ctx: &Ctx) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if args.json {
        ctx.printer.data(&render_json(rows, args.dry_run))?;
    } else {
        ctx.printer.data(&render_lines(rows, args.dry_run))?;
    }
    Ok(())
}

fn render_lines(rows: &[Released], dry_run: bool) -> String {
    let verb = if dry_run { "would release" } else { "released" };
    rows.iter()
        .map(|r| {
            format!(
                "{verb} {} user {} silent {}\n",
                r.task_id.as_deref().unwrap_or("NULL"),
                r.user_id.as_deref().unwrap_or("NULL"),
                r.silent_seconds.map_or("unknown (no heartbeat)".into(), |s| format!("{s}s"))
            )
        })
        .collect()
}

fn render_json(rows: &[Released], dry_run: bool) -> String {
    let released: Vec<_> = rows
        .iter()
        .map(|r| json!({"task_id": r.task_id, "user_id": r.user_id, "silent_seconds": r.silent_seconds}))
        .collect();
    let mut doc = json!({"released": released, "count": rows.len()});
    if dry_run {
        doc["dry_run"] = json!(true);
    }
    format!("{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(task: &str, silent: Option<i64>) -> Released {
        Released { task_id: Some(task.into()), user_id: Some("u1".into()), silent_seconds: silent }
    }

    #[test]
    fn one_line_per_released_task() {
        let rows = [row("t1", Some(75)), row("t2", None)];
        assert_eq!(
            render_lines(&rows, false),
            "released t1 user u1 silent 75s\nreleased t2 user u1 silent unknown (no heartbeat)\n"
        );
        assert!(render_lines(&rows, true).starts_with("would release t1"));
    }

    #[test]
    fn one_json_document_per_pass() {
        let doc: serde_json::Value = serde_json::from_str(&render_json(&[row("t1", Some(75))], false)).unwrap();
        assert_eq!(doc, json!({"released": [{"task_id": "t1", "user_id": "u1", "silent_seconds": 75}], "count": 1}));
    }
}
