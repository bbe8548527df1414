//! `add-constraints --print-sql`: the whole rollout as an idempotent psql script, rendered
//! without a connection from the same statement files the command runs, each wrapped in the
//! guard that makes it safe to rerun (a DO block for the CHECK, `IF NOT EXISTS` and a psql
//! `\if` that drops an INVALID leftover for the indexes).

use std::time::Duration;

use anyhow::Result;

use super::{
    CHECK_ADD, CHECK_VALIDATE, SCRIPT_CHECK_GUARD, SCRIPT_HEADER, SCRIPT_INDEX_GUARD, STATEMENT_TIMEOUT_LIFT, Step,
};
use crate::db::sql::{Placeholders, quote_ident};
use crate::error::UsageError;
use crate::table::{RUNNING_INDEX, TASK_INDEX, parse_name};

/// The psql variable the index guard sets to the INVALID index's qualified name.
const INDEX_VARIABLE: &str = ":syncctl_index";

/// The script for `--table spec` (written as in SQL), with `SET lock_timeout` from
/// `--lock-timeout`.
pub fn render(spec: &str, lock_timeout: Duration) -> Result<String> {
    let table = parse_name(spec)?.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join(".");
    // The name is spliced into templates and a dollar-quoted DO body; these would break them.
    if table.contains('{') || table.contains("$syncctl$") {
        return Err(UsageError::with_hint(
            format!("--print-sql cannot write a script for the table {spec}"),
            "rename the table, or run `syncctl add-constraints` itself",
        ));
    }
    let p = Placeholders { table: table.clone(), ..Placeholders::default() };
    let table_literal = literal(&table);
    let mut parts = vec![
        SCRIPT_HEADER.render(&p).replace("{lock_timeout}", &format!("{}ms", lock_timeout.as_millis())),
        SCRIPT_CHECK_GUARD
            .render(&p)
            .replace("{table_literal}", &table_literal)
            .replace("{statement}", CHECK_ADD.render(&p).trim_end()),
        terminated(STATEMENT_TIMEOUT_LIFT.text),
        terminated(&CHECK_VALIDATE.render(&p)),
    ];
    for index in [RUNNING_INDEX, TASK_INDEX] {
        parts.push(
            SCRIPT_INDEX_GUARD
                .render(&p)
                .replace("{table_literal}", &table_literal)
                .replace("{index_literal}", &literal(index))
                .replace("{drop}", Step::DropIndex(index).render(&p, INDEX_VARIABLE).trim_end()),
        );
        parts.push(terminated(&Step::CreateIndex(index).render(&p, "")));
    }
    Ok(parts.iter().map(|s| s.trim_end()).collect::<Vec<_>>().join("\n\n") + "\n")
}

/// A statement with its `;`.
fn terminated(sql: &str) -> String {
    format!("{};", sql.trim_end())
}

/// A string literal: the script runs in psql, which cannot bind parameters. The `E''` form
/// when there is a backslash reads the same whatever standard_conforming_strings says.
fn literal(text: &str) -> String {
    let body = text.replace('\'', "''");
    if body.contains('\\') { format!("E'{}'", body.replace('\\', "\\\\")) } else { format!("'{body}'") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_survive_quotes_and_backslashes() {
        assert_eq!(literal("\"public\".\"t\""), "'\"public\".\"t\"'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn the_script_quotes_the_table_everywhere() {
        let script = render("\"Sync Ops\".user_sync_status", Duration::from_millis(1500)).unwrap();
        assert!(script.contains("SET lock_timeout = '1500ms';"), "{script}");
        assert!(script.contains("ALTER TABLE \"Sync Ops\".\"user_sync_status\"\n  ADD CONSTRAINT"), "{script}");
        assert!(script.contains("conrelid = '\"Sync Ops\".\"user_sync_status\"'::regclass"), "{script}");
        assert!(script.contains("DROP INDEX CONCURRENTLY IF EXISTS :syncctl_index;"), "{script}");
        assert!(script.contains("ON \"Sync Ops\".\"user_sync_status\" (\"task_id\");"), "{script}");
        assert!(!script.contains('{'), "{script}");
        assert!(render("\"{x}\"", Duration::from_secs(2)).is_err());
    }
}
