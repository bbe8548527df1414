//! `add-constraints`' reports for people: the plan of `--dry-run` as the SQL it would run, with
//! its comments, and the summary of a run. (Their JSON is the reports themselves; the
//! `--print-sql` script is rendered by `commands/add_constraints/script.rs`.)

use super::{Style, style, table as new_table};
use crate::commands::add_constraints::plan::{Bound, flag_duration};
use crate::commands::add_constraints::report::{Action, DryRunPlan, RolloutSummary, Verdict};
use crate::db::queries::add_constraints::IndexBuild;
use crate::table::{ConstraintStatus, Problem};

/// `pid 1234 (building uniq_task_id: waiting for old snapshots)`.
pub(crate) fn build_in_progress(build: &IndexBuild) -> String {
    let what = build.index_name.as_deref().unwrap_or("an index");
    format!("pid {} (building {what}: {})", build.pid, build.phase)
}

/// `chk_sync_state_consistency missing, uniq_user_running_sync valid, …`.
fn constraints_line(constraints: &[ConstraintStatus]) -> String {
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

/// `--dry-run`: the statements the current state needs, as SQL with their comments, each step
/// after the lock_timeout it would run with.
pub(crate) fn dry_run_sql(plan: &DryRunPlan) -> String {
    let mut out = format!(
        "-- syncctl add-constraints{} --dry-run on {}: {}\n",
        if plan.action == Action::Rollback { " --rollback" } else { "" },
        plan.table,
        constraints_line(&plan.constraints),
    );
    for c in &plan.constraints {
        if let Some(note) = c.note.as_ref().filter(|_| c.problem.is_none()) {
            out.push_str(&format!("-- {}: {note}\n", c.name));
        }
        if let Some(Problem::NotEnforceable(why) | Problem::PartitionedBuild(why)) = &c.problem {
            out.push_str(&format!("-- {}: {}: {why}; no step for it\n", c.name, c.describe()));
        }
    }
    for b in &plan.builds_in_progress {
        out.push_str(&format!(
            "-- {} is in progress: the index steps wait for it first (at most {}), and drop nothing it builds\n",
            build_in_progress(b),
            plan.bounds.waits_at_most(Bound::Build)
        ));
    }
    if plan.steps.is_empty() {
        out.push_str(&format!("-- nothing to do on {}\n", plan.table));
        return out;
    }
    out.push_str(&format!(
        "-- nothing below has run. The ACCESS EXCLUSIVE steps wait at most --lock-timeout ({}) for their lock and \
         are retried up to {} times; the others block no writer and wait at most --build-wait ({}).\n",
        flag_duration(plan.bounds.lock_timeout),
        plan.bounds.retries,
        flag_duration(plan.bounds.build_wait),
    ));
    out.push_str(&format!("\n{};\n", plan.lift_statement_timeout.trim_end()));
    let mut current = None;
    for step in &plan.steps {
        if current != Some(step.bound.bound) {
            out.push_str(&format!("\n{};\n", step.lock_timeout.trim_end()));
            current = Some(step.bound.bound);
        }
        out.push_str(&format!("\n{};\n", step.statement.trim_end()));
    }
    out
}

/// The summary of a run: the steps with how each ended (or `nothing to do`), the three objects
/// as they are now, and the verdict, painted.
pub(crate) fn summary(report: &RolloutSummary, paint: Style) -> String {
    let mut out = String::new();
    if report.steps.is_empty() {
        let what = match (report.action, report.verdict) {
            (Action::Rollback, _) => "none of the three objects exists",
            (Action::Rollout, Verdict::Installed) => "the three objects are valid",
            (Action::Rollout, _) => "what can be installed is installed",
        };
        out.push_str(&format!("nothing to do: {what} on {}\n", report.table));
    } else {
        let mut t = new_table(&["step", "result", "attempts", "time", "waits at most"]);
        for step in &report.steps {
            let result =
                step.note.as_ref().map_or_else(|| step.status.to_string(), |n| format!("{}: {n}", step.status));
            t.add_row(vec![
                step.step.clone(),
                result,
                step.attempts.to_string(),
                step.seconds.map_or_else(String::new, |s| format!("{s:.3}s")),
                report.bounds.waits_at_most(step.bound.bound),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", c.summary()));
    }
    let verdict = match report.verdict {
        Verdict::Installed => paint.paint(style::GOOD, "the three constraints are installed and valid"),
        Verdict::Removed => paint.paint(style::GOOD, "the three constraints are removed"),
        Verdict::InstalledWhatCan => {
            paint.paint(style::WARN, "installed what can be installed on this table; the rest cannot be (see above)")
        }
        Verdict::Stopped => paint.paint(style::BAD, "stopped before the end: rerun to continue"),
    };
    out.push_str(&format!("{verdict} ({}, {:.3}s)\n", report.table, report.seconds));
    out
}

