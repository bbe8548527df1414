//! `add-constraints`: not built yet.

use anyhow::Result;

use crate::Ctx;
use crate::cli::AddConstraintsArgs;
use crate::error::UsageError;
use crate::exit::ExitStatus;

crate::statements! {}

/// Runs `add-constraints`.
pub async fn run(_args: AddConstraintsArgs, _ctx: &Ctx) -> Result<ExitStatus> {
    Err(UsageError::with_hint("add-constraints is not built yet", "see the open issues"))
}
