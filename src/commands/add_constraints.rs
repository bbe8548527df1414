//! `add-constraints`: rolls `chk_sync_state_consistency`, `uniq_user_running_sync` and
//! `uniq_task_id` out on a live table without blocking its writers.
//!
//! The data is checked first, in one scan for what the CHECK and `uniq_user_running_sync` would
//! refuse (`sql/add_constraints/data_gate.sql`); repeated task_ids are left to the
//! `uniq_task_id` build, which then runs right after the CHECK is added NOT VALID, so a duplicate
//! stops the rollout before VALIDATE and the other build (the CHECK and the INVALID index are
//! dropped again). Whatever either finds, and always under
//! `--repair` and `--dry-run`, the checks of `validate-constraints` list the rows. Then the CHECK is added
//! `NOT VALID` (a brief ACCESS EXCLUSIVE lock) and validated (SHARE UPDATE EXCLUSIVE), and the
//! unique indexes are built `CONCURRENTLY`, outside any transaction. With `--repair`, data the
//! constraints would not accept is repaired (`repair --all`) between adding the CHECK and
//! validating it: from the ADD on, no writer can commit a violating row behind the repair. Each step has its own bound
//! on its waits ([`plan::Bound`]): the ACCESS EXCLUSIVE steps run under the short `--lock-timeout`
//! and are retried with exponential backoff and jitter when their lock is not obtained
//! (SQLSTATE 55P03), since every later reader and writer queues behind them while they wait;
//! the others block no writer and wait up to `--build-wait`. When a bound runs out the command
//! stops with exit 5 and reports the state of each object.
//!
//! What exists with the right definition and is valid is skipped. An object that carries one of
//! the names with another definition stops the command before any DDL (exit 2): it is neither
//! trusted, dropped nor kept. An INVALID index is dropped concurrently and rebuilt only when, at
//! the moment of acting, no backend is still building it (a build in progress looks INVALID
//! too); while another session builds an index on the table, the command waits for it. Index
//! names are unique per schema: each table's indexes are its own (see
//! [`crate::table::own_index_name`]). On a partitioned table, an index PostgreSQL cannot
//! enforce is said so (exit 1 once the rest is in place). `--rollback` drops this table's three.
//! `--print-sql` renders the same statements as an idempotent psql script (see [`script`]).

pub(crate) mod plan;
pub(crate) mod report;
mod rollout;
pub(crate) mod script;

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, FromArgMatches};
use serde_json::Value;
use tokio_postgres::Client;

use self::plan::{
    Bounds, Step, left_out, refuse_before_ddl, rollback_plan, rollout_plan, task_index_first, with_repair,
};
use self::report::{Action, DataRefusal, DryRunPlan, RolloutSummary, Verdict, step_results};
use self::rollout::{Runner, StepRecord, Stop, builds_in_progress};
use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{AddConstraintsArgs, RepairArgs};
use crate::commands::repair;
use crate::commands::validate::{self, ValidationReport};
use crate::db::queries::add_constraints::{self as queries, IndexBuild};
use crate::db::{self};
use crate::error::UsageError;
use crate::exit::ExitStatus;
use crate::output::{self, add_constraints::build_in_progress};
use crate::prompt::{self, Answer};
use crate::table::{CHECK_NAME, ConstraintStatus, RUNNING_INDEX, TASK_INDEX, Table};

/// Sample rows per failing check when the data is refused.
const SAMPLE_LIMIT: u32 = 20;

/// Runs `add-constraints`.
pub(crate) async fn run(args: AddConstraintsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    if args.print_sql {
        // No connection: the script decides everything on the server when it runs.
        let text = script::render(&ctx.global.table, ctx.global.lock_timeout, args.build_wait)?;
        ctx.printer.data(&text)?;
        return Ok(ExitStatus::Success);
    }
    let Session { mut client, table, .. } =
        Session::open(ctx, &spec::ADD_CONSTRAINTS, db::access(args.dry_run), Snapshot::None).await?;
    refuse_before_ddl(&table, args.rollback)?;
    let in_progress = builds_in_progress(&client, &table).await?;
    note_builds(&table, &in_progress, ctx);
    let decided = if args.rollback {
        decide_rollback(&table, &args, ctx).await?
    } else {
        decide_rollout(&mut client, &table, &args, ctx).await?
    };
    let (plan, data) = match decided {
        ControlFlow::Continue(decided) => decided,
        ControlFlow::Break(status) => return Ok(status),
    };
    Apply { client: &client, table: &table, args: &args, ctx, in_progress: &in_progress }.apply(plan, &data).await
}

