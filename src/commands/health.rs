//! `health`: the health report of the original service (same JSON keys) with monitoring-plugin exit codes,
//! as a human summary, the seed's JSON, or Prometheus text. It always answers: when it cannot
//! ask, the report says so (`"healthy": false`, `"error"`) and the verdict is UNKNOWN.

use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::guard::{self, GuardStatus, WithGuard};
use super::{Session, Snapshot, spec};
use crate::Ctx;
use crate::cli::{HealthArgs, HealthFormat};
use crate::db::queries::guard::Guard;
use crate::db::queries::health::{self as queries, HeartbeatCost, Statistics, Zombie};
use crate::db::{Access, Server};
use crate::error;
use crate::exit::{ExitStatus, Level};
use crate::output::{self, serde_time};
use crate::state::Classifier;
use crate::table::{ConstraintStatus, Problem, Table};

/// What `health` found: the seed's JSON document, plus `status`, `warnings`, `constraints`,
/// `table` and `heartbeat_timeout_seconds` beside it, as it is.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HealthReport {
    /// The seed's `healthy`: no zombies and no inconsistent rows (false when it could not ask).
    pub(crate) healthy: bool,
    /// The database's clock (the local clock when it could not be asked).
    #[serde(with = "serde_time")]
    pub(crate) timestamp: DateTime<Utc>,
    /// The statistics, when they could be gathered.
    pub(crate) statistics: Option<Statistics>,
    /// Up to five zombies, the longest silent first.
    #[serde(rename = "zombie_task_details")]
    pub(crate) zombies: Vec<Zombie>,
    /// The monitoring verdict.
    #[serde(serialize_with = "level_name")]
    pub(crate) status: Level,
    /// Why the verdict is WARNING.
    pub(crate) warnings: Vec<String>,
    /// The three constraints.
    pub(crate) constraints: Vec<ConstraintStatus>,
    /// The table, as named on the command line or found in the catalog.
    pub(crate) table: String,
    /// The heartbeat timeout in effect.
    pub(crate) heartbeat_timeout_seconds: f64,
    /// Rows in state skewed, when the statistics were gathered (beside the seed's
    /// `statistics`, which it does not extend).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) skewed_tasks: Option<i64>,
    /// Why the report could not be made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// On a standby, its replay lag (null when unknown); absent on a primary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replay_lag_seconds: Option<Option<f64>>,
    /// What the heartbeats cost the table, when the statistics were gathered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) heartbeat_cost: Option<HeartbeatReport>,
}

/// [`HeartbeatCost`] with the share of HOT updates (to the thousandth; null before any update).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HeartbeatReport {
    /// The counts and the indexes.
    #[serde(flatten)]
    pub(crate) cost: HeartbeatCost,
    /// hot_updates / updates.
    pub(crate) hot_ratio: Option<f64>,
}

impl From<HeartbeatCost> for HeartbeatReport {
    fn from(cost: HeartbeatCost) -> HeartbeatReport {
        let hot_ratio = cost.hot_ratio().map(|r| (r * 1000.0).round() / 1000.0);
        HeartbeatReport { cost, hot_ratio }
    }
}

/// The verdict as monitoring systems print it.
fn level_name<S: serde::Serializer>(level: &Level, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(level.name())
}

/// The seed's `healthy` and the monitoring verdict of `statistics` (none: it could not ask)
/// and `warnings`.
fn verdict(statistics: Option<&Statistics>, warnings: &[String]) -> (bool, Level) {
    let Some(s) = statistics else { return (false, Level::Unknown) };
    let healthy = s.zombie_tasks == 0 && s.inconsistent_tasks == 0;
    let level = if !healthy {
        Level::Critical
    } else if !warnings.is_empty() {
        Level::Warning
    } else {
        Level::Ok
    };
    (healthy, level)
}

/// Runs `health`.
pub(crate) async fn run(args: HealthArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let format = if args.json { HealthFormat::Json } else { args.format };
    let destination = output::Destination::chosen(&args.destination)?;
    let (report, guard) = match gather(ctx).await {
        Ok(gathered) => gathered,
        Err(err) => (unanswered(&err, ctx), None),
    };
    let text = match format {
        HealthFormat::Table => {
            let style = destination.style(&ctx.printer);
            let guard = guard.as_ref().map(|g| format!("{}\n", output::guard::line(g, style)));
            output::health::table(&report, style) + guard.as_deref().unwrap_or_default()
        }
        HealthFormat::Json => output::json(&WithGuard { report: &report, guard: guard.as_ref() }),
        HealthFormat::Prometheus => output::health::prometheus(&report),
    };
    destination.write(&ctx.printer, &text)?;
    Ok(ExitStatus::Monitoring(report.status))
}

