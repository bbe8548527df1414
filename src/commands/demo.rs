//! `demo`: starts a throwaway PostgreSQL cluster, loads the incident (the exact row that was
//! found stuck, in a realistic table), and walks through fixing it with the real commands, printing each
//! command line before its real output. It cleans up after itself unless `--keep`.

use std::process::Stdio;

use anyhow::{Context, Result};

use crate::Ctx;
use crate::cli::DemoArgs;
use crate::cluster::{Cluster, ClusterOptions};
use crate::db;
use crate::db::queries::demo::{self as queries, PopulationParams};
use crate::db::queries::{DEMO_POPULATION, FIXTURES_INCIDENT, Fill, SCHEMA};
use crate::exit::ExitStatus;
use crate::output::{style, wrap};
use crate::signals::Signals;

/// The incident's user: the one whose "Sync now" was stuck.
const INCIDENT_USER: &str = "60f2ccbd-d754-4fa0-aa4d-35a7d6551d38";

/// One step of the walk-through: what it shows, and the command line.
struct Step {
    /// What the step shows.
    title: &'static str,
    /// The command line, after `syncctl`.
    args: Vec<&'static str>,
}

/// The walk-through, in order.
fn steps() -> Vec<Step> {
    vec![
        Step { title: "Is anything stuck? (monitoring exit codes: 2 is CRITICAL)", args: vec!["health"] },
        Step { title: "Which rows, and in which states?", args: vec!["inspect"] },
        Step { title: "Would the data accept the constraints?", args: vec!["validate-constraints"] },
        Step {
            title: "Repair every kind of bad row, in one checked transaction",
            args: vec!["repair", "--all", "--yes"],
        },
        Step { title: "Roll the constraints out without blocking writers", args: vec!["add-constraints", "--yes"] },
        Step {
            title: "The incident's user can sync again: claim, heartbeat, progress, release",
            args: vec![
                "start",
                "--user",
                INCIDENT_USER,
                "--heartbeat",
                "1s",
                "--demo",
                "--demo-items",
                "300",
                "--demo-rate",
                "600",
            ],
        },
        Step { title: "Healthy again", args: vec!["health"] },
    ]
}

/// The steps run before the repair: what `--keep-broken` shows before it stops.
const BEFORE_REPAIR: usize = 3;

/// Runs `demo`.
pub(crate) async fn run(args: DemoArgs, ctx: &Ctx) -> Result<ExitStatus> {
    if args.print_sql {
        ctx.printer.data(&queries::print_script(args.users))?;
        return Ok(ExitStatus::Success);
    }
    ctx.printer.note("starting a throwaway PostgreSQL cluster (initdb) …");
    let cluster = tokio::task::spawn_blocking(|| Cluster::start(ClusterOptions::default()))
        .await
        .context("starting the throwaway cluster")??;
    let url = cluster.url("postgres");
    let base = cluster.data_dir().parent().map(|p| p.display().to_string()).unwrap_or_default();
    ctx.printer.data(&format!("cluster: {url}\n  (data in {base})"))?;

    load(&url, args.users, ctx).await.context("loading the incident into the demo cluster")?;
    let width = ctx.printer.style().width;
    let loaded = format!(
        "loaded: the incident's row (user {INCIDENT_USER}, is_syncing = true since 2025-07-22, \
         error \"任务被管理员手动清理（修复后）\") among {} other users",
        args.users
    );
    ctx.printer.data(&format!("{}\n", wrap(&loaded, width, "  ")))?;

    let mut last = None;
    let mut steps = steps();
    if args.keep_broken {
        steps.truncate(BEFORE_REPAIR);
    }
    for (n, step) in steps.iter().enumerate() {
        let line = format!("── {}. {} ──", n + 1, step.title);
        ctx.printer.data(&ctx.printer.paint(style::DIM, &line))?;
        ctx.printer.data(&format!("$ syncctl {}", step.args.join(" ")))?;
        let code = match run_step(&step.args, &url, ctx.printer.style().color).await? {
            StepEnd::Done(code) => code,
            StepEnd::Stopped(status) => return Ok(status),
        };
        ctx.printer.data(&format!("(exit {code})\n"))?;
        last = Some(code);
    }

    if args.keep || args.keep_broken {
        let stop = cluster.stop_command();
        cluster.keep();
        let state = if args.keep_broken {
            "with the table as it was before the repair (no row is a live sync, so it stays as it is)"
        } else {
            "repaired"
        };
        let keeps = format!("the cluster keeps running, {state}; try the commands on it:");
        ctx.printer.data(&format!(
            "{}\n  DATABASE_URL={url} syncctl inspect\nstop and delete it with:\n  {stop}",
            wrap(&keeps, width, "")
        ))?;
    } else {
        drop(cluster);
        ctx.printer.note("the throwaway cluster is stopped and deleted");
    }
    // The demo worked when the last health check found the table healthy; stopped before the
    // repair, when the table was found broken (CRITICAL) as loaded.
    let worked = if args.keep_broken { last.is_some() } else { last == Some(0) };
    Ok(if worked { ExitStatus::Success } else { ExitStatus::Problems })
}

/// Creates the reference table and loads the incident and the population around it.
async fn load(url: &str, users: u32, ctx: &Ctx) -> Result<()> {
    let mut global = ctx.global.clone();
    global.database_url = Some(url.to_string());
    global.timestamp_zone = "UTC".into();
    let client = db::connect(&global, &crate::commands::spec::DEMO, db::Access::Write).await?;
    let p = Fill::default().with("table", "\"public\".\"user_sync_status\"").with("key", "t.\"id\"::text");
    for statement in [SCHEMA, FIXTURES_INCIDENT] {
        queries::script(&client, &statement, &p).await.with_context(|| statement.path.to_string())?;
    }
    let users = i32::try_from(users).unwrap_or(i32::MAX);
    queries::population(&client, &p, &PopulationParams { users }).await.context(DEMO_POPULATION.path)?;
    Ok(())
}

/// How a step ended.
enum StepEnd {
    /// The command ran to its end, with this exit code.
    Done(i32),
    /// A signal stopped the demo.
    Stopped(ExitStatus),
}

/// Runs one command of the walk-through as a child of this binary, with a clean environment
/// pointing at the demo cluster; SIGINT / SIGTERM stop it and end the demo (the cluster is then
/// dropped and deleted by the caller).
async fn run_step(args: &[&str], url: &str, color: bool) -> Result<StepEnd> {
    let exe = std::env::current_exe().context("finding the syncctl binary")?;
    let mut cmd = tokio::process::Command::new(exe);
    // The steps paint as the demo itself does (its --color decided it), at the same width.
    let color = if color { "always" } else { "never" };
    cmd.args(args).args(["--color", color]).env_clear().env("DATABASE_URL", url).stdin(Stdio::null());
    for key in ["PATH", "HOME", "TERM", "LANG", "COLUMNS"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    let mut child = cmd.spawn().context("running a step of the demo")?;
    let mut signals = Signals::new()?;
    tokio::select! {
        status = child.wait() => Ok(StepEnd::Done(status?.code().unwrap_or(-1))),
        status = signals.next() => {
            let _ = child.kill().await;
            Ok(StepEnd::Stopped(status))
        }
    }
}
