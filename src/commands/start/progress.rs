//! What a running sync reports, and how `start` shows it: the task id line (or JSON-lines
//! events) on stdout, progress on stderr (a bar on a terminal, plain lines otherwise).
//!
//! After the first line, stdout may be gone (`task=$(syncctl start … | head -1)`): later
//! writes to it are best effort, and a closed pipe never stops the sync.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::output::start::{self, EndBody, Event, ProgressBody};
use crate::output::{Printer, stream};

/// How often progress is shown at most (the bar redraws on its own schedule).
const SHOW_EVERY: Duration = Duration::from_secs(1);

/// The state of the work: progress 0..=100 and its stats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyncProgress {
    /// Percent done.
    pub progress: u8,
    /// The stats, always with `new`, `updated` and `errors` (never the incident's blanks).
    pub stats: Map<String, Value>,
}

impl SyncProgress {
    /// Nothing done yet, zero counts.
    pub(crate) fn initial() -> SyncProgress {
        let mut stats = Map::new();
        for key in ["new", "updated", "errors"] {
            stats.insert(key.into(), json!(0));
        }
        SyncProgress { progress: 0, stats }
    }

    /// The stats as JSON text, for the current_stats column.
    pub(crate) fn stats_json(&self) -> String {
        Value::Object(self.stats.clone()).to_string()
    }
}

/// How a sync ended, as the event names of `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The work completed; the row holds progress 100 and the final stats.
    Completed,
    /// The work failed; the row holds progress 0 and the error.
    Failed,
    /// SIGINT or SIGTERM stopped it.
    Cancelled,
    /// No progress for --stall-timeout.
    Stalled,
    /// The task was released or taken over by someone else, or no heartbeat got through for the
    /// heartbeat timeout: nothing more was written.
    LeaseLost,
}

impl Ending {
    /// The event name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ending::Completed => "completed",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
            Ending::Stalled => "stalled",
            Ending::LeaseLost => "lease_lost",
        }
    }
}

/// How progress is shown on stderr.
enum Mode {
    /// A progress bar (stderr is a terminal).
    Bar(ProgressBar),
    /// A plain line at most once a second.
    Lines,
    /// Nothing (`-q`).
    Quiet,
}

/// What the reporter's clones share.
struct Inner {
    /// The task.
    task_id: String,
    /// JSON-lines events on stdout (`--json`).
    json: bool,
    /// How progress is shown on stderr.
    mode: Mode,
    /// When progress was last shown, and what it was.
    last_shown: Option<(Instant, SyncProgress)>,
}

/// Shows a sync's life; cheap to clone (the child's log relay shares it).
#[derive(Clone)]
pub(crate) struct Reporter {
    /// The shared state.
    inner: Arc<Mutex<Inner>>,
    /// Where notes and warnings go.
    printer: Printer,
}

impl Reporter {
    /// A reporter for `task_id`: JSON events on stdout with `json`; a bar when stderr is a
    /// terminal; nothing on stderr with `-q`.
    pub(crate) fn new(task_id: &str, json: bool, quiet: bool, printer: &Printer) -> Reporter {
        let mode = if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg} ({elapsed})")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            Mode::Bar(bar)
        } else {
            Mode::Lines
        };
        let inner = Inner { task_id: task_id.to_string(), json, mode, last_shown: None };
        Reporter { inner: Arc::new(Mutex::new(inner)), printer: printer.clone() }
    }

    /// The shared state (a panic elsewhere while holding it does not stop the reporting).
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The first stdout line: the task id, or the `claimed` / `reused` event with `body`.
    pub(crate) fn started(&self, event: &str, body: impl Serialize) {
        let inner = self.lock();
        if inner.json {
            self.emit(event, &inner.task_id, body);
        } else if let Mode::Bar(bar) = &inner.mode {
            // On the terminal the bar shares, the id gets a line of its own, not the bar's.
            bar.suspend(|| {
                stream::stdout_line(&inner.task_id);
                stream::flush(Duration::from_millis(100));
            });
        } else {
            stream::stdout_line(&inner.task_id);
        }
    }

    /// Prints to stderr without tearing the bar; nothing with `-q`.
    fn say(&self, print: impl FnOnce()) {
        let inner = self.lock();
        match &inner.mode {
            // Queued lines are written by another thread: give it a moment while the bar is
            // off the screen, so that they do not tear it (bounded: a stopped terminal must
            // not stop the heartbeat).
            Mode::Bar(bar) => bar.suspend(|| {
                print();
                stream::flush(Duration::from_millis(100));
            }),
            Mode::Lines => print(),
            Mode::Quiet => {}
        }
    }

    /// A note on stderr.
    pub(crate) fn note(&self, text: &str) {
        self.say(|| self.printer.note(text));
    }

    /// A warning on stderr.
    pub(crate) fn warn(&self, text: &str) {
        self.say(|| self.printer.warn(text));
    }

    /// A line of the child's log, relayed to stderr.
    pub(crate) fn log(&self, line: &str) {
        self.say(|| stream::stderr_line(line));
    }

    /// New progress: the bar follows at once; plain lines and JSON events at most once a
    /// second, and always when `force` (the last state before the end).
    pub(crate) fn progress(&self, snapshot: &SyncProgress, force: bool) {
        let mut inner = self.lock();
        if let Mode::Bar(bar) = &inner.mode {
            bar.set_position(u64::from(snapshot.progress));
            bar.set_message(start::stats_line(&snapshot.stats));
        }
        let now = Instant::now();
        let skip = match &inner.last_shown {
            Some((_, shown)) if shown == snapshot => true,
            Some((at, _)) => !force && now.duration_since(*at) < SHOW_EVERY,
            None => false,
        };
        if skip {
            return;
        }
        inner.last_shown = Some((now, snapshot.clone()));
        if matches!(inner.mode, Mode::Lines) {
            stream::stderr_line(&start::progress_line(snapshot));
        }
        if inner.json {
            self.emit("progress", &inner.task_id, ProgressBody { progress: snapshot.progress, stats: &snapshot.stats });
        }
    }

    /// One JSON-lines event, `{"event", "task_id", ...body}`; best effort, since a reader
    /// that went away (`| head -1`) must not stop the sync.
    fn emit(&self, event: &str, task_id: &str, body: impl Serialize) {
        stream::stdout_line(&start::event_line(&Event { event, task_id, body }));
    }

    /// The end: the last event on stdout, a summary on stderr.
    pub(crate) fn finished(&self, ending: Ending, snapshot: &SyncProgress, error: Option<&str>) {
        let inner = self.lock();
        if let Mode::Bar(bar) = &inner.mode {
            bar.finish_and_clear();
        }
        if inner.json {
            let body = EndBody { progress: snapshot.progress, stats: &snapshot.stats, error };
            self.emit(ending.name(), &inner.task_id, body);
        }
        let summary = start::summary(ending, &inner.task_id, snapshot, error);
        // A sync that failed, stalled or lost its lease is an error (exit 1 or 4); one cancelled
        // by a signal did what it was told.
        match ending {
            Ending::Completed => self.printer.note(&summary),
            Ending::Cancelled => self.printer.warn(&summary),
            Ending::Failed | Ending::Stalled | Ending::LeaseLost => self.printer.error(&summary, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_are_never_blank() {
        let s = SyncProgress::initial();
        assert_eq!(s.stats_json(), r#"{"new":0,"updated":0,"errors":0}"#);
        assert_eq!(start::stats_line(&s.stats), "new 0, updated 0, errors 0");
    }
}
