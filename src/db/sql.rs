//! The SQL registry: every statement syncctl runs is a file under `sql/`, compiled in with
//! `include_str!`, and rendered here. The only text spliced into SQL is identifiers that went
//! through [`quote_ident`] (the table, the key columns) and other registered fragments; every
//! value is a `$n` parameter.

/// One statement (or fragment) from `sql/`.
#[derive(Debug, Clone, Copy)]
pub struct Statement {
    /// Its path under `sql/`.
    pub path: &'static str,
    /// Its text, comments included (they cost nothing and help whoever reads pg_stat_activity).
    pub text: &'static str,
}

/// Registers statements: one `Statement` const per file, and `STATEMENTS` listing them all.
/// Shared modules register theirs here; a command module may register its own with this macro.
#[macro_export]
macro_rules! statements {
    ($($name:ident = $path:literal;)*) => {
        $(
            #[doc = concat!("`sql/", $path, "`")]
            pub const $name: $crate::db::sql::Statement = $crate::db::sql::Statement {
                path: $path,
                text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/", $path)),
            };
        )*
        /// Every statement this module registers, for the test that finds unused files.
        pub const STATEMENTS: &[$crate::db::sql::Statement] = &[$($name),*];
    };
}

crate::statements! {
    SESSION_LOCAL = "session/local.sql";
    SESSION_SERVER = "session/server.sql";
    TABLE_RESOLVE = "table/resolve.sql";
    TABLE_COLUMNS = "table/columns.sql";
    TABLE_PRIMARY_KEY = "table/primary_key.sql";
    TABLE_CONSTRAINTS = "table/constraints.sql";
    TABLE_USER_IDENTITY = "table/user_identity.sql";
    TABLE_INDEX_NAMES = "table/index_names.sql";
    TABLE_PARTITION_KEY = "table/partition_key.sql";
    CLASSIFY = "state/classify.sql";
    DUPLICATES = "state/duplicates.sql";
    INSPECT_COUNTS = "inspect/counts.sql";
    INSPECT_ROWS = "inspect/rows.sql";
    HEALTH_STATISTICS = "health/statistics.sql";
    HEALTH_ZOMBIES = "health/zombies.sql";
    VALIDATE_VIOLATIONS = "validate/violations.sql";
}

/// Quotes an identifier for SQL: always, so case, spaces, dots and quotes survive.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What a statement's placeholders stand for on one table.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// `{table}`: the quoted, schema-qualified table.
    pub table: String,
    /// `{key}`: the primary key of row alias `t`, as text.
    pub key: String,
    /// `{user_hash}`: the hash function of user_id's type, quoted.
    pub user_hash: String,
}

impl Statement {
    /// The statement with `{classify}`, `{table}` and `{key}` filled in.
    pub fn render(&self, p: &Placeholders) -> String {
        self.text
            .replace("{classify}", CLASSIFY.text)
            .replace("{table}", &p.table)
            .replace("{key}", &p.key)
            .replace("{user_hash}", &p.user_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every registered statement of every module.
    fn all() -> Vec<Statement> {
        use crate::commands::{add_constraints, demo, reap, repair, start};
        [
            STATEMENTS,
            repair::STATEMENTS,
            reap::STATEMENTS,
            add_constraints::STATEMENTS,
            start::STATEMENTS,
            demo::STATEMENTS,
            crate::liveness::STATEMENTS,
        ]
        .concat()
    }

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote_ident("Sync Ops"), "\"Sync Ops\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    /// Every file under sql/ is registered, and every registered file exists.
    #[test]
    fn no_sql_file_is_unused() {
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
        let registered: Vec<&str> = all().iter().map(|s| s.path).collect();
        for file in &files {
            assert!(registered.contains(&file.as_str()), "sql/{file} is not registered (crate::statements!)");
        }
    }

    #[test]
    fn rendering_leaves_no_placeholder() {
        let p = Placeholders {
            table: "\"public\".\"t\"".into(),
            key: "t.\"id\"::text".into(),
            user_hash: "\"pg_catalog\".\"hashtext\"".into(),
        };
        for s in all() {
            let sql = s.render(&p);
            assert!(
                !sql.contains("{table}")
                    && !sql.contains("{key}")
                    && !sql.contains("{classify}")
                    && !sql.contains("{user_hash}"),
                "{}",
                s.path
            );
        }
    }
}
