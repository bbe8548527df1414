//! `health`'s report as a summary for people, and as Prometheus text.

use super::{Column, Style, fit, human_seconds, style, timestamp_short, wrap};
use crate::commands::health::{HealthReport, HeartbeatReport};
use crate::db::queries::health::{Statistics, Zombie};
use crate::exit::Level;

/// The statistics a person and Prometheus see, in order, with their help text.
fn figures(s: &Statistics) -> [(&'static str, &'static str, i64); 6] {
    [
        ("total_users", "Rows in the table.", s.total_users),
        ("active_syncs", "Rows with is_syncing.", s.active_syncs),
        ("zombie_tasks", "Running rows whose heartbeat is older than the timeout.", s.zombie_tasks),
        ("inconsistent_tasks", "Rows violating the state CHECK predicate or with NULL states.", s.inconsistent_tasks),
        ("recent_completed_syncs", "Syncs completed in the last hour.", s.recent_completed_syncs),
        (
            "skewed_tasks",
            "Rows with a skewed clock: in the future, or a live heartbeat shifted by a time-zone offset.",
            s.skewed_tasks,
        ),
    ]
}

/// The human summary. Its first line is a monitoring plugin's status line: the verdict, the
/// table, the counts behind the verdict, then Nagios performance data after `|` (wrapped on a
/// terminal). Then when it
/// was made, and (unless it could not ask) the statistics, the zombies, the constraints and the
/// warnings.
pub(crate) fn table(report: &HealthReport, paint: Style) -> String {
    let verdict = match report.status {
        Level::Ok => style::GOOD,
        Level::Warning => style::WARN,
        _ => style::BAD,
    };
    let painted = paint.paint(verdict, report.status.name());
    // A monitor reads the status line from a pipe, whole; a person on a terminal gets it
    // wrapped, performance data included.
    let mut out = format!("{}\n", wrap(&format!("{painted} {}", status_line(report)), paint.width, "  "));
    out.push_str(&format!("checked at {}\n", timestamp_short(&report.timestamp)));
    if report.error.is_some() {
        return out;
    }
    if let Some(s) = &report.statistics {
        out.push_str(&format!("{}\n", statistics_table(s, paint.width)));
    }
    if let Some(cost) = &report.heartbeat_cost {
        out.push_str(&format!("{}\n", wrap(&heartbeat_line(cost), paint.width, "  ")));
    }
    if !report.zombies.is_empty() {
        out.push_str(&format!("{}\n", zombies_table(&report.zombies, paint.width)));
    }
    let more = report.statistics.as_ref().map_or(0, |s| s.zombie_tasks) - report.zombies.len() as i64;
    if more > 0 {
        out.push_str(&format!("… and {more} more (syncctl inspect --state zombie)\n"));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", wrap(&c.summary(), paint.width, "  ")));
    }
    for w in &report.warnings {
        out.push_str(&format!(
            "{}\n",
            wrap(&format!("{} {w}", paint.paint(style::WARN, "warning:")), paint.width, "  ")
        ));
    }
    out
}

/// What the heartbeats cost: `heartbeats: 97.4% of 12700 updates HOT, 42 dead row versions`.
fn heartbeat_line(cost: &HeartbeatReport) -> String {
    let c = &cost.cost;
    let hot = match cost.cost.hot_ratio() {
        Some(r) => format!("{:.1}% of {} HOT", r * 100.0, super::count(c.updates as usize, "update", "updates")),
        None => "no update yet".to_string(),
    };
    format!("heartbeats: {hot}, {}", super::count(c.dead_tuples as usize, "dead row version", "dead row versions"))
}

/// The status line after the verdict: `<table>: 2 zombies, 0 inconsistent rows, 2 running of 6
/// rows, 1 warning | zombie_tasks=2;;0;0 …`, or `<table>: <why it could not ask>` (no figures,
/// so no performance data). A `|` of the text would start the performance data early, so it
/// reads `/`; the line stays one line.
fn status_line(report: &HealthReport) -> String {
    let one_line = |text: &str| text.replace(['\n', '\r'], " ").replace('|', "/");
    let table = one_line(&report.table);
    if let Some(error) = &report.error {
        return format!("{table}: {}", one_line(error));
    }
    let Some(s) = &report.statistics else { return table };
    let count = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut counts = vec![
        count(s.zombie_tasks, "zombie", "zombies"),
        count(s.inconsistent_tasks, "inconsistent row", "inconsistent rows"),
        format!("{} running of {}", s.active_syncs, count(s.total_users, "row", "rows")),
    ];
    if !report.warnings.is_empty() {
        counts.push(count(report.warnings.len() as i64, "warning", "warnings"));
    }
    format!("{table}: {} | {}", counts.join(", "), perfdata(s, report.warnings.len()))
}

