//! The command line: every clap type. Doc comments here are the `--help` text.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::ExitStatus;

/// Find, repair and prevent stuck ("zombie") sync tasks in `user_sync_status`.
///
/// Every decision uses the database clock. Data goes to stdout, diagnostics to stderr.
/// Exit codes: 0 done or clean, 1 problems found, 2 usage or configuration error,
/// 3 cannot connect or the database failed, 4 lease lost, 5 locks not obtained,
/// 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM (`health` uses 0 OK, 1 WARNING, 2 CRITICAL,
/// 3 UNKNOWN, usage errors included). Each subcommand has its man page: `syncctl man repair`.
#[derive(Debug, Parser)]
#[command(name = "syncctl", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// The options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments. When they do not parse, clap's message is printed (help
    /// and `--version` too) and the exit status comes back: 0 for help and version, else that
    /// of a usage error under the subcommand named ([`ExitStatus::usage_under`]: UNKNOWN for
    /// `health`, 2 elsewhere).
    pub fn parse_args() -> Result<Cli, ExitStatus> {
        Cli::try_parse().map_err(|err| {
            // The message goes out even when stdout or stderr is closed: nothing else to do.
            let _ = err.print();
            if err.exit_code() == 0 {
                return ExitStatus::Success;
            }
            // A lenient second parse finds the subcommand the bad flag was given to.
            let lenient = <Cli as clap::CommandFactory>::command().ignore_errors(true).try_get_matches();
            ExitStatus::usage_under(lenient.ok().as_ref().and_then(|m| m.subcommand_name()))
        })
    }
}

/// The help heading of the options that say where and how to connect.
pub const CONNECTION: &str = "Connection";
/// The help heading of the options that say which table and how to read it.
pub const TABLE: &str = "Table";
/// The help heading of the options that shape what is printed.
pub const OUTPUT: &str = "Output";

/// Options every subcommand accepts. Each has one of the headings above, so a subcommand's
/// help lists its own options first (under "Options") and these apart.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// PostgreSQL connection URL or key=value string; without it the libpq variables
    /// (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT) and libpq's
    /// defaults apply.
    #[arg(short = 'd', long, env = "DATABASE_URL", hide_env_values = true, global = true, help_heading = CONNECTION, value_name = "URL")]
    pub database_url: Option<String>,

    /// The sync-status table, written as in SQL: `user_sync_status`, `ops.user_sync_status`,
    /// `"Sync Ops".user_sync_status`.
    #[arg(long, env = "SYNCCTL_TABLE", default_value = "user_sync_status", global = true, help_heading = TABLE, value_name = "NAME")]
    pub table: String,

    /// A running task whose heartbeat (updated_at) is older than this is a zombie.
    #[arg(long, env = "SYNCCTL_HEARTBEAT_TIMEOUT", default_value = "60s", value_parser = parse_duration, allow_hyphen_values = true, global = true, help_heading = TABLE, value_name = "DUR")]
    pub heartbeat_timeout: Duration,

    /// How long a statement may wait for a lock before giving up.
    #[arg(long, default_value = "2s", value_parser = parse_duration, allow_hyphen_values = true, global = true, help_heading = CONNECTION, value_name = "DUR")]
    pub lock_timeout: Duration,

    /// How long one statement may run before the server cancels it.
    #[arg(long, default_value = "60s", value_parser = parse_duration, allow_hyphen_values = true, global = true, help_heading = CONNECTION, value_name = "DUR")]
    pub statement_timeout: Duration,

    /// Time zone in which `timestamp without time zone` columns are read (the application
    /// writes naive UTC by default).
    #[arg(long, env = "SYNCCTL_TIMESTAMP_ZONE", default_value = "UTC", global = true, help_heading = TABLE, value_name = "ZONE")]
    pub timestamp_zone: String,

    /// When to colour the output; NO_COLOR is honoured under `auto`.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, help_heading = OUTPUT, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Full values in tables on a terminal too, as for a pipe: no ids, times or text cut to
    /// the terminal's width, no one-field-per-line layout.
    #[arg(long, global = true, help_heading = OUTPUT)]
    pub wide: bool,

    /// More diagnostics on stderr (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = OUTPUT, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, help_heading = OUTPUT)]
    pub quiet: bool,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List rows with their states (default: only problem rows, worst first). Read-only.
    Inspect(InspectArgs),
    /// The health report: counts, zombie details, constraint status. Read-only.
    ///
    /// Exit codes follow the monitoring-plugin convention: 0 OK, 1 WARNING (data clean but
    /// constraints missing or not valid, or skewed clocks), 2 CRITICAL (zombies or inconsistent
    /// rows), 3 UNKNOWN (could not ask, the report is still printed; or a usage error).
    Health(HealthArgs),
    /// Check, read-only, whether the data would accept the three constraints, and whether they
    /// are installed and valid. For CI before a migration.
    #[command(name = "validate-constraints")]
    ValidateConstraints(ValidateArgs),
    /// Release stuck, inconsistent and duplicate rows, as one explicit transaction:
    /// lock, show the plan, confirm, re-check, verify, commit.
    Repair(RepairArgs),
    /// Release every running row whose heartbeat is older than the timeout (for cron).
    Reap(ReapArgs),
    /// Roll the three constraints out on a live table without blocking writers.
    #[command(name = "add-constraints")]
    AddConstraints(AddConstraintsArgs),
    /// Claim a user's sync (or reuse the live one) and run it in the foreground under a
    /// heartbeating lease.
    Start(StartArgs),
    /// Install, check or remove the guard: a trigger that enforces the lease for every writer
    /// of the table, and the SQL functions the application calls (claim, heartbeat, release).
    Guard(GuardArgs),
    /// Start a throwaway PostgreSQL cluster, load the incident, and walk through fixing it:
    /// health, validate-constraints, repair, add-constraints, start, health.
    Demo(DemoArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print a man page (roff), as checked in under `man/`: syncctl's, or a subcommand's.
    Man(ManArgs),
}

