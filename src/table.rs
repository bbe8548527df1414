//! Introspection of the user's table: which relation `--table` names, its columns and their
//! types, its primary key, and the three consistency constraints with their validity.

use anyhow::{Context, Result};
use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::db::queries::session::Reached;
pub(crate) use crate::db::queries::table::Column;
use crate::db::queries::table::{CheckRow, NamedRelation, Partitioning};
use crate::db::queries::{self, Fill, Filled, Statement, quote_ident};
use crate::error::UsageError;

/// The CHECK constraint of the rollout.
pub(crate) const CHECK_NAME: &str = "chk_sync_state_consistency";
/// At most one running row per user.
pub(crate) const RUNNING_INDEX: &str = "uniq_user_running_sync";
/// No repeated task ids.
pub(crate) const TASK_INDEX: &str = "uniq_task_id";

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

/// The predicate of chk_sync_state_consistency as `add-constraints` writes it, for messages.
pub(crate) const CHECK_PREDICATE: &str = "(is_syncing = TRUE AND progress_percentage BETWEEN 0 AND 99) \
                                   OR (is_syncing = FALSE AND progress_percentage IN (0, 100))";

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are cut.
const MAX_IDENTIFIER: usize = 63;

/// What one of the two unique indexes must be to count as installed.
#[derive(Debug)]
pub(crate) struct IndexSpec {
    /// Its plain name.
    pub name: &'static str,
    /// Its one key column.
    pub key: &'static str,
    /// The predicates it may have, as `pg_get_expr` deparses them.
    pub predicates: &'static [&'static str],
    /// Whether it may have no predicate at all.
    pub total: bool,
    /// What it should be, as a person reads it.
    pub expected: &'static str,
}

/// The rules of the unique index `role` (uniq_user_running_sync or uniq_task_id).
pub(crate) fn index_spec(role: &str) -> &'static IndexSpec {
    if role == RUNNING_INDEX { &RUNNING_SPEC } else { &TASK_SPEC }
}

const RUNNING_SPEC: IndexSpec = IndexSpec {
    name: RUNNING_INDEX,
    key: "user_id",
    // `= TRUE`, the bare column, and `= TRUE` on a boolean domain (deparsed with a cast).
    predicates: &["(is_syncing = true)", "is_syncing", "((is_syncing)::boolean = true)"],
    total: false,
    expected: "a unique index on (user_id) WHERE is_syncing = TRUE, NULLs distinct",
};

const TASK_SPEC: IndexSpec = IndexSpec {
    name: TASK_INDEX,
    key: "task_id",
    predicates: &["(task_id IS NOT NULL)"],
    total: true,
    expected: "a unique index on (task_id), with no WHERE clause (or WHERE task_id IS NOT NULL), NULLs distinct",
};

/// Why one of the three objects does not count as installed, beyond missing or not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// An object on this table carries the name but another definition (the reason says what
    /// it has and what it should be). It is never trusted, dropped or kept silently.
    WrongDefinition(String),
    /// PostgreSQL cannot enforce it on this table (a partitioned table whose partition key is
    /// not among the index's columns: there is no global unique index).
    NotEnforceable(String),
    /// It is missing, and both names it may have belong to other relations of the schema.
    NameTaken(String),
    /// It is missing, and syncctl cannot build it without blocking writers: the table is
    /// partitioned (PostgreSQL has no CREATE INDEX CONCURRENTLY on a partitioned table).
    PartitionedBuild(String),
}

/// Whether one of the three objects exists on this table and holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConstraintStatus {
    /// Its role: chk_sync_state_consistency, uniq_user_running_sync or uniq_task_id.
    pub name: &'static str,
    /// `check` or `unique index`.
    pub kind: &'static str,
    /// The name it has on this table, or would get: the plain name, or the table's own
    /// (`<table>_uniq_task_id`) when another relation of the schema has the plain one.
    pub object: String,
    /// Its oid, when it exists (the index's; the constraint's for the CHECK).
    pub oid: Option<u32>,
    /// It exists on this table.
    pub exists: bool,
    /// It exists, has the right definition and is valid (CHECK validated; index valid and ready).
    pub valid: bool,
    /// Its definition as the catalog deparses it, when it exists.
    pub definition: Option<String>,
    /// Why it does not count, beyond missing / NOT VALID / INVALID.
    pub problem: Option<Problem>,
    /// Something worth saying about its name (whose the plain name is, when it is taken).
    pub note: Option<String>,
}

