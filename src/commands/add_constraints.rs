//! `add-constraints`: rolls `chk_sync_state_consistency`, `uniq_user_running_sync` and
//! `uniq_task_id` out on a live table without blocking its writers.
//!
//! The data is checked first (the checks of `validate-constraints`); then the CHECK is added
//! `NOT VALID` (a brief ACCESS EXCLUSIVE lock) and validated (SHARE UPDATE EXCLUSIVE), and the
//! unique indexes are built `CONCURRENTLY`, outside any transaction. Every step runs under the
//! short `--lock-timeout` and is retried with exponential backoff and jitter when its lock is
//! not obtained (SQLSTATE 55P03); when the retries run out the command stops with exit 5 and
//! reports the state of each object. What exists and is valid is skipped; an INVALID index left
//! by an earlier failed build is dropped concurrently and rebuilt. `--rollback` drops the three.
//! `--print-sql` renders the same statements as an idempotent psql script (see [`script`]).

pub mod script;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, FromArgMatches};
use serde_json::{Value, json};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::Ctx;
use crate::cli::{AddConstraintsArgs, RepairArgs};
use crate::commands::{repair, validate};
use crate::db::sql::{Placeholders, Statement, quote_ident};
use crate::db::{self};
use crate::error::{self, UsageError};
use crate::exit::ExitStatus;
use crate::output::{self, style};
use crate::table::{CHECK_NAME, ConstraintStatus, RUNNING_INDEX, Table};

crate::statements! {
    CHECK_ADD = "add_constraints/check_add.sql";
    CHECK_VALIDATE = "add_constraints/check_validate.sql";
    CHECK_DROP = "add_constraints/check_drop.sql";
    RUNNING_INDEX_CREATE = "add_constraints/running_index_create.sql";
    TASK_INDEX_CREATE = "add_constraints/task_index_create.sql";
    INDEX_DROP = "add_constraints/index_drop.sql";
    STATEMENT_TIMEOUT_LIFT = "add_constraints/statement_timeout_lift.sql";
    SCRIPT_HEADER = "add_constraints/script_header.sql";
    SCRIPT_CHECK_GUARD = "add_constraints/script_check_guard.sql";
    SCRIPT_INDEX_GUARD = "add_constraints/script_index_guard.sql";
}

/// Sample rows per failing check when the data is refused.
const SAMPLE_LIMIT: u32 = 20;

/// The longest pause between two attempts of a step.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// One DDL statement of the rollout or the rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `ADD CONSTRAINT chk_sync_state_consistency … NOT VALID`.
    AddCheck,
    /// `VALIDATE CONSTRAINT chk_sync_state_consistency`.
    ValidateCheck,
    /// `CREATE UNIQUE INDEX CONCURRENTLY` of the named index.
    CreateIndex(&'static str),
    /// `DROP INDEX CONCURRENTLY` of the named index.
    DropIndex(&'static str),
    /// `DROP CONSTRAINT chk_sync_state_consistency`.
    DropCheck,
}

impl Step {
    /// The statement it runs.
    pub fn statement(self) -> Statement {
        match self {
            Step::AddCheck => CHECK_ADD,
            Step::ValidateCheck => CHECK_VALIDATE,
            Step::CreateIndex(RUNNING_INDEX) => RUNNING_INDEX_CREATE,
            Step::CreateIndex(_) => TASK_INDEX_CREATE,
            Step::DropIndex(_) => INDEX_DROP,
            Step::DropCheck => CHECK_DROP,
        }
    }

    /// The object it works on.
    pub fn object(self) -> &'static str {
        match self {
            Step::AddCheck | Step::ValidateCheck | Step::DropCheck => CHECK_NAME,
            Step::CreateIndex(name) | Step::DropIndex(name) => name,
        }
    }

    /// What it does, for the step list.
    pub fn label(self) -> String {
        match self {
            Step::AddCheck => format!("add {CHECK_NAME} NOT VALID"),
            Step::ValidateCheck => format!("validate {CHECK_NAME}"),
            Step::CreateIndex(name) => format!("build {name} concurrently"),
            Step::DropIndex(name) => format!("drop {name} concurrently"),
            Step::DropCheck => format!("drop {CHECK_NAME}"),
        }
    }

    /// The lock it takes on the table, and for how long.
    pub fn lock(self) -> &'static str {
        match self {
            Step::AddCheck | Step::DropCheck => "ACCESS EXCLUSIVE, a catalog change only",
            Step::ValidateCheck => "SHARE UPDATE EXCLUSIVE, one scan; readers and writers go on",
            Step::CreateIndex(_) => "SHARE UPDATE EXCLUSIVE, two scans; readers and writers go on",
            Step::DropIndex(_) => "SHARE UPDATE EXCLUSIVE; readers and writers go on",
        }
    }

    /// The statement as it runs on `p`'s table; `index` names the index of a drop (quoted and
    /// schema-qualified, or a psql variable in the script).
    fn render(self, p: &Placeholders, index: &str) -> String {
        self.statement().render(p).replace("{index}", index)
    }
}

