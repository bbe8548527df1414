//! `repair`: the Priority-0 fixes. Plan, confirm, apply, without holding a lock while a person
//! decides:
//! 1. a REPEATABLE READ transaction selects the target rows with the classifier and locks them
//!    (`--lock-timeout`, else exit 5), the plan is computed ([`plan::decide`]), and it rolls
//!    back; the plan is printed, and `--dry-run` stops here;
//! 2. a terminal is asked (default no); without one, `--yes` is required (exit 2);
//! 3. a short transaction applies the changes, each conditioned on the row being the version
//!    the plan read (rows touched since are skipped and reported, exit 1) — except the running
//!    tasks named with `--task`, released as long as they still run that task — checks the
//!    changed rows against the CHECK predicate, and commits.
//!
//! No lock is held while a person reads the plan, whatever the table's key: a row version
//! (partition, ctid, xmin) names a row across transactions as exactly as a primary key does.

mod plan;

use crate::db::query::Param;
use std::cell::RefCell;
use std::io::IsTerminal;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, IsolationLevel, Transaction};

use crate::Ctx;
use crate::cli::{RepairArgs, RowFormat};
use crate::db::{self, param::TextParam};
use crate::error::UsageError;
use crate::exit::ExitStatus;
use crate::state::{Classifier, State};
use crate::table::Table;
use plan::{Applied, Outcome, Planned, Target};

pub(crate) use crate::db::queries::REPAIR_APPLY as APPLY;
pub(crate) use crate::db::queries::REPAIR_PLAN as PLAN;
pub(crate) use crate::db::queries::REPAIR_RELEASE_NAMED as RELEASE_NAMED;
pub(crate) use crate::db::queries::REPAIR_RETURNING as RETURNING;

/// How often the plan is made again when a row changed under its snapshot (SQLSTATE 40001).
const PLAN_ATTEMPTS: u32 = 3;

/// Runs `repair`.
pub async fn run(args: RepairArgs, ctx: &Ctx) -> Result<ExitStatus> {
    run_with(args, ctx, &Document::default()).await
}

/// Runs `repair` for another command (`add-constraints --repair`) and hands its JSON document
/// back instead of printing it, so that stdout holds the caller's one document.
pub async fn run_embedded(args: RepairArgs, ctx: &Ctx) -> Result<(ExitStatus, Option<Value>)> {
    let document = Document { kept: Some(RefCell::new(None)) };
    let status = run_with(args, ctx, &document).await?;
    Ok((status, document.kept.and_then(RefCell::into_inner)))
}

/// Where repair's one JSON document goes: stdout, or kept for the command that ran repair.
#[derive(Default)]
struct Document {
    kept: Option<RefCell<Option<Value>>>,
}

impl Document {
    fn emit(&self, doc: Value, ctx: &Ctx) -> Result<()> {
        match &self.kept {
            Some(cell) => {
                cell.replace(Some(doc));
                Ok(())
            }
            None => Ok(ctx.printer.data(&format!("{doc:#}\n"))?),
        }
    }
}

