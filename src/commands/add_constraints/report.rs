//! What `add-constraints` reports, as data: the plan of `--dry-run`, the summary of a run, and
//! the refusal of data the constraints would not accept. Each is its JSON document as it is;
//! `output/add_constraints.rs` renders the human text.

use serde::Serialize;
use serde_json::Value;

use super::plan::{Bound, Bounds, Step, lock_timeout_sql};
use super::rollout::StepRecord;
use crate::commands::validate::ValidationReport;
use crate::db::queries::ADD_STATEMENT_TIMEOUT_LIFT;
use crate::db::queries::add_constraints::IndexBuild;
use crate::table::{ConstraintStatus, Problem, Table};

/// What the command does to the three objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// Installs them.
    Rollout,
    /// Removes them (`--rollback`).
    Rollback,
}

impl Action {
    /// `--rollback` or not.
    pub(crate) fn of(rollback: bool) -> Action {
        if rollback { Action::Rollback } else { Action::Rollout }
    }
}

/// A step's bound, as JSON: `{"flag": "--lock-timeout", "seconds": 2.0, "attempts": 5}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct WaitBound {
    /// `--lock-timeout` or `--build-wait`.
    pub(crate) flag: &'static str,
    /// Its value, in seconds.
    pub(crate) seconds: f64,
    /// The attempts the step gets.
    pub(crate) attempts: u32,
    /// Which bound it is.
    #[serde(skip)]
    pub(crate) bound: Bound,
}

impl WaitBound {
    /// The bound of `step` under `bounds`.
    pub(crate) fn of(step: &Step, bounds: &Bounds) -> WaitBound {
        let bound = step.bound();
        let flag = match bound {
            Bound::Lock | Bound::Rows => "--lock-timeout",
            Bound::Build => "--build-wait",
        };
        WaitBound { flag, seconds: bounds.timeout(bound).as_secs_f64(), attempts: bounds.attempts(bound), bound }
    }
}

/// A step of `--dry-run`: what it would do, and its statement.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PlannedStep {
    /// What it does ([`Step::label`]).
    pub(crate) step: String,
    /// The object it works on (its role).
    pub(crate) object: &'static str,
    /// The lock it takes.
    pub(crate) lock: &'static str,
    /// `planned`.
    pub(crate) status: &'static str,
    /// Its bound.
    pub(crate) bound: WaitBound,
    /// Its statement, with its comments.
    pub(crate) statement: String,
    /// The `SET lock_timeout` of its bound, with its comment, that it runs after.
    #[serde(skip)]
    pub(crate) lock_timeout: String,
}

/// `--dry-run`: the steps the current state needs, which run none of them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DryRunPlan {
    /// Everything can be installed on this table (nothing PostgreSQL cannot enforce here).
    pub(crate) ok: bool,
    /// Always true.
    pub(crate) dry_run: bool,
    /// The table, `schema.name`.
    pub(crate) table: String,
    /// The steps, in order.
    pub(crate) steps: Vec<PlannedStep>,
    /// Other sessions' index builds on the table, which the index steps would wait for.
    pub(crate) builds_in_progress: Vec<IndexBuild>,
    /// The three objects as they are.
    pub(crate) constraints: Vec<ConstraintStatus>,
    /// `repair --all --dry-run`'s document, when `--repair` ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repair: Option<Value>,
    /// A rollout or `--rollback`.
    #[serde(skip)]
    pub(crate) action: Action,
    /// The bounds the steps would run with.
    #[serde(skip)]
    pub(crate) bounds: Bounds,
    /// The statement that lifts statement_timeout before the steps, with its comment.
    #[serde(skip)]
    pub(crate) lift_statement_timeout: &'static str,
}

impl DryRunPlan {
    /// The plan of `steps` on `table`, with the builds `in_progress` and repair's document.
    pub(crate) fn new(
        table: &Table,
        steps: &[Step],
        action: Action,
        bounds: Bounds,
        in_progress: Vec<IndexBuild>,
        repair: Option<Value>,
    ) -> DryRunPlan {
        let fill = table.fill();
        let steps = steps
            .iter()
            .map(|step| PlannedStep {
                step: step.label(),
                object: step.object(),
                lock: step.lock(),
                status: "planned",
                bound: WaitBound::of(step, &bounds),
                statement: step.render(&fill, &table.schema).into(),
                lock_timeout: lock_timeout_sql(step.bound(), &bounds),
            })
            .collect();
        DryRunPlan {
            ok: super::plan::left_out(&table.constraints).is_empty(),
            dry_run: true,
            table: table.display(),
            steps,
            builds_in_progress: in_progress,
            constraints: table.constraints.clone(),
            repair,
            action,
            bounds,
            lift_statement_timeout: ADD_STATEMENT_TIMEOUT_LIFT.text,
        }
    }
}