impl ConstraintStatus {
    /// The object `name` of this `kind` (`check`, `unique index`) as not found, under its own
    /// name; introspection fills in what it finds.
    fn missing(name: &'static str, kind: &'static str) -> ConstraintStatus {
        ConstraintStatus {
            name,
            kind,
            object: name.to_string(),
            oid: None,
            exists: false,
            valid: false,
            definition: None,
            problem: None,
            note: None,
        }
    }

    /// The object `name` of the reference table, under its plain name: missing, or existing
    /// (with an oid) and valid or not; for tests.
    #[cfg(test)]
    pub(crate) fn example(name: &'static str, exists: bool, valid: bool) -> ConstraintStatus {
        let kind = if name == CHECK_NAME { "check" } else { "unique index" };
        ConstraintStatus { oid: exists.then_some(16_500), exists, valid, ..ConstraintStatus::missing(name, kind) }
    }

    /// `valid`, `NOT VALID` / `INVALID`, `missing`, `wrong definition` or `not enforceable`.
    pub(crate) fn state_name(&self) -> &'static str {
        match (&self.problem, self.exists, self.valid, self.kind) {
            (Some(Problem::WrongDefinition(_)), ..) => "wrong definition",
            (Some(Problem::NotEnforceable(_)), ..) => "not enforceable",
            (_, false, _, _) => "missing",
            (_, true, true, _) => "valid",
            (_, true, false, "check") => "NOT VALID",
            (_, true, false, _) => "INVALID",
        }
    }

    /// The reason behind [`ConstraintStatus::problem`].
    pub(crate) fn reason(&self) -> Option<&str> {
        match &self.problem {
            Some(
                Problem::WrongDefinition(r)
                | Problem::NotEnforceable(r)
                | Problem::NameTaken(r)
                | Problem::PartitionedBuild(r),
            ) => Some(r),
            None => None,
        }
    }

    /// `unique index uniq_task_id: valid`, with the name on this table when it is not the plain
    /// one and the reason when there is a problem.
    pub(crate) fn summary(&self) -> String {
        let named = self.object != self.name && (self.exists || self.problem.is_none());
        let object = if named { format!(" (as {})", self.object) } else { String::new() };
        let reason = self.reason().map(|r| format!(" ({r})")).unwrap_or_default();
        format!("{} {}{object}: {}{reason}", self.kind, self.name, self.state_name())
    }
}

impl serde::Serialize for ConstraintStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ConstraintStatus", 9)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("kind", self.kind)?;
        s.serialize_field("object", &self.object)?;
        s.serialize_field("state", self.state_name())?;
        s.serialize_field("exists", &self.exists)?;
        s.serialize_field("valid", &self.valid)?;
        s.serialize_field("reason", &self.reason())?;
        s.serialize_field("note", &self.note)?;
        s.serialize_field("definition", &self.definition)?;
        s.end()
    }
}

/// The name this table's `role` index gets when the plain name belongs to another relation of
/// the schema: `<table>_<role>`, or, when that is longer than PostgreSQL keeps (63 bytes), the
/// table's name cut at a character boundary plus a hash of the whole name, so that two long
/// names with the same beginning still differ. Deterministic: it depends on the table's name
/// alone, so introspection, the command and the `--print-sql` script all find the same name.
pub(crate) fn own_index_name(table: &str, role: &str) -> String {
    let full = format!("{table}_{role}");
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    // FNV-1a: small, fixed across versions and platforms (the name must never change).
    let hash = table.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    let suffix = format!("_{hash:08x}_{role}");
    let mut cut = MAX_IDENTIFIER - suffix.len();
    while !table.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &table[..cut])
}

