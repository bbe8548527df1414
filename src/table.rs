//! Introspection of the user's table: which relation `--table` names, its columns and their
//! types, its primary key, and the three Priority-1 constraints with their validity.

use anyhow::{Context, Result};
use tokio_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

use crate::db::sql::{self, Placeholders, Statement, quote_ident};
use crate::error::UsageError;

/// The CHECK constraint of the rollout.
pub const CHECK_NAME: &str = "chk_sync_state_consistency";
/// At most one running row per user.
pub const RUNNING_INDEX: &str = "uniq_user_running_sync";
/// No repeated task ids.
pub const TASK_INDEX: &str = "uniq_task_id";

/// A column the tool reads, and the types it accepts there.
struct Need {
    name: &'static str,
    types: &'static [Type],
    what: &'static str,
}

/// The columns every command reads. Any type is fine for the identifiers (shown as text).
const READ_COLUMNS: &[Need] = &[
    Need { name: "user_id", types: &[], what: "any type" },
    Need { name: "task_id", types: &[], what: "any type" },
    Need { name: "is_syncing", types: &[Type::BOOL], what: "boolean" },
    Need {
        name: "progress_percentage",
        types: &[Type::INT2, Type::INT4, Type::INT8, Type::NUMERIC],
        what: "an integer or numeric",
    },
    Need { name: "error_message", types: &[], what: "any type" },
    Need { name: "started_at", types: &[Type::TIMESTAMPTZ, Type::TIMESTAMP], what: "a timestamp" },
    Need { name: "updated_at", types: &[Type::TIMESTAMPTZ, Type::TIMESTAMP], what: "a timestamp" },
];

/// A column of the table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type as PostgreSQL writes it (`timestamp without time zone`).
    pub type_name: String,
    /// The base type's oid (a domain counts as its base type).
    pub base_type: u32,
}

/// Whether one of the three objects exists and holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConstraintStatus {
    /// Its name.
    pub name: &'static str,
    /// `check` or `unique index`.
    pub kind: &'static str,
    /// It exists.
    pub exists: bool,
    /// It exists and is valid (CHECK validated; index valid, ready and unique).
    pub valid: bool,
    /// Its definition, when it exists.
    pub definition: Option<String>,
}

impl ConstraintStatus {
    /// `valid`, `NOT VALID` / `INVALID`, or `missing`.
    pub fn describe(&self) -> &'static str {
        match (self.exists, self.valid, self.kind) {
            (false, _, _) => "missing",
            (true, true, _) => "valid",
            (true, false, "check") => "NOT VALID",
            (true, false, _) => "INVALID",
        }
    }
}

/// The table as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Its oid.
    pub oid: u32,
    /// Its columns.
    pub columns: Vec<Column>,
    /// The primary key's columns; empty when it has none (rows are then named by their
    /// partition and ctid, see [`Table::placeholders`]).
    pub key: Vec<String>,
    /// A valid unique index on `user_id` alone (the primary key or any other): one row per user.
    pub one_row_per_user: bool,
    /// The hash function of user_id's type, quoted and schema-qualified: values the type's `=`
    /// calls equal hash alike (`sql/table/user_identity.sql`).
    pub user_hash: String,
    /// The three objects of the rollout, in the order CHECK, running index, task index.
    pub constraints: Vec<ConstraintStatus>,
}

impl Table {
    /// Looks the table up and checks it has the columns every command reads.
    pub async fn introspect(client: &impl GenericClient, spec: &str) -> Result<Table> {
        let parts = parse_name(spec)?;
        let quoted = parts.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join(".");
        let found = client
            .query_opt(sql::TABLE_RESOLVE.text, &[&quoted])
            .await
            .context("looking up the table in the catalog")?;
        let Some(row) = found else {
            return Err(UsageError::with_hint(
                format!("table {spec} does not exist (looked for {quoted})"),
                "check --table (write it as in SQL: schema.name, quoting parts with capitals or spaces), \
                 the role's search_path, and that the role has USAGE on the table's schema (without it the \
                 table is invisible)",
            ));
        };
        let oid: u32 = row.get("oid");
        let kind: String = row.get("kind");
        let schema: String = row.get("schema");
        let name: String = row.get("name");
        if kind != "r" && kind != "p" {
            let what = match kind.as_str() {
                "v" => "a view",
                "m" => "a materialized view",
                "f" => "a foreign table",
                _ => "not a table",
            };
            return Err(UsageError::with_hint(
                format!("{spec} is {what}; syncctl works on the table itself"),
                "point --table at the table that holds the sync status rows",
            ));
        }
        let names = [RUNNING_INDEX, TASK_INDEX];
        let names = &names[..];
        let by_oid: [&(dyn ToSql + Sync); 1] = [&oid];
        let constraint_params: [&(dyn ToSql + Sync); 3] = [&oid, &CHECK_NAME, &names];
        let (columns, key, constraints) = tokio::try_join!(
            client.query(sql::TABLE_COLUMNS.text, &by_oid),
            client.query(sql::TABLE_PRIMARY_KEY.text, &by_oid),
            client.query(sql::TABLE_CONSTRAINTS.text, &constraint_params),
        )
        .context("reading the table's definition from the catalog")?;
        let identity =
            client.query_one(sql::TABLE_USER_IDENTITY.text, &by_oid).await.context("reading how user_id compares")?;
        let user_hash = match identity.get::<_, Option<String>>("hash_function") {
            Some(function) => format!("{}.{}", quote_ident(identity.get("hash_schema")), quote_ident(&function)),
            // No hash class for the type: its text form stands in (equal values written alike).
            None => "pg_catalog.hashtext".to_string(),
        };

        let table = Table {
            schema,
            name,
            oid,
            columns: columns
                .iter()
                .map(|r| Column { name: r.get("name"), type_name: r.get("type_name"), base_type: r.get("base_type") })
                .collect(),
            key: key.iter().map(|r| r.get("name")).collect(),
            one_row_per_user: identity.get("one_row_per_user"),
            user_hash,
            constraints: [(CHECK_NAME, "check"), (RUNNING_INDEX, "unique index"), (TASK_INDEX, "unique index")]
                .into_iter()
                .map(|(name, kind)| {
                    let row = constraints.iter().find(|r| r.get::<_, String>("name") == name);
                    ConstraintStatus {
                        name,
                        kind,
                        exists: row.is_some(),
                        valid: row.is_some_and(|r| r.get("valid")),
                        definition: row.map(|r| r.get("definition")),
                    }
                })
                .collect(),
        };
        table.require(READ_COLUMNS)?;
        Ok(table)
    }

