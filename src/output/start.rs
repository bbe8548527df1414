//! How `start` shows a sync: the JSON-lines events of `--json` (stdout), and for people the
//! progress lines, the summary at the end, and the notes and warnings of the claim and the
//! lease (stderr). None of these paints: they go to stderr through the [`crate::output::Printer`],
//! which paints the `warning:` prefix and dims notes itself, so no builder here takes a
//! [`crate::output::Style`].

use serde::Serialize;
use serde_json::{Map, Value};

use super::human_seconds;
use crate::commands::start::progress::{Ending, SyncProgress};

/// One JSON-lines event of `start --json`: `{"event": …, "task_id": …, …the body's fields}`.
#[derive(Debug, Serialize)]
pub(crate) struct Event<'a, B: Serialize> {
    /// `claimed`, `reused`, `progress`, or how the sync ended ([`Ending::name`]).
    pub(crate) event: &'a str,
    /// The task.
    pub(crate) task_id: &'a str,
    /// The event's own fields, after those two.
    #[serde(flatten)]
    pub(crate) body: B,
}

/// The body of `claimed`: the new task, and the dead ones it took over from.
#[derive(Debug, Serialize)]
pub(crate) struct ClaimedBody<'a> {
    /// The user id as user_id::text writes it.
    pub(crate) user_id: &'a str,
    /// `full` or `incremental`.
    pub(crate) sync_type: &'a str,
    /// The dead running rows released first.
    pub(crate) took_over: Vec<TookOver<'a>>,
}

/// A dead task released by the claim.
#[derive(Debug, Serialize)]
pub(crate) struct TookOver<'a> {
    /// Its task id.
    pub(crate) task_id: &'a str,
    /// Why it was found dead.
    pub(crate) reason: &'a str,
}

/// The body of `reused` and `progress`: where the work is.
#[derive(Debug, Serialize)]
pub(crate) struct ProgressBody<'a> {
    /// Percent done.
    pub(crate) progress: u8,
    /// The stats.
    pub(crate) stats: &'a Map<String, Value>,
}

/// The body of the last event: where the work ended, and the error unless it completed.
#[derive(Debug, Serialize)]
pub(crate) struct EndBody<'a> {
    /// Percent done.
    pub(crate) progress: u8,
    /// The final stats.
    pub(crate) stats: &'a Map<String, Value>,
    /// What went wrong; absent when completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'a str>,
}

/// An event as one line of compact JSON (no newline).
pub(crate) fn event_line<B: Serialize>(event: &Event<'_, B>) -> String {
    // An event is plain data: serialising it cannot fail.
    serde_json::to_string(event).unwrap_or_default()
}

/// `new 10, updated 3, errors 0`.
pub(crate) fn stats_line(stats: &Map<String, Value>) -> String {
    let count = |k: &str| stats.get(k).map_or("0".into(), |v| v.to_string());
    format!("new {}, updated {}, errors {}", count("new"), count("updated"), count("errors"))
}

/// A plain progress line (stderr is not a terminal).
pub(crate) fn progress_line(snapshot: &SyncProgress) -> String {
    format!("progress {}% ({})", snapshot.progress, stats_line(&snapshot.stats))
}

/// The summary at the end: how the sync ended, and the error or the stats.
pub(crate) fn summary(ending: Ending, task_id: &str, snapshot: &SyncProgress, error: Option<&str>) -> String {
    match error {
        Some(error) => format!("{} {task_id}: {error}", ending.name()),
        None => format!("{} {task_id} ({})", ending.name(), stats_line(&snapshot.stats)),
    }
}

/// The user's live task, in a line: `sync_… is running (45%, last heartbeat 3s ago)`.
/// `progress` as stored (NULL read as 0), `silent_seconds` since its last heartbeat.
pub(crate) fn live_task(task_id: &str, progress: f64, silent_seconds: Option<f64>) -> String {
    let heartbeat = silent_seconds.map_or("-".into(), human_seconds);
    format!("{task_id} is running ({progress}%, last heartbeat {heartbeat} ago)")
}

/// The error of `--if-running fail`: the user has a live task ([`live_task`]).
pub(crate) fn already_running(user: &str, live: &str) -> String {
    format!("user {user} already has a live task: {live}")
}

/// The note of `--if-running reuse` and `follow`.
pub(crate) fn reusing(live: &str) -> String {
    format!("reusing the user's live task: {live}")
}

/// The note for a user that had no row: a mistyped id would get one, so it is said.
pub(crate) fn first_row(user_id: &str) -> String {
    format!("user {user_id} has no row yet; creating it")
}

/// The note for a dead task the claim released.
pub(crate) fn took_over(task_id: &str, reason: &str) -> String {
    format!("released the dead task {task_id} ({reason}) and took over")
}

/// The warning when the task index is missing (`table` as [`crate::table::Table::display`]).
pub(crate) fn no_task_index(index: &str, table: &str) -> String {
    format!(
        "{index} is not installed on {table}: unless another index covers task_id, every heartbeat scans the \
         table; `syncctl add-constraints` installs it"
    )
}

