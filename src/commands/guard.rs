//! `guard install | status | remove`: the trigger that enforces the lease on the table for
//! every writer (heartbeats on the database clock, writes of a task that no longer runs
//! skipped, releases always consistent; sql/guard/function.sql), and the SQL API the
//! application calls instead of writing the rows itself (claim, heartbeat, release).
//!
//! Install and remove run their statements in one transaction under the short `--lock-timeout`
//! (CREATE TRIGGER takes SHARE ROW EXCLUSIVE and DROP TRIGGER ACCESS EXCLUSIVE, and writers
//! queue behind the wait), retried with add-constraints' backoff while the lock is not
//! obtained. What is already as wanted is left alone: a current guard is not installed again,
//! an absent one not removed. Status compares definitions, not names (guard/status.sql).

use anyhow::{Context, Result};
use serde::Serialize;
use tokio_postgres::error::SqlState;

use super::add_constraints::plan::millis;
use super::{Session, Snapshot, Spec, spec};
use crate::Ctx;
use crate::cli::{GuardAction, GuardArgs, GuardChangeArgs, GuardStatusArgs};
use crate::db::queries::add_constraints::{StepBoundParams, step_bound};
use crate::db::queries::guard::{self as queries, Guard, GuardObject};
use crate::db::retry::backoff;
use crate::db::{self, Access};
use crate::error::UsageError;
use crate::exit::ExitStatus;
use crate::output::{self, human_seconds};
use crate::table::{Table, parse_name};

/// The subcommand's entry in the table of subcommands: status only reads.
pub(crate) fn spec(action: &GuardAction) -> &'static Spec {
    match action {
        GuardAction::Status(_) => &spec::GUARD_STATUS,
        GuardAction::Install(_) | GuardAction::Remove(_) => &spec::GUARD,
    }
}

/// Runs `guard`.
pub(crate) async fn run(args: GuardArgs, ctx: &Ctx) -> Result<ExitStatus> {
    match args.action {
        GuardAction::Install(change) => change_guard(Change::Install, &change, ctx).await,
        GuardAction::Remove(change) => change_guard(Change::Remove, &change, ctx).await,
        GuardAction::Status(status) => show_status(&status, ctx).await,
    }
}

/// Whether the guard is there as install makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    /// Every object exists with the definition install gives it.
    Current,
    /// Some exist, but not all, or not as install makes them.
    Outdated,
    /// None exists.
    Missing,
}

impl State {
    /// The state's name, as JSON and the reports say it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Outdated => "outdated",
            State::Missing => "missing",
        }
    }
}

/// What `guard status` (and `health`, `validate-constraints`) say of the guard.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GuardStatus {
    /// The table, as found in the catalog.
    pub(crate) table: String,
    /// The verdict.
    pub(crate) state: State,
    /// Each object.
    pub(crate) objects: Vec<GuardObject>,
}

impl GuardStatus {
    /// The status of the guard of `table` whose objects are `objects` (`guard/objects.sql`).
    pub(crate) fn of(table: &Table, objects: Vec<GuardObject>) -> GuardStatus {
        let state = if objects.iter().all(|o| o.current) {
            State::Current
        } else if objects.iter().any(|o| o.found) {
            State::Outdated
        } else {
            State::Missing
        };
        GuardStatus { table: table.display(), state, objects }
    }
}

/// A report with the guard's status beside it (`guard`, absent when it could not ask).
#[derive(Serialize)]
pub(crate) struct WithGuard<'a, R: Serialize> {
    /// The report, its keys as they are.
    #[serde(flatten)]
    pub(crate) report: &'a R,
    /// Whether the guard is installed and current.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) guard: Option<&'a GuardStatus>,
}

/// The guard's status on `table`, for functions pinned to `zone` (`--timestamp-zone`).
pub(crate) async fn check(
    client: &impl tokio_postgres::GenericClient,
    table: &Table,
    zone: &str,
) -> Result<GuardStatus> {
    let guard = Guard::new(&table.schema, &table.name, zone);
    let objects = queries::status(client, &guard).await.context("reading the guard's objects from the catalog")?;
    Ok(GuardStatus::of(table, objects))
}

/// `guard status`: exit 0 when current, 1 when missing or outdated.
async fn show_status(args: &GuardStatusArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let session = Session::open(ctx, &spec::GUARD_STATUS, Access::Read, Snapshot::ReadOnly).await?;
    let status = check(&session.client, &session.table, &ctx.global.timestamp_zone).await?;
    session.finish().await?;
    let text = if args.json { output::json(&status) } else { output::guard::status(&status, ctx.printer.style()) };
    ctx.printer.data(&text)?;
    Ok(if status.state == State::Current { ExitStatus::Success } else { ExitStatus::Problems })
}