/// The steps of `--rollback`, once confirmed; breaks with exit 1 when the answer is no (or
/// the exit status of a signal at the question).
async fn decide_rollback(
    table: &Table,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
) -> Result<ControlFlow<ExitStatus, (Vec<Step>, DataCheck)>> {
    let plan = rollback_plan(&table.constraints);
    if !args.dry_run && !plan.is_empty() {
        match confirmed(args, table, &plan).await? {
            Answer::Yes => {}
            Answer::No => {
                ctx.printer.note("not confirmed: nothing changed");
                return Ok(ControlFlow::Break(ExitStatus::Problems));
            }
            Answer::Stopped(status) => return Ok(ControlFlow::Break(status)),
        }
    }
    Ok(ControlFlow::Continue((plan, DataCheck::default())))
}

/// The steps of the rollout and, when there are some, the check of the data they need (with
/// `--repair`, after repairing it); breaks with the exit status when the data stops the rollout.
async fn decide_rollout(
    client: &mut Client,
    table: &Table,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
) -> Result<ControlFlow<ExitStatus, (Vec<Step>, DataCheck)>> {
    let plan = rollout_plan(&table.constraints);
    for c in table.constraints.iter().filter(|c| !c.exists && c.problem.is_none()) {
        if let Some(note) = &c.note {
            ctx.printer.note(&format!("{}: {note}", c.name));
        }
    }
    if plan.is_empty() {
        return Ok(ControlFlow::Continue((plan, DataCheck::default())));
    }
    let data = match check_data(client, table, args, ctx).await? {
        ControlFlow::Continue(data) => data,
        ControlFlow::Break(status) => return Ok(ControlFlow::Break(status)),
    };
    let plan = if data.repair {
        with_repair(plan)
    } else if data.gated {
        task_index_first(plan)
    } else {
        plan
    };
    if table.one_row_per_user && plan.iter().any(|s| matches!(s, Step::CreateIndex { role: RUNNING_INDEX, .. })) {
        ctx.printer.note(&format!(
            "user_id is unique (one row per user), so {RUNNING_INDEX} is redundant; it is built all the same \
             (small: running rows only), so the guarantee does not depend on the key"
        ));
    }
    Ok(ControlFlow::Continue((plan, data)))
}

/// Says, on stderr, which other sessions are building an index on the table.
fn note_builds(table: &Table, in_progress: &[IndexBuild], ctx: &Ctx) {
    for b in in_progress {
        ctx.printer.note(&format!(
            "another session is building an index on {}: {}; syncctl waits for it (at most --build-wait) before \
             its own index steps, and drops nothing that is being built",
            table.display(),
            build_in_progress(b)
        ));
    }
}

/// What the rollout found of the data before its steps: the validation, whether the plan
/// repairs the rows (`--repair` on data the constraints would not accept), repair's JSON
/// document of `--dry-run`, and whether the one-scan check found the data clean and left
/// repeated task_ids to the `uniq_task_id` build.
#[derive(Default)]
struct DataCheck {
    /// The check of the data before any step (none when the one-scan check found it clean).
    report: Option<ValidationReport>,
    /// The one-scan check (`sql/add_constraints/data_gate.sql`) found nothing: the plan builds
    /// `uniq_task_id` first, and a duplicate it finds is reported as dirty data.
    gated: bool,
    /// The plan gets [`Step::Repair`].
    repair: bool,
    /// `repair --all --dry-run`'s document (under `--json`).
    repaired: Option<Value>,
}