    fn require(&self, needs: &[Need]) -> Result<()> {
        for need in needs {
            let Some(column) = self.columns.iter().find(|c| c.name == need.name) else {
                return Err(UsageError::with_hint(
                    format!("table {} has no column {}", self.display(), need.name),
                    "syncctl needs the columns of the reference table (sql/schema.sql); check --table",
                ));
            };
            if !need.types.is_empty() && !need.types.iter().any(|t| t.oid() == column.base_type) {
                return Err(UsageError::with_hint(
                    format!(
                        "column {}.{} is {}, but syncctl needs {}",
                        self.display(),
                        need.name,
                        column.type_name,
                        need.what
                    ),
                    "check --table: this does not look like a sync status table",
                ));
            }
        }
        Ok(())
    }

    /// `schema.name` as a person reads it.
    pub fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The placeholders of this table's SQL. `{key}` names a row: its primary key, or without
    /// one its partition and ctid (`user_sync_status_p1:(0,1)`), since a ctid alone is the same
    /// in every partition of a partitioned table.
    pub fn placeholders(&self) -> Placeholders {
        let key = match self.key.as_slice() {
            [] => "(t.tableoid::regclass::text || ':' || t.ctid::text)".to_string(),
            [one] => format!("t.{}::text", quote_ident(one)),
            many => {
                let cols: Vec<String> = many.iter().map(|c| format!("t.{}", quote_ident(c))).collect();
                format!("ROW({})::text", cols.join(", "))
            }
        };
        Placeholders {
            table: format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name)),
            key,
            user_hash: self.user_hash.clone(),
        }
    }

    /// A statement rendered for this table.
    pub fn render(&self, statement: &Statement) -> String {
        statement.render(&self.placeholders())
    }

    /// Whether the named object exists and is valid.
    pub fn holds(&self, name: &str) -> bool {
        self.constraints.iter().any(|c| c.name == name && c.valid)
    }

    /// Columns stored as `timestamp without time zone`, read in --timestamp-zone.
    pub fn naive_timestamp_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.base_type == Type::TIMESTAMP.oid() && (c.name == "started_at" || c.name == "updated_at"))
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// Splits `--table` as SQL would: dot-separated parts, each either "quoted" (kept as is, `""`
/// for a quote) or unquoted (folded to lower case).
pub fn parse_name(spec: &str) -> Result<Vec<String>> {
    let bad = |why: &str| {
        UsageError::with_hint(
            format!("--table {spec:?} is not a valid table name: {why}"),
            "write it as in SQL: user_sync_status, ops.user_sync_status or \"Sync Ops\".user_sync_status",
        )
    };
    let mut parts = Vec::new();
    let mut chars = spec.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => part.push('"'),
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(bad("a quote is not closed")),
                }
            }
            if part.is_empty() {
                return Err(bad("a quoted name is empty"));
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != '.') {
                if !(c.is_alphanumeric() || c == '_' || c == '$') {
                    return Err(bad(&format!("{c:?} needs the name to be quoted")));
                }
                part.push(c.to_ascii_lowercase());
            }
            if part.is_empty() {
                return Err(bad("a part of the name is empty"));
            }
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(c) => return Err(bad(&format!("unexpected {c:?} after a quoted name"))),
        }
    }
    if parts.len() > 2 {
        return Err(bad("use at most schema.table"));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_as_sql_does() {
        assert_eq!(parse_name("user_sync_status").unwrap(), vec!["user_sync_status"]);
        assert_eq!(parse_name("Ops.User_Sync").unwrap(), vec!["ops", "user_sync"]);
        assert_eq!(parse_name("\"Sync Ops\".user_sync_status").unwrap(), vec!["Sync Ops", "user_sync_status"]);
        assert_eq!(parse_name("\"a\"\"b.c\"").unwrap(), vec!["a\"b.c"]);
        for bad in ["", "a.", ".a", "a b", "\"open", "a;drop table x", "a.b.c", "\"\""] {
            assert!(parse_name(bad).is_err(), "{bad} should be refused");
        }
    }
}
