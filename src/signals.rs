//! SIGHUP, SIGINT and SIGTERM as the exit status each one ends a run with (129 / 130 / 143), for
//! the commands that must clean up before they stop (`start`, `reap --every`, `demo`). SIGHUP
//! is what a dropped ssh session or closed terminal sends: left to its default it would kill
//! the process on the spot, with no release and a child left running.

use anyhow::{Context, Result};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::ExitStatus;

/// Listeners for SIGHUP, SIGINT and SIGTERM; create them early, so no signal arrives unheard.
pub(crate) struct Signals {
    hup: Signal,
    int: Signal,
    term: Signal,
}

impl Signals {
    /// Starts listening.
    pub(crate) fn new() -> Result<Signals> {
        let listen = |kind| signal(kind).context("listening for SIGHUP, SIGINT and SIGTERM");
        Ok(Signals {
            hup: listen(SignalKind::hangup())?,
            int: listen(SignalKind::interrupt())?,
            term: listen(SignalKind::terminate())?,
        })
    }

    /// The next signal, as the exit status it leads to.
    pub(crate) async fn next(&mut self) -> ExitStatus {
        tokio::select! {
            _ = self.hup.recv() => ExitStatus::HungUp,
            _ = self.int.recv() => ExitStatus::Interrupted,
            _ = self.term.recv() => ExitStatus::Terminated,
        }
    }
}

/// Gives SIGHUP, SIGINT and SIGTERM their default action back (end the process at once), for a
/// command that listened only for a while (a question it asked) and has nothing to clean up
/// after: a listener, once set up, would otherwise keep swallowing them for the rest of the run.
pub(crate) fn restore_defaults() {
    for signal in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
        // SAFETY: resetting a disposition to SIG_DFL touches no memory of this process.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}
