//! `--if-running follow`: watch the user's live task, which another process owns, to its end,
//! and exit with its outcome (0 completed, 1 failed or its owner died). Read-only; a signal
//! ends the watching, not the task.

use std::time::Duration;

use anyhow::Result;

use super::claim::task_row;
use super::progress::{Ending, Reporter, SyncProgress};
use crate::exit::ExitStatus;
use crate::signals::Signals;
use crate::state::Classifier;
use crate::table::Table;

/// Polls the task every `every` until it ends; `classifier` filters on its user and task.
pub(crate) async fn follow(
    client: &tokio_postgres::Client,
    table: &Table,
    classifier: &Classifier,
    every: Duration,
    reporter: &Reporter,
    signals: &mut Signals,
) -> Result<ExitStatus> {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            status = signals.next() => return Ok(status),
        }
        let Some(row) = task_row(client, table, classifier).await? else {
            reporter.finished(Ending::Failed, &SyncProgress::initial(), Some("the task's row is gone"));
            return Ok(ExitStatus::Problems);
        };
        let snapshot = row.snapshot();
        match &row.finished {
            Some(Ok(())) => {
                reporter.finished(Ending::Completed, &snapshot, None);
                return Ok(ExitStatus::Success);
            }
            Some(Err(error)) => {
                reporter.finished(Ending::Failed, &snapshot, Some(error));
                return Ok(ExitStatus::Problems);
            }
            None if row.zombie => {
                let error = "its owner stopped heartbeating (a zombie now; a new start takes it over)";
                reporter.finished(Ending::Failed, &snapshot, Some(error));
                return Ok(ExitStatus::Problems);
            }
            None => reporter.progress(&snapshot, false),
        }
    }
}
