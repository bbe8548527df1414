//! The row-state classifier. The rules live in SQL (`sql/state/classify.sql`) so the database
//! clock decides every one of them; this module names the states (the one list of their names,
//! order and help, from which the SQL's state lists are generated), and holds the classifier's
//! parameters.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Result;
use clap::builder::PossibleValue;
use serde::Serialize;
use tokio_postgres::GenericClient;

use crate::db::param::TextParam;
use crate::db::query::Param;
use crate::error::UsageError;
use crate::table::{RUNNING_INDEX, TASK_INDEX, Table};

/// Declares [`State`] from one list: variant, name, boolean column of `sql/state/classify.sql`,
/// whether it is a problem, and its help (the doc comment).
macro_rules! states {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal, $column:literal, $problem:literal;)*) => {
        /// A row state, in severity order: worst first. Listed once, here: `--state`, the help,
        /// the JSON and CSV names and the SQL that counts, lists and sorts states come from it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum State {
            $($(#[doc = $doc])+ $variant,)*
        }

        impl State {
            /// Every state, worst first.
            pub(crate) const ALL: &[State] = &[$(State::$variant),*];

            /// Its name on the command line and in output.
            pub(crate) fn name(self) -> &'static str {
                match self { $(State::$variant => $name,)* }
            }

            /// Its boolean column in `sql/state/classify.sql`.
            pub(crate) fn column(self) -> &'static str {
                match self { $(State::$variant => $column,)* }
            }

            /// Whether the state is a problem to report.
            pub(crate) fn is_problem(self) -> bool {
                match self { $(State::$variant => $problem,)* }
            }

            /// Its help line.
            pub(crate) fn help(self) -> &'static str {
                match self { $(State::$variant => concat!($($doc),+).trim_ascii().trim_end_matches('.'),)* }
            }
        }
    };
}

states! {
    /// Syncing, and the heartbeat is older than the timeout (or missing).
    Zombie = "zombie", "zombie", true;
    /// Syncing, with an error message: someone released half of it.
    HalfReleased = "half-released", "half_released", true;
    /// Violates the CHECK predicate (syncing at 0-99%, or stopped at 0 or 100%), or NULL.
    Inconsistent = "inconsistent", "inconsistent", true;
    /// A second running row of a user, or a repeated task id.
    Duplicate = "duplicate", "duplicate", true;
    /// A timestamp more than a minute in the future, or a heartbeat still written a whole
    /// time-zone offset away: a clock or time-zone bug.
    Skewed = "skewed", "skewed", true;
    /// Syncing with a fresh heartbeat.
    Running = "running", "running", false;
    /// Stopped at 0% with an error.
    Failed = "failed", "failed", false;
    /// Stopped at 100%.
    Completed = "completed", "completed", false;
    /// Stopped at 0% without an error.
    Idle = "idle", "idle", false;
}

impl State {
    /// The states `inspect` shows by default.
    pub(crate) fn problems() -> Vec<State> {
        State::ALL.iter().copied().filter(|s| s.is_problem()).collect()
    }

    /// `{state_names}`: the names of a classified row's states as a text[], worst first.
    pub(crate) fn names_sql() -> String {
        let cases: Vec<String> =
            State::ALL.iter().map(|s| format!("CASE WHEN {} THEN '{}' END", s.column(), s.name())).collect();
        format!("array_remove(ARRAY[{}]::text[], NULL)", cases.join(", "))
    }

    /// `{state_counts}`: a count per state, named after its column.
    pub(crate) fn counts_sql() -> String {
        let counts: Vec<String> =
            State::ALL.iter().map(|s| format!("count(*) FILTER (WHERE {0}) AS {0}", s.column())).collect();
        counts.join(",\n       ")
    }

    /// `{state_filter}`: true for a row in any of `states` (false for none).
    pub(crate) fn filter_sql(states: &[State]) -> String {
        if states.is_empty() {
            return "false".to_string();
        }
        format!("({})", states.iter().map(|s| s.column()).collect::<Vec<_>>().join(" OR "))
    }

    /// `{state_order}`: worst first.
    pub(crate) fn order_sql() -> String {
        State::ALL.iter().map(|s| format!("{} DESC", s.column())).collect::<Vec<_>>().join(", ")
    }
}

