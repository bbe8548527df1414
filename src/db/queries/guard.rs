//! `guard/`: the guard's objects on one table, rendered from its name alone (no connection, so
//! `--print-sql` and `install` send the same text), and the status query that compares what is
//! installed with that text.
//!
//! Each object is named after the table (`<table>_guard`, `<table>_claim`, …: see
//! [`own_index_name`]) and lives in the table's schema. The functions pin `search_path` and
//! name the table schema-qualified; the API takes `user_id` and `task_id` with the columns' own
//! types (`%TYPE`, resolved by the server when the function is created).

use tokio_postgres::{Client, Error, GenericClient};

use super::{Fill, Filled, Statement, quote_ident, row, rows};
use crate::commands::add_constraints::script::literal;
use crate::db::query::{Param, batch, query};
use crate::table::own_index_name;

row! {
    /// `guard/status.sql`: one object of the guard and whether it is as install creates it.
    #[derive(serde::Serialize)]
    GuardObject {
        /// Its name.
        object: String,
        /// `function` or `trigger`.
        kind: String,
        /// Something of the name exists.
        found: bool,
        /// It is exactly what install creates.
        current: bool,
    }
}

/// The settings every guard function is created with (pg_proc.proconfig, as the server keeps
/// them): the pinned search_path, and the zone naive timestamps are written in.
fn proconfig(zone: &str) -> Vec<String> {
    vec!["search_path=pg_catalog, pg_temp".into(), format!("TimeZone={zone}")]
}

/// The guard of one table: the names of its objects and their statements.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    /// The table's schema.
    schema: String,
    /// The table, quoted and schema-qualified.
    table: String,
    /// The trigger's name.
    pub(crate) trigger: String,
    /// The functions' names (trigger function, claim, heartbeat, release), in the schema.
    pub(crate) functions: [String; 4],
    /// `--timestamp-zone`, pinned in every function.
    zone: String,
}

/// The statements that create the functions, in the order of [`Guard::functions`].
const FUNCTIONS: [Statement; 4] =
    [super::GUARD_FUNCTION, super::GUARD_CLAIM, super::GUARD_HEARTBEAT, super::GUARD_RELEASE];

impl Guard {
    /// The guard of table `name` in `schema`, its timestamps written in `zone`.
    pub(crate) fn new(schema: &str, name: &str, zone: &str) -> Guard {
        let own = |role: &str| own_index_name(name, role);
        Guard {
            schema: schema.to_string(),
            table: format!("{}.{}", quote_ident(schema), quote_ident(name)),
            trigger: own("guard"),
            functions: [own("guard"), own("claim"), own("heartbeat"), own("release")],
            zone: zone.to_string(),
        }
    }

    /// A function of the guard, quoted and schema-qualified.
    fn qualified(&self, function: &str) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(function))
    }

    /// The fill of every guard statement.
    fn fill(&self) -> Fill {
        let [guard, claim, heartbeat, release] = &self.functions;
        let table = Fill::default().with("table", self.table.clone());
        let base = table
            .clone()
            .with("table_literal", literal(&self.table))
            .with("guard_function", self.qualified(guard))
            .with("guard_function_literal", literal(&format!("{}()", self.qualified(guard))))
            .with("claim_function", self.qualified(claim))
            .with("heartbeat_function", self.qualified(heartbeat))
            .with("release_function", self.qualified(release))
            .with("trigger", quote_ident(&self.trigger))
            .with("trigger_literal", literal(&self.trigger))
            .with("timestamp_zone", literal(&self.zone))
            .with("duration", super::duration())
            .with("user_identity_literal", literal(&super::user_identity()))
            .with("update_task_literal", literal(super::START_UPDATE_TASK.render(&table).trim_end()))
            .with("insert_task_literal", literal(super::START_INSERT_TASK.render(&table).trim_end()));
        let current = super::GUARD_TRIGGER_CURRENT.render(&base);
        base.with("trigger_current", current.trim_end())
    }

    /// The statements of `guard install`, in order: the functions, then the trigger.
    pub(crate) fn install(&self) -> Vec<Filled> {
        let fill = self.fill();
        FUNCTIONS.iter().chain([&super::GUARD_TRIGGER]).map(|s| s.filled(&fill)).collect()
    }

    /// The statements of `guard remove`.
    pub(crate) fn remove(&self) -> Vec<Filled> {
        vec![super::GUARD_REMOVE.filled(&self.fill())]
    }

    /// `statements` as a psql script: one transaction under `lock_timeout` (e.g. `2000ms`).
    pub(crate) fn script(&self, statements: &[Filled], lock_timeout: &str) -> String {
        let header = super::GUARD_SCRIPT_HEADER.render(&self.fill().with("lock_timeout", lock_timeout));
        let mut parts = vec![header];
        parts.extend(statements.iter().map(|s| format!("{};", s.text.trim_end())));
        parts.push(super::GUARD_SCRIPT_COMMIT.text.to_string());
        parts.iter().map(|s| s.trim_end()).collect::<Vec<_>>().join("\n\n") + "\n"
    }

    /// The source each function's body must have (pg_proc.prosrc): what lies between the
    /// dollar quotes of its CREATE FUNCTION.
    fn bodies(&self) -> Vec<String> {
        let fill = self.fill();
        FUNCTIONS.iter().map(|s| body(&s.render(&fill)).to_string()).collect()
    }
}

