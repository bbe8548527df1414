//! `validate-constraints`: would the data accept the three consistency constraints, and are they
//! installed and valid? Read-only; meant for CI before a migration.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use tokio_postgres::GenericClient;

use super::guard::{self, WithGuard};
use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{RowFormat, ValidateArgs};
use crate::db::Access;
use crate::db::queries::validate::{self as queries, Violation, ViolationsParams};
use crate::exit::ExitStatus;
use crate::output;
use crate::state::{Classifier, Progress};
use crate::table::{ConstraintStatus, RUNNING_INDEX, TASK_INDEX, Table};

/// The checks, a named registry like a linter's rules. Their names are the ones
/// `sql/validate/violations.sql` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValidationCheck {
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
    pub(crate) const ALL: [ValidationCheck; 4] = [
        ValidationCheck::CheckPredicate,
        ValidationCheck::NullState,
        ValidationCheck::DuplicateRunning,
        ValidationCheck::DuplicateTaskId,
    ];

    /// Its kebab-case name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ValidationCheck::CheckPredicate => "check-predicate",
            ValidationCheck::NullState => "null-state",
            ValidationCheck::DuplicateRunning => "duplicate-running",
            ValidationCheck::DuplicateTaskId => "duplicate-task-id",
        }
    }

    /// What a violation means, after its count (`3 rows violate …`), as in the JSON document.
    pub(crate) fn message(self) -> &'static str {
        self.wording().1
    }

    /// The count and what it means, for people, the noun agreeing with the count:
    /// `1 row violates …`, `3 rows violate …`.
    pub(crate) fn counted(self, count: i64) -> String {
        let (one, many) = self.wording();
        format!("{count} {}", if count == 1 { one } else { many })
    }

    /// The message for one violation and for several.
    fn wording(self) -> (&'static str, &'static str) {
        match self {
            ValidationCheck::CheckPredicate => (
                "row violates chk_sync_state_consistency (syncing at 100%, or stopped between 0 and 100%)",
                "rows violate chk_sync_state_consistency (syncing at 100%, or stopped between 0 and 100%)",
            ),
            ValidationCheck::NullState => (
                "row has is_syncing or progress_percentage NULL (a CHECK lets it through; readers do not)",
                "rows have is_syncing or progress_percentage NULL (a CHECK lets them through; readers do not)",
            ),
            ValidationCheck::DuplicateRunning => (
                "user has a second running row: uniq_user_running_sync would refuse it",
                "users have a second running row: uniq_user_running_sync would refuse it",
            ),
            ValidationCheck::DuplicateTaskId => (
                "row repeats a task_id: uniq_task_id would refuse it",
                "rows repeat a task_id: uniq_task_id would refuse them",
            ),
        }
    }

    /// What to do about it.
    pub(crate) fn help(self) -> &'static str {
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
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Sample {
    /// The primary key as text.
    pub(crate) key: String,
    /// user_id.
    pub(crate) user_id: Option<String>,
    /// task_id.
    pub(crate) task_id: Option<String>,
    /// is_syncing.
    pub(crate) is_syncing: Option<bool>,
    /// progress_percentage.
    pub(crate) progress_percentage: Option<Progress>,
}

impl From<Violation> for Sample {
    fn from(v: Violation) -> Sample {
        Sample {
            key: v.key,
            user_id: v.user_id,
            task_id: v.task_id,
            is_syncing: v.is_syncing,
            progress_percentage: v.progress_percentage,
        }
    }
}

/// One check's outcome, as its JSON object is.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CheckOutcome {
    /// The check.
    #[serde(rename = "name", serialize_with = "check_name")]
    pub(crate) check: ValidationCheck,
    /// How many rows violate it.
    pub(crate) count: i64,
    /// What a violation means ([`ValidationCheck::message`]).
    pub(crate) message: &'static str,
    /// What to do about it ([`ValidationCheck::help`]).
    pub(crate) help: &'static str,
    /// The valid index (its name on this table) that makes the check needless, if any: only
    /// an index with the right definition counts, never one that merely carries the name.
    pub(crate) guaranteed_by: Option<String>,
    /// Up to `--limit` of the rows that violate it.
    pub(crate) samples: Vec<Sample>,
}

