//! `repair`: the one-off fixes of the data. Plan, confirm, apply, without holding a lock while a person
//! decides:
//! 1. a REPEATABLE READ transaction selects the target rows with the classifier and locks them
//!    (`--lock-timeout`, else exit 5), the plan is computed ([`plan::decide`]), and it rolls
//!    back; the plan is printed, and `--dry-run` stops here. A selected row written by another
//!    session since the snapshot (SQLSTATE 40001), or a deadlock with one (40P01), makes the
//!    plan again after a growing, jittered pause, for as long as `--lock-timeout` allows in
//!    all; a conflict that outlasts it is exit 5, with nothing changed;
//! 2. a terminal is asked (default no); without one, `--yes` is required (exit 2);
//! 3. a short transaction applies the changes, each conditioned on the row being the version
//!    the plan read (rows touched since are skipped and reported, exit 1) — except the running
//!    tasks named with `--task`, released as long as they still run that task — checks the
//!    changed rows against the CHECK predicate, and commits.
//!
//! No lock is held while a person reads the plan, whatever the table's key: a row version
//! (partition, ctid, xmin) names a row across transactions as exactly as a primary key does.

pub(crate) mod plan;

use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, IsolationLevel, Transaction};

use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{RepairArgs, RowFormat};
use crate::commands::add_constraints::plan::flag_duration;
use crate::db;
use crate::db::queries::repair::{
    self as queries, ApplyParams, ChangedRow, NamedRelease, PlanParams, ReleaseNamedParams, Target, VersionedChange,
};
use crate::db::retry::backoff;
use crate::error::{self, Contended, UsageError};
use crate::exit::ExitStatus;
use crate::output;
use crate::prompt::{self, Answer};
use crate::state::{Classifier, State};
use crate::table::Table;
use plan::{Change, Planned};

/// The pause before the second plan when a row changed under the first one's snapshot; it
/// doubles (with jitter) on each conflict.
const FIRST_REPLAN_DELAY: Duration = Duration::from_millis(50);

/// Why a skipped row was left alone.
pub(crate) const SKIPPED_WHY: &str = "changed since the plan (touched by a live task or another session): left alone";

/// What `repair` planned and did: its JSON document as it is.
#[derive(Debug, Serialize)]
pub(crate) struct RepairReport {
    /// Every selected row, what is to change and why, in key order.
    pub(crate) plan: Vec<Planned>,
    /// `--dry-run`.
    pub(crate) dry_run: bool,
    /// What applying the plan did; null until it is applied (empty when nothing was to change).
    pub(crate) result: Option<RepairOutcome>,
}

impl RepairReport {
    /// How many rows the plan changes.
    pub(crate) fn changes(&self) -> usize {
        plan::changes(&self.plan)
    }
}

/// What applying the plan did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RepairOutcome {
    /// The rows changed, as they are now.
    pub(crate) applied: Vec<ChangedRow>,
    /// The planned rows left alone because they changed since the plan.
    pub(crate) skipped: Vec<SkippedRow>,
}

/// A planned row left alone because it changed since the plan.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SkippedRow {
    /// The planned key.
    pub(crate) key: String,
    /// user_id as the plan read it.
    pub(crate) user_id: Option<String>,
    /// task_id as the plan read it.
    pub(crate) task_id: Option<String>,
    /// Why it was left alone: [`SKIPPED_WHY`].
    pub(crate) why: &'static str,
}

impl SkippedRow {
    /// The planned row `target`, skipped.
    fn of(target: &Target) -> SkippedRow {
        SkippedRow {
            key: target.key.clone(),
            user_id: target.user_id.clone(),
            task_id: target.task_id.clone(),
            why: SKIPPED_WHY,
        }
    }
}

/// Runs `repair`.
pub(crate) async fn run(args: RepairArgs, ctx: &Ctx) -> Result<ExitStatus> {
    run_with(args, ctx, &Document::default()).await
}

/// What `repair` run for another command did.
pub(crate) struct Embedded {
    /// Its exit status.
    pub(crate) status: ExitStatus,
    /// Its JSON document (under `--json`).
    pub(crate) document: Option<Value>,
    /// The plan was shown and not confirmed: nothing was changed.
    pub(crate) declined: bool,
}

