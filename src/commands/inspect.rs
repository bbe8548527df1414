//! `inspect`: lists rows with their states, worst first (by default only problem rows), with a
//! count per state. Read-only.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::Ctx;
use crate::cli::{InspectArgs, Liveness, RowFormat};
use crate::db::{self, sql};
use crate::exit::ExitStatus;
use crate::output::{self, style};
use crate::state::{ClassifiedRow, Classifier, State};
use crate::table::Table;

/// What `inspect` found.
#[derive(Debug)]
pub struct Report {
    /// The database's clock.
    pub now: DateTime<Utc>,
    /// The heartbeat timeout in effect.
    pub heartbeat_timeout_seconds: f64,
    /// Rows per state over the rows --user / --task select, every state present.
    /// (`None` for `duplicate` when it was not searched: `--state` did not ask for it).
    pub counts: Vec<(State, Option<i64>)>,
    /// The rows shown, worst first.
    pub rows: Vec<ClassifiedRow>,
    /// Timestamp columns without time zone, and the zone they were read in.
    pub naive_timestamps: Option<(Vec<String>, String)>,
    /// The server: on a standby, its replay lag goes into the JSON (null when unknown).
    pub server: Option<crate::db::Server>,
}

/// Runs `inspect`.
pub async fn run(args: InspectArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let wanted = wanted_states(&args.states)?;
    let mut client = db::connect(&ctx.global, "inspect", db::Access::Read).await?;
    let server = crate::commands::standby_note(&client, ctx).await?;
    let tx = db::read_only(&mut client).await?;
    let table = Table::introspect(&tx, &ctx.global.table).await?;
    let naive = super::naive_note(&table, ctx);

    let mut classifier =
        Classifier::new(ctx.global.heartbeat_timeout).filter(args.user.as_deref(), args.task.as_deref());
    // The duplicate search is the one costly part (an aggregate over every task_id without
    // uniq_task_id): done only when duplicates are to be shown.
    let duplicates = wanted.contains(&State::Duplicate);
    if duplicates {
        classifier.find_duplicates(&tx, &table).await?;
    }
    if args.liveness == Liveness::Lock {
        classifier.find_lock_dead(&tx, &table).await?;
    }
    let names: Vec<&str> = wanted.iter().map(|s| s.name()).collect();
    let limit = i64::from(args.limit);
    let count_params = classifier.params();
    let mut row_params = classifier.params();
    row_params.push(&names);
    row_params.push(&limit);
    let (counts_sql, rows_sql) = (table.render(&sql::INSPECT_COUNTS), table.render(&sql::INSPECT_ROWS));
    // One after the other: when the server refuses a --user value, the first error is the one
    // that explains it (a pipelined second statement would only report the aborted transaction).
    let counts = crate::db::query::query_one(&tx, &counts_sql, &count_params)
        .await
        .map_err(|e| classifier.explain_error(e, &table))?;
    let rows = crate::db::query::query(&tx, &rows_sql, &row_params).await?;
    tx.commit().await?;

    let report = Report {
        now: counts.get("now"),
        heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
        counts: State::ALL
            .into_iter()
            .map(|s| (s, (s != State::Duplicate || duplicates).then(|| counts.get::<_, i64>(s.name()))))
            .collect(),
        rows: rows.iter().map(ClassifiedRow::from_row).collect(),
        naive_timestamps: naive,
        server: Some(server),
    };
    if report.rows.len() as i64 == limit {
        ctx.printer.note(&format!("showing the first {limit} rows (--limit); the counts cover all of them"));
    }
    let text = match args.output.format() {
        RowFormat::Table => render_table(&report, ctx),
        RowFormat::Json => render_json(&report),
        RowFormat::Csv => render_csv(&report),
    };
    ctx.printer.data(&text)?;
    let problems = report.rows.iter().any(|r| r.states.iter().any(|s| s.is_problem()));
    Ok(if problems { ExitStatus::Problems } else { ExitStatus::Success })
}