impl clap::ValueEnum for State {
    fn value_variants<'a>() -> &'a [Self] {
        State::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.help()))
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
        State::ALL.iter().copied().find(|st| st.name() == s).ok_or_else(|| {
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

/// The values `--state` takes: the states and `all`, offered by the help and the completions.
/// Any text is accepted here and checked by [`State::from_str`], so a list (`zombie,idle`) and
/// a wrong name get syncctl's own message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateValues;

impl clap::builder::TypedValueParser for StateValues {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let states = State::ALL.iter().filter_map(clap::ValueEnum::to_possible_value);
        Some(Box::new(states.chain([PossibleValue::new("all").help("Every state")])))
    }
}

/// A `progress_percentage` as stored, integer or numeric, never rounded into another state
/// (99.7 is not 100). Shown and serialised as an integer when it is whole.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(crate) struct Progress(pub f64);

impl Progress {
    fn whole(self) -> Option<i64> {
        // Beyond 2^53 a float8 has no fraction to lose; percentages never get there.
        (self.0.fract() == 0.0 && self.0.abs() < 9.0e15).then_some(self.0 as i64)
    }
}

impl<'a> postgres_types::FromSql<'a> for Progress {
    fn from_sql(
        ty: &postgres_types::Type,
        raw: &'a [u8],
    ) -> Result<Progress, Box<dyn std::error::Error + Sync + Send>> {
        f64::from_sql(ty, raw).map(Progress)
    }

    fn accepts(ty: &postgres_types::Type) -> bool {
        <f64 as postgres_types::FromSql>::accepts(ty)
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

/// The classifier's parameters (`$1..$6` of `sql/state/classify.sql`), bound once by
/// [`Classifier::bind`]; a statement that extends the classifier appends its own, named, after
/// them.
#[derive(Debug)]
pub(crate) struct Classifier {
    timeout_seconds: f64,
    repeated_tasks: Vec<String>,
    second_running: Vec<String>,
    user: Option<TextParam>,
    task: Option<TextParam>,
    lock_dead: Vec<String>,
}

impl Classifier {
    /// The classifier, without duplicates until [`Classifier::find_duplicates`] runs.
    pub(crate) fn new(heartbeat_timeout: Duration) -> Classifier {
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
    pub(crate) fn filter(mut self, user: Option<&str>, task: Option<&str>) -> Classifier {
        self.user = user.map(|u| TextParam(u.to_string()));
        self.task = task.map(|t| TextParam(t.to_string()));
        self
    }

    /// Finds the duplicate rows (`sql/state/duplicates.sql`), in the caller's transaction, whose
    /// snapshot keeps their keys valid for the statements that follow. A valid unique index
    /// rules its case out, and the search is skipped: uniq_task_id for task ids;
    /// uniq_user_running_sync, or any valid unique index on user_id alone (the primary key of a
    /// table of one row per user), for users' second running rows.
    pub(crate) async fn find_duplicates(&mut self, client: &impl GenericClient, table: &Table) -> Result<()> {
        let tasks = !table.holds(TASK_INDEX);
        let users = !table.holds(RUNNING_INDEX) && !table.one_row_per_user;
        if !tasks && !users {
            return Ok(());
        }
        let found = crate::db::queries::state::duplicates(client, table, tasks, users).await?;
        self.repeated_tasks = found.repeated_tasks;
        self.second_running = found.second_running;
        Ok(())
    }

    /// Under `--liveness lock`: running rows whose owner's session lock is free are dead at once
    /// (see `src/liveness.rs`).
    pub(crate) async fn find_lock_dead(&mut self, client: &impl GenericClient, table: &Table) -> Result<()> {
        self.lock_dead = crate::liveness::dead_tasks(client, table).await?;
        Ok(())
    }

    /// `$1..$6`, in order, to which a statement appends its own parameters.
    pub(crate) fn bind(&self) -> Vec<&dyn Param> {
        vec![&self.timeout_seconds, &self.repeated_tasks, &self.second_running, &self.user, &self.task, &self.lock_dead]
    }

    /// Turns the server's refusal of a `--user` / `--task` value into a usage error: the column's
    /// type cannot hold it (SQLSTATE class 22, data exception).
    pub(crate) fn explain_error(&self, err: tokio_postgres::Error, table: &Table) -> anyhow::Error {
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

    /// The generated lists name every state once, worst first.
    #[test]
    fn state_lists_follow_the_enum() {
        let names = State::names_sql();
        let order = State::order_sql();
        let mut last = (0, 0);
        for state in State::ALL {
            let at = (names.find(&format!("'{}'", state.name())).unwrap(), order.find(state.column()).unwrap());
            assert!(at.0 >= last.0 && at.1 >= last.1, "{state} out of order");
            last = at;
        }
        assert_eq!(State::problems().len(), 5);
        assert_eq!(State::HalfReleased.help(), "Syncing, with an error message: someone released half of it");
    }
}
