//! `liveness/`: the session advisory locks of `--liveness lock` (src/liveness.rs): a task's
//! key, taking it, probing keys, the running rows to probe, and the backend a session runs on.

use tokio_postgres::{Error, GenericClient};

use super::{FromRow, row, rows};
use crate::db::query::{Param, query, query_one};
use crate::table::Table;

row! {
    /// `liveness/backend.sql`: the server process running the connection's statement.
    Backend {
        /// pg_backend_pid().
        pid: i32,
    }
}

row! {
    /// `liveness/key.sql`: a task's lock key.
    TaskKey {
        /// The task id, as given.
        task_id: String,
        /// Its key.
        key: i64,
    }
}

row! {
    /// `liveness/hold.sql`: whether the key is now held by this session.
    Held {
        /// pg_try_advisory_lock.
        held: bool,
    }
}

row! {
    /// `liveness/probe.sql`: whether a key is free at this instant.
    Probe {
        /// The key.
        key: i64,
        /// No session holds it.
        free: bool,
    }
}

row! {
    /// `liveness/running.sql`: a running row whose owner's lock is to be probed (its user_id
    /// column is not read).
    RunningTask {
        /// Its task id as text.
        task_id: String,
    }
}

/// `liveness/key.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct KeyParams<'a> {
    /// The table's oid.
    pub(crate) table_oid: i64,
    /// The task ids, as task_id::text writes them.
    pub(crate) task_ids: &'a [String],
}

/// `liveness/backend.sql`.
pub(crate) async fn backend(client: &impl GenericClient) -> Result<Backend, Error> {
    Backend::from_row(&query_one(client, &super::LIVENESS_BACKEND, &[]).await?)
}

/// `liveness/key.sql`: the key of each task, one row per task id.
pub(crate) async fn keys(client: &impl GenericClient, p: &KeyParams<'_>) -> Result<Vec<TaskKey>, Error> {
    let params: [&dyn Param; 2] = [&p.table_oid, &p.task_ids];
    rows(&query(client, &super::LIVENESS_KEY, &params).await?)
}

/// `liveness/key.sql` for one task: its key.
pub(crate) async fn key(client: &impl GenericClient, table_oid: i64, task_id: &str) -> Result<TaskKey, Error> {
    let params: [&dyn Param; 2] = [&table_oid, &vec![task_id]];
    TaskKey::from_row(&query_one(client, &super::LIVENESS_KEY, &params).await?)
}

/// `liveness/hold.sql`: takes `key` as a session lock, without waiting.
pub(crate) async fn hold(client: &impl GenericClient, key: i64) -> Result<Held, Error> {
    Held::from_row(&query_one(client, &super::LIVENESS_HOLD, &[&key]).await?)
}

/// `liveness/probe.sql`: for each key, whether it is free.
pub(crate) async fn probe(client: &impl GenericClient, keys: &[i64]) -> Result<Vec<Probe>, Error> {
    rows(&query(client, &super::LIVENESS_PROBE, &[&keys]).await?)
}

/// `liveness/running.sql`: the table's running rows with a task id.
pub(crate) async fn running(client: &impl GenericClient, table: &Table) -> Result<Vec<RunningTask>, Error> {
    rows(&query(client, &table.render(&super::LIVENESS_RUNNING), &[]).await?)
}
