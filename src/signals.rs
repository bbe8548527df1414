//! SIGINT and SIGTERM as the exit status each one ends a run with (130 / 143), for the
//! commands that must clean up before they stop (`start`, `reap --every`, `demo`).

use anyhow::{Context, Result};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::ExitStatus;

/// Listeners for SIGINT and SIGTERM; create them early, so no signal arrives unheard.
pub struct Signals {
    int: Signal,
    term: Signal,
}

impl Signals {
    /// Starts listening.
    pub fn new() -> Result<Signals> {
        let listen = |kind| signal(kind).context("listening for SIGINT and SIGTERM");
        Ok(Signals { int: listen(SignalKind::interrupt())?, term: listen(SignalKind::terminate())? })
    }

    /// The next signal, as the exit status it leads to.
    pub async fn next(&mut self) -> ExitStatus {
        tokio::select! {
            _ = self.int.recv() => ExitStatus::Interrupted,
            _ = self.term.recv() => ExitStatus::Terminated,
        }
    }
}
