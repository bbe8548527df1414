//! What `repair` does with each row it selected: the decision (before → after, and why), which
//! is pure and unit-tested, and the renderings of the plan and its result.

use serde_json::{Value, json};
use tokio_postgres::Row;

use crate::output::{self, human_seconds};
use crate::state::Progress;

/// A row the selectors picked, as `sql/repair/plan.sql` read it under its lock.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The primary key as text (partition and ctid when the table has none).
    pub key: String,
    /// The row version the plan read: its partition (or the table),
    pub tableoid: u32,
    /// its slot,
    pub ctid: String,
    /// and the transaction that wrote it.
    pub xmin: String,
    /// user_id as text.
    pub user_id: Option<String>,
    /// task_id as text.
    pub task_id: Option<String>,
    /// is_syncing.
    pub is_syncing: Option<bool>,
    /// progress_percentage, as stored.
    pub progress: Option<f64>,
    /// now() - updated_at in seconds, by the database clock.
    pub silent_seconds: Option<f64>,
    /// Syncing with a heartbeat older than the timeout, or none.
    pub zombie: bool,
    /// Syncing with an error message.
    pub half_released: bool,
    /// Repeats another row's task_id, and is not the row kept.
    pub repeated_task: bool,
    /// A second running row of its user, not the one with the freshest heartbeat.
    pub second_running: bool,
    /// A timestamp more than a minute in the future.
    pub skewed: bool,
    /// Its task was named with `--task`.
    pub named: bool,
    /// The stored values the change is conditioned on, as text.
    pub before: Before,
}

/// The values a planned change is conditioned on, as the server wrote them as text: the row is
/// changed only if it still holds exactly these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Before {
    /// is_syncing.
    pub is_syncing: Option<String>,
    /// progress_percentage.
    pub progress: Option<String>,
    /// updated_at.
    pub updated_at: Option<String>,
    /// task_id.
    pub task_id: Option<String>,
    /// error_message.
    pub error_message: Option<String>,
}

impl Target {
    /// Reads a row of `sql/repair/plan.sql`.
    pub fn from_row(row: &Row) -> Target {
        Target {
            key: row.get("key"),
            tableoid: row.get("tableoid"),
            ctid: row.get("ctid"),
            xmin: row.get("xmin"),
            user_id: row.get("user_id"),
            task_id: row.get("task_id"),
            is_syncing: row.get("is_syncing"),
            progress: row.get("progress_percentage"),
            silent_seconds: row.get("silent_seconds"),
            zombie: row.get("zombie"),
            half_released: row.get("half_released"),
            repeated_task: row.get("repeated_task"),
            second_running: row.get("second_running"),
            skewed: row.get("skewed"),
            named: row.get("named"),
            before: Before {
                is_syncing: row.get("before_is_syncing"),
                progress: row.get("before_progress"),
                updated_at: row.get("before_updated_at"),
                task_id: row.get("before_task_id"),
                error_message: row.get("before_error_message"),
            },
        }
    }
}

/// The state a row is to be put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// New is_syncing.
    pub is_syncing: bool,
    /// New progress_percentage.
    pub progress: i64,
    /// New task_id, when the row is renamed.
    pub new_task_id: Option<String>,
    /// Appended to error_message as "released by syncctl repair: <note> at <time>" (with
    /// updated_at = now()), when the row is released or stopped.
    pub note: Option<String>,
}

impl Change {
    fn release(note: String) -> Change {
        Change { is_syncing: false, progress: 0, new_task_id: None, note: Some(note) }
    }
}

/// One line of the plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The row.
    pub target: Target,
    /// What is to change; `None` when the row is only reported.
    pub change: Option<Change>,
    /// Why, for people.
    pub reason: String,
}

