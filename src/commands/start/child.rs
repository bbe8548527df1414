//! `-- COMMAND [ARGS…]`: the sync as a child process, and its protocol (README, "The child
//! protocol"). It gets SYNCCTL_TASK_ID, SYNCCTL_USER_ID and SYNCCTL_SYNC_TYPE; it reports JSON
//! lines `{"progress": 42, "stats": {...}}` on stdout (either key may be absent); every other
//! line of stdout, and all of stderr, is its log, relayed to our stderr. Exit 0 is completed,
//! anything else failed with the status and the last stderr line.
//!
//! Lines are read as bytes with a length cap, so huge lines, invalid JSON and non-UTF-8 output
//! are log lines, never a crash. The child runs in its own process group: stopping it sends
//! SIGTERM to the group, waits the grace period, then sends SIGKILL. Being in a group of its
//! own, the child is not stopped by Ctrl-Z (SIGTSTP goes to the terminal's foreground group,
//! start's): start stops the child's group itself, then itself, and continues both on SIGCONT,
//! so a suspended start never leaves its child working without a heartbeat.

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

use super::progress::{Reporter, SyncProgress};
use super::{Stop, WorkOutcome, stopped};
use crate::error::UsageError;

/// Longest line kept; the rest of a longer line is skipped (a line that long is not a report).
const LINE_CAP: usize = 1 << 20;
/// Longest log line relayed, in characters.
const LOG_CAP: usize = 2000;
/// How long the pipes may stay open after the child exited (a grandchild may hold them).
const DRAIN: Duration = Duration::from_secs(2);

/// Checks, before anything is claimed, that the program exists and may be executed (looked up
/// on PATH as exec does), so a typo is a usage error and not a failed task row.
pub(crate) fn check_runnable(command: &[String]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(program) = command.first() else {
        return Err(UsageError::with_hint(
            "no command given after --",
            "write the sync job after --: start --user ID -- COMMAND [ARGS…]",
        ));
    };
    let candidates: Vec<std::path::PathBuf> = if program.contains('/') {
        vec![program.into()]
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(program)).collect())
            .unwrap_or_default()
    };
    let found = candidates.iter().find(|p| p.is_file());
    match found {
        None => Err(UsageError::with_hint(
            format!("cannot run {program}: no such file{}", if program.contains('/') { "" } else { " on PATH" }),
            "check the command after --; nothing was claimed",
        )),
        Some(path) if path.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 == 0) => Err(UsageError::with_hint(
            format!("cannot run {}: it is not executable", path.display()),
            "chmod +x it, or run it through its interpreter (-- python3 job.py); nothing was claimed",
        )),
        Some(_) => Ok(()),
    }
}

/// A child command and what it is told.
#[derive(Debug, Clone)]
pub(crate) struct Child {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// SYNCCTL_* variables.
    pub env: Vec<(&'static str, String)>,
    /// SIGTERM grace period before SIGKILL.
    pub grace: Duration,
}

impl Child {
    /// Runs the child until it exits or it is asked to stop.
    pub(crate) async fn run(
        self,
        progress: watch::Sender<SyncProgress>,
        mut stop: watch::Receiver<Stop>,
        reporter: Reporter,
    ) -> WorkOutcome {
        let Some((program, args)) = self.command.split_first() else {
            return WorkOutcome::Failed("no command given".into());
        };
        // Before the spawn: a Ctrl-Z that comes once the child runs must find the handler that
        // stops the child too, not the default action that would stop start alone.
        let mut suspend = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGTSTP)).ok();
        let parent = std::process::id();
        let mut spawned = Command::new(program);
        let spawned = spawned
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            // Should this handle be dropped without the child being reaped (a panic unwinding
            // the work), the child is killed rather than left to run on.
            .kill_on_drop(true);
        // SAFETY: the closure runs in the forked child before exec and only makes
        // async-signal-safe calls (prctl, getppid, _exit).
        let spawned = unsafe { spawned.pre_exec(move || die_with(parent)) }.spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return WorkOutcome::Failed(format!("cannot run {program}: {e}")),
        };
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return WorkOutcome::Failed("the child's pipes were not set up".into());
        };
        let readers = async {
            tokio::join!(
                read_reports(BufReader::new(stdout), &progress, &reporter),
                read_log(BufReader::new(stderr), &reporter)
            )
        };
        tokio::pin!(readers);
        let mut drained = None;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                Some(()) = async { suspend.as_mut()?.recv().await }, if suspend.is_some() => suspend_with(group),
                (_, last) = &mut readers, if drained.is_none() => drained = Some(last),
                how = stopped(&mut stop) => {
                    let grace = if how == Stop::Graceful { self.grace } else { Duration::ZERO };
                    stop_group(group, &mut child, grace).await;
                    return WorkOutcome::Stopped;
                }
            }
        };
        let last_stderr = match drained {
            Some(last) => last,
            None => tokio::time::timeout(DRAIN, readers).await.ok().and_then(|(_, last)| last),
        };
        if end_leftovers(group, self.grace).await {
            reporter.log("the child left processes behind in its process group: stopped them");
        }
        match status {
            Ok(status) if status.success() => WorkOutcome::Completed,
            Ok(status) => WorkOutcome::Failed(failure_reason(status, last_stderr.as_deref())),
            Err(e) => WorkOutcome::Failed(format!("waiting for the child failed: {e}")),
        }
    }
}