/// Checks the data before the rollout. Data the constraints would not accept is refused with
/// nothing changed, unless `--repair`: the repair then becomes a step of the plan, right after
/// the CHECK is added NOT VALID ([`with_repair`]), so no violating row can be committed between
/// the repair and the check of the rows; `--dry-run` shows repair's plan of the rows as they
/// are now. Breaks with the exit status when the rollout must not go on.
async fn check_data(
    client: &mut Client,
    table: &Table,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
) -> Result<ControlFlow<ExitStatus, DataCheck>> {
    // The rollout's own steps check the data again (VALIDATE, the unique builds): on clean data,
    // one scan for what no build refuses before any DDL, and the task_ids left to their build,
    // run first. --repair and --dry-run want the rows listed: the full check, as before.
    if !args.repair && !args.dry_run {
        let gate = queries::data_gate(&*client, table).await.context("checking the data (one scan)")?;
        if gate.clean() {
            return Ok(ControlFlow::Continue(DataCheck { gated: true, ..DataCheck::default() }));
        }
    }
    let report = validation(client, table, ctx).await?;
    if report.data_ok() {
        return Ok(ControlFlow::Continue(DataCheck { report: Some(report), ..DataCheck::default() }));
    }
    if !args.repair {
        return refuse(&report, args, ctx, None).map(ControlFlow::Break);
    }
    ctx.printer.note(&format!(
        "the data would not accept the constraints: `repair --all` runs right after {CHECK_NAME} is added NOT VALID \
         (from then on it refuses new violations), before VALIDATE and the index builds read the old rows"
    ));
    if !args.dry_run {
        return Ok(ControlFlow::Continue(DataCheck { report: Some(report), repair: true, ..DataCheck::default() }));
    }
    // Under --json repair's document goes inside this command's one document.
    let run = repair::run_embedded(repair_args(args)?, ctx).await?;
    if run.status != ExitStatus::Success {
        if args.json {
            let doc = DataRefusal {
                ok: false,
                table: table.display(),
                refused: false,
                validation: None,
                repair: run.document,
            };
            ctx.printer.data(&output::json(&doc))?;
        }
        return Ok(ControlFlow::Break(run.status));
    }
    Ok(ControlFlow::Continue(DataCheck { report: Some(report), repair: true, repaired: run.document, gated: false }))
}

/// `validate-constraints`' checks of the data, in a snapshot of their own (the duplicates'
/// keys must stay valid in it), committed before the caller goes on: no build waits for it.
async fn validation(client: &mut Client, table: &Table, ctx: &Ctx) -> Result<ValidationReport> {
    let tx = db::read_only(client).await?;
    let report = validate::run_checks(&tx, table, ctx.global.heartbeat_timeout, SAMPLE_LIMIT, false).await?;
    tx.commit().await?;
    Ok(report)
}

