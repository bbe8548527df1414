//! `demo`'s statements: the reference table (`schema.sql`), the incident's row
//! (`fixtures/incident.sql`) and the population around it (`demo/population.sql`), loaded into
//! the throwaway cluster.

use tokio_postgres::{Client, Error};

use super::{Fill, Statement};
use crate::db::query::{Param, execute};

/// `demo/population.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct PopulationParams {
    /// How many users.
    pub(crate) users: i32,
}

/// Runs a script of several statements (`schema.sql`, `fixtures/incident.sql`), filled with
/// `fill`, in the simple query protocol.
pub(crate) async fn script(client: &Client, statement: &Statement, fill: &Fill) -> Result<(), Error> {
    client.batch_execute(&statement.render(fill)).await
}

/// `demo/population.sql`: the rows it inserted.
pub(crate) async fn population(client: &Client, fill: &Fill, p: &PopulationParams) -> Result<u64, Error> {
    let params: [&dyn Param; 1] = [&p.users];
    execute(client, &super::DEMO_POPULATION.render(fill), &params).await
}
