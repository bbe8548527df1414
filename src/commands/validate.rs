//! `validate-constraints`: would the data accept the three Priority-1 constraints, and are they
//! installed and valid? Read-only; meant for CI before a migration.

use anyhow::Result;
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::Ctx;
use crate::cli::{RowFormat, ValidateArgs};
use crate::db;
use crate::exit::ExitStatus;
use crate::output::{self, style};
use crate::state::Classifier;
use crate::table::{ConstraintStatus, RUNNING_INDEX, TASK_INDEX, Table};

/// The checks, a named registry like a linter's rules. Their names are the ones
/// `sql/validate/violations.sql` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationCheck {
    /// Rows violating the CHECK predicate.
    CheckPredicate,
    /// Rows with a NULL state.
    NullState,
    /// Users with more than one running row.
    DuplicateRunning,
    /// Repeated task ids.
    DuplicateTaskId,
}

impl ValidationCheck {
    /// Every check, in report order.
    pub const ALL: [ValidationCheck; 4] = [
        ValidationCheck::CheckPredicate,
        ValidationCheck::NullState,
        ValidationCheck::DuplicateRunning,
        ValidationCheck::DuplicateTaskId,
    ];

    /// Its kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            ValidationCheck::CheckPredicate => "check-predicate",
            ValidationCheck::NullState => "null-state",
            ValidationCheck::DuplicateRunning => "duplicate-running",
            ValidationCheck::DuplicateTaskId => "duplicate-task-id",
        }
    }

    /// What a violation means.
    pub fn message(self) -> &'static str {
        match self {
            ValidationCheck::CheckPredicate => {
                "rows violate chk_sync_state_consistency (syncing at 100 %, or stopped between 0 and 100 %)"
            }
            ValidationCheck::NullState => {
                "rows have is_syncing or progress_percentage NULL (a CHECK lets them through; readers do not)"
            }
            ValidationCheck::DuplicateRunning => {
                "users have a second running row: uniq_user_running_sync would refuse it"
            }
            ValidationCheck::DuplicateTaskId => "rows repeat a task_id: uniq_task_id would refuse them",
        }
    }

    /// What to do about it.
    pub fn help(self) -> &'static str {
        match self {
            ValidationCheck::CheckPredicate => "release or finish them: `syncctl repair --inconsistent`",
            ValidationCheck::NullState => "set their state: `syncctl repair --inconsistent`",
            ValidationCheck::DuplicateRunning => {
                "keep the freshest and release the others: `syncctl repair --duplicates`"
            }
            ValidationCheck::DuplicateTaskId => "give the extra rows new task ids: `syncctl repair --duplicates`",
        }
    }

    /// The unique index that, when valid, already rules this check out.
    fn guaranteed_by(self) -> Option<&'static str> {
        match self {
            ValidationCheck::DuplicateRunning => Some(RUNNING_INDEX),
            ValidationCheck::DuplicateTaskId => Some(TASK_INDEX),
            _ => None,
        }
    }
}

/// A violating row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    /// The primary key as text.
    pub key: String,
    /// user_id.
    pub user_id: Option<String>,
    /// task_id.
    pub task_id: Option<String>,
    /// is_syncing.
    pub is_syncing: Option<bool>,
    /// progress_percentage.
    pub progress_percentage: Option<crate::state::Progress>,
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The check.
    pub check: ValidationCheck,
    /// How many rows violate it.
    pub count: i64,
    /// Up to `--limit` of them.
    pub samples: Vec<Sample>,
    /// The valid index (its name on this table) that makes the check needless, if any: only
    /// an index with the right definition counts, never one that merely carries the name.
    pub guaranteed_by: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The table.
    pub table: String,
    /// Each check.
    pub outcomes: Vec<Outcome>,
    /// The three constraints.
    pub constraints: Vec<ConstraintStatus>,
    /// Whether `--require-installed` was given.
    pub require_installed: bool,
}

impl Report {
    /// The data would accept the constraints.
    pub fn data_ok(&self) -> bool {
        self.outcomes.iter().all(|o| o.count == 0)
    }

    /// The constraints exist and are valid.
    pub fn installed(&self) -> bool {
        self.constraints.iter().all(|c| c.valid)
    }

    /// The verdict.
    pub fn ok(&self) -> bool {
        self.data_ok() && (!self.require_installed || self.installed())
    }
}

/// Runs `validate-constraints`.
pub async fn run(args: ValidateArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let mut client = db::connect(&ctx.global, &crate::commands::spec::VALIDATE, db::Access::Read).await?;
    crate::commands::standby_note(&client, ctx).await?;
    let report = check(&mut client, ctx, args.limit, args.require_installed).await?;
    let text = match args.output.format() {
        RowFormat::Table => render_table(&report, ctx),
        RowFormat::Json => render_json(&report),
        RowFormat::Csv => render_csv(&report),
    };
    ctx.printer.data(&text)?;
    Ok(if report.ok() { ExitStatus::Success } else { ExitStatus::Problems })
}