/// Nagios performance data (`label=value;warn;crit;min`, the plugin guidelines' format): the
/// statistics under the names Prometheus uses, and the number of warnings. A threshold of `0`
/// alerts on anything above zero, as the verdict does: CRITICAL for a zombie or an inconsistent
/// row, WARNING for a skewed row or any warning. The labels need no quotes.
fn perfdata(s: &Statistics, warnings: usize) -> String {
    let mut fields: Vec<String> = figures(s)
        .into_iter()
        .map(|(name, _, value)| {
            let thresholds = match name {
                "zombie_tasks" | "inconsistent_tasks" => ";0",
                "skewed_tasks" => "0;",
                _ => ";",
            };
            format!("{name}={value};{thresholds};0")
        })
        .collect();
    fields.push(format!("warnings={warnings};0;;0"));
    fields.join(" ")
}

/// The statistics, one per line.
fn statistics_table(s: &Statistics, width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> =
        figures(s).iter().map(|(name, _, value)| vec![name.to_string(), value.to_string()]).collect();
    fit(&[Column::whole("statistic"), Column::whole("value")], &rows, width)
}

/// The zombies, the longest silent first; their ids give way on a narrow terminal.
fn zombies_table(zombies: &[Zombie], width: Option<usize>) -> String {
    const COLUMNS: [Column; 5] = [
        Column::id("zombie task", 12),
        Column::id("user", 9),
        Column::whole("started"),
        Column::whole("last update"),
        Column::whole("silent"),
    ];
    let rows: Vec<Vec<String>> = zombies
        .iter()
        .map(|z| {
            vec![
                z.task_id.clone().unwrap_or_else(|| "NULL".into()),
                z.user_id.clone().unwrap_or_else(|| "NULL".into()),
                z.started_at.as_ref().map_or("-".into(), timestamp_short),
                z.last_update.as_ref().map_or("-".into(), timestamp_short),
                z.silent_seconds.map_or("-".into(), human_seconds),
            ]
        })
        .collect();
    fit(&COLUMNS, &rows, width)
}

