//! `repair`'s report for people: the plan as a table or CSV, and what applying it did. (Its
//! JSON document is the report itself, [`crate::output::json`].) Nothing here is painted.

use super::{Column, Style, count, csv_line, cut, fit, human_seconds, seconds, timestamp, wrap};
use crate::commands::repair::plan::Planned;
use crate::commands::repair::{RepairOutcome, RepairReport, SKIPPED_WHY};
use crate::db::queries::repair::Target;
use crate::state::Progress;

/// The plan's columns: on a narrow terminal everything gives way but the key's first characters.
const COLUMNS: [Column; 6] = [
    Column::id("key", 8),
    Column::id("user", 9),
    Column::id("task", 12),
    Column::text("before", 14),
    Column::text("after", 14),
    Column::text("reason", 16),
];

/// The plan as a human table (fitted to `paint.width`), then how many of the selected rows
/// change.
pub(crate) fn plan_table(report: &RepairReport, paint: Style) -> String {
    let rows: Vec<Vec<String>> = report
        .plan
        .iter()
        .map(|p| {
            let t = &p.target;
            vec![
                t.key.clone(),
                t.user_id.clone().unwrap_or_else(|| "NULL".into()),
                t.task_id.clone().unwrap_or_else(|| "NULL".into()),
                before_text(t),
                after_text(p),
                p.reason.clone(),
            ]
        })
        .collect();
    format!(
        "{}\n{} of {} to change\n",
        fit(&COLUMNS, &rows, paint.width),
        report.changes(),
        count(report.plan.len(), "selected row", "selected rows")
    )
}

/// The plan as CSV: a header, then one line per selected row.
pub(crate) fn plan_csv(report: &RepairReport) -> String {
    let mut out = csv_line(&["key", "user_id", "task_id", "updated_at", "silent_seconds", "before", "after", "reason"]);
    for p in &report.plan {
        let t = &p.target;
        out.push_str(&csv_line(&[
            t.key.clone(),
            t.user_id.clone().unwrap_or_default(),
            t.task_id.clone().unwrap_or_default(),
            t.updated_at.as_ref().map(timestamp).unwrap_or_default(),
            t.silent_seconds.map(seconds).unwrap_or_default(),
            before_text(t),
            after_text(p),
            p.reason.clone(),
        ]));
    }
    out
}

/// What applying did, for people: a summary, then one line per skipped row (cut to
/// `paint.width`), then why they were skipped.
pub(crate) fn outcome(outcome: &RepairOutcome, paint: Style) -> String {
    let mut out =
        format!("changed {}, skipped {}\n", count(outcome.applied.len(), "row", "rows"), outcome.skipped.len());
    for t in &outcome.skipped {
        let line = format!(
            "skipped {} (key {}, user {})",
            t.task_id.as_deref().unwrap_or("NULL"),
            t.key,
            t.user_id.as_deref().unwrap_or("NULL")
        );
        out.push_str(&format!("{}\n", paint.width.map_or_else(|| line.clone(), |w| cut(&line, w))));
    }
    if !outcome.skipped.is_empty() {
        out.push_str(&format!("{}\n", wrap(&format!("the skipped rows {SKIPPED_WHY}"), paint.width, "")));
    }
    out
}

/// A row's state in a few words: `syncing 40%`, `stopped NULL`.
fn state_text(is_syncing: Option<bool>, progress: Option<f64>) -> String {
    let progress = progress.map_or("NULL".into(), |p| format!("{}%", Progress(p)));
    match is_syncing {
        Some(true) => format!("syncing {progress}"),
        Some(false) => format!("stopped {progress}"),
        None => format!("is_syncing NULL, progress {progress}"),
    }
}

/// The row as the plan read it, with its silence unless it is stopped.
fn before_text(t: &Target) -> String {
    let mut text = state_text(t.is_syncing, t.progress);
    if t.is_syncing != Some(false) {
        text.push_str(&match t.silent_seconds {
            Some(s) => format!(", silent {}", human_seconds(s)),
            None => ", no heartbeat".into(),
        });
    }
    text
}

