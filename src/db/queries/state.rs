//! `state/duplicates.sql`: the rows the classifier calls duplicates (the classifier itself,
//! `state/classify.sql`, is a fragment of the statements that select from it).

use tokio_postgres::{Error, GenericClient};

use super::{row, rows};
use crate::db::query::query;
use crate::table::Table;

row! {
    /// A duplicate row: its key, and why (`task`: it repeats a task_id; else a user's second
    /// running row).
    Duplicate {
        /// The row's key.
        key: String,
        /// `task` or `user`.
        why: String,
    }
}

/// The keys of the duplicates, by kind.
#[derive(Debug, Default)]
pub(crate) struct Duplicates {
    /// Rows repeating another row's task_id.
    pub(crate) repeated_tasks: Vec<String>,
    /// Users' second running rows.
    pub(crate) second_running: Vec<String>,
}

/// Searches for repeated task ids (`tasks`) and users' second running rows (`users`).
pub(crate) async fn duplicates(
    client: &impl GenericClient,
    table: &Table,
    tasks: bool,
    users: bool,
) -> Result<Duplicates, Error> {
    let found: Vec<Duplicate> =
        rows(&query(client, &table.render(&super::STATE_DUPLICATES), &[&tasks, &users]).await?)?;
    let mut out = Duplicates::default();
    for d in found {
        if d.why == "task" { out.repeated_tasks.push(d.key) } else { out.second_running.push(d.key) }
    }
    Ok(out)
}