/// The steps that take the table from its current objects to the three valid ones.
pub fn rollout_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    let mut steps = Vec::new();
    for c in constraints.iter().filter(|c| !c.valid) {
        match (c.name, c.exists) {
            (CHECK_NAME, false) => steps.extend([Step::AddCheck, Step::ValidateCheck]),
            // A NOT VALID CHECK already refuses new violations: only the old rows need a look.
            (CHECK_NAME, true) => steps.push(Step::ValidateCheck),
            (index, false) => steps.push(Step::CreateIndex(index)),
            // INVALID: IF NOT EXISTS would keep it, and REINDEX CONCURRENTLY cannot fix an
            // invalid index of a failed build reliably on every version: drop and rebuild.
            (index, true) => steps.extend([Step::DropIndex(index), Step::CreateIndex(index)]),
        }
    }
    steps
}

/// The steps that remove whichever of the three objects exist.
pub fn rollback_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    constraints
        .iter()
        .filter(|c| c.exists)
        .map(|c| if c.name == CHECK_NAME { Step::DropCheck } else { Step::DropIndex(c.name) })
        .collect()
}

/// How one step ended.
#[derive(Debug, Clone)]
struct StepRecord {
    status: &'static str,
    attempts: u32,
    seconds: f64,
}

/// Why the steps stopped before the end.
enum Stop {
    /// The lock was not obtained within the retries (exit 5).
    Lock(anyhow::Error),
    /// A row written since the check refuses the constraint (exit 1).
    Violation(anyhow::Error),
    /// Anything else (classified by the caller).
    Other(anyhow::Error),
}

impl Stop {
    /// The error behind it, as one line without secrets.
    fn message(&self, ctx: &Ctx) -> String {
        let (Stop::Lock(e) | Stop::Violation(e) | Stop::Other(e)) = self;
        crate::redact(&error::classify(e).message, &ctx.global)
    }
}

/// Runs `add-constraints`.
pub async fn run(args: AddConstraintsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    if args.print_sql {
        // No connection: the script decides everything on the server when it runs.
        let text = script::render(&ctx.global.table, ctx.global.lock_timeout)?;
        ctx.printer.data(&text)?;
        return Ok(ExitStatus::Success);
    }
    let mut client = db::connect(&ctx.global, "add-constraints").await?;
    let table = Table::introspect(&client, &ctx.global.table).await?;
    if args.rollback {
        let plan = rollback_plan(&table.constraints);
        if !args.dry_run && !plan.is_empty() && !confirmed(&args, &table)? {
            ctx.printer.note("nothing changed");
            return Ok(ExitStatus::Problems);
        }
        return apply(&client, &table, plan, &args, ctx, None).await;
    }

    let plan = rollout_plan(&table.constraints);
    if plan.is_empty() {
        return apply(&client, &table, plan, &args, ctx, None).await;
    }
    let mut report = validate::check(&mut client, ctx, SAMPLE_LIMIT, false).await?;
    if !report.data_ok() {
        if !args.repair {
            return refuse(&report, &args, ctx);
        }
        ctx.printer.note("the data would not accept the constraints: running `repair --all` first");
        let status = repair::run(repair_args(&args)?, ctx).await?;
        if status != ExitStatus::Success {
            return Ok(status);
        }
        if !args.dry_run {
            report = validate::check(&mut client, ctx, SAMPLE_LIMIT, false).await?;
            if !report.data_ok() {
                return refuse(&report, &args, ctx);
            }
        }
    }
    if table.key == [String::from("user_id")] && plan.contains(&Step::CreateIndex(RUNNING_INDEX)) {
        ctx.printer.note(&format!(
            "user_id is the primary key, so {RUNNING_INDEX} is redundant; it is built all the same \
             (small: running rows only), so the guarantee does not depend on the key"
        ));
    }
    apply(&client, &table, plan, &args, ctx, Some(&report)).await
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
fn refuse(report: &validate::Report, args: &AddConstraintsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let text = if args.json {
        let doc = json!({"ok": false, "table": report.table, "refused": true, "validation": validate::to_json(report)});
        format!("{doc:#}\n")
    } else {
        validate::render_table(report, ctx)
    };
    ctx.printer.data(&text)?;
    ctx.printer.error(
        "the data would not accept the constraints; nothing was changed",
        Some("repair the rows listed (`syncctl repair --all`), or rerun with --repair"),
    );
    Ok(ExitStatus::Problems)
}

/// Asks before `--rollback` on a terminal; without one, `--yes` is required.
fn confirmed(args: &AddConstraintsArgs, table: &Table) -> Result<bool> {
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(UsageError::with_hint(
            "--rollback removes the constraints and there is no terminal to confirm it",
            "pass --yes to confirm",
        ));
    }
    dialoguer::Confirm::new()
        .with_prompt(format!("drop the three constraints of {}?", table.display()))
        .default(false)
        .interact()
        .context("asking for confirmation")
}

