//! `inspect`: lists rows with their states, worst first (by default only problem rows), with a
//! count per state. Read-only.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{NaiveTimestamps, Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{InspectArgs, Liveness, RowFormat};
use crate::db::Access;
use crate::db::queries::inspect::{self as queries, ClassifiedRow, RowsParams};
use crate::error;
use crate::exit::ExitStatus;
use crate::output::{self, serde_time};
use crate::state::{Classifier, State};

/// What `inspect` found: its JSON document as it is.
#[derive(Debug, Serialize)]
pub(crate) struct InspectReport {
    /// The database's clock.
    #[serde(with = "serde_time")]
    pub(crate) now: DateTime<Utc>,
    /// The heartbeat timeout in effect.
    pub(crate) heartbeat_timeout_seconds: f64,
    /// Rows per state over the rows --user / --task select, every state present.
    /// (`None` for `duplicate` when it was not searched: `--state` did not ask for it).
    #[serde(serialize_with = "counts")]
    pub(crate) counts: Vec<(State, Option<i64>)>,
    /// The rows shown, worst first.
    pub(crate) rows: Vec<ClassifiedRow>,
    /// Timestamp columns without time zone, and the zone they were read in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) naive_timestamps: Option<NaiveTimestamps>,
    /// On a standby, its replay lag (null when unknown); absent on a primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replay_lag_seconds: Option<Option<f64>>,
}

/// The counts as one JSON object, state names as keys.
fn counts<S: serde::Serializer>(counts: &[(State, Option<i64>)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(counts.iter().map(|(state, n)| (state.name(), n)))
}

/// Runs `inspect`.
pub(crate) async fn run(args: InspectArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let destination = output::Destination::chosen(&args.destination)?;
    let wanted = wanted_states(&args.states)?;
    let session = Session::open(ctx, &spec::INSPECT, Access::Read, Snapshot::ReadOnly).await?;
    let (client, table) = (&session.client, &session.table);

    let mut classifier =
        Classifier::new(ctx.global.heartbeat_timeout).filter(args.user.as_deref(), args.task.as_deref());
    // The duplicate search is the one costly part (an aggregate over every task_id without
    // uniq_task_id): done only when duplicates are to be shown.
    let duplicates = wanted.contains(&State::Duplicate);
    if duplicates {
        classifier.find_duplicates(client, table).await?;
    }
    if args.liveness == Liveness::Lock {
        classifier.find_lock_dead(client, table).await?;
    }
    let limit = i64::from(args.limit);
    // One after the other: when the server refuses a --user value, the first error is the one
    // that explains it (a pipelined second statement would only report the aborted transaction).
    let counts = queries::counts(client, table, &classifier).await.map_err(|e| classifier.explain_error(e, table))?;
    let rows = queries::classified_rows(client, table, &classifier, &RowsParams { states: &wanted, limit }).await?;
    session.finish().await?;
    if (args.user.is_some() || args.task.is_some()) && counts.per_state.iter().all(|(_, n)| *n == 0) {
        ctx.printer.note(&error::where_looked(format!("no row of {} matches {}", table.display(), selectors(&args))));
    }

    let report = InspectReport {
        now: counts.now,
        heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
        counts: counts
            .per_state
            .into_iter()
            .map(|(s, n)| (s, (s != State::Duplicate || duplicates).then_some(n)))
            .collect(),
        rows,
        naive_timestamps: session.naive,
        replay_lag_seconds: session.server.standby.then_some(session.server.replay_lag_seconds),
    };
    if report.rows.len() as i64 == limit {
        let first = if limit == 1 { "the first row".to_string() } else { format!("the first {limit} rows") };
        ctx.printer.note(&format!("showing {first} (--limit); the counts cover all of them"));
    }
    let text = match args.output.format() {
        RowFormat::Table => output::inspect::table(&report, destination.style(&ctx.printer)),
        RowFormat::Json => output::json(&report),
        RowFormat::Csv => output::inspect::csv(&report),
    };
    destination.write(&ctx.printer, &text)?;
    let problems = report.rows.iter().any(|r| r.states.iter().any(|s| s.is_problem()));
    Ok(if problems { ExitStatus::Problems } else { ExitStatus::Success })
}

/// The `--user` and `--task` given, as typed.
fn selectors(args: &InspectArgs) -> String {
    let user = args.user.as_ref().map(|u| format!("--user {u}"));
    let task = args.task.as_ref().map(|t| format!("--task {t}"));
    [user, task].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// `--state` values, `all`, or the problem states by default.
fn wanted_states(args: &[String]) -> Result<Vec<State>> {
    if args.is_empty() {
        return Ok(State::problems());
    }
    if args.iter().any(|a| a == "all") {
        return Ok(State::ALL.to_vec());
    }
    args.iter().flat_map(|a| a.split(',')).map(|a| a.trim().parse()).collect()
}
