//! The one seam between SQL and Rust. Every statement syncctl runs is a file under `sql/`,
//! compiled in by the one registry below and run by one function of a submodule, which alone
//! knows the statement's parameters (a params struct, in `$n` order) and its columns (a row
//! struct, read by name). The only text spliced into SQL goes through the one template
//! mechanism ([`Fill`]): identifiers quoted by [`quote_ident`], registered fragments, and the
//! state lists generated from [`crate::state::State`]; every value is a `$n` parameter.
//!
//! Comments in `sql/` are for the DBA who reads a statement (printed by `--dry-run` and
//! `--print-sql`, or seen in pg_stat_activity). Notes on the template itself (which
//! placeholder holds what) are for whoever edits the file: they start with `---`, and
//! rendering drops them.

pub(crate) mod add_constraints;
pub(crate) mod demo;
pub(crate) mod guard;
pub(crate) mod health;
pub(crate) mod inspect;
pub(crate) mod liveness;
pub(crate) mod reap;
pub(crate) mod repair;
pub(crate) mod session;
pub(crate) mod start;
pub(crate) mod state;
pub(crate) mod table;
pub(crate) mod validate;

use tokio_postgres::Row;

use crate::db::query::Sql;
use crate::state::State;

/// One statement (or fragment) from `sql/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Statement {
    /// Its path under `sql/`.
    pub(crate) path: &'static str,
    /// Its text, comments included (they cost nothing and help whoever reads pg_stat_activity).
    pub(crate) text: &'static str,
}

/// The registry: one `Statement` const per file under `sql/`, named after its path. The consts
/// are `pub(crate)`, so the compiler reports one that no query uses; the test below reports a
/// file that is not registered.
macro_rules! registry {
    ($($name:ident = $path:literal;)*) => {
        $(
            #[doc = concat!("`sql/", $path, "`")]
            pub(crate) const $name: Statement = Statement {
                path: $path,
                text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/", $path)),
            };
        )*
        /// Every registered statement, for the tests.
        #[cfg(test)]
        pub(crate) const ALL: &[Statement] = &[$($name),*];
    };
}

