//! The snapshot matrix: every human output at 80 and 200 columns and for a pipe (no width),
//! with fixed times and ids, each checked to fit its width. [`at_every_width`] is the one
//! check; the renderers' own test modules call it for their outputs, and this module for the
//! outputs whose renderer files it leaves alone (health, reap, start).

use chrono::{DateTime, TimeZone, Utc};

use super::{DIAGNOSTIC_INDENT, Style, strip_ansi, wrap};

/// The widths of the matrix: a classic terminal, a wide one, and a pipe.
const WIDTHS: [(&str, Option<usize>); 3] = [("80", Some(80)), ("200", Some(200)), ("pipe", None)];

/// Renders `render` at each width of the matrix, as a snapshot named `<name>@<width>`, and
/// checks that on a terminal no line is wider than the terminal (characters counted, ANSI
/// colour stripped: the painted rendering is checked too), but the lines of `verbatim`: text
/// shown as written elsewhere (the SQL of `sql/`), which no renderer rewraps.
pub(super) fn at_every_width(name: &str, verbatim: &[&str], render: impl Fn(Style) -> String) {
    for (label, width) in WIDTHS {
        let text = render(Style { color: false, width });
        if let Some(width) = width {
            for painted in [text.clone(), render(Style { color: true, width: Some(width) })] {
                // A statement's last line comes with the `;` that ends it.
                let as_written =
                    |l: &str| verbatim.iter().any(|v| v.lines().any(|v| v == l.strip_suffix(';').unwrap_or(l)));
                let wide: Vec<&str> =
                    painted.lines().filter(|l| strip_ansi(l).chars().count() > width && !as_written(l)).collect();
                assert!(wide.is_empty(), "{name} at {width} columns has lines wider than that:\n{}", wide.join("\n"));
            }
        }
        insta::assert_snapshot!(format!("{name}@{label}"), text);
    }
}

/// A fixed point in time.
fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).unwrap()
}

/// A seed-shaped task id of this user.
fn task_of(user: &str) -> String {
    format!("sync_{user}_1a2b3c4d_1753133270")
}

const USERS: [&str; 2] = ["60f2ccbd-d754-4fa0-aa4d-35a7d6551d38", "b8682e13-90f2-661b-16ba-8074bcc08961"];

mod health {
    use super::*;
    use crate::output::health::tests::critical;

    #[test]
    fn the_health_summary() {
        at_every_width("health_summary", &[], |style| crate::output::health::table(&critical(), style));
    }
}

mod reap {
    use super::*;
    use crate::commands::reap::ReapReport;
    use crate::db::queries::reap::ReleasedRow;

    /// Released rows with seed-shaped ids, one that never heartbeated.
    fn rows() -> Vec<ReleasedRow> {
        let row = |user: &str, silent| ReleasedRow {
            task_id: Some(task_of(user)),
            user_id: Some(user.to_string()),
            silent_seconds: silent,
            version: String::new(),
        };
        vec![row(USERS[0], Some(75.4)), row(USERS[1], None)]
    }

    /// Reap's lines are log records, one per row whatever the width (cron appends them to a
    /// log that is grepped by task id); they are snapshotted at every width, and the records
    /// with seed-shaped ids are wider than 80 columns, so they are checked as a pipe only.
    #[test]
    fn the_reap_lines() {
        for dry_run in [false, true] {
            let report = ReapReport { released: rows(), dry_run };
            let text = crate::output::reap::lines(&report, at(1_796_000_000));
            insta::assert_snapshot!(format!("reap_lines_dry_run_{dry_run}"), text);
        }
    }
}

mod start {
    use serde_json::json;

    use super::*;
    use crate::commands::start::progress::{Ending, SyncProgress};
    use crate::output::start::*;

    /// Every line `start` writes for people, each as the [`crate::output::Printer`] writes a
    /// diagnostic at that width.
    #[test]
    fn the_start_lines() {
        let task = task_of(USERS[0]);
        let mut snapshot = SyncProgress::initial();
        snapshot.progress = 42;
        snapshot.stats.insert("new".into(), json!(10));
        let live = live_task(&task, 45.0, Some(3.4));
        let error = anyhow::anyhow!("connection refused").context("reconnecting");
        let lines = [
            progress_line(&snapshot),
            summary(Ending::Completed, &task, &snapshot, None),
            summary(Ending::Stalled, &task, &snapshot, Some("stalled: no progress for 5m")),
            already_running(USERS[0], &live),
            reusing(&live),
            took_over(&task_of(USERS[1]), "its heartbeat is in the future (a clock or time-zone bug)"),
            no_task_index("uniq_task_id", "public.user_sync_status"),
            reconnected(&task),
            heartbeat_failed(&task, &error),
            stats_refused(&task, "unsupported Unicode escape sequence"),
            final_stats_refused(&task, "value too long"),
            release_refused(&task, &error),
            release_failed(&task, &error),
        ];
        at_every_width("start_lines", &[], |style| {
            lines.iter().map(|l| wrap(l, style.width, DIAGNOSTIC_INDENT) + "\n").collect()
        });
    }
}
