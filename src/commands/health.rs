//! `health`: the seed's health report (BRIEF.md, Priority 5) with monitoring-plugin exit codes,
//! as a human summary, the seed's JSON, or Prometheus text. It always answers: when it cannot
//! ask, the report says so (`"healthy": false`, `"error"`) and the verdict is UNKNOWN.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::Ctx;
use crate::cli::{HealthArgs, HealthFormat};
use crate::db;
use crate::error;
use crate::exit::{ExitStatus, Level};
use crate::output::{self, style};
use crate::state::Classifier;
use crate::table::{ConstraintStatus, Problem, Table};

/// The seed's statistics.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    /// Rows in the table (exact).
    pub total_users: i64,
    /// Rows with is_syncing.
    pub active_syncs: i64,
    /// Zombie rows.
    pub zombie_tasks: i64,
    /// Rows violating the CHECK predicate or with NULL states.
    pub inconsistent_tasks: i64,
    /// Completed in the last hour.
    pub recent_completed_syncs: i64,
    /// Rows with timestamps in the future.
    pub skewed_tasks: i64,
    /// Live running rows that carry an error message.
    pub half_released_live_tasks: i64,
}

/// One of at most five zombies.
#[derive(Debug, Clone)]
pub struct Zombie {
    /// task_id.
    pub task_id: Option<String>,
    /// user_id.
    pub user_id: Option<String>,
    /// started_at.
    pub started_at: Option<DateTime<Utc>>,
    /// updated_at.
    pub last_update: Option<DateTime<Utc>>,
    /// Whole minutes since the last heartbeat.
    pub silent_minutes: Option<i64>,
}

/// The health report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The table, as named on the command line or found in the catalog.
    pub table: String,
    /// The database's clock (the local clock when it could not be asked).
    pub timestamp: DateTime<Utc>,
    /// The heartbeat timeout in effect.
    pub heartbeat_timeout_seconds: f64,
    /// The statistics, when they could be gathered.
    pub statistics: Option<Statistics>,
    /// Up to five zombies, the longest silent first.
    pub zombies: Vec<Zombie>,
    /// The three constraints.
    pub constraints: Vec<ConstraintStatus>,
    /// Why the verdict is WARNING.
    pub warnings: Vec<String>,
    /// Why the report could not be made.
    pub error: Option<String>,
    /// The server: on a standby, its replay lag goes into the JSON (null when unknown).
    pub server: Option<crate::db::Server>,
}

impl Report {
    /// The seed's `healthy`: no zombies and no inconsistent rows.
    pub fn healthy(&self) -> bool {
        self.statistics.as_ref().is_some_and(|s| s.zombie_tasks == 0 && s.inconsistent_tasks == 0)
    }

    /// The monitoring verdict.
    pub fn level(&self) -> Level {
        match &self.statistics {
            None => Level::Unknown,
            Some(_) if !self.healthy() => Level::Critical,
            Some(_) if !self.warnings.is_empty() => Level::Warning,
            Some(_) => Level::Ok,
        }
    }
}

/// Runs `health`.
pub async fn run(args: HealthArgs, ctx: &Ctx) -> Result<ExitStatus> {
    let format = if args.json { HealthFormat::Json } else { args.format };
    let report = match gather(ctx).await {
        Ok(report) => report,
        Err(err) => {
            let classified = error::classify_for(&err, &crate::commands::spec::HEALTH, &ctx.global.table);
            let message = crate::redact(&classified.message, &ctx.global);
            ctx.printer.error(&message, classified.hint.as_deref());
            Report {
                table: ctx.global.table.clone(),
                timestamp: Utc::now(),
                heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
                statistics: None,
                zombies: Vec::new(),
                constraints: Vec::new(),
                warnings: Vec::new(),
                error: Some(message),
                server: None,
            }
        }
    };
    let text = match format {
        HealthFormat::Table => render_table(&report, ctx),
        HealthFormat::Json => render_json(&report),
        HealthFormat::Prometheus => render_prometheus(&report),
    };
    match &args.output {
        Some(path) => output::write_atomically(path, &text)
            .with_context(|| format!("writing the report to {}", path.display()))?,
        None => ctx.printer.data(&text)?,
    }
    Ok(ExitStatus::Monitoring(report.level()))
}

