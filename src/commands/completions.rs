//! `completions SHELL`: prints shell completions generated from the CLI definition.

use anyhow::Result;
use clap::CommandFactory;

use crate::Ctx;
use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;

/// Prints the completions for one shell.
pub fn run(args: CompletionsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    ctx.printer.data(&script(args.shell))?;
    Ok(ExitStatus::Success)
}

/// The completion script for `shell`, as checked in under `completions/`.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "syncctl", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `completions/` is checked in; it must match the CLI. Regenerate with
    /// `SYNCCTL_BLESS=1 cargo test completions`.
    #[test]
    fn checked_in_completions_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh, clap_complete::Shell::Fish] {
            let path = dir.join(format!("syncctl.{shell}"));
            let fresh = script(shell);
            if std::env::var_os("SYNCCTL_BLESS").is_some() {
                std::fs::write(&path, &fresh).unwrap();
            }
            let stored = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                stored == fresh,
                "{} is out of date: run `SYNCCTL_BLESS=1 cargo test completions` and commit it",
                path.display()
            );
        }
    }
}