/// The texts `pg_get_constraintdef` gives for the consistency CHECK on a table whose
/// progress_percentage has base type `progress` (an oid), each column a domain or not.
///
/// Why a comparison of deparsed texts: the definition must be compared, never the name, and the
/// read-only commands (health, validate-constraints, on a standby too) can neither create a
/// scratch constraint for the server to deparse nor run the stored expression on probe rows
/// without splicing it into SQL. The deparse is canonical for a given expression and column
/// types: BETWEEN and IN are already expanded, and `(is_syncing AND …)` / `(NOT is_syncing …)`
/// are accepted beside `= TRUE` / `= FALSE`. What differs by type are the casts PostgreSQL adds
/// (`(0)::numeric`; bigint arrays; a domain column cast to its base type), and those are what
/// this builds. Any other way of writing an equivalent predicate (operands swapped, `<= 99 AND
/// >= 0`, `<> 100`) is reported as a wrong definition: conservative, never trusting a wrong one.
pub(crate) fn expected_check_definitions(progress: u32, progress_domain: bool, syncing_domain: bool) -> Vec<String> {
    let base = if progress == Type::INT2.oid() {
        "smallint"
    } else if progress == Type::INT8.oid() {
        "bigint"
    } else if progress == Type::NUMERIC.oid() {
        "numeric"
    } else {
        "integer"
    };
    let p = if progress_domain { format!("(progress_percentage)::{base}") } else { "progress_percentage".to_string() };
    let (low, high, both) = match base {
        "numeric" => ("(0)::numeric", "(99)::numeric", "ARRAY[(0)::numeric, (100)::numeric]"),
        "bigint" => ("0", "99", "ARRAY[(0)::bigint, (100)::bigint]"),
        _ => ("0", "99", "ARRAY[0, 100]"),
    };
    let b = if syncing_domain { "(is_syncing)::boolean" } else { "is_syncing" };
    let mut out = Vec::new();
    for running in [format!("({b} = true)"), "is_syncing".to_string()] {
        for stopped in [format!("({b} = false)"), "(NOT is_syncing)".to_string()] {
            out.push(format!(
                "CHECK ((({running} AND (({p} >= {low}) AND ({p} <= {high}))) OR ({stopped} AND ({p} = ANY ({both})))))"
            ));
        }
    }
    out
}

impl NamedRelation {
    /// Whose the name is, for a message: `index public.uniq_task_id of table public.other`.
    fn whose(&self) -> String {
        match (self.kind.as_str(), &self.owner) {
            ("i" | "I", Some(owner)) => format!("index {} of table {owner}", self.qualified),
            (kind, _) => {
                let what = match kind {
                    "r" | "p" => "table",
                    "S" => "sequence",
                    "v" => "view",
                    "m" => "materialized view",
                    "f" => "foreign table",
                    "c" => "composite type",
                    _ => "relation",
                };
                format!("{what} {}", self.qualified)
            }
        }
    }

    /// What is wrong with this index as `spec`, if anything: what it has, and what it should be.
    fn mismatch(&self, spec: &IndexSpec) -> Option<String> {
        let mut has = Vec::new();
        if !self.is_unique {
            has.push("not unique".to_string());
        }
        if self.key_columns != [spec.key] {
            has.push(format!("key ({})", self.key_columns.join(", ")));
        }
        match &self.predicate {
            None if !spec.total => has.push("no WHERE clause".to_string()),
            Some(p) if !spec.predicates.contains(&p.as_str()) => has.push(format!("WHERE {p}")),
            _ => {}
        }
        if self.nulls_not_distinct {
            has.push("NULLS NOT DISTINCT".to_string());
        }
        if !self.is_immediate {
            has.push("DEFERRABLE".to_string());
        }
        if self.other_collation {
            has.push(format!("a collation on {} other than the column's", spec.key));
        }
        if has.is_empty() {
            return None;
        }
        Some(format!("it has {}; it should be {}", has.join(", "), spec.expected))
    }
}

