//! Typed outcomes the exit code depends on, and the classification of database errors by
//! SQLSTATE (never by message text) into an exit status and a hint a DBA can act on.

use std::fmt;

use tokio_postgres::error::SqlState;

use crate::commands::{Privileges, Spec};

use crate::exit::ExitStatus;

/// A usage or configuration problem (exit 2): bad value, missing table or column.
#[derive(Debug)]
pub(crate) struct UsageError {
    /// What happened.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
    /// Something looked up in the database was not there: the message then says where syncctl
    /// looked ([`classify`]).
    pub not_found: bool,
}

impl UsageError {
    /// A usage error with a hint.
    pub(crate) fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(UsageError { message: message.into(), hint: Some(hint.into()), not_found: false })
    }

    /// Something looked up in the database (a table, a column, a row) is not there; the message
    /// will say in which database syncctl looked.
    pub(crate) fn not_found(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(UsageError { message: message.into(), hint: Some(hint.into()), not_found: true })
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

/// A problem with the server reached that no SQLSTATE names (exit 3), e.g. a write command
/// pointed at a standby.
#[derive(Debug)]
pub(crate) struct ServerError {
    /// What happened.
    pub message: String,
    /// What to do next.
    pub hint: String,
}

impl ServerError {
    /// A server error with a hint.
    pub(crate) fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(ServerError { message: message.into(), hint: hint.into() })
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}

/// Other sessions kept the rows or locks syncctl needs for longer than its bound allowed
/// (exit 5, as a lock timeout): e.g. rows that kept changing under every plan of `repair`.
#[derive(Debug)]
pub(crate) struct Contended {
    /// What happened.
    pub message: String,
    /// What to do next.
    pub hint: String,
}

impl Contended {
    /// A contention error with a hint.
    pub(crate) fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> Contended {
        Contended { message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for Contended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Contended {}

/// How an error ends the run: its exit status, the message (the context chain), and a hint.
#[derive(Debug)]
pub(crate) struct Classified {
    /// The exit status it maps to.
    pub status: ExitStatus,
    /// The message, outermost context first; empty when nothing should be printed.
    pub message: String,
    /// What to do next, when there is something useful to say.
    pub hint: Option<String>,
}

/// The SQLSTATE of the first server error in `err`'s chain.
pub(crate) fn sqlstate(err: &anyhow::Error) -> Option<SqlState> {
    err.chain().find_map(|c| c.downcast_ref::<tokio_postgres::Error>()).and_then(|e| e.code().cloned())
}

/// Whether the database refused the data itself (SQLSTATE class 22, data exception, e.g. a
/// `\u0000` in jsonb; class 23, integrity constraint violation): sending the same again fails
/// the same way, so it must not be retried as if the connection were at fault.
pub(crate) fn refused_data(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<tokio_postgres::Error>())
        .filter_map(tokio_postgres::Error::code)
        .any(|code| code.code().starts_with("22") || code.code().starts_with("23"))
}

/// Classifies an error by its typed cause or SQLSTATE. A "not found" (a table, schema, column,
/// role or database, or a row asked for) says where syncctl looked: `user@host:port/db` of its
/// connection, never the password.
pub(crate) fn classify(err: &anyhow::Error) -> Classified {
    let mut classified = classify_cause(err);
    if not_found(err) {
        classified.message = where_looked(classified.message);
    }
    classified
}

/// `message`, saying where syncctl looked (`user@host:port/db`) once it tried a connection,
/// unless it says so already: for every "not found", error or note.
pub(crate) fn where_looked(message: String) -> String {
    match crate::db::target() {
        Some(target) if !message.contains(target) => format!("{message} (looked in {target})"),
        _ => message,
    }
}

/// Whether `err` says that something syncctl looked for in the database is not there.
fn not_found(err: &anyhow::Error) -> bool {
    const MISSING: [SqlState; 7] = [
        SqlState::UNDEFINED_TABLE,
        SqlState::UNDEFINED_COLUMN,
        SqlState::UNDEFINED_OBJECT,
        SqlState::UNDEFINED_FUNCTION,
        SqlState::INVALID_SCHEMA_NAME,
        SqlState::INVALID_CATALOG_NAME,
        // "role … does not exist" at connection time.
        SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
    ];
    err.chain().any(|cause| {
        cause.downcast_ref::<UsageError>().is_some_and(|u| u.not_found)
            || cause
                .downcast_ref::<tokio_postgres::Error>()
                .and_then(tokio_postgres::Error::code)
                .is_some_and(|code| MISSING.contains(code))
    })
}

fn classify_cause(err: &anyhow::Error) -> Classified {
    // A context, not the root cause: anyhow finds it through the layers, `chain()` does not.
    if let Some(contended) = err.downcast_ref::<Contended>() {
        return Classified {
            status: ExitStatus::LockTimeout,
            message: render(err),
            hint: Some(contended.hint.clone()),
        };
    }
    for cause in err.chain() {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            // `syncctl inspect | head`: the reader is gone, which is a clean end.
            return Classified { status: ExitStatus::Success, message: String::new(), hint: None };
        }
        if let Some(usage) = cause.downcast_ref::<UsageError>() {
            return Classified { status: ExitStatus::Usage, message: render(err), hint: usage.hint.clone() };
        }
        if let Some(server) = cause.downcast_ref::<ServerError>() {
            return Classified { status: ExitStatus::Database, message: render(err), hint: Some(server.hint.clone()) };
        }
        if let Some(pg) = cause.downcast_ref::<tokio_postgres::Error>() {
            let (status, hint) = classify_postgres(pg);
            return Classified { status, message: render(err), hint };
        }
    }
    Classified { status: ExitStatus::Database, message: render(err), hint: None }
}

/// [`classify`], with a privilege error (42501) saying what `command` needs on `table` (written
/// as on the command line) and the GRANT that gives it, as the README's "Least privilege" lists.
pub(crate) fn classify_for(err: &anyhow::Error, command: &Spec, table: &str) -> Classified {
    let mut classified = classify(err);
    let denied = err
        .chain()
        .filter_map(|cause| cause.downcast_ref::<tokio_postgres::Error>())
        .any(|pg| pg.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    if let (true, Some((needs, hint))) = (denied, needed_privileges(command.privileges, table)) {
        classified.message = format!("{}: {} needs {needs}", classified.message, command.name);
        classified.hint = Some(hint);
    }
    classified
}

/// What a command needing `privileges` needs beyond CONNECT on the database and USAGE on the
/// table's schema, and the statement a DBA runs to give it.
fn needed_privileges(privileges: Privileges, table: &str) -> Option<(String, String)> {
    let usage = "CONNECT on the database, USAGE on the table's schema";
    let see = "see the README, \"Least privilege\"";
    let grant = |privileges: &str| {
        format!(
            "GRANT CONNECT ON DATABASE <database> TO <role>; GRANT USAGE ON SCHEMA <schema> TO <role>; \
             GRANT {privileges} ON {table} TO <role>; {see}"
        )
    };
    match privileges {
        Privileges::Select => Some((format!("{usage} and SELECT on the table"), grant("SELECT"))),
        Privileges::SelectUpdate => Some((
            format!("{usage}, SELECT and UPDATE on the table (locking rows FOR UPDATE needs UPDATE)"),
            grant("SELECT, UPDATE"),
        )),
        Privileges::Owner => Some((
            "to own the table (ALTER TABLE and CREATE INDEX are the owner's alone) and CREATE on its schema \
             (CREATE INDEX checks it)"
                .into(),
            format!(
                "run it as the owner of {table} or a member of the owning role, after \
                 GRANT CREATE ON SCHEMA <schema> TO <owner>; {see}"
            ),
        )),
        Privileges::SelectInsertUpdate => {
            Some((format!("{usage}, SELECT, INSERT and UPDATE on the table"), grant("SELECT, INSERT, UPDATE")))
        }
        Privileges::None => None,
    }
}

/// Exit status and hint of a PostgreSQL error, by SQLSTATE class and code.
fn classify_postgres(err: &tokio_postgres::Error) -> (ExitStatus, Option<String>) {
    let Some(code) = err.code() else {
        // No SQLSTATE: the connection itself failed (refused, reset, TLS, timeout).
        return (
            ExitStatus::Database,
            Some(
                "check that the server runs and accepts connections at that address \
                 (--database-url, PGHOST, PGPORT, PGSSLMODE)"
                    .into(),
            ),
        );
    };
    let hint = |s: &str| Some(s.to_string());
    match code {
        c if *c == SqlState::LOCK_NOT_AVAILABLE => (
            ExitStatus::LockTimeout,
            hint("another session holds a conflicting lock; retry later, or raise --lock-timeout"),
        ),
        c if *c == SqlState::QUERY_CANCELED => (
            ExitStatus::Database,
            hint("the statement was cancelled, usually by --statement-timeout; raise it for large tables"),
        ),
        c if *c == SqlState::INSUFFICIENT_PRIVILEGE => (
            ExitStatus::Usage,
            hint("the role lacks a privilege on the table; see the README's GRANTs for this subcommand"),
        ),
        c if *c == SqlState::UNDEFINED_TABLE || *c == SqlState::UNDEFINED_COLUMN => {
            (ExitStatus::Usage, hint("check --table and the table's columns"))
        }
        c if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => (
            ExitStatus::Database,
            hint("check the role and its password (PGUSER, PGPASSWORD, ~/.pgpass or the URL) and pg_hba.conf"),
        ),
        c if *c == SqlState::INVALID_CATALOG_NAME => {
            (ExitStatus::Database, hint("the database does not exist; check the URL or PGDATABASE"))
        }
        c if *c == SqlState::CHECK_VIOLATION || *c == SqlState::UNIQUE_VIOLATION => (
            ExitStatus::Database,
            hint("a constraint refused the change; run `syncctl validate-constraints` to see which rows"),
        ),
        c if c.code().starts_with("08") || c.code().starts_with("57P") => (
            ExitStatus::Database,
            hint("the connection was lost or the server is shutting down; retry when it is back"),
        ),
        _ => (ExitStatus::Database, None),
    }
}

/// The error chain as one line, outermost first. A PostgreSQL error contributes its primary
/// message and detail once; its own sources repeat it.
fn render(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        if let Some(pg) = cause.downcast_ref::<tokio_postgres::Error>() {
            match pg.as_db_error() {
                Some(db) => {
                    let mut text = db.message().to_string();
                    if let Some(detail) = db.detail() {
                        text.push_str(&format!(" ({detail})"));
                    }
                    parts.push(text);
                }
                None => {
                    // "error connecting to server" alone does not say why: the cause (refused,
                    // unknown host, timed out) is the error's source.
                    let mut text = pg.to_string();
                    let mut source = std::error::Error::source(pg);
                    while let Some(cause) = source {
                        let cause_text = cause.to_string();
                        if !text.ends_with(&cause_text) {
                            text.push_str(&format!(": {cause_text}"));
                        }
                        source = cause.source();
                    }
                    parts.push(text);
                }
            }
            break;
        }
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