/// [`validation`] on a shared connection (after the steps), in a transaction begun on it.
async fn validation_on(client: &Client, table: &Table, ctx: &Ctx) -> Result<ValidationReport> {
    db::settle(client, true).await?;
    match validate::run_checks(client, table, ctx.global.heartbeat_timeout, SAMPLE_LIMIT, false).await {
        Ok(report) => {
            client.batch_execute("COMMIT").await.context("committing")?;
            Ok(report)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// `repair --all` with this command's `--yes` and `--dry-run`, built through repair's own
/// flags, so the arguments keep repair's defaults whatever fields its struct grows.
fn repair_args(args: &AddConstraintsArgs) -> Result<RepairArgs> {
    let mut argv = vec!["repair", "--all"];
    if args.yes {
        argv.push("--yes");
    }
    if args.dry_run {
        argv.push("--dry-run");
    }
    if args.json {
        argv.push("--json");
    }
    let matches = RepairArgs::augment_args(clap::Command::new("repair")).try_get_matches_from(argv)?;
    Ok(RepairArgs::from_arg_matches(&matches)?)
}

/// Refuses dirty data: the validation report on stdout, exit 1, nothing changed.
fn refuse(
    report: &ValidationReport,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
    repaired: Option<Value>,
) -> Result<ExitStatus> {
    let text = if args.json {
        let validation = Some(report.clone());
        output::json(&DataRefusal {
            ok: false,
            table: report.table.clone(),
            refused: true,
            validation,
            repair: repaired,
        })
    } else {
        output::validate::table(report, ctx.printer.style())
    };
    ctx.printer.data(&text)?;
    ctx.printer.error(
        "the data would not accept the constraints; nothing was changed",
        Some("repair the rows listed (`syncctl repair --all`), or rerun with --repair"),
    );
    Ok(ExitStatus::Problems)
}

/// Asks before `--rollback` on a terminal, listing each object it drops; without one, `--yes`
/// is required.
async fn confirmed(args: &AddConstraintsArgs, table: &Table, plan: &[Step]) -> Result<Answer> {
    if args.yes {
        return Ok(Answer::Yes);
    }
    if !prompt::on_terminal() {
        return Err(UsageError::with_hint(
            "--rollback removes the constraints and there is no terminal to confirm it; nothing changed",
            "pass --yes to confirm",
        ));
    }
    let objects = output::count(plan.len(), "object", "objects");
    let steps: Vec<String> = plan.iter().map(|step| format!("  {}", step.label())).collect();
    prompt::confirm(&format!("--rollback will drop {objects} of {}:", table.display()), &steps).await
}

/// Says what the rollout leaves out, on stderr, and returns exit 1 (or `status` when there is
/// nothing to say).
fn report_left_out(table: &Table, constraints: &[ConstraintStatus], ctx: &Ctx, status: ExitStatus) -> ExitStatus {
    let out = left_out(constraints);
    if out.is_empty() {
        return status;
    }
    let lines: Vec<String> = out.into_iter().map(|(_, s)| s).collect();
    ctx.printer.error(
        &format!("not every constraint can be installed on {}:\n  {}", table.display(), lines.join("\n  ")),
        Some(
            "what can be installed is; `syncctl validate-constraints` checks the rest of the data in CI (its \
             duplicate scans run where no index guarantees them)",
        ),
    );
    ExitStatus::Problems
}

/// The step that failed: the last one recorded, when it failed.
fn failed_step<'a>(plan: &'a [Step], records: &[StepRecord]) -> Option<&'a Step> {
    records.last().filter(|r| r.status == "failed").and_then(|_| plan.get(records.len() - 1))
}

/// What the plan is applied with: the connection, the table as introspected, the command line,
/// and the other sessions' index builds seen before it.
#[derive(Clone, Copy)]
struct Apply<'a> {
    /// The connection.
    client: &'a Client,
    /// The table.
    table: &'a Table,
    /// The command line.
    args: &'a AddConstraintsArgs,
    /// The printer and the global options.
    ctx: &'a Ctx,
    /// Other sessions' index builds on the table.
    in_progress: &'a [IndexBuild],
}

