//! What `repair` does with each row it selected: the decision (before → after, and why), which
//! is pure and unit-tested, and the plan's lines as its JSON document holds them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::queries::repair::Target;
use crate::output::human_seconds;
use crate::state::Progress;

/// The state a row is to be put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// New is_syncing.
    pub(crate) is_syncing: bool,
    /// New progress_percentage.
    pub(crate) progress: i64,
    /// New task_id, when the row is renamed.
    pub(crate) new_task_id: Option<String>,
    /// Appended to error_message as "released by syncctl repair: <note> at <time>" (with
    /// updated_at = now()), when the row is released or stopped.
    pub(crate) note: Option<String>,
}

impl Change {
    /// Released: stopped, progress 0, with a note.
    fn release(note: String) -> Change {
        Change { is_syncing: false, progress: 0, new_task_id: None, note: Some(note) }
    }

    /// Kept running at `progress`, without a note (an error text on a running row would make
    /// it half-released).
    fn keep_running(progress: i64) -> Change {
        Change { is_syncing: true, progress, new_task_id: None, note: None }
    }
}

/// One line of the plan.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// The row.
    pub(crate) target: Target,
    /// What is to change; `None` when the row is only reported.
    pub(crate) change: Option<Change>,
    /// Why, for people.
    pub(crate) reason: String,
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
pub(crate) fn decide(target: Target) -> Planned {
    let t = &target;
    let mut why: Vec<String> = Vec::new();
    let mut change = match t.is_syncing {
        None => Some(Change::release("is_syncing was NULL".into())),
        Some(true) => running_change(t, &mut why),
        Some(false) => stopped_change(t),
    };
    if let Some(note) = change.as_ref().and_then(|c| c.note.clone()) {
        why.insert(0, note);
    }
    if t.repeated_task {
        change = Some(renamed(t, change, &mut why));
    }
    if t.skewed {
        why.push("a timestamp is in the future (clock or time-zone bug): reported, not changed".into());
    }
    if why.is_empty() {
        why.push(if t.named { "named with --task, but not running: nothing to do" } else { "nothing to do" }.into());
    }
    Planned { reason: why.join("; "), change, target }
}

/// The change of a running row: released when it is a zombie, named with `--task` or a
/// user's second running row; else kept running, its progress brought into the CHECK's range.
/// Reasons other than a release's note go to `why`.
fn running_change(t: &Target, why: &mut Vec<String>) -> Option<Change> {
    if t.zombie {
        let silent = t
            .silent_seconds
            .map_or("no heartbeat recorded".into(), |s| format!("no heartbeat for {}", human_seconds(s)));
        let half = if t.half_released { ", half-released" } else { "" };
        return Some(Change::release(format!("zombie{half} ({silent})")));
    }
    if t.named {
        return Some(Change::release("named with --task (released although live)".into()));
    }
    if t.second_running {
        return Some(Change::release(
            "a second running row of its user (the freshest heartbeat is kept; \
             uniq_user_running_sync allows one)"
                .into(),
        ));
    }
    if t.half_released {
        why.push(format!(
            "live (heartbeat {} ago) with an error message: not released; name it with --task to release it",
            t.silent_seconds.map_or("?".into(), human_seconds)
        ));
    }
    match t.progress {
        None => {
            why.push("live with progress NULL: set to 0, keeps running".into());
            Some(Change::keep_running(0))
        }
        // The CHECK's BETWEEN 0 AND 99 on the stored value: 99.7 is outside it.
        Some(p) if !(0.0..=99.0).contains(&p) => {
            let clamped = if p < 0.0 { 0 } else { 99 };
            why.push(format!("live at {}%: progress set to {clamped} so the CHECK holds, keeps running", Progress(p)));
            Some(Change::keep_running(clamped))
        }
        Some(_) => None,
    }
}

/// The change of a stopped row: failed (progress 0, a note) unless it is at 0 or 100.
fn stopped_change(t: &Target) -> Option<Change> {
    match t.progress {
        None => Some(Change::release("progress was NULL".into())),
        Some(p) if p == 0.0 || p == 100.0 => None,
        Some(p) => Some(Change::release(format!("stopped at {}%", Progress(p)))),
    }
}

/// The change of a row repeating another row's task id: `change` (or, for a row that would
/// still run, a release) with the task id renamed `<old>~dup~<key>`.
fn renamed(t: &Target, change: Option<Change>, why: &mut Vec<String>) -> Change {
    let new_id = format!("{}~dup~{}", t.task_id.as_deref().unwrap_or(""), t.key);
    let mut renamed = match change {
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
    renamed
}

/// How many rows the plan changes.
pub(crate) fn changes(plan: &[Planned]) -> usize {
    plan.iter().filter(|p| p.change.is_some()).count()
}

/// A line of the plan in its JSON document: `{key, user_id, task_id, reason, before, after}`;
/// `after` is null for rows only reported.
#[derive(Serialize)]
struct PlanLine<'a> {
    /// The key.
    key: &'a str,
    /// user_id.
    user_id: &'a Option<String>,
    /// task_id.
    task_id: &'a Option<String>,
    /// Why.
    reason: &'a str,
    /// The row as the plan read it.
    before: BeforeLine<'a>,
    /// The row as it is to be.
    after: Option<AfterLine<'a>>,
}

/// The row as the plan read it, in the JSON document.
#[derive(Serialize)]
struct BeforeLine<'a> {
    /// is_syncing.
    is_syncing: Option<bool>,
    /// progress_percentage, as stored.
    progress_percentage: Option<Progress>,
    /// now() - updated_at in seconds, to the millisecond.
    #[serde(with = "crate::output::serde_seconds::optional")]
    silent_seconds: Option<f64>,
    /// updated_at, RFC 3339.
    #[serde(with = "crate::output::serde_time::optional")]
    updated_at: Option<DateTime<Utc>>,
    /// error_message.
    error_message: &'a Option<String>,
}

/// The row as it is to be, in the JSON document.
#[derive(Serialize)]
struct AfterLine<'a> {
    /// is_syncing.
    is_syncing: bool,
    /// progress_percentage.
    progress_percentage: i64,
    /// task_id (renamed or kept).
    task_id: Option<&'a String>,
    /// The note appended to error_message, in full.
    note: Option<String>,
}

/// A plan line is serialised as its [`PlanLine`].
impl Serialize for Planned {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = &self.target;
        PlanLine {
            key: &t.key,
            user_id: &t.user_id,
            task_id: &t.task_id,
            reason: &self.reason,
            before: BeforeLine {
                is_syncing: t.is_syncing,
                progress_percentage: t.progress.map(Progress),
                silent_seconds: t.silent_seconds,
                updated_at: t.updated_at,
                error_message: &t.before.error_message,
            },
            after: self.change.as_ref().map(|c| AfterLine {
                is_syncing: c.is_syncing,
                progress_percentage: c.progress,
                task_id: c.new_task_id.as_ref().or(t.task_id.as_ref()),
                note: c.note.as_ref().map(|n| format!("released by syncctl repair: {n}")),
            }),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A running row at `progress`, silent `silent` seconds (a zombie past 60).
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

    /// A stopped row at `progress`.
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