/// Runs `repair` for another command (`add-constraints --repair`) and hands its JSON document
/// back instead of printing it, so that stdout holds the caller's one document.
pub(crate) async fn run_embedded(args: RepairArgs, ctx: &Ctx) -> Result<Embedded> {
    let document = Document { kept: Some(RefCell::new(None)), declined: Cell::new(false) };
    let status = run_with(args, ctx, &document).await?;
    let declined = document.declined.get();
    Ok(Embedded { status, document: document.kept.and_then(RefCell::into_inner), declined })
}

/// Where repair's one JSON document goes: stdout, or kept for the command that ran repair.
#[derive(Default)]
struct Document {
    /// The document, kept instead of printed.
    kept: Option<RefCell<Option<Value>>>,
    /// The plan was not confirmed.
    declined: Cell<bool>,
}

impl Document {
    /// Prints the report's document, or keeps it.
    fn emit(&self, report: &RepairReport, ctx: &Ctx) -> Result<()> {
        match &self.kept {
            Some(cell) => {
                cell.replace(Some(serde_json::to_value(report)?));
                Ok(())
            }
            None => Ok(ctx.printer.data(&output::json(report))?),
        }
    }
}

/// Connects, then plans, confirms and applies, planning again when a selected row changed
/// while the plan was made, for as long as `--lock-timeout` allows in all.
async fn run_with(args: RepairArgs, ctx: &Ctx, document: &Document) -> Result<ExitStatus> {
    let kinds = kinds(&args)?;
    // The table is introspected once, before the plan's transaction (not again in each
    // attempt's snapshot): every change is conditioned on the row version the plan read, so no
    // catalog fact read earlier can make a change land on the wrong row; at worst a unique
    // index dropped in between leaves a duplicate out of this plan, for the next repair.
    let mut session = Session::open(ctx, &spec::REPAIR, db::access(args.dry_run), Snapshot::None).await?;
    let bound = ctx.global.lock_timeout;
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        // A conflict (a selected row written by a live task after the plan's snapshot, or a
        // deadlock with a writer) rolls the attempt back before anything is changed, so making
        // the plan again is safe. The writers that cause it are busy for moments at a time:
        // the pauses grow, with jitter, and all of them together stay within --lock-timeout,
        // the wait the operator allowed.
        match plan_confirm_apply(&mut session, &args, &kinds, ctx, document).await {
            Err(e) if is_conflict(&e) => {
                let pause = backoff(FIRST_REPLAN_DELAY, attempt);
                if started.elapsed() + pause > bound {
                    return Err(e.context(Contended::with_hint(
                        format!(
                            "the rows to repair kept changing while the plan was made: {} in {} ran into other \
                             sessions' writes, and --lock-timeout {} ran out; nothing was changed",
                            output::count(attempt as usize, "plan", "plans"),
                            output::human_seconds(started.elapsed().as_secs_f64()),
                            flag_duration(bound),
                        ),
                        "live tasks are writing those rows right now: rerun when the load is lower, or with a \
                         longer --lock-timeout (e.g. --lock-timeout 30s); narrowing the selection (--user, \
                         --task, one kind) also helps",
                    )));
                }
                ctx.printer.debug(&format!(
                    "a selected row changed while the plan was made; planning again in {}",
                    output::human_seconds(pause.as_secs_f64())
                ));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether `err` is a conflict with another session's writes that a new attempt can get past:
/// SQLSTATE 40001 (serialization failure: a row changed since the plan's snapshot) or 40P01
/// (deadlock detected).
fn is_conflict(err: &anyhow::Error) -> bool {
    matches!(error::sqlstate(err), Some(c) if c == SqlState::T_R_SERIALIZATION_FAILURE || c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// The problem states the selectors ask for (`{state_filter}` of `sql/repair/plan.sql`).
/// `--user` alone means every problem state of that user; `--task` alone only the named tasks.
fn kinds(args: &RepairArgs) -> Result<Vec<State>> {
    if args.all {
        return Ok(State::problems());
    }
    let asked = [
        (args.zombies, State::Zombie),
        (args.half_released, State::HalfReleased),
        (args.inconsistent, State::Inconsistent),
        (args.duplicates, State::Duplicate),
    ];
    let kinds: Vec<State> = asked.iter().filter(|(on, _)| *on).map(|(_, s)| *s).collect();
    if !kinds.is_empty() || !args.tasks.is_empty() {
        return Ok(kinds);
    }
    if args.user.is_some() {
        return Ok(State::problems());
    }
    Err(UsageError::with_hint(
        "repair needs a selector: which rows should it repair?",
        "pass --zombies, --half-released, --inconsistent, --duplicates, --all, --task ID or --user ID \
         (add --dry-run to only see the plan)",
    ))
}

/// One plan-confirm-apply round.
async fn plan_confirm_apply(
    session: &mut Session,
    args: &RepairArgs,
    kinds: &[State],
    ctx: &Ctx,
    document: &Document,
) -> Result<ExitStatus> {
    let plan = make_plan(&mut session.client, &session.table, args, kinds, ctx).await?;
    let mut report = RepairReport { plan, dry_run: args.dry_run, result: None };
    let format = args.output.format();
    show_plan(&report, format, ctx)?;
    if report.changes() == 0 {
        if format == RowFormat::Json {
            report.result = Some(RepairOutcome::default());
            document.emit(&report, ctx)?;
        }
        if report.plan.is_empty() && (args.user.is_some() || !args.tasks.is_empty()) {
            let named =
                args.tasks.iter().map(|t| format!("--task {t}")).chain(args.user.iter().map(|u| format!("--user {u}")));
            ctx.printer.note(&error::where_looked(format!(
                "nothing to repair: no row of {} matches {}",
                session.table.display(),
                named.collect::<Vec<_>>().join(" ")
            )));
        } else {
            ctx.printer.note("nothing to repair");
        }
        return Ok(ExitStatus::Success);
    }
    if let Some(stop) = confirm(args, &report, &session.table, ctx, document).await? {
        return Ok(stop);
    }
    let tx = db::read_write(&mut session.client).await?;
    finish(tx, &session.table, report, format, ctx, document).await
}

/// Step 1, in a REPEATABLE READ transaction of its own: selects, locks and classifies the
/// target rows, decides what to do with each, and rolls back, so nothing stays locked while
/// the plan is shown and a person decides.
async fn make_plan(
    client: &mut Client,
    table: &Table,
    args: &RepairArgs,
    kinds: &[State],
    ctx: &Ctx,
) -> Result<Vec<Planned>> {
    let tx =
        db::begin(client, IsolationLevel::RepeatableRead, false).await.context("starting the plan's transaction")?;
    let mut classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(args.user.as_deref(), None);
    if kinds.contains(&State::Duplicate) {
        classifier.find_duplicates(&tx, table).await?;
    }
    let targets = queries::plan(&tx, table, &classifier, &PlanParams { states: kinds, tasks: &args.tasks })
        .await
        .map_err(|e| plan_error(e, args, &classifier, table))?;
    tx.rollback().await.context("ending the plan's transaction")?;
    Ok(targets.into_iter().map(plan::decide).collect())
}

/// The plan's failure, explained: a `--task` or `--user` value the column's type cannot hold
/// is a usage error.
fn plan_error(e: tokio_postgres::Error, args: &RepairArgs, classifier: &Classifier, table: &Table) -> anyhow::Error {
    let data_exception = e.code().is_some_and(|c| c.code().starts_with("22"));
    if data_exception && !args.tasks.is_empty() {
        let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
        return UsageError::with_hint(
            format!("--task does not fit the table's task_id column: {message}"),
            "pass task ids of the column's type",
        );
    }
    classifier.explain_error(e, table).context("selecting and locking the rows to repair")
}

/// Prints the plan as a table or CSV; under JSON, nothing yet (one document at the end, with
/// the result).
fn show_plan(report: &RepairReport, format: RowFormat, ctx: &Ctx) -> Result<()> {
    match format {
        RowFormat::Table if !report.plan.is_empty() => {
            ctx.printer.data(&output::repair::plan_table(report, ctx.printer.style()))?
        }
        RowFormat::Csv => ctx.printer.data(&output::repair::plan_csv(report))?,
        _ => {}
    }
    Ok(())
}

/// `Some(status)` when the plan is not to be applied: `--dry-run`, or declined.
async fn confirm(
    args: &RepairArgs,
    report: &RepairReport,
    table: &Table,
    ctx: &Ctx,
    document: &Document,
) -> Result<Option<ExitStatus>> {
    let json = args.output.format() == RowFormat::Json;
    let emit = || if json { document.emit(report, ctx) } else { Ok(()) };
    if args.dry_run {
        emit()?;
        ctx.printer.note("--dry-run: nothing changed");
        return Ok(Some(ExitStatus::Success));
    }
    if args.yes {
        return Ok(None);
    }
    if !prompt::on_terminal() {
        emit()?;
        return Err(UsageError::with_hint(
            "not applying the plan: there is no terminal to confirm on and --yes was not given; nothing changed",
            "review the plan, then run again with --yes (or --dry-run to only show it)",
        ));
    }
    // The plan table is what will be done; when it went elsewhere than the terminal (a file,
    // or the JSON document that comes at the end), the question shows it.
    let plan: Vec<String> = match json || !std::io::stdout().is_terminal() {
        true => output::repair::plan_table(report, ctx.printer.style_err()).lines().map(String::from).collect(),
        false => Vec::new(),
    };
    let changes = output::count(report.changes(), "row", "rows");
    let summary = match plan.is_empty() {
        true => format!("repair will change {changes} of {}, as the plan above says", table.display()),
        false => format!("repair will change {changes} of {}:", table.display()),
    };
    match prompt::confirm(&summary, &plan).await? {
        Answer::Yes => Ok(None),
        Answer::No => {
            document.declined.set(true);
            emit()?;
            ctx.printer.note("not confirmed: nothing changed");
            Ok(Some(ExitStatus::Problems))
        }
        Answer::Stopped(status) => Ok(Some(status)),
    }
}

/// Step 2: applies the plan in `tx`, verifies the changed rows, commits, and prints the result.
async fn finish(
    tx: Transaction<'_>,
    table: &Table,
    mut report: RepairReport,
    format: RowFormat,
    ctx: &Ctx,
    document: &Document,
) -> Result<ExitStatus> {
    let outcome = apply(&tx, table, &report.plan).await?;
    tx.commit().await.context("committing the repair")?;
    let skipped = outcome.skipped.len();
    match format {
        RowFormat::Json => {
            report.result = Some(outcome);
            document.emit(&report, ctx)?;
        }
        _ => ctx.printer.data(&output::repair::outcome(&outcome, ctx.printer.style()))?,
    }
    if skipped == 0 {
        return Ok(ExitStatus::Success);
    }
    ctx.printer.warn(&format!(
        "{skipped} planned rows were left alone because they changed since the plan; run repair again to see them now"
    ));
    Ok(ExitStatus::Problems)
}

/// Applies the changes: the running tasks named with `--task` by `sql/repair/release_named.sql`,
/// every other row by its version (`sql/repair/apply.sql`). Fails (so the caller's transaction
/// rolls back) when a changed row would violate the CHECK predicate.
async fn apply(tx: &Transaction<'_>, table: &Table, plan: &[Planned]) -> Result<RepairOutcome> {
    let changes: Vec<(&Target, &Change)> =
        plan.iter().filter_map(|p| p.change.as_ref().map(|c| (&p.target, c))).collect();
    let (named, versioned): (Vec<_>, Vec<_>) = changes.iter().partition(|(t, c)| by_task(t, c));
    let mut rows = Vec::new();
    if !versioned.is_empty() {
        let changes = versioned
            .iter()
            .map(|(t, c)| VersionedChange::of(t, c.is_syncing, c.progress, c.new_task_id.as_deref(), c.note.as_deref()))
            .collect();
        rows.extend(queries::apply(tx, table, &ApplyParams { changes }).await.context("applying the plan")?);
    }
    if !named.is_empty() {
        let releases = named
            .iter()
            .map(|(t, c)| NamedRelease {
                key: &t.key,
                task_id: t.task_id.as_deref().unwrap_or_default(),
                reason: c.note.as_deref(),
            })
            .collect();
        let released = queries::release_named(tx, table, &ReleaseNamedParams { releases })
            .await
            .context("releasing the tasks named with --task")?;
        rows.extend(released);
    }
    let broken: Vec<&str> = rows.iter().filter(|r| !r.consistent).map(|r| r.key.as_str()).collect();
    if !broken.is_empty() {
        bail!(
            "the repaired rows with keys {} would violate chk_sync_state_consistency; rolled back, nothing changed \
             (this is a bug in syncctl: please report it with the plan)",
            broken.join(", ")
        );
    }
    let skipped =
        changes.iter().filter(|(t, _)| !rows.iter().any(|a| a.key == t.key)).map(|(t, _)| SkippedRow::of(t)).collect();
    Ok(RepairOutcome { applied: rows, skipped })
}

/// A running task named with `--task` whose change is a plain release: it is released as long
/// as it still runs that task, however many heartbeats it wrote since the plan.
fn by_task(target: &Target, change: &Change) -> bool {
    target.named
        && target.is_syncing == Some(true)
        && target.task_id.is_some()
        && !change.is_syncing
        && change.new_task_id.is_none()
}
