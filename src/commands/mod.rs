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

/// For the read commands: when the server is a hot standby, says so, with its replay lag, and
/// warns when the lag is more than half the heartbeat timeout (live tasks then look silent,
/// their heartbeats not yet replayed). Returns what the server is.
pub async fn standby_note(client: &tokio_postgres::Client, ctx: &crate::Ctx) -> anyhow::Result<crate::db::Server> {
    let server = crate::db::server(client).await?;
    if !server.standby {
        return Ok(server);
    }
    let lag = server.replay_lag_seconds;
    let shown = lag.map_or("unknown (nothing replayed yet)".into(), crate::output::human_seconds);
    ctx.printer
        .note(&format!("this server is a standby (in recovery): what follows is as of its replay, {shown} behind"));
    let half = ctx.global.heartbeat_timeout.as_secs_f64() / 2.0;
    if lag.is_some_and(|l| l > half) {
        ctx.printer.warn(&format!(
            "the standby's replay lags {shown}, more than half the heartbeat timeout: live tasks may look silent \
             here; run it on the primary to act on what it shows"
        ));
    }
    Ok(server)
}