/// Output format of commands that print rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowFormat {
    /// A human table.
    Table,
    /// One JSON document.
    Json,
    /// CSV with a header line.
    Csv,
}

/// `--format` / `--json` for commands that print rows.
#[derive(Debug, Clone, Args)]
pub struct RowFormatArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RowFormat::Table)]
    pub format: RowFormat,

    /// Short for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl RowFormatArgs {
    /// The format in effect.
    pub fn format(&self) -> RowFormat {
        if self.json { RowFormat::Json } else { self.format }
    }
}

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Only rows in this state (repeatable, or comma-separated), or `all`. Default: the five
    /// problem states.
    #[arg(long = "state", value_name = "STATE", value_parser = crate::state::StateValues)]
    pub states: Vec<String>,

    /// Only this user's rows (compared with the user_id column's own type).
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,

    /// Only this task's rows.
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,

    /// At most this many rows (the counts cover all matching rows).
    #[arg(long, default_value_t = 50, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_hyphen_values = true)]
    pub limit: u32,

    /// How a running row is known to be alive: `lock` also counts a row dead at once when its
    /// owner's session lock (`start --liveness lock`) is free.
    #[arg(long, value_enum, default_value_t = Liveness::Heartbeat)]
    pub liveness: Liveness,

    /// The output format.
    #[command(flatten)]
    pub output: RowFormatArgs,

    /// Where the report goes.
    #[command(flatten)]
    pub destination: OutputFileArgs,
}

/// Output format of `health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HealthFormat {
    /// A human summary.
    Table,
    /// The JSON health document: `healthy`, `statistics`, `zombie_task_details`, plus
    /// `warnings` and `constraints`.
    Json,
    /// Prometheus text exposition, for node_exporter's textfile collector.
    Prometheus,
}

/// Arguments of `health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = HealthFormat::Table)]
    pub format: HealthFormat,

    /// Short for `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Where the report goes.
    #[command(flatten)]
    pub destination: OutputFileArgs,
}

/// `--output FILE` for commands that print a report.
#[derive(Debug, Clone, Args)]
pub struct OutputFileArgs {
    /// Write the report to FILE atomically (temporary file, then rename) instead of stdout; `-`
    /// is stdout. Only a regular file (or a new one) is accepted: a device, FIFO or directory is
    /// refused before any work.
    #[arg(long = "output", value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
}

