//! `completions SHELL`: shell completions, generated from the CLI definition and checked in
//! (`completions/`), with a test that fails when they are stale.

use anyhow::Result;
use clap::CommandFactory;

use crate::Ctx;
use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;

/// Prints the completions for one shell.
pub(crate) fn run(args: CompletionsArgs, ctx: &Ctx) -> Result<ExitStatus> {
    ctx.printer.data(&script(args.shell))?;
    Ok(ExitStatus::Success)
}

/// The completion script for `shell`, as checked in under `completions/`.
pub(crate) fn script(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "syncctl", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compares a generated file with its checked-in copy; `SYNCCTL_BLESS=1` rewrites the copy.
    fn assert_current(relative: &str, fresh: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        if std::env::var_os("SYNCCTL_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, fresh).unwrap();
        }
        let stored = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            stored == fresh,
            "{relative} is out of date: run `SYNCCTL_BLESS=1 cargo test --lib completions` and commit it"
        );
    }

    /// `completions/` is checked in; it must match the CLI.
    #[test]
    fn checked_in_completions_are_current() {
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh, clap_complete::Shell::Fish] {
            assert_current(&format!("completions/syncctl.{shell}"), &script(shell));
        }
    }

    /// `man/` holds exactly the generated pages (commands/man.rs), each current. Here, beside the
    /// completions, so that one `SYNCCTL_BLESS=1 cargo test --lib completions` rewrites both.
    #[test]
    fn checked_in_man_pages_are_current() {
        let pages = crate::commands::man::pages();
        for page in &pages {
            assert_current(&format!("man/{}", page.file()), &page.roff);
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
        for entry in std::fs::read_dir(dir).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(pages.iter().any(|p| p.file() == file), "man/{file} is no page syncctl generates: remove it");
        }
    }
}
