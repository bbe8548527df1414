//! `health/report.sql`: the seed's statistics, the longest silent zombies, the guard's status
//! and the heartbeats' cost, in one statement.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{Error, GenericClient, Row};

use super::guard::{Guard, GuardObject};
use super::{FromRow, row};
use crate::db::query::{Param, query_one};
use crate::output::{serde_seconds, serde_time};
use crate::state::Classifier;
use crate::table::Table;

row! {
    /// `health/report.sql`: the database's clock and the counts of the whole table. As
    /// JSON it is the seed's `statistics` object, five counts: the others go elsewhere.
    #[derive(Serialize)]
    Statistics {
        /// now().
        #[serde(skip)]
        now: DateTime<Utc>,
        /// Rows in the table (exact).
        total_users: i64,
        /// Rows with is_syncing.
        active_syncs: i64,
        /// Zombie rows.
        zombie_tasks: i64,
        /// Rows violating the CHECK predicate or with NULL states.
        inconsistent_tasks: i64,
        /// Completed in the last hour.
        recent_completed_syncs: i64,
        /// Rows in state skewed (beside the seed's object).
        #[serde(skip)]
        skewed_tasks: i64,
        /// Of them, running rows whose writer stores a shifted clock and keeps writing.
        #[serde(skip)]
        shifted_tasks: i64,
        /// Their offsets in seconds (negative: behind the database clock), ascending.
        #[serde(skip)]
        shifted_offsets: Vec<i64>,
        /// The first five of their task ids.
        #[serde(skip)]
        shifted_task_ids: Vec<String>,
        /// Live running rows that carry an error message (behind a warning only).
        #[serde(skip)]
        half_released_live_tasks: i64,
    }
}

row! {
    /// `health/report.sql`: one of at most five zombies (the seed's `zombie_task_details`).
    #[derive(Serialize)]
    Zombie {
        /// task_id.
        task_id: Option<String>,
        /// user_id.
        user_id: Option<String>,
        /// started_at.
        #[serde(with = "serde_time::optional")]
        started_at: Option<DateTime<Utc>>,
        /// updated_at.
        #[serde(with = "serde_time::optional")]
        last_update: Option<DateTime<Utc>>,
        /// Whole minutes since the last heartbeat (the seed's key).
        silent_minutes: Option<i64>,
        /// Seconds since the last heartbeat.
        #[serde(with = "serde_seconds::optional")]
        silent_seconds: Option<f64>,
    }
}

row! {
    /// `health/report.sql`: what the heartbeats cost the table.
    #[derive(Serialize)]
    HeartbeatCost {
        /// Updates since the statistics were last reset (leaf partitions summed).
        updates: i64,
        /// Of them, HOT updates.
        hot_updates: i64,
        /// Dead row versions (the collector's estimate).
        dead_tuples: i64,
        /// Indexes on a column every heartbeat rewrites: each makes every heartbeat non-HOT.
        rewritten_indexes: Vec<String>,
    }
}

impl HeartbeatCost {
    /// The share of updates that were HOT, when there were any.
    pub(crate) fn hot_ratio(&self) -> Option<f64> {
        (self.updates > 0).then(|| self.hot_updates as f64 / self.updates as f64)
    }
}

/// What `health/report.sql` returns.
#[derive(Debug)]
pub(crate) struct Report {
    /// The statistics.
    pub(crate) statistics: Statistics,
    /// Up to five zombies, the longest silent first (none when there is none).
    pub(crate) zombies: Vec<Zombie>,
    /// The guard's objects, in install's order.
    pub(crate) guard: Vec<GuardObject>,
    /// What the heartbeats cost the table.
    pub(crate) cost: HeartbeatCost,
}

/// `health/report.sql`: the whole report of `table`, the guard's status for `guard`.
pub(crate) async fn report(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
    guard: &Guard,
) -> Result<Report, Error> {
    let (objects, expected) = guard.objects();
    let sql = super::HEALTH_REPORT.filled(&table.fill().with("guard_objects", objects));
    let oid = i64::from(table.oid);
    let mut params = classifier.bind();
    params.extend(expected.params());
    params.push(&oid as &dyn Param);
    let row = query_one(client, &sql, &params).await?;
    Ok(Report {
        statistics: Statistics::from_row(&row)?,
        zombies: zombies(&row)?,
        guard: guard_objects(&row)?,
        cost: HeartbeatCost::from_row(&row)?,
    })
}

row! {
    /// `health/report.sql`: the zombies' columns, one element per zombie, in order.
    ZombieColumns {
        /// task_id.
        zombie_task_ids: Vec<Option<String>>,
        /// user_id.
        zombie_user_ids: Vec<Option<String>>,
        /// started_at.
        zombie_started_at: Vec<Option<DateTime<Utc>>>,
        /// updated_at.
        zombie_last_update: Vec<Option<DateTime<Utc>>>,
        /// Whole minutes since the last heartbeat.
        zombie_silent_minutes: Vec<Option<i64>>,
        /// Seconds since the last heartbeat.
        zombie_silent_seconds: Vec<Option<f64>>,
    }
}

row! {
    /// `health/report.sql`: the guard's objects' columns, one element per object, in order.
    GuardColumns {
        /// Their names.
        guard_objects: Vec<String>,
        /// Their kinds.
        guard_kinds: Vec<String>,
        /// Whether something of the name exists.
        guard_found: Vec<bool>,
        /// Whether it is what install creates.
        guard_current: Vec<bool>,
    }
}

/// The zombies of the report's row.
fn zombies(row: &Row) -> Result<Vec<Zombie>, Error> {
    let c = ZombieColumns::from_row(row)?;
    Ok(c.zombie_task_ids
        .into_iter()
        .zip(c.zombie_user_ids)
        .zip(c.zombie_started_at.into_iter().zip(c.zombie_last_update))
        .zip(c.zombie_silent_minutes.into_iter().zip(c.zombie_silent_seconds))
        .map(|(((task_id, user_id), (started_at, last_update)), (silent_minutes, silent_seconds))| Zombie {
            task_id,
            user_id,
            started_at,
            last_update,
            silent_minutes,
            silent_seconds,
        })
        .collect())
}

/// The guard's objects of the report's row.
fn guard_objects(row: &Row) -> Result<Vec<GuardObject>, Error> {
    let c = GuardColumns::from_row(row)?;
    Ok(c.guard_objects
        .into_iter()
        .zip(c.guard_kinds)
        .zip(c.guard_found.into_iter().zip(c.guard_current))
        .map(|((object, kind), (found, current))| GuardObject { object, kind, found, current })
        .collect())
}