/// Arguments of `validate-constraints`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Also fail when any of the three constraints is missing or not valid.
    #[arg(long)]
    pub require_installed: bool,

    /// Sample rows shown per failing check.
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_hyphen_values = true)]
    pub limit: u32,

    /// The output format.
    #[command(flatten)]
    pub output: RowFormatArgs,

    /// Where the report goes.
    #[command(flatten)]
    pub destination: OutputFileArgs,
}

/// Arguments of `repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Repair this task (repeatable); a task named here is released even when it is live.
    #[arg(long = "task", value_name = "ID")]
    pub tasks: Vec<String>,

    /// Repair this user's problem rows.
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,

    /// Release zombies (running rows whose heartbeat is older than the heartbeat timeout).
    #[arg(long)]
    pub zombies: bool,

    /// Release half-released rows (running, with an error message).
    #[arg(long)]
    pub half_released: bool,

    /// Fix rows that violate the CHECK predicate or have NULL states.
    #[arg(long)]
    pub inconsistent: bool,

    /// Fix second running rows of a user and repeated task ids.
    #[arg(long)]
    pub duplicates: bool,

    /// All of the above kinds.
    #[arg(long)]
    pub all: bool,

    /// Show the plan, change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (needed without a terminal).
    #[arg(short, long)]
    pub yes: bool,

    /// The output format.
    #[command(flatten)]
    pub output: RowFormatArgs,
}

/// Arguments of `reap`.
#[derive(Debug, Args)]
pub struct ReapArgs {
    /// Release running rows silent for longer than this (default: --heartbeat-timeout).
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR")]
    pub timeout: Option<Duration>,

    /// Show what would be released, change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Rows per batch (one transaction each).
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), allow_hyphen_values = true)]
    pub limit: u32,

    /// Run as a loop, one pass every DUR, until SIGTERM or SIGINT.
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR")]
    pub every: Option<Duration>,

    /// Watch the dead rows for DUR, then release only those not written meanwhile (their row
    /// version, not their timestamp, decides). Also releases rows whose heartbeat sits a whole
    /// time-zone offset in the past, which reap otherwise leaves while they are written.
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR", conflicts_with = "dry_run")]
    pub confirm: Option<Duration>,

    /// One JSON document per pass instead of one line per released task.
    #[arg(long)]
    pub json: bool,

    /// How a running row is known to be alive: `lock` also releases at once a row whose
    /// owner's session lock (`start --liveness lock`) is free, however fresh its heartbeat.
    #[arg(long, value_enum, default_value_t = Liveness::Heartbeat)]
    pub liveness: Liveness,
}

/// Arguments of `add-constraints`.
#[derive(Debug, Args)]
pub struct AddConstraintsArgs {
    /// When the data would not accept the constraints, run `repair --all` right after the CHECK
    /// is added NOT VALID (new violations are refused from then on), then validate and build
    /// (repair asks for confirmation on a terminal; pass --yes without one).
    #[arg(long, conflicts_with_all = ["rollback", "print_sql"])]
    pub repair: bool,

    /// Do not ask for confirmation (`--repair`, `--rollback`); needed without a terminal.
    #[arg(short, long)]
    pub yes: bool,

    /// Connect, print the statements the table's current state needs, run nothing.
    #[arg(long, conflicts_with = "print_sql")]
    pub dry_run: bool,

    /// Print the whole rollout as an idempotent psql script, without connecting.
    #[arg(long)]
    pub print_sql: bool,

    /// Remove the three objects instead (indexes concurrently).
    #[arg(long)]
    pub rollback: bool,

    /// Attempts of an ACCESS EXCLUSIVE step (ADD / DROP CONSTRAINT) when its lock is not
    /// obtained within --lock-timeout.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub retries: u32,

