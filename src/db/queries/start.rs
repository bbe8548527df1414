//! `start/`: the claim (the user's lock, their running rows, the release of dead ones, the new
//! task written over the user's row or inserted), and the lease's writes (the heartbeat, the
//! release, and the check of a release whose reply was lost).

use tokio_postgres::{Error, GenericClient};

use super::{Filled, FromRow, row, rows};
use crate::db::param::TextParam;
use crate::db::query::{Param, execute, query, query_one, query_opt};
use crate::state::Classifier;
use crate::table::Table;

row! {
    /// `start/lock_user.sql`: the user, once their claims are serialised.
    LockedUser {
        /// The user id as user_id::text writes it.
        user_id: String,
        /// The database clock, in Unix seconds.
        now_unix: i64,
    }
}

row! {
    /// `start/rows.sql`: a running row of the user (or the followed task's row), classified.
    TaskRow {
        /// task_id as text.
        task_id: Option<String>,
        /// is_syncing.
        is_syncing: Option<bool>,
        /// progress_percentage.
        progress_percentage: Option<f64>,
        /// error_message as text.
        error_message: Option<String>,
        /// now() - updated_at, in seconds.
        silent_seconds: Option<f64>,
        /// The heartbeat timed out (or is missing).
        zombie: bool,
        /// A timestamp more than a minute in the future, or a heartbeat a writer storing a
        /// shifted clock keeps writing a whole time-zone offset away.
        skewed: bool,
        /// Stopped at 100%.
        completed: bool,
        /// The row's partition (the table itself when it is not partitioned).
        tableoid: u32,
        /// Its ctid as text, valid in this transaction.
        ctid: String,
        /// current_stats as text.
        current_stats: Option<String>,
    }
}

row! {
    /// `start/user_has_row.sql`: whether the user has any row.
    UserHasRow {
        /// At least one row.
        has_row: bool,
    }
}

row! {
    /// `start/update_task.sql`: the user's row, now the new task's.
    UpdatedTask {
        /// The stored stats as text (the previous task's history included).
        current_stats: Option<String>,
    }
}

row! {
    /// `start/released.sql`: whether the row holds exactly the release that was sent.
    Released {
        /// The earlier attempt committed.
        ours: bool,
    }
}

/// `start/lock_user.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct LockUserParams {
    /// The table's oid, reinterpreted as int4.
    pub(crate) table_oid: i32,
    /// --user as given, parsed by the server with user_id's type.
    pub(crate) user: TextParam,
}

/// `start/release_dead.sql`'s parameters: the dead row, as the claim read it.
#[derive(Debug)]
pub(crate) struct ReleaseDeadParams<'a> {
    /// Its ctid as text.
    pub(crate) ctid: &'a str,
    /// Its task id as text (NULL when it had none).
    pub(crate) task_id: Option<&'a str>,
    /// Why it is released.
    pub(crate) reason: &'a str,
    /// Its partition.
    pub(crate) tableoid: u32,
}

/// The parameters of `start/insert_task.sql` and `start/update_task.sql`: the new task.
#[derive(Debug)]
pub(crate) struct NewTaskParams {
    /// The user id.
    pub(crate) user_id: TextParam,
    /// The new task id.
    pub(crate) task_id: TextParam,
    /// `full` or `incremental`.
    pub(crate) sync_type: TextParam,
    /// The first stats as JSON text.
    pub(crate) stats: TextParam,
}

impl NewTaskParams {
    /// `$1..$4`.
    fn bind(&self) -> [&dyn Param; 4] {
        [&self.user_id, &self.task_id, &self.sync_type, &self.stats]
    }
}

/// `start/beat.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct BeatParams {
    /// The task.
    pub(crate) task_id: TextParam,
    /// Its user.
    pub(crate) user_id: TextParam,
    /// The progress (stored as at most 99).
    pub(crate) progress: i32,
    /// The stats as JSON text.
    pub(crate) stats: TextParam,
}

/// The parameters of `start/release.sql` and `start/released.sql`: the task's end.
#[derive(Debug)]
pub(crate) struct ReleaseParams {
    /// The task.
    pub(crate) task_id: TextParam,
    /// Its user.
    pub(crate) user_id: TextParam,
    /// 0 or 100.
    pub(crate) progress: i32,
    /// The final stats as JSON text.
    pub(crate) stats: TextParam,
    /// The error, None when completed.
    pub(crate) error: Option<String>,
}