/// A Prometheus label's value, escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition for node_exporter's textfile collector: every gauge labelled
/// with the table; the statistics, the constraints and the heartbeats' cost only when they
/// could be gathered.
pub(crate) fn prometheus(report: &HealthReport) -> String {
    let table = label_value(&report.table);
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP syncctl_{name} {help}\n# TYPE syncctl_{name} gauge\n"));
        for (labels, value) in samples {
            out.push_str(&format!("syncctl_{name}{{table=\"{table}\"{labels}}} {value}\n"));
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    let flag = |b: bool| f64::from(u8::from(b));
    gauge("up", "1 when syncctl could read the table, 0 when it could not.", one(flag(report.error.is_none())));
    gauge(
        "health_status",
        "The verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        one(f64::from(report.status.code())),
    );
    gauge("healthy", "1 when there is no zombie and no inconsistent row.", one(flag(report.healthy)));
    if let Some(s) = &report.statistics {
        for (name, help, value) in figures(s) {
            gauge(name, help, one(value as f64));
        }
        let constraints = report.constraints.iter().map(|c| (format!(",name=\"{}\"", c.name), flag(c.valid))).collect();
        gauge("constraint_valid", "1 when the constraint or unique index exists and is valid.", constraints);
    }
    if let Some(cost) = &report.heartbeat_cost {
        let c = &cost.cost;
        if let Some(ratio) = cost.hot_ratio {
            gauge(
                "hot_update_ratio",
                "The share of the table's updates that were HOT (heartbeats should be).",
                one(ratio),
            );
        }
        gauge(
            "dead_tuples",
            "Dead row versions in the table (the statistics collector's estimate).",
            one(c.dead_tuples as f64),
        );
        let indexes = c.rewritten_indexes.iter().map(|i| (format!(",name=\"{}\"", label_value(i)), 1.0)).collect();
        gauge(
            "heartbeat_rewritten_index",
            "An index on a column every heartbeat rewrites: it keeps heartbeats from being HOT.",
            indexes,
        );
    }
    gauge(
        "health_timestamp_seconds",
        "When the report was made (the database clock), in Unix seconds.",
        one(report.timestamp.timestamp() as f64),
    );
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::table::ConstraintStatus;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    /// The three constraints: the CHECK NOT VALID, the running index valid, the task index
    /// missing.
    fn constraints() -> Vec<ConstraintStatus> {
        let status = |name: &'static str, kind: &'static str, exists: bool, valid: bool| ConstraintStatus {
            name,
            kind,
            object: name.to_string(),
            oid: exists.then_some(16_384),
            exists,
            valid,
            definition: exists.then(|| format!("definition of {name}")),
            problem: None,
            note: None,
        };
        vec![
            status("chk_sync_state_consistency", "check", true, false),
            status("uniq_user_running_sync", "unique index", true, true),
            status("uniq_task_id", "unique index", false, false),
        ]
    }

    /// The incident's table: a zombie with the original service's ids (and a second one that
    /// never heartbeated), on a standby, with the warnings health gives for it. The width matrix
    /// renders it too.
    pub(crate) fn critical() -> HealthReport {
        let statistics = Statistics {
            now: at(1_796_000_000),
            total_users: 6,
            active_syncs: 2,
            zombie_tasks: 2,
            inconsistent_tasks: 0,
            recent_completed_syncs: 1,
            skewed_tasks: 1,
            shifted_tasks: 0,
            shifted_offsets: Vec::new(),
            shifted_task_ids: Vec::new(),
            half_released_live_tasks: 0,
        };
        let zombie = |user: &str, started: Option<i64>, updated: Option<i64>| Zombie {
            task_id: Some(format!("sync_{user}_1a2b3c4d_1753133270")),
            user_id: Some(user.to_string()),
            started_at: started.map(at),
            last_update: updated.map(at),
            silent_minutes: updated.map(|u| (1_796_000_000 - u) / 60),
            silent_seconds: updated.map(|u| (1_796_000_000 - u) as f64 + 0.123_456),
        };
        HealthReport {
            healthy: false,
            timestamp: statistics.now,
            skewed_tasks: Some(statistics.skewed_tasks),
            statistics: Some(statistics),
            zombies: vec![
                zombie("60f2ccbd-d754-4fa0-aa4d-35a7d6551d38", Some(1_753_133_270), Some(1_753_162_070)),
                zombie("b8682e13-90f2-661b-16ba-8074bcc08961", None, None),
            ],
            status: Level::Critical,
            warnings: vec![
                "check chk_sync_state_consistency is NOT VALID: run `syncctl add-constraints`".into(),
                "1 row has timestamps more than a minute in the future".into(),
            ],
            constraints: constraints(),
            table: "public.user_sync_status".into(),
            heartbeat_timeout_seconds: 600.0,
            error: None,
            replay_lag_seconds: Some(Some(1.5)),
            heartbeat_cost: Some(
                crate::db::queries::health::HeartbeatCost {
                    updates: 12_700,
                    hot_updates: 12_370,
                    dead_tuples: 42,
                    rewritten_indexes: vec!["ix_sync_updated_at".into()],
                }
                .into(),
            ),
        }
    }

    /// The report when the server could not be reached, for a table whose name needs escaping
    /// as a Prometheus label.
    fn unanswered() -> HealthReport {
        HealthReport {
            healthy: false,
            timestamp: at(1_796_000_000),
            statistics: None,
            zombies: Vec::new(),
            status: Level::Unknown,
            warnings: Vec::new(),
            constraints: Vec::new(),
            table: "\"Sync Ops\".user_sync_status".into(),
            heartbeat_timeout_seconds: 60.0,
            skewed_tasks: None,
            error: Some("cannot connect to 127.0.0.1:1: connection refused".into()),
            replay_lag_seconds: None,
            heartbeat_cost: None,
        }
    }

    #[test]
    fn the_summary_paints_the_verdict_and_warnings_only_when_asked() {
        insta::assert_snapshot!(table(&critical(), Style::default()));
        let painted = table(&critical(), Style { color: true, width: None });
        assert!(painted.starts_with("\u{1b}[1m\u{1b}[31mCRITICAL"), "{painted}");
        assert!(painted.contains("\u{1b}[1m\u{1b}[33mwarning:"), "{painted}");
    }

    /// The details stop at five: the summary says how many more there are, and where to see them.
    #[test]
    fn the_zombie_list_says_how_many_it_leaves_out() {
        assert!(!table(&critical(), Style::default()).contains("… and"), "all of them are listed");
        let mut report = critical();
        if let Some(s) = report.statistics.as_mut() {
            s.zombie_tasks = 7;
        }
        let text = table(&report, Style::default());
        assert!(text.contains("\n… and 5 more (syncctl inspect --state zombie)\n"), "{text}");
    }

    #[test]
    fn the_summary_of_an_unanswered_report_is_its_error() {
        insta::assert_snapshot!(table(&unanswered(), Style::default()));
    }

    #[test]
    fn prometheus_has_every_gauge_labelled_with_the_table() {
        insta::assert_snapshot!(prometheus(&critical()));
    }

    #[test]
    fn prometheus_of_an_unanswered_report_is_down() {
        insta::assert_snapshot!(prometheus(&unanswered()));
    }

    #[test]
    fn json_is_the_seeds_document_and_more() {
        insta::assert_snapshot!(crate::output::json(&critical()));
    }

    #[test]
    fn json_of_an_unanswered_report_says_why() {
        insta::assert_snapshot!(crate::output::json(&unanswered()));
    }
}
