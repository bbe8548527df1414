//! `start`: not built yet.

use anyhow::Result;

use crate::Ctx;
use crate::cli::StartArgs;
use crate::error::UsageError;
use crate::exit::ExitStatus;

crate::statements! {}

/// Runs `start`.
pub async fn run(_args: StartArgs, _ctx: &Ctx) -> Result<ExitStatus> {
    Err(UsageError::with_hint("start is not built yet", "see the open issues"))
}
