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
use tokio_postgres::{Client, Transaction};

use super::{SyncType, progress::SyncProgress};
use crate::db::queries::start::{self as queries, LockUserParams, NewTaskParams, ReleaseDeadParams, TaskRow};
use crate::db::{self, param::TextParam};
use crate::error::UsageError;
use crate::liveness;
use crate::state::Classifier;
use crate::table::Table;

/// Claims that found a row changed under them start over this many times at most.
const ATTEMPTS: usize = 3;

/// A running row of the user, as the claim read it.
#[derive(Debug, Clone)]
pub(crate) struct RunningRow {
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
    /// A timestamp more than a minute in the future, or shifted a whole time-zone offset into
    /// the past: its heartbeat proves nothing.
    pub skewed: bool,
    /// Not syncing any more (only seen when following).
    pub finished: Option<Result<(), String>>,
    /// Its partition (the table itself when it is not partitioned).
    tableoid: u32,
    /// Its ctid as text, valid in the claim's transaction.
    ctid: String,
    /// Its task id as stored (NULL stays None).
    raw_task_id: Option<String>,
}

impl From<TaskRow> for RunningRow {
    /// A row of `sql/start/rows.sql`.
    fn from(row: TaskRow) -> RunningRow {
        let stats =
            row.current_stats.and_then(|s| serde_json::from_str::<Map<String, Value>>(&s).ok()).unwrap_or_default();
        let finished = match (row.is_syncing, row.completed) {
            (Some(false), true) => Some(Ok(())),
            (Some(false), false) => Some(Err(row.error_message.unwrap_or_else(|| "stopped without an error".into()))),
            _ => None,
        };
        RunningRow {
            task_id: row.task_id.clone().unwrap_or_default(),
            progress: row.progress_percentage.unwrap_or(0.0),
            stats,
            silent_seconds: row.silent_seconds,
            zombie: row.zombie,
            skewed: row.skewed,
            finished,
            tableoid: row.tableoid,
            ctid: row.ctid,
            raw_task_id: row.task_id,
        }
    }
}

impl RunningRow {
    /// The row as a snapshot, for showing its progress.
    pub(crate) fn snapshot(&self) -> SyncProgress {
        let mut snapshot = SyncProgress::initial();
        snapshot.progress = self.progress.clamp(0.0, 100.0) as u8;
        snapshot.stats.extend(self.stats.clone());
        snapshot
    }
}

/// A new task, committed.
#[derive(Debug)]
pub(crate) struct Claimed {
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
    pub snapshot: SyncProgress,
    /// When the claim's transaction began: the row's first `updated_at` is no earlier, so the
    /// lease counts from here.
    pub begun: tokio::time::Instant,
    /// The user had no row before: this task's is their first.
    pub first_row: bool,
}

/// What the claim found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// A new task is ours.
    New(Claimed),
    /// The user has a live running task.
    Live(RunningRow),
}

/// What a claim needs to know.
pub(crate) struct Request<'a> {
    /// --user as given.
    pub user: &'a str,
    /// full or incremental.
    pub sync_type: SyncType,
    /// --liveness lock.
    pub lock_liveness: bool,
    /// Without --no-create: a user with no row gets one.
    pub create: bool,
    /// --heartbeat-timeout.
    pub classifier: &'a Classifier,
}

