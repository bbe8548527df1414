//! How every statement reaches the server: as an unnamed statement with its parameter types
//! given (tokio-postgres's `*_typed` calls: Parse, Bind, Describe and Execute in one round
//! trip), never a named prepared statement. Through PgBouncer's transaction pooling a named
//! statement is prepared on one server connection and may be executed or closed on another:
//! missing there, or left behind to collide with the next client's (`prepared statement "s4"
//! already exists`).
//!
//! Each parameter says its PostgreSQL type ([`Param`]); a [`TextParam`] leaves it to the server,
//! which infers it from the statement (a value compared with `user_id` takes user_id's type).
//!
//! Every statement passes here with its name (its file under `sql/`), so `-v` times each one
//! for every command in one place ([`trace`]).

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use postgres_types::{Kind, ToSql, Type};
use tokio_postgres::{Client, Error, GenericClient, Row};

use super::param::TextParam;
use crate::output::stream;

/// A statement as sent: its name (its path under `sql/`, without `.sql`, as `-v` shows it) and
/// its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sql<'a> {
    /// Its path under `sql/`.
    pub(crate) path: &'static str,
    /// Its text, filled.
    pub(crate) text: &'a str,
}

/// `-v` of the process: 1 times every statement, 2 adds its text. Set once by the first
/// connection ([`trace`]); the process runs one command with one set of options.
static VERBOSITY: AtomicU8 = AtomicU8::new(0);

/// Traces the statements of this process at `verbosity` (`-v` count).
pub(crate) fn trace(verbosity: u8) {
    VERBOSITY.store(verbosity, Ordering::Relaxed);
}

/// Runs `work`, the execution of `sql`, and under `-v` says on stderr how long it took
/// (`syncctl: sql health/report 3.2 ms`); under `-vv` the text follows.
async fn timed<T>(sql: Sql<'_>, work: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let verbosity = VERBOSITY.load(Ordering::Relaxed);
    if verbosity == 0 {
        return work.await;
    }
    let started = Instant::now();
    let result = work.await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let name = sql.path.trim_end_matches(".sql");
    let failed = if result.is_err() { " (failed)" } else { "" };
    stream::stderr_line(&format!("syncctl: sql {name} {ms:.1} ms{failed}"));
    if verbosity > 1 {
        stream::stderr_line(sql.text.trim_end());
    }
    result
}

/// A query parameter that knows the type it is sent as.
pub(crate) trait Param: ToSql + Sync {
    /// The type declared for it in the Parse message.
    fn pg_type(&self) -> Type;
    /// The value, for tokio-postgres.
    fn as_sql(&self) -> &(dyn ToSql + Sync);
}

/// A Rust type sent as one PostgreSQL type.
pub(crate) trait Typed {
    /// That type.
    fn pg() -> Type;
}

impl<T: Typed + ToSql + Sync> Param for T {
    fn pg_type(&self) -> Type {
        T::pg()
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        self
    }
}

macro_rules! typed {
    ($($rust:ty => $pg:ident,)*) => {
        $(impl Typed for $rust {
            fn pg() -> Type {
                Type::$pg
            }
        })*
    };
}

typed! {
    bool => BOOL,
    i32 => INT4,
    i64 => INT8,
    f64 => FLOAT8,
    u32 => OID,
    String => TEXT,
    &str => TEXT,
    Vec<String> => TEXT_ARRAY,
    Vec<&str> => TEXT_ARRAY,
    Vec<i64> => INT8_ARRAY,
    &[String] => TEXT_ARRAY,
    &[i64] => INT8_ARRAY,
    serde_json::Value => JSON,
}

impl<T: Typed> Typed for Option<T> {
    fn pg() -> Type {
        T::pg()
    }
}

impl Typed for TextParam {
    /// Type oid 0 in Parse: unspecified, for the server to infer from the statement.
    fn pg() -> Type {
        Type::new("unspecified".into(), 0, Kind::Pseudo, "pg_catalog".into())
    }
}

fn typed<'a>(params: &'a [&'a dyn Param]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params.iter().map(|p| (p.as_sql(), p.pg_type())).collect()
}

/// The rows of `sql`.
pub(crate) async fn query<'a>(
    client: &impl GenericClient,
    sql: impl Into<Sql<'a>>,
    params: &[&dyn Param],
) -> Result<Vec<Row>, Error> {
    let sql = sql.into();
    timed(sql, client.query_typed(sql.text, &typed(params))).await
}

/// The one row of `sql` (an error unless there is exactly one).
pub(crate) async fn query_one<'a>(
    client: &impl GenericClient,
    sql: impl Into<Sql<'a>>,
    params: &[&dyn Param],
) -> Result<Row, Error> {
    let sql = sql.into();
    timed(sql, client.query_typed_one(sql.text, &typed(params))).await
}

/// The row of `sql`, if any (an error if there are several).
pub(crate) async fn query_opt<'a>(
    client: &impl GenericClient,
    sql: impl Into<Sql<'a>>,
    params: &[&dyn Param],
) -> Result<Option<Row>, Error> {
    let sql = sql.into();
    timed(sql, client.query_typed_opt(sql.text, &typed(params))).await
}

/// Runs `sql`; the number of rows it touched.
pub(crate) async fn execute<'a>(
    client: &impl GenericClient,
    sql: impl Into<Sql<'a>>,
    params: &[&dyn Param],
) -> Result<u64, Error> {
    let sql = sql.into();
    timed(sql, client.execute_typed(sql.text, &typed(params))).await
}

/// Runs `sql`, which binds no parameters (a script of several statements, or DDL), in the
/// simple query protocol.
pub(crate) async fn batch<'a>(client: &Client, sql: impl Into<Sql<'a>>) -> Result<(), Error> {
    let sql = sql.into();
    timed(sql, client.batch_execute(sql.text)).await
}