/// Reads the table in one snapshot and makes the report, with the guard's status.
async fn gather(ctx: &Ctx) -> Result<(HealthReport, Option<GuardStatus>)> {
    let session = Session::open(ctx, &spec::HEALTH, Access::Read, Snapshot::ReadOnly).await?;
    let (client, table) = (&session.client, &session.table);
    // Duplicates are not part of the seed's figures, and finding them costs an aggregate over
    // every task_id; the unique indexes' status (a warning when missing) covers them.
    let classifier = Classifier::new(ctx.global.heartbeat_timeout);
    let guard = Guard::new(&table.schema, &table.name, &ctx.global.timestamp_zone);
    // The COMMIT is sent behind the report without waiting for it: one round trip for both.
    let (report, finished) = tokio::join!(queries::report(client, table, &classifier, &guard), session.finish());
    let queries::Report { statistics, zombies, guard: objects, cost } = report?;
    finished?;
    let guard = GuardStatus::of(table, objects);

    let mut warnings = warnings(table, &statistics, session.server, ctx.global.heartbeat_timeout);
    warnings.extend(cost.rewritten_indexes.iter().map(|index| {
        format!(
            "index {index} covers a column every heartbeat rewrites: no heartbeat can be a HOT update, each \
             writes new entries into every index of the table and leaves dead ones behind; syncctl needs only \
             the three constraint objects: consider dropping it"
        )
    }));
    // A missing guard is a choice; one that differs from what install makes guarantees less
    // than it seems to.
    if guard.state == guard::State::Outdated {
        warnings
            .push("the guard is outdated (it differs from what install creates): run `syncctl guard install`".into());
    }
    let (healthy, status) = verdict(Some(&statistics), &warnings);
    let report = HealthReport {
        healthy,
        timestamp: statistics.now,
        skewed_tasks: Some(statistics.skewed_tasks),
        statistics: Some(statistics),
        zombies,
        status,
        warnings,
        constraints: table.constraints.clone(),
        table: table.display(),
        heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
        error: None,
        replay_lag_seconds: session.server.standby.then_some(session.server.replay_lag_seconds),
        heartbeat_cost: Some(cost.into()),
    };
    Ok((report, Some(guard)))
}

/// The report when the table could not be read: the error, said on stderr too, and UNKNOWN.
fn unanswered(err: &anyhow::Error, ctx: &Ctx) -> HealthReport {
    let classified = error::classify_for(err, &spec::HEALTH, &ctx.global.table);
    let message = crate::redact(&classified.message, &ctx.global);
    ctx.printer.error(&message, classified.hint.as_deref());
    let (healthy, status) = verdict(None, &[]);
    HealthReport {
        healthy,
        timestamp: Utc::now(),
        statistics: None,
        zombies: Vec::new(),
        status,
        warnings: Vec::new(),
        constraints: Vec::new(),
        table: ctx.global.table.clone(),
        heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
        skewed_tasks: None,
        error: Some(message),
        replay_lag_seconds: None,
        heartbeat_cost: None,
    }
}

/// Why the verdict is WARNING, if it is: constraints that do not hold, skewed rows, a standby
/// lagging more than half the heartbeat timeout, half-released live rows, in that order.
fn warnings(table: &Table, statistics: &Statistics, server: Server, heartbeat_timeout: Duration) -> Vec<String> {
    let mut warnings: Vec<String> = table.constraints.iter().filter(|c| !c.valid).map(constraint_warning).collect();
    let future = statistics.skewed_tasks - statistics.shifted_tasks;
    if future > 0 {
        warnings.push(format!(
            "{} timestamps more than a minute in the future (a clock or time-zone bug): \
             see `syncctl inspect --state skewed`",
            output::count(future as usize, "row has", "rows have")
        ));
    }
    if statistics.shifted_tasks > 0 {
        let offsets: Vec<String> = statistics.shifted_offsets.iter().map(|&o| output::offset(o)).collect();
        let more = statistics.shifted_tasks - statistics.shifted_task_ids.len() as i64;
        warnings.push(format!(
            "{} still written but with heartbeats shifted by {} (a writer storing naive UTC in a session \
             of another time zone): task {}{}; not counted as zombies, and reap leaves them unless \
             --confirm sees them unchanged: see `syncctl inspect --state skewed`",
            output::count(statistics.shifted_tasks as usize, "running row is", "running rows are"),
            offsets.join(", "),
            statistics.shifted_task_ids.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    if let Some(lag) = server.replay_lag_seconds.filter(|l| *l > heartbeat_timeout.as_secs_f64() / 2.0) {
        warnings.push(format!(
            "this standby's replay lags {}, more than half the heartbeat timeout: live tasks may look silent here",
            output::human_seconds(lag)
        ));
    }
    if statistics.half_released_live_tasks > 0 {
        warnings.push(format!(
            "{} an error message (half-released): see `syncctl inspect --state half-released`",
            output::count(statistics.half_released_live_tasks as usize, "running row carries", "running rows carry")
        ));
    }
    warnings
}

/// The warning for an object that does not hold, with what to do about it.
fn constraint_warning(c: &ConstraintStatus) -> String {
    let what = format!("{} {}", c.kind, c.object);
    match &c.problem {
        Some(Problem::WrongDefinition(why)) => format!(
            "{what} has the wrong definition ({why}); it guarantees nothing here: rename or drop it, then run \
             `syncctl add-constraints` (which says how)"
        ),
        Some(Problem::NotEnforceable(why)) => format!(
            "{what} cannot be enforced on this table: {why}; `syncctl validate-constraints` checks the data instead"
        ),
        Some(Problem::NameTaken(why) | Problem::PartitionedBuild(why)) => {
            format!("{what} is missing and `syncctl add-constraints` cannot create it as things are: {why}")
        }
        None => format!("{what} is {}: run `syncctl add-constraints`", c.state_name()),
    }
}
