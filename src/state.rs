//! The row-state classifier. The rules live in SQL (`sql/state/classify.sql`) so the database
//! clock decides every one of them; this module names the states, orders them by severity and
//! binds the classifier's parameters.

use crate::db::query::Param;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{GenericClient, Row};

use crate::db::param::TextParam;
use crate::db::sql;
use crate::error::UsageError;
use crate::table::{RUNNING_INDEX, TASK_INDEX, Table};

/// A row state (DESIGN.md, "Row states"), in severity order: worst first. `sql/inspect/rows.sql`
/// sorts by the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Syncing, and the heartbeat is older than the timeout (or missing).
    Zombie,
    /// Syncing, with an error message: someone released half of it.
    HalfReleased,
    /// Violates the Priority-1 CHECK predicate, or its state is NULL.
    Inconsistent,
    /// A second running row of a user, or a repeated task id.
    Duplicate,
    /// A timestamp more than a minute in the future: a clock or time-zone bug.
    Skewed,
    /// Syncing with a fresh heartbeat.
    Running,
    /// Stopped at 0 % with an error.
    Failed,
    /// Stopped at 100 %.
    Completed,
    /// Stopped at 0 % without an error.
    Idle,
}

impl State {
    /// Every state, worst first.
    pub const ALL: [State; 9] = [
        State::Zombie,
        State::HalfReleased,
        State::Inconsistent,
        State::Duplicate,
        State::Skewed,
        State::Running,
        State::Failed,
        State::Completed,
        State::Idle,
    ];

    /// The states `inspect` shows by default.
    pub const PROBLEMS: [State; 5] =
        [State::Zombie, State::HalfReleased, State::Inconsistent, State::Duplicate, State::Skewed];

    /// Its name on the command line and in output.
    pub fn name(self) -> &'static str {
        match self {
            State::Zombie => "zombie",
            State::HalfReleased => "half-released",
            State::Inconsistent => "inconsistent",
            State::Duplicate => "duplicate",
            State::Skewed => "skewed",
            State::Running => "running",
            State::Failed => "failed",
            State::Completed => "completed",
            State::Idle => "idle",
        }
    }

    /// Its boolean column in `sql/state/classify.sql`.
    fn column(self) -> &'static str {
        match self {
            State::HalfReleased => "half_released",
            other => other.name(),
        }
    }

    /// Whether the state is a problem to report.
    pub fn is_problem(self) -> bool {
        State::PROBLEMS.contains(&self)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for State {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        State::ALL.into_iter().find(|st| st.name() == s).ok_or_else(|| {
            let names: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
            UsageError::with_hint(format!("unknown state '{s}'"), format!("use one of: {}, or all", names.join(", ")))
        })
    }
}

impl Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A `progress_percentage` as stored, integer or numeric, never rounded into another state
/// (99.7 is not 100). Shown and serialised as an integer when it is whole.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Progress(pub f64);

impl Progress {
    /// Reads a nullable float8 column (`progress_percentage::float8`).
    pub fn from_column(row: &Row, column: &str) -> Option<Progress> {
        row.get::<_, Option<f64>>(column).map(Progress)
    }

    fn whole(self) -> Option<i64> {
        // Beyond 2^53 a float8 has no fraction to lose; percentages never get there.
        (self.0.fract() == 0.0 && self.0.abs() < 9.0e15).then_some(self.0 as i64)
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.whole() {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Progress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.whole() {
            Some(n) => s.serialize_i64(n),
            None => s.serialize_f64(self.0),
        }
    }
}

/// The classifier's parameters `$1..$6` (see `sql/state/classify.sql`).
#[derive(Debug)]
pub struct Classifier {
    timeout_seconds: f64,
    repeated_tasks: Vec<String>,
    second_running: Vec<String>,
    user: Option<TextParam>,
    task: Option<TextParam>,
    lock_dead: Vec<String>,
}

impl Classifier {
    /// The classifier, without duplicates until [`Classifier::find_duplicates`] runs.
    pub fn new(heartbeat_timeout: Duration) -> Classifier {
        Classifier {
            timeout_seconds: heartbeat_timeout.as_secs_f64(),
            repeated_tasks: Vec::new(),
            second_running: Vec::new(),
            user: None,
            task: None,
            lock_dead: Vec::new(),
        }
    }