/// `--state` values, `all`, or the problem states by default.
fn wanted_states(args: &[String]) -> Result<Vec<State>> {
    if args.is_empty() {
        return Ok(State::PROBLEMS.to_vec());
    }
    if args.iter().any(|a| a == "all") {
        return Ok(State::ALL.to_vec());
    }
    args.iter().flat_map(|a| a.split(',')).map(|a| a.trim().parse()).collect()
}

/// The JSON document: `{now, heartbeat_timeout_seconds, counts, rows}`.
pub fn render_json(report: &Report) -> String {
    let counts: Map<String, Value> = report.counts.iter().map(|(s, n)| (s.name().to_string(), json!(n))).collect();
    let rows: Vec<Value> = report
        .rows
        .iter()
        .map(|r| {
            json!({
                "key": r.key,
                "user_id": r.user_id,
                "task_id": r.task_id,
                "states": r.states,
                "is_syncing": r.is_syncing,
                "progress_percentage": r.progress_percentage,
                "silent_seconds": r.silent_seconds,
                "started_at": output::timestamp_json(&r.started_at),
                "updated_at": output::timestamp_json(&r.updated_at),
                "error_message": r.error_message,
            })
        })
        .collect();
    let mut doc = json!({
        "now": output::timestamp(&report.now),
        "heartbeat_timeout_seconds": report.heartbeat_timeout_seconds,
        "counts": counts,
        "rows": rows,
    });
    if let Some((columns, zone)) = &report.naive_timestamps {
        doc["naive_timestamps"] = json!({ "columns": columns, "read_in": zone });
    }
    if let Some(server) = report.server.filter(|s| s.standby) {
        doc["replay_lag_seconds"] = json!(server.replay_lag_seconds);
    }
    format!("{doc:#}\n")
}

/// CSV: a header, then one line per row; states separated by `;`.
pub fn render_csv(report: &Report) -> String {
    let mut out = output::csv_line(&[
        "key",
        "user_id",
        "task_id",
        "states",
        "is_syncing",
        "progress_percentage",
        "silent_seconds",
        "started_at",
        "updated_at",
        "error_message",
    ]);
    let text = |v: Option<String>| v.unwrap_or_default();
    for r in &report.rows {
        out.push_str(&output::csv_line(&[
            r.key.clone(),
            text(r.user_id.clone()),
            text(r.task_id.clone()),
            r.states.iter().map(|s| s.name()).collect::<Vec<_>>().join(";"),
            text(r.is_syncing.map(|b| b.to_string())),
            text(r.progress_percentage.map(|p| p.to_string())),
            text(r.silent_seconds.map(|s| format!("{s:.3}"))),
            text(r.started_at.as_ref().map(output::timestamp)),
            text(r.updated_at.as_ref().map(output::timestamp)),
            text(r.error_message.clone()),
        ]));
    }
    out
}

/// The human table, then the count per state.
pub fn render_table(report: &Report, ctx: &Ctx) -> String {
    let mut out = String::new();
    if !report.rows.is_empty() {
        let mut table = output::table(&["user", "task", "state", "progress", "silent for", "started", "error"]);
        for r in &report.rows {
            let states = r.states.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ");
            let worst = r.states.first().copied();
            let painted = match worst {
                Some(s) if s.is_problem() => ctx.printer.paint(style::BAD, &states),
                _ => states,
            };
            table.add_row(vec![
                r.user_id.clone().unwrap_or_else(|| "NULL".into()),
                r.task_id.clone().unwrap_or_else(|| "NULL".into()),
                painted,
                r.progress_percentage.map_or("NULL".into(), |p| format!("{p}%")),
                r.silent_seconds.map_or("-".into(), output::human_seconds),
                r.started_at.as_ref().map_or("-".into(), output::timestamp_short),
                output::cut(r.error_message.as_deref().unwrap_or(""), 40),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(s, n)| format!("{} {}", s.name(), n.map_or("not searched".to_string(), |n| n.to_string())))
        .collect();
    out.push_str(&format!("counts: {}\n", counts.join(", ")));
    out
}
