//! `syncctl`: parse the command line, run, map the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = syncctl::cli::Cli::parse();
    std::process::ExitCode::from(syncctl::run(cli).code())
}