    /// How long the steps that block no writer may wait: VALIDATE and CREATE / DROP INDEX
    /// CONCURRENTLY (for their SHARE UPDATE EXCLUSIVE lock, and for older transactions and
    /// snapshots to end), and waiting for another session's index build on the table to
    /// finish. Past it: exit 5. The ACCESS EXCLUSIVE steps keep the short --lock-timeout.
    #[arg(long, default_value = "10m", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR")]
    pub build_wait: Duration,

    /// Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m).
    #[arg(long, default_value = "1s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR")]
    pub retry_delay: Duration,

    /// A JSON summary on stdout instead of the human one.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `guard`.
#[derive(Debug, Args)]
pub struct GuardArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: GuardAction,
}

/// What `guard` does.
#[derive(Debug, Subcommand)]
pub enum GuardAction {
    /// Create (or bring up to date) the trigger, its function and the API functions, in the
    /// table's schema. Idempotent.
    Install(GuardChangeArgs),
    /// Say whether the guard is installed and current (its definitions compared with what
    /// install creates): exit 0 when it is, 1 when it is missing or outdated. Read-only.
    Status(GuardStatusArgs),
    /// Drop the trigger, its function and the API functions. Rows are not touched.
    Remove(GuardChangeArgs),
}

/// Arguments of `guard install` and `guard remove`.
#[derive(Debug, Args)]
pub struct GuardChangeArgs {
    /// Connect, print the statements that would run, run nothing.
    #[arg(long, conflicts_with = "print_sql")]
    pub dry_run: bool,

    /// Print the statements as a psql script (one transaction), without connecting; --table
    /// must name the schema.
    #[arg(long)]
    pub print_sql: bool,

    /// Attempts when the table's lock (for CREATE / DROP TRIGGER) is not obtained within
    /// --lock-timeout.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub retries: u32,

    /// Pause after the first failed attempt; it doubles on each retry (with jitter, at most 1m).
    #[arg(long, default_value = "1s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DUR")]
    pub retry_delay: Duration,
}

/// Arguments of `guard status`.
#[derive(Debug, Args)]
pub struct GuardStatusArgs {
    /// A JSON document instead of the human lines.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `demo`.
#[derive(Debug, Args)]
#[command(args = demo_refuses())]
pub struct DemoArgs {
    /// Leave the cluster running at the end, repaired, and print the DATABASE_URL to use.
    #[arg(long, conflicts_with_all = ["keep_broken", "print_sql"])]
    pub keep: bool,

    /// Stop before the repair and leave the cluster running with the broken table, to practise
    /// inspect, repair and add-constraints on.
    #[arg(long, conflicts_with = "print_sql")]
    pub keep_broken: bool,

    /// Start no cluster: print the practice table (CREATE TABLE user_sync_status and its rows)
    /// as a script for psql: `syncctl demo --print-sql | psql "$DATABASE_URL"`.
    #[arg(long)]
    pub print_sql: bool,

    /// Healthy users loaded around the incident.
    #[arg(long, default_value_t = 3000, value_name = "N")]
    pub users: u32,
}

/// The global options `demo` has no use for, redefined on `demo` under the same ids so that the
/// global ones are not propagated to it: hidden from its help, and refused when given after
/// `demo` (it makes its own cluster and table, and runs every step with the defaults).
fn demo_refuses() -> [clap::Arg; 4] {
    /// Refuses any value.
    fn refuse(_: &str) -> Result<String, String> {
        Err("demo makes its own throwaway cluster and table, so this option does not apply; \
             run the commands it shows against your own database instead"
            .into())
    }
    let arg = |id: &'static str, long: &'static str| {
        clap::Arg::new(id).long(long).value_name("VALUE").hide(true).value_parser(refuse)
    };
    [
        arg("database_url", "database-url").short('d'),
        arg("table", "table"),
        arg("heartbeat_timeout", "heartbeat-timeout"),
        arg("timestamp_zone", "timestamp-zone"),
    ]
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`syncctl-COMMAND.1`); without it, syncctl's own.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// What `start` does when the user already has a live running task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IfRunning {
    /// Print its task id and progress, exit 0.
    Reuse,
    /// Watch it to its end and exit with its outcome.
    Follow,
    /// Exit 1.
    Fail,
}