/// The text between the first pair of `$syncctl$` quotes.
fn body(statement: &str) -> &str {
    const QUOTE: &str = "$syncctl$";
    let start = statement.find(QUOTE).map_or(0, |i| i + QUOTE.len());
    let end = statement[start..].find(QUOTE).map_or(statement.len(), |i| start + i);
    &statement[start..end]
}

/// Runs `statements` as they are (DDL binds no parameters), in the caller's transaction.
pub(crate) async fn apply(client: &Client, statements: &[Filled]) -> Result<(), Error> {
    for statement in statements {
        batch(client, statement).await?;
    }
    Ok(())
}

/// What `guard install` creates, as relation guard_args of `guard/objects.sql` receives it:
/// the values of its four parameters, in order.
#[derive(Debug)]
pub(crate) struct GuardExpected {
    names: Vec<String>,
    bodies: Vec<String>,
    config: Vec<String>,
    trigger: String,
}

impl GuardExpected {
    /// The four parameters (names, bodies, config, trigger), to bind in this order.
    pub(crate) fn params(&self) -> [&dyn Param; 4] {
        [&self.names, &self.bodies, &self.config, &self.trigger]
    }
}

impl Guard {
    /// `guard/objects.sql` filled for this guard, for a statement that folds the guard's status
    /// into its own (`{guard_objects}`), and the values its relation guard_args is made of.
    pub(crate) fn objects(&self) -> (String, GuardExpected) {
        let objects = super::GUARD_OBJECTS.render(&self.fill()).trim_end().to_string();
        let args = GuardExpected {
            names: self.functions.to_vec(),
            bodies: self.bodies(),
            config: proconfig(&self.zone),
            trigger: self.trigger.clone(),
        };
        (objects, args)
    }
}

/// `guard/status.sql`: each object of `guard`, found and current or not.
pub(crate) async fn status(client: &impl GenericClient, guard: &Guard) -> Result<Vec<GuardObject>, Error> {
    let (objects, args) = guard.objects();
    let sql = super::GUARD_STATUS.filled(&guard.fill().with("guard_objects", objects));
    rows(&query(client, &sql, &args.params()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_table_and_everything_is_quoted() {
        let guard = Guard::new("Sync Ops", "user_sync_status", "UTC");
        assert_eq!(guard.trigger, "user_sync_status_guard");
        assert_eq!(guard.functions[1], "user_sync_status_claim");
        let sql: Vec<String> = guard.install().into_iter().map(String::from).collect();
        let sql = sql.join("\n");
        assert!(sql.contains("CREATE OR REPLACE FUNCTION \"Sync Ops\".\"user_sync_status_claim\"("), "{sql}");
        assert!(sql.contains("p_user_id    \"Sync Ops\".\"user_sync_status\".\"user_id\"%TYPE"), "{sql}");
        assert!(sql.contains("SET TimeZone = 'UTC'"), "{sql}");
        assert!(!sql.contains('{') || !sql.contains("{table"), "{sql}");
        assert_eq!(body("AS $syncctl$\nBEGIN\nEND\n$syncctl$\n"), "\nBEGIN\nEND\n");
    }
}
