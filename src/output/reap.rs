//! `reap`'s report: lines for people (and the log cron appends them to), each starting with the
//! time, or JSON documents. Nothing here is painted.

use chrono::{DateTime, Utc};

use super::{human_seconds, timestamp_short};
use crate::commands::reap::{ReapReport, Tally};

/// One line per row, at `at`: `<time> released <task> user <user> silent <duration>`.
pub(crate) fn lines(report: &ReapReport, at: DateTime<Utc>) -> String {
    let verb = if report.dry_run { "would release" } else { "released" };
    let at = timestamp_short(&at);
    report
        .released
        .iter()
        .map(|r| {
            format!(
                "{at} {verb} {} user {} silent {}\n",
                r.task_id.as_deref().unwrap_or("NULL"),
                r.user_id.as_deref().unwrap_or("NULL"),
                r.silent_seconds.map_or("unknown (no heartbeat)".into(), human_seconds)
            )
        })
        .collect()
}

/// The line a `--every` pass ends with, so the log shows the loop is alive: `<time> pass 3:
/// released 2`, or `<time> pass 3: nothing to reap`.
pub(crate) fn pass_line(pass: u64, count: u64, dry_run: bool, at: DateTime<Utc>) -> String {
    let what = match (count, dry_run) {
        (0, _) => "nothing to reap".to_string(),
        (n, false) => format!("released {n}"),
        (n, true) => format!("would release {n}"),
    };
    format!("{} pass {pass}: {what}\n", timestamp_short(&at))
}

/// The summary a `--every` loop prints when a signal stops it.
pub(crate) fn summary(tally: &Tally, dry_run: bool, at: DateTime<Utc>) -> String {
    let verb = if dry_run { "found releasable" } else { "released" };
    let passes = if tally.passes == 1 { "pass" } else { "passes" };
    format!(
        "{} stopped by {}: {} {passes}, {verb} {} in total since {}\n",
        timestamp_short(&at),
        tally.stopped_by,
        tally.passes,
        tally.released_total,
        timestamp_short(&tally.since)
    )
}

/// A JSON document on one line (a `--every` loop prints one per pass, then its summary: JSON
/// Lines).
pub(crate) fn json(document: &impl serde::Serialize) -> String {
    // A report is plain data: serialising it cannot fail.
    let mut text = serde_json::to_string(document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::db::queries::reap::ReleasedRow;

    /// When the lines are printed.
    fn at() -> DateTime<Utc> {
        Utc.timestamp_opt(1_796_000_000, 0).unwrap()
    }

    /// A row of user u1 running `task`, silent `silent` seconds (None: no heartbeat).
    fn row(task: &str, silent: Option<f64>) -> ReleasedRow {
        ReleasedRow {
            task_id: Some(task.into()),
            user_id: Some("u1".into()),
            silent_seconds: silent,
            version: String::new(),
        }
    }

    /// Three rows: one without a heartbeat, one without a task id, one silent for years.
    fn rows() -> Vec<ReleasedRow> {
        vec![
            row("t1", Some(75.5)),
            row("t2", None),
            ReleasedRow { task_id: None, ..row("", Some(600.0)) },
            row("t4", Some(43_047_907.25)),
        ]
    }

    fn report(dry_run: bool) -> ReapReport {
        ReapReport { released: rows(), dry_run }
    }

    #[test]
    fn one_line_per_released_task() {
        insta::assert_snapshot!(lines(&report(false), at()));
    }

    #[test]
    fn a_dry_run_says_would_release() {
        insta::assert_snapshot!(lines(&report(true), at()));
    }

    #[test]
    fn one_json_document_per_pass() {
        insta::assert_snapshot!(json(&report(false)));
    }

    /// A dry run released nothing: its list is `would_release`, and it says `dry_run`.
    #[test]
    fn a_dry_run_document_says_so() {
        insta::assert_snapshot!(json(&report(true)));
    }

    #[test]
    fn every_pass_says_what_it_did() {
        let text = [pass_line(1, 2, false, at()), pass_line(2, 0, false, at()), pass_line(3, 1, true, at())].concat();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_stopped_loop_sums_up() {
        let tally =
            Tally { passes: 12, released_total: 3, since: at() - chrono::Duration::minutes(24), stopped_by: "SIGTERM" };
        insta::assert_snapshot!("a_stopped_loop_sums_up_for_people", summary(&tally, false, at()));
        insta::assert_snapshot!("a_stopped_loop_sums_up_as_json", json(&tally));
    }
}
