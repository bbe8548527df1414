//! syncctl: find, repair and prevent stuck ("zombie") sync tasks in `user_sync_status`.
//!
//! [`run`] is the one dispatch: it builds the runtime, runs the subcommand, and maps its outcome
//! (or its error, classified by SQLSTATE) to an [`exit::ExitStatus`].

pub mod cli;
pub mod cluster;
pub(crate) mod commands;
pub(crate) mod db;
pub(crate) mod error;
pub mod exit;
pub(crate) mod liveness;
pub(crate) mod output;
pub(crate) mod prompt;
pub(crate) mod signals;
pub(crate) mod state;
pub(crate) mod table;

use cli::{Cli, Command, GlobalArgs};
use exit::ExitStatus;
use output::Printer;

/// What every subcommand gets: the global options and the printer.
pub struct Ctx {
    /// The global options.
    pub global: GlobalArgs,
    /// Where output goes.
    pub printer: Printer,
}

/// How long the process waits at exit for its queued diagnostics to reach a stderr that is slow
/// or not read at all (output/stream.rs): bounded, so such a stderr cannot hold the exit.
const FLUSH_AT_EXIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the command line and returns how it ended. Errors are printed here, once.
pub fn run(cli: Cli) -> ExitStatus {
    let status = run_command(cli);
    output::stream::flush(FLUSH_AT_EXIT);
    status
}

fn run_command(cli: Cli) -> ExitStatus {
    let printer = Printer::new(cli.global.color, cli.global.quiet, cli.global.verbose, cli.global.wide);
    let ctx = Ctx { global: cli.global, printer };
    let command = spec(&cli.command);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ctx.printer.error(&format!("cannot start the async runtime: {e}"), None);
            return ExitStatus::Database;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Inspect(args) => commands::inspect::run(args, &ctx).await,
            Command::Health(args) => commands::health::run(args, &ctx).await,
            Command::ValidateConstraints(args) => commands::validate::run(args, &ctx).await,
            Command::Repair(args) => commands::repair::run(args, &ctx).await,
            Command::Reap(args) => commands::reap::run(args, &ctx).await,
            Command::AddConstraints(args) => commands::add_constraints::run(args, &ctx).await,
            Command::Start(args) => commands::start::run(args, &ctx).await,
            Command::Guard(args) => commands::guard::run(args, &ctx).await,
            Command::Demo(args) => commands::demo::run(args, &ctx).await,
            Command::Completions(args) => commands::completions::run(args, &ctx),
            Command::Man(args) => commands::man::run(args, &ctx),
        }
    });
    match result {
        Ok(status) => status,
        Err(err) => {
            let classified = error::classify_for(&err, command, &ctx.global.table);
            if !classified.message.is_empty() {
                let message = redact(&classified.message, &ctx.global);
                ctx.printer.error(&message, classified.hint.as_deref());
            }
            match classified.status {
                ExitStatus::Usage => ExitStatus::usage_under(Some(command.name)),
                status => status,
            }
        }
    }
}

/// The subcommand's entry in the table of subcommands.
fn spec(command: &Command) -> &'static commands::Spec {
    use commands::spec;
    match command {
        Command::Inspect(_) => &spec::INSPECT,
        Command::Health(_) => &spec::HEALTH,
        Command::ValidateConstraints(_) => &spec::VALIDATE,
        Command::Repair(_) => &spec::REPAIR,
        Command::Reap(_) => &spec::REAP,
        Command::AddConstraints(_) => &spec::ADD_CONSTRAINTS,
        Command::Start(_) => &spec::START,
        Command::Guard(args) => commands::guard::spec(&args.action),
        Command::Demo(_) => &spec::DEMO,
        Command::Completions(_) => &spec::COMPLETIONS,
        Command::Man(_) => &spec::MAN,
    }
}

/// Defence in depth: no message leaves with the password in it, whatever a library put there.
pub fn redact(text: &str, global: &GlobalArgs) -> String {
    let mut out = text.to_string();
    for secret in db::settings::secrets(global.database_url.as_deref()) {
        out = out.replace(&secret, "********");
    }
    out
}
