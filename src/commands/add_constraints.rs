//! `add-constraints`: rolls `chk_sync_state_consistency`, `uniq_user_running_sync` and
//! `uniq_task_id` out on a live table without blocking its writers.
//!
//! The data is checked first (the checks of `validate-constraints`); then the CHECK is added
//! `NOT VALID` (a brief ACCESS EXCLUSIVE lock) and validated (SHARE UPDATE EXCLUSIVE), and the
//! unique indexes are built `CONCURRENTLY`, outside any transaction. Each step has its own bound
//! on its waits ([`Bound`]): the ACCESS EXCLUSIVE steps run under the short `--lock-timeout`
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
use crate::db::queries::{Fill, Statement, quote_ident};
use crate::db::{self};
use crate::error::{self, UsageError};
use crate::exit::ExitStatus;
use crate::output::{self, style};
use crate::table::{CHECK_NAME, CHECK_PREDICATE, ConstraintStatus, Problem, RUNNING_INDEX, Table};

pub(crate) use crate::db::queries::ADD_BUILDS as BUILDS;
pub(crate) use crate::db::queries::ADD_CHECK_ADD as CHECK_ADD;
pub(crate) use crate::db::queries::ADD_CHECK_DROP as CHECK_DROP;
pub(crate) use crate::db::queries::ADD_CHECK_VALIDATE as CHECK_VALIDATE;
pub(crate) use crate::db::queries::ADD_INDEX_DROP as INDEX_DROP;
pub(crate) use crate::db::queries::ADD_RUNNING_INDEX_CREATE as RUNNING_INDEX_CREATE;
pub(crate) use crate::db::queries::ADD_SCRIPT_BUILD_WAIT as SCRIPT_BUILD_WAIT;
pub(crate) use crate::db::queries::ADD_SCRIPT_CHECK_GUARD as SCRIPT_CHECK_GUARD;
pub(crate) use crate::db::queries::ADD_SCRIPT_HEADER as SCRIPT_HEADER;
pub(crate) use crate::db::queries::ADD_SCRIPT_INDEX_GUARD as SCRIPT_INDEX_GUARD;
pub(crate) use crate::db::queries::ADD_SCRIPT_LOCK_WAIT as SCRIPT_LOCK_WAIT;
pub(crate) use crate::db::queries::ADD_STATEMENT_TIMEOUT_LIFT as STATEMENT_TIMEOUT_LIFT;
pub(crate) use crate::db::queries::ADD_STEP_BOUND as STEP_BOUND;
pub(crate) use crate::db::queries::ADD_TASK_INDEX_CREATE as TASK_INDEX_CREATE;

/// Sample rows per failing check when the data is refused.
const SAMPLE_LIMIT: u32 = 20;

/// The longest pause between two attempts of a step.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);

/// The longest pause between two looks at another session's index build.
const MAX_BUILD_POLL: Duration = Duration::from_secs(5);

/// One DDL statement of the rollout or the rollback. An index step names the index as it is
/// (or will be) called on this table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `ADD CONSTRAINT chk_sync_state_consistency … NOT VALID`.
    AddCheck,
    /// `VALIDATE CONSTRAINT chk_sync_state_consistency`.
    ValidateCheck,
    /// `CREATE UNIQUE INDEX CONCURRENTLY` of the index of `role`, named `name`.
    CreateIndex { role: &'static str, name: String },
    /// `DROP INDEX CONCURRENTLY` of the index of `role`, named `name`.
    DropIndex { role: &'static str, name: String },
    /// `DROP CONSTRAINT chk_sync_state_consistency`.
    DropCheck,
}

/// Which bound a step's waits have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `--lock-timeout` per attempt, `--retries` attempts: the step takes ACCESS EXCLUSIVE, and
    /// while it waits every later reader and writer queues behind it.
    Lock,
    /// `--build-wait`, one attempt: the step takes SHARE UPDATE EXCLUSIVE, which no writer
    /// conflicts with or queues behind, and waits for older transactions and snapshots.
    Build,
}

/// The bounds in effect: `--lock-timeout`, `--retries`, `--build-wait`.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// `--lock-timeout`.
    pub lock_timeout: Duration,
    /// `--retries`.
    pub retries: u32,
    /// `--build-wait`.
    pub build_wait: Duration,
}

impl Bounds {
    fn of(args: &AddConstraintsArgs, ctx: &Ctx) -> Bounds {
        Bounds { lock_timeout: ctx.global.lock_timeout, retries: args.retries, build_wait: args.build_wait }
    }

    /// The lock_timeout a step runs with.
    pub fn timeout(&self, bound: Bound) -> Duration {
        match bound {
            Bound::Lock => self.lock_timeout,
            Bound::Build => self.build_wait,
        }
    }

    /// How many attempts a step gets.
    pub fn attempts(&self, bound: Bound) -> u32 {
        match bound {
            Bound::Lock => self.retries,
            Bound::Build => 1,
        }
    }

    /// `--lock-timeout 2s, 5 attempts` / `--build-wait 10m`.
    pub fn describe(&self, bound: Bound) -> String {
        match bound {
            Bound::Lock => format!("--lock-timeout {}, {} attempts", human(self.lock_timeout), self.retries),
            Bound::Build => format!("--build-wait {}", human(self.build_wait)),
        }
    }
}

/// A duration as the flags write it (`2s`, `10m`, `1500ms`).
fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

/// `1500ms`, as lock_timeout reads it.
fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