/// Install or remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// `guard install`.
    Install,
    /// `guard remove`.
    Remove,
}

impl Change {
    /// The statements of the change.
    fn statements(self, guard: &Guard) -> Vec<db::queries::Filled> {
        match self {
            Change::Install => guard.install(),
            Change::Remove => guard.remove(),
        }
    }

    /// Whether the guard as it is needs no change.
    fn done(self, state: State) -> bool {
        match self {
            Change::Install => state == State::Current,
            Change::Remove => state == State::Missing,
        }
    }
}

/// `guard install` / `guard remove`, or their `--dry-run` / `--print-sql`.
async fn change_guard(change: Change, args: &GuardChangeArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let zone = &ctx.global.timestamp_zone;
    if args.print_sql {
        let guard = offline_guard(&ctx.global.table, zone)?;
        ctx.printer.data(&guard.script(&change.statements(&guard), &millis(ctx.global.lock_timeout)))?;
        return Ok(ExitStatus::Success);
    }
    let session = Session::open(ctx, &spec::GUARD, db::access(args.dry_run), Snapshot::None).await?;
    let (client, table) = (&session.client, &session.table);
    let guard = Guard::new(&table.schema, &table.name, zone);
    let before = check(client, table, zone).await?;
    if change.done(before.state) {
        let what = if change == Change::Install { "installed and current" } else { "not installed" };
        ctx.printer.note(&format!("the guard on {} is {what}: nothing to do", table.display()));
        ctx.printer.data(&output::guard::status(&before, ctx.printer.style()))?;
        return Ok(ExitStatus::Success);
    }
    let statements = change.statements(&guard);
    if args.dry_run {
        ctx.printer.note(&format!(
            "the guard on {} is {}: these statements would run (--dry-run: nothing runs)",
            table.display(),
            before.state.name()
        ));
        let text: Vec<String> = statements.into_iter().map(|s| format!("{};", String::from(s).trim_end())).collect();
        ctx.printer.data(&(text.join("\n\n") + "\n"))?;
        return Ok(ExitStatus::Success);
    }
    with_retries(client, &statements, args, ctx).await.with_context(|| {
        let verb = if change == Change::Install { "installing" } else { "removing" };
        format!("{verb} the guard on {}", table.display())
    })?;
    let after = check(client, table, zone).await?;
    ctx.printer.data(&output::guard::status(&after, ctx.printer.style()))?;
    Ok(if change.done(after.state) { ExitStatus::Success } else { ExitStatus::Problems })
}

/// The guard of `--table` without a connection: the name must say the schema, where the
/// functions go.
fn offline_guard(spec: &str, zone: &str) -> Result<Guard> {
    let parts = parse_name(spec)?;
    match parts.as_slice() {
        [.., schema, name] => Ok(Guard::new(schema, name, zone)),
        _ => Err(UsageError::with_hint(
            format!("--print-sql needs the table's schema, and --table {spec} does not say it"),
            format!("write it schema-qualified, e.g. --table public.{spec}: the functions are created in that schema"),
        )),
    }
}

/// Runs `statements` in one transaction bounded by `--lock-timeout`, again after a pause while
/// the lock is not obtained (SQLSTATE 55P03), at most `--retries` times.
async fn with_retries(
    client: &tokio_postgres::Client,
    statements: &[db::queries::Filled],
    args: &GuardChangeArgs,
    ctx: &Ctx,
) -> Result<()> {
    let bound = millis(ctx.global.lock_timeout);
    let mut attempt = 1;
    loop {
        let result = db::local(client, async {
            step_bound(client, &StepBoundParams { lock_timeout: &bound }).await?;
            Ok(queries::apply(client, statements).await?)
        })
        .await;
        match result {
            Err(e) if lock_not_obtained(&e) && attempt < args.retries => {
                let pause = backoff(args.retry_delay, attempt);
                ctx.printer.note(&format!(
                    "lock not available within --lock-timeout (attempt {attempt}/{}); retrying in {}",
                    args.retries,
                    human_seconds(pause.as_secs_f64())
                ));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(e) if lock_not_obtained(&e) => {
                return Err(e.context(format!(
                    "lock not obtained within --lock-timeout after {}",
                    output::count(attempt as usize, "attempt", "attempts")
                )));
            }
            other => return other,
        }
    }
}

/// Whether `e` is the lock timeout (SQLSTATE 55P03).
fn lock_not_obtained(e: &anyhow::Error) -> bool {
    crate::error::sqlstate(e) == Some(SqlState::LOCK_NOT_AVAILABLE)
}