    /// Only the rows of this user and / or task.
    pub fn filter(mut self, user: Option<&str>, task: Option<&str>) -> Classifier {
        self.user = user.map(|u| TextParam(u.to_string()));
        self.task = task.map(|t| TextParam(t.to_string()));
        self
    }

    /// Finds the duplicate rows (`sql/state/duplicates.sql`), in the caller's transaction, whose
    /// snapshot keeps their keys valid for the statements that follow. A valid unique index
    /// rules its case out, and the search is skipped.
    pub async fn find_duplicates(&mut self, client: &impl GenericClient, table: &Table) -> Result<()> {
        let tasks = !table.holds(TASK_INDEX);
        let users = !table.holds(RUNNING_INDEX);
        if !tasks && !users {
            return Ok(());
        }
        let rows = crate::db::query::query(client, &table.render(&sql::DUPLICATES), &[&tasks, &users]).await?;
        for row in rows {
            let key: String = row.get("key");
            match row.get::<_, &str>("why") {
                "task" => self.repeated_tasks.push(key),
                _ => self.second_running.push(key),
            }
        }
        Ok(())
    }

    /// Under `--liveness lock`: running rows whose owner's session lock is free are dead at once
    /// (see `src/liveness.rs`).
    pub async fn find_lock_dead(&mut self, client: &impl GenericClient, table: &Table) -> Result<()> {
        self.lock_dead = crate::liveness::dead_tasks(client, table).await?;
        Ok(())
    }

    /// `$1..$6`, to which a statement appends its own parameters.
    pub fn params(&self) -> Vec<&dyn Param> {
        vec![&self.timeout_seconds, &self.repeated_tasks, &self.second_running, &self.user, &self.task, &self.lock_dead]
    }

    /// Turns the server's refusal of a `--user` / `--task` value into a usage error: the column's
    /// type cannot hold it (SQLSTATE class 22, data exception).
    pub fn explain_error(&self, err: tokio_postgres::Error, table: &Table) -> anyhow::Error {
        let data_exception = err.code().is_some_and(|c| c.code().starts_with("22"));
        if data_exception && (self.user.is_some() || self.task.is_some()) {
            let message = err.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
            let column_type = |name: &str| {
                table.columns.iter().find(|c| c.name == name).map(|c| c.type_name.clone()).unwrap_or_default()
            };
            return UsageError::with_hint(
                format!(
                    "--user / --task do not fit the table's columns (user_id is {}, task_id is {}): {message}",
                    column_type("user_id"),
                    column_type("task_id")
                ),
                "pass a value of the column's type",
            );
        }
        anyhow::Error::new(err)
    }
}

/// A classified row as `inspect` shows it.
#[derive(Debug, Clone)]
pub struct ClassifiedRow {
    /// The primary key as text.
    pub key: String,
    /// user_id as text.
    pub user_id: Option<String>,
    /// task_id as text.
    pub task_id: Option<String>,
    /// Its states, worst first.
    pub states: Vec<State>,
    /// is_syncing.
    pub is_syncing: Option<bool>,
    /// progress_percentage.
    pub progress_percentage: Option<Progress>,
    /// now() - updated_at, in seconds.
    pub silent_seconds: Option<f64>,
    /// started_at.
    pub started_at: Option<DateTime<Utc>>,
    /// updated_at.
    pub updated_at: Option<DateTime<Utc>>,
    /// error_message.
    pub error_message: Option<String>,
}

impl ClassifiedRow {
    /// Reads a row of a statement that selects the classifier's columns.
    pub fn from_row(row: &Row) -> ClassifiedRow {
        ClassifiedRow {
            key: row.get("key"),
            user_id: row.get("user_id"),
            task_id: row.get("task_id"),
            states: State::ALL.into_iter().filter(|s| row.get::<_, bool>(s.column())).collect(),
            is_syncing: row.get("is_syncing"),
            progress_percentage: Progress::from_column(row, "progress_percentage"),
            silent_seconds: row.get("silent_seconds"),
            started_at: row.get("started_at"),
            updated_at: row.get("updated_at"),
            error_message: row.get("error_message"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_shown_as_stored() {
        assert_eq!(Progress(45.0).to_string(), "45");
        assert_eq!(Progress(99.7).to_string(), "99.7");
        assert_eq!(Progress(0.3).to_string(), "0.3");
        assert_eq!(serde_json::to_string(&Progress(100.0)).unwrap(), "100");
        assert_eq!(serde_json::to_string(&Progress(99.7)).unwrap(), "99.7");
    }
}
