//! How every statement reaches the server: as an unnamed statement with its parameter types
//! given (tokio-postgres's `*_typed` calls: Parse, Bind, Describe and Execute in one round
//! trip), never a named prepared statement. Through PgBouncer's transaction pooling a named
//! statement is prepared on one server connection and may be executed or closed on another:
//! missing there, or left behind to collide with the next client's (`prepared statement "s4"
//! already exists`).
//!
//! Each parameter says its PostgreSQL type ([`Param`]); a [`TextParam`] leaves it to the server,
//! which infers it from the statement (a value compared with `user_id` takes user_id's type).

use postgres_types::{Kind, ToSql, Type};
use tokio_postgres::{Error, GenericClient, Row};

use super::param::TextParam;

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
pub(crate) async fn query(client: &impl GenericClient, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>, Error> {
    client.query_typed(sql, &typed(params)).await
}

/// The one row of `sql` (an error unless there is exactly one).
pub(crate) async fn query_one(client: &impl GenericClient, sql: &str, params: &[&dyn Param]) -> Result<Row, Error> {
    client.query_typed_one(sql, &typed(params)).await
}

/// The row of `sql`, if any (an error if there are several).
pub(crate) async fn query_opt(
    client: &impl GenericClient,
    sql: &str,
    params: &[&dyn Param],
) -> Result<Option<Row>, Error> {
    client.query_typed_opt(sql, &typed(params)).await
}

/// Runs `sql`; the number of rows it touched.
pub(crate) async fn execute(client: &impl GenericClient, sql: &str, params: &[&dyn Param]) -> Result<u64, Error> {
    client.execute_typed(sql, &typed(params)).await
}