registry! {
    SCHEMA = "schema.sql";
    FIXTURES_INCIDENT = "fixtures/incident.sql";
    DEMO_POPULATION = "demo/population.sql";
    DEMO_SCRIPT = "demo/script.sql";
    SESSION_LOCAL = "session/local.sql";
    SESSION_SERVER = "session/server.sql";
    TABLE_INTROSPECT = "table/introspect.sql";
    TABLE_USER_IDENTITY = "table/user_identity.sql";
    TABLE_HASH_FUNCTION = "table/hash_function.sql";
    STATE_CLASSIFY = "state/classify.sql";
    STATE_DUPLICATES = "state/duplicates.sql";
    STATE_DUPLICATES_PLAN = "state/duplicates_plan.sql";
    STATE_DUPLICATE_HASHES = "state/duplicate_hashes.sql";
    STATE_WORK_MEM = "state/work_mem.sql";
    STATE_SKEW_OFFSET = "state/skew_offset.sql";
    STATE_WRITTEN_SINCE_CHECKPOINT = "state/written_since_checkpoint.sql";
    STATE_WRITTEN_BY_COMMIT_TIME = "state/written_by_commit_time.sql";
    STATE_DURATION = "state/duration.sql";
    INSPECT_COUNTS = "inspect/counts.sql";
    INSPECT_ROWS = "inspect/rows.sql";
    HEALTH_REPORT = "health/report.sql";
    VALIDATE_VIOLATIONS = "validate/violations.sql";
    LIVENESS_KEY = "liveness/key.sql";
    LIVENESS_HOLD = "liveness/hold.sql";
    LIVENESS_PROBE = "liveness/probe.sql";
    LIVENESS_RUNNING = "liveness/running.sql";
    LIVENESS_BACKEND = "liveness/backend.sql";
    REPAIR_PLAN = "repair/plan.sql";
    REPAIR_APPLY = "repair/apply.sql";
    REPAIR_RELEASE_NAMED = "repair/release_named.sql";
    REPAIR_RETURNING = "repair/returning.sql";
    REAP_DEAD_ROWS = "reap/dead_rows.sql";
    REAP_BATCH = "reap/batch.sql";
    REAP_LOCK_WAIT = "reap/lock_wait.sql";
    REAP_DRY_RUN = "reap/dry_run.sql";
    START_LOCK_USER = "start/lock_user.sql";
    START_ROWS = "start/rows.sql";
    START_USER_HAS_ROW = "start/user_has_row.sql";
    START_RELEASE_DEAD = "start/release_dead.sql";
    START_INSERT_TASK = "start/insert_task.sql";
    START_UPDATE_TASK = "start/update_task.sql";
    START_BEAT = "start/beat.sql";
    START_RELEASE = "start/release.sql";
    START_RELEASED = "start/released.sql";
    ADD_CHECK_ADD = "add_constraints/check_add.sql";
    ADD_CHECK_VALIDATE = "add_constraints/check_validate.sql";
    ADD_CHECK_DROP = "add_constraints/check_drop.sql";
    ADD_RUNNING_INDEX_CREATE = "add_constraints/running_index_create.sql";
    ADD_TASK_INDEX_CREATE = "add_constraints/task_index_create.sql";
    ADD_INDEX_DROP = "add_constraints/index_drop.sql";
    ADD_STATEMENT_TIMEOUT_LIFT = "add_constraints/statement_timeout_lift.sql";
    ADD_STEP_BOUND = "add_constraints/step_bound.sql";
    ADD_BUILDS = "add_constraints/builds.sql";
    ADD_DATA_GATE = "add_constraints/data_gate.sql";
    ADD_REPAIR_STEP = "add_constraints/repair_step.sql";
    ADD_SCRIPT_HEADER = "add_constraints/script_header.sql";
    ADD_SCRIPT_LOCK_WAIT = "add_constraints/script_lock_wait.sql";
    ADD_SCRIPT_BUILD_WAIT = "add_constraints/script_build_wait.sql";
    ADD_SCRIPT_CHECK_GUARD = "add_constraints/script_check_guard.sql";
    ADD_SCRIPT_INDEX_GUARD = "add_constraints/script_index_guard.sql";
    GUARD_FUNCTION = "guard/function.sql";
    GUARD_TRIGGER = "guard/trigger.sql";
    GUARD_TRIGGER_CURRENT = "guard/trigger_current.sql";
    GUARD_CLAIM = "guard/claim.sql";
    GUARD_HEARTBEAT = "guard/heartbeat.sql";
    GUARD_RELEASE = "guard/release.sql";
    GUARD_OBJECTS = "guard/objects.sql";
    GUARD_STATUS = "guard/status.sql";
    GUARD_REMOVE = "guard/remove.sql";
    GUARD_SCRIPT_HEADER = "guard/script_header.sql";
    GUARD_SCRIPT_COMMIT = "guard/script_commit.sql";
}

