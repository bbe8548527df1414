//! `syncctl`: parse the command line, run, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    let status = match syncctl::cli::Cli::parse_args() {
        Ok(cli) => syncctl::run(cli),
        Err(status) => status,
    };
    std::process::ExitCode::from(status.code())
}