impl Apply<'_> {
    /// Runs (or, under `--dry-run`, prints) the plan, then prints the summary.
    async fn apply(&self, plan: Vec<Step>, data: &DataCheck) -> Result<ExitStatus> {
        let (table, args, ctx) = (self.table, self.args, self.ctx);
        let bounds = Bounds::of(args, ctx);
        let action = Action::of(args.rollback);
        if args.dry_run {
            let report =
                DryRunPlan::new(table, &plan, action, bounds, self.in_progress.to_vec(), data.repaired.clone());
            let text = if args.json {
                output::json(&report)
            } else {
                output::add_constraints::dry_run_sql(&report, ctx.printer.style())
            };
            ctx.printer.data(&text)?;
            if args.rollback {
                return Ok(ExitStatus::Success);
            }
            return Ok(report_left_out(table, &table.constraints, ctx, ExitStatus::Success));
        }
        let started = Instant::now();
        let mut records = Vec::new();
        let runner = Runner { client: self.client, table, args, bounds, ctx, repaired: RefCell::new(None) };
        let stop = if plan.is_empty() { None } else { runner.run_steps(&plan, &mut records).await };
        if data.gated
            && matches!(stop, Some(Stop::Violation(_)))
            && failed_step(&plan, &records).is_some_and(|s| s.object() == TASK_INDEX)
        {
            // The uniq_task_id build, run first, found a repeated task_id: dirty data, refused
            // as the full check would have refused it, with the rows listed.
            if let Some(status) = self.refuse_after_build(&runner, &plan).await? {
                return Ok(status);
            }
        }
        // The state after the run, from the catalog, whatever happened.
        let after =
            Table::introspect(self.client, &ctx.global.table).await.map(|t| t.constraints).unwrap_or_else(|e| {
                ctx.printer.warn(&format!("cannot read the constraints back: {e:#}"));
                table.constraints.clone()
            });
        let message = stop.as_ref().map(|s| s.message(ctx));
        let verdict = Verdict::of(action, &after);
        let summary = RolloutSummary {
            ok: message.is_none() && verdict.done(),
            action,
            table: table.display(),
            steps: step_results(&plan, &records, &bounds),
            constraints: after,
            validation: data.report.clone(),
            seconds: started.elapsed().as_secs_f64(),
            error: message,
            repair: runner.repaired.take(),
            verdict,
            bounds,
        };
        let text = if args.json {
            output::json(&summary)
        } else {
            output::add_constraints::summary(&summary, ctx.printer.style())
        };
        ctx.printer.data(&text)?;
        self.exit_status(stop, &summary)
    }

    /// The full check of the data after the `uniq_task_id` build found a repeated task_id: the
    /// rows listed and exit 1, as before any step. Only the CHECK added NOT VALID ran before the
    /// build: it is dropped again, and so is the build's INVALID index (when a drop does not go
    /// through, says how to clean up). None when the
    /// duplicate is gone already: the summary reports the failed build then.
    async fn refuse_after_build(&self, runner: &Runner<'_>, plan: &[Step]) -> Result<Option<ExitStatus>> {
        let (table, ctx) = (self.table, self.ctx);
        let report = validation_on(self.client, table, ctx).await?;
        if report.data_ok() {
            return Ok(None);
        }
        if plan.first() == Some(&Step::AddCheck) {
            // Added NOT VALID by this run, right before the build: taken back, so the refusal
            // leaves the table as it found it.
            if runner.run_steps(&[Step::DropCheck], &mut Vec::new()).await.is_some() {
                ctx.printer.warn(&format!(
                    "{CHECK_NAME} is left in place NOT VALID (it refuses new violations): ALTER TABLE {} DROP \
                     CONSTRAINT \"{CHECK_NAME}\"; removes it (or `add-constraints --rollback`)",
                    table.quoted()
                ));
            }
        }
        let now = Table::introspect(self.client, &table.quoted()).await?;
        if let Some(c) = now.constraint(TASK_INDEX).filter(|c| c.exists && !c.valid) {
            ctx.printer.warn(&format!(
                "the failed build left {} INVALID: DROP INDEX CONCURRENTLY {}; (or rerun once the rows are repaired: it \
                 is dropped and rebuilt)",
                c.object,
                plan::qualified(&now.schema, &c.object)
            ));
        }
        refuse(&report, self.args, ctx, None).map(Some)
    }

    /// How the run ends: exit 0, 1 (something left out, a violation), 5 (a bound ran out), or
    /// the error; said on stderr.
    fn exit_status(&self, stop: Option<Stop>, summary: &RolloutSummary) -> Result<ExitStatus> {
        let (table, ctx) = (self.table, self.ctx);
        let message = summary.error.as_deref().unwrap_or_default();
        match stop {
            None if self.args.rollback => Ok(ExitStatus::Success),
            None => Ok(report_left_out(table, &summary.constraints, ctx, ExitStatus::Success)),
            Some(Stop::Lock(_, hint)) => {
                ctx.printer.error(message, Some(&hint));
                Ok(ExitStatus::LockTimeout)
            }
            Some(Stop::Violation(_)) => {
                ctx.printer.error(
                    message,
                    Some(
                        "a row written since the check violates it: `syncctl validate-constraints` lists them; \
                         repair them, then rerun (an INVALID index left behind is dropped and rebuilt)",
                    ),
                );
                Ok(ExitStatus::Problems)
            }
            Some(Stop::Declined(_, status)) => {
                ctx.printer.error(
                    message,
                    Some(
                        "rerun `syncctl add-constraints --repair` to repair the rows and finish; meanwhile the CHECK \
                         refuses new violations (`--rollback` removes it)",
                    ),
                );
                Ok(status)
            }
            Some(Stop::Other(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_gets_all_and_this_command_s_yes_and_dry_run() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["syncctl", "add-constraints", "--repair", "--yes"]).unwrap();
        let crate::cli::Command::AddConstraints(args) = cli.command else { panic!("not add-constraints") };
        let repair = repair_args(&args).unwrap();
        assert!(repair.all && repair.yes && !repair.dry_run && repair.tasks.is_empty() && !repair.zombies);
    }
}