/// A check as its kebab-case name.
fn check_name<S: serde::Serializer>(check: &ValidationCheck, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(check.name())
}

impl CheckOutcome {
    /// The outcome of `check` on `table`, from its violating rows (at most `--limit` of them,
    /// each carrying the check's total).
    fn new(check: ValidationCheck, violations: Vec<Violation>, table: &Table) -> CheckOutcome {
        CheckOutcome {
            check,
            count: violations.first().map_or(0, |v| v.total),
            message: check.message(),
            help: check.help(),
            guaranteed_by: check
                .guaranteed_by()
                .filter(|index| table.holds(index))
                .and_then(|index| table.constraint(index))
                .map(|c| c.object.clone()),
            samples: violations.into_iter().map(Sample::from).collect(),
        }
    }
}

/// What `validate-constraints` found: its JSON document as it is (`add-constraints --json`
/// nests it under `"validation"`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ValidationReport {
    /// The verdict: the data is clean and, with `--require-installed`, the constraints hold.
    pub(crate) ok: bool,
    /// The data would accept the constraints: no check has a violating row.
    pub(crate) data_ok: bool,
    /// The three constraints exist and are valid.
    pub(crate) installed: bool,
    /// The table.
    pub(crate) table: String,
    /// Each check, in [`ValidationCheck::ALL`] order.
    pub(crate) checks: Vec<CheckOutcome>,
    /// The three constraints.
    pub(crate) constraints: Vec<ConstraintStatus>,
}

impl ValidationReport {
    /// The report of `checks` on `table`, with its verdict.
    fn new(table: &Table, checks: Vec<CheckOutcome>, require_installed: bool) -> ValidationReport {
        let data_ok = checks.iter().all(|c| c.count == 0);
        let installed = table.constraints.iter().all(|c| c.valid);
        ValidationReport {
            ok: data_ok && (!require_installed || installed),
            data_ok,
            installed,
            table: table.display(),
            checks,
            constraints: table.constraints.clone(),
        }
    }

    /// The data would accept the constraints (add-constraints asks).
    pub(crate) fn data_ok(&self) -> bool {
        self.data_ok
    }
}

/// Runs `validate-constraints`.
pub(crate) async fn run(args: ValidateArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let destination = output::Destination::chosen(&args.destination)?;
    let session = Session::open(ctx, &spec::VALIDATE, Access::Read, Snapshot::ReadOnly).await?;
    let report =
        run_checks(&session.client, &session.table, ctx.global.heartbeat_timeout, args.limit, args.require_installed)
            .await?;
    let guard = guard::check(&session.client, &session.table, &ctx.global.timestamp_zone).await?;
    session.finish().await?;
    let text = match args.output.format() {
        RowFormat::Table => {
            let style = destination.style(&ctx.printer);
            format!("{}{}\n", output::validate::table(&report, style), output::guard::line(&guard, style))
        }
        RowFormat::Json => output::json(&WithGuard { report: &report, guard: Some(&guard) }),
        RowFormat::Csv => output::validate::csv(&report),
    };
    destination.write(&ctx.printer, &text)?;
    Ok(if report.ok { ExitStatus::Success } else { ExitStatus::Problems })
}

/// Runs the checks on `table`, in the caller's transaction (whose snapshot the duplicates'
/// keys must stay valid in), with at most `limit` sample rows per check.
pub(crate) async fn run_checks(
    client: &impl GenericClient,
    table: &Table,
    heartbeat_timeout: Duration,
    limit: u32,
    require_installed: bool,
) -> Result<ValidationReport> {
    let mut classifier = Classifier::new(heartbeat_timeout);
    classifier.find_duplicates(client, table).await?;
    let params = ViolationsParams { samples_per_check: i64::from(limit) };
    let violations = queries::violations(client, table, &classifier, &params).await?;
    let checks = ValidationCheck::ALL
        .into_iter()
        .map(|check| {
            let mine = violations.iter().filter(|v| v.check_name == check.name()).cloned().collect();
            CheckOutcome::new(check, mine, table)
        })
        .collect();
    Ok(ValidationReport::new(table, checks, require_installed))
}
