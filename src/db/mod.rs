//! Connections: settings from the URL and the libpq variables, TLS, what the server reached is
//! (a standby refuses write commands), the settings every transaction applies (timeouts, time
//! zone, jit: never the session's, so they hold through a pooler), transaction helpers, and
//! cancel requests.

mod cancel;
pub(crate) mod param;
pub(crate) mod queries;
pub(crate) mod query;
pub(crate) mod retry;
pub(crate) mod settings;
pub(crate) mod tls;

use std::sync::OnceLock;

use anyhow::{Context, Result};
use tokio_postgres::error::SqlState;
use tokio_postgres::{CancelToken, Client, GenericClient, IsolationLevel, Transaction};

use crate::cli::GlobalArgs;
use crate::commands::Spec;
use crate::error::{self, UsageError};
use queries::session::Local;
pub(crate) use queries::session::Server;
use settings::{ProcessEnv, Session};

/// syncctl's settings, which every transaction applies first ([`apply`]). The process runs one
/// command with one set of global options, so they are the process's: fixed by its first
/// connection.
static LOCAL: OnceLock<Local> = OnceLock::new();

/// Where the process's first connection went, `user@host:port/db` (never the password), for
/// the messages that say something was not found there ([`target`]).
static TARGET: OnceLock<String> = OnceLock::new();

/// Where syncctl looked: `user@host:port/db` of its first connection (the socket directory as
/// host), once it tried one.
pub(crate) fn target() -> Option<&'static str> {
    TARGET.get().map(String::as_str)
}

/// The settings of `global`; jit is `off` unless the user's own startup options choose it.
fn local_of(global: &GlobalArgs, settings: &settings::Settings) -> Local {
    let user_jit = settings.config.get_options().is_some_and(|o| o.contains("jit"));
    Local {
        lock_timeout: format!("{}ms", global.lock_timeout.as_millis()),
        statement_timeout: format!("{}ms", global.statement_timeout.as_millis()),
        time_zone: global.timestamp_zone.clone(),
        jit: (!user_jit).then(|| "off".to_string()),
    }
}

/// Applies syncctl's settings to the transaction `client` is in (or, outside one, to nothing:
/// the statement is its own transaction, which is how [`connect`] checks them).
pub(crate) async fn apply(client: &impl GenericClient) -> Result<(), tokio_postgres::Error> {
    let Some(local) = LOCAL.get() else { return Ok(()) };
    queries::session::apply(client, local).await
}

/// What a command does with the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads only: it may run on a standby, and says so.
    Read,
    /// Writes: it stops before any work on a standby.
    Write,
}

/// Read for a dry run, else write.
pub(crate) fn access(dry_run: bool) -> Access {
    if dry_run { Access::Read } else { Access::Write }
}

/// A connection that has run nothing yet: the next round trip applies syncctl's settings and
/// asks what the server is, together with the command's first statements ([`Opened::arrived`]
/// then says what the server is and refuses a standby to a command that writes).
pub(crate) struct Opened {
    /// The connection.
    pub(crate) client: Client,
    settings: settings::Settings,
    command: &'static str,
    access: Access,
    verbose: u8,
}

/// Opens a connection for `command` (it becomes `application_name = syncctl/<command>`). Only
/// what a pooler accepts goes into the startup packet (no `options` of syncctl's own); the
/// settings are applied by every transaction. For a command that writes, a standby is refused
/// before any work. One round trip after the connection's own: the settings, checked in a
/// statement of their own, and what the server is, sent together.
pub(crate) async fn connect(global: &GlobalArgs, spec: &Spec, access: Access) -> Result<Client> {
    let opened = open(global, spec, access).await?;
    let (applied, reached) = tokio::join!(settle(&opened.client, false), queries::session::server(&opened.client));
    applied?;
    opened.arrived(&reached.context("asking what the server is")?)?;
    Ok(opened.client)
}

/// Opens a connection for `spec` and runs nothing on it ([`connect`] says what follows).
pub(crate) async fn open(global: &GlobalArgs, spec: &Spec, access: Access) -> Result<Opened> {
    let command = spec.name;
    let settings = settings::build(global.database_url.as_deref(), &ProcessEnv, &session(command))?;
    TARGET.get_or_init(|| settings.target.clone());
    query::trace(global.verbose);
    let tls = tls::connector(&settings.verification, settings.client_cert.as_ref())?;
    let (client, connection) = match settings.config.connect(tls).await {
        Ok(pair) => pair,
        Err(e)
            if e.code() == Some(&SqlState::PROTOCOL_VIOLATION)
                || e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED) =>
        {
            let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
            return Err(UsageError::with_hint(
                format!("{} refused the connection's startup parameters: {message}", settings.target),
                "a pooler such as PgBouncer accepts no startup `options`: remove options= from the URL and \
                 PGOPTIONS (syncctl sets what it needs inside each transaction)",
            ));
        }
        Err(e) if e.code() == Some(&SqlState::INVALID_PARAMETER_VALUE) => {
            return Err(refused_setting(&e, "check the options= of the URL and PGOPTIONS"));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot connect to {}", settings.target)),
    };
    // The connection task ends when the client is dropped; its errors surface on the next query.
    tokio::spawn(connection);
    LOCAL.get_or_init(|| local_of(global, &settings));
    Ok(Opened { client, settings, command, access, verbose: global.verbose })
}