/// The row as it is to be: its state, whether a note is added, its new task id.
fn after_text(p: &Planned) -> String {
    let Some(c) = &p.change else { return "unchanged".into() };
    let mut text = state_text(Some(c.is_syncing), Some(c.progress as f64));
    if c.note.is_some() {
        text.push_str(", noted");
    }
    if let Some(id) = &c.new_task_id {
        text.push_str(&format!(", task_id {id}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::repair::SkippedRow;
    use crate::commands::repair::plan::decide;
    use crate::db::queries::repair::{Before, ChangedRow};

    const USER: &str = "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38";
    const TASK: &str = "sync_60f2ccbd-d754-4fa0-aa4d-35a7d6551d38_1753133270";

    /// A selected row as `repair/plan.sql` reads it: `key`, running or not, at `progress`,
    /// silent for `silent` seconds, no kind flag set.
    fn target(key: &str, is_syncing: Option<bool>, progress: Option<f64>, silent: Option<f64>) -> Target {
        Target {
            key: key.into(),
            tableoid: 16_384,
            ctid: format!("(0,{key})"),
            xmin: "731".into(),
            user_id: Some(format!("user-{key}")),
            task_id: Some(format!("task-{key}")),
            is_syncing,
            progress,
            silent_seconds: silent,
            updated_at: Some(chrono::TimeZone::timestamp_opt(&chrono::Utc, 1_753_162_070, 842_634_000).unwrap()),
            before: Before {
                is_syncing: is_syncing.map(|b| b.to_string()),
                progress: progress.map(|p| Progress(p).to_string()),
                updated_at: Some("2025-07-22 05:27:50.842634+00".into()),
                task_id: Some(format!("task-{key}")),
                error_message: None,
            },
            ..Target::default()
        }
    }

    /// The plan of every kind of row repair meets, as `decide` makes it: the incident (a
    /// half-released zombie), a task named with --task, a user's second running row, a live
    /// row at 99.7 %, a stopped one at 45 %, NULL states, a repeated task id, a skewed row and a
    /// live half-released one.
    fn plan() -> Vec<Planned> {
        let base = target("1", Some(true), Some(0.0), Some(42_837_930.5));
        let incident = Target {
            user_id: Some(USER.into()),
            task_id: Some(TASK.into()),
            zombie: true,
            half_released: true,
            before: Before {
                task_id: Some(TASK.into()),
                error_message: Some("任务被管理员手动清理（修复后）".into()),
                ..base.before.clone()
            },
            ..base
        };
        let targets = vec![
            incident,
            Target { named: true, ..target("2", Some(true), Some(40.0), Some(5.0)) },
            Target { second_running: true, ..target("3", Some(true), Some(10.0), Some(12.0)) },
            target("4", Some(true), Some(99.7), Some(3.0)),
            target("5", Some(false), Some(45.0), None),
            target("6", None, None, None),
            Target { repeated_task: true, ..target("7", Some(false), Some(100.0), None) },
            Target { skewed: true, ..target("8", Some(true), Some(20.0), Some(-28_800.0)) },
            Target { half_released: true, ..target("9", Some(true), Some(50.0), Some(7.0)) },
            Target { named: true, ..target("10", Some(false), Some(100.0), None) },
        ];
        targets.into_iter().map(decide).collect()
    }

    /// The report of the plan, applied: rows 5 and 6 changed since the plan.
    fn applied() -> RepairReport {
        let plan = plan();
        let changed = |p: &&Planned| p.change.is_some();
        let (kept, skipped): (Vec<&Planned>, Vec<&Planned>) =
            plan.iter().filter(changed).partition(|p| !["5", "6"].contains(&p.target.key.as_str()));
        let applied = kept
            .iter()
            .map(|p| {
                let c = p.change.as_ref().unwrap();
                ChangedRow {
                    key: p.target.key.clone(),
                    task_id: c.new_task_id.clone().or(p.target.task_id.clone()),
                    is_syncing: Some(c.is_syncing),
                    progress_percentage: Some(Progress(c.progress as f64)),
                    error_message: c
                        .note
                        .as_ref()
                        .map(|n| format!("released by syncctl repair: {n} at 2026-12-03 19:09:11+00")),
                    consistent: true,
                }
            })
            .collect();
        let skipped = skipped
            .iter()
            .map(|p| SkippedRow {
                key: p.target.key.clone(),
                user_id: p.target.user_id.clone(),
                task_id: p.target.task_id.clone(),
                why: SKIPPED_WHY,
            })
            .collect();
        RepairReport { plan, dry_run: false, result: Some(RepairOutcome { applied, skipped }) }
    }

    /// The plan as the user sees it before answering.
    #[test]
    fn the_plan_says_before_after_and_why() {
        insta::assert_snapshot!(plan_table(
            &RepairReport { plan: plan(), dry_run: true, result: None },
            Style::default()
        ));
    }

    #[test]
    fn the_plan_as_csv() {
        insta::assert_snapshot!(plan_csv(&RepairReport { plan: plan(), dry_run: true, result: None }));
    }

    #[test]
    fn the_outcome_lists_the_skipped_rows() {
        insta::assert_snapshot!(outcome(applied().result.as_ref().unwrap(), Style::default()));
    }

    #[test]
    fn the_dry_run_document_has_a_null_result() {
        insta::assert_snapshot!(crate::output::json(&RepairReport { plan: plan(), dry_run: true, result: None }));
    }

    #[test]
    fn the_applied_document_has_the_result() {
        insta::assert_snapshot!(crate::output::json(&applied()));
    }

    #[test]
    fn nothing_to_repair_is_an_empty_result() {
        let report = RepairReport { plan: Vec::new(), dry_run: false, result: Some(RepairOutcome::default()) };
        assert_eq!(
            crate::output::json(&report),
            "{\n  \"plan\": [],\n  \"dry_run\": false,\n  \"result\": {\n    \"applied\": [],\n    \"skipped\": []\n  }\n}\n"
        );
    }

    #[test]
    fn the_plan_and_the_outcome_at_every_width() {
        let dry = RepairReport { plan: plan(), dry_run: true, result: None };
        crate::output::matrix::at_every_width("repair_plan", &[], |style| plan_table(&dry, style));
        crate::output::matrix::at_every_width("repair_outcome", &[], |style| {
            outcome(applied().result.as_ref().unwrap(), style)
        });
    }
}
