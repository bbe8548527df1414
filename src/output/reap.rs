//! `reap`'s report: one line per row for people (and cron mail), or one JSON document per
//! pass. Nothing here is painted.

use crate::commands::reap::ReapReport;

/// One line per row: `released <task> user <user> silent <N>s`.
pub(crate) fn lines(report: &ReapReport) -> String {
    let verb = if report.dry_run { "would release" } else { "released" };
    report
        .released
        .iter()
        .map(|r| {
            format!(
                "{verb} {} user {} silent {}\n",
                r.task_id.as_deref().unwrap_or("NULL"),
                r.user_id.as_deref().unwrap_or("NULL"),
                r.silent_seconds.map_or("unknown (no heartbeat)".into(), |s| format!("{s}s"))
            )
        })
        .collect()
}

/// The JSON document on one line (a `--every` loop prints one per pass: JSON Lines).
pub(crate) fn json(report: &ReapReport) -> String {
    // A report is plain data: serialising it cannot fail.
    let mut text = serde_json::to_string(report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::queries::reap::ReleasedRow;

    /// A row of user u1 running `task`, silent `silent` seconds (None: no heartbeat).
    fn row(task: &str, silent: Option<i64>) -> ReleasedRow {
        ReleasedRow { task_id: Some(task.into()), user_id: Some("u1".into()), silent_seconds: silent }
    }

    /// Two rows, one without a heartbeat, one without a task id.
    fn rows() -> Vec<ReleasedRow> {
        vec![row("t1", Some(75)), row("t2", None), ReleasedRow { task_id: None, ..row("", Some(600)) }]
    }

    #[test]
    fn one_line_per_released_task() {
        insta::assert_snapshot!(lines(&ReapReport::new(rows(), false)));
    }

    #[test]
    fn a_dry_run_says_would_release() {
        insta::assert_snapshot!(lines(&ReapReport::new(rows(), true)));
    }

    #[test]
    fn one_json_document_per_pass() {
        insta::assert_snapshot!(json(&ReapReport::new(rows(), false)));
    }

    /// `dry_run` is present only on a dry run.
    #[test]
    fn a_dry_run_document_says_so() {
        insta::assert_snapshot!(json(&ReapReport::new(rows(), true)));
    }
}