impl Step {
    /// The statement it runs.
    pub fn statement(&self) -> Statement {
        match self {
            Step::AddCheck => CHECK_ADD,
            Step::ValidateCheck => CHECK_VALIDATE,
            Step::CreateIndex { role: RUNNING_INDEX, .. } => RUNNING_INDEX_CREATE,
            Step::CreateIndex { .. } => TASK_INDEX_CREATE,
            Step::DropIndex { .. } => INDEX_DROP,
            Step::DropCheck => CHECK_DROP,
        }
    }

    /// The object it works on (its role).
    pub fn object(&self) -> &'static str {
        match self {
            Step::AddCheck | Step::ValidateCheck | Step::DropCheck => CHECK_NAME,
            Step::CreateIndex { role, .. } | Step::DropIndex { role, .. } => role,
        }
    }

    /// What it does, for the step list.
    pub fn label(&self) -> String {
        match self {
            Step::AddCheck => format!("add {CHECK_NAME} NOT VALID"),
            Step::ValidateCheck => format!("validate {CHECK_NAME}"),
            Step::CreateIndex { name, .. } => format!("build {name} concurrently"),
            Step::DropIndex { name, .. } => format!("drop {name} concurrently"),
            Step::DropCheck => format!("drop {CHECK_NAME}"),
        }
    }

    /// The lock it takes on the table, and for how long.
    pub fn lock(&self) -> &'static str {
        match self {
            Step::AddCheck | Step::DropCheck => "ACCESS EXCLUSIVE, a catalog change only",
            Step::ValidateCheck => "SHARE UPDATE EXCLUSIVE, one scan; readers and writers go on",
            Step::CreateIndex { .. } => "SHARE UPDATE EXCLUSIVE, two scans; readers and writers go on",
            Step::DropIndex { .. } => "SHARE UPDATE EXCLUSIVE; readers and writers go on",
        }
    }

    /// The bound on its waits.
    pub fn bound(&self) -> Bound {
        match self {
            Step::AddCheck | Step::DropCheck => Bound::Lock,
            Step::ValidateCheck | Step::CreateIndex { .. } | Step::DropIndex { .. } => Bound::Build,
        }
    }

    /// The statement as it runs on `table` (quoted, schema-qualified) in `schema`: a build names
    /// its index (quoted), a drop the index in the schema (quoted, qualified).
    fn render(&self, fill: &Fill, schema: &str) -> String {
        let index = match self {
            Step::CreateIndex { name, .. } => quote_ident(name),
            Step::DropIndex { name, .. } => qualified(schema, name),
            _ => String::new(),
        };
        self.statement().render(&fill.clone().with("index", index))
    }
}

/// `"schema"."name"`.
fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// The steps that take the table from its current objects to the three valid ones. Objects
/// with a problem (wrong definition, not enforceable, no name, partitioned) get none: the
/// command says why instead.
pub fn rollout_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    let mut steps = Vec::new();
    for c in constraints.iter().filter(|c| !c.valid && c.problem.is_none()) {
        let (role, name) = (c.name, c.object.clone());
        match (c.name, c.exists) {
            (CHECK_NAME, false) => steps.extend([Step::AddCheck, Step::ValidateCheck]),
            // A NOT VALID CHECK already refuses new violations: only the old rows need a look.
            (CHECK_NAME, true) => steps.push(Step::ValidateCheck),
            (_, false) => steps.push(Step::CreateIndex { role, name }),
            // INVALID: IF NOT EXISTS would keep it, and REINDEX CONCURRENTLY cannot fix an
            // invalid index of a failed build reliably on every version: drop and rebuild. The
            // drop decides again when it runs (a build in progress is INVALID too).
            (_, true) => steps.extend([Step::DropIndex { role, name: name.clone() }, Step::CreateIndex { role, name }]),
        }
    }
    steps
}

/// The steps that remove whichever of this table's three objects exist.
pub fn rollback_plan(constraints: &[ConstraintStatus]) -> Vec<Step> {
    constraints
        .iter()
        .filter(|c| c.exists)
        .map(|c| {
            if c.name == CHECK_NAME {
                Step::DropCheck
            } else {
                Step::DropIndex { role: c.name, name: c.object.clone() }
            }
        })
        .collect()
}

/// Objects the command cannot go past before any DDL (exit 2): a wrong definition (never
/// trusted, dropped or kept, in a rollout or a rollback), or, for a rollout, no name left for an
/// index. The message names each object, its definition and what it should be; the hint, the
/// statements that move it aside.
fn refuse_before_ddl(table: &Table, rollback: bool) -> Result<()> {
    let mut objects = Vec::new();
    let mut statements = Vec::new();
    for c in &table.constraints {
        match &c.problem {
            Some(Problem::WrongDefinition(why)) => {
                objects.push(format!(
                    "  {} {} on {}: wrong definition: {}\n    {why}",
                    c.kind,
                    c.object,
                    table.display(),
                    c.definition.as_deref().unwrap_or("?")
                ));
                if c.name == CHECK_NAME {
                    objects.push(format!("    it should be CHECK ({CHECK_PREDICATE})"));
                }
                let t = table.quoted();
                if c.name == CHECK_NAME {
                    statements.push(format!(
                        "ALTER TABLE {t} RENAME CONSTRAINT {} TO {};  or  ALTER TABLE {t} DROP CONSTRAINT {};",
                        quote_ident(&c.object),
                        quote_ident(&format!("{}_old", c.object)),
                        quote_ident(&c.object)
                    ));
                } else {
                    let index = qualified(&table.schema, &c.object);
                    statements.push(format!(
                        "ALTER INDEX {index} RENAME TO {};  or  DROP INDEX CONCURRENTLY {index};",
                        quote_ident(&format!("{}_old", c.object))
                    ));
                }
            }
            Some(Problem::NameTaken(why)) if !rollback => {
                objects.push(format!("  unique index {}: no name for it: {why}", c.name));
            }
            _ => {}
        }
    }
    if objects.is_empty() {
        return Ok(());
    }
    let mut hint = String::from(
        "syncctl neither trusts, drops nor keeps an object it did not make: look at what uses it, then move it aside \
         and rerun:",
    );
    for s in &statements {
        hint.push_str(&format!("\n    {s}"));
    }
    Err(UsageError::with_hint(
        format!(
            "nothing was changed: objects on {} carry the rollout's names but not its definitions:\n{}",
            table.display(),
            objects.join("\n")
        ),
        hint,
    ))
}

