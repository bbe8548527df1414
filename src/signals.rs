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
