//! A query parameter sent as text, so the server parses it with the column's own type: `--user`
//! and `--task` are compared with `user_id` and `task_id` whatever their types are, and a value
//! the type cannot hold is the server's error, not a guess of ours.

use std::error::Error;

use bytes::BytesMut;
use postgres_types::{Format, IsNull, ToSql, Type, to_sql_checked};

/// A value in PostgreSQL's text format, accepted for a parameter of any type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextParam(pub String);

impl ToSql for TextParam {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}
