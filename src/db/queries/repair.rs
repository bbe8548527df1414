//! `repair/`: the plan (the selected rows, classified and locked, `repair/plan.sql`), and the two
//! statements that apply it (`repair/apply.sql` by row version, `repair/release_named.sql` for
//! the running tasks named with `--task`) with the RETURNING clause they share
//! (`repair/returning.sql`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{Error, GenericClient, Row};

use super::{Filled, FromRow, Statement, row, rows};
use crate::db::param::TextParam;
use crate::db::query::{Param, query};
use crate::state::{Classifier, Progress, State};
use crate::table::Table;

/// `repair/plan.sql`: a row the selectors picked, as the plan read it under its lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    /// The primary key as text (partition and ctid when the table has none).
    pub(crate) key: String,
    /// The row version the plan read: its partition (or the table),
    pub(crate) tableoid: u32,
    /// its slot,
    pub(crate) ctid: String,
    /// and the transaction that wrote it.
    pub(crate) xmin: String,
    /// user_id as text.
    pub(crate) user_id: Option<String>,
    /// task_id as text.
    pub(crate) task_id: Option<String>,
    /// is_syncing.
    pub(crate) is_syncing: Option<bool>,
    /// progress_percentage, as stored.
    pub(crate) progress: Option<f64>,
    /// now() - updated_at in seconds, by the database clock.
    pub(crate) silent_seconds: Option<f64>,
    /// updated_at (the classifier's, as timestamptz; NULL when infinite).
    pub(crate) updated_at: Option<DateTime<Utc>>,
    /// Syncing with a heartbeat older than the timeout, or none.
    pub(crate) zombie: bool,
    /// Syncing with an error message.
    pub(crate) half_released: bool,
    /// Repeats another row's task_id, and is not the row kept.
    pub(crate) repeated_task: bool,
    /// A second running row of its user, not the one with the freshest heartbeat.
    pub(crate) second_running: bool,
    /// A timestamp more than a minute in the future.
    pub(crate) skewed: bool,
    /// Its task was named with `--task`.
    pub(crate) named: bool,
    /// The stored values the change is conditioned on, as text.
    pub(crate) before: Before,
}

/// The values a planned change is conditioned on, as the server wrote them as text: the row is
/// changed only if it still holds exactly these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Before {
    /// is_syncing.
    pub(crate) is_syncing: Option<String>,
    /// progress_percentage.
    pub(crate) progress: Option<String>,
    /// updated_at.
    pub(crate) updated_at: Option<String>,
    /// task_id.
    pub(crate) task_id: Option<String>,
    /// error_message.
    pub(crate) error_message: Option<String>,
}

impl FromRow for Target {
    fn from_row(row: &Row) -> Result<Target, Error> {
        Ok(Target {
            key: row.try_get("key")?,
            tableoid: row.try_get("tableoid")?,
            ctid: row.try_get("ctid")?,
            xmin: row.try_get("xmin")?,
            user_id: row.try_get("user_id")?,
            task_id: row.try_get("task_id")?,
            is_syncing: row.try_get("is_syncing")?,
            progress: row.try_get("progress_percentage")?,
            silent_seconds: row.try_get("silent_seconds")?,
            updated_at: row.try_get("updated_at")?,
            zombie: row.try_get("zombie")?,
            half_released: row.try_get("half_released")?,
            repeated_task: row.try_get("repeated_task")?,
            second_running: row.try_get("second_running")?,
            skewed: row.try_get("skewed")?,
            named: row.try_get("named")?,
            before: Before {
                is_syncing: row.try_get("before_is_syncing")?,
                progress: row.try_get("before_progress")?,
                updated_at: row.try_get("before_updated_at")?,
                task_id: row.try_get("before_task_id")?,
                error_message: row.try_get("before_error_message")?,
            },
        })
    }
}

/// `repair/plan.sql`'s own fill and parameters, after the classifier's.
#[derive(Debug)]
pub(crate) struct PlanParams<'a> {
    /// The problem states asked for (`{state_filter}`): rows in any of them are selected.
    pub(crate) states: &'a [State],
    /// `$7`, the `--task` values: the rows running them are selected whatever their state.
    pub(crate) tasks: &'a [String],
}