/// The CHECK's status from the `check` of `sql/table/introspect.sql` (None: missing), judged
/// against the consistency predicate for the type of progress_percentage (`progress`, an oid).
fn check_status(row: Option<&CheckRow>, progress: u32) -> ConstraintStatus {
    let mut status = ConstraintStatus::missing(CHECK_NAME, "check");
    let Some(row) = row else { return status };
    status.exists = true;
    status.definition = Some(row.definition.clone());
    status.problem = check_mismatch(
        &row.contype,
        &row.definition,
        &expected_check_definitions(progress, row.progress_is_domain, row.syncing_is_domain),
    )
    .map(Problem::WrongDefinition);
    status.valid = status.problem.is_none() && row.validated;
    status
}

/// What is wrong with a constraint of type `contype` deparsed as `definition`, if anything.
fn check_mismatch(contype: &str, definition: &str, expected: &[String]) -> Option<String> {
    if contype != "c" {
        let what = match contype {
            "u" => "a UNIQUE constraint",
            "p" => "a PRIMARY KEY",
            "f" => "a FOREIGN KEY",
            "x" => "an EXCLUDE constraint",
            _ => "another kind of constraint",
        };
        return Some(format!("it is {what}, not a CHECK"));
    }
    // Validation is judged apart (convalidated); the predicate must be the expected one.
    let predicate = definition.strip_suffix(" NOT VALID").unwrap_or(definition);
    if expected.iter().any(|e| e == predicate) {
        return None;
    }
    let checks = predicate.strip_prefix("CHECK ").unwrap_or(predicate);
    Some(format!("it checks {checks} instead of {CHECK_PREDICATE}"))
}

/// The status of `spec`'s index on table `name` from the relations that carry its names in the
/// table's schema, and the table's partitioning.
///
/// Which object is this table's: the index with the plain name if it is on this table, else the
/// one with the table's own name ([`own_index_name`]) if that is on this table. When neither
/// is, it is missing and would be created under the plain name if that is free in the schema,
/// else under the table's own; a name that another relation has is never this table's.
fn index_status(
    spec: &IndexSpec,
    table: &str,
    named: &[NamedRelation],
    partitioning: Option<&Partitioning>,
) -> ConstraintStatus {
    let own = own_index_name(table, spec.name);
    let plain = named.iter().find(|r| r.name == spec.name);
    let mine = named.iter().find(|r| r.name == own);
    let mut status = ConstraintStatus::missing(spec.name, "unique index");
    if let Some(taken) = plain.filter(|r| !r.on_table) {
        status.object = own.clone();
        status.note = Some(format!(
            "the name {} belongs to {} (index names are unique per schema), so this table's is {own}",
            spec.name,
            taken.whose()
        ));
    }
    let found = plain.filter(|r| r.on_table).or(mine.filter(|r| r.on_table));
    if let Some(index) = found {
        status.object = index.name.clone();
        status.oid = Some(index.oid);
        status.exists = true;
        status.definition = index.definition.clone();
        status.problem = index.mismatch(spec).map(Problem::WrongDefinition);
        status.valid = status.problem.is_none() && index.is_valid;
        return status;
    }
    if let (Some(taken), Some(other)) = (plain, mine) {
        status.problem = Some(Problem::NameTaken(format!(
            "both names it may have are taken: {} by {}, {} by {}; rename one of them",
            taken.name,
            taken.whose(),
            other.name,
            other.whose()
        )));
    } else if let Some(p) = partitioning {
        let missing: Vec<&str> = p.columns.iter().map(String::as_str).filter(|c| *c != spec.key).collect();
        status.problem = Some(if missing.is_empty() {
            Problem::PartitionedBuild(
                "the table is partitioned and PostgreSQL cannot build an index CONCURRENTLY on a partitioned \
                 table; build it per partition: CREATE UNIQUE INDEX … ON ONLY the table, CREATE UNIQUE INDEX \
                 CONCURRENTLY on each partition, then ALTER INDEX … ATTACH PARTITION for each"
                    .to_string(),
            )
        } else {
            Problem::NotEnforceable(format!(
                "the table is partitioned by {} ({}) and PostgreSQL has no global unique index: a unique index \
                 of a partitioned table must include the partition key ({}), so ({}) could only be unique \
                 within each partition",
                p.strategy,
                p.columns.join(", "),
                missing.join(", "),
                spec.key
            ))
        });
    }
    status
}

