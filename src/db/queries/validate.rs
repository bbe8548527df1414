//! `validate/`: the rows that stop the three constraints from being added.

use tokio_postgres::{Error, GenericClient};

use super::{row, rows};
use crate::db::query::{Param, query};
use crate::state::{Classifier, Progress};
use crate::table::Table;

row! {
    /// `validate/violations.sql`: a sample row of one check, with the check's total.
    Violation {
        /// The check it violates (a [`crate::commands::validate::ValidationCheck`] name).
        check_name: String,
        /// How many rows violate that check.
        total: i64,
        /// The primary key as text.
        key: String,
        /// user_id as text.
        user_id: Option<String>,
        /// task_id as text.
        task_id: Option<String>,
        /// is_syncing.
        is_syncing: Option<bool>,
        /// progress_percentage.
        progress_percentage: Option<Progress>,
    }
}

/// `validate/violations.sql`'s own parameter, after the classifier's.
#[derive(Debug)]
pub(crate) struct ViolationsParams {
    /// At most this many sample rows per check (`$7`).
    pub(crate) samples_per_check: i64,
}

/// `validate/violations.sql`: per check, in check-name order, its sample rows.
pub(crate) async fn violations(
    client: &impl GenericClient,
    table: &Table,
    classifier: &Classifier,
    p: &ViolationsParams,
) -> Result<Vec<Violation>, Error> {
    let mut params = classifier.bind();
    params.push(&p.samples_per_check as &dyn Param);
    rows(&query(client, &table.render(&super::VALIDATE_VIOLATIONS), &params).await?)
}
