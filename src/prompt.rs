//! The one confirmation prompt of the commands that change or drop things (`repair`,
//! `add-constraints --repair` and `--rollback`): it lists what will be done, asks
//! `Proceed? [y/N]` on stderr and reads a line from the terminal. Only `y` or `yes` confirms;
//! anything else, or end of input (Ctrl-D), is no. Ctrl-C (or SIGTERM, SIGHUP) at the question
//! says that nothing was changed and ends the run with 130 (143, 129). Never auto-confirmed,
//! not even when `CI` is set: `--yes` is the only way around the question.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::exit::ExitStatus;
use crate::output::stream;
use crate::signals::Signals;

/// How long the diagnostics queued before the question may take to reach the terminal.
const FLUSH_BEFORE_ASKING: Duration = Duration::from_secs(2);

/// How the question was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Go ahead.
    Yes,
    /// Declined (or no answer at all).
    No,
    /// A signal came while asking; nothing was changed and the run ends with this status.
    Stopped(ExitStatus),
}

/// Whether there is someone to ask: stdin and stderr are terminals.
pub(crate) fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Shows `summary` (wrapped to the terminal) and the lines of `items` (a list or a table, as the
/// caller laid it out), asks `Proceed? [y/N]` and waits for the answer.
pub(crate) async fn confirm(summary: &str, items: &[String]) -> Result<Answer> {
    // Listening before the question is shown, so a Ctrl-C right after it is heard.
    let mut signals = Signals::new()?;
    let width = crate::output::terminal_width(libc::STDERR_FILENO);
    let mut text = format!("{}\n", crate::output::wrap(summary, Some(width), "  "));
    for item in items {
        // A line that fits (a table's) stays as laid out; a longer one wraps under its own indent.
        let item = match crate::output::visible_width(item) > width {
            true => {
                let words = item.trim_start();
                let indent = &item[..item.len() - words.len()];
                let wrapped = crate::output::wrap(words, Some(width.saturating_sub(indent.len()).max(1)), "  ");
                wrapped.lines().map(|l| format!("{indent}{l}")).collect::<Vec<_>>().join("\n")
            }
            false => item.clone(),
        };
        text.push_str(&format!("{item}\n"));
    }
    text.push_str("Proceed? [y/N] ");
    // The notes queued before the question come first.
    stream::flush(FLUSH_BEFORE_ASKING);
    let mut err = std::io::stderr().lock();
    err.write_all(text.as_bytes()).and_then(|()| err.flush()).context("showing the question")?;
    drop(err);
    // A thread of its own reads the line: after a signal it stays blocked in read, and a
    // detached thread does not keep the process from exiting (a blocking task of the runtime
    // would).
    let (answered, answer) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("syncctl-prompt".into())
        .spawn(move || {
            let mut line = String::new();
            let _ = answered.send(std::io::stdin().read_line(&mut line).map(|n| (n, line)));
        })
        .context("starting to read the answer")?;
    let answer = tokio::select! {
        read = answer => match read.context("reading the answer from the terminal")? {
            Ok((0, _)) => {
                // End of input: the cursor is still after the question.
                stream::stderr_line("");
                Answer::No
            }
            Ok((_, line)) => match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => Answer::Yes,
                _ => Answer::No,
            },
            Err(e) => return Err(anyhow::Error::new(e).context("reading the answer from the terminal")),
        },
        status = signals.next() => {
            stream::stderr_line("");
            stream::stderr_line("interrupted; nothing was changed");
            Answer::Stopped(status)
        }
    };
    // What follows the answer (the changes) is stopped by a signal as before the question.
    crate::signals::restore_defaults();
    Ok(answer)
}