/// In the forked child, before exec: ask Linux for SIGKILL when the parent dies (`kill -9` of
/// start leaves no one to stop the child, and a child running on would sync beside the next
/// start's), and exit at once if the parent is already gone (it died between fork and here).
/// The signal comes when the thread that forked dies; start forks from its only runtime thread,
/// which lives as long as the process.
fn die_with(parent: u32) -> std::io::Result<()> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid() are async-signal-safe and take no memory.
    unsafe {
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::getppid() as u32 != parent {
            libc::_exit(1);
        }
    }
    Ok(())
}

/// Ctrl-Z: stops the child's group, then start itself (SIGSTOP, which cannot be caught); once
/// continued (`fg`, `bg`, SIGCONT), continues the child's group. If the lease lapsed meanwhile,
/// the lease sees it at once and the child is killed.
fn suspend_with(group: Option<i32>) {
    let Some(pgid) = group else { return };
    // SAFETY: kill(2) on the child's process group and on ourselves; no memory involved.
    unsafe {
        libc::kill(-pgid, libc::SIGSTOP);
        libc::kill(libc::getpid(), libc::SIGSTOP);
        libc::kill(-pgid, libc::SIGCONT);
    }
}

/// SIGTERM to the child's process group, the grace period, then SIGKILL (at once without one).
async fn stop_group(group: Option<i32>, child: &mut tokio::process::Child, grace: Duration) {
    let signal = |sig| {
        if let Some(pgid) = group {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory involved.
            unsafe { libc::kill(-pgid, sig) };
        }
    };
    if grace.is_zero() {
        signal(libc::SIGKILL);
        let _ = child.wait().await;
        return;
    }
    signal(libc::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        signal(libc::SIGKILL);
        let _ = child.wait().await;
    }
}

/// Stops what the child left running in its process group (a grandchild it forked and did not
/// wait for): the sync is over, and nothing of it should outlive the task. SIGTERM, up to the
/// grace period (at most a couple of seconds) for them to go, then SIGKILL. True when there
/// was something to stop.
async fn end_leftovers(group: Option<i32>, grace: Duration) -> bool {
    let Some(pgid) = group else { return false };
    // SAFETY: kill(2) on a process group; signal 0 only checks that a member exists.
    let alive = || unsafe { libc::kill(-pgid, 0) == 0 };
    if !alive() {
        return false;
    }
    // SAFETY: as above.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let deadline = tokio::time::Instant::now() + grace.min(DRAIN);
    while alive() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: as above; a group whose members are all gone just returns ESRCH.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    true
}

/// `exit status 3: <last stderr line>`, or the signal that killed it.
fn failure_reason(status: ExitStatus, last_stderr: Option<&str>) -> String {
    let what = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    };
    match last_stderr {
        Some(line) => format!("{what}: {line}"),
        None => what,
    }
}

/// Reads stdout: report lines update the snapshot, everything else is relayed as log.
async fn read_reports(
    mut reader: impl AsyncBufRead + Unpin,
    progress: &watch::Sender<SyncProgress>,
    reporter: &Reporter,
) {
    let mut buf = Vec::new();
    while let Ok(Some(complete)) = read_capped_line(&mut reader, &mut buf, LINE_CAP).await {
        match complete.then(|| parse_report(&buf)).flatten() {
            Some((percent, stats)) => progress.send_modify(|s| {
                if let Some(p) = percent {
                    s.progress = p;
                }
                if let Some(stats) = stats {
                    let (stats, cleaned) = storable(stats);
                    if cleaned {
                        reporter.warn(
                            "the child's stats held NUL characters (\\u0000), which the database cannot store: removed",
                        );
                    }
                    s.stats.extend(stats);
                }
            }),
            None => reporter.log(&log_text(&buf)),
        }
    }
}