/// Decides what happens to a selected row. Rules (README, `repair`):
/// - NULL is_syncing, a zombie (half-released or not), a task named with `--task`, or a user's
///   second running row: released (stopped, progress 0, a note).
/// - A live running row is never released otherwise: progress above 99 is clamped to 99,
///   below 0 or NULL set to 0, and it keeps running (no note: an error text on a running row
///   would make it half-released). A live half-released row is only reported.
/// - A stopped row with progress NULL or other than 0 and 100: progress 0 with a note (failed).
/// - A repeated task id (not the row kept): renamed `<old>~dup~<key>`; a renamed row that
///   would still be running is released too, since its task can no longer write to it.
/// - Skewed timestamps are reported, never changed.
pub fn decide(target: Target) -> Planned {
    let t = &target;
    let mut why: Vec<String> = Vec::new();
    let mut change = match t.is_syncing {
        None => Some(Change::release("is_syncing was NULL".into())),
        Some(true) if t.zombie => {
            let silent = t
                .silent_seconds
                .map_or("no heartbeat recorded".into(), |s| format!("no heartbeat for {}", human_seconds(s)));
            let half = if t.half_released { ", half-released" } else { "" };
            Some(Change::release(format!("zombie{half} ({silent})")))
        }
        Some(true) if t.named => Some(Change::release("named with --task (released although live)".into())),
        Some(true) if t.second_running => Some(Change::release(
            "a second running row of its user (the freshest heartbeat is kept; \
             uniq_user_running_sync allows one)"
                .into(),
        )),
        Some(true) => {
            if t.half_released {
                why.push(format!(
                    "live (heartbeat {} ago) with an error message: not released; name it with --task to release it",
                    t.silent_seconds.map_or("?".into(), human_seconds)
                ));
            }
            match t.progress {
                None => {
                    why.push("live with progress NULL: set to 0, keeps running".into());
                    Some(Change { is_syncing: true, progress: 0, new_task_id: None, note: None })
                }
                // The CHECK's BETWEEN 0 AND 99 on the stored value: 99.7 is outside it.
                Some(p) if !(0.0..=99.0).contains(&p) => {
                    let clamped = if p < 0.0 { 0 } else { 99 };
                    why.push(format!(
                        "live at {}%: progress set to {clamped} so the CHECK holds, keeps running",
                        Progress(p)
                    ));
                    Some(Change { is_syncing: true, progress: clamped, new_task_id: None, note: None })
                }
                Some(_) => None,
            }
        }
        Some(false) => match t.progress {
            None => Some(Change::release("progress was NULL".into())),
            Some(p) if p == 0.0 || p == 100.0 => None,
            Some(p) => Some(Change::release(format!("stopped at {}%", Progress(p)))),
        },
    };
    if let Some(note) = change.as_ref().and_then(|c| c.note.clone()) {
        why.insert(0, note);
    }
    if t.repeated_task {
        let new_id = format!("{}~dup~{}", t.task_id.as_deref().unwrap_or(""), t.key);
        let mut renamed = match change.take() {
            Some(c) if !c.is_syncing => c,
            _ if t.is_syncing == Some(true) => {
                let note = "task_id repeated: renamed, and released since its task can no longer write to it";
                why.push(note.into());
                Change::release(note.into())
            }
            // A stopped row at 0 or 100 (the only stopped rows left without a change).
            _ => Change {
                is_syncing: false,
                progress: if t.progress == Some(100.0) { 100 } else { 0 },
                new_task_id: None,
                note: None,
            },
        };
        why.push(format!("task_id repeats another row's: renamed to {new_id}"));
        renamed.new_task_id = Some(new_id);
        change = Some(renamed);
    }
    if t.skewed {
        why.push("a timestamp is in the future (clock or time-zone bug): reported, not changed".into());
    }
    if why.is_empty() {
        why.push(if t.named { "named with --task, but not running: nothing to do" } else { "nothing to do" }.into());
    }
    Planned { reason: why.join("; "), change, target }
}

/// What applying the plan did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The rows changed, as they are now.
    pub applied: Vec<Applied>,
    /// The planned rows left alone because they changed since the plan.
    pub skipped: Vec<Target>,
}

/// A changed row, from `RETURNING`.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The primary key as text.
    pub key: String,
    /// task_id now.
    pub task_id: Option<String>,
    /// is_syncing now.
    pub is_syncing: Option<bool>,
    /// progress_percentage now.
    pub progress: Option<f64>,
    /// error_message now.
    pub error_message: Option<String>,
}

/// Why a skipped row was left alone.
pub const SKIPPED_WHY: &str = "changed since the plan (touched by a live task or another session): left alone";

