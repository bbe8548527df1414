//! `--liveness lock`: a running task holds a session advisory lock on its own connection, so a
//! process that died (its connection closed) is known dead within a second, without waiting
//! for the heartbeat timeout. The key is derived in SQL (`sql/liveness/key.sql`) from the
//! table's oid and the task id, so every command that asks (`start`, `reap`, `inspect`)
//! computes the same one, and no two tasks share one.
//!
//! A lock found free proves death only when its owner had it and cannot be about to take it
//! again, so the rules are:
//! - `start` claims a task only once it holds the task's lock (a key found held gets a new
//!   task id), and when its connection drops it reconnects at once and takes the lock again;
//!   a start that cannot take it back is fenced out (exit 4) rather than run on unseen;
//! - a lock is judged free only when it is free at two probes [`CONFIRM`] apart, longer than a
//!   live start takes to reconnect after `pg_terminate_backend`.
//!
//! Opt-in, because a free lock proves death only when every writer of running rows is syncctl
//! with `--liveness lock` on a session of its own: an application writing rows itself holds no
//! lock, and a transaction-mode pooler (PgBouncer) hands the session to others between
//! transactions, so session locks are neither held nor seen reliably.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio_postgres::{Client, GenericClient};

use crate::cli::GlobalArgs;
use crate::db;
use crate::db::queries::liveness::{self as queries, KeyParams};
use crate::error::UsageError;
use crate::table::Table;

/// The time between the two probes that find a lock free: a live start whose connection was
/// cut reconnects and holds its lock again well within it (it watches its connection every
/// [`WATCH_EVERY`]).
pub(crate) const CONFIRM: Duration = Duration::from_secs(1);

/// How often a running start checks that its connection, and so its lock, is still there.
pub(crate) const WATCH_EVERY: Duration = Duration::from_millis(100);

/// Refuses (a usage error, exit 2) unless `client`'s session keeps its server connection: its
/// backend must serve its next transaction too and must not serve another connection meanwhile
/// (`sql/liveness/backend.sql`). A transaction pooler fails one of the two.
pub(crate) async fn require_own_backend(client: &Client, global: &GlobalArgs) -> Result<()> {
    let first = backend(client).await?;
    let other = db::connect(global, &crate::commands::spec::START, db::Access::Write).await?;
    let theirs = backend(&other).await?;
    let again = backend(client).await?;
    let what = if theirs == first {
        format!("its server process {first} served another connection between two of its transactions")
    } else if again != first {
        format!("its transactions ran on server process {first}, then on {again}")
    } else {
        return Ok(());
    };
    Err(UsageError::with_hint(
        format!(
            "--liveness lock needs a session that keeps its server connection, and this one does not: {what} \
             (a transaction-pooling PgBouncer or proxy is in between), so a session lock would be neither \
             held nor seen; nothing was claimed"
        ),
        "connect directly or through session pooling, or leave --liveness at heartbeat",
    ))
}

/// The pid of the server process that runs `client`'s statements.
async fn backend(client: &Client) -> Result<i32> {
    Ok(queries::backend(client).await.context("asking for the backend's pid")?.pid)
}

/// The lock key of the task `task_id` (as `task_id::text` writes it) in the table with this oid.
pub(crate) async fn key(client: &impl GenericClient, table_oid: u32, task_id: &str) -> Result<i64> {
    let row = queries::key(client, i64::from(table_oid), task_id).await.context("deriving the liveness lock key")?;
    Ok(row.key)
}

/// The task ids of running rows whose owner's lock is free: dead (`inspect` and `reap` under
/// `--liveness lock`). Ask from a session that holds no liveness lock.
pub(crate) async fn dead_tasks(client: &impl GenericClient, table: &Table) -> Result<Vec<String>> {
    let running = queries::running(client, table).await.context("listing running rows")?;
    let tasks: Vec<String> = running.into_iter().map(|r| r.task_id).collect();
    dead_among(client, table.oid, &tasks).await
}

/// Of these tasks, those whose lock is free at two probes [`CONFIRM`] apart.
pub(crate) async fn dead_among(client: &impl GenericClient, table_oid: u32, tasks: &[String]) -> Result<Vec<String>> {
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let keyed = queries::keys(client, &KeyParams { table_oid: i64::from(table_oid), task_ids: tasks })
        .await
        .context("deriving the liveness lock keys")?;
    let key_of: HashMap<String, i64> = keyed.into_iter().map(|r| (r.task_id, r.key)).collect();
    let mut free = free(client, &key_of.values().copied().collect::<Vec<_>>()).await?;
    if !free.is_empty() {
        tokio::time::sleep(CONFIRM).await;
        free = self::free(client, &free).await?;
    }
    Ok(tasks.iter().filter(|t| key_of.get(*t).is_some_and(|k| free.contains(k))).cloned().collect())
}

/// Takes the key as a session lock on this connection, without waiting; false when another
/// session holds it.
pub(crate) async fn hold(client: &impl GenericClient, key: i64) -> Result<bool> {
    Ok(queries::hold(client, key).await.context("taking the liveness lock")?.held)
}

/// The keys no session holds at this instant. Ask from a session that holds none of them (a
/// session's own advisory locks are re-entrant, so they would look free).
async fn free(client: &impl GenericClient, keys: &[i64]) -> Result<Vec<i64>> {
    let probes = queries::probe(client, keys).await.context("probing liveness locks")?;
    Ok(probes.into_iter().filter(|p| p.free).map(|p| p.key).collect())
}
