//! `state/duplicates.sql`: the rows the classifier calls duplicates (the classifier itself,
//! `state/classify.sql`, is a fragment of the statements that select from it).

use tokio_postgres::{Error, GenericClient};

use super::quote_ident;
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

/// Searches for repeated task ids (`tasks`) and users' second running rows (`users`). Repeated
/// task ids are looked for by hash first (`state/duplicates_plan.sql` says in how many passes, so
/// that each pass's sort fits in bounded memory and writes no temporary file; the settings it
/// changes are put back right after), then only the rows of candidate hashes are compared by
/// value (`state/duplicates.sql`).
pub(crate) async fn duplicates(
    client: &impl GenericClient,
    table: &Table,
    tasks: bool,
    users: bool,
) -> Result<Duplicates, Error> {
    let mut task_hash = String::new();
    let candidates: Option<Vec<i64>> = if tasks {
        let statement = super::STATE_DUPLICATES_PLAN
            .filled(&super::Fill::default().with("hash_function", super::hash_function("task_id", 2)));
        let plan = query_one(client, &statement, &[&table.oid]).await?;
        let passes: i64 = plan.try_get("passes")?;
        task_hash = task_hash_sql(plan.try_get("task_hash_schema")?, plan.try_get("task_hash_function")?);
        let search = super::STATE_DUPLICATE_HASHES.filled(&table.fill().with("task_hash", task_hash.as_str()));
        let mut found = Vec::new();
        for pass in 0..passes {
            for row in query(client, &search, &[&passes, &pass]).await? {
                found.push(row.try_get::<_, i64>("h")?);
            }
        }
        let previous_work_mem: String = plan.try_get("previous_work_mem")?;
        let previous_hashagg: String = plan.try_get("previous_hashagg")?;
        query_one(client, &super::STATE_WORK_MEM, &[&previous_work_mem, &previous_hashagg]).await?;
        // None when no hash repeats: duplicates.sql then skips reading the table for them.
        (!found.is_empty()).then_some(found)
    } else {
        None
    };
    if candidates.is_none() && !users {
        return Ok(Duplicates::default());
    }
    let statement = super::STATE_DUPLICATES.filled(&table.fill().with("task_hash", task_hash.as_str()));
    let found: Vec<Duplicate> = rows(&query(client, &statement, &[&candidates, &users]).await?)?;
    let mut out = Duplicates::default();
    for d in found {
        if d.why == "task" { out.repeated_tasks.push(d.key) } else { out.second_running.push(d.key) }
    }
    Ok(out)
}

/// `{task_hash}`: the 64-bit hash of row alias t's task_id, by its type's extended hash function
/// (values its `=` calls equal hash alike), or of its text when the type has none.
fn task_hash_sql(schema: Option<String>, function: Option<String>) -> String {
    match (schema, function) {
        (Some(schema), Some(function)) => {
            format!("{}.{}(t.\"task_id\", 0)", quote_ident(&schema), quote_ident(&function))
        }
        _ => "pg_catalog.hashtextextended(t.\"task_id\"::text, 0)".to_string(),
    }
}