/// `repair/plan.sql`: the selected rows, classified, locked FOR UPDATE in the caller's
/// transaction, in key order.
pub(crate) async fn plan(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
    p: &PlanParams<'_>,
) -> Result<Vec<Target>, Error> {
    let sql = super::REPAIR_PLAN.filled(&table.fill().with("state_filter", State::filter_sql(p.states)));
    let tasks = TextParam(array_literal(p.tasks));
    let mut params = classifier.bind();
    params.push(&tasks);
    rows(&query(client, &sql, &params).await?)
}

/// One planned change of `repair/apply.sql`: the row version and the values it is conditioned
/// on (as `repair/plan.sql` read them), and the new values. Its fields are the names of the
/// JSON object `$1` holds one of per change.
#[derive(Debug, Serialize)]
pub(crate) struct VersionedChange<'a> {
    /// The planned key.
    pub(crate) key: &'a str,
    /// The row version: its partition,
    pub(crate) tableoid: u32,
    /// its slot,
    pub(crate) ctid: &'a str,
    /// and the transaction that wrote it.
    pub(crate) xmin: &'a str,
    /// is_syncing as the plan read it, as text.
    pub(crate) before_is_syncing: Option<&'a str>,
    /// progress_percentage as the plan read it, as text.
    pub(crate) before_progress: Option<&'a str>,
    /// updated_at as the plan read it, as text.
    pub(crate) before_updated_at: Option<&'a str>,
    /// task_id as the plan read it, as text.
    pub(crate) before_task_id: Option<&'a str>,
    /// error_message as the plan read it, as text.
    pub(crate) before_error_message: Option<&'a str>,
    /// The new is_syncing.
    pub(crate) is_syncing: bool,
    /// The new progress_percentage.
    pub(crate) progress: i64,
    /// The new task_id; `None` keeps it.
    pub(crate) new_task_id: Option<&'a str>,
    /// The note appended to error_message (with updated_at = now()); `None` for no note.
    pub(crate) reason: Option<&'a str>,
}

impl<'a> VersionedChange<'a> {
    /// The change of `target`'s version and before-values to these new values.
    pub(crate) fn of(
        target: &'a Target,
        is_syncing: bool,
        progress: i64,
        new_task_id: Option<&'a str>,
        reason: Option<&'a str>,
    ) -> VersionedChange<'a> {
        let b = &target.before;
        VersionedChange {
            key: &target.key,
            tableoid: target.tableoid,
            ctid: &target.ctid,
            xmin: &target.xmin,
            before_is_syncing: b.is_syncing.as_deref(),
            before_progress: b.progress.as_deref(),
            before_updated_at: b.updated_at.as_deref(),
            before_task_id: b.task_id.as_deref(),
            before_error_message: b.error_message.as_deref(),
            is_syncing,
            progress,
            new_task_id,
            reason,
        }
    }
}

/// `repair/apply.sql`'s parameters.
#[derive(Debug)]
pub(crate) struct ApplyParams<'a> {
    /// `$1`: the changes, sent as one JSON array of objects.
    pub(crate) changes: Vec<VersionedChange<'a>>,
}

row! {
    /// `repair/returning.sql`: a changed row as it is now.
    #[derive(Serialize)]
    ChangedRow {
        /// The planned key (a partition-and-ctid key moves with the update).
        key: String,
        /// task_id as text.
        task_id: Option<String>,
        /// is_syncing.
        is_syncing: Option<bool>,
        /// progress_percentage.
        progress_percentage: Option<Progress>,
        /// error_message.
        error_message: Option<String>,
        /// The new row satisfies chk_sync_state_consistency's predicate.
        #[serde(skip)]
        consistent: bool,
    }
}

/// `repair/apply.sql`: applies each change to its row if the row is still the version the plan
/// read; the rows changed.
pub(crate) async fn apply(
    client: &impl GenericClient,
    table: &Table,
    p: &ApplyParams<'_>,
) -> Result<Vec<ChangedRow>, Error> {
    let changes = json(&p.changes);
    rows(&query(client, &applying(table, &super::REPAIR_APPLY), &[&changes]).await?)
}