/// Applies syncctl's settings, which also checks them: in a READ ONLY, REPEATABLE READ
/// transaction begun with them when `snapshot` (the caller commits it), else in a statement of
/// their own. The server refusing one (a --timestamp-zone it does not know) is a usage error.
pub(crate) async fn settle(client: &Client, snapshot: bool) -> Result<()> {
    let applied = if snapshot {
        let (begun, applied) = tokio::join!(client.batch_execute(READ_ONLY_BEGIN), apply(client));
        begun.context("starting a transaction")?;
        applied
    } else {
        apply(client).await
    };
    match applied {
        Err(e) if e.code() == Some(&SqlState::INVALID_PARAMETER_VALUE) => {
            Err(refused_setting(&e, "check --timestamp-zone (a name such as UTC or Asia/Shanghai)"))
        }
        other => other.context("applying the session settings"),
    }
}

impl Opened {
    /// Says on stderr (`-v`) which server the connection reached ([`describe`]), and refuses a
    /// standby to a command that writes. Returns whether it is a standby, and its lag.
    pub(crate) fn arrived(&self, reached: &queries::session::Reached) -> Result<Server> {
        if self.verbose > 0 {
            describe(reached, &self.settings);
        }
        if self.access == Access::Write && reached.standby {
            return Err(error::ServerError::with_hint(
                format!(
                    "{} is a standby (in recovery, read-only): `syncctl {}` writes, so nothing was done",
                    self.settings.target, self.command
                ),
                "point it at the primary; with several hosts, let libpq find it: \
                 postgres://host1,host2/db?target_session_attrs=read-write",
            ));
        }
        Ok(reached.server())
    }
}

/// Says on stderr (`-v`) which server the connection reached: where, its version, and whether
/// something in between (a pooler such as PgBouncer, or a proxy) answered on another port.
fn describe(server: &queries::session::Reached, settings: &settings::Settings) {
    let connected_port = match settings.config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(_)) => settings.config.get_ports().first().copied(),
        // A socket's name carries the server's own port: nothing can be in between.
        _ => None,
    };
    let between = match connected_port {
        Some(port) if i32::from(port) != server.port => {
            format!(", through a pooler or proxy (the server itself listens on port {})", server.port)
        }
        _ => String::new(),
    };
    crate::output::stream::stderr_line(&format!(
        "syncctl: connected to {} (PostgreSQL {}){between}",
        settings.target, server.version
    ));
}

/// A setting the server refused (SQLSTATE 22023), as a usage error with `hint`.
fn refused_setting(e: &tokio_postgres::Error, hint: &str) -> anyhow::Error {
    let message = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
    UsageError::with_hint(format!("the server refused a session setting: {message}"), hint)
}

/// Runs `work` in a transaction of its own that carries syncctl's settings, committed when it
/// succeeds and rolled back when it fails: for statements that would otherwise run on their
/// own (heartbeats, reap's batches), where no session setting would hold through a pooler.
pub(crate) async fn local<T>(client: &Client, work: impl Future<Output = Result<T>>) -> Result<T> {
    begin_on(client, "BEGIN").await?;
    match work.await {
        Ok(value) => {
            client.batch_execute("COMMIT").await.context("committing")?;
            Ok(value)
        }
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// [`local`] for work that sends its statements without waiting on their answers (one
/// statement): BEGIN with syncctl's settings, the work and COMMIT are sent together, one round
/// trip instead of three. A statement that fails aborts the transaction, and the COMMIT sent
/// behind it then rolls it back (the server answers ROLLBACK): nothing of it is kept, as with
/// [`local`]; the work's error is the one returned.
pub(crate) async fn local_one<T>(client: &Client, work: impl Future<Output = Result<T>>) -> Result<T> {
    let (begun, value, committed) = tokio::join!(begin_on(client, "BEGIN"), work, client.batch_execute("COMMIT"));
    begun?;
    let value = value?;
    committed.context("committing")?;
    Ok(value)
}

/// The session settings of a connection for `command`.
fn session(command: &str) -> Session {
    Session { application_name: format!("syncctl/{command}") }
}

/// Asks the server to cancel the statement running on `token`'s connection (over a new
/// connection with the same address and TLS policy). Its transaction then rolls back.
pub(crate) async fn cancel(global: &GlobalArgs, token: &CancelToken) -> Result<()> {
    let settings = settings::build(global.database_url.as_deref(), &ProcessEnv, &session("cancel"))?;
    cancel::send(&settings, token).await.context("cancelling the running statement")
}

/// A transaction that carries syncctl's settings; it rolls back unless committed.
pub(crate) async fn begin(client: &mut Client, isolation: IsolationLevel, read_only: bool) -> Result<Transaction<'_>> {
    let tx = client
        .build_transaction()
        .isolation_level(isolation)
        .read_only(read_only)
        .start()
        .await
        .context("starting a transaction")?;
    apply(&tx).await.context("applying the session settings")?;
    Ok(tx)
}

/// How a read-only snapshot begins: one snapshot for all the statements that follow, so counts
/// and rows agree.
const READ_ONLY_BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Begins a transaction on `client` itself with `begin` and applies syncctl's settings in it,
/// both sent together: one round trip.
async fn begin_on(client: &Client, begin: &str) -> Result<()> {
    let (begun, applied) = tokio::join!(client.batch_execute(begin), apply(client));
    begun.context("starting a transaction")?;
    applied.context("applying the session settings")
}

/// A read-only transaction with one snapshot for all its statements, so counts and rows agree.
pub(crate) async fn read_only(client: &mut Client) -> Result<Transaction<'_>> {
    begin(client, IsolationLevel::RepeatableRead, true).await
}

/// A read-write transaction (READ COMMITTED).
pub(crate) async fn read_write(client: &mut Client) -> Result<Transaction<'_>> {
    begin(client, IsolationLevel::ReadCommitted, false).await
}