/// The objects the rollout leaves out because PostgreSQL cannot enforce them here, or syncctl
/// cannot build them on a partitioned table: (role, what to say).
fn left_out(constraints: &[ConstraintStatus]) -> Vec<(&'static str, String)> {
    constraints
        .iter()
        .filter_map(|c| match &c.problem {
            Some(Problem::NotEnforceable(why)) => {
                Some((c.name, format!("PostgreSQL cannot enforce {}: {why}", c.name)))
            }
            Some(Problem::PartitionedBuild(why)) => {
                Some((c.name, format!("syncctl cannot build {} here without blocking writers: {why}", c.name)))
            }
            _ => None,
        })
        .collect()
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

/// An index build in progress on the table by another backend.
#[derive(Debug, Clone)]
struct Build {
    pid: i32,
    index_oid: Option<u32>,
    index_name: Option<String>,
    phase: String,
}

impl Build {
    /// `pid 1234 (building uniq_task_id: waiting for old snapshots)`.
    fn describe(&self) -> String {
        let what = self.index_name.as_deref().unwrap_or("an index");
        format!("pid {} (building {what}: {})", self.pid, self.phase)
    }
}

/// The other backends' index builds on `table`, now.
async fn builds(client: &Client, table: &Table) -> Result<Vec<Build>> {
    let rows = crate::db::query::query(client, BUILDS.text, &[&table.oid])
        .await
        .context("reading pg_stat_progress_create_index")?;
    Ok(rows
        .iter()
        .map(|r| Build {
            pid: r.get("pid"),
            index_oid: r.get("index_oid"),
            index_name: r.get("index_name"),
            phase: r.get("phase"),
        })
        .collect())
}

/// How one step ended.
#[derive(Debug, Clone)]
struct StepRecord {
    status: &'static str,
    attempts: u32,
    /// None for a step that did not run.
    seconds: Option<f64>,
    note: Option<String>,
}

/// Why the steps stopped before the end.
enum Stop {
    /// A lock, an old transaction or another session's build outlasted its bound (exit 5);
    /// with what to do about it.
    Lock(anyhow::Error, String),
    /// A row written since the check refuses the constraint (exit 1).
    Violation(anyhow::Error),
    /// Anything else (classified by the caller).
    Other(anyhow::Error),
}

impl Stop {
    /// The error behind it, as one line without secrets.
    fn message(&self, ctx: &Ctx) -> String {
        let (Stop::Lock(e, _) | Stop::Violation(e) | Stop::Other(e)) = self;
        crate::redact(&error::classify(e).message, &ctx.global)
    }
}

/// Runs `add-constraints`.
pub async fn run(args: AddConstraintsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    if args.print_sql {
        // No connection: the script decides everything on the server when it runs.
        let text = script::render(&ctx.global.table, ctx.global.lock_timeout, args.build_wait)?;
        ctx.printer.data(&text)?;
        return Ok(ExitStatus::Success);
    }
    let mut client =
        db::connect(&ctx.global, &crate::commands::spec::ADD_CONSTRAINTS, db::access(args.dry_run)).await?;
    let table = Table::introspect(&client, &ctx.global.table).await?;
    refuse_before_ddl(&table, args.rollback)?;
    let in_progress = builds(&client, &table).await?;
    for b in &in_progress {
        ctx.printer.note(&format!(
            "another session is building an index on {}: {}; syncctl waits for it (at most --build-wait) before \
             its own index steps, and drops nothing that is being built",
            table.display(),
            b.describe()
        ));
    }
    if args.rollback {
        let plan = rollback_plan(&table.constraints);
        if !args.dry_run && !plan.is_empty() && !confirmed(&args, &table)? {
            ctx.printer.note("nothing changed");
            return Ok(ExitStatus::Problems);
        }
        return apply(&client, &table, plan, &args, ctx, DataCheck::default(), &in_progress).await;
    }

    let plan = rollout_plan(&table.constraints);
    for c in table.constraints.iter().filter(|c| !c.exists && c.problem.is_none()) {
        if let Some(note) = &c.note {
            ctx.printer.note(&format!("{}: {note}", c.name));
        }
    }
    if plan.is_empty() {
        return apply(&client, &table, plan, &args, ctx, DataCheck::default(), &in_progress).await;
    }
    let mut report = validate::check(&mut client, ctx, SAMPLE_LIMIT, false).await?;
    let mut repaired = None;
    if !report.data_ok() {
        if !args.repair {
            return refuse(&report, &args, ctx, None);
        }
        ctx.printer.note("the data would not accept the constraints: running `repair --all` first");
        // Under --json repair's document goes inside this command's one document.
        let (status, doc) = repair::run_embedded(repair_args(&args)?, ctx).await?;
        repaired = doc;
        if status != ExitStatus::Success {
            if args.json {
                let doc = json!({"ok": false, "table": table.display(), "refused": false});
                ctx.printer.data(&document(doc, repaired.as_ref()))?;
            }
            return Ok(status);
        }
        if !args.dry_run {
            report = validate::check(&mut client, ctx, SAMPLE_LIMIT, false).await?;
            if !report.data_ok() {
                return refuse(&report, &args, ctx, repaired.as_ref());
            }
        }
    }
    if table.one_row_per_user && plan.iter().any(|s| matches!(s, Step::CreateIndex { role: RUNNING_INDEX, .. })) {
        ctx.printer.note(&format!(
            "user_id is unique (one row per user), so {RUNNING_INDEX} is redundant; it is built all the same \
             (small: running rows only), so the guarantee does not depend on the key"
        ));
    }
    apply(
        &client,
        &table,
        plan,
        &args,
        ctx,
        DataCheck { report: Some(&report), repaired: repaired.as_ref() },
        &in_progress,
    )
    .await
}

/// What the rollout found of the data before its steps: the validation, and repair's JSON
/// document when `--repair` ran it.
#[derive(Default, Clone, Copy)]
struct DataCheck<'a> {
    report: Option<&'a validate::Report>,
    repaired: Option<&'a Value>,
}

