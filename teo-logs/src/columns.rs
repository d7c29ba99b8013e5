//! The columns of each record type, in one table that the Parquet schema, the NDJSON and CSV
//! writers and the summaries all read. The tables are generated from
//! `api-spec/teo/log-fields.json` (with the record types), so a field is named and typed in one
//! place.

use serde_json::{Map, Value};
use teo_client::models::DateTime;

pub use crate::members::ColumnType;
use crate::members::{Field, LogRecord};
use time::OffsetDateTime;

/// One member's value in a record.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// A text member; `None` when absent (or a sentinel).
    Text(Option<&'a str>),
    /// An integer member; `None` when absent (or a sentinel).
    Int(Option<i64>),
    /// A date-time member, as received; `None` when absent (or a sentinel).
    Time(Option<&'a DateTime>),
}

/// A record's member: its wire name (the column's name everywhere), its type, and how to read it.
pub struct Column<R> {
    /// The member's wire name (`RequestTime`), also the column's name.
    pub name: &'static str,
    /// What the column holds.
    pub kind: ColumnType,
    /// Reads the member's value from a record.
    pub get: fn(&R) -> Cell<'_>,
}

/// A record type that becomes rows: the log kind and its columns.
pub trait Table: LogRecord + Send + 'static {
    /// The log kind: the `kind=` partition.
    const KIND: crate::Kind;
    /// Every known member, in the order of `api-spec/teo/log-fields.json`.
    fn columns() -> &'static [Column<Self>];
    /// How each member is read, in the same order.
    fn fields() -> &'static [Field];
    /// The position of a wire name among [`Table::fields`].
    fn field_index(name: &str) -> Option<usize>;
    /// The instant that places the record in a `date=`/`hour=` partition.
    fn time(&self) -> Option<OffsetDateTime>;
    /// Members not known to this version, as sent.
    fn extra(&self) -> &Map<String, Value>;
}

/// The name of the column holding the members a record type does not know, as a JSON object
/// text (null when there are none): nothing a newer service sends is lost.
pub const EXTRA: &str = "extra";

/// Milliseconds since the epoch, if the instant is within what an `i64` of them holds.
pub(crate) fn epoch_millis(instant: OffsetDateTime) -> Option<i64> {
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{L4Record, L7Record};

    /// Every column is a member the reader knows under that wire name (a record of all of them
    /// leaves nothing in `extra` and every cell set), and no name is used twice.
    fn check<T: Table>() {
        let mut members = Map::new();
        for c in T::columns() {
            let value = match c.kind {
                ColumnType::Text { .. } => Value::from("x"),
                ColumnType::Int => Value::from(7),
                ColumnType::Time => Value::from("2024-05-01T10:00:00Z"),
            };
            assert!(
                members.insert(c.name.to_owned(), value).is_none(),
                "{} twice",
                c.name
            );
        }
        // The columns and the fields are the same members in the same order (what reading
        // raw members straight into columns relies on).
        let names: Vec<&str> = T::columns().iter().map(|c| c.name).collect();
        let fields: Vec<&str> = T::fields().iter().map(|f| f.name).collect();
        assert_eq!(names, fields);
        let record = T::from_members(members).unwrap();
        assert!(record.extra().is_empty(), "{:?}", record.extra());
        for c in T::columns() {
            let set = match (c.get)(&record) {
                Cell::Text(v) => v.is_some(),
                Cell::Int(v) => v.is_some(),
                Cell::Time(v) => v.is_some(),
            };
            assert!(set, "{} not read", c.name);
        }
        assert!(record.time().is_some());
    }

    #[test]
    fn columns_are_the_members_the_reader_knows() {
        check::<L7Record>();
        check::<L4Record>();
        check::<crate::records::FunctionRecord>();
    }
}
