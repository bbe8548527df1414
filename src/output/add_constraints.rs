//! `add-constraints`' reports for people: the plan of `--dry-run` as the SQL it would run, with
//! its comments, and the summary of a run. (Their JSON is the reports themselves; the
//! `--print-sql` script is rendered by `commands/add_constraints/script.rs`.)

use super::{Column, Style, fit, fit_sql_comments, human_seconds, style, wrap};
use crate::commands::add_constraints::plan::{Bound, REPAIR_OBJECT, flag_duration};
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
            format!("{}{object} {}", c.name, c.state_name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--dry-run`: the statements the current state needs, as SQL with their comments (wrapped to
/// `paint.width`), each step after the lock_timeout it would run with.
pub(crate) fn dry_run_sql(plan: &DryRunPlan, paint: Style) -> String {
    let comment = |text: String| format!("-- {}\n", wrap(&text, paint.width.map(|w| w.saturating_sub(3)), "-- "));
    let mut out = comment(format!(
        "syncctl add-constraints{} --dry-run on {}: {}",
        if plan.action == Action::Rollback { " --rollback" } else { "" },
        plan.table,
        constraints_line(&plan.constraints),
    ));
    for c in &plan.constraints {
        if let Some(note) = c.note.as_ref().filter(|_| c.problem.is_none()) {
            out.push_str(&comment(format!("{}: {note}", c.name)));
        }
        if let Some(Problem::NotEnforceable(why) | Problem::PartitionedBuild(why)) = &c.problem {
            out.push_str(&comment(format!("{}: {}: {why}; no step for it", c.name, c.state_name())));
        }
    }
    for b in &plan.builds_in_progress {
        out.push_str(&comment(format!(
            "{} is in progress: the index steps wait for it first (at most {}), and drop nothing it builds",
            build_in_progress(b),
            plan.bounds.waits_at_most(Bound::Build)
        )));
    }
    if plan.steps.is_empty() {
        out.push_str(&comment(format!("nothing to do on {}", plan.table)));
        return out;
    }
    out.push_str(&comment(format!(
        "nothing below has run. The ACCESS EXCLUSIVE steps wait at most --lock-timeout ({}) for their lock and \
         are retried up to {} times; the others block no writer and wait at most --build-wait ({}).",
        flag_duration(plan.bounds.lock_timeout),
        plan.bounds.retries,
        flag_duration(plan.bounds.build_wait),
    )));
    let sql = |text: &str| fit_sql_comments(text.trim_end(), paint.width);
    out.push_str(&format!("\n{};\n", sql(plan.lift_statement_timeout)));
    let mut current = None;
    for step in &plan.steps {
        if current != Some(step.bound.bound) && !step.lock_timeout.is_empty() {
            out.push_str(&format!("\n{};\n", sql(&step.lock_timeout)));
            current = Some(step.bound.bound);
        }
        // The repair step is comments only: no statement, no `;`.
        let end = if step.object == REPAIR_OBJECT { "" } else { ";" };
        out.push_str(&format!("\n{}{end}\n", sql(&step.statement)));
    }
    out
}

/// The steps of a run: what a step did and the bounds give way on a narrow terminal.
const STEP_COLUMNS: [Column; 5] = [
    Column::text("step", 16),
    Column::text("result", 10),
    Column::whole("attempts"),
    Column::whole("time"),
    Column::text("waits at most", 13),
];

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
        let rows: Vec<Vec<String>> = report
            .steps
            .iter()
            .map(|step| {
                let result =
                    step.note.as_ref().map_or_else(|| step.status.to_string(), |n| format!("{}: {n}", step.status));
                vec![
                    step.step.clone(),
                    result,
                    step.attempts.to_string(),
                    step.seconds.map_or_else(String::new, human_seconds),
                    report.bounds.waits_at_most(step.bound.bound),
                ]
            })
            .collect();
        out.push_str(&format!("{}\n", fit(&STEP_COLUMNS, &rows, paint.width)));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", wrap(&c.summary(), paint.width, "  ")));
    }
    let verdict = match report.verdict {
        Verdict::Installed => paint.paint(style::GOOD, "the three constraints are installed and valid"),
        Verdict::Removed => paint.paint(style::GOOD, "the three constraints are removed"),
        Verdict::InstalledWhatCan => {
            paint.paint(style::WARN, "installed what can be installed on this table; the rest cannot be (see above)")
        }
        Verdict::Stopped => paint.paint(style::BAD, "stopped before the end: rerun to continue"),
    };
    let verdict = format!("{verdict} ({}, {})", report.table, human_seconds(report.seconds));
    out.push_str(&format!("{}\n", wrap(&verdict, paint.width, "  ")));
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::commands::add_constraints::plan::{Bounds, Step, rollback_plan, rollout_plan};
    use crate::commands::add_constraints::report::{DataRefusal, StepResult, WaitBound};
    use crate::commands::add_constraints::script;
    use crate::table::{CHECK_NAME, RUNNING_INDEX, TASK_INDEX, Table};

    fn status(name: &'static str, exists: bool, valid: bool) -> ConstraintStatus {
        ConstraintStatus::example(name, exists, valid)
    }

    /// The reference table (sql/schema.sql) with these objects.
    fn table(constraints: Vec<ConstraintStatus>) -> Table {
        Table {
            schema: "public".into(),
            name: "user_sync_status".into(),
            oid: 16_384,
            columns: Vec::new(),
            key: vec!["id".into()],
            one_row_per_user: false,
            user_hash: "\"pg_catalog\".\"hashtext\"".into(),
            constraints,
        }
    }

    /// The defaults: `--lock-timeout 2s`, `--retries 5`, `--build-wait 10m`.
    fn bounds() -> Bounds {
        Bounds { lock_timeout: Duration::from_secs(2), retries: 5, build_wait: Duration::from_secs(600) }
    }

    /// Nothing installed yet.
    fn fresh() -> Table {
        table(vec![
            status(CHECK_NAME, false, false),
            status(RUNNING_INDEX, false, false),
            status(TASK_INDEX, false, false),
        ])
    }

    /// A rollout interrupted earlier, on a table where one index cannot be enforced, while
    /// another session builds an index.
    fn halfway() -> (Table, Vec<IndexBuild>) {
        let mut running = status(RUNNING_INDEX, false, false);
        running.problem = Some(Problem::NotEnforceable("partitioned by LIST (sync_type)".into()));
        let mut task = status(TASK_INDEX, true, false);
        task.object = "user_sync_status_uniq_task_id".into();
        task.definition = Some(
            "CREATE UNIQUE INDEX user_sync_status_uniq_task_id ON public.user_sync_status USING btree (task_id)".into(),
        );
        task.note = Some("uniq_task_id is index public.uniq_task_id of table public.other".into());
        let build = IndexBuild {
            pid: 4242,
            index_oid: Some(16_600),
            index_name: Some("other_idx".into()),
            phase: "building index: scanning table".into(),
        };
        (table(vec![status(CHECK_NAME, true, false), running, task]), vec![build])
    }

    fn dry_run(table: &Table, action: Action, builds: Vec<IndexBuild>) -> DryRunPlan {
        let plan = match action {
            Action::Rollout => rollout_plan(&table.constraints),
            Action::Rollback => rollback_plan(&table.constraints),
        };
        DryRunPlan::new(table, &plan, action, bounds(), builds, None)
    }

    #[test]
    fn the_dry_run_of_a_fresh_table_is_the_whole_rollout() {
        let plan = dry_run(&fresh(), Action::Rollout, Vec::new());
        insta::assert_snapshot!(dry_run_sql(&plan, Style::default()));
        insta::assert_snapshot!(crate::output::json(&plan));
    }

    #[test]
    fn with_repair_the_dry_run_repairs_right_after_the_check_is_added() {
        use crate::commands::add_constraints::plan::with_repair;
        let table = fresh();
        let plan = with_repair(rollout_plan(&table.constraints));
        let plan = DryRunPlan::new(&table, &plan, Action::Rollout, bounds(), Vec::new(), None);
        insta::assert_snapshot!(dry_run_sql(&plan, Style::default()));
    }

    #[test]
    fn the_dry_run_says_what_it_leaves_out_and_waits_for() {
        let (table, builds) = halfway();
        let plan = dry_run(&table, Action::Rollout, builds);
        insta::assert_snapshot!(dry_run_sql(&plan, Style::default()));
        insta::assert_snapshot!(crate::output::json(&plan));
    }

    #[test]
    fn the_dry_run_of_a_rollback_with_nothing_to_drop() {
        let plan = dry_run(&fresh(), Action::Rollback, Vec::new());
        let text = dry_run_sql(&plan, Style::default());
        assert!(
            text.starts_with("-- syncctl add-constraints --rollback --dry-run on public.user_sync_status:"),
            "{text}"
        );
        assert!(text.ends_with("-- nothing to do on public.user_sync_status\n"), "{text}");
    }

    /// A rollout whose third step ran out of --build-wait.
    fn stopped() -> RolloutSummary {
        let bounds = bounds();
        let plan = rollout_plan(&fresh().constraints);
        let result = |step: &Step, status, attempts, seconds, note: Option<&str>| StepResult {
            step: step.label(),
            object: step.object(),
            lock: step.lock(),
            status,
            note: note.map(str::to_string),
            attempts,
            seconds,
            bound: WaitBound::of(step, &bounds),
        };
        let steps = vec![
            result(&plan[0], "done", 2, Some(2.5125), None),
            result(&plan[1], "skipped", 1, Some(0.004), Some("chk_sync_state_consistency is valid already")),
            result(&plan[2], "failed", 1, Some(600.0), None),
            result(&plan[3], "not run", 0, None, None),
        ];
        let after =
            vec![status(CHECK_NAME, true, true), status(RUNNING_INDEX, true, false), status(TASK_INDEX, false, false)];
        RolloutSummary {
            ok: false,
            action: Action::Rollout,
            table: "public.user_sync_status".into(),
            steps,
            constraints: after,
            validation: Some(validation(true)),
            seconds: 602.5,
            error: Some("build uniq_user_running_sync concurrently on public.user_sync_status: still waiting".into()),
            repair: None,
            verdict: Verdict::Stopped,
            bounds,
        }
    }

    /// A validation that found the data clean or not, with no check listed.
    fn validation(clean: bool) -> crate::commands::validate::ValidationReport {
        crate::commands::validate::ValidationReport {
            ok: clean,
            data_ok: clean,
            installed: false,
            table: "public.user_sync_status".into(),
            checks: Vec::new(),
            constraints: Vec::new(),
        }
    }

    #[test]
    fn the_summary_lists_every_step_and_paints_the_verdict() {
        insta::assert_snapshot!(summary(&stopped(), Style::default()));
        let painted = summary(&stopped(), Style { color: true, width: None });
        assert!(painted.contains("\u{1b}[1m\u{1b}[31mstopped before the end"), "{painted}");
        insta::assert_snapshot!(crate::output::json(&stopped()));
    }

    #[test]
    fn a_summary_with_nothing_to_do_says_why() {
        let nothing = |action, verdict| RolloutSummary {
            steps: Vec::new(),
            action,
            verdict,
            ok: true,
            error: None,
            validation: None,
            repair: Some(serde_json::json!({"ok": true})),
            constraints: fresh().constraints,
            ..stopped()
        };
        insta::assert_snapshot!(summary(&nothing(Action::Rollback, Verdict::Removed), Style::default()));
        let text = summary(&nothing(Action::Rollout, Verdict::Installed), Style::default());
        assert!(text.starts_with("nothing to do: the three objects are valid on public.user_sync_status\n"), "{text}");
        let text = summary(&nothing(Action::Rollout, Verdict::InstalledWhatCan), Style::default());
        assert!(text.starts_with("nothing to do: what can be installed is installed"), "{text}");
        insta::assert_snapshot!(crate::output::json(&nothing(Action::Rollback, Verdict::Removed)));
    }

    #[test]
    fn a_refusal_is_one_document() {
        let refused = DataRefusal {
            ok: false,
            table: "public.user_sync_status".into(),
            refused: true,
            validation: Some(validation(false)),
            repair: None,
        };
        insta::assert_snapshot!(crate::output::json(&refused));
        let repair_stopped =
            DataRefusal { refused: false, validation: None, repair: Some(serde_json::json!({"ok": false})), ..refused };
        insta::assert_snapshot!(crate::output::json(&repair_stopped));
    }

    #[test]
    fn the_script_for_the_reference_table() {
        insta::assert_snapshot!(
            script::render("user_sync_status", Duration::from_secs(2), Duration::from_secs(600)).unwrap()
        );
    }

    #[test]
    fn the_script_for_a_quoted_schema_qualified_name() {
        let script =
            script::render("\"Sync Ops\".\"User Sync\"", Duration::from_millis(1500), Duration::from_secs(60)).unwrap();
        insta::assert_snapshot!(script);
    }

    #[test]
    fn the_dry_run_and_the_summary_at_every_width() {
        // The statements' code is shown as sql/ writes it; their comments and the lines around
        // them fit.
        let sql = |plan: &DryRunPlan| -> Vec<String> {
            let mut sql: Vec<&str> =
                plan.steps.iter().flat_map(|s| [s.statement.as_str(), s.lock_timeout.as_str()]).collect();
            sql.push(plan.lift_statement_timeout);
            sql.iter().flat_map(|s| s.lines()).filter(|l| !l.trim_start().starts_with("--")).map(String::from).collect()
        };
        let fresh = dry_run(&fresh(), Action::Rollout, Vec::new());
        let verbatim = sql(&fresh);
        let verbatim: Vec<&str> = verbatim.iter().map(String::as_str).collect();
        crate::output::matrix::at_every_width("add_constraints_dry_run", &verbatim, |style| dry_run_sql(&fresh, style));
        let (table, builds) = halfway();
        let halfway = dry_run(&table, Action::Rollout, builds);
        let verbatim = sql(&halfway);
        let verbatim: Vec<&str> = verbatim.iter().map(String::as_str).collect();
        crate::output::matrix::at_every_width("add_constraints_dry_run_halfway", &verbatim, |style| {
            dry_run_sql(&halfway, style)
        });
        crate::output::matrix::at_every_width("add_constraints_summary", &[], |style| summary(&stopped(), style));
    }
}