/// Runs (or, under `--dry-run`, prints) the plan, then prints the summary.
async fn apply(
    client: &Client,
    table: &Table,
    plan: Vec<Step>,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
    validation: Option<&validate::Report>,
) -> Result<ExitStatus> {
    if args.dry_run {
        let text = if args.json { dry_run_json(table, &plan) } else { dry_run_sql(table, &plan, args, ctx) };
        ctx.printer.data(&text)?;
        return Ok(ExitStatus::Success);
    }
    let started = Instant::now();
    let mut records = Vec::new();
    let stop = if plan.is_empty() { None } else { run_steps(client, table, &plan, args, ctx, &mut records).await };
    // The state after the run, from the catalog, whatever happened.
    let after = Table::introspect(client, &ctx.global.table).await.map(|t| t.constraints).unwrap_or_else(|e| {
        ctx.printer.warn(&format!("cannot read the constraints back: {e:#}"));
        table.constraints.clone()
    });
    let summary = Summary { table, plan: &plan, records: &records, after: &after, rollback: args.rollback };
    let message = stop.as_ref().map(|s| s.message(ctx));
    let text = if args.json {
        summary.json(message.as_deref(), validation, started.elapsed())
    } else {
        summary.human(ctx, started.elapsed())
    };
    ctx.printer.data(&text)?;
    match stop {
        None => Ok(ExitStatus::Success),
        Some(Stop::Lock(_)) => {
            ctx.printer.error(
                message.as_deref().unwrap_or_default(),
                Some(
                    "another session holds a conflicting lock (see pg_locks / pg_stat_activity); the table is \
                     usable as it is: rerun later, or with a longer --lock-timeout or more --retries",
                ),
            );
            Ok(ExitStatus::LockTimeout)
        }
        Some(Stop::Violation(_)) => {
            ctx.printer.error(
                message.as_deref().unwrap_or_default(),
                Some(
                    "a row written since the check violates it: `syncctl validate-constraints` lists them; repair \
                     them, then rerun (an INVALID index left behind is dropped and rebuilt)",
                ),
            );
            Ok(ExitStatus::Problems)
        }
        Some(Stop::Other(e)) => Err(e),
    }
}

