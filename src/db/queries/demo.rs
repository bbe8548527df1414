//! `demo`'s statements: the reference table (`schema.sql`), the incident's row
//! (`fixtures/incident.sql`) and the population around it (`demo/population.sql`), loaded into
//! the throwaway cluster.

use tokio_postgres::{Client, Error};

use super::{Fill, Statement};
use crate::db::query::{Param, batch, execute};

/// `demo/population.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct PopulationParams {
    /// How many users.
    pub(crate) users: i32,
}

/// Runs a script of several statements (`schema.sql`, `fixtures/incident.sql`), filled with
/// `fill`, in the simple query protocol.
pub(crate) async fn script(client: &Client, statement: &Statement, fill: &Fill) -> Result<(), Error> {
    batch(client, &statement.filled(fill)).await
}

/// `demo/script.sql`: the practice table as one script for psql, for `users` users.
pub(crate) fn print_script(users: u32) -> String {
    // The fixtures name the table by {table}; the script creates it unqualified, as schema.sql does.
    let table = Fill::default().with("table", super::quote_ident("user_sync_status"));
    let script = Fill::default()
        .with("schema", super::SCHEMA.text.trim_end())
        .with("incident", super::FIXTURES_INCIDENT.render(&table).trim_end())
        .with("population", super::DEMO_POPULATION.render(&table).trim_end())
        .with("users", users.to_string());
    super::DEMO_SCRIPT.render(&script)
}

/// `demo/population.sql`: the rows it inserted.
pub(crate) async fn population(client: &Client, fill: &Fill, p: &PopulationParams) -> Result<u64, Error> {
    let params: [&dyn Param; 1] = [&p.users];
    execute(client, &super::DEMO_POPULATION.filled(fill), &params).await
}
