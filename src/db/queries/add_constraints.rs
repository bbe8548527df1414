//! `add_constraints/`: the other backends' index builds on the table, the bound of a step that
//! runs in a transaction, and the one function every DDL statement of the rollout goes through.
//! The DDL files take no parameters (DDL cannot bind any): they are rendered with a [`Fill`]
//! (the table, the index) and sent as they are.
//!
//! [`Fill`]: super::Fill

use serde::Serialize;
use tokio_postgres::{Client, Error, GenericClient};

use super::Filled;
use super::{FromRow, row, rows};
use crate::db::query::{Param, batch, query, query_one};
use crate::table::Table;

row! {
    /// `add_constraints/builds.sql`: an index build in progress on the table by another backend
    /// (its JSON is the `builds_in_progress` entry of `--dry-run --json`).
    #[derive(Serialize)]
    IndexBuild {
        /// The backend building it.
        pid: i32,
        /// The index, when pg_stat_progress_create_index says which.
        #[serde(skip)]
        index_oid: Option<u32>,
        /// The index's name, when known.
        #[serde(rename = "index")]
        index_name: Option<String>,
        /// The build's phase (`phase hidden` when the view hides it).
        phase: String,
    }
}

/// `add_constraints/builds.sql`: the other backends' index builds on `table`, now.
pub(crate) async fn builds(client: &impl GenericClient, table: &Table) -> Result<Vec<IndexBuild>, Error> {
    rows(&query(client, &super::ADD_BUILDS, &[&table.oid]).await?)
}

row! {
    /// `add_constraints/data_gate.sql`: what the one scan before the steps found.
    DataGate {
        /// Rows the CHECK would refuse, or with a NULL state (check-predicate, null-state).
        inconsistent: i64,
        /// Users with more than one running row (duplicate-running).
        busy_users: i64,
    }
}

impl DataGate {
    /// Nothing found: only repeated task_ids are left to find, by the `uniq_task_id` build.
    pub(crate) fn clean(&self) -> bool {
        self.inconsistent == 0 && self.busy_users == 0
    }
}

/// `add_constraints/data_gate.sql`: one scan of `table` for the rows the CHECK and
/// `uniq_user_running_sync` would refuse.
pub(crate) async fn data_gate(client: &impl GenericClient, table: &Table) -> Result<DataGate, Error> {
    DataGate::from_row(&query_one(client, &super::ADD_DATA_GATE.filled(&table.fill()), &[]).await?)
}

/// `add_constraints/step_bound.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct StepBoundParams<'a> {
    /// The step's lock_timeout, with its unit (`2000ms`).
    pub(crate) lock_timeout: &'a str,
}

/// `add_constraints/step_bound.sql`: bounds the transaction `client` is in for one step. Its
/// row (the settings as set) says nothing the caller does not know: it is not read.
pub(crate) async fn step_bound(client: &impl GenericClient, p: &StepBoundParams<'_>) -> Result<(), Error> {
    let params: [&dyn Param; 1] = [&p.lock_timeout];
    query_one(client, &super::ADD_STEP_BOUND, &params).await.map(drop)
}

/// Runs one DDL statement of `add_constraints/` as rendered (`ALTER TABLE`, `CREATE` / `DROP
/// INDEX CONCURRENTLY`): its text as it is, in the simple query protocol, since it has no
/// parameters to bind.
pub(crate) async fn ddl(client: &Client, sql: &Filled) -> Result<(), Error> {
    batch(client, sql).await
}