async fn gather(ctx: &Ctx) -> Result<Report> {
    let mut client = db::connect(&ctx.global, &crate::commands::spec::HEALTH, db::Access::Read).await?;
    let server = crate::commands::standby_note(&client, ctx).await?;
    let tx = db::read_only(&mut client).await?;
    let table = Table::introspect(&tx, &ctx.global.table).await?;
    crate::commands::naive_note(&table, ctx);
    // Duplicates are not part of the seed's figures, and finding them costs an aggregate over
    // every task_id; the unique indexes' status (a warning when missing) covers them.
    let classifier = Classifier::new(ctx.global.heartbeat_timeout);
    let (stats_sql, zombies_sql) =
        (table.render(&crate::db::queries::HEALTH_STATISTICS), table.render(&crate::db::queries::HEALTH_ZOMBIES));
    let params = classifier.bind();
    let stats = crate::db::query::query_one(&tx, &stats_sql, &params).await?;
    // The details cost a second scan (without an index on updated_at of running rows): only
    // when there is a zombie to show, so a healthy table is read once.
    let zombies = match stats.get::<_, i64>("zombie_tasks") {
        0 => Vec::new(),
        _ => crate::db::query::query(&tx, &zombies_sql, &params).await?,
    };
    tx.commit().await?;

    let statistics = Statistics {
        total_users: stats.get("total_users"),
        active_syncs: stats.get("active_syncs"),
        zombie_tasks: stats.get("zombie_tasks"),
        inconsistent_tasks: stats.get("inconsistent_tasks"),
        recent_completed_syncs: stats.get("recent_completed_syncs"),
        skewed_tasks: stats.get("skewed_tasks"),
        half_released_live_tasks: stats.get("half_released_live_tasks"),
    };
    let mut warnings: Vec<String> = table.constraints.iter().filter(|c| !c.valid).map(constraint_warning).collect();
    if statistics.skewed_tasks > 0 {
        warnings.push(format!(
            "{} rows have timestamps more than a minute in the future (a clock or time-zone bug): \
             see `syncctl inspect --state skewed`",
            statistics.skewed_tasks
        ));
    }
    if let Some(lag) = server.replay_lag_seconds.filter(|l| *l > ctx.global.heartbeat_timeout.as_secs_f64() / 2.0) {
        warnings.push(format!(
            "this standby's replay lags {}, more than half the heartbeat timeout: live tasks may look silent here",
            crate::output::human_seconds(lag)
        ));
    }
    if statistics.half_released_live_tasks > 0 {
        warnings.push(format!(
            "{} running rows carry an error message (half-released): see `syncctl inspect --state half-released`",
            statistics.half_released_live_tasks
        ));
    }
    Ok(Report {
        table: table.display(),
        timestamp: stats.get("now"),
        heartbeat_timeout_seconds: ctx.global.heartbeat_timeout.as_secs_f64(),
        statistics: Some(statistics),
        zombies: zombies
            .iter()
            .map(|r| Zombie {
                task_id: r.get("task_id"),
                user_id: r.get("user_id"),
                started_at: r.get("started_at"),
                last_update: r.get("last_update"),
                silent_minutes: r.get("silent_minutes"),
            })
            .collect(),
        constraints: table.constraints.clone(),
        warnings,
        error: None,
        server: Some(server),
    })
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
        None => format!("{what} is {}: run `syncctl add-constraints`", c.describe()),
    }
}

/// The seed's JSON shape, plus `status`, `warnings`, `constraints`, `table` and
/// `heartbeat_timeout_seconds` beside it.
pub fn render_json(report: &Report) -> String {
    let statistics = report.statistics.as_ref().map_or(Value::Null, |s| {
        json!({
            "total_users": s.total_users,
            "active_syncs": s.active_syncs,
            "zombie_tasks": s.zombie_tasks,
            "inconsistent_tasks": s.inconsistent_tasks,
            "recent_completed_syncs": s.recent_completed_syncs,
        })
    });
    let zombies: Vec<Value> = report
        .zombies
        .iter()
        .map(|z| {
            json!({
                "task_id": z.task_id,
                "user_id": z.user_id,
                "started_at": output::timestamp_json(&z.started_at),
                "last_update": output::timestamp_json(&z.last_update),
                "silent_minutes": z.silent_minutes,
            })
        })
        .collect();
    let mut doc = json!({
        "healthy": report.healthy(),
        "timestamp": output::timestamp(&report.timestamp),
        "statistics": statistics,
        "zombie_task_details": zombies,
        "status": report.level().name(),
        "warnings": report.warnings,
        "constraints": report.constraints,
        "table": report.table,
        "heartbeat_timeout_seconds": report.heartbeat_timeout_seconds,
    });
    if let Some(s) = &report.statistics {
        doc["skewed_tasks"] = json!(s.skewed_tasks);
    }
    if let Some(error) = &report.error {
        doc["error"] = json!(error);
    }
    if let Some(server) = report.server.filter(|s| s.standby) {
        doc["replay_lag_seconds"] = json!(server.replay_lag_seconds);
    }
    format!("{doc:#}\n")
}

