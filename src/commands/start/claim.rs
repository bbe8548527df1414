//! The claim: one short transaction, serialised per user by a transaction-level advisory lock,
//! that either finds the user's live running task (to reuse) or starts a new one, first
//! releasing any dead running row of the user with a note. Liveness is decided by the shared
//! classifier on the database clock (the heartbeat, never `started_at`), and under
//! `--liveness lock` also by the owner's session lock. It commits before any work starts.
//!
//! Where the new task goes: a table that keeps one row per user (user_id is its primary key or
//! has another valid unique index) gets the user's row updated, the previous task's error text
//! kept in current_stats as `previous_task`; any other table (the reference table keeps one row
//! per sync) gets a new row, and the user's older rows stay as history. Either way the user
//! never has two running rows: the advisory lock serialises claims and dead rows are released
//! before the new one is written, with or without `uniq_user_running_sync`.

use anyhow::{Result, bail};
use serde_json::{Map, Value};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row, Transaction};

use super::{INSERT_TASK, LOCK_USER, RELEASE_DEAD, ROWS, SyncType, UPDATE_TASK, progress::Snapshot};
use crate::db::{self, param::TextParam};
use crate::error::UsageError;
use crate::liveness;
use crate::state::Classifier;
use crate::table::Table;

/// Claims that found a row changed under them start over this many times at most.
const ATTEMPTS: usize = 3;

/// A running row of the user, as the claim read it.
#[derive(Debug, Clone)]
pub struct RunningRow {
    /// Its task id (NULL shows as empty).
    pub task_id: String,
    /// Its progress, as stored (NULL shows as 0).
    pub progress: f64,
    /// Its stats.
    pub stats: Map<String, Value>,
    /// Seconds since its last heartbeat (database clock).
    pub silent_seconds: Option<f64>,
    /// Heartbeat timed out (or missing).
    pub zombie: bool,
    /// A timestamp more than a minute in the future: its heartbeat proves nothing.
    pub skewed: bool,
    /// Not syncing any more (only seen when following).
    pub finished: Option<Result<(), String>>,
    tableoid: u32,
    ctid: String,
    raw_task_id: Option<String>,
}

impl RunningRow {
    /// Reads a row of `sql/start/rows.sql`.
    pub fn from_row(row: &Row) -> RunningRow {
        let task: Option<String> = row.get("task_id");
        let stats = row
            .get::<_, Option<String>>("current_stats")
            .and_then(|s| serde_json::from_str::<Map<String, Value>>(&s).ok())
            .unwrap_or_default();
        let finished = match (row.get::<_, Option<bool>>("is_syncing"), row.get::<_, bool>("completed")) {
            (Some(false), true) => Some(Ok(())),
            (Some(false), false) => Some(Err(row
                .get::<_, Option<String>>("error_message")
                .unwrap_or_else(|| "stopped without an error".into()))),
            _ => None,
        };
        RunningRow {
            task_id: task.clone().unwrap_or_default(),
            progress: row.get::<_, Option<f64>>("progress_percentage").unwrap_or(0.0),
            stats,
            silent_seconds: row.get("silent_seconds"),
            zombie: row.get("zombie"),
            skewed: row.get("skewed"),
            finished,
            tableoid: row.get("tableoid"),
            ctid: row.get("ctid"),
            raw_task_id: task,
        }
    }

    /// The row as a snapshot, for showing its progress.
    pub fn snapshot(&self) -> Snapshot {
        let mut snapshot = Snapshot::initial();
        snapshot.progress = self.progress.clamp(0.0, 100.0) as u8;
        snapshot.stats.extend(self.stats.clone());
        snapshot
    }
}

/// A new task, committed.
#[derive(Debug)]
pub struct Claimed {
    /// `sync_<user_id>_<8 hex>_<unix seconds>`.
    pub task_id: String,
    /// The user id as user_id::text writes it.
    pub user_id: String,
    /// Dead running rows released first: (task id, reason).
    pub took_over: Vec<(String, String)>,
    /// Under `--liveness lock`: the key of the task's lock, which this connection holds.
    pub liveness: Option<i64>,
    /// The first snapshot: zero counts, plus the previous task's history on a table that keeps
    /// one row per user (`sql/start/update_task.sql`).
    pub snapshot: Snapshot,
    /// When the claim's transaction began: the row's first `updated_at` is no earlier, so the
    /// lease counts from here.
    pub begun: tokio::time::Instant,
}

/// What the claim found.
#[derive(Debug)]
pub enum Claim {
    /// A new task is ours.
    New(Claimed),
    /// The user has a live running task.
    Live(RunningRow),
}

/// What a claim needs to know.
pub struct Request<'a> {
    /// --user as given.
    pub user: &'a str,
    /// full or incremental.
    pub sync_type: SyncType,
    /// --liveness lock.
    pub lock_liveness: bool,
    /// --heartbeat-timeout.
    pub classifier: &'a Classifier,
}

/// Checks the columns `start` writes beyond those every command reads.
pub fn require_columns(table: &Table) -> Result<()> {
    for (name, types, what) in
        [("current_stats", &[Type::JSONB, Type::JSON][..], "json or jsonb"), ("sync_type", &[][..], "any type")]
    {
        let Some(column) = table.columns.iter().find(|c| c.name == name) else {
            return Err(UsageError::with_hint(
                format!("table {} has no column {name}, which start writes", table.display()),
                "start needs the columns of the reference table (sql/schema.sql); check --table",
            ));
        };
        if !types.is_empty() && !types.iter().any(|t| t.oid() == column.base_type) {
            return Err(UsageError::with_hint(
                format!("column {}.{name} is {}, but start needs {what}", table.display(), column.type_name),
                "check --table: this does not look like a sync status table",
            ));
        }
    }
    Ok(())
}

