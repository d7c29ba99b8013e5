//! The columns of each record type, in one table that the Parquet schema, the NDJSON and CSV
//! writers and the summaries all read, so a field is named and typed in one place.

use serde_json::{Map, Value};
use teo_client::logs::records::{L4Record, L7Record, LogRecord};
use teo_client::models::DateTime;
use time::OffsetDateTime;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text. `dictionary`: few distinct values (methods, regions, cache statuses…), so Parquet
    /// dictionary-encodes it; ids and addresses are written plain.
    Text { dictionary: bool },
    /// A signed 64-bit integer.
    Int,
    /// An instant, milliseconds since the Unix epoch, UTC.
    Time,
}

/// One member's value in a record.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Time(Option<&'a DateTime>),
}

/// A record's member: its wire name (the column's name everywhere), its type, and how to read it.
pub struct Column<R> {
    pub name: &'static str,
    pub kind: ColumnType,
    pub get: fn(&R) -> Cell<'_>,
}

/// A record type that becomes rows: the log kind and its columns.
pub trait Table: LogRecord + Send + 'static {
    /// `l4` or `l7`: the `kind=` partition.
    const KIND: &'static str;
    /// Every known member, in the order of the field list of `LOG-FIELDS.md`.
    fn columns() -> &'static [Column<Self>];
    /// The instant that places the record in a `date=`/`hour=` partition.
    fn time(&self) -> Option<OffsetDateTime>;
    /// Members not known to this version, as sent.
    fn extra(&self) -> &Map<String, Value>;
}

/// The name of the column holding the members a record type does not know, as a JSON object
/// text (null when there are none): nothing a newer service sends is lost.
pub const EXTRA: &str = "extra";

macro_rules! text {
    ($name:literal, $field:ident, $dict:literal) => {
        Column {
            name: $name,
            kind: ColumnType::Text { dictionary: $dict },
            get: |r| Cell::Text(r.$field.as_deref()),
        }
    };
}
macro_rules! int {
    ($name:literal, $field:ident) => {
        Column {
            name: $name,
            kind: ColumnType::Int,
            get: |r| Cell::Int(r.$field),
        }
    };
}
macro_rules! time {
    ($name:literal, $field:ident) => {
        Column {
            name: $name,
            kind: ColumnType::Time,
            get: |r| Cell::Time(r.$field.as_ref()),
        }
    };
}

static L7_COLUMNS: [Column<L7Record>; 32] = [
    text!("RequestID", request_id, false),
    text!("ClientIP", client_ip, false),
    text!("ClientRegion", client_region, true),
    text!("ClientState", client_state, true),
    text!("ClientISP", client_isp, true),
    time!("RequestTime", request_time),
    int!("RequestStatus", request_status),
    text!("RequestHost", request_host, true),
    int!("RequestBytes", request_bytes),
    text!("RequestMethod", request_method, true),
    text!("RequestUrl", request_url, true),
    text!("RequestUrlQueryString", request_url_query_string, false),
    text!("RequestUA", request_ua, true),
    text!("RequestRange", request_range, false),
    text!("RequestReferer", request_referer, true),
    text!("RequestProtocol", request_protocol, true),
    int!("RemotePort", remote_port),
    text!("EdgeCacheStatus", edge_cache_status, true),
    int!("EdgeResponseStatusCode", edge_response_status_code),
    int!("EdgeResponseBytes", edge_response_bytes),
    int!("EdgeResponseBodyBytes", edge_response_body_bytes),
    int!("EdgeResponseTime", edge_response_time),
    int!("EdgeInternalTime", edge_internal_time),
    text!("EdgeServerIP", edge_server_ip, true),
    text!("EdgeServerID", edge_server_id, true),
    int!("EdgeFunctionSubrequest", edge_function_subrequest),
    text!("ContentID", content_id, true),
    text!("ParentRequestID", parent_request_id, false),
    text!("SecurityAction", security_action, true),
    text!("SecurityRuleID", security_rule_id, true),
    text!("SecurityUserNote", security_user_note, true),
    text!("SecurityModule", security_module, true),
];

static L4_COLUMNS: [Column<L4Record>; 13] = [
    text!("ServiceID", service_id, true),
    text!("SessionID", session_id, false),
    time!("ConnectTimeStamp", connect_time_stamp),
    time!("DisconnetTimeStamp", disconnect_time_stamp),
    text!("DisconnetReason", disconnect_reason, true),
    text!("ClientRealIP", client_real_ip, false),
    text!("ClientRegion", client_region, true),
    text!("EdgeIP", edge_ip, true),
    text!("ForwardProtocol", forward_protocol, true),
    int!("ForwardPort", forward_port),
    int!("SentBytes", sent_bytes),
    int!("ReceivedBytes", received_bytes),
    time!("LogTimeStamp", log_time_stamp),
];

impl Table for L7Record {
    const KIND: &'static str = "l7";

    fn columns() -> &'static [Column<Self>] {
        &L7_COLUMNS
    }

    fn time(&self) -> Option<OffsetDateTime> {
        self.request_time.as_ref()?.instant()
    }

    fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
}

impl Table for L4Record {
    const KIND: &'static str = "l4";

    fn columns() -> &'static [Column<Self>] {
        &L4_COLUMNS
    }

    /// The interval's end; a record without one is placed by its connection's start.
    fn time(&self) -> Option<OffsetDateTime> {
        self.log_time_stamp
            .as_ref()
            .or(self.connect_time_stamp.as_ref())?
            .instant()
    }

    fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }
}

/// Milliseconds since the epoch, if the instant is within what an `i64` of them holds.
pub(crate) fn epoch_millis(instant: OffsetDateTime) -> Option<i64> {
    i64::try_from(instant.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