async fn run_with(args: RepairArgs, ctx: &Ctx, document: &Document) -> Result<ExitStatus> {
    let kinds = kinds(&args)?;
    let mut client = db::connect(&ctx.global, &crate::commands::spec::REPAIR, db::access(args.dry_run)).await?;
    let mut attempt = 1;
    loop {
        // A serialization failure can only come from the plan's lock, before anything is
        // printed or changed, so making the plan again is safe.
        match session(&mut client, &args, &kinds, ctx, document).await {
            Err(e) if attempt < PLAN_ATTEMPTS && is_serialization_failure(&e) => {
                ctx.printer.debug("a selected row changed while the plan was made; planning again");
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn is_serialization_failure(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<tokio_postgres::Error>())
        .any(|e| e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE))
}

/// The row kinds the selectors ask for (names of `sql/repair/plan.sql`'s $7). `--user` alone
/// means every problem kind of that user; `--task` alone only the named tasks.
fn kinds(args: &RepairArgs) -> Result<Vec<&'static str>> {
    let problems = || State::problems().into_iter().map(|s| s.name()).collect::<Vec<_>>();
    if args.all {
        return Ok(problems());
    }
    let asked = [
        (args.zombies, State::Zombie),
        (args.half_released, State::HalfReleased),
        (args.inconsistent, State::Inconsistent),
        (args.duplicates, State::Duplicate),
    ];
    let kinds: Vec<&str> = asked.iter().filter(|(on, _)| *on).map(|(_, s)| s.name()).collect();
    if !kinds.is_empty() || !args.tasks.is_empty() {
        return Ok(kinds);
    }
    if args.user.is_some() {
        return Ok(problems());
    }
    Err(UsageError::with_hint(
        "repair needs a selector: which rows should it repair?",
        "pass --zombies, --half-released, --inconsistent, --duplicates, --all, --task ID or --user ID \
         (add --dry-run to only see the plan)",
    ))
}

/// One plan-confirm-apply round.
async fn session(
    client: &mut Client,
    args: &RepairArgs,
    kinds: &[&str],
    ctx: &Ctx,
    document: &Document,
) -> Result<ExitStatus> {
    let tx =
        db::begin(client, IsolationLevel::RepeatableRead, false).await.context("starting the plan's transaction")?;
    let table = Table::introspect(&tx, &ctx.global.table).await?;
    crate::commands::naive_note(&table, ctx);
    let plan = make_plan(&tx, &table, args, kinds, ctx).await?;
    let format = args.output.format();
    if plan::changes(&plan) == 0 {
        tx.rollback().await?;
        show_plan(&plan, format, ctx)?;
        if format == RowFormat::Json {
            document.emit(plan::render_json(&plan, args.dry_run, Some(&Outcome::default())), ctx)?;
        }
        ctx.printer.note("nothing to repair");
        return Ok(ExitStatus::Success);
    }
    // Nothing stays locked while the plan is shown and a person decides.
    tx.rollback().await.context("ending the plan's transaction")?;
    show_plan(&plan, format, ctx)?;
    if let Some(stop) = confirm(args, &plan, &table, ctx, document).await? {
        return Ok(stop);
    }
    let tx = db::read_write(client).await?;
    finish(tx, &table, &plan, format, ctx, document).await
}

/// Selects, locks and classifies the target rows, and decides what to do with each.
async fn make_plan(
    tx: &Transaction<'_>,
    table: &Table,
    args: &RepairArgs,
    kinds: &[&str],
    ctx: &Ctx,
) -> Result<Vec<Planned>> {
    let mut classifier = Classifier::new(ctx.global.heartbeat_timeout).filter(args.user.as_deref(), None);
    if kinds.contains(&State::Duplicate.name()) {
        classifier.find_duplicates(tx, table).await?;
    }
    let tasks = TextParam(array_literal(&args.tasks));
    let kinds = kinds.to_vec();
    let mut params = classifier.bind();
    params.push(&tasks);
    params.push(&kinds);
    let rows = crate::db::query::query(tx, &table.render(&PLAN), &params).await.map_err(|e| {
        let data_exception = e.code().is_some_and(|c| c.code().starts_with("22"));
        if data_exception && !args.tasks.is_empty() {
            let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
            return UsageError::with_hint(
                format!("--task does not fit the table's task_id column: {message}"),
                "pass task ids of the column's type",
            );
        }
        classifier.explain_error(e, table).context("selecting and locking the rows to repair")
    })?;
    Ok(rows.iter().map(Target::from_row).map(plan::decide).collect())
}

/// A PostgreSQL array literal of text values (`{"a","b\"c"}`), sent as a [`TextParam`] so the
/// server parses it with the column's own array type.
fn array_literal(values: &[String]) -> String {
    let items: Vec<String> =
        values.iter().map(|v| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    format!("{{{}}}", items.join(","))
}

fn show_plan(plan: &[Planned], format: RowFormat, ctx: &Ctx) -> Result<()> {
    match format {
        RowFormat::Table if !plan.is_empty() => ctx.printer.data(&plan::render_table(plan))?,
        RowFormat::Csv => ctx.printer.data(&plan::render_csv(plan))?,
        // JSON: one document at the end, with the result.
        _ => {}
    }
    Ok(())
}

/// `Some(status)` when the plan is not to be applied: `--dry-run`, or declined.
async fn confirm(
    args: &RepairArgs,
    plan: &[Planned],
    table: &Table,
    ctx: &Ctx,
    document: &Document,
) -> Result<Option<ExitStatus>> {
    let json = args.output.format() == RowFormat::Json;
    let document = || document.emit(plan::render_json(plan, args.dry_run, None), ctx);
    if args.dry_run {
        if json {
            document()?;
        }
        ctx.printer.note("--dry-run: nothing changed");
        return Ok(Some(ExitStatus::Success));
    }
    if args.yes {
        return Ok(None);
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !terminal {
        if json {
            document()?;
        }
        return Err(UsageError::with_hint(
            "not applying the plan: there is no terminal to confirm on and --yes was not given; nothing changed",
            "review the plan, then run again with --yes (or --dry-run to only show it)",
        ));
    }
    if json {
        // The document comes at the end; the person deciding needs to see the plan now.
        crate::output::stream::stderr_line(plan::render_table(plan).trim_end());
    }
    let prompt = format!("Apply these {} changes to {}?", plan::changes(plan), table.display());
    // Never auto-confirmed (not even when CI is set): --yes is the only way around the question.
    let answer =
        tokio::task::spawn_blocking(move || dialoguer::Confirm::new().with_prompt(prompt).default(false).interact())
            .await
            .context("asking for confirmation")?
            .context("reading the answer from the terminal")?;
    if answer {
        return Ok(None);
    }
    if json {
        document()?;
    }
    ctx.printer.note("not confirmed: nothing changed");
    Ok(Some(ExitStatus::Problems))
}

/// Applies the plan in `tx`, verifies the changed rows, commits, and prints the result.
async fn finish(
    tx: Transaction<'_>,
    table: &Table,
    plan: &[Planned],
    format: RowFormat,
    ctx: &Ctx,
    document: &Document,
) -> Result<ExitStatus> {
    let outcome = apply(&tx, table, plan).await?;
    tx.commit().await.context("committing the repair")?;
    match format {
        RowFormat::Json => document.emit(plan::render_json(plan, false, Some(&outcome)), ctx)?,
        _ => ctx.printer.data(&plan::render_outcome(&outcome))?,
    }
    if outcome.skipped.is_empty() {
        return Ok(ExitStatus::Success);
    }
    ctx.printer.warn(&format!(
        "{} planned rows were left alone because they changed since the plan; run repair again to see them now",
        outcome.skipped.len()
    ));
    Ok(ExitStatus::Problems)
}

/// Applies the changes: the running tasks named with `--task` by `sql/repair/release_named.sql`,
/// every other row by its version (`sql/repair/apply.sql`). Fails (so the caller's transaction
/// rolls back) when a changed row would violate the CHECK predicate.
async fn apply(tx: &Transaction<'_>, table: &Table, plan: &[Planned]) -> Result<Outcome> {
    let changes: Vec<(&Target, &plan::Change)> =
        plan.iter().filter_map(|p| p.change.as_ref().map(|c| (&p.target, c))).collect();
    let (named, versioned): (Vec<_>, Vec<_>) = changes.iter().partition(|(t, c)| by_task(t, c));
    let mut rows = Vec::new();
    if !versioned.is_empty() {
        let planned: Vec<Value> = versioned
            .iter()
            .map(|(t, c)| {
                json!({
                    "key": t.key, "tableoid": t.tableoid, "ctid": t.ctid, "xmin": t.xmin,
                    "before_is_syncing": t.before.is_syncing, "before_progress": t.before.progress,
                    "before_updated_at": t.before.updated_at, "before_task_id": t.before.task_id,
                    "before_error_message": t.before.error_message,
                    "is_syncing": c.is_syncing, "progress": c.progress, "new_task_id": c.new_task_id,
                    "reason": c.note,
                })
            })
            .collect();
        let applied = crate::db::query::query(tx, &render(table, &APPLY), &[&Value::from(planned)])
            .await
            .context("applying the plan")?;
        rows.extend(applied);
    }
    if !named.is_empty() {
        let planned: Vec<Value> =
            named.iter().map(|(t, c)| json!({"key": t.key, "task_id": t.task_id, "reason": c.note})).collect();
        let tasks: Vec<String> = named.iter().filter_map(|(t, _)| t.task_id.clone()).collect();
        let params: [&dyn Param; 3] = [&Value::from(planned), &TextParam(array_literal(&tasks)), &table.key.is_empty()];
        let released = crate::db::query::query(tx, &render(table, &RELEASE_NAMED), &params)
            .await
            .context("releasing the tasks named with --task")?;
        rows.extend(released);
    }
    let broken: Vec<String> =
        rows.iter().filter(|r| !r.get::<_, bool>("consistent")).map(|r| r.get::<_, String>("key")).collect();
    if !broken.is_empty() {
        bail!(
            "the repaired rows with keys {} would violate chk_sync_state_consistency; rolled back, nothing changed \
             (this is a bug in syncctl: please report it with the plan)",
            broken.join(", ")
        );
    }
    let applied: Vec<Applied> = rows
        .iter()
        .map(|r| Applied {
            key: r.get("key"),
            task_id: r.get("task_id"),
            is_syncing: r.get("is_syncing"),
            progress: r.get("progress_percentage"),
            error_message: r.get("error_message"),
        })
        .collect();
    let skipped =
        changes.iter().filter(|(t, _)| !applied.iter().any(|a| a.key == t.key)).map(|(t, _)| (*t).clone()).collect();
    Ok(Outcome { applied, skipped })
}

/// An apply statement for `table`, with the RETURNING clause both share.
fn render(table: &Table, statement: &crate::db::queries::Statement) -> String {
    statement.render(&table.fill().with("returning", RETURNING.text.trim_end()))
}

/// A running task named with `--task` whose change is a plain release: it is released as long
/// as it still runs that task, however many heartbeats it wrote since the plan.
fn by_task(target: &Target, change: &plan::Change) -> bool {
    target.named
        && target.is_syncing == Some(true)
        && target.task_id.is_some()
        && !change.is_syncing
        && change.new_task_id.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_apply_statements_get_the_returning_clause() {
        let table = Table {
            schema: "public".into(),
            name: "t".into(),
            oid: 1,
            columns: Vec::new(),
            key: vec!["id".into()],
            one_row_per_user: false,
            user_hash: "hashtext".into(),
            constraints: Vec::new(),
        };
        for statement in [APPLY, RELEASE_NAMED] {
            let sql = render(&table, &statement);
            assert!(!sql.contains("{returning}") && sql.contains("AS consistent"), "{}", statement.path);
        }
    }

    #[test]
    fn array_literals_quote_every_value() {
        assert_eq!(array_literal(&[]), "{}");
        assert_eq!(array_literal(&["a".into(), "b,c".into()]), "{\"a\",\"b,c\"}");
        assert_eq!(array_literal(&["say \"hi\"\\".into()]), "{\"say \\\"hi\\\"\\\\\"}");
    }
}