/// Prometheus text exposition for node_exporter's textfile collector.
pub fn render_prometheus(report: &Report) -> String {
    let table = report.table.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP syncctl_{name} {help}\n# TYPE syncctl_{name} gauge\n"));
        for (labels, value) in samples {
            out.push_str(&format!("syncctl_{name}{{table=\"{table}\"{labels}}} {value}\n"));
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    gauge(
        "up",
        "1 when syncctl could read the table, 0 when it could not.",
        one(f64::from(u8::from(report.error.is_none()))),
    );
    gauge(
        "health_status",
        "The verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        one(f64::from(report.level().code())),
    );
    gauge("healthy", "1 when there is no zombie and no inconsistent row.", one(f64::from(u8::from(report.healthy()))));
    if let Some(s) = &report.statistics {
        let figures = [
            ("total_users", "Rows in the table.", s.total_users),
            ("active_syncs", "Rows with is_syncing.", s.active_syncs),
            ("zombie_tasks", "Running rows whose heartbeat is older than the timeout.", s.zombie_tasks),
            (
                "inconsistent_tasks",
                "Rows violating the state CHECK predicate or with NULL states.",
                s.inconsistent_tasks,
            ),
            ("recent_completed_syncs", "Syncs completed in the last hour.", s.recent_completed_syncs),
            ("skewed_tasks", "Rows with timestamps more than a minute in the future.", s.skewed_tasks),
        ];
        for (name, help, value) in figures {
            gauge(name, help, one(value as f64));
        }
        let constraints = report
            .constraints
            .iter()
            .map(|c| (format!(",name=\"{}\"", c.name), f64::from(u8::from(c.valid))))
            .collect();
        gauge("constraint_valid", "1 when the constraint or unique index exists and is valid.", constraints);
    }
    gauge(
        "health_timestamp_seconds",
        "When the report was made (the database clock), in Unix seconds.",
        one(report.timestamp.timestamp() as f64),
    );
    out
}

/// The human summary.
pub fn render_table(report: &Report, ctx: &Ctx) -> String {
    let level = report.level();
    let painted = ctx.printer.paint(
        match level {
            Level::Ok => style::GOOD,
            Level::Warning => style::WARN,
            _ => style::BAD,
        },
        level.name(),
    );
    let mut out = format!("{painted} {} at {}\n", report.table, output::timestamp_short(&report.timestamp));
    if let Some(error) = &report.error {
        out.push_str(&format!("error: {error}\n"));
        return out;
    }
    if let Some(s) = &report.statistics {
        let mut table = output::table(&["statistic", "value"]);
        for (name, value) in [
            ("total_users", s.total_users),
            ("active_syncs", s.active_syncs),
            ("zombie_tasks", s.zombie_tasks),
            ("inconsistent_tasks", s.inconsistent_tasks),
            ("recent_completed_syncs", s.recent_completed_syncs),
            ("skewed_tasks", s.skewed_tasks),
        ] {
            table.add_row(vec![name.to_string(), value.to_string()]);
        }
        out.push_str(&format!("{table}\n"));
    }
    if !report.zombies.is_empty() {
        let mut table = output::table(&["zombie task", "user", "started", "last update", "silent"]);
        for z in &report.zombies {
            table.add_row(vec![
                z.task_id.clone().unwrap_or_else(|| "NULL".into()),
                z.user_id.clone().unwrap_or_else(|| "NULL".into()),
                z.started_at.as_ref().map_or("-".into(), output::timestamp_short),
                z.last_update.as_ref().map_or("-".into(), output::timestamp_short),
                z.silent_minutes.map_or("-".into(), |m| format!("{m} min")),
            ]);
        }
        out.push_str(&format!("{table}\n"));
    }
    for c in &report.constraints {
        out.push_str(&format!("{}\n", c.summary()));
    }
    for w in &report.warnings {
        out.push_str(&format!("{} {w}\n", ctx.printer.paint(style::WARN, "warning:")));
    }
    out
}
