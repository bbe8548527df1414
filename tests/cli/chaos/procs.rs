//! The campaign's processes, spawned from the built binary with a clean environment: stdout is
//! drained by a thread and `start --json`'s events kept (the first and the last); stderr is
//! drained too, unless the run is one of the stderr faults (a pipe nobody reads, a closed
//! pipe, `/dev/full`); a process still running when its handle drops is killed, so a failing
//! campaign leaves nothing behind.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStderr, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use serde_json::Value;

use crate::support::syncctl_process;

/// What a `start --json` printed: its first and last events, and any line that was not JSON.
#[derive(Debug, Default)]
pub(super) struct Events {
    pub first: Option<Value>,
    pub last: Option<Value>,
    pub not_json: Vec<String>,
}

/// Where a process's stderr goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stderr {
    /// A pipe the campaign reads.
    Drained,
    /// A pipe nobody reads: it fills, and every write would block.
    Unread,
    /// A pipe whose reader is gone: every write fails with EPIPE.
    Closed,
    /// `/dev/full`: every write fails with ENOSPC.
    Full,
}

/// A running syncctl process.
pub(super) struct Proc {
    child: Child,
    events: Option<Arc<Mutex<Events>>>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
    /// The unread end of an [`Stderr::Unread`] pipe, held open until the process ends.
    unread: Option<ChildStderr>,
    /// The process groups of its children frozen with it.
    frozen_groups: Vec<i32>,
    /// The signal the campaign sent it, if any.
    pub signalled: Option<i32>,
    /// Frozen (SIGSTOP) until then, when SIGCONT is due.
    pub thaw_at: Option<Instant>,
    /// It was frozen once.
    pub frozen: bool,
}

/// How a process ended.
#[derive(Debug)]
pub(super) struct Exit {
    pub status: ExitStatus,
    pub stderr_tail: String,
}

impl Exit {
    /// `exit N` or `signal N`, for messages.
    pub(super) fn describe(&self) -> String {
        match (self.status.code(), self.status.signal()) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => format!("{:?}", self.status),
        }
    }
}

/// The last `max` bytes of `text`, cut at a character boundary.
fn tail(text: &str, max: usize) -> String {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

impl Proc {
    /// Spawns `syncctl <args>` against `url`; with `json_events`, stdout is read as `--json`
    /// events, else discarded.
    pub(super) fn spawn(url: &str, args: &[String], json_events: bool, stderr: Stderr) -> Proc {
        let stderr_to = match stderr {
            Stderr::Full => std::fs::File::options().write(true).open("/dev/full").expect("/dev/full").into(),
            _ => Stdio::piped(),
        };
        let mut child = syncctl_process(url)
            .args(args)
            .stdout(if json_events { Stdio::piped() } else { Stdio::null() })
            .stderr(stderr_to)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning syncctl {args:?}: {e}"));
        let pipe = child.stderr.take();
        let (unread, stderr) = match (stderr, pipe) {
            (Stderr::Drained, Some(mut pipe)) => (
                None,
                Some(thread::spawn(move || {
                    let mut text = Vec::new();
                    let _ = pipe.read_to_end(&mut text);
                    tail(&String::from_utf8_lossy(&text), 2000)
                })),
            ),
            (Stderr::Unread, pipe) => (pipe, None),
            // Closed: the read end is dropped here, before the process writes anything.
            _ => (None, None),
        };
        let (events, stdout) = match child.stdout.take() {
            Some(out) => {
                let events = Arc::new(Mutex::new(Events::default()));
                let sink = Arc::clone(&events);
                let reader = thread::spawn(move || {
                    for line in BufReader::new(out).lines() {
                        let Ok(line) = line else { break };
                        let mut events = sink.lock().unwrap_or_else(PoisonError::into_inner);
                        match serde_json::from_str::<Value>(&line) {
                            Ok(event) => {
                                if events.first.is_none() {
                                    events.first = Some(event.clone());
                                }
                                events.last = Some(event);
                            }
                            Err(_) => events.not_json.push(line),
                        }
                    }
                });
                (Some(events), Some(reader))
            }
            None => (None, None),
        };
        Proc {
            child,
            events,
            stdout,
            stderr,
            unread,
            frozen_groups: Vec::new(),
            signalled: None,
            thaw_at: None,
            frozen: false,
        }
    }

    pub(super) fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `signal` and remembers it.
    pub(super) fn signal(&mut self, signal: i32) {
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped yet (a reaped
        // pid is never signalled: `try_exit` consumes the handle's running state first).
        unsafe { libc::kill(self.pid(), signal) };
        self.signalled = Some(signal);
    }

    /// Freezes the process and the process groups of its children (SIGSTOP) until `thaw_at`:
    /// a pause like a VM freeze or a cgroup freezer, which takes a whole process tree. After
    /// it, start must find itself fenced out rather than write, and stop its child.
    pub(super) fn freeze(&mut self, thaw_at: Instant) {
        // SAFETY: as in `signal`.
        unsafe { libc::kill(self.pid(), libc::SIGSTOP) };
        // Stopped first, so it forks no child while its children are looked up.
        self.frozen_groups = children(self.pid());
        for group in &self.frozen_groups {
            // SAFETY: kill(2) on the process group of a child of ours; no memory involved.
            unsafe { libc::kill(-group, libc::SIGSTOP) };
        }
        self.thaw_at = Some(thaw_at);
        self.frozen = true;
    }

    /// Sends SIGCONT when the freeze is over (or `now` is forced): the children first, so they
    /// may run before start can stop them, the worst order for start.
    pub(super) fn thaw_if_due(&mut self, force: bool) {
        if self.thaw_at.is_some_and(|at| force || Instant::now() >= at) {
            for group in self.frozen_groups.drain(..) {
                // SAFETY: as in `freeze`.
                unsafe { libc::kill(-group, libc::SIGCONT) };
            }
            // SAFETY: as in `signal`.
            unsafe { libc::kill(self.pid(), libc::SIGCONT) };
            self.thaw_at = None;
        }
    }

    /// The exit, once the process has ended (its pipes drained).
    pub(super) fn try_exit(&mut self) -> Option<Exit> {
        let status = self.child.try_wait().expect("waitpid")?;
        if let Some(reader) = self.stdout.take() {
            let _ = reader.join();
        }
        let stderr_tail = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        self.unread = None;
        Some(Exit { status, stderr_tail })
    }

    /// The first event (`claimed` or `reused`), once printed.
    pub(super) fn first_event(&self) -> Option<Value> {
        self.events.as_ref()?.lock().unwrap_or_else(PoisonError::into_inner).first.clone()
    }

    /// The events so far.
    pub(super) fn take_events(&self) -> Events {
        self.events
            .as_ref()
            .map(|e| std::mem::take(&mut *e.lock().unwrap_or_else(PoisonError::into_inner)))
            .unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The pids of the children of `pid` (each leads a process group of its own: start runs its
/// child in one), read from /proc.
fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}