/// Runs the checks on `--table` in one read-only transaction and returns the report, with at
/// most `limit` sample rows per check. `add-constraints` calls it before the rollout.
pub async fn check(client: &mut Client, ctx: &Ctx, limit: u32, require_installed: bool) -> Result<Report> {
    let tx = db::read_only(client).await?;
    let table = Table::introspect(&tx, &ctx.global.table).await?;
    crate::commands::naive_note(&table, ctx);
    let mut classifier = Classifier::new(ctx.global.heartbeat_timeout);
    classifier.find_duplicates(&tx, &table).await?;
    let limit = i64::from(limit);
    let mut params = classifier.bind();
    params.push(&limit);
    let rows = crate::db::query::query(&tx, &table.render(&crate::db::queries::VALIDATE_VIOLATIONS), &params).await?;
    tx.commit().await?;

    let outcomes = ValidationCheck::ALL
        .into_iter()
        .map(|check| {
            let mine: Vec<_> = rows.iter().filter(|r| r.get::<_, String>("check_name") == check.name()).collect();
            Outcome {
                check,
                count: mine.first().map_or(0, |r| r.get("total")),
                samples: mine
                    .iter()
                    .map(|r| Sample {
                        key: r.get("key"),
                        user_id: r.get("user_id"),
                        task_id: r.get("task_id"),
                        is_syncing: r.get("is_syncing"),
                        progress_percentage: r.get::<_, Option<f64>>("progress_percentage").map(crate::state::Progress),
                    })
                    .collect(),
                guaranteed_by: check
                    .guaranteed_by()
                    .filter(|index| table.holds(index))
                    .and_then(|index| table.constraint(index))
                    .map(|c| c.object.clone()),
            }
        })
        .collect();
    Ok(Report { table: table.display(), outcomes, constraints: table.constraints.clone(), require_installed })
}

/// The JSON document.
pub fn render_json(report: &Report) -> String {
    format!("{:#}\n", to_json(report))
}

/// The JSON value of the report (`add-constraints --json` nests it).
pub fn to_json(report: &Report) -> Value {
    let checks: Vec<Value> = report
        .outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.check.name(),
                "count": o.count,
                "message": o.check.message(),
                "help": o.check.help(),
                "guaranteed_by": o.guaranteed_by,
                "samples": o.samples,
            })
        })
        .collect();
    json!({
        "ok": report.ok(),
        "data_ok": report.data_ok(),
        "installed": report.installed(),
        "table": report.table,
        "checks": checks,
        "constraints": report.constraints,
    })
}

/// CSV: one line per sample row.
pub fn render_csv(report: &Report) -> String {
    let mut out = output::csv_line(&["check", "key", "user_id", "task_id", "is_syncing", "progress_percentage"]);
    for o in &report.outcomes {
        for s in &o.samples {
            out.push_str(&output::csv_line(&[
                o.check.name().to_string(),
                s.key.clone(),
                s.user_id.clone().unwrap_or_default(),
                s.task_id.clone().unwrap_or_default(),
                s.is_syncing.map(|b| b.to_string()).unwrap_or_default(),
                s.progress_percentage.map(|p| p.to_string()).unwrap_or_default(),
            ]));
        }
    }
    out
}

/// The human report: each check with its count and samples, then the constraints.
pub fn render_table(report: &Report, ctx: &Ctx) -> String {
    let mut out = String::new();
    for o in &report.outcomes {
        if o.count == 0 {
            let why = o.guaranteed_by.as_ref().map(|i| format!(" (guaranteed by {i})")).unwrap_or_default();
            out.push_str(&format!("{} {}: none{why}\n", ctx.printer.paint(style::GOOD, "ok  "), o.check.name()));
            continue;
        }
        out.push_str(&format!(
            "{} {}: {} {}\n",
            ctx.printer.paint(style::BAD, "FAIL"),
            o.check.name(),
            o.count,
            o.check.message()
        ));
        let mut table = output::table(&["key", "user", "task", "is_syncing", "progress"]);
        for s in &o.samples {
            table.add_row(vec![
                s.key.clone(),
                s.user_id.clone().unwrap_or_else(|| "NULL".into()),
                s.task_id.clone().unwrap_or_else(|| "NULL".into()),
                s.is_syncing.map_or("NULL".into(), |b| b.to_string()),
                s.progress_percentage.map_or("NULL".into(), |p| p.to_string()),
            ]);
        }
        out.push_str(&format!("{table}\n"));
        if (o.samples.len() as i64) < o.count {
            out.push_str(&format!("     ... and {} more (--limit)\n", o.count - o.samples.len() as i64));
        }
        out.push_str(&format!("     help: {}\n", o.check.help()));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", c.summary()));
    }
    let verdict = if report.ok() {
        ctx.printer.paint(style::GOOD, "the data would accept the constraints")
    } else if !report.data_ok() {
        ctx.printer.paint(style::BAD, "the data would NOT accept the constraints")
    } else {
        ctx.printer.paint(style::BAD, "the data is clean, but the constraints are not all installed and valid")
    };
    out.push_str(&format!("{verdict} ({})\n", report.table));
    out
}
