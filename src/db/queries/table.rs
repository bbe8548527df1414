//! The catalog read of `Table::introspect` (`sql/table/introspect.sql`): in one statement, what
//! the table is, its columns, key, CHECK, the relations that carry its index names, its
//! partitioning, how user_id compares, and what the server is.

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres_types::{Format, IsNull, Json, ToSql, Type, to_sql_checked};
use serde::Deserialize;
use tokio_postgres::{Error, GenericClient};

use super::{Fill, FromRow, row};
use crate::db::query::{Param, Typed, query_one};

row! {
    /// A column of the table (`columns` of table/introspect.sql).
    #[derive(Deserialize)]
    Column {
        /// Its name.
        name: String,
        /// Its type as PostgreSQL writes it (`timestamp without time zone`).
        type_name: String,
        /// The base type's oid (a domain counts as its base type).
        base_type: u32,
    }
}

row! {
    /// The constraint named like the CHECK (`check` of table/introspect.sql).
    #[derive(Deserialize)]
    CheckRow {
        /// Its contype (`c` for a CHECK).
        contype: String,
        /// pg_get_constraintdef.
        definition: String,
        /// convalidated.
        validated: bool,
        /// progress_percentage is a domain.
        progress_is_domain: bool,
        /// is_syncing is a domain.
        syncing_is_domain: bool,
    }
}

row! {
    /// A relation of the table's schema with one of the index names (`named` of
    /// table/introspect.sql).
    #[derive(Default, Deserialize)]
    NamedRelation {
        /// Its oid.
        oid: u32,
        /// Its name.
        name: String,
        /// Its relkind.
        kind: String,
        /// `schema.name`, quoted as needed.
        qualified: String,
        /// An index on this table.
        on_table: bool,
        /// The table an index is on.
        owner: Option<String>,
        /// indisunique.
        is_unique: bool,
        /// indisvalid and indisready.
        is_valid: bool,
        /// indimmediate.
        is_immediate: bool,
        /// The key's columns.
        key_columns: Vec<String>,
        /// The WHERE clause.
        predicate: Option<String>,
        /// NULLS NOT DISTINCT.
        nulls_not_distinct: bool,
        /// A collation on the key other than the column's.
        other_collation: bool,
        /// pg_get_indexdef.
        definition: Option<String>,
    }
}

row! {
    /// How a partitioned table is partitioned (`partitioning` of table/introspect.sql).
    #[derive(Deserialize)]
    Partitioning {
        /// HASH, LIST or RANGE.
        strategy: String,
        /// The partition key's columns.
        columns: Vec<String>,
    }
}

row! {
    /// `table/introspect.sql`: the table as the catalog describes it, and the server.
    Definition {
        /// Its oid.
        oid: u32,
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
        /// Its relkind (`r`, `p`, `v`…).
        kind: String,
        /// A hot standby: in recovery, read-only.
        standby: bool,
        /// How far its replay lags, on a standby that has replayed something.
        replay_lag_seconds: Option<f64>,
        /// server_version.
        version: String,
        /// The port the server listens on.
        port: i32,
        /// Its columns.
        columns: Json<Vec<Column>>,
        /// Its primary key's columns.
        key: Vec<String>,
        /// The constraint with the CHECK's name, if any.
        check: Option<Json<CheckRow>>,
        /// The relations with the index names.
        named: Json<Vec<NamedRelation>>,
        /// Its partitioning, if partitioned.
        partitioning: Option<Json<Partitioning>>,
        /// A valid unique index on user_id alone.
        one_row_per_user: bool,
        /// The schema of the hash function of user_id's type, if it has a hash class.
        hash_schema: Option<String>,
        /// That function.
        hash_function: Option<String>,
    }
}

/// A relation's name as syncctl quoted it, sent as text for the server to read as `regclass`:
/// resolved exactly as in a query (search_path, quoting), an error when there is none.
#[derive(Debug)]
struct RelationName<'a>(&'a str);

impl ToSql for RelationName<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::REGCLASS
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

impl Typed for RelationName<'_> {
    fn pg() -> Type {
        Type::REGCLASS
    }
}

/// The statement, with session/server.sql and table/user_identity.sql filled in.
fn statement() -> super::Filled {
    let fill = Fill::default()
        .with("server", super::SESSION_SERVER.render(&Fill::default()).trim_end())
        .with("user_identity", super::user_identity());
    super::TABLE_INTROSPECT.filled(&fill)
}

/// The definition of the relation named `quoted` (a quoted, possibly qualified name);
/// `check_name` is the CHECK's, `index_names` the names its indexes may have. No such relation
/// is the server's error (SQLSTATE 42P01, or 3F000 for the schema).
pub(crate) async fn definition(
    client: &impl GenericClient,
    quoted: &str,
    check_name: &str,
    index_names: &[String],
) -> Result<Definition, Error> {
    let name = RelationName(quoted);
    let params: [&dyn Param; 3] = [&name, &check_name, &index_names];
    Definition::from_row(&query_one(client, &statement(), &params).await?)
}

impl Definition {
    /// What the server is, as session/server.sql says it.
    pub(crate) fn reached(&self) -> super::session::Reached {
        super::session::Reached {
            standby: self.standby,
            replay_lag_seconds: self.replay_lag_seconds,
            version: self.version.clone(),
            port: self.port,
        }
    }
}