/// Checks the columns `start` writes beyond those every command reads.
pub(crate) fn require_columns(table: &Table) -> Result<()> {
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
pub(crate) async fn claim(client: &mut Client, table: &Table, request: &Request<'_>) -> Result<Claim> {
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
    // Sent together, one round trip: a connection runs its statements in order, so the server
    // reads the user's rows only once the lock is granted, under it all the same; when the lock
    // fails, the read fails with the aborted transaction and the lock's error is the one said.
    let lock_params = LockUserParams { table_oid: table.oid as i32, user: TextParam(request.user.to_string()) };
    let (lock, rows) =
        tokio::join!(queries::lock_user(tx, table, &lock_params), queries::task_rows(tx, table, classifier));
    let lock = lock.map_err(|e| classifier.explain_error(e, table))?;
    let (user_id, now_unix) = (lock.user_id, lock.now_unix);
    let rows: Vec<RunningRow> = rows?.into_iter().map(RunningRow::from).collect();

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

    let first_row = rows.is_empty() && !queries::user_has_row(tx, table, &TextParam(user_id.clone())).await?;
    if first_row && !request.create {
        return Err(UsageError::not_found(
            format!("user {user_id} has no row in {} (--no-create): nothing was written", table.display()),
            "check the user id; without --no-create, start creates the user's first row",
        ));
    }
    let Some(took_over) = release_dead(tx, table, &rows).await? else {
        return Ok(None);
    };
    let (task_id, liveness) = own_task_id(tx, table, request, &user_id, now_unix).await?;
    let snapshot = write_task(tx, table, request, &user_id, &task_id).await?;
    Ok(Some(Claim::New(Claimed { task_id, user_id, took_over, liveness, snapshot, begun, first_row })))
}

/// Releases every row of `rows` (none is live): the (task id, reason) of each, or `None` when
/// one changed since it was read.
async fn release_dead(
    tx: &Transaction<'_>,
    table: &Table,
    rows: &[RunningRow],
) -> Result<Option<Vec<(String, String)>>> {
    let mut took_over = Vec::new();
    for row in rows {
        let reason = takeover_reason(row);
        let released = queries::release_dead(
            tx,
            table,
            &ReleaseDeadParams {
                ctid: &row.ctid,
                task_id: row.raw_task_id.as_deref(),
                reason: &reason,
                tableoid: row.tableoid,
            },
        )
        .await?;
        if released == 0 {
            return Ok(None);
        }
        took_over.push((row.task_id.clone(), reason));
    }
    Ok(Some(took_over))
}

/// Why a row that is not live is taken over, as the row's error text and the note say.
fn takeover_reason(row: &RunningRow) -> String {
    if row.zombie {
        match row.silent_seconds {
            Some(s) => format!("no heartbeat for {}", crate::output::human_seconds(s)),
            None => "no heartbeat ever written".to_string(),
        }
    } else if row.skewed && row.silent_seconds.is_some_and(|s| s > 0.0) {
        // Skewed yet silent: its writer stores a shifted clock (state/skew_offset.sql).
        "its heartbeat sits a whole time-zone offset in the past (a clock or time-zone bug)".to_string()
    } else if row.skewed {
        "its heartbeat is in the future (a clock or time-zone bug)".to_string()
    } else {
        "its owner's liveness lock was free".to_string()
    }
}

/// The new task's id and, under `--liveness lock`, the key of its lock, which this connection
/// then holds.
async fn own_task_id(
    tx: &Transaction<'_>,
    table: &Table,
    request: &Request<'_>,
    user_id: &str,
    now_unix: i64,
) -> Result<(String, Option<i64>)> {
    // Under --liveness lock the task exists only once it holds its own lock: a key someone
    // holds already (a probe at that instant, a hash shared with a live task) gets a new id.
    let mut liveness = None;
    let mut task_id = new_task_id(user_id, now_unix);
    if request.lock_liveness {
        for _ in 0..ATTEMPTS {
            let key = liveness::key(tx, table.oid, &task_id).await?;
            if liveness::hold(tx, key).await? {
                liveness = Some(key);
                break;
            }
            task_id = new_task_id(user_id, now_unix);
        }
        if liveness.is_none() {
            bail!("no liveness lock of its own could be taken for a new task (each key tried was held); try again");
        }
    }
    Ok((task_id, liveness))
}

/// Writes the new task over the user's row (a table that keeps one row per user) or as a new
/// row; its first snapshot.
async fn write_task(
    tx: &Transaction<'_>,
    table: &Table,
    request: &Request<'_>,
    user_id: &str,
    task_id: &str,
) -> Result<SyncProgress> {
    let params = NewTaskParams {
        user_id: TextParam(user_id.to_string()),
        task_id: TextParam(task_id.to_string()),
        sync_type: TextParam(request.sync_type.name().to_string()),
        stats: TextParam(SyncProgress::initial().stats_json()),
    };
    let mut snapshot = SyncProgress::initial();
    let updated = match table.one_row_per_user {
        true => queries::update_task(tx, table, &params).await?,
        false => None,
    };
    match updated {
        Some(row) => {
            if let Some(Value::Object(stats)) = row.current_stats.and_then(|s| serde_json::from_str(&s).ok()) {
                snapshot.stats = stats;
            }
        }
        None => {
            queries::insert_task(tx, table, &params).await?;
        }
    }
    Ok(snapshot)
}

/// `sync_<user_id>_<8 hex>_<unix seconds>`, the seed's shape.
fn new_task_id(user_id: &str, now_unix: i64) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("sync_{user_id}_{}_{now_unix}", &hex[..8])
}

/// The row of a task being followed (`--if-running follow`); `None` when it is gone.
pub(crate) async fn task_row(client: &Client, table: &Table, classifier: &Classifier) -> Result<Option<RunningRow>> {
    let rows = queries::task_rows(client, table, classifier).await?;
    Ok(rows.into_iter().next().map(RunningRow::from))
}