/// Claims a sync for the user: reuse the live task, or release dead ones and start a new one.
pub async fn claim(client: &mut Client, table: &Table, request: &Request<'_>) -> Result<Claim> {
    for _ in 0..ATTEMPTS {
        let begun = tokio::time::Instant::now();
        let tx = db::read_write(client).await?;
        if let Some(claim) = attempt(&tx, table, request, begun).await? {
            tx.commit().await?;
            return Ok(claim);
        }
        // A dead row changed between reading and releasing it (its owner came back): the
        // transaction rolls back and the claim looks again.
    }
    bail!("the user's running row kept changing during the claim; try again")
}

/// One claim attempt in `tx`, begun at `begun`; `None` when a dead row changed under it.
async fn attempt(
    tx: &Transaction<'_>,
    table: &Table,
    request: &Request<'_>,
    begun: tokio::time::Instant,
) -> Result<Option<Claim>> {
    let classifier = request.classifier;
    let lock = crate::db::query::query_one(
        tx,
        &table.render(&LOCK_USER),
        &[&(table.oid as i32), &TextParam(request.user.to_string())],
    )
    .await
    .map_err(|e| classifier.explain_error(e, table))?;
    let user_id: String = lock.get("user_id");
    let now_unix: i64 = lock.get("now_unix");

    let rows = crate::db::query::query(tx, &table.render(&ROWS), &classifier.bind()).await?;
    let rows: Vec<RunningRow> = rows.iter().map(RunningRow::from_row).collect();

    // Under --liveness lock a task whose lock stays free is gone, however fresh its heartbeat.
    let lock_dead = match request.lock_liveness {
        true => {
            let tasks: Vec<String> = rows.iter().filter_map(|r| r.raw_task_id.clone()).collect();
            liveness::dead_among(tx, table.oid, &tasks).await?
        }
        false => Vec::new(),
    };
    let owner_gone = |row: &RunningRow| row.raw_task_id.as_ref().is_some_and(|t| lock_dead.contains(t));
    // A fresh heartbeat means a live owner, whatever the row's progress says (100 or NULL is
    // inconsistent, not dead): it is never taken over, only reused. A heartbeat in the future
    // (a clock or time-zone bug) would make the row look alive for hours: the incident's
    // lockout again. It is taken over like a dead one.
    if let Some(live) = rows.iter().find(|r| !r.zombie && !r.skewed && !owner_gone(r)) {
        return Ok(Some(Claim::Live(live.clone())));
    }

    let mut took_over = Vec::new();
    for row in &rows {
        let reason = if row.zombie {
            match row.silent_seconds {
                Some(s) => format!("no heartbeat for {}s", s.round()),
                None => "no heartbeat ever written".to_string(),
            }
        } else if row.skewed {
            "its heartbeat is in the future (a clock or time-zone bug)".to_string()
        } else {
            "its owner's liveness lock was free".to_string()
        };
        let released = crate::db::query::execute(
            tx,
            &table.render(&RELEASE_DEAD),
            &[&row.ctid, &row.raw_task_id, &reason, &row.tableoid],
        )
        .await?;
        if released == 0 {
            return Ok(None);
        }
        took_over.push((row.task_id.clone(), reason));
    }

    // Under --liveness lock the task exists only once it holds its own lock: a key someone
    // holds already (a probe at that instant, a hash shared with a live task) gets a new id.
    let mut liveness = None;
    let mut task_id = new_task_id(&user_id, now_unix);
    if request.lock_liveness {
        for _ in 0..ATTEMPTS {
            let key = liveness::key(tx, table.oid, &task_id).await?;
            if liveness::hold(tx, key).await? {
                liveness = Some(key);
                break;
            }
            task_id = new_task_id(&user_id, now_unix);
        }
        if liveness.is_none() {
            bail!("no liveness lock of its own could be taken for a new task (each key tried was held); try again");
        }
    }
    let params: [&dyn crate::db::query::Param; 4] = [
        &TextParam(user_id.clone()),
        &TextParam(task_id.clone()),
        &TextParam(request.sync_type.name().to_string()),
        &TextParam(Snapshot::initial().stats_json()),
    ];
    let mut snapshot = Snapshot::initial();
    let updated = match table.one_row_per_user {
        true => crate::db::query::query_opt(tx, &table.render(&UPDATE_TASK), &params).await?,
        false => None,
    };
    match updated {
        Some(row) => {
            let stats = row.get::<_, Option<String>>("current_stats");
            if let Some(Value::Object(stats)) = stats.and_then(|s| serde_json::from_str(&s).ok()) {
                snapshot.stats = stats;
            }
        }
        None => {
            crate::db::query::execute(tx, &table.render(&INSERT_TASK), &params).await?;
        }
    }
    Ok(Some(Claim::New(Claimed { task_id, user_id, took_over, liveness, snapshot, begun })))
}

/// `sync_<user_id>_<8 hex>_<unix seconds>`, the seed's shape.
fn new_task_id(user_id: &str, now_unix: i64) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("sync_{user_id}_{}_{now_unix}", &hex[..8])
}

/// The row of a task being followed (`--if-running follow`); `None` when it is gone.
pub async fn task_row(client: &Client, table: &Table, classifier: &Classifier) -> Result<Option<RunningRow>> {
    let rows = crate::db::query::query(client, &table.render(&ROWS), &classifier.bind()).await?;
    Ok(rows.first().map(RunningRow::from_row))
}
