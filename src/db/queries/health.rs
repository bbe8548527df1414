//! `health/`: the seed's statistics, and the longest silent zombies.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{Error, GenericClient};

use super::{FromRow, row, rows};
use crate::db::query::{query, query_one};
use crate::output::{serde_seconds, serde_time};
use crate::state::Classifier;
use crate::table::Table;

row! {
    /// `health/statistics.sql`: the database's clock and the counts of the whole table. As
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
    /// `health/zombies.sql`: one of at most five zombies (the seed's `zombie_task_details`).
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
    /// `health/heartbeat_cost.sql`: what the heartbeats cost the table.
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

/// `health/heartbeat_cost.sql`.
pub(crate) async fn heartbeat_cost(client: &impl GenericClient, table: &Table) -> Result<HeartbeatCost, Error> {
    let oid = i64::from(table.oid);
    HeartbeatCost::from_row(&query_one(client, &super::HEALTH_HEARTBEAT_COST, &[&oid]).await?)
}

/// `health/statistics.sql`.
pub(crate) async fn statistics(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
) -> Result<Statistics, Error> {
    Statistics::from_row(&query_one(client, &table.render(&super::HEALTH_STATISTICS), &classifier.bind()).await?)
}

/// `health/zombies.sql`: up to five zombies, the longest silent first.
pub(crate) async fn zombies(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
) -> Result<Vec<Zombie>, Error> {
    rows(&query(client, &table.render(&super::HEALTH_ZOMBIES), &classifier.bind()).await?)
}