impl ReleaseParams {
    /// `$1..$5`.
    fn bind(&self) -> [&dyn Param; 5] {
        [&self.task_id, &self.user_id, &self.progress, &self.stats, &self.error]
    }
}

/// `start/lock_user.sql`: waits for the user's claim lock.
pub(crate) async fn lock_user(
    client: &impl GenericClient,
    table: &Table,
    p: &LockUserParams,
) -> Result<LockedUser, Error> {
    let params: [&dyn Param; 2] = [&p.table_oid, &p.user];
    LockedUser::from_row(&query_one(client, &table.render(&super::START_LOCK_USER), &params).await?)
}

/// `start/rows.sql`: the classifier's `$1..$6`, no parameters of its own.
pub(crate) async fn task_rows(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
) -> Result<Vec<TaskRow>, Error> {
    rows(&query(client, &table.render(&super::START_ROWS), &classifier.bind()).await?)
}

/// `start/user_has_row.sql`: whether `user_id` (as user_id::text wrote it) has any row.
pub(crate) async fn user_has_row(
    client: &impl GenericClient,
    table: &Table,
    user_id: &TextParam,
) -> Result<bool, Error> {
    let params: [&dyn Param; 1] = [user_id];
    let row = UserHasRow::from_row(&query_one(client, &table.render(&super::START_USER_HAS_ROW), &params).await?)?;
    Ok(row.has_row)
}

/// `start/release_dead.sql`: the rows it released (0 when the row changed since it was read).
pub(crate) async fn release_dead(
    client: &impl GenericClient,
    table: &Table,
    p: &ReleaseDeadParams<'_>,
) -> Result<u64, Error> {
    let params: [&dyn Param; 4] = [&p.ctid, &p.task_id, &p.reason, &p.tableoid];
    execute(client, &table.render(&super::START_RELEASE_DEAD), &params).await
}

/// `start/update_task.sql`: `None` when the user has no row yet.
pub(crate) async fn update_task(
    client: &impl GenericClient,
    table: &Table,
    p: &NewTaskParams,
) -> Result<Option<UpdatedTask>, Error> {
    let row = query_opt(client, &table.render(&super::START_UPDATE_TASK), &p.bind()).await?;
    row.as_ref().map(UpdatedTask::from_row).transpose()
}

/// `start/insert_task.sql`.
pub(crate) async fn insert_task(client: &impl GenericClient, table: &Table, p: &NewTaskParams) -> Result<u64, Error> {
    execute(client, &table.render(&super::START_INSERT_TASK), &p.bind()).await
}

/// The lease's statements, rendered once for the table: they are sent for as long as the task
/// runs, over connections that may be re-opened.
#[derive(Debug, Clone)]
pub(crate) struct LeaseStatements {
    /// `start/beat.sql`.
    beat: Filled,
    /// `start/release.sql`.
    release: Filled,
    /// `start/released.sql`.
    released: Filled,
}

impl LeaseStatements {
    /// The statements for `table`.
    pub(crate) fn render(table: &Table) -> LeaseStatements {
        LeaseStatements {
            beat: table.render(&super::START_BEAT),
            release: table.render(&super::START_RELEASE),
            released: table.render(&super::START_RELEASED),
        }
    }
}

/// `start/beat.sql`: the rows it touched (0: the task is no longer ours).
pub(crate) async fn beat(client: &impl GenericClient, sql: &LeaseStatements, p: &BeatParams) -> Result<u64, Error> {
    let params: [&dyn Param; 4] = [&p.task_id, &p.user_id, &p.progress, &p.stats];
    execute(client, &sql.beat, &params).await
}

/// `start/release.sql`: the rows it touched (0: the task is no longer ours, or an earlier
/// attempt released it).
pub(crate) async fn release(
    client: &impl GenericClient,
    sql: &LeaseStatements,
    p: &ReleaseParams,
) -> Result<u64, Error> {
    execute(client, &sql.release, &p.bind()).await
}

/// `start/released.sql`: whether the row holds exactly this release.
pub(crate) async fn released(
    client: &impl GenericClient,
    sql: &LeaseStatements,
    p: &ReleaseParams,
) -> Result<Released, Error> {
    Released::from_row(&query_one(client, &sql.released, &p.bind()).await?)
}
