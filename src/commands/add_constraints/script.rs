//! `add-constraints --print-sql`: the whole rollout as an idempotent psql script, rendered
//! without a connection from the same statement files the command runs, each wrapped in the
//! guard that makes it safe to rerun and keeps the command's rules: a DO block that adds the
//! CHECK only when it is missing and stops on one with another definition; for each index, a DO
//! block that picks the index's name on the server (the plain one, or the table's own when
//! another relation of the schema has it), stops on a wrong definition or another session's
//! build in progress, then `\gset` / `\if` to drop an INVALID leftover, and
//! `CREATE … IF NOT EXISTS` under the chosen name. Each step comes after the `SET lock_timeout`
//! of its bound (`--lock-timeout` or `--build-wait`).

use std::time::Duration;

use anyhow::Result;

use super::plan::{Bound, Bounds, Step, lock_timeout_sql};
use crate::db::queries::{
    ADD_CHECK_ADD, ADD_CHECK_VALIDATE, ADD_SCRIPT_CHECK_GUARD, ADD_SCRIPT_HEADER, ADD_SCRIPT_INDEX_GUARD,
    ADD_STATEMENT_TIMEOUT_LIFT, Fill, quote_ident,
};
use crate::error::UsageError;
use crate::table::{CHECK_PREDICATE, RUNNING_INDEX, TASK_INDEX, index_spec, own_index_name, parse_name};

/// The psql variable the index guard sets to the INVALID index's qualified name.
const INDEX_VARIABLE: &str = ":syncctl_index";

/// The psql variable the index guard sets to the index's name, interpolated as an identifier.
const NAME_VARIABLE: &str = ":\"syncctl_index_name\"";

/// The script for `--table spec` (written as in SQL), with the bounds of `--lock-timeout` and
/// `--build-wait`.
pub(crate) fn render(spec: &str, lock_timeout: Duration, build_wait: Duration) -> Result<String> {
    let parts = parse_name(spec)?;
    let table = parts.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join(".");
    // The name is spliced into templates and dollar-quoted DO bodies; these would break them.
    if table.contains('{') || table.contains("$syncctl$") {
        return Err(UsageError::with_hint(
            format!("--print-sql cannot write a script for the table {spec}"),
            "rename the table, or run `syncctl add-constraints` itself",
        ));
    }
    // The table's own name is known without a connection: its last part, as PostgreSQL folds it.
    let relname = parts.last().map(String::as_str).unwrap_or_default();
    let bounds = Bounds { lock_timeout, retries: 1, build_wait };
    let p = Fill::default().with("table", table.clone());
    let table_literal = literal(&table);
    let mut out = vec![
        ADD_SCRIPT_HEADER.render(&p),
        terminated(&lock_timeout_sql(Bound::Lock, &bounds)),
        ADD_SCRIPT_CHECK_GUARD.render(
            &p.clone()
                .with("table_literal", table_literal.clone())
                .with("predicate_literal", literal(&format!("CHECK ({CHECK_PREDICATE})")))
                .with("statement", ADD_CHECK_ADD.render(&p).trim_end()),
        ),
        terminated(ADD_STATEMENT_TIMEOUT_LIFT.text),
        terminated(&lock_timeout_sql(Bound::Build, &bounds)),
        terminated(&ADD_CHECK_VALIDATE.render(&p)),
    ];
    for role in [RUNNING_INDEX, TASK_INDEX] {
        let rules = index_spec(role);
        let predicates: Vec<String> = rules.predicates.iter().map(|p| literal(p)).collect();
        let drop =
            Step::DropIndex { role, name: String::new() }.statement().render(&p.clone().with("index", INDEX_VARIABLE));
        out.push(
            ADD_SCRIPT_INDEX_GUARD.render(
                &p.clone()
                    .with("table_literal", table_literal.clone())
                    .with("index_literal", literal(role))
                    .with("own_literal", literal(&own_index_name(relname, role)))
                    .with("key_literal", literal(rules.key))
                    .with("predicates", format!("ARRAY[{}]::text[]", predicates.join(", ")))
                    .with("total", if rules.total { "true" } else { "false" })
                    .with("expected_literal", literal(rules.expected))
                    .with("drop", drop.trim_end()),
            ),
        );
        let create =
            Step::CreateIndex { role, name: String::new() }.statement().render(&p.clone().with("index", NAME_VARIABLE));
        out.push(terminated(&create));
    }
    Ok(out.iter().map(|s| s.trim_end()).collect::<Vec<_>>().join("\n\n") + "\n")
}

/// A statement with its `;`.
fn terminated(sql: &str) -> String {
    format!("{};", sql.trim_end())
}

/// A string literal: the script runs in psql, which cannot bind parameters. The `E''` form
/// when there is a backslash reads the same whatever standard_conforming_strings says.
pub(crate) fn literal(text: &str) -> String {
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
        let script =
            render("\"Sync Ops\".user_sync_status", Duration::from_millis(1500), Duration::from_secs(600)).unwrap();
        assert!(script.contains("SET lock_timeout = '1500ms';"), "{script}");
        assert!(script.contains("SET lock_timeout = '600000ms';"), "{script}");
        assert!(script.contains("ALTER TABLE \"Sync Ops\".\"user_sync_status\"\n  ADD CONSTRAINT"), "{script}");
        assert!(script.contains("tbl      regclass := '\"Sync Ops\".\"user_sync_status\"'::regclass"), "{script}");
        assert!(script.contains("DROP INDEX CONCURRENTLY IF EXISTS :syncctl_index;"), "{script}");
        assert!(
            script
                .contains("IF NOT EXISTS :\"syncctl_index_name\" ON \"Sync Ops\".\"user_sync_status\" (\"task_id\");")
        );
        assert!(script.contains("'user_sync_status_uniq_task_id'"), "{script}");
        assert!(!script.contains('{'), "{script}");
        assert!(render("\"{x}\"", Duration::from_secs(2), Duration::from_secs(2)).is_err());
    }

    #[test]
    fn the_short_bound_comes_before_add_constraint_and_the_long_one_after() {
        let script = render("user_sync_status", Duration::from_secs(2), Duration::from_secs(600)).unwrap();
        let short = script.find("SET lock_timeout = '2000ms'").unwrap();
        let add = script.find("\n  ADD CONSTRAINT \"chk_sync_state_consistency\"").unwrap();
        let long = script.find("SET lock_timeout = '600000ms'").unwrap();
        let validate = script.find("VALIDATE CONSTRAINT \"chk_sync_state_consistency\";").unwrap();
        let build = script.find("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS").unwrap();
        assert!(short < add && add < long && long < validate && validate < build, "{script}");
    }
}