/// The table as the catalog describes it.
#[derive(Debug, Clone)]
pub(crate) struct Table {
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
    pub(crate) async fn introspect(client: &impl GenericClient, spec: &str) -> Result<Table> {
        Ok(Table::read(client, spec).await?.0)
    }

    /// [`Table::introspect`], in one statement that also says what the server is.
    pub(crate) async fn read(client: &impl GenericClient, spec: &str) -> Result<(Table, Reached)> {
        let parts = parse_name(spec)?;
        let quoted = parts.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join(".");
        // The relation's name is the last part as SQL reads it, so the index names it may have
        // are known before the catalog is asked.
        let relname = parts.last().map_or("", String::as_str);
        let names: Vec<String> = [RUNNING_INDEX, TASK_INDEX]
            .into_iter()
            .flat_map(|role| [role.to_string(), own_index_name(relname, role)])
            .collect();
        let found = match queries::table::definition(client, &quoted, CHECK_NAME, &names).await {
            Ok(found) => found,
            Err(e)
                if e.code() == Some(&SqlState::UNDEFINED_TABLE) || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME) =>
            {
                return Err(UsageError::not_found(
                    format!("table {spec} does not exist (as SQL reads it: {quoted})"),
                    "check --table (write it as in SQL: schema.name, quoting parts with capitals or spaces), \
                     the role's search_path, and that the role has USAGE on the table's schema (without it the \
                     table is invisible)",
                ));
            }
            Err(e) => return Err(e).context("reading the table's definition from the catalog"),
        };
        let reached = found.reached();
        if found.kind != "r" && found.kind != "p" {
            let what = match found.kind.as_str() {
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
        let user_hash = match (found.hash_function, found.hash_schema) {
            (Some(function), Some(schema)) => format!("{}.{}", quote_ident(&schema), quote_ident(&function)),
            // No hash class for the type: its text form stands in (equal values written alike).
            _ => "pg_catalog.hashtext".to_string(),
        };
        let columns = found.columns.0;
        let named = found.named.0;
        let partitioning = found.partitioning.map(|p| p.0);
        let progress = columns.iter().find(|c| c.name == "progress_percentage").map_or(0, |c| c.base_type);
        let constraints = vec![
            check_status(found.check.as_ref().map(|c| &c.0), progress),
            index_status(&RUNNING_SPEC, &found.name, &named, partitioning.as_ref()),
            index_status(&TASK_SPEC, &found.name, &named, partitioning.as_ref()),
        ];
        let table = Table {
            schema: found.schema,
            name: found.name,
            oid: found.oid,
            columns,
            key: found.key,
            one_row_per_user: found.one_row_per_user,
            user_hash,
            constraints,
        };
        table.require(READ_COLUMNS)?;
        Ok((table, reached))
    }

    fn require(&self, needs: &[Need]) -> Result<()> {
        for need in needs {
            let Some(column) = self.columns.iter().find(|c| c.name == need.name) else {
                return Err(UsageError::not_found(
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

    /// What `-v` says of the table: its name, key, user_id's type and whether it holds one row
    /// per user, e.g. `public.user_sync_status (key id; user_id uuid, one row per user: no)`.
    pub(crate) fn shape(&self) -> String {
        let key = if self.key.is_empty() { "none: rows named by (tableoid, ctid)".into() } else { self.key.join(", ") };
        let user_type = self.columns.iter().find(|c| c.name == "user_id").map_or("?", |c| c.type_name.as_str());
        let per_user = if self.one_row_per_user { "yes" } else { "no" };
        format!("{} (key {key}; user_id {user_type}, one row per user: {per_user})", self.display())
    }

    /// `schema.name` as a person reads it.
    pub(crate) fn display(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The fill of this table's SQL. `{key}` names a row: its primary key, or without one its
    /// partition and ctid (`user_sync_status_p1:(0,1)`), since a ctid alone is the same in every
    /// partition of a partitioned table.
    pub(crate) fn fill(&self) -> Fill {
        let key = match self.key.as_slice() {
            [] => "(t.tableoid::regclass::text || ':' || t.ctid::text)".to_string(),
            [one] => format!("t.{}::text", quote_ident(one)),
            many => {
                let cols: Vec<String> = many.iter().map(|c| format!("t.{}", quote_ident(c))).collect();
                format!("ROW({})::text", cols.join(", "))
            }
        };
        Fill::table(&self.quoted(), &key, &self.user_hash)
    }

    /// The table, quoted and schema-qualified.
    pub(crate) fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// A statement rendered for this table.
    pub(crate) fn render(&self, statement: &Statement) -> Filled {
        statement.filled(&self.fill())
    }

    /// Whether the named object (by its role: chk_sync_state_consistency, uniq_user_running_sync,
    /// uniq_task_id) exists on this table with the right definition and is valid.
    pub(crate) fn holds(&self, name: &str) -> bool {
        self.constraints.iter().any(|c| c.name == name && c.valid)
    }

    /// The status of the named object (by its role).
    pub(crate) fn constraint(&self, name: &str) -> Option<&ConstraintStatus> {
        self.constraints.iter().find(|c| c.name == name)
    }

    /// Columns stored as `timestamp without time zone`, read in --timestamp-zone.
    pub(crate) fn naive_timestamp_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.base_type == Type::TIMESTAMP.oid() && (c.name == "started_at" || c.name == "updated_at"))
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// Splits `--table` as SQL would: dot-separated parts, each either "quoted" (kept as is, `""`
/// for a quote) or unquoted (folded to lower case).
pub(crate) fn parse_name(spec: &str) -> Result<Vec<String>> {
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

    #[test]
    fn own_index_names_fit_in_63_bytes_and_stay_apart() {
        assert_eq!(own_index_name("user_sync_status_b", TASK_INDEX), "user_sync_status_b_uniq_task_id");
        let long = "a_very_long_table_name_that_fills_most_of_the_identifier_length_x";
        let (one, two) = (own_index_name(long, RUNNING_INDEX), own_index_name(&format!("{long}y"), RUNNING_INDEX));
        assert!(one.len() <= 63 && two.len() <= 63, "{one} {two}");
        assert!(one.ends_with("_uniq_user_running_sync") && one.starts_with("a_very_long"), "{one}");
        assert_ne!(one, two, "the same beginning, different names");
        assert_eq!(one, own_index_name(long, RUNNING_INDEX), "deterministic");
        // Multibyte characters are never cut in half.
        let wide = "é".repeat(40);
        let name = own_index_name(&wide, TASK_INDEX);
        assert!(name.len() <= 63 && name.ends_with("_uniq_task_id"), "{name}");
    }

    #[test]
    fn the_check_is_judged_by_its_definition() {
        let int = expected_check_definitions(Type::INT4.oid(), false, false);
        let written = "CHECK ((((is_syncing = true) AND ((progress_percentage >= 0) AND (progress_percentage <= 99))) OR \
                       ((is_syncing = false) AND (progress_percentage = ANY (ARRAY[0, 100])))))";
        assert_eq!(check_mismatch("c", written, &int), None);
        assert_eq!(check_mismatch("c", &format!("{written} NOT VALID"), &int), None);
        let wrong = check_mismatch("c", "CHECK ((progress_percentage >= 0))", &int).unwrap();
        assert!(wrong.contains("(progress_percentage >= 0)"), "{wrong}");
        assert!(check_mismatch("u", written, &int).unwrap().contains("UNIQUE"));
        // numeric: the constants are cast; the integer text is a wrong definition there.
        let numeric = expected_check_definitions(Type::NUMERIC.oid(), false, false);
        assert!(check_mismatch("c", written, &numeric).is_some());
        assert!(numeric[0].contains("(progress_percentage >= (0)::numeric)"), "{}", numeric[0]);
        let domain = expected_check_definitions(Type::INT4.oid(), true, true);
        assert!(domain[0].contains("((is_syncing)::boolean = true) AND (((progress_percentage)::integer >= 0)"));
    }

    fn index(name: &str, on_table: bool, key: &[&str], predicate: Option<&str>) -> NamedRelation {
        NamedRelation {
            oid: 1,
            name: name.into(),
            kind: "i".into(),
            qualified: format!("public.{name}"),
            on_table,
            owner: Some(if on_table { "public.t".into() } else { "public.other".into() }),
            is_unique: true,
            is_valid: true,
            is_immediate: true,
            key_columns: key.iter().map(|k| k.to_string()).collect(),
            predicate: predicate.map(str::to_string),
            definition: Some(format!("CREATE UNIQUE INDEX {name} …")),
            ..NamedRelation::default()
        }
    }

    #[test]
    fn an_index_is_judged_by_its_definition_not_its_name() {
        let right = index(RUNNING_INDEX, true, &["user_id"], Some("(is_syncing = true)"));
        assert!(index_status(&RUNNING_SPEC, "t", &[right], None).valid);
        let bare = index(RUNNING_INDEX, true, &["user_id"], Some("is_syncing"));
        assert!(index_status(&RUNNING_SPEC, "t", &[bare], None).valid);
        for wrong in [
            index(RUNNING_INDEX, true, &["user_id", "task_id"], None),
            index(RUNNING_INDEX, true, &["user_id"], None),
            index(RUNNING_INDEX, true, &["user_id"], Some("(progress_percentage < 100)")),
            NamedRelation { nulls_not_distinct: true, ..index(RUNNING_INDEX, true, &["user_id"], Some("is_syncing")) },
            NamedRelation { is_unique: false, ..index(RUNNING_INDEX, true, &["user_id"], Some("is_syncing")) },
        ] {
            let status = index_status(&RUNNING_SPEC, "t", std::slice::from_ref(&wrong), None);
            assert_eq!(
                (status.exists, status.valid, status.state_name()),
                (true, false, "wrong definition"),
                "{wrong:?}"
            );
        }
        let task = index(TASK_INDEX, true, &["task_id"], Some("(task_id IS NOT NULL)"));
        assert!(index_status(&TASK_SPEC, "t", &[task], None).valid);
        let task = index(TASK_INDEX, true, &["task_id", "id"], None);
        let status = index_status(&TASK_SPEC, "t", &[task], None);
        assert!(status.reason().unwrap().contains("key (task_id, id)"), "{status:?}");
    }

    #[test]
    fn each_table_s_index_is_its_own() {
        // The plain name belongs to another table: this table's is its own, missing.
        let other = index(TASK_INDEX, false, &["task_id"], None);
        let status = index_status(&TASK_SPEC, "t", std::slice::from_ref(&other), None);
        assert_eq!((status.exists, status.object.as_str()), (false, "t_uniq_task_id"));
        assert!(status.note.as_deref().unwrap().contains("public.other"), "{status:?}");
        // ... and found under its own name once built.
        let mine = index("t_uniq_task_id", true, &["task_id"], None);
        let status = index_status(&TASK_SPEC, "t", &[other.clone(), mine], None);
        assert!(status.valid && status.object == "t_uniq_task_id", "{status:?}");
        // Both names taken by others: no name for it.
        let taken = index("t_uniq_task_id", false, &["task_id"], None);
        let status = index_status(&TASK_SPEC, "t", &[other, taken], None);
        assert!(matches!(status.problem, Some(Problem::NameTaken(_))), "{status:?}");
    }

    #[test]
    fn a_partitioned_table_gets_what_postgresql_can_enforce() {
        let by_type = Partitioning { strategy: "LIST".into(), columns: vec!["sync_type".into()] };
        let status = index_status(&TASK_SPEC, "t", &[], Some(&by_type));
        assert_eq!(status.state_name(), "not enforceable");
        assert!(status.reason().unwrap().contains("partition key (sync_type)"), "{status:?}");
        let by_user = Partitioning { strategy: "HASH".into(), columns: vec!["user_id".into()] };
        let status = index_status(&RUNNING_SPEC, "t", &[], Some(&by_user));
        assert!(matches!(status.problem, Some(Problem::PartitionedBuild(_))), "{status:?}");
        assert_eq!(index_status(&TASK_SPEC, "t", &[], Some(&by_user)).state_name(), "not enforceable");
    }
}
