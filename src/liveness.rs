//! `--liveness lock`: a running task holds a session advisory lock on its own connection, so a
//! process that died (its connection closed) is known dead at once, without waiting for the
//! heartbeat timeout. The key is derived in SQL (`sql/liveness/key.sql`) from the table's oid
//! and the user id, so every command that asks (`start` now; `reap` and `inspect` can use
//! [`free`]) computes the same one.
//!
//! Opt-in, because a free lock proves death only when every writer of running rows is syncctl
//! with `--liveness lock` on a session of its own: an application writing rows itself holds no
//! lock, and a transaction-mode pooler (PgBouncer) hands the session to others between
//! transactions, so session locks are neither held nor seen reliably.

use anyhow::{Context, Result};
use tokio_postgres::GenericClient;

use crate::table::Table;

crate::statements! {
    KEY = "liveness/key.sql";
    HOLD = "liveness/hold.sql";
    PROBE = "liveness/probe.sql";
    RUNNING = "liveness/running.sql";
}

/// The lock key of `user`'s running task in the table with this oid; `user` is the user id as
/// `user_id::text` writes it.
pub async fn key(client: &impl GenericClient, table_oid: u32, user: &str) -> Result<i64> {
    let row = client
        .query_one(KEY.text, &[&i64::from(table_oid), &vec![user]])
        .await
        .context("deriving the liveness lock key")?;
    Ok(row.get("key"))
}

/// The task ids of running rows whose owner's lock is free: dead at once (`inspect` and `reap`
/// under `--liveness lock`). Ask from a session that holds no liveness lock.
pub async fn dead_tasks(client: &impl GenericClient, table: &Table) -> Result<Vec<String>> {
    let running = client.query(&table.render(&RUNNING), &[]).await.context("listing running rows")?;
    let users: Vec<String> = running.iter().map(|r| r.get("user_id")).collect();
    let keyed =
        client.query(KEY.text, &[&i64::from(table.oid), &users]).await.context("deriving the liveness lock keys")?;
    let key_of: std::collections::HashMap<String, i64> =
        keyed.iter().map(|r| (r.get("user_id"), r.get("key"))).collect();
    let free = free(client, &key_of.values().copied().collect::<Vec<_>>()).await?;
    Ok(running
        .iter()
        .filter(|r| key_of.get(&r.get::<_, String>("user_id")).is_some_and(|k| free.contains(k)))
        .map(|r| r.get("task_id"))
        .collect())
}

/// Takes the key as a session lock on this connection, without waiting; false when another
/// session holds it.
pub async fn hold(client: &impl GenericClient, key: i64) -> Result<bool> {
    let row = client.query_one(HOLD.text, &[&key]).await.context("taking the liveness lock")?;
    Ok(row.get("held"))
}

/// The keys no session holds: their owners are dead. Ask from a session that holds none of
/// them (a session's own advisory locks are re-entrant, so they would look free).
pub async fn free(client: &impl GenericClient, keys: &[i64]) -> Result<Vec<i64>> {
    let rows = client.query(PROBE.text, &[&keys]).await.context("probing liveness locks")?;
    Ok(rows.iter().filter(|r| r.get::<_, bool>("free")).map(|r| r.get("key")).collect())
}
