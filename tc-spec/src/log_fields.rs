//! Log fields: the members of a service's log records, declared in `log-fields.json` (the API
//! description says nothing about what is inside a log packet), checked here and generated
//! into record types, their reader and their dataset columns.
//!
//! ```json
//! { "kinds": { "l4": {
//!     "record": "L4Record", "doc": "One interval of an L4 proxy connection.",
//!     "source": "where the fields were checked", "partition_time": ["LogTimeStamp"],
//!     "fields": [
//!       {"wire": "SentBytes", "rust": "sent_bytes", "type": "integer",
//!        "encodings": ["number", "text"], "sentinels": ["-", "", -1],
//!        "doc": "Bytes sent to the client in this interval."} ] } } }
//! ```
//!
//! Every problem is reported at once, each at the path of its entry
//! (`log-fields.json/l4/SentBytes`): unknown types, encodings or sentinels, a wire or Rust name
//! used twice in a kind, a Rust name that is no snake_case identifier, a missing doc or source,
//! a partition time that is no timestamp field of the kind.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use crate::validate::Diagnostic;

/// The file name, beside the service's versioned spec folders (`api-spec/teo/log-fields.json`).
pub const FILE: &str = "log-fields.json";

/// All log kinds of a service, in the file's order of names (sorted).
#[derive(Debug, Clone, PartialEq)]
pub struct LogFields {
    /// One entry per kind, sorted by kind name.
    pub kinds: Vec<LogKind>,
}

/// One kind of log record (`l7`, `l4`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogKind {
    /// `l7`: the `kind=` partition of datasets.
    pub name: String,
    /// `L7Record`: the Rust type.
    pub record: String,
    /// Documentation of the record type, copied onto the generated struct.
    pub doc: String,
    /// Where the fields were checked, unless a field names its own source.
    pub source: String,
    /// Wire names of the timestamp fields that place a record in time, the first present wins.
    pub partition_time: Vec<String>,
    /// The record's members, in the file's order (the order of the generated struct and columns).
    pub fields: Vec<Field>,
}

/// One member of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// As the service sends it, misspellings kept: `DisconnetTimeStamp`.
    pub wire: String,
    /// The Rust field: `disconnect_time_stamp`.
    pub rust: String,
    /// The value type and the JSON encodings the reader accepts for it.
    pub kind: FieldType,
    /// Values meaning "absent" besides JSON null.
    pub sentinels: Sentinels,
    /// Documentation of the member, copied onto the generated field and column.
    pub doc: String,
    /// Where this field was checked, when not the kind's source.
    pub source: Option<String>,
}

/// What a field holds and the encodings it is accepted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text; `dictionary`: few distinct values, dictionary-encoded in Parquet. Any other JSON
    /// value is kept as its JSON text.
    Text {
        /// Few distinct values: dictionary-encoded in Parquet.
        dictionary: bool,
    },
    /// A signed 64-bit integer: as a JSON number (integral floats below 9e15 included) and/or
    /// as text holding one.
    Integer {
        /// Accepted as a JSON number.
        number: bool,
        /// Accepted as text holding a decimal integer.
        text: bool,
    },
    /// An instant: as date-time text (an instant when RFC 3339) and/or as a number since the
    /// Unix epoch, in seconds or in milliseconds (not both: a number must tell its unit).
    Timestamp {
        /// Accepted as date-time text.
        text: bool,
        /// Accepted as a number of seconds since the Unix epoch.
        unix_seconds: bool,
        /// Accepted as a number of milliseconds since the Unix epoch.
        unix_millis: bool,
    },
}