fn state_text(is_syncing: Option<bool>, progress: Option<f64>) -> String {
    let progress = progress.map_or("NULL".into(), |p| format!("{}%", Progress(p)));
    match is_syncing {
        Some(true) => format!("syncing {progress}"),
        Some(false) => format!("stopped {progress}"),
        None => format!("is_syncing NULL, progress {progress}"),
    }
}

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

/// How many rows the plan changes.
pub fn changes(plan: &[Planned]) -> usize {
    plan.iter().filter(|p| p.change.is_some()).count()
}

/// The plan as a human table.
pub fn render_table(plan: &[Planned]) -> String {
    let mut table = output::table(&["key", "user", "task", "before", "after", "reason"]);
    for p in plan {
        let t = &p.target;
        table.add_row(vec![
            t.key.clone(),
            t.user_id.clone().unwrap_or_else(|| "NULL".into()),
            t.task_id.clone().unwrap_or_else(|| "NULL".into()),
            before_text(t),
            after_text(p),
            p.reason.clone(),
        ]);
    }
    format!("{table}\n{} of {} selected rows to change\n", changes(plan), plan.len())
}

/// The plan as CSV.
pub fn render_csv(plan: &[Planned]) -> String {
    let mut out = output::csv_line(&["key", "user_id", "task_id", "before", "after", "reason"]);
    for p in plan {
        let t = &p.target;
        out.push_str(&output::csv_line(&[
            t.key.clone(),
            t.user_id.clone().unwrap_or_default(),
            t.task_id.clone().unwrap_or_default(),
            before_text(t),
            after_text(p),
            p.reason.clone(),
        ]));
    }
    out
}

/// The result for people: a summary, then one line per skipped row.
pub fn render_outcome(outcome: &Outcome) -> String {
    let mut out = format!("changed {} rows, skipped {}\n", outcome.applied.len(), outcome.skipped.len());
    for t in &outcome.skipped {
        out.push_str(&format!(
            "skipped {} (key {}, user {}): {SKIPPED_WHY}\n",
            t.task_id.as_deref().unwrap_or("NULL"),
            t.key,
            t.user_id.as_deref().unwrap_or("NULL")
        ));
    }
    out
}