/// How a step of a run ended.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StepResult {
    /// What it does ([`Step::label`]).
    pub(crate) step: String,
    /// The object it works on (its role).
    pub(crate) object: &'static str,
    /// The lock it takes.
    pub(crate) lock: &'static str,
    /// `done`, `skipped`, `failed` or `not run`.
    pub(crate) status: &'static str,
    /// Why it was skipped.
    pub(crate) note: Option<String>,
    /// The attempts made.
    pub(crate) attempts: u32,
    /// How long it took (null when it did not run).
    pub(crate) seconds: Option<f64>,
    /// Its bound.
    pub(crate) bound: WaitBound,
}

/// How the run ended, in one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The three objects exist and are valid.
    Installed,
    /// None of the three exists (`--rollback`).
    Removed,
    /// What can be installed on this table is; the rest cannot be.
    InstalledWhatCan,
    /// A step stopped before the end.
    Stopped,
}

impl Verdict {
    /// The verdict of `action` on the objects as they are `after` the run.
    pub(crate) fn of(action: Action, after: &[ConstraintStatus]) -> Verdict {
        let left_out_only = |c: &ConstraintStatus| {
            c.valid || matches!(c.problem, Some(Problem::NotEnforceable(_) | Problem::PartitionedBuild(_)))
        };
        match action {
            Action::Rollback if after.iter().all(|c| !c.exists) => Verdict::Removed,
            Action::Rollout if after.iter().all(|c| c.valid) => Verdict::Installed,
            Action::Rollout if after.iter().all(left_out_only) => Verdict::InstalledWhatCan,
            _ => Verdict::Stopped,
        }
    }

    /// The objects are where the action takes them.
    pub(crate) fn done(self) -> bool {
        matches!(self, Verdict::Installed | Verdict::Removed)
    }
}

/// What a run did and where the objects stand.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RolloutSummary {
    /// No error, and the objects are where the action takes them.
    pub(crate) ok: bool,
    /// `rollout` or `rollback`.
    pub(crate) action: Action,
    /// The table, `schema.name`.
    pub(crate) table: String,
    /// Each planned step with how it ended.
    pub(crate) steps: Vec<StepResult>,
    /// The three objects after the run.
    pub(crate) constraints: Vec<ConstraintStatus>,
    /// The check of the data before the steps (`validate-constraints`' document), if it ran.
    pub(crate) validation: Option<ValidationReport>,
    /// How long the run took.
    pub(crate) seconds: f64,
    /// Why it stopped, if it did.
    pub(crate) error: Option<String>,
    /// `repair --all`'s document, when `--repair` ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repair: Option<Value>,
    /// How it ended, in one line.
    #[serde(skip)]
    pub(crate) verdict: Verdict,
    /// The bounds the steps ran with.
    #[serde(skip)]
    pub(crate) bounds: Bounds,
}

/// Each step of `plan` with its record (`not run` after a failure).
pub(crate) fn step_results(plan: &[Step], records: &[StepRecord], bounds: &Bounds) -> Vec<StepResult> {
    plan.iter()
        .enumerate()
        .map(|(i, step)| {
            let r = records.get(i).cloned().unwrap_or_else(StepRecord::not_run);
            StepResult {
                step: step.label(),
                object: step.object(),
                lock: step.lock(),
                status: r.status,
                note: r.note,
                attempts: r.attempts,
                seconds: r.seconds,
                bound: WaitBound::of(step, bounds),
            }
        })
        .collect()
}

/// Data the constraints would not accept (`refused`), or a `--repair` that did not end well:
/// nothing was changed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DataRefusal {
    /// Always false.
    pub(crate) ok: bool,
    /// The table, `schema.name`.
    pub(crate) table: String,
    /// The data was refused (false: repair stopped first).
    pub(crate) refused: bool,
    /// The check of the data (`validate-constraints`' document), when it refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validation: Option<ValidationReport>,
    /// `repair --all`'s document, when `--repair` ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) repair: Option<Value>,
}