/// The sentinels a field may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sentinels {
    /// `"-"`
    pub dash: bool,
    /// `""`
    pub empty: bool,
    /// `-1` (integers and timestamps).
    pub minus_one: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "$comment")]
    #[allow(dead_code)]
    comment: Option<String>,
    kinds: BTreeMap<String, KindEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KindEntry {
    record: String,
    #[serde(default)]
    doc: String,
    #[serde(default)]
    source: String,
    partition_time: Vec<String>,
    fields: Vec<FieldEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldEntry {
    wire: String,
    rust: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    encodings: Vec<String>,
    #[serde(default)]
    sentinels: Vec<Value>,
    #[serde(default)]
    doc: String,
    source: Option<String>,
}

/// Reads and checks `log-fields.json`; every problem is reported, at `log-fields.json/<kind>`
/// or `log-fields.json/<kind>/<wire name>`.
pub fn resolve(text: &str) -> Result<LogFields, Vec<Diagnostic>> {
    let file: File = serde_json::from_str(text).map_err(|e| {
        vec![Diagnostic {
            path: FILE.to_owned(),
            message: e.to_string(),
        }]
    })?;
    let mut problems = Vec::new();
    let mut kinds = Vec::new();
    if file.kinds.is_empty() {
        problems.push(diagnostic(FILE.to_owned(), "declares no log kind"));
    }
    let mut records = BTreeSet::new();
    for (name, entry) in file.kinds {
        let path = format!("{FILE}/{name}");
        if !is_snake_case(&name) {
            problems.push(diagnostic(
                path.clone(),
                "a kind's name is lower snake_case",
            ));
        }
        if !is_type_name(&entry.record) {
            problems.push(diagnostic(
                path.clone(),
                format!("record {:?} is no Rust type name", entry.record),
            ));
        } else if !records.insert(entry.record.clone()) {
            problems.push(diagnostic(
                path.clone(),
                format!("record {} is used by another kind", entry.record),
            ));
        }
        if entry.doc.trim().is_empty() {
            problems.push(diagnostic(path.clone(), "needs a doc"));
        }
        let fields = fields(&path, &entry, &mut problems);
        if entry.partition_time.is_empty() {
            problems.push(diagnostic(path.clone(), "`partition_time` names no field"));
        }
        for wire in &entry.partition_time {
            match fields.iter().find(|f| &f.wire == wire) {
                Some(Field {
                    kind: FieldType::Timestamp { .. },
                    ..
                }) => {}
                _ => problems.push(diagnostic(
                    path.clone(),
                    format!("partition time {wire} is no timestamp field of the kind"),
                )),
            }
        }
        kinds.push(LogKind {
            name,
            record: entry.record,
            doc: entry.doc,
            source: entry.source,
            partition_time: entry.partition_time,
            fields,
        });
    }
    if problems.is_empty() {
        Ok(LogFields { kinds })
    } else {
        Err(problems)
    }
}

/// The fields of one kind, every problem pushed.
fn fields(kind_path: &str, entry: &KindEntry, problems: &mut Vec<Diagnostic>) -> Vec<Field> {
    let mut wires = BTreeSet::new();
    let mut rusts = BTreeSet::new();
    let mut fields = Vec::new();
    if entry.fields.is_empty() {
        problems.push(diagnostic(kind_path.to_owned(), "has no field"));
    }
    for field in &entry.fields {
        let path = format!("{kind_path}/{}", field.wire);
        let mut problem = |message: String| problems.push(diagnostic(path.clone(), message));
        if field.wire.is_empty()
            || field
                .wire
                .chars()
                .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            problem(
                "a wire name is non-empty, without quotes, backslashes or control characters"
                    .into(),
            );
        }
        if !wires.insert(field.wire.clone()) {
            problem(format!("wire name {} twice in the kind", field.wire));
        }
        if !is_snake_case(&field.rust) || field.rust == "extra" {
            problem(format!(
                "Rust name {:?} is no snake_case field name (or is `extra`, the unknown members)",
                field.rust
            ));
        } else if !rusts.insert(field.rust.clone()) {
            problem(format!("Rust name {} twice in the kind", field.rust));
        }
        if field.doc.trim().is_empty() {
            problem("needs a doc".into());
        }
        if entry.source.trim().is_empty() && field.source.as_deref().is_none_or(str::is_empty) {
            problem("needs a source (its own or the kind's)".into());
        }
        let kind = match field_type(field) {
            Ok(kind) => kind,
            Err(message) => {
                problem(message);
                continue;
            }
        };
        let sentinels = match sentinels(field, kind) {
            Ok(sentinels) => sentinels,
            Err(message) => {
                problem(message);
                continue;
            }
        };
        fields.push(Field {
            wire: field.wire.clone(),
            rust: field.rust.clone(),
            kind,
            sentinels,
            doc: field.doc.clone(),
            source: field.source.clone(),
        });
    }
    fields
}

fn field_type(field: &FieldEntry) -> Result<FieldType, String> {
    let has = |name: &str| field.encodings.iter().any(|e| e == name);
    let only = |allowed: &[&str]| -> Result<(), String> {
        match field
            .encodings
            .iter()
            .find(|e| !allowed.contains(&e.as_str()))
        {
            Some(unknown) => Err(format!(
                "unknown encoding {unknown:?} for {} (known: {})",
                field.kind,
                allowed.join(", ")
            )),
            None if field.encodings.is_empty() && !allowed.is_empty() => {
                Err(format!("a {} lists its encodings", field.kind))
            }
            None => Ok(()),
        }
    };
    match field.kind.as_str() {
        "text" | "dictionary" => {
            only(&[])?;
            Ok(FieldType::Text {
                dictionary: field.kind == "dictionary",
            })
        }
        "integer" => {
            only(&["number", "text"])?;
            Ok(FieldType::Integer {
                number: has("number"),
                text: has("text"),
            })
        }
        "timestamp" => {
            only(&["text", "unix_seconds", "unix_millis"])?;
            if has("unix_seconds") && has("unix_millis") {
                return Err("a number is Unix seconds or Unix milliseconds, not both".into());
            }
            Ok(FieldType::Timestamp {
                text: has("text"),
                unix_seconds: has("unix_seconds"),
                unix_millis: has("unix_millis"),
            })
        }
        other => Err(format!(
            "unknown type {other:?} (known: text, dictionary, integer, timestamp)"
        )),
    }
}

