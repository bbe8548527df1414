//! `reap/`: the dead rows a pass releases (`reap/dead_rows.sql`), one batch of releases
//! (`reap/batch.sql`, its first try's lock wait `reap/lock_wait.sql`), and the rows a reap
//! would release (`reap/dry_run.sql`).

use serde::Serialize;
use tokio_postgres::{Error, GenericClient};

use super::{row, rows};
use crate::db::query::{Param, query};
use crate::table::Table;

row! {
    /// A row released (or, with `--dry-run`, that would be).
    #[derive(PartialEq, Serialize)]
    ReleasedRow {
        /// task_id as text.
        task_id: Option<String>,
        /// user_id as text.
        user_id: Option<String>,
        /// How long it had been silent, in seconds; `None` when it never had a heartbeat.
        #[serde(with = "crate::output::serde_seconds::optional")]
        silent_seconds: Option<f64>,
        /// The row version read (partition/ctid/xmin): any write changes it.
        #[serde(skip)]
        version: String,
    }
}

row! {
    /// A dead row as a pass lists it: where it lies.
    DeadRow {
        /// The partition holding it (the table itself unless partitioned).
        partition: u32,
        /// Its ctid, as text.
        ctid: String,
    }
}

/// `reap/dead_rows.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct DeadRowsParams<'a> {
    /// `$1`: a running row silent for longer than this many seconds is dead (`--timeout`).
    pub(crate) timeout_seconds: f64,
    /// `$2`: task ids whose owner's liveness lock was found free (`--liveness lock`).
    pub(crate) lock_dead: &'a [String],
}

/// `reap/dead_rows.sql`: where the rows a pass releases lie, read once at its start.
pub(crate) async fn dead_rows(
    client: &impl GenericClient,
    table: &Table,
    p: &DeadRowsParams<'_>,
) -> Result<Vec<DeadRow>, Error> {
    let params: [&dyn Param; 2] = [&p.timeout_seconds, &p.lock_dead];
    rows(&query(client, &table.render(&super::REAP_DEAD_ROWS), &params).await?)
}

/// `reap/batch.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct BatchParams<'a> {
    /// `$1`: a running row silent for longer than this many seconds is dead (`--timeout`).
    pub(crate) timeout_seconds: f64,
    /// `$2`: task ids whose owner's liveness lock was found free (`--liveness lock`): dead at
    /// once, whatever their heartbeat.
    pub(crate) lock_dead: &'a [String],
    /// `$3`: under `--confirm`, only these row versions (seen unchanged over the window),
    /// shifted clocks or not; `None`: every dead row but those of writers storing a shifted clock.
    pub(crate) versions: Option<&'a [String]>,
    /// `$4`: the partition the batch's rows lie in.
    pub(crate) partition: u32,
    /// `$5`: the batch's ctids (at most `--limit`).
    pub(crate) ctids: &'a [String],
}

/// How a batch treats the rows other sessions hold (`reap/batch.sql`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RowLocks {
    /// No row locks but the update's own: waits for a held row, as long as
    /// `reap/lock_wait.sql` set beforehand allows.
    Wait,
    /// `FOR UPDATE SKIP LOCKED` first: a held row is skipped.
    SkipLocked,
}

/// `reap/batch.sql`: releases the listed rows that are still dead.
pub(crate) async fn batch(
    client: &impl GenericClient,
    table: &Table,
    p: &BatchParams<'_>,
    locks: RowLocks,
) -> Result<Vec<ReleasedRow>, Error> {
    let row_lock = match locks {
        RowLocks::Wait => "",
        RowLocks::SkipLocked => "FOR UPDATE SKIP LOCKED",
    };
    let statement = super::REAP_BATCH.filled(&table.fill().with("row_lock", row_lock));
    let params: [&dyn Param; 5] = [&p.timeout_seconds, &p.lock_dead, &p.versions, &p.partition, &p.ctids];
    rows(&query(client, &statement, &params).await?)
}

/// `reap/lock_wait.sql`: bounds this transaction's lock waits for a batch's first try.
pub(crate) async fn lock_wait(client: &impl GenericClient) -> Result<(), Error> {
    query(client, &super::REAP_LOCK_WAIT, &[]).await.map(drop)
}

/// `reap/dry_run.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct DryRunParams<'a> {
    /// `$1`: a running row silent for longer than this many seconds is dead (`--timeout`).
    pub(crate) timeout_seconds: f64,
    /// `$2`: task ids whose owner's liveness lock was found free (`--liveness lock`).
    pub(crate) lock_dead: &'a [String],
    /// `$3`: also rows whose writer stores a shifted clock but keeps writing (`--confirm`'s
    /// candidates).
    pub(crate) shifted: bool,
}

/// `reap/dry_run.sql`: the rows a reap would release now, longest silent first (with `shifted`,
/// the candidates of `--confirm`).
pub(crate) async fn dry_run(
    client: &impl GenericClient,
    table: &Table,
    p: &DryRunParams<'_>,
) -> Result<Vec<ReleasedRow>, Error> {
    let params: [&dyn Param; 3] = [&p.timeout_seconds, &p.lock_dead, &p.shifted];
    rows(&query(client, &table.render(&super::REAP_DRY_RUN), &params).await?)
}