/// Every `{placeholder}` a file under `sql/` may hold, and what fills it. A test checks that
/// every placeholder of every file is one of these and that rendering leaves none behind.
pub(crate) const PLACEHOLDERS: &[(&str, &str)] = &[
    ("table", "the table, quoted and schema-qualified"),
    ("key", "the primary key of row alias t as text (partition and ctid without one)"),
    ("user_hash", "the hash function of user_id's type, quoted"),
    ("task_hash", "a 64-bit hash of row alias t's task_id, agreeing with its type's =, state/duplicates_plan.sql"),
    ("classify", "the classifier, state/classify.sql, filled for the table"),
    ("skew_offset", "a shifted writer's clock offset of row alias t, state/skew_offset.sql"),
    ("still_written", "whether row alias t keeps being written, state/written_*.sql (as the server tracks it)"),
    ("duration", "a duration for people of column s, state/duration.sql"),
    ("state_names", "a text[] of the states of a classified row, worst first (from State)"),
    ("state_counts", "one count(*) FILTER per state, named after its column (from State)"),
    ("state_order", "the states' columns in severity order, DESC (from State)"),
    ("state_filter", "the asked states' columns joined by OR (from State)"),
    ("returning", "repair's shared RETURNING clause, repair/returning.sql"),
    ("row_lock", "a reap batch's row locks: empty, or FOR UPDATE SKIP LOCKED (reap/batch.sql)"),
    ("index", "an index: quoted for a build, schema-qualified for a drop, or a psql variable"),
    ("lock_timeout", "--lock-timeout in milliseconds, in a script"),
    ("build_wait", "--build-wait in milliseconds, in a script"),
    ("statement", "the statement a script's guard runs"),
    ("drop", "the drop statement of an index guard"),
    ("table_literal", "the quoted table as a string literal"),
    ("predicate_literal", "the CHECK's definition as a string literal"),
    ("index_literal", "an index's plain name as a string literal"),
    ("own_literal", "an index's table-specific name as a string literal"),
    ("key_literal", "an index's key column as a string literal"),
    ("expected_literal", "an index's expected definition as a string literal"),
    ("predicates", "an index's accepted predicates as a text[] literal"),
    ("total", "whether an index must be total (true / false)"),
    ("schema", "the reference table, schema.sql, in the demo's script"),
    ("incident", "the incident, fixtures/incident.sql, filled, in the demo's script"),
    ("population", "the population, demo/population.sql, filled, in the demo's script"),
    ("users", "how many users the demo's script loads"),
    ("guard_function", "the guard's trigger function, quoted and schema-qualified"),
    ("guard_function_literal", "the guard's trigger function with its (), as a string literal"),
    ("claim_function", "the guard API's claim function, quoted and schema-qualified"),
    ("heartbeat_function", "the guard API's heartbeat function, quoted and schema-qualified"),
    ("release_function", "the guard API's release function, quoted and schema-qualified"),
    ("trigger", "the guard's trigger, quoted"),
    ("trigger_literal", "the guard's trigger's name as a string literal"),
    ("trigger_current", "guard/trigger_current.sql, filled"),
    ("guard_objects", "the guard's objects and their status, guard/objects.sql, filled for the guard"),
    ("timestamp_zone", "--timestamp-zone as a string literal"),
    ("server", "what the server is, session/server.sql, as a subquery"),
    ("user_identity", "how user_id compares, table/user_identity.sql, as a subquery"),
    ("hash_function", "the hash function of a column's type, table/hash_function.sql, filled"),
    ("hashed_column", "the column whose hash function table/hash_function.sql finds, as a string literal"),
    ("hash_support", "which hash support function table/hash_function.sql finds: 1 (32-bit) or 2 (64-bit)"),
    ("user_identity_literal", "table/user_identity.sql as a string literal"),
    ("update_task_literal", "start/update_task.sql, filled, as a string literal"),
    ("insert_task_literal", "start/insert_task.sql, filled, as a string literal"),
];

/// Quotes an identifier for SQL: always, so case, spaces, dots and quotes survive.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The values of a statement's `{placeholders}` ([`PLACEHOLDERS`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fill {
    values: Vec<(&'static str, String)>,
}

impl Fill {
    /// Sets (or replaces) one placeholder's value.
    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Fill {
        debug_assert!(PLACEHOLDERS.iter().any(|(known, _)| *known == name), "unknown placeholder {{{name}}}");
        self.values.retain(|(n, _)| *n != name);
        self.values.push((name, value.into()));
        self
    }

