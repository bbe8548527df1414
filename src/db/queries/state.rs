//! `state/duplicates.sql`: the rows the classifier calls duplicates (the classifier itself,
//! `state/classify.sql`, is a fragment of the statements that select from it).

use tokio_postgres::{Error, GenericClient};

use super::{row, rows};
use crate::db::query::{query, query_one};
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

/// Searches for repeated task ids (`tasks`) and users' second running rows (`users`). The search
/// for repeated task ids runs with the work_mem its aggregate needs (`state/duplicates_memory.sql`),
/// put back right after it, so it writes no temporary file.
pub(crate) async fn duplicates(
    client: &impl GenericClient,
    table: &Table,
    tasks: bool,
    users: bool,
) -> Result<Duplicates, Error> {
    let previous: Option<String> = if tasks {
        let row = query_one(client, &super::STATE_DUPLICATES_MEMORY, &[&table.oid]).await?;
        Some(row.try_get("previous")?)
    } else {
        None
    };
    let found: Vec<Duplicate> =
        rows(&query(client, &table.render(&super::STATE_DUPLICATES), &[&tasks, &users]).await?)?;
    if let Some(previous) = previous {
        query_one(client, &super::STATE_WORK_MEM, &[&previous]).await?;
    }
    let mut out = Duplicates::default();
    for d in found {
        if d.why == "task" { out.repeated_tasks.push(d.key) } else { out.second_running.push(d.key) }
    }
    Ok(out)
}