/// The lease's note once its connection is back.
pub(crate) fn reconnected(task_id: &str) -> String {
    format!("reconnected; task {task_id} goes on")
}

/// A heartbeat that failed and is retried.
pub(crate) fn heartbeat_failed(task_id: &str, error: &anyhow::Error) -> String {
    format!("heartbeat of {task_id} failed, retrying: {error:#}")
}

/// Stats the database refuses (`message`: its words), dropped from the heartbeats.
pub(crate) fn stats_refused(task_id: &str, message: &str) -> String {
    format!("the database refuses the stats of {task_id} ({message}); they are dropped and the last stored ones kept")
}

/// Final stats the database refuses, replaced in the release.
pub(crate) fn final_stats_refused(task_id: &str, message: &str) -> String {
    format!("the database refuses the final stats of {task_id} ({message}); releasing with the last stored ones")
}

/// A release the database refuses even with the stored stats.
pub(crate) fn release_refused(task_id: &str, error: &anyhow::Error) -> String {
    format!("the database refuses the release of {task_id}: {error:#}")
}

/// A release that failed and is retried.
pub(crate) fn release_failed(task_id: &str, error: &anyhow::Error) -> String {
    format!("releasing {task_id} failed, retrying: {error:#}")
}

#[cfg(test)]
mod tests {
    use anyhow::Context;
    use serde_json::json;

    use super::*;

    const TASK: &str = "sync_60f2ccbd-d754-4fa0-aa4d-35a7d6551d38_1a2b3c4d_1796000000";

    /// Some progress, with a stat beyond the three counts and one count missing.
    fn snapshot() -> SyncProgress {
        let mut snapshot = SyncProgress::initial();
        snapshot.progress = 42;
        snapshot.stats.insert("new".into(), json!(10));
        snapshot.stats.remove("errors");
        snapshot.stats.insert("folder".into(), json!("INBOX \"今日\""));
        snapshot
    }

    /// Every event of a sync, in the order a sync emits them.
    #[test]
    fn events_are_one_compact_line_each() {
        let s = snapshot();
        let took_over = vec![TookOver { task_id: "sync_old", reason: "no heartbeat for 73s" }];
        let claimed = ClaimedBody { user_id: "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38", sync_type: "full", took_over };
        let lines = [
            event_line(&Event { event: "claimed", task_id: TASK, body: claimed }),
            event_line(&Event { event: "reused", task_id: TASK, body: ProgressBody { progress: 0, stats: &s.stats } }),
            event_line(&Event {
                event: "progress",
                task_id: TASK,
                body: ProgressBody { progress: 42, stats: &s.stats },
            }),
            event_line(&Event {
                event: Ending::Completed.name(),
                task_id: TASK,
                body: EndBody { progress: 100, stats: &s.stats, error: None },
            }),
            event_line(&Event {
                event: Ending::Cancelled.name(),
                task_id: TASK,
                body: EndBody { progress: 42, stats: &s.stats, error: Some("cancelled by SIGTERM") },
            }),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }

    /// The events are the documents the earlier `json!` construction gave, byte for byte.
    #[test]
    fn events_match_the_json_values_they_replace() {
        let s = snapshot();
        let line = event_line(&Event {
            event: "failed",
            task_id: TASK,
            body: EndBody { progress: 0, stats: &s.stats, error: Some("exit status 3: boom") },
        });
        let mut doc = json!({"event": "failed", "task_id": TASK});
        let extra = json!({"progress": 0, "stats": s.stats, "error": "exit status 3: boom"});
        if let (Some(doc), Value::Object(extra)) = (doc.as_object_mut(), extra) {
            doc.extend(extra);
        }
        assert_eq!(line, doc.to_string());
        let claimed = event_line(&Event {
            event: "claimed",
            task_id: TASK,
            body: ClaimedBody { user_id: "u", sync_type: "incremental", took_over: Vec::new() },
        });
        assert_eq!(
            claimed,
            json!({"event": "claimed", "task_id": TASK, "user_id": "u", "sync_type": "incremental", "took_over": []})
                .to_string()
        );
    }

    /// Every line `start` writes for people, one per builder.
    #[test]
    fn human_lines() {
        let s = snapshot();
        let live = live_task(TASK, 45.0, Some(3.4));
        let error = Err::<(), _>(anyhow::anyhow!("connection refused")).context("reconnecting").unwrap_err();
        let lines = [
            stats_line(&SyncProgress::initial().stats),
            progress_line(&s),
            summary(Ending::Completed, TASK, &s, None),
            summary(Ending::Stalled, TASK, &s, Some("stalled: no progress for 5m")),
            live_task("", 99.5, None),
            already_running("60f2ccbd-d754-4fa0-aa4d-35a7d6551d38", &live),
            reusing(&live),
            took_over("sync_old", "its heartbeat is in the future (a clock or time-zone bug)"),
            no_task_index("uniq_task_id", "public.user_sync_status"),
            reconnected(TASK),
            heartbeat_failed(TASK, &error),
            stats_refused(TASK, "unsupported Unicode escape sequence"),
            final_stats_refused(TASK, "value too long"),
            release_refused(TASK, &error),
            release_failed(TASK, &error),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }
}
