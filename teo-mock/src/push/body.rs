//! A batch's body, in the task's `LogFormat` (EdgeOne's API reference, `LogFormat`):
//!
//! - no `LogFormat`: a JSON array of objects (what the API says of `custom_endpoint`);
//! - `json`: each record's `"Key":value` pairs joined by `FieldDelimiter` (`,`), wrapped in
//!   `RecordPrefix`/`RecordSuffix` (`{`/`}`);
//! - `csv`: the values alone, joined by `FieldDelimiter` (`,`); a value holding the delimiter,
//!   a quote or a line end is quoted CSV-style (quotes doubled);
//! - `template`: `RecordTemplate` with each `${Field}` replaced by the value (text as is,
//!   numbers as digits, arrays and objects as JSON).
//!
//! Records are joined by `RecordDelimiter` (`\n`), the whole wrapped in
//! `BatchPrefix`/`BatchSuffix` (empty). An empty `FieldDelimiter` or `RecordDelimiter` is
//! taken as not given (the API's examples send empty members for unset ones).

use serde_json::Value;

use super::records::Record;

/// The members of a task's `LogFormat` (absent ones as their defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    /// `json`, `csv` or `template`.
    pub format_type: String,
    /// Before the batch.
    pub batch_prefix: String,
    /// After the batch.
    pub batch_suffix: String,
    /// Before each record.
    pub record_prefix: String,
    /// After each record.
    pub record_suffix: String,
    /// Between records.
    pub record_delimiter: String,
    /// The record, with `${Field}` placeholders (`template`).
    pub record_template: String,
    /// Between fields (`json`, `csv`).
    pub field_delimiter: String,
}

impl LogFormat {
    /// The format of a request's `LogFormat` member; `None` when absent, null, or not an
    /// object.
    pub fn from_request(value: Option<&Value>) -> Option<LogFormat> {
        let object = value?.as_object()?;
        let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
        let format_type = text("FormatType").unwrap_or_else(|| "json".into());
        let json = format_type == "json";
        let non_empty = |name: &str, default: &str| {
            text(name)
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| default.into())
        };
        Some(LogFormat {
            batch_prefix: text("BatchPrefix").unwrap_or_default(),
            batch_suffix: text("BatchSuffix").unwrap_or_default(),
            record_prefix: text("RecordPrefix")
                .unwrap_or_else(|| if json { "{" } else { "" }.into()),
            record_suffix: text("RecordSuffix")
                .unwrap_or_else(|| if json { "}" } else { "" }.into()),
            record_delimiter: non_empty("RecordDelimiter", "\n"),
            record_template: text("RecordTemplate").unwrap_or_default(),
            field_delimiter: non_empty("FieldDelimiter", ","),
            format_type,
        })
    }
}

/// The body of a batch of `records` in `format` (see the module).
pub fn render(records: &[Record], format: Option<&LogFormat>) -> Vec<u8> {
    let Some(format) = format else {
        let mut out = String::from("[");
        for (i, record) in records.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            object(record, &mut out);
        }
        out.push(']');
        return out.into_bytes();
    };
    let mut out = format.batch_prefix.clone();
    for (i, record) in records.iter().enumerate() {
        if i > 0 {
            out.push_str(&format.record_delimiter);
        }
        out.push_str(&format.record_prefix);
        match format.format_type.as_str() {
            "csv" => {
                for (j, (_, value)) in record.iter().enumerate() {
                    if j > 0 {
                        out.push_str(&format.field_delimiter);
                    }
                    csv_value(&text_of(value), &format.field_delimiter, &mut out);
                }
            }
            "template" => out.push_str(&template(&format.record_template, record)),
            _ => {
                for (j, (name, value)) in record.iter().enumerate() {
                    if j > 0 {
                        out.push_str(&format.field_delimiter);
                    }
                    out.push_str(&Value::from(name.as_str()).to_string());
                    out.push(':');
                    out.push_str(&value.to_string());
                }
            }
        }
        out.push_str(&format.record_suffix);
    }
    out.push_str(&format.batch_suffix);
    out.into_bytes()
}

/// The single test object posted when a task is saved: one JSON object.
pub fn test_object(record: &Record) -> Vec<u8> {
    let mut out = String::new();
    object(record, &mut out);
    out.into_bytes()
}

/// The record as a JSON object, members in order.
pub fn object(record: &Record, out: &mut String) {
    out.push('{');
    for (i, (name, value)) in record.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(name.as_str()).to_string());
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push('}');
}

/// A value as text: strings as they are, the rest as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn csv_value(text: &str, delimiter: &str, out: &mut String) {
    if text.contains(delimiter) || text.contains(['"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn template(template: &str, record: &Record) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match record.iter().find(|(n, _)| n == name) {
                    Some((_, value)) => out.push_str(&text_of(value)),
                    // Not a field of the record: left as written.
                    None => out.push_str(&rest[start..start + 2 + end + 1]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn records() -> Vec<Record> {
        vec![
            vec![("A".into(), json!("x,y")), ("B".into(), json!(1))],
            vec![("A".into(), json!("say \"hi\"")), ("B".into(), json!(2))],
        ]
    }

    fn format(value: Value) -> LogFormat {
        LogFormat::from_request(Some(&value)).unwrap()
    }

    #[test]
    fn every_shape() {
        let r = records();
        assert_eq!(
            String::from_utf8(render(&r, None)).unwrap(),
            r#"[{"A":"x,y","B":1},{"A":"say \"hi\"","B":2}]"#
        );
        let json = format(json!({"FormatType": "json"}));
        assert_eq!(
            String::from_utf8(render(&r, Some(&json))).unwrap(),
            "{\"A\":\"x,y\",\"B\":1}\n{\"A\":\"say \\\"hi\\\"\",\"B\":2}"
        );
        let wrapped = format(
            json!({"FormatType": "json", "BatchPrefix": "[", "BatchSuffix": "]",
            "RecordDelimiter": ",", "FieldDelimiter": ""}),
        );
        let text = String::from_utf8(render(&r, Some(&wrapped))).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()[1]["B"], 2);
        let csv = format(json!({"FormatType": "csv", "FieldDelimiter": ","}));
        assert_eq!(
            String::from_utf8(render(&r, Some(&csv))).unwrap(),
            "\"x,y\",1\n\"say \"\"hi\"\"\",2"
        );
        let tsv = format(json!({"FormatType": "csv", "FieldDelimiter": "\t"}));
        assert_eq!(
            String::from_utf8(render(&r, Some(&tsv))).unwrap(),
            "x,y\t1\n\"say \"\"hi\"\"\"\t2"
        );
        let template = format(json!({"FormatType": "template",
            "RecordTemplate": "a=${A} b=${B} c=${C}", "RecordDelimiter": "\t"}));
        assert_eq!(
            String::from_utf8(render(&r, Some(&template))).unwrap(),
            "a=x,y b=1 c=${C}\ta=say \"hi\" b=2 c=${C}"
        );
        assert_eq!(
            String::from_utf8(test_object(&r[0])).unwrap(),
            r#"{"A":"x,y","B":1}"#
        );
    }
}
