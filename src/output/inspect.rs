//! `inspect`'s report as a table for people, and as CSV.

use super::{Column, Style, fit, human_ago, human_seconds, offset, style, timestamp_short, wrap};
use crate::commands::inspect::InspectReport;
use crate::state::State;

/// Inspect's columns: ids and the error give way on a narrow terminal.
const COLUMNS: [Column; 7] = [
    Column::id("user", 9),
    Column::id("task", 12),
    Column::whole("state"),
    Column::whole("progress"),
    Column::whole("silent for"),
    Column::whole("started"),
    Column::text("error", 10),
];

/// The human table, then the count per state. On a terminal `started` reads as a time ago (the
/// same vocabulary as `silent for`, and a third of the width); a pipe gets the timestamp.
pub(crate) fn table(report: &InspectReport, paint: Style) -> String {
    let mut out = String::new();
    if !report.rows.is_empty() {
        let rows: Vec<Vec<String>> = report
            .rows
            .iter()
            .map(|r| {
                let states = r
                    .states
                    .iter()
                    .map(|s| match (s, r.skew_offset_seconds) {
                        (State::Skewed, Some(o)) => format!("{s} ({})", offset(o)),
                        _ => s.name().to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let painted = match r.states.first() {
                    Some(s) if s.is_problem() => paint.paint(style::BAD, &states),
                    _ => states,
                };
                let started = r.started_at.as_ref().map_or("-".into(), |t| match paint.width {
                    Some(_) => human_ago((report.now - *t).as_seconds_f64()),
                    None => timestamp_short(t),
                });
                vec![
                    r.user_id.clone().unwrap_or_else(|| "NULL".into()),
                    r.task_id.clone().unwrap_or_else(|| "NULL".into()),
                    painted,
                    r.progress_percentage.map_or("NULL".into(), |p| format!("{p}%")),
                    r.silent_seconds.map_or("-".into(), human_seconds),
                    started,
                    r.error_message.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&fit(&COLUMNS, &rows, paint.width));
        out.push('\n');
    }
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(s, n)| format!("{} {}", s.name(), n.map_or("not searched".to_string(), |n| n.to_string())))
        .collect();
    out.push_str(&format!("{}\n", wrap(&format!("counts: {}", counts.join(", ")), paint.width, "        ")));
    out
}

/// CSV: a header, then one line per row; states separated by `;`.
pub(crate) fn csv(report: &InspectReport) -> String {
    super::csv(&report.rows)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::db::queries::inspect::ClassifiedRow;
    use crate::state::{Progress, State};

    /// A report with the incident's row, a healthy one with a numeric progress, and a live one whose
    /// writer stores a shifted clock, on a standby.
    fn report() -> InspectReport {
        let at = |s| Utc.timestamp_opt(s, 0).unwrap();
        let row = |key: &str, states: Vec<State>, progress: f64, silent: f64, error: Option<&str>| ClassifiedRow {
            key: key.into(),
            user_id: Some(format!("60f2ccbd-d754-4fa0-aa4d-35a7d655{key:0>4}")),
            task_id: Some(format!("sync_60f2ccbd-d754-4fa0-aa4d-35a7d655{key:0>4}_1a2b3c4d_1753133270")),
            states,
            skew_offset_seconds: None,
            is_syncing: Some(true),
            progress_percentage: Some(Progress(progress)),
            silent_seconds: Some(silent),
            started_at: Some(at(1_753_133_270)),
            updated_at: Some(at(1_753_162_070)),
            error_message: error.map(str::to_string),
        };
        InspectReport {
            now: at(1_796_000_000),
            heartbeat_timeout_seconds: 600.0,
            counts: State::ALL.iter().map(|&s| (s, (s != State::Duplicate).then_some(1))).collect(),
            rows: vec![
                row(
                    "1",
                    vec![State::Zombie, State::HalfReleased],
                    0.0,
                    42_837_930.5,
                    Some("任务被管理员手动清理（修复后）"),
                ),
                row("2", vec![State::Running], 99.7, 12.25, None),
                // A writer storing naive UTC from a session in UTC+8, still heartbeating.
                ClassifiedRow {
                    skew_offset_seconds: Some(-28_800),
                    ..row("3", vec![State::Skewed], 40.0, 28_803.5, None)
                },
            ],
            naive_timestamps: None,
            replay_lag_seconds: Some(Some(1.5)),
        }
    }

    #[test]
    fn the_table_paints_problems_only_when_asked() {
        insta::assert_snapshot!(table(&report(), Style::default()));
        let painted = table(&report(), Style { color: true, width: None });
        assert!(painted.contains("\u{1b}[1m\u{1b}[31mzombie, half-released"), "{painted}");
        assert!(!painted.contains("\u{1b}[1m\u{1b}[31mrunning"), "{painted}");
    }

    #[test]
    fn csv_has_a_header_and_a_line_per_row() {
        insta::assert_snapshot!(csv(&report()));
    }

    #[test]
    fn json_is_the_documented_document() {
        insta::assert_snapshot!(crate::output::json(&report()));
    }

    #[test]
    fn the_table_at_every_width() {
        crate::output::matrix::at_every_width("inspect_table", &[], |style| table(&report(), style));
    }
}
