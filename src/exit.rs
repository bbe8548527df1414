//! Exit codes: the one table every subcommand maps its outcome to.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done, or clean |
//! | 1 | problems found, or the sync failed |
//! | 2 | usage or configuration error (bad flag, missing table or column, missing privilege) |
//! | 3 | cannot connect, or the database failed |
//! | 4 | lease lost (`start` was fenced out) |
//! | 5 | locks not obtained within the timeout and retries |
//! | 129 / 130 / 143 | stopped by SIGHUP (terminal or ssh gone) / SIGINT / SIGTERM, after cleaning up |
//!
//! `health` instead follows the monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL,
//! 3 UNKNOWN), see [`Level`].

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done, or nothing wrong found.
    Success,
    /// The command worked and found problems (or the sync failed).
    Problems,
    /// Bad usage or configuration.
    Usage,
    /// Cannot connect, or the database failed.
    Database,
    /// `start` lost its lease.
    LeaseLost,
    /// Locks were not obtained in time.
    LockTimeout,
    /// Stopped by SIGHUP (the terminal or ssh session went away) after cleaning up.
    HungUp,
    /// Stopped by SIGINT after cleaning up.
    Interrupted,
    /// Stopped by SIGTERM after cleaning up.
    Terminated,
    /// A monitoring verdict (`health`).
    Monitoring(Level),
}

/// A monitoring-plugin verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Everything is fine.
    Ok,
    /// Clean data, but something needs attention.
    Warning,
    /// Zombies or inconsistent rows.
    Critical,
    /// Could not ask.
    Unknown,
}

impl Level {
    /// The upper-case name monitoring systems print.
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
            Level::Unknown => "UNKNOWN",
        }
    }

    /// The plugin exit code.
    pub fn code(self) -> u8 {
        match self {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Critical => 2,
            Level::Unknown => 3,
        }
    }
}

impl ExitStatus {
    /// What a usage error (a bad flag or value, an `--output` that is not a regular file) ends
    /// `subcommand` with: 2, except under `health`, where a monitor would read 2 as CRITICAL,
    /// so it is UNKNOWN (3).
    pub fn usage_under(subcommand: Option<&str>) -> ExitStatus {
        match subcommand {
            Some("health") => ExitStatus::Monitoring(Level::Unknown),
            _ => ExitStatus::Usage,
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Problems => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Database => 3,
            ExitStatus::LeaseLost => 4,
            ExitStatus::LockTimeout => 5,
            ExitStatus::HungUp => 129,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
            ExitStatus::Monitoring(level) => level.code(),
        }
    }
}