/// Runs the steps in order, each with its retries; stops at the first step that fails.
async fn run_steps(
    client: &Client,
    table: &Table,
    plan: &[Step],
    args: &AddConstraintsArgs,
    ctx: &Ctx,
    records: &mut Vec<StepRecord>,
) -> Option<Stop> {
    if !args.rollback
        && let Err(e) = client.batch_execute(STATEMENT_TIMEOUT_LIFT.text).await
    {
        return Some(Stop::Other(anyhow::Error::new(e).context("lifting statement_timeout for the build")));
    }
    let p = table.placeholders();
    for (n, &step) in plan.iter().enumerate() {
        ctx.printer.note(&format!("[{}/{}] {} ({}) …", n + 1, plan.len(), step.label(), step.lock()));
        let started = Instant::now();
        let (attempts, result) = with_retries(client, table, &p, step, args, ctx).await;
        let seconds = started.elapsed().as_secs_f64();
        let status = if result.is_ok() { "done" } else { "failed" };
        records.push(StepRecord { status, attempts, seconds });
        match result {
            Ok(()) => ctx.printer.note(&format!("[{}/{}] {} done in {seconds:.3}s", n + 1, plan.len(), step.label())),
            Err(e) => {
                ctx.printer.note(&format!(
                    "[{}/{}] {} failed after {seconds:.3}s ({attempts} attempts)",
                    n + 1,
                    plan.len(),
                    step.label()
                ));
                let code = sqlstate(&e);
                let e = e.context(format!("{} on {}", step.label(), table.display()));
                return Some(match code {
                    Some(c) if c == SqlState::LOCK_NOT_AVAILABLE => Stop::Lock(
                        e.context(format!("lock not obtained within --lock-timeout after {attempts} attempts")),
                    ),
                    Some(c) if c == SqlState::CHECK_VIOLATION || c == SqlState::UNIQUE_VIOLATION => Stop::Violation(e),
                    _ => Stop::Other(e),
                });
            }
        }
    }
    None
}

