//! One module per subcommand, each with one entry function `run`, and what several share.

pub mod add_constraints;
pub mod completions;
pub mod demo;
pub mod health;
pub mod inspect;
pub mod reap;
pub mod repair;
pub mod start;
pub mod validate;

use crate::Ctx;
use crate::table::Table;

/// Says, on stderr, how `timestamp without time zone` columns are read; returns it for JSON.
pub fn naive_note(table: &Table, ctx: &Ctx) -> Option<(Vec<String>, String)> {
    let columns = table.naive_timestamp_columns();
    if columns.is_empty() {
        return None;
    }
    ctx.printer.note(&format!(
        "{} is timestamp without time zone: read as {} (--timestamp-zone)",
        columns.join(" and "),
        ctx.global.timestamp_zone
    ));
    Some((columns.into_iter().map(String::from).collect(), ctx.global.timestamp_zone.clone()))
}