/// Reads stderr, relays it, and returns its last non-empty line.
async fn read_log(mut reader: impl AsyncBufRead + Unpin, reporter: &Reporter) -> Option<String> {
    let mut buf = Vec::new();
    let mut last = None;
    while let Ok(Some(_)) = read_capped_line(&mut reader, &mut buf, LINE_CAP).await {
        let text = log_text(&buf);
        reporter.log(&text);
        if !text.trim().is_empty() {
            last = Some(text.trim().to_string());
        }
    }
    last
}

/// What one report line says: a progress and / or stats.
type ReportLine = (Option<u8>, Option<serde_json::Map<String, Value>>);

/// A report line: a JSON object with `progress` (a number, clamped to 0..=100) and/or `stats`
/// (an object). Anything else is not a report.
fn parse_report(line: &[u8]) -> Option<ReportLine> {
    let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(line) else {
        return None;
    };
    let progress = doc.get("progress").and_then(Value::as_f64).map(|p| p.clamp(0.0, 100.0).round() as u8);
    let stats = match doc.remove("stats") {
        Some(Value::Object(stats)) => Some(stats),
        _ => None,
    };
    (progress.is_some() || stats.is_some()).then_some((progress, stats))
}

/// The stats without what jsonb cannot hold: NUL characters (`\u0000`) in keys and strings are
/// removed, at any depth. True when something was removed.
fn storable(stats: serde_json::Map<String, Value>) -> (serde_json::Map<String, Value>, bool) {
    fn clean(value: Value, cleaned: &mut bool) -> Value {
        let text = |s: String, cleaned: &mut bool| {
            if s.contains('\0') {
                *cleaned = true;
                s.replace('\0', "")
            } else {
                s
            }
        };
        match value {
            Value::String(s) => Value::String(text(s, cleaned)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| clean(v, cleaned)).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (text(k, cleaned), clean(v, cleaned))).collect())
            }
            other => other,
        }
    }
    let mut cleaned = false;
    let Value::Object(stats) = clean(Value::Object(stats), &mut cleaned) else { unreachable!("an object stays one") };
    (stats, cleaned)
}

/// A log line as text: invalid UTF-8 replaced, cut to a readable length.
fn log_text(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches('\r');
    if text.chars().count() > LOG_CAP {
        format!("{}… (line cut)", text.chars().take(LOG_CAP).collect::<String>())
    } else {
        text.to_string()
    }
}

/// Reads one line into `buf` (without its newline), keeping at most `cap` bytes and skipping
/// the rest. `Ok(None)` at the end of input; `Ok(Some(complete))` otherwise, `complete` false
/// when the line was cut.
async fn read_capped_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut complete = true;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(any.then_some(complete));
        }
        any = true;
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let room = cap.saturating_sub(buf.len());
        if part.len() > room {
            complete = false;
        }
        buf.extend_from_slice(&part[..part.len().min(room)]);
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Some(complete));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_and_garbage() {
        assert_eq!(parse_report(br#"{"progress": 42}"#), Some((Some(42), None)));
        assert_eq!(parse_report(br#"{"progress": 250.4}"#).unwrap().0, Some(100));
        assert!(parse_report(br#"{"stats": {"new": 3}}"#).unwrap().1.is_some());
        let stats = parse_report(br#"{"stats": {"last\u0000": ["INBOX\u0000junk", {"a": "\u0000"}], "n": 1}}"#);
        let (stats, cleaned) = storable(stats.unwrap().1.unwrap());
        assert!(cleaned);
        assert_eq!(Value::Object(stats), serde_json::json!({"last": ["INBOXjunk", {"a": ""}], "n": 1}));
        assert_eq!(parse_report(b"{\"progress\": 4"), None);
        assert_eq!(parse_report(b"[1,2]"), None);
        assert_eq!(parse_report(b"\xff\xfe"), None);
        assert_eq!(parse_report(br#"{"other": 1}"#), None);
        assert_eq!(log_text(b"caf\xe9"), "caf\u{fffd}");
    }

    #[tokio::test]
    async fn long_lines_are_cut_not_kept() {
        let mut input = vec![b'x'; 100];
        input.extend_from_slice(b"\nshort\nlast");
        let mut reader = &input[..];
        let mut buf = Vec::new();
        assert_eq!(read_capped_line(&mut reader, &mut buf, 10).await.unwrap(), Some(false));
        assert_eq!(buf.len(), 10);
        assert_eq!(read_capped_line(&mut reader, &mut buf, 10).await.unwrap(), Some(true));
        assert_eq!(buf, b"short");
        assert_eq!(read_capped_line(&mut reader, &mut buf, 10).await.unwrap(), Some(true));
        assert_eq!(buf, b"last");
        assert_eq!(read_capped_line(&mut reader, &mut buf, 10).await.unwrap(), None);
    }
}
