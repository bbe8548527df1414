//! `repair`: not built yet.

use anyhow::Result;

use crate::Ctx;
use crate::cli::RepairArgs;
use crate::error::UsageError;
use crate::exit::ExitStatus;

crate::statements! {}

/// Runs `repair`.
pub async fn run(_args: RepairArgs, _ctx: &Ctx) -> Result<ExitStatus> {
    Err(UsageError::with_hint("repair is not built yet", "see the open issues"))
}