    /// The fill of a table's statements: the table, its key, its user hash, the classifier
    /// filled for the table (its shifted-clock rule chosen for the server of the last
    /// transaction: [`session::commit_timestamps`]), and the state lists.
    pub(crate) fn table(table: &str, key: &str, user_hash: &str) -> Fill {
        let base = Fill::default().with("table", table).with("key", key).with("user_hash", user_hash);
        let written =
            if session::commit_timestamps() { STATE_WRITTEN_BY_COMMIT_TIME } else { STATE_WRITTEN_SINCE_CHECKPOINT };
        let still_written = written.render(&base);
        let base = base.with("still_written", still_written.trim_end());
        let skew_offset = STATE_SKEW_OFFSET.render(&base);
        let base = base.with("skew_offset", skew_offset.trim_end()).with("duration", duration());
        let classify = STATE_CLASSIFY.render(&base);
        base.with("classify", classify.trim_end())
            .with("state_names", State::names_sql())
            .with("state_counts", State::counts_sql())
            .with("state_order", State::order_sql())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// The fragment that says a duration for people in SQL, state/duration.sql.
pub(crate) fn duration() -> String {
    STATE_DURATION.render(&Fill::default()).trim_end().to_string()
}

/// table/hash_function.sql filled for `column` and hash support function `support` (1 or 2).
pub(crate) fn hash_function(column: &str, support: u8) -> String {
    let fill = Fill::default().with("hashed_column", format!("'{column}'")).with("hash_support", support.to_string());
    TABLE_HASH_FUNCTION.render(&fill).trim_end().to_string()
}

/// table/user_identity.sql filled: its hash function is user_id's 32-bit one.
pub(crate) fn user_identity() -> String {
    let fill = Fill::default().with("hash_function", hash_function("user_id", 1));
    TABLE_USER_IDENTITY.render(&fill).trim_end().to_string()
}

/// A statement filled for one use, with its name.
#[derive(Debug, Clone)]
pub(crate) struct Filled {
    /// The statement's path under `sql/`.
    path: &'static str,
    /// Its text, filled.
    text: String,
}

impl From<Filled> for String {
    fn from(filled: Filled) -> String {
        filled.text
    }
}

impl<'a> From<&'a Filled> for Sql<'a> {
    fn from(filled: &'a Filled) -> Sql<'a> {
        Sql { path: filled.path, text: &filled.text }
    }
}

impl From<&Statement> for Sql<'static> {
    fn from(statement: &Statement) -> Sql<'static> {
        Sql { path: statement.path, text: statement.text }
    }
}

impl Statement {
    /// The statement filled with `fill` ([`Statement::render`]), to send.
    pub(crate) fn filled(&self, fill: &Fill) -> Filled {
        Filled { path: self.path, text: self.render(fill) }
    }

    /// The statement with every `{placeholder}` that `fill` has replaced by its value, and
    /// without the template's own notes (lines starting `---`). In a comment (`--` to the end of
    /// the line) only one-line values are replaced: a fragment of several lines would end the
    /// comment and become code. Values are not scanned again.
    pub(crate) fn render(&self, fill: &Fill) -> String {
        let mut out = String::with_capacity(self.text.len());
        for (code, comment) in lines(self.text) {
            if code.trim().is_empty() && comment.starts_with(TEMPLATE_NOTE) {
                continue;
            }
            substitute(&mut out, code, |name| fill.get(name));
            substitute(&mut out, comment, |name| fill.get(name).filter(|v| !v.contains('\n')));
        }
        out
    }

    /// The `{placeholders}` of the statement's code, in order, repeated as they appear.
    #[cfg(test)]
    fn placeholders(&self) -> Vec<&'static str> {
        placeholders(self.text)
    }
}

/// The `{placeholders}` of the code of `text`.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    {
        let mut found = Vec::new();
        for (code, _) in lines(text) {
            let mut rest = code;
            while let Some((_, name, after)) = next_placeholder(rest) {
                found.push(name);
                rest = after;
            }
        }
        found
    }
}

/// How a comment line that only the template's maintainers need begins.
const TEMPLATE_NOTE: &str = "---";

/// Each line of `text` (its newline kept) split into its code and its `--` comment.
fn lines(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split_inclusive('\n').map(|line| line.split_at(line.find("--").unwrap_or(line.len())))
}

/// Appends `text` to `out` with each `{name}` that `value` knows replaced.
fn substitute<'a>(out: &mut String, text: &str, value: impl Fn(&str) -> Option<&'a str>) {
    let mut rest = text;
    while let Some((before, name, after)) = next_placeholder(rest) {
        out.push_str(before);
        match value(name) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[before.len()..rest.len() - after.len()]),
        }
        rest = after;
    }
    out.push_str(rest);
}

/// The first `{name}` of `code`: the text before it, the name, and the text after it.
fn next_placeholder(code: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    while let Some(open) = code[from..].find('{').map(|i| from + i) {
        let after = &code[open + 1..];
        let len = after.find(|c: char| !(c.is_ascii_lowercase() || c == '_')).unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            return Some((&code[..open], &after[..len], &after[len + 1..]));
        }
        from = open + 1;
    }
    None
}

/// A statement's row, read by column name: the only place where `Row::get` is called.
pub(crate) trait FromRow: Sized {
    /// Reads one row; a column missing or of another type is an error, not a panic.
    fn from_row(row: &Row) -> Result<Self, tokio_postgres::Error>;
}