/// One JSON document for stdout: `doc`, with repair's own document under `"repair"` when
/// `--repair` ran it.
fn document(mut doc: Value, repaired: Option<&Value>) -> String {
    if let (Some(fields), Some(repaired)) = (doc.as_object_mut(), repaired) {
        fields.insert("repair".into(), repaired.clone());
    }
    format!("{doc:#}\n")
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
    report: &validate::Report,
    args: &AddConstraintsArgs,
    ctx: &Ctx,
    repaired: Option<&Value>,
) -> Result<ExitStatus> {
    let text = if args.json {
        let doc = json!({"ok": false, "table": report.table, "refused": true, "validation": validate::to_json(report)});
        document(doc, repaired)
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
    data: DataCheck<'_>,
    in_progress: &[Build],
) -> Result<ExitStatus> {
    let bounds = Bounds::of(args, ctx);
    if args.dry_run {
        let text = if args.json {
            document(dry_run_json(table, &plan, &bounds, in_progress), data.repaired)
        } else {
            dry_run_sql(table, &plan, args, &bounds, in_progress)
        };
        ctx.printer.data(&text)?;
        if args.rollback {
            return Ok(ExitStatus::Success);
        }
        return Ok(report_left_out(table, &table.constraints, ctx, ExitStatus::Success));
    }
    let started = Instant::now();
    let mut records = Vec::new();
    let stop =
        if plan.is_empty() { None } else { run_steps(client, table, &plan, args, &bounds, ctx, &mut records).await };
    // The state after the run, from the catalog, whatever happened.
    let after = Table::introspect(client, &ctx.global.table).await.map(|t| t.constraints).unwrap_or_else(|e| {
        ctx.printer.warn(&format!("cannot read the constraints back: {e:#}"));
        table.constraints.clone()
    });
    let summary =
        Summary { table, plan: &plan, records: &records, after: &after, rollback: args.rollback, bounds: &bounds };
    let message = stop.as_ref().map(|s| s.message(ctx));
    let text = if args.json {
        document(summary.json(message.as_deref(), data.report, started.elapsed()), data.repaired)
    } else {
        summary.human(ctx, started.elapsed())
    };
    ctx.printer.data(&text)?;
    match stop {
        None if args.rollback => Ok(ExitStatus::Success),
        None => Ok(report_left_out(table, &after, ctx, ExitStatus::Success)),
        Some(Stop::Lock(_, hint)) => {
            ctx.printer.error(message.as_deref().unwrap_or_default(), Some(&hint));
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

/// How a step that ran to its end ended.
enum Done {
    /// It ran its statement.
    Ran,
    /// It found nothing to do when the moment came (why).
    Skipped(String),
}

/// Runs the steps in order, each under its bound; stops at the first step that fails.
async fn run_steps(
    client: &Client,
    table: &Table,
    plan: &[Step],
    args: &AddConstraintsArgs,
    bounds: &Bounds,
    ctx: &Ctx,
    records: &mut Vec<StepRecord>,
) -> Option<Stop> {
    for (n, step) in plan.iter().enumerate() {
        let bound = step.bound();
        ctx.printer.note(&format!(
            "[{}/{}] {} ({}; waits at most {}) …",
            n + 1,
            plan.len(),
            step.label(),
            step.lock(),
            bounds.describe(bound)
        ));
        let started = Instant::now();
        let (attempts, result) = with_retries(client, table, step, args, bounds, ctx).await;
        let seconds = started.elapsed().as_secs_f64();
        let prefix = format!("[{}/{}] {}", n + 1, plan.len(), step.label());
        match result {
            Ok(Done::Ran) => {
                records.push(StepRecord { status: "done", attempts, seconds: Some(seconds), note: None });
                ctx.printer.note(&format!("{prefix} done in {seconds:.3}s"));
            }
            Ok(Done::Skipped(why)) => {
                ctx.printer.note(&format!("{prefix} skipped: {why}"));
                records.push(StepRecord { status: "skipped", attempts, seconds: Some(seconds), note: Some(why) });
            }
            Err(stop) => {
                records.push(StepRecord { status: "failed", attempts, seconds: Some(seconds), note: None });
                let plural = if attempts == 1 { "" } else { "s" };
                ctx.printer.note(&format!("{prefix} failed after {seconds:.3}s ({attempts} attempt{plural})"));
                return Some(stop);
            }
        }
    }
    None
}

/// Runs one step under its bound, retrying a [`Bound::Lock`] step with exponential backoff and
/// jitter while its lock is not obtained (SQLSTATE 55P03, never the message). Returns the
/// attempts made and the outcome.
async fn with_retries(
    client: &Client,
    table: &Table,
    step: &Step,
    args: &AddConstraintsArgs,
    bounds: &Bounds,
    ctx: &Ctx,
) -> (u32, Result<Done, Stop>) {
    let bound = step.bound();
    let attempts = bounds.attempts(bound);
    let mut attempt = 1;
    loop {
        let result = attempt_step(client, table, step, args.rollback, bounds, ctx).await;
        match result {
            Err(StepError::Sql(e)) if sqlstate(&e) == Some(SqlState::LOCK_NOT_AVAILABLE) && attempt < attempts => {
                let pause = backoff(args.retry_delay, attempt);
                ctx.printer.note(&format!(
                    "      lock not available within --lock-timeout (attempt {attempt}/{attempts}); retrying in {:.1}s",
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
                attempt += 1;
            }
            Err(StepError::Sql(e)) => {
                if let Step::CreateIndex { role, .. } = step {
                    // Leave no half-built index behind when giving up (best effort, under the
                    // short lock timeout: the same wait may stop the drop too, and a rerun drops
                    // and rebuilds it then).
                    if let Err(drop) = drop_if_invalid(client, table, role, bounds, ctx).await {
                        let why = error::classify(&drop).message;
                        ctx.printer.warn(&format!("{role} is left INVALID ({why}); rerun to drop and rebuild it"));
                    }
                }
                return (attempt, Err(classify_failure(e, step, table, attempt, bounds)));
            }
            Err(StepError::Stop(stop)) => return (attempt, Err(stop)),
            Ok(done) => return (attempt, Ok(done)),
        }
    }
}

/// Why one attempt of a step failed.
enum StepError {
    /// A statement failed: retried or classified by its SQLSTATE.
    Sql(anyhow::Error),
    /// The step decided to stop (another session's build outlasted the bound; a wrong
    /// definition appeared).
    Stop(Stop),
}

impl From<anyhow::Error> for StepError {
    fn from(e: anyhow::Error) -> StepError {
        StepError::Sql(e)
    }
}

impl From<tokio_postgres::Error> for StepError {
    fn from(e: tokio_postgres::Error) -> StepError {
        StepError::Sql(e.into())
    }
}

/// The stop of a step whose statement failed with `e`.
fn classify_failure(e: anyhow::Error, step: &Step, table: &Table, attempts: u32, bounds: &Bounds) -> Stop {
    let code = sqlstate(&e);
    let e = e.context(format!("{} on {}", step.label(), table.display()));
    match code {
        // 57014: the client cancelled a concurrent step at its bound (run_bounded).
        Some(c) if c == SqlState::LOCK_NOT_AVAILABLE || c == SqlState::QUERY_CANCELED => match step.bound() {
            Bound::Lock => Stop::Lock(
                e.context(format!("lock not obtained within --lock-timeout after {attempts} attempts")),
                "another session holds a conflicting lock (see pg_locks / pg_stat_activity); the table is usable as \
                 it is: rerun later, or with a longer --lock-timeout or more --retries"
                    .into(),
            ),
            Bound::Build => Stop::Lock(
                e.context(format!("still waiting after --build-wait {}", human(bounds.build_wait))),
                "a transaction older than the step holds it up (pg_stat_activity: an old xact_start, often 'idle in \
                 transaction'); no writer was blocked meanwhile: end that transaction, or rerun with a longer \
                 --build-wait"
                    .into(),
            ),
        },
        Some(c) if c == SqlState::CHECK_VIOLATION || c == SqlState::UNIQUE_VIOLATION => Stop::Violation(e),
        _ => Stop::Other(e),
    }
}

/// Runs one statement of a step under its bound, setting nothing on the session, so nothing is
/// left behind on a pooled server connection. A statement that may run in a transaction runs in
/// one of its own with the bound as lock_timeout (`sql/add_constraints/step_bound.sql`). A
/// concurrent build or drop may not: the client bounds it, cancelling it at the bound as a lock
/// timeout would have (SQLSTATE 57014 then, classified like 55P03).
async fn run_bounded(client: &Client, sql: &str, bound: Duration, concurrently: bool, ctx: &Ctx) -> Result<()> {
    if !concurrently {
        return db::local(client, async {
            crate::db::query::query_one(client, STEP_BOUND.text, &[&millis(bound)]).await?;
            Ok(client.batch_execute(sql).await?)
        })
        .await;
    }
    let token = client.cancel_token();
    let statement = client.batch_execute(sql);
    tokio::pin!(statement);
    tokio::select! {
        done = &mut statement => return Ok(done?),
        _ = tokio::time::sleep(bound) => {}
    }
    if let Err(e) = db::cancel(&ctx.global, &token).await {
        ctx.printer.warn(&format!("could not cancel the statement at its bound: {e:#}"));
    }
    Ok(statement.await?)
}

/// One attempt of a step. An index step first waits for other sessions' builds on the table and
/// then decides from the catalog as it is at that moment: an index that became valid is left
/// alone, an INVALID one is dropped only now that no backend builds it, and a build makes sure
/// the index it made is this table's and valid.
async fn attempt_step(
    client: &Client,
    table: &Table,
    step: &Step,
    rollback: bool,
    bounds: &Bounds,
    ctx: &Ctx,
) -> Result<Done, StepError> {
    let p = table.fill();
    let bound = bounds.timeout(step.bound());
    // Every step waits for other sessions' builds on the table in the client rather than on a
    // lock: queued behind a build, a step would hold its own snapshot while the build waits for
    // old snapshots (deadlock detected), and an ACCESS EXCLUSIVE request would hold every
    // writer up for its lock timeout, again and again.
    let waited = wait_for_builds(client, table, bounds, ctx).await?;
    let role = match step {
        Step::AddCheck | Step::ValidateCheck | Step::DropCheck => {
            run_bounded(client, &step.render(&p, &table.schema), bound, false, ctx).await?;
            return Ok(Done::Ran);
        }
        Step::CreateIndex { role, .. } | Step::DropIndex { role, .. } => *role,
    };
    let now = Table::introspect(client, &table.quoted()).await?;
    let Some(status) = now.constraint(role).cloned() else {
        return Err(StepError::Sql(anyhow::anyhow!("{role} is not one of the rollout's objects")));
    };
    if let Err(e) = refuse_before_ddl(&now, rollback) {
        return Err(StepError::Stop(Stop::Other(e)));
    }
    let by_other = if waited.is_empty() {
        String::new()
    } else {
        format!(" (after {} finished)", waited.iter().map(|p| format!("pid {p}")).collect::<Vec<_>>().join(", "))
    };
    match step {
        Step::DropIndex { .. } if !status.exists => Ok(Done::Skipped(format!("{role} no longer exists{by_other}"))),
        Step::DropIndex { .. } if status.valid && !rollback => {
            Ok(Done::Skipped(format!("{} is valid now{by_other}: it is kept", status.object)))
        }
        Step::DropIndex { .. } => {
            drop_index(client, &now, &status.object, bound, ctx).await?;
            Ok(Done::Ran)
        }
        _ if status.valid => Ok(Done::Skipped(format!("{} is valid already{by_other}", status.object))),
        _ => {
            if status.exists {
                // INVALID and no backend building it (we just waited): what a failed build left.
                drop_index(client, &now, &status.object, bound, ctx).await?;
            }
            let create = Step::CreateIndex { role, name: status.object.clone() };
            run_bounded(client, &create.render(&p, &now.schema), bound, true, ctx).await?;
            let after = Table::introspect(client, &table.quoted()).await?;
            match after.constraint(role) {
                Some(c) if c.valid => Ok(Done::Ran),
                Some(c) if !c.exists => Err(StepError::Stop(Stop::Other(UsageError::with_hint(
                    format!(
                        "{} was not built on {}: {}",
                        status.object,
                        now.display(),
                        c.note.as_deref().unwrap_or("another relation took the name during the build")
                    ),
                    "rerun: the index is then built under the table's own name",
                )))),
                Some(c) => Err(StepError::Sql(anyhow::anyhow!(
                    "{} is {} after the build ({}); rerun to drop and rebuild it",
                    c.object,
                    c.describe(),
                    c.definition.as_deref().unwrap_or("?")
                ))),
                None => Err(StepError::Sql(anyhow::anyhow!("{role} is not one of the rollout's objects"))),
            }
        }
    }
}

/// `DROP INDEX CONCURRENTLY` of this table's index `name`.
async fn drop_index(client: &Client, table: &Table, name: &str, bound: Duration, ctx: &Ctx) -> Result<()> {
    let drop = Step::DropIndex { role: RUNNING_INDEX, name: name.to_string() };
    run_bounded(client, &drop.render(&table.fill(), &table.schema), bound, true, ctx).await
}

/// Waits while other backends build an index on the table, polling with backoff, at most
/// `--build-wait`; returns their pids. Queuing behind such a build instead would be worse: a
/// drop or a second build waits for its lock while the build waits for the waiter's snapshot
/// (deadlock detected), and a drop queued behind a build runs once the build made the index
/// valid.
async fn wait_for_builds(client: &Client, table: &Table, bounds: &Bounds, ctx: &Ctx) -> Result<Vec<i32>, StepError> {
    let deadline = Instant::now() + bounds.build_wait;
    let mut pause = Duration::from_millis(100);
    let mut seen: Vec<i32> = Vec::new();
    loop {
        let now = builds(client, table).await?;
        if now.is_empty() {
            return Ok(seen);
        }
        for b in &now {
            if seen.contains(&b.pid) {
                continue;
            }
            ctx.printer.note(&format!(
                "      waiting for {}: another session is building an index on {}; syncctl neither drops it nor \
                 builds beside it (at most --build-wait {})",
                b.describe(),
                table.display(),
                human(bounds.build_wait)
            ));
            seen.push(b.pid);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let who: Vec<String> = now.iter().map(Build::describe).collect();
            return Err(StepError::Stop(Stop::Lock(
                anyhow::anyhow!(
                    "another session is still building an index on {} after --build-wait {}: {}",
                    table.display(),
                    human(bounds.build_wait),
                    who.join(", ")
                ),
                format!(
                    "nothing was dropped; let it finish (pg_stat_progress_create_index shows its phase), then rerun; \
                     or stop it (SELECT pg_cancel_backend({})) and rerun, which drops its INVALID leftover and \
                     rebuilds",
                    now[0].pid
                ),
            )));
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_BUILD_POLL);
    }
}

/// Drops this table's index of `role` (concurrently, under the short lock timeout) if it exists
/// and is not valid and no backend is building it.
async fn drop_if_invalid(client: &Client, table: &Table, role: &str, bounds: &Bounds, ctx: &Ctx) -> Result<()> {
    let now = Table::introspect(client, &table.quoted()).await?;
    let Some(c) = now.constraint(role) else { return Ok(()) };
    let building = builds(client, &now).await?.iter().any(|b| b.index_oid.is_none() || b.index_oid == c.oid);
    if c.exists && !c.valid && c.problem.is_none() && !building {
        drop_index(client, &now, &c.object, bounds.lock_timeout, ctx).await?;
    }
    Ok(())
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

/// `--dry-run`: the statements the current state needs, as SQL with their comments, each step
/// after the lock_timeout it would run with.
fn dry_run_sql(table: &Table, plan: &[Step], args: &AddConstraintsArgs, bounds: &Bounds, builds: &[Build]) -> String {
    let mut out = format!(
        "-- syncctl add-constraints{} --dry-run on {}: {}\n",
        if args.rollback { " --rollback" } else { "" },
        table.display(),
        describe(&table.constraints),
    );
    for c in &table.constraints {
        if let Some(note) = c.note.as_ref().filter(|_| c.problem.is_none()) {
            out.push_str(&format!("-- {}: {note}\n", c.name));
        }
        if let Some(Problem::NotEnforceable(why) | Problem::PartitionedBuild(why)) = &c.problem {
            out.push_str(&format!("-- {}: {}: {why}; no step for it\n", c.name, c.describe()));
        }
    }
    for b in builds {
        out.push_str(&format!(
            "-- {} is in progress: the index steps wait for it first (at most {}), and drop nothing it builds\n",
            b.describe(),
            bounds.describe(Bound::Build)
        ));
    }
    if plan.is_empty() {
        out.push_str(&format!("-- nothing to do on {}\n", table.display()));
        return out;
    }
    out.push_str(&format!(
        "-- nothing below has run. The ACCESS EXCLUSIVE steps wait at most --lock-timeout ({}) for their lock and \
         are retried up to {} times; the others block no writer and wait at most --build-wait ({}).\n",
        human(bounds.lock_timeout),
        bounds.retries,
        human(bounds.build_wait),
    ));
    let p = table.fill();
    out.push_str(&format!("\n{};\n", STATEMENT_TIMEOUT_LIFT.text.trim_end()));
    let mut current = None;
    for step in plan {
        let bound = step.bound();
        if current != Some(bound) {
            out.push_str(&format!("\n{};\n", lock_timeout_sql(bound, bounds).trim_end()));
            current = Some(bound);
        }
        out.push_str(&format!("\n{};\n", step.render(&p, &table.schema).trim_end()));
    }
    out
}

/// The `SET lock_timeout` of a bound, with its comment, as the script and `--dry-run` show it.
pub fn lock_timeout_sql(bound: Bound, bounds: &Bounds) -> String {
    match bound {
        Bound::Lock => SCRIPT_LOCK_WAIT.render(&Fill::default().with("lock_timeout", millis(bounds.lock_timeout))),
        Bound::Build => SCRIPT_BUILD_WAIT.render(&Fill::default().with("build_wait", millis(bounds.build_wait))),
    }
}

/// A step's bound as JSON: `{"flag": "--lock-timeout", "seconds": 2.0, "attempts": 5}`.
fn bound_json(step: &Step, bounds: &Bounds) -> Value {
    let bound = step.bound();
    let flag = match bound {
        Bound::Lock => "--lock-timeout",
        Bound::Build => "--build-wait",
    };
    json!({"flag": flag, "seconds": bounds.timeout(bound).as_secs_f64(), "attempts": bounds.attempts(bound)})
}

/// `--dry-run --json`: the planned steps with their statements.
fn dry_run_json(table: &Table, plan: &[Step], bounds: &Bounds, builds: &[Build]) -> Value {
    let p = table.fill();
    let steps: Vec<Value> = plan
        .iter()
        .map(|step| {
            json!({"step": step.label(), "object": step.object(), "lock": step.lock(), "status": "planned",
                   "bound": bound_json(step, bounds), "statement": step.render(&p, &table.schema)})
        })
        .collect();
    let in_progress: Vec<Value> =
        builds.iter().map(|b| json!({"pid": b.pid, "index": b.index_name, "phase": b.phase})).collect();
    let doc = json!({"ok": left_out(&table.constraints).is_empty(), "dry_run": true, "table": table.display(),
                     "steps": steps, "builds_in_progress": in_progress, "constraints": table.constraints});
    doc
}

/// `chk_sync_state_consistency missing, uniq_user_running_sync valid, …`.
fn describe(constraints: &[ConstraintStatus]) -> String {
    constraints
        .iter()
        .map(|c| {
            let named = c.object != c.name && (c.exists || c.problem.is_none());
            let object = if named { format!(" (as {})", c.object) } else { String::new() };
            format!("{}{object} {}", c.name, c.describe())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the run did and where the objects stand.
struct Summary<'a> {
    table: &'a Table,
    plan: &'a [Step],
    records: &'a [StepRecord],
    after: &'a [ConstraintStatus],
    rollback: bool,
    bounds: &'a Bounds,
}

impl Summary<'_> {
    /// Each planned step with how it ended (`not run` after a failure).
    fn rows(&self) -> Vec<(&Step, StepRecord)> {
        let not_run = StepRecord { status: "not run", attempts: 0, seconds: None, note: None };
        self.plan
            .iter()
            .enumerate()
            .map(|(i, step)| (step, self.records.get(i).cloned().unwrap_or_else(|| not_run.clone())))
            .collect()
    }

    fn done(&self) -> bool {
        if self.rollback { self.after.iter().all(|c| !c.exists) } else { self.after.iter().all(|c| c.valid) }
    }

    /// Everything that can be installed is (what PostgreSQL cannot enforce aside).
    fn done_but_left_out(&self) -> bool {
        !self.rollback
            && self.after.iter().all(|c| {
                c.valid || matches!(c.problem, Some(Problem::NotEnforceable(_) | Problem::PartitionedBuild(_)))
            })
    }

    fn human(&self, ctx: &Ctx, elapsed: Duration) -> String {
        let mut out = String::new();
        if self.plan.is_empty() {
            let what = if self.rollback {
                "none of the three objects exists"
            } else if self.done() {
                "the three objects are valid"
            } else {
                "what can be installed is installed"
            };
            out.push_str(&format!("nothing to do: {what} on {}\n", self.table.display()));
        } else {
            let mut t = output::table(&["step", "result", "attempts", "time", "waits at most"]);
            for (step, r) in self.rows() {
                let result = r.note.as_ref().map_or_else(|| r.status.to_string(), |n| format!("{}: {n}", r.status));
                t.add_row(vec![
                    step.label(),
                    result,
                    r.attempts.to_string(),
                    r.seconds.map_or_else(String::new, |s| format!("{s:.3}s")),
                    self.bounds.describe(step.bound()),
                ]);
            }
            out.push_str(&format!("{t}\n"));
        }
        for c in self.after {
            out.push_str(&format!("{}\n", c.summary()));
        }
        let verdict = match (self.done(), self.rollback) {
            (true, false) => ctx.printer.paint(style::GOOD, "the three constraints are installed and valid"),
            (true, true) => ctx.printer.paint(style::GOOD, "the three constraints are removed"),
            (false, false) if self.done_but_left_out() => ctx
                .printer
                .paint(style::WARN, "installed what can be installed on this table; the rest cannot be (see above)"),
            (false, _) => ctx.printer.paint(style::BAD, "stopped before the end: rerun to continue"),
        };
        out.push_str(&format!("{verdict} ({}, {:.3}s)\n", self.table.display(), elapsed.as_secs_f64()));
        out
    }

    fn json(&self, error: Option<&str>, validation: Option<&validate::Report>, elapsed: Duration) -> Value {
        let steps: Vec<Value> = self
            .rows()
            .into_iter()
            .map(|(step, r)| {
                json!({"step": step.label(), "object": step.object(), "lock": step.lock(), "status": r.status,
                       "note": r.note, "attempts": r.attempts, "seconds": r.seconds,
                       "bound": bound_json(step, self.bounds)})
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
        doc
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

    fn create(role: &'static str) -> Step {
        Step::CreateIndex { role, name: role.to_string() }
    }

    fn drop(role: &'static str) -> Step {
        Step::DropIndex { role, name: role.to_string() }
    }

    #[test]
    fn the_plan_follows_the_current_state() {
        let none =
            [status(CHECK_NAME, false, false), status(RUNNING_INDEX, false, false), status(TASK_INDEX, false, false)];
        assert_eq!(
            rollout_plan(&none),
            vec![Step::AddCheck, Step::ValidateCheck, create(RUNNING_INDEX), create(TASK_INDEX)]
        );
        assert!(rollback_plan(&none).is_empty());

        let half =
            [status(CHECK_NAME, true, false), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, false)];
        assert_eq!(rollout_plan(&half), vec![Step::ValidateCheck, drop(TASK_INDEX), create(TASK_INDEX)]);
        assert_eq!(rollback_plan(&half), vec![Step::DropCheck, drop(RUNNING_INDEX), drop(TASK_INDEX)]);

        let all = [status(CHECK_NAME, true, true), status(RUNNING_INDEX, true, true), status(TASK_INDEX, true, true)];
        assert!(rollout_plan(&all).is_empty());
    }

    #[test]
    fn objects_with_a_problem_get_no_step_and_a_wrong_one_stops_everything() {
        let mut wrong = status(RUNNING_INDEX, true, false);
        wrong.problem = Some(Problem::WrongDefinition("it has key (user_id, task_id)".into()));
        let mut out = status(TASK_INDEX, false, false);
        out.problem = Some(Problem::NotEnforceable("partitioned by LIST (sync_type)".into()));
        let mut own = status(TASK_INDEX, false, false);
        own.object = "t_uniq_task_id".into();
        assert_eq!(rollout_plan(&[wrong.clone(), out.clone()]), vec![]);
        assert_eq!(rollout_plan(&[own]), vec![Step::CreateIndex { role: TASK_INDEX, name: "t_uniq_task_id".into() }]);
        assert_eq!(left_out(&[wrong, out]).len(), 1);
    }

    #[test]
    fn steps_have_their_bounds() {
        let bounds = Bounds { lock_timeout: Duration::from_secs(2), retries: 5, build_wait: Duration::from_secs(600) };
        assert_eq!(Step::AddCheck.bound(), Bound::Lock);
        assert_eq!(Step::DropCheck.bound(), Bound::Lock);
        for step in [Step::ValidateCheck, create(TASK_INDEX), drop(TASK_INDEX)] {
            assert_eq!(step.bound(), Bound::Build, "{step:?}");
        }
        assert_eq!(bounds.describe(Bound::Lock), "--lock-timeout 2s, 5 attempts");
        assert_eq!(bounds.describe(Bound::Build), "--build-wait 10m");
        assert_eq!(bounds.attempts(Bound::Build), 1);
        assert!(lock_timeout_sql(Bound::Build, &bounds).contains("SET lock_timeout = '600000ms'"));
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
        let p = Fill::default().with("table", "\"Sync Ops\".\"user_sync_status\"");
        let sql = drop(TASK_INDEX).render(&p, "Sync Ops");
        assert!(sql.ends_with("DROP INDEX CONCURRENTLY IF EXISTS \"Sync Ops\".\"uniq_task_id\"\n"), "{sql}");
        let sql = Step::CreateIndex { role: RUNNING_INDEX, name: "t\"x".into() }.render(&p, "Sync Ops");
        assert!(
            sql.contains("IF NOT EXISTS \"t\"\"x\"\n  ON \"Sync Ops\".\"user_sync_status\" (\"user_id\") WHERE"),
            "{sql}"
        );
    }
}
