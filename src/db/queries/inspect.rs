//! `inspect/`: the count per state, and the classified rows in the asked states.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{Error, GenericClient, Row};

use super::{FromRow, rows};
use crate::db::query::{Param, query, query_one};
use crate::output::{CsvRecord, seconds, serde_seconds, serde_time, timestamp};
use crate::state::{Classifier, Progress, State};
use crate::table::Table;

/// `inspect/counts.sql`: the database's clock, and the rows in each state.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// now().
    pub(crate) now: DateTime<Utc>,
    /// Rows per state, every state, worst first.
    pub(crate) per_state: Vec<(State, i64)>,
}

impl FromRow for Counts {
    fn from_row(row: &Row) -> Result<Counts, Error> {
        let per_state = State::ALL.iter().map(|&s| Ok((s, row.try_get(s.column())?))).collect::<Result<_, Error>>()?;
        Ok(Counts { now: row.try_get("now")?, per_state })
    }
}

/// `inspect/rows.sql`: a classified row.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ClassifiedRow {
    /// The primary key as text.
    pub(crate) key: String,
    /// user_id as text.
    pub(crate) user_id: Option<String>,
    /// task_id as text.
    pub(crate) task_id: Option<String>,
    /// Its states, worst first.
    pub(crate) states: Vec<State>,
    /// A running row whose writer stores a shifted clock but keeps writing: the offset of its
    /// heartbeat from the database clock, in seconds (negative: behind); else `None`.
    pub(crate) skew_offset_seconds: Option<i64>,
    /// is_syncing.
    pub(crate) is_syncing: Option<bool>,
    /// progress_percentage.
    pub(crate) progress_percentage: Option<Progress>,
    /// now() - updated_at, in seconds.
    #[serde(with = "serde_seconds::optional")]
    pub(crate) silent_seconds: Option<f64>,
    /// started_at.
    #[serde(with = "serde_time::optional")]
    pub(crate) started_at: Option<DateTime<Utc>>,
    /// updated_at.
    #[serde(with = "serde_time::optional")]
    pub(crate) updated_at: Option<DateTime<Utc>>,
    /// error_message.
    pub(crate) error_message: Option<String>,
}

impl FromRow for ClassifiedRow {
    fn from_row(row: &Row) -> Result<ClassifiedRow, Error> {
        let names: Vec<String> = row.try_get("states")?;
        Ok(ClassifiedRow {
            key: row.try_get("key")?,
            user_id: row.try_get("user_id")?,
            task_id: row.try_get("task_id")?,
            states: State::ALL.iter().copied().filter(|s| names.iter().any(|n| n == s.name())).collect(),
            skew_offset_seconds: row.try_get("skew_offset_seconds")?,
            is_syncing: row.try_get("is_syncing")?,
            progress_percentage: row.try_get("progress_percentage")?,
            silent_seconds: row.try_get("silent_seconds")?,
            started_at: row.try_get("started_at")?,
            updated_at: row.try_get("updated_at")?,
            error_message: row.try_get("error_message")?,
        })
    }
}

impl CsvRecord for ClassifiedRow {
    const HEADER: &[&str] = &[
        "key",
        "user_id",
        "task_id",
        "states",
        "is_syncing",
        "progress_percentage",
        "silent_seconds",
        "started_at",
        "updated_at",
        "error_message",
        "skew_offset_seconds",
    ];

    fn values(&self) -> Vec<String> {
        let text = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.key.clone(),
            text(self.user_id.clone()),
            text(self.task_id.clone()),
            self.states.iter().map(|s| s.name()).collect::<Vec<_>>().join(";"),
            text(self.is_syncing.map(|b| b.to_string())),
            text(self.progress_percentage.map(|p| p.to_string())),
            text(self.silent_seconds.map(seconds)),
            text(self.started_at.as_ref().map(timestamp)),
            text(self.updated_at.as_ref().map(timestamp)),
            text(self.error_message.clone()),
            text(self.skew_offset_seconds.map(|o| o.to_string())),
        ]
    }
}

/// `inspect/counts.sql`.
pub(crate) async fn counts(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
) -> Result<Counts, Error> {
    Counts::from_row(&query_one(client, &table.render(&super::INSPECT_COUNTS), &classifier.bind()).await?)
}

/// `inspect/rows.sql`'s own parameters, after the classifier's.
#[derive(Debug)]
pub(crate) struct RowsParams<'a> {
    /// Only rows in one of these states.
    pub(crate) states: &'a [State],
    /// At most this many rows.
    pub(crate) limit: i64,
}

/// `inspect/rows.sql`.
pub(crate) async fn classified_rows(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
    p: &RowsParams<'_>,
) -> Result<Vec<ClassifiedRow>, Error> {
    let sql = super::INSPECT_ROWS.filled(&table.fill().with("state_filter", State::filter_sql(p.states)));
    let mut params = classifier.bind();
    params.push(&p.limit as &dyn Param);
    rows(&query(client, &sql, &params).await?)
}
