//! Waiting in the tests: for a condition to hold, for a value to show up, for a child process
//! to exit. Every wait has a generous deadline, after which the test fails instead of hanging.

use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// How long [`wait_for`] and [`wait_exit`] wait for something that should take a moment.
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

/// How long [`poll`] waits: longer than [`DEADLINE`], for heartbeats, takeovers and builds on a
/// loaded machine.
pub(crate) const POLL_DEADLINE: Duration = Duration::from_secs(90);

/// Polls `done` every 50 ms until it holds; panics with `what` after [`DEADLINE`].
pub(crate) fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `check` every 25 ms until it returns Some, and returns that value; panics with `what`
/// after [`POLL_DEADLINE`].
pub(crate) fn poll<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < POLL_DEADLINE, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(25));
    }
}

/// Waits for `child` to exit, killing it and failing after [`DEADLINE`].
pub(crate) fn wait_exit(child: &mut Child) -> ExitStatus {
    exit_within(child, DEADLINE).unwrap_or_else(|| panic!("the process did not exit within {DEADLINE:?}"))
}

/// Waits up to `deadline` for `child` to exit (checking every 20 ms) and returns its status; if
/// it is still running then, kills it and returns None, for the caller to fail with what it
/// knows about the run.
pub(crate) fn exit_within(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}