/// Reads every row.
pub(crate) fn rows<T: FromRow>(rows: &[Row]) -> Result<Vec<T>, tokio_postgres::Error> {
    rows.iter().map(T::from_row).collect()
}

/// A row struct whose fields are the statement's columns, by name.
macro_rules! row {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name {
            $($(#[$field_meta])* pub(crate) $field: $ty,)*
        }

        impl $crate::db::queries::FromRow for $name {
            fn from_row(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
                Ok($name { $($field: row.try_get(stringify!($field))?,)* })
            }
        }
    };
}
pub(crate) use row;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote_ident("Sync Ops"), "\"Sync Ops\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    /// Every file under sql/ is registered, and every registered file exists.
    #[test]
    fn no_sql_file_is_unregistered() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if path.extension().is_some_and(|e| e == "sql") {
                    out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        let registered: Vec<&str> = ALL.iter().map(|s| s.path).collect();
        for file in &files {
            assert!(registered.contains(&file.as_str()), "sql/{file} is not in the registry (db/queries/mod.rs)");
        }
    }

    /// A fill with a value for every placeholder, each value naming its placeholder.
    fn full() -> Fill {
        PLACEHOLDERS.iter().fold(Fill::default(), |f, (name, _)| f.with(name, format!("<{name}>")))
    }

    /// Every placeholder of every file's code is a known one (PLACEHOLDERS says what it is), and
    /// rendering replaces each of them.
    #[test]
    fn every_placeholder_of_every_file_is_known_and_filled() {
        let fill = full();
        for statement in ALL {
            let rendered = statement.render(&fill);
            for name in statement.placeholders() {
                assert!(
                    PLACEHOLDERS.iter().any(|(known, _)| *known == name),
                    "sql/{}: {{{name}}} is not in PLACEHOLDERS",
                    statement.path
                );
                assert!(!placeholders(&rendered).contains(&name), "sql/{}: {{{name}}} left", statement.path);
                assert!(rendered.contains(&format!("<{name}>")), "sql/{}: {{{name}}} not filled", statement.path);
            }
        }
    }

    /// Every known placeholder is used by some file: none is left from a statement since removed.
    #[test]
    fn every_placeholder_is_used() {
        for (name, _) in PLACEHOLDERS {
            assert!(ALL.iter().any(|s| s.placeholders().contains(name)), "{{{name}}} is used by no file");
        }
    }

    /// What a statement prints (`--dry-run`, `--print-sql`) has the DBA's comments and none of
    /// the template's notes, which every file marks as such.
    #[test]
    fn rendering_drops_the_notes_on_the_template() {
        let statement =
            Statement { path: "t", text: "-- For the DBA.\n--- Placeholder: {table}.\nSELECT 1 --- a note\n" };
        assert_eq!(statement.render(&full()), "-- For the DBA.\nSELECT 1 --- a note\n");
        for statement in ALL {
            let rendered = statement.render(&full());
            assert!(
                !rendered.contains("Placeholder"),
                "sql/{}: a note on the template is not marked ---",
                statement.path
            );
            assert!(!rendered.lines().any(|l| l.trim_start().starts_with(TEMPLATE_NOTE)), "sql/{}", statement.path);
        }
    }

    #[test]
    fn a_value_is_not_scanned_again_and_other_braces_stay() {
        let statement =
            Statement { path: "t", text: "-- {table} from {classify}\nSELECT '{}', '{a,b}', {table} FROM {x}" };
        let fill = Fill::default().with("table", "{key}").with("classify", "SELECT\n1");
        assert_eq!(statement.render(&fill), "-- {key} from {classify}\nSELECT '{}', '{a,b}', {key} FROM {x}");
    }

    /// The table's fill renders every statement that names the table completely.
    #[test]
    fn a_table_fill_leaves_no_table_placeholder() {
        let fill = Fill::table("\"public\".\"t\"", "t.\"id\"::text", "\"pg_catalog\".\"hashtext\"");
        let table_names = ["table", "key", "user_hash", "classify", "state_names", "state_counts", "state_order"];
        for statement in ALL {
            let rendered = statement.render(&fill);
            for name in table_names {
                assert!(!placeholders(&rendered).contains(&name), "sql/{}: {{{name}}} left", statement.path);
            }
        }
    }
}
