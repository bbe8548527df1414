//! The catalog reads of `Table::introspect` (`sql/table/`): what the table is, its columns, key,
//! CHECK, the relations that carry its index names, its partitioning, and how user_id compares.

use tokio_postgres::{Error, GenericClient};

use super::{FromRow, row, rows};
use crate::db::query::{Param, query, query_one, query_opt};

row! {
    /// `table/resolve.sql`: the relation a `--table` name resolves to.
    Resolved {
        /// Its oid.
        oid: u32,
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
        /// Its relkind (`r`, `p`, `v`…).
        kind: String,
    }
}

row! {
    /// `table/columns.sql`: a column of the table.
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
    /// `table/primary_key.sql`: a column of the primary key, in key order.
    KeyColumn {
        /// Its name.
        name: String,
    }
}

row! {
    /// `table/constraints.sql`: the constraint named like the CHECK.
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
    /// `table/index_names.sql`: a relation of the table's schema with one of the index names.
    #[derive(Default)]
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
    /// `table/partition_key.sql`: how a partitioned table is partitioned.
    Partitioning {
        /// HASH, LIST or RANGE.
        strategy: String,
        /// The partition key's columns.
        columns: Vec<String>,
    }
}

row! {
    /// `table/user_identity.sql`: how user_id values compare.
    UserIdentity {
        /// The hash function of the type's hash class, if it has one.
        hash_function: Option<String>,
        /// Its schema.
        hash_schema: Option<String>,
        /// A valid unique index on user_id alone.
        one_row_per_user: bool,
    }
}

/// The catalog's description of one table, read in one round trip after [`resolve`].
#[derive(Debug)]
pub(crate) struct Definition {
    /// Its columns.
    pub(crate) columns: Vec<Column>,
    /// Its primary key's columns.
    pub(crate) key: Vec<KeyColumn>,
    /// The constraint with the CHECK's name, if any.
    pub(crate) check: Option<CheckRow>,
    /// The relations with the index names.
    pub(crate) named: Vec<NamedRelation>,
    /// Its partitioning, if partitioned.
    pub(crate) partitioning: Option<Partitioning>,
}

/// The relation named `quoted` (a quoted, possibly qualified name), if any.
pub(crate) async fn resolve(client: &impl GenericClient, quoted: &str) -> Result<Option<Resolved>, Error> {
    query_opt(client, &super::TABLE_RESOLVE, &[&quoted]).await?.as_ref().map(Resolved::from_row).transpose()
}

/// The table's definition; `check_name` is the CHECK's, `index_names` the names its indexes
/// may have.
pub(crate) async fn definition(
    client: &impl GenericClient,
    oid: u32,
    check_name: &str,
    index_names: &[String],
) -> Result<Definition, Error> {
    let by_oid: [&dyn Param; 1] = [&oid];
    let check_params: [&dyn Param; 2] = [&oid, &check_name];
    let name_params: [&dyn Param; 2] = [&oid, &index_names];
    // Sent together: one round trip.
    let (columns, key, check, named, partitioning) = tokio::try_join!(
        query(client, &super::TABLE_COLUMNS, &by_oid),
        query(client, &super::TABLE_PRIMARY_KEY, &by_oid),
        query_opt(client, &super::TABLE_CONSTRAINTS, &check_params),
        query(client, &super::TABLE_INDEX_NAMES, &name_params),
        query_opt(client, &super::TABLE_PARTITION_KEY, &by_oid),
    )?;
    Ok(Definition {
        columns: rows(&columns)?,
        key: rows(&key)?,
        check: check.as_ref().map(CheckRow::from_row).transpose()?,
        named: rows(&named)?,
        partitioning: partitioning.as_ref().map(Partitioning::from_row).transpose()?,
    })
}

/// How user_id of table `oid` compares.
pub(crate) async fn user_identity(client: &impl GenericClient, oid: u32) -> Result<UserIdentity, Error> {
    UserIdentity::from_row(&query_one(client, &super::TABLE_USER_IDENTITY, &[&oid]).await?)
}