/// One release of `repair/release_named.sql`: a running task named with `--task`. Its fields
/// are the names of the JSON object `$1` holds one of per task.
#[derive(Debug, Serialize)]
pub(crate) struct NamedRelease<'a> {
    /// The planned key.
    pub(crate) key: &'a str,
    /// The task it runs.
    pub(crate) task_id: &'a str,
    /// The note appended to error_message.
    pub(crate) reason: Option<&'a str>,
}

/// `repair/release_named.sql`'s parameters. `$2` (the task ids, for an index on task_id) is
/// the releases' task ids, and `$3` (no primary key: the task id alone names the row) a fact of
/// the table, so neither can disagree with `$1`.
#[derive(Debug)]
pub(crate) struct ReleaseNamedParams<'a> {
    /// `$1`: the releases, sent as one JSON array of objects.
    pub(crate) releases: Vec<NamedRelease<'a>>,
}

/// `repair/release_named.sql`: releases each named task's row if it still runs that task; the
/// rows changed.
pub(crate) async fn release_named(
    client: &impl GenericClient,
    table: &Table,
    p: &ReleaseNamedParams<'_>,
) -> Result<Vec<ChangedRow>, Error> {
    let releases = json(&p.releases);
    let task_ids: Vec<String> = p.releases.iter().map(|r| r.task_id.to_string()).collect();
    let task_ids = TextParam(array_literal(&task_ids));
    let keyless = table.key.is_empty();
    let params: [&dyn Param; 3] = [&releases, &task_ids, &keyless];
    rows(&query(client, &applying(table, &super::REPAIR_RELEASE_NAMED), &params).await?)
}

/// A statement that applies the plan, for `table`, with the RETURNING clause both share.
fn applying(table: &Table, statement: &Statement) -> Filled {
    statement.filled(&table.fill().with("returning", super::REPAIR_RETURNING.text.trim_end()))
}

/// `items` as a JSON array.
fn json<T: Serialize>(items: &[T]) -> serde_json::Value {
    // Plain data (strings, numbers, booleans): serialising it cannot fail.
    serde_json::to_value(items).unwrap_or_default()
}

/// A PostgreSQL array literal of text values (`{"a","b\"c"}`), sent as a [`TextParam`] so the
/// server parses it with the column's own array type.
fn array_literal(values: &[String]) -> String {
    let items: Vec<String> =
        values.iter().map(|v| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    format!("{{{}}}", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_apply_statements_get_the_returning_clause() {
        let table = Table {
            schema: "public".into(),
            name: "t".into(),
            oid: 1,
            columns: Vec::new(),
            key: vec!["id".into()],
            one_row_per_user: false,
            user_hash: "hashtext".into(),
            constraints: Vec::new(),
        };
        for statement in [super::super::REPAIR_APPLY, super::super::REPAIR_RELEASE_NAMED] {
            let sql = String::from(applying(&table, &statement));
            assert!(!sql.contains("{returning}") && sql.contains("AS consistent"), "{}", statement.path);
        }
    }

    #[test]
    fn array_literals_quote_every_value() {
        assert_eq!(array_literal(&[]), "{}");
        assert_eq!(array_literal(&["a".into(), "b,c".into()]), "{\"a\",\"b,c\"}");
        assert_eq!(array_literal(&["say \"hi\"\\".into()]), "{\"say \\\"hi\\\"\\\\\"}");
    }

    /// `$1` of repair/apply.sql names its fields as the statement's json_to_recordset does.
    #[test]
    fn a_versioned_change_is_the_object_apply_reads() {
        let target = Target {
            key: "7".into(),
            tableoid: 16384,
            ctid: "(0,7)".into(),
            xmin: "731".into(),
            before: Before { is_syncing: Some("true".into()), progress: Some("0".into()), ..Before::default() },
            ..Target::default()
        };
        let change = VersionedChange::of(&target, false, 0, None, Some("zombie"));
        assert_eq!(
            json(&[change]).to_string(),
            r#"[{"key":"7","tableoid":16384,"ctid":"(0,7)","xmin":"731","before_is_syncing":"true","before_progress":"0","before_updated_at":null,"before_task_id":null,"before_error_message":null,"is_syncing":false,"progress":0,"new_task_id":null,"reason":"zombie"}]"#
        );
    }
}
