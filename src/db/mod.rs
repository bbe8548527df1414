//! Connections: settings from the URL and the libpq variables, TLS, the session settings every
//! connection carries (application_name, timeouts, time zone, jit), and transaction helpers.

pub mod param;
pub mod query;
pub mod settings;
pub mod sql;
pub mod tls;

use anyhow::{Context, Result};
use tokio_postgres::error::SqlState;
use tokio_postgres::{CancelToken, Client, IsolationLevel, Transaction};

use crate::cli::GlobalArgs;
use crate::error::UsageError;
use settings::{ProcessEnv, Session};

/// Opens a connection for `command` (it becomes `application_name = syncctl/<command>`).
pub async fn connect(global: &GlobalArgs, command: &str) -> Result<Client> {
    let settings = settings::build(global.database_url.as_deref(), &ProcessEnv, &session(global, command))?;
    let tls = tls::connector(&settings.verification)?;
    let (client, connection) = match settings.config.connect(tls).await {
        Ok(pair) => pair,
        Err(e) if e.code() == Some(&SqlState::INVALID_PARAMETER_VALUE) => {
            let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
            return Err(UsageError::with_hint(
                format!("the server refused a session setting: {message}"),
                "check --timestamp-zone (a name such as UTC or Asia/Shanghai) and PGOPTIONS",
            ));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot connect to {}", settings.target)),
    };
    // The connection task ends when the client is dropped; its errors surface on the next query.
    tokio::spawn(connection);
    Ok(client)
}

/// The session settings of a connection for `command`.
fn session(global: &GlobalArgs, command: &str) -> Session {
    Session {
        application_name: format!("syncctl/{command}"),
        lock_timeout: global.lock_timeout,
        statement_timeout: global.statement_timeout,
        time_zone: global.timestamp_zone.clone(),
    }
}

/// Asks the server to cancel the statement running on `token`'s connection (over a new
/// connection with the same address and TLS policy). Its transaction then rolls back.
pub async fn cancel(global: &GlobalArgs, token: &CancelToken) -> Result<()> {
    let settings = settings::build(global.database_url.as_deref(), &ProcessEnv, &session(global, "cancel"))?;
    token.cancel_query(tls::connector(&settings.verification)?).await.context("cancelling the running statement")
}

/// A read-only transaction with one snapshot for all its statements, so counts and rows agree.
pub async fn read_only(client: &mut Client) -> Result<Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .context("starting a read-only transaction")
}

/// A read-write transaction (READ COMMITTED). The session's lock_timeout and statement_timeout
/// apply to every statement in it; it rolls back unless committed.
pub async fn read_write(client: &mut Client) -> Result<Transaction<'_>> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .context("starting a transaction")
}