fn sentinels(field: &FieldEntry, kind: FieldType) -> Result<Sentinels, String> {
    let mut sentinels = Sentinels::default();
    for value in &field.sentinels {
        match value {
            Value::String(s) if s == "-" => sentinels.dash = true,
            Value::String(s) if s.is_empty() => sentinels.empty = true,
            Value::Number(n) if n.as_i64() == Some(-1) => {
                if matches!(kind, FieldType::Text { .. }) {
                    return Err("-1 is a sentinel of integers and timestamps only".into());
                }
                sentinels.minus_one = true;
            }
            other => return Err(format!("unknown sentinel {other} (known: \"-\", \"\", -1)")),
        }
    }
    Ok(sentinels)
}

fn diagnostic(path: String, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        path,
        message: message.into(),
    }
}

fn is_snake_case(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !crate::naming::is_keyword(name)
}

fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(fields: &str) -> String {
        format!(
            r#"{{"kinds": {{"l4": {{"record": "L4Record", "doc": "d", "source": "s",
                "partition_time": ["T"], "fields": [
                {{"wire": "T", "rust": "t", "type": "timestamp", "encodings": ["text"], "doc": "d"}}
                {fields}]}}}}}}"#
        )
    }

    fn problems(fields: &str) -> Vec<String> {
        match resolve(&file(fields)) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_valid_field_reads_into_the_model() {
        let text = file(
            r#", {"wire": "Port", "rust": "port", "type": "integer",
                 "encodings": ["text", "number"], "sentinels": ["-", -1], "doc": "d"}"#,
        );
        let fields = resolve(&text).unwrap();
        let port = &fields.kinds[0].fields[1];
        assert_eq!(
            port.kind,
            FieldType::Integer {
                number: true,
                text: true
            }
        );
        assert_eq!(
            port.sentinels,
            Sentinels {
                dash: true,
                empty: false,
                minus_one: true
            }
        );
    }

    #[test]
    fn each_problem_names_its_entry() {
        let found = problems(
            r#", {"wire": "A", "rust": "a", "type": "float", "doc": "d"},
                 {"wire": "T", "rust": "t2", "type": "text", "doc": "d"},
                 {"wire": "B", "rust": "t", "type": "text", "doc": "d"},
                 {"wire": "C", "rust": "c", "type": "text", "doc": " "},
                 {"wire": "D", "rust": "D", "type": "text", "doc": "d"},
                 {"wire": "E", "rust": "e", "type": "integer", "encodings": ["hex"], "doc": "d"},
                 {"wire": "F", "rust": "f", "type": "text", "sentinels": [-1], "doc": "d"},
                 {"wire": "G", "rust": "g", "type": "text", "sentinels": ["n/a"], "doc": "d"},
                 {"wire": "H", "rust": "h", "type": "integer", "doc": "d"},
                 {"wire": "M", "rust": "m", "type": "timestamp", "encodings": ["unix_seconds", "unix_millis"], "doc": "d"}"#,
        );
        let expected = [
            "log-fields.json/l4/A: unknown type \"float\"",
            "log-fields.json/l4/T: wire name T twice in the kind",
            "log-fields.json/l4/B: Rust name t twice in the kind",
            "log-fields.json/l4/C: needs a doc",
            "log-fields.json/l4/D: Rust name \"D\" is no snake_case field name",
            "log-fields.json/l4/E: unknown encoding \"hex\" for integer",
            "log-fields.json/l4/F: -1 is a sentinel of integers and timestamps only",
            "log-fields.json/l4/G: unknown sentinel \"n/a\"",
            "log-fields.json/l4/H: a integer lists its encodings",
            "log-fields.json/l4/M: a number is Unix seconds or Unix milliseconds, not both",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.starts_with(expected), "{found} vs {expected}");
        }
    }

    #[test]
    fn kind_level_problems_are_named() {
        let text = r#"{"kinds": {"L7": {"record": "l7", "partition_time": ["X"],
            "fields": [{"wire": "X", "rust": "x", "type": "text", "doc": "d"}]}}}"#;
        let found: Vec<String> = resolve(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "log-fields.json/L7: a kind's name is lower snake_case",
                "log-fields.json/L7: record \"l7\" is no Rust type name",
                "log-fields.json/L7: needs a doc",
                "log-fields.json/L7/X: needs a source (its own or the kind's)",
                "log-fields.json/L7: partition time X is no timestamp field of the kind",
            ]
        );
    }

    #[test]
    fn unknown_keys_and_bad_json_are_errors() {
        let found = resolve(r#"{"kinds": {}, "extra": 1}"#).unwrap_err();
        assert!(found[0].to_string().contains("unknown field `extra`"));
        let found = resolve(r#"{"kinds": {}}"#).unwrap_err();
        assert_eq!(
            found[0].to_string(),
            "log-fields.json: declares no log kind"
        );
    }
}