/// How a running task is known to be alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Liveness {
    /// By its heartbeat: updated_at newer than --heartbeat-timeout (database clock).
    Heartbeat,
    /// Also by a session advisory lock its process holds: a running row whose lock is free is
    /// dead at once. Only for deployments where every writer is `syncctl start --liveness lock`
    /// and no transaction-mode pooler (PgBouncer) sits in between.
    Lock,
}

/// Arguments of `start`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("work").required(true).args(["demo", "command"])))]
pub struct StartArgs {
    /// The user whose sync to start (compared with the user_id column's own type).
    #[arg(long, value_name = "ID")]
    pub user: String,

    /// A full sync (sync_type = 'full'); without it, 'incremental'.
    #[arg(long)]
    pub full: bool,

    /// Only start a sync for a user that has a row already: a user id with no row is an error
    /// (exit 2) and nothing is written. Without it, such a user gets a first row (said on
    /// stderr), as a mistyped id would too.
    #[arg(long)]
    pub no_create: bool,

    /// When the user already has a live running task: reuse it (print its task id), follow it
    /// to its end, or fail (exit 1).
    #[arg(long, value_enum, default_value_t = IfRunning::Reuse, value_name = "WHAT")]
    pub if_running: IfRunning,

    /// How often the running task writes its heartbeat (updated_at); must be shorter than
    /// --heartbeat-timeout, and is best at most half of it.
    #[arg(long, default_value = "15s", value_parser = parse_duration, value_name = "DUR")]
    pub heartbeat: Duration,

    /// Fail the task as stalled when its progress has not moved for this long (a heartbeat
    /// proves the process lives, not that the sync moves).
    #[arg(long, default_value = "10m", value_parser = parse_duration, value_name = "DUR")]
    pub stall_timeout: Duration,

    /// How long the child gets to exit after SIGTERM before it is killed (SIGKILL); none after
    /// a lost lease, when the child is killed at once.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DUR")]
    pub grace: Duration,

    /// JSON-lines events on stdout (claimed, reused, progress, then completed, failed,
    /// cancelled, stalled or lease_lost) instead of the task id line.
    #[arg(long)]
    pub json: bool,

    /// How a running task is known to be alive (see the README before choosing `lock`).
    #[arg(long, value_enum, default_value_t = Liveness::Heartbeat, value_name = "HOW")]
    pub liveness: Liveness,

    /// Run the built-in simulated mailbox sync instead of a command.
    #[arg(long)]
    pub demo: bool,

    /// Demo: how many mails to sync.
    #[arg(long, default_value_t = 100, requires = "demo", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub demo_items: u32,

    /// Demo: mails per second.
    #[arg(long, default_value_t = 20.0, requires = "demo", value_name = "PER_SECOND", value_parser = parse_rate)]
    pub demo_rate: f64,

    /// Demo: fail when progress reaches this percentage.
    #[arg(long, requires = "demo", value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub demo_fail_at: Option<u8>,

    /// Demo: hang (no progress, heartbeats go on) when progress reaches this percentage.
    #[arg(long, requires = "demo", value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub demo_hang_at: Option<u8>,

    /// The sync to run as a child: it gets SYNCCTL_TASK_ID, SYNCCTL_USER_ID and
    /// SYNCCTL_SYNC_TYPE, reports `{"progress": 42, "stats": {...}}` lines on stdout, logs on
    /// stderr, and exits 0 when the sync completed.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Parses a positive, finite rate.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err("must be a positive number, e.g. 20 or 0.5".into()),
    }
}

/// Parses durations like `500ms`, `15s`, `2m`, `1h30m`; zero and negative values are refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.trim().strip_prefix('-').is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())) {
        return Err("must be positive: a negative duration makes no sense here".into());
    }
    let duration = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{e} (write durations like 500ms, 15s, 2m, 1h30m)"))?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    // PostgreSQL timeouts are int milliseconds; anything longer is a typo, not a wish.
    if duration.as_millis() > i32::MAX as u128 {
        return Err("is too long (at most about 24 days)".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_contract() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-5s").unwrap_err().contains("must be positive"));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("99999999h").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
