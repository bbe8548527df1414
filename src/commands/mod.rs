//! One module per subcommand, each with one entry function `run`; the table of subcommands
//! ([`Spec`]); and the preamble every command that reads the table starts with ([`Session`]).

pub(crate) mod add_constraints;
pub(crate) mod completions;
pub(crate) mod demo;
pub(crate) mod guard;
pub(crate) mod health;
pub(crate) mod inspect;
pub(crate) mod man;
pub(crate) mod reap;
pub(crate) mod repair;
pub(crate) mod start;
pub(crate) mod validate;

use anyhow::{Context, Result};
use serde::Serialize;
use tokio_postgres::Client;

use crate::Ctx;
use crate::db::{self, Access, Server};
use crate::table::Table;

/// What a subcommand needs on the table beyond CONNECT on the database and USAGE on its
/// schema (error.rs turns a privilege error into the GRANT that gives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privileges {
    /// Reads the table.
    Select,
    /// Reads and updates rows (locking rows FOR UPDATE needs UPDATE).
    SelectUpdate,
    /// Reads, inserts and updates rows.
    SelectInsertUpdate,
    /// Alters the table and builds indexes: the owner's alone.
    Owner,
    /// Works on a database of its own, or none.
    None,
}

/// A subcommand as syncctl names it: in messages, in `application_name` (`syncctl/<name>`),
/// and in what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Its name as typed.
    pub(crate) name: &'static str,
    /// What it needs on the table.
    pub(crate) privileges: Privileges,
    /// Whether it reads the timestamps (and says how naive ones are read).
    pub(crate) reads_timestamps: bool,
}

/// The table of subcommands.
pub(crate) mod spec {
    use super::{Privileges, Spec};

    const fn spec(name: &'static str, privileges: Privileges, reads_timestamps: bool) -> Spec {
        Spec { name, privileges, reads_timestamps }
    }

    /// `inspect`.
    pub(crate) const INSPECT: Spec = spec("inspect", Privileges::Select, true);
    /// `health`.
    pub(crate) const HEALTH: Spec = spec("health", Privileges::Select, true);
    /// `validate-constraints`.
    pub(crate) const VALIDATE: Spec = spec("validate-constraints", Privileges::Select, true);
    /// `repair`.
    pub(crate) const REPAIR: Spec = spec("repair", Privileges::SelectUpdate, true);
    /// `reap`.
    pub(crate) const REAP: Spec = spec("reap", Privileges::SelectUpdate, true);
    /// `add-constraints`.
    pub(crate) const ADD_CONSTRAINTS: Spec = spec("add-constraints", Privileges::Owner, true);
    /// `start`.
    pub(crate) const START: Spec = spec("start", Privileges::SelectInsertUpdate, false);
    /// `guard install`, `guard remove`.
    pub(crate) const GUARD: Spec = spec("guard", Privileges::Owner, false);
    /// `guard status`.
    pub(crate) const GUARD_STATUS: Spec = spec("guard", Privileges::Select, false);
    /// `demo`.
    pub(crate) const DEMO: Spec = spec("demo", Privileges::None, false);
    /// `completions`.
    pub(crate) const COMPLETIONS: Spec = spec("completions", Privileges::None, false);
    /// `man`.
    pub(crate) const MAN: Spec = spec("man", Privileges::None, false);
}

/// Timestamp columns without time zone, and the zone they are read in (`--timestamp-zone`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NaiveTimestamps {
    /// The columns.
    pub(crate) columns: Vec<String>,
    /// The zone.
    pub(crate) read_in: String,
}

/// Whether the preamble leaves a snapshot open for the command's reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Snapshot {
    /// A READ ONLY, REPEATABLE READ transaction, in which the table is introspected too, so
    /// every statement of the command sees one state; [`Session::finish`] ends it.
    ReadOnly,
    /// No transaction: the command runs its own.
    None,
}

/// The preamble of a command that works on the table: the connection, the table, what the
/// server is, and how naive timestamps are read, each said once on stderr.
pub(crate) struct Session {
    /// The connection (in the snapshot, with [`Snapshot::ReadOnly`]).
    pub(crate) client: Client,
    /// The table, introspected.
    pub(crate) table: Table,
    /// What the server is (a standby only for a command that reads).
    pub(crate) server: Server,
    /// Naive timestamp columns, for commands that read timestamps.
    pub(crate) naive: Option<NaiveTimestamps>,
}

impl Session {
    /// Connects for `spec`, begins the snapshot if asked, introspects `--table`, and prints the
    /// notes: a standby and its lag (for readers), naive timestamps (for commands reading them).
    pub(crate) async fn open(ctx: &Ctx, spec: &Spec, access: Access, snapshot: Snapshot) -> Result<Session> {
        let opened = db::open(&ctx.global, spec, access).await?;
        // One round trip: the snapshot's BEGIN with syncctl's settings (or the settings alone,
        // which checks them), and the table with what the server is.
        let (settled, read) = tokio::join!(
            db::settle(&opened.client, snapshot == Snapshot::ReadOnly),
            Table::read(&opened.client, &ctx.global.table)
        );
        settled?;
        let (table, reached) = read?;
        // A standby is refused here to a command that writes, before any work.
        let server = opened.arrived(&reached)?;
        if access == Access::Read {
            standby_note(server, ctx);
        }
        let client = opened.client;
        ctx.printer.debug(&format!("syncctl: table {} resolved to {}", ctx.global.table, table.shape()));
        let naive = if spec.reads_timestamps { naive_note(&table, ctx) } else { None };
        Ok(Session { client, table, server, naive })
    }

    /// Ends the snapshot.
    pub(crate) async fn finish(&self) -> Result<()> {
        self.client.batch_execute("COMMIT").await.context("ending the read-only transaction")
    }
}

/// Says, on stderr, how `timestamp without time zone` columns are read.
fn naive_note(table: &Table, ctx: &Ctx) -> Option<NaiveTimestamps> {
    let columns = table.naive_timestamp_columns();
    if columns.is_empty() {
        return None;
    }
    ctx.printer.note(&format!(
        "{} is timestamp without time zone: read as {} (--timestamp-zone)",
        columns.join(" and "),
        ctx.global.timestamp_zone
    ));
    Some(NaiveTimestamps {
        columns: columns.into_iter().map(String::from).collect(),
        read_in: ctx.global.timestamp_zone.clone(),
    })
}

/// For the read commands: when the server is a hot standby, says so, with its replay lag, and
/// warns when the lag is more than half the heartbeat timeout (live tasks then look silent,
/// their heartbeats not yet replayed).
fn standby_note(server: Server, ctx: &Ctx) {
    if !server.standby {
        return;
    }
    let lag = server.replay_lag_seconds;
    let shown = lag.map_or("unknown (nothing replayed yet)".into(), crate::output::human_seconds);
    ctx.printer
        .note(&format!("this server is a standby (in recovery): what follows is as of its replay, {shown} behind"));
    let half = ctx.global.heartbeat_timeout.as_secs_f64() / 2.0;
    if lag.is_some_and(|l| l > half) {
        ctx.printer.warn(&format!(
            "the standby's replay lags {shown}, more than half the heartbeat timeout: live tasks may look silent \
             here; run it on the primary to act on what it shows"
        ));
    }
}