/// Runs one step, retrying with exponential backoff and jitter while its lock is not obtained
/// (SQLSTATE 55P03, never the message). Returns the attempts made and the last outcome.
async fn with_retries(
    client: &Client,
    table: &Table,
    p: &Placeholders,
    step: Step,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
) -> (u32, Result<()>) {
    let mut attempt = 1;
    loop {
        let result = attempt_step(client, table, p, step, attempt > 1).await;
        match result {
            Err(e) if sqlstate(&e) == Some(SqlState::LOCK_NOT_AVAILABLE) && attempt < args.retries => {
                let pause = backoff(args.retry_delay, attempt);
                ctx.printer.note(&format!(
                    "      lock not available within --lock-timeout (attempt {attempt}/{}); retrying in {:.1}s",
                    args.retries,
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(e) => {
                if let Step::CreateIndex(name) = step {
                    // Leave no half-built index behind when giving up (best effort: the same
                    // lock may stop the drop too; a rerun drops and rebuilds it then).
                    if let Err(drop) = drop_if_invalid(client, table, p, name).await {
                        let why = error::classify(&drop).message;
                        ctx.printer.warn(&format!("{name} is left INVALID ({why}); rerun to drop and rebuild it"));
                    }
                }
                return (attempt, Err(e));
            }
            Ok(()) => return (attempt, Ok(())),
        }
    }
}

/// One attempt of a step. An index build first drops an INVALID index left by the previous
/// attempt (IF NOT EXISTS would keep it), and afterwards makes sure the index is valid.
async fn attempt_step(client: &Client, table: &Table, p: &Placeholders, step: Step, retry: bool) -> Result<()> {
    let Step::CreateIndex(name) = step else {
        client.batch_execute(&step.render(p, &qualified_index(table, step.object()))).await?;
        return Ok(());
    };
    if retry {
        drop_if_invalid(client, table, p, name).await?;
    }
    client.batch_execute(&step.render(p, "")).await?;
    let now = Table::introspect(client, &p.table).await?;
    if !now.holds(name) {
        anyhow::bail!("{name} exists but is not a valid unique index after the build; drop it, then rerun");
    }
    Ok(())
}

/// Drops `name` (concurrently) if it exists and is not valid.
async fn drop_if_invalid(client: &Client, table: &Table, p: &Placeholders, name: &'static str) -> Result<()> {
    let now = Table::introspect(client, &p.table).await?;
    if now.constraints.iter().any(|c| c.name == name && c.exists && !c.valid) {
        client.batch_execute(&Step::DropIndex(name).render(p, &qualified_index(table, name))).await?;
    }
    Ok(())
}

/// The index `name` in the table's schema, quoted.
fn qualified_index(table: &Table, name: &str) -> String {
    format!("{}.{}", quote_ident(&table.schema), quote_ident(name))
}

/// The SQLSTATE of the PostgreSQL error in `err`'s chain.
fn sqlstate(err: &anyhow::Error) -> Option<SqlState> {
    err.chain().find_map(|c| c.downcast_ref::<tokio_postgres::Error>()).and_then(|e| e.code().cloned())
}

/// The pause after failed attempt `attempt` (1-based): `first` doubled per attempt, at most
/// [`MAX_RETRY_DELAY`], times a random factor in [0.5, 1.5) so that several waiting clients
/// do not retry in step.
pub fn backoff(first: Duration, attempt: u32) -> Duration {
    let base = first.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(MAX_RETRY_DELAY);
    let jitter = 0.5 + (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
    base.mul_f64(jitter)
}

/// `--dry-run`: the statements the current state needs, as SQL with their comments.
fn dry_run_sql(table: &Table, plan: &[Step], args: &AddConstraintsArgs, ctx: &Ctx) -> String {
    if plan.is_empty() {
        return format!("-- nothing to do on {}: {}\n", table.display(), describe(&table.constraints));
    }
    let p = table.placeholders();
    let mut out = format!(
        "-- syncctl add-constraints{} --dry-run on {}: {}\n-- session: lock_timeout = {}ms (--lock-timeout); each \
         step is retried up to {} times when its lock is not obtained; nothing below has run.\n",
        if args.rollback { " --rollback" } else { "" },
        table.display(),
        describe(&table.constraints),
        ctx.global.lock_timeout.as_millis(),
        args.retries,
    );
    if !args.rollback {
        out.push_str(&format!("\n{};\n", STATEMENT_TIMEOUT_LIFT.text.trim_end()));
    }
    for step in plan {
        let index = qualified_index(table, step.object());
        out.push_str(&format!("\n{};\n", step.render(&p, &index).trim_end()));
    }
    out
}

/// `--dry-run --json`: the planned steps with their statements.
fn dry_run_json(table: &Table, plan: &[Step]) -> String {
    let p = table.placeholders();
    let steps: Vec<Value> = plan
        .iter()
        .map(|step| {
            let index = qualified_index(table, step.object());
            json!({"step": step.label(), "object": step.object(), "lock": step.lock(), "status": "planned",
                   "statement": step.render(&p, &index)})
        })
        .collect();
    let doc = json!({"ok": true, "dry_run": true, "table": table.display(), "steps": steps,
                     "constraints": table.constraints});
    format!("{doc:#}\n")
}

/// `chk_sync_state_consistency missing, uniq_user_running_sync valid, …`.
fn describe(constraints: &[ConstraintStatus]) -> String {
    constraints.iter().map(|c| format!("{} {}", c.name, c.describe())).collect::<Vec<_>>().join(", ")
}

/// What the run did and where the objects stand.
struct Summary<'a> {
    table: &'a Table,
    plan: &'a [Step],
    records: &'a [StepRecord],
    after: &'a [ConstraintStatus],
    rollback: bool,
}

impl Summary<'_> {
    /// Each planned step with how it ended (`not run` after a failure).
    fn rows(&self) -> Vec<(Step, &'static str, u32, Option<f64>)> {
        self.plan
            .iter()
            .enumerate()
            .map(|(i, &step)| match self.records.get(i) {
                Some(r) => (step, r.status, r.attempts, Some(r.seconds)),
                None => (step, "not run", 0, None),
            })
            .collect()
    }

    fn done(&self) -> bool {
        if self.rollback { self.after.iter().all(|c| !c.exists) } else { self.after.iter().all(|c| c.valid) }
    }

    fn human(&self, ctx: &Ctx, elapsed: Duration) -> String {
        let mut out = String::new();
        if self.plan.is_empty() {
            let what = if self.rollback { "none of the three objects exists" } else { "the three objects are valid" };
            out.push_str(&format!("nothing to do: {what} on {}\n", self.table.display()));
        } else {
            let mut t = output::table(&["step", "result", "attempts", "time"]);
            for (step, status, attempts, seconds) in self.rows() {
                t.add_row(vec![
                    step.label(),
                    status.to_string(),
                    attempts.to_string(),
                    seconds.map_or_else(String::new, |s| format!("{s:.3}s")),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        for c in self.after {
            out.push_str(&format!("{} {}: {}\n", c.kind, c.name, c.describe()));
        }
        let verdict = match (self.done(), self.rollback) {
            (true, false) => ctx.printer.paint(style::GOOD, "the three constraints are installed and valid"),
            (true, true) => ctx.printer.paint(style::GOOD, "the three constraints are removed"),
            (false, _) => ctx.printer.paint(style::BAD, "stopped before the end: rerun to continue"),
        };
        out.push_str(&format!("{verdict} ({}, {:.3}s)\n", self.table.display(), elapsed.as_secs_f64()));
        out
    }

    fn json(&self, error: Option<&str>, validation: Option<&validate::Report>, elapsed: Duration) -> String {
        let steps: Vec<Value> = self
            .rows()
            .into_iter()
            .map(|(step, status, attempts, seconds)| {
                json!({"step": step.label(), "object": step.object(), "lock": step.lock(), "status": status,
                       "attempts": attempts, "seconds": seconds})
            })
            .collect();
        let doc = json!({
            "ok": error.is_none() && self.done(),
            "action": if self.rollback { "rollback" } else { "rollout" },
            "table": self.table.display(),
            "steps": steps,
            "constraints": self.after,
            "validation": validation.map(validate::to_json),
            "seconds": elapsed.as_secs_f64(),
            "error": error,
        });
        format!("{doc:#}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TASK_INDEX;

    fn status(name: &'static str, exists: bool, valid: bool) -> ConstraintStatus {
        let kind = if name == CHECK_NAME { "check" } else { "unique index" };
        ConstraintStatus {
            name,
            kind,
            object: name.to_string(),
            oid: None,
            exists,
            valid,
            definition: None,
            problem: None,
            note: None,
        }
    }

    #[test]
    fn the_plan_follows_the_current_state() {
        let none =
            [status(CHECK_NAME, false, false), status(RUNNING_INDEX, false, false), status(TASK_INDEX, false, false)];
        assert_eq!(
            rollout_plan(&none),
            vec![Step::AddCheck, Step::ValidateCheck, Step::CreateIndex(RUNNING_INDEX), Step::CreateIndex(TASK_INDEX)]
        );
        assert!(rollback_plan(&none).is_empty());

        let half =
            [status(CHECK_NAME, true, false), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, false)];
        assert_eq!(
            rollout_plan(&half),
            vec![Step::ValidateCheck, Step::DropIndex(TASK_INDEX), Step::CreateIndex(TASK_INDEX)]
        );
        assert_eq!(
            rollback_plan(&half),
            vec![Step::DropCheck, Step::DropIndex(RUNNING_INDEX), Step::DropIndex(TASK_INDEX)]
        );

        let all = [status(CHECK_NAME, true, true), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, true)];
        assert!(rollout_plan(&all).is_empty());
    }

    #[test]
    fn repair_gets_all_and_this_command_s_yes_and_dry_run() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from(["syncctl", "add-constraints", "--repair", "--yes"]).unwrap();
        let crate::cli::Command::AddConstraints(args) = cli.command else { panic!("not add-constraints") };
        let repair = repair_args(&args).unwrap();
        assert!(repair.all && repair.yes && !repair.dry_run && repair.tasks.is_empty() && !repair.zombies);
    }

    #[test]
    fn the_backoff_doubles_with_jitter_and_a_cap() {
        let first = Duration::from_secs(1);
        for attempt in 1..=4 {
            let base = first * (1 << (attempt - 1));
            let pause = backoff(first, attempt);
            assert!(pause >= base / 2 && pause < base * 3 / 2, "attempt {attempt}: {pause:?}");
        }
        assert!(backoff(first, 40) < MAX_RETRY_DELAY * 3 / 2);
    }

    #[test]
    fn steps_render_quoted_names() {
        let p = Placeholders { table: "\"Sync Ops\".\"user_sync_status\"".into(), key: String::new() };
        let sql = Step::DropIndex(TASK_INDEX).render(&p, "\"Sync Ops\".\"uniq_task_id\"");
        assert!(sql.ends_with("DROP INDEX CONCURRENTLY IF EXISTS \"Sync Ops\".\"uniq_task_id\"\n"), "{sql}");
        let sql = Step::CreateIndex(RUNNING_INDEX).render(&p, "");
        assert!(sql.contains("ON \"Sync Ops\".\"user_sync_status\" (\"user_id\") WHERE"), "{sql}");
    }
}
