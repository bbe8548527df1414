//! `validate-constraints`' report as a report for people, and as CSV.

use super::{Column, Style, csv_line, fit, style, wrap};
use crate::commands::validate::{CheckOutcome, ValidationReport};

/// The human report: each check with its count and samples, then the constraints, then the
/// verdict.
pub(crate) fn table(report: &ValidationReport, paint: Style) -> String {
    let mut out = String::new();
    for c in &report.checks {
        out.push_str(&check(c, paint));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", wrap(&c.summary(), paint.width, "  ")));
    }
    let verdict = if report.ok {
        paint.paint(style::GOOD, "the data would accept the constraints")
    } else if !report.data_ok {
        paint.paint(style::BAD, "the data would NOT accept the constraints")
    } else {
        paint.paint(style::BAD, "the data is clean, but the constraints are not all installed and valid")
    };
    out.push_str(&format!("{}\n", wrap(&format!("{verdict} ({})", report.table), paint.width, "  ")));
    out
}

/// A failed check's sample rows: the ids give way on a narrow terminal.
const SAMPLE_COLUMNS: [Column; 5] = [
    Column::id("key", 8),
    Column::id("user", 9),
    Column::id("task", 12),
    Column::whole("is_syncing"),
    Column::whole("progress"),
];

/// One check: `ok` with what guarantees it, or `FAIL` with its samples and what to do.
fn check(c: &CheckOutcome, paint: Style) -> String {
    if c.count == 0 {
        let why = c.guaranteed_by.as_ref().map(|i| format!(" (guaranteed by {i})")).unwrap_or_default();
        let line = format!("{} {}: none{why}", paint.paint(style::GOOD, "ok  "), c.check.name());
        return format!("{}\n", wrap(&line, paint.width, "     "));
    }
    let line = format!("{} {}: {}", paint.paint(style::BAD, "FAIL"), c.check.name(), c.check.counted(c.count));
    let mut out = format!("{}\n", wrap(&line, paint.width, "     "));
    let rows: Vec<Vec<String>> = c
        .samples
        .iter()
        .map(|s| {
            vec![
                s.key.clone(),
                s.user_id.clone().unwrap_or_else(|| "NULL".into()),
                s.task_id.clone().unwrap_or_else(|| "NULL".into()),
                s.is_syncing.map_or("NULL".into(), |b| b.to_string()),
                s.progress_percentage.map_or("NULL".into(), |p| p.to_string()),
            ]
        })
        .collect();
    out.push_str(&format!("{}\n", fit(&SAMPLE_COLUMNS, &rows, paint.width)));
    let shown = c.samples.len() as i64;
    if shown < c.count {
        out.push_str(&format!("     ... and {} more (--limit)\n", c.count - shown));
    }
    out.push_str(&format!(
        "     {}\n",
        wrap(&format!("help: {}", c.help), paint.width.map(|w| w.saturating_sub(5)), "     ")
    ));
    out
}

/// CSV: a header, then one line per sample row.
pub(crate) fn csv(report: &ValidationReport) -> String {
    let mut out = csv_line(&["check", "key", "user_id", "task_id", "is_syncing", "progress_percentage"]);
    for c in &report.checks {
        for s in &c.samples {
            out.push_str(&csv_line(&[
                c.check.name().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::validate::{Sample, ValidationCheck};
    use crate::state::Progress;
    use crate::table::ConstraintStatus;

    /// The three constraints: the CHECK missing, the running index valid under the table's own
    /// name, the task index missing.
    fn constraints() -> Vec<ConstraintStatus> {
        let status = |name: &'static str, kind: &'static str, object: &str, valid: bool| ConstraintStatus {
            name,
            kind,
            object: object.to_string(),
            oid: valid.then_some(16_384),
            exists: valid,
            valid,
            definition: valid.then(|| format!("definition of {object}")),
            problem: None,
            note: None,
        };
        vec![
            status("chk_sync_state_consistency", "check", "chk_sync_state_consistency", false),
            status("uniq_user_running_sync", "unique index", "user_sync_status_uniq_user_running_sync", true),
            status("uniq_task_id", "unique index", "uniq_task_id", false),
        ]
    }

    /// A check's outcome with these samples out of `count`.
    fn outcome(check: ValidationCheck, count: i64, samples: Vec<Sample>, by: Option<&str>) -> CheckOutcome {
        CheckOutcome {
            check,
            count,
            message: check.message(),
            help: check.help(),
            guaranteed_by: by.map(str::to_string),
            samples,
        }
    }

    /// A sample row; a `None` progress or syncing is a NULL state.
    fn sample(key: &str, task: Option<&str>, syncing: Option<bool>, progress: Option<f64>) -> Sample {
        Sample {
            key: key.into(),
            user_id: Some(format!("user-{key}")),
            task_id: task.map(str::to_string),
            is_syncing: syncing,
            progress_percentage: progress.map(Progress),
        }
    }

    /// The mixed table: two checks fail (one beyond --limit), one passes, one is guaranteed.
    fn failing() -> ValidationReport {
        ValidationReport {
            ok: false,
            data_ok: false,
            installed: false,
            table: "public.user_sync_status".into(),
            checks: vec![
                outcome(
                    ValidationCheck::CheckPredicate,
                    3,
                    vec![
                        sample("7", Some("mixed-running-100"), Some(true), Some(100.0)),
                        sample("8", Some("say, \"hi\""), Some(false), Some(45.5)),
                    ],
                    None,
                ),
                outcome(ValidationCheck::NullState, 1, vec![sample("9", None, None, None)], None),
                outcome(
                    ValidationCheck::DuplicateRunning,
                    0,
                    Vec::new(),
                    Some("user_sync_status_uniq_user_running_sync"),
                ),
                outcome(ValidationCheck::DuplicateTaskId, 0, Vec::new(), None),
            ],
            constraints: constraints(),
        }
    }

    /// Clean data, with the constraints not all installed.
    fn clean_not_installed() -> ValidationReport {
        let checks = ValidationCheck::ALL.into_iter().map(|c| outcome(c, 0, Vec::new(), None)).collect();
        ValidationReport {
            ok: false,
            data_ok: true,
            installed: false,
            table: "public.user_sync_status".into(),
            checks,
            constraints: constraints(),
        }
    }

    #[test]
    fn the_report_paints_failures_only_when_asked() {
        insta::assert_snapshot!(table(&failing(), Style::default()));
        let painted = table(&failing(), Style { color: true, width: None });
        assert!(painted.starts_with("\u{1b}[1m\u{1b}[31mFAIL"), "{painted}");
        assert!(painted.contains("\u{1b}[1m\u{1b}[32mok  "), "{painted}");
    }

    #[test]
    fn clean_data_without_the_constraints_is_said_so() {
        insta::assert_snapshot!(table(&clean_not_installed(), Style::default()));
    }

    #[test]
    fn csv_has_a_line_per_sample() {
        insta::assert_snapshot!(csv(&failing()));
    }

    #[test]
    fn json_is_the_documented_document() {
        insta::assert_snapshot!(crate::output::json(&failing()));
    }

    #[test]
    fn the_report_at_every_width() {
        crate::output::matrix::at_every_width("validate_failing", &[], |style| table(&failing(), style));
        crate::output::matrix::at_every_width("validate_clean", &[], |style| table(&clean_not_installed(), style));
    }
}