/// One JSON document: `{"plan": [{key, user_id, task_id, reason, before, after}], "dry_run",
/// "result"}`; `after` is null for rows only reported, `result` null until applied.
pub fn render_json(plan: &[Planned], dry_run: bool, outcome: Option<&Outcome>) -> Value {
    let rows: Vec<Value> = plan
        .iter()
        .map(|p| {
            let t = &p.target;
            json!({
                "key": t.key,
                "user_id": t.user_id,
                "task_id": t.task_id,
                "reason": p.reason,
                "before": {
                    "is_syncing": t.is_syncing,
                    "progress_percentage": t.progress.map(Progress),
                    "silent_seconds": t.silent_seconds,
                    "updated_at": t.before.updated_at,
                    "error_message": t.before.error_message,
                },
                "after": p.change.as_ref().map(|c| json!({
                    "is_syncing": c.is_syncing,
                    "progress_percentage": c.progress,
                    "task_id": c.new_task_id.as_ref().or(t.task_id.as_ref()),
                    "note": c.note.as_ref().map(|n| format!("released by syncctl repair: {n}")),
                })),
            })
        })
        .collect();
    let result = outcome.map(|o| {
        json!({
            "applied": o.applied.iter().map(|a| json!({
                "key": a.key,
                "task_id": a.task_id,
                "is_syncing": a.is_syncing,
                "progress_percentage": a.progress.map(Progress),
                "error_message": a.error_message,
            })).collect::<Vec<_>>(),
            "skipped": o.skipped.iter().map(|t| json!({
                "key": t.key,
                "user_id": t.user_id,
                "task_id": t.task_id,
                "why": SKIPPED_WHY,
            })).collect::<Vec<_>>(),
        })
    });
    json!({ "plan": rows, "dry_run": dry_run, "result": result })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(progress: f64, silent: f64) -> Target {
        Target {
            key: "7".into(),
            task_id: Some("t7".into()),
            is_syncing: Some(true),
            progress: Some(progress),
            silent_seconds: Some(silent),
            zombie: silent > 60.0,
            ..Target::default()
        }
    }

    fn stopped(progress: Option<f64>) -> Target {
        Target { key: "8".into(), task_id: Some("t8".into()), is_syncing: Some(false), progress, ..Target::default() }
    }

    #[test]
    fn the_incident_is_released_with_its_reasons() {
        let p = decide(Target { half_released: true, ..running(0.0, 3600.0 * 24.0 * 400.0) });
        let c = p.change.unwrap();
        assert_eq!((c.is_syncing, c.progress, c.new_task_id), (false, 0, None));
        assert_eq!(c.note.as_deref(), Some("zombie, half-released (no heartbeat for 400d 0h)"));
    }

    #[test]
    fn a_live_row_is_never_released_unless_named_or_second() {
        assert!(decide(running(40.0, 5.0)).change.is_none());
        let half = decide(Target { half_released: true, ..running(40.0, 5.0) });
        assert!(half.change.is_none());
        assert!(half.reason.contains("--task"), "{}", half.reason);
        let at_100 = decide(running(100.0, 5.0)).change.unwrap();
        assert_eq!((at_100.is_syncing, at_100.progress, at_100.note), (true, 99, None));
        let named = decide(Target { named: true, ..running(40.0, 5.0) }).change.unwrap();
        assert_eq!((named.is_syncing, named.progress), (false, 0));
        let second = decide(Target { second_running: true, ..running(40.0, 5.0) }).change.unwrap();
        assert!(!second.is_syncing);
        assert!(second.note.unwrap().contains("second running row"));
        let dead_100 = decide(running(100.0, 600.0)).change.unwrap();
        assert_eq!((dead_100.is_syncing, dead_100.progress), (false, 0));
    }

    #[test]
    fn stopped_rows_and_null_states() {
        let c = decide(stopped(Some(45.0))).change.unwrap();
        assert_eq!((c.is_syncing, c.progress, c.note.as_deref()), (false, 0, Some("stopped at 45%")));
        assert!(decide(stopped(Some(100.0))).change.is_none());
        assert!(decide(stopped(Some(0.0))).change.is_none());
        assert_eq!(decide(stopped(None)).change.unwrap().progress, 0);
        let null = decide(Target { is_syncing: None, progress: None, ..stopped(None) }).change.unwrap();
        assert_eq!((null.is_syncing, null.progress), (false, 0));
        let live_null = decide(Target { progress: None, ..running(0.0, 1.0) }).change.unwrap();
        assert_eq!((live_null.is_syncing, live_null.progress), (true, 0));
    }

    #[test]
    fn repeated_task_ids_are_renamed_and_released_if_running() {
        let p = decide(Target { repeated_task: true, ..stopped(Some(100.0)) });
        let c = p.change.unwrap();
        assert_eq!((c.is_syncing, c.progress, c.note), (false, 100, None));
        assert_eq!(c.new_task_id.as_deref(), Some("t8~dup~8"));
        assert!(p.reason.contains("renamed to t8~dup~8"));
        let live = decide(Target { repeated_task: true, ..running(100.0, 1.0) }).change.unwrap();
        assert_eq!((live.is_syncing, live.progress), (false, 0));
        assert_eq!(live.new_task_id.as_deref(), Some("t7~dup~7"));
    }

    /// numeric progress is never rounded into another state (99.7 is not 100, 0.3 not 0).
    #[test]
    fn fractional_progress_keeps_its_state() {
        for p in [0.3, 99.7] {
            let c = decide(stopped(Some(p))).change.unwrap();
            assert_eq!((c.is_syncing, c.progress), (false, 0), "stopped at {p}");
            assert!(c.note.unwrap().contains(&format!("stopped at {p}%")));
        }
        let live = decide(running(99.7, 5.0)).change.unwrap();
        assert_eq!((live.is_syncing, live.progress, live.note), (true, 99, None));
        assert!(decide(running(99.0, 5.0)).change.is_none());
    }

    #[test]
    fn skewed_rows_are_only_reported() {
        let p = decide(Target { skewed: true, ..running(10.0, -8.0 * 3600.0) });
        assert!(p.change.is_none());
        assert!(p.reason.contains("reported, not changed"));
    }
}
