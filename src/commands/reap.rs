//! `reap`: not built yet.

use anyhow::Result;

use crate::Ctx;
use crate::cli::ReapArgs;
use crate::error::UsageError;
use crate::exit::ExitStatus;

crate::statements! {}

/// Runs `reap`.
pub async fn run(_args: ReapArgs, _ctx: &Ctx) -> Result<ExitStatus> {
    Err(UsageError::with_hint("reap is not built yet", "see the open issues"))
}
