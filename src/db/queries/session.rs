//! `session/`: the settings every transaction applies, and what the server is.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio_postgres::{Error, GenericClient};

use super::{FromRow, row};
use crate::db::query::query_one;

/// `session/local.sql`'s parameters: syncctl's settings for one transaction.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    /// lock_timeout, with its unit.
    pub(crate) lock_timeout: String,
    /// statement_timeout, with its unit.
    pub(crate) statement_timeout: String,
    /// TimeZone (--timestamp-zone).
    pub(crate) time_zone: String,
    /// jit, unless the user's own startup options choose it.
    pub(crate) jit: Option<String>,
}

/// Whether the server of the last transaction syncctl began has track_commit_timestamp on, as
/// `session/local.sql` said: the classifier's shifted-clock rule is filled to fit it
/// ([`commit_timestamps`]). Every transaction's first statement refreshes it, so a statement
/// filled after it fits the server it runs on.
static COMMIT_TIMESTAMPS: AtomicBool = AtomicBool::new(false);

/// Whether track_commit_timestamp was on where syncctl's last transaction began (false before
/// any): `state/written_by_commit_time.sql` then decides that a row is still written, else
/// `state/written_since_checkpoint.sql`.
pub(crate) fn commit_timestamps() -> bool {
    COMMIT_TIMESTAMPS.load(Ordering::Relaxed)
}

/// Applies `local` to the transaction `client` is in.
pub(crate) async fn apply(client: &impl GenericClient, local: &Local) -> Result<(), Error> {
    let params: [&dyn crate::db::query::Param; 4] =
        [&local.lock_timeout, &local.statement_timeout, &local.time_zone, &local.jit];
    let row = query_one(client, &super::SESSION_LOCAL, &params).await?;
    COMMIT_TIMESTAMPS.store(row.try_get("commit_timestamps")?, Ordering::Relaxed);
    Ok(())
}

row! {
    /// `session/server.sql` (also the server's columns of table/introspect.sql): the server a
    /// connection reached.
    Reached {
        /// A hot standby: in recovery, read-only.
        standby: bool,
        /// How far its replay lags, on a standby that has replayed something.
        replay_lag_seconds: Option<f64>,
        /// server_version, for `-v`.
        version: String,
        /// The port the server listens on, for `-v`.
        port: i32,
    }
}

/// Whether the server is a standby, and how far it lags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Server {
    /// A hot standby: in recovery, read-only.
    pub(crate) standby: bool,
    /// How far its replay lags, on a standby that has replayed something.
    pub(crate) replay_lag_seconds: Option<f64>,
}

impl Reached {
    /// Whether it is a standby, and how far it lags.
    pub(crate) fn server(&self) -> Server {
        Server { standby: self.standby, replay_lag_seconds: self.replay_lag_seconds }
    }
}

/// What the server is.
pub(crate) async fn server(client: &impl GenericClient) -> Result<Reached, Error> {
    Reached::from_row(&query_one(client, &super::SESSION_SERVER, &[]).await?)
}
