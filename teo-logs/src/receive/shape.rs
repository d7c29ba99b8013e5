//! The shapes of a pushed body, read into records (JSON objects of members).
//!
//! What EdgeOne posts (sources: the API's `RealtimeLogDeliveryTask.LogFormat` and
//! `CustomEndpoint` documentation, and the console's "Customizing Log Output Formats" page):
//! - no `LogFormat`: "an array of JSON objects" says the API; JSON Lines say the console docs;
//!   when a task is saved, one test object. All three are told apart by the first byte, and
//!   objects one after the other with or without line ends are read too.
//! - `FormatType` `json`: each record's `"Name":value` pairs joined by `FieldDelimiter`,
//!   wrapped in `RecordPrefix`/`RecordSuffix` (`{`/`}` in the docs' example), records joined by
//!   `RecordDelimiter`, the batch wrapped in `BatchPrefix`/`BatchSuffix`.
//! - `csv`: values only, in the order of the task's `Fields`, joined by `FieldDelimiter`;
//!   a value in double quotes may hold delimiters (`""` for a quote).
//! - `template`: `RecordTemplate` with `${Name}` placeholders (our reading of the template:
//!   the docs show none); a value runs to the template's next literal text.
//!
//! Values of csv and template records are text; the typed reader reads integers and
//! date-times from text. Content-Type is not documented and not looked at.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Records read from one body, at most; more is refused (the body limit bounds it anyway).
pub const MAX_RECORDS: usize = 1_000_000;

/// A task's `LogFormat`, as the API takes it (`{"FormatType":"csv","FieldDelimiter":","}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LogFormat {
    /// `json`, `csv` or `template`.
    pub format_type: String,
    /// Text before each batch.
    #[serde(default)]
    pub batch_prefix: Option<String>,
    /// Text after each batch.
    #[serde(default)]
    pub batch_suffix: Option<String>,
    /// Text before each record.
    #[serde(default)]
    pub record_prefix: Option<String>,
    /// Text after each record.
    #[serde(default)]
    pub record_suffix: Option<String>,
    /// Text between records: `\n`, `\t` or `,`.
    #[serde(default)]
    pub record_delimiter: Option<String>,
    /// A record's template (`template`).
    #[serde(default)]
    pub record_template: Option<String>,
    /// Text between a record's fields (`json`, `csv`): `\t`, `,` or `;`.
    #[serde(default)]
    pub field_delimiter: Option<String>,
}

/// How bodies are read: the task's `LogFormat` (none: the default shapes) and `Fields`.
#[derive(Debug, Clone, Default)]
pub struct BodyFormat {
    format: Option<Parsed>,
}

#[derive(Debug, Clone)]
enum Parsed {
    Json(Frame),
    Csv(Frame, Vec<String>),
    Template(Frame, Vec<Piece>),
}

/// The batch's and records' framing text.
#[derive(Debug, Clone)]
struct Frame {
    batch_prefix: String,
    batch_suffix: String,
    record_prefix: String,
    record_suffix: String,
    record_delimiter: String,
    field_delimiter: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Field(String),
}

/// Why a body cannot be read; `record` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}: {reason}")]
pub struct ShapeError {
    /// The record where reading stopped.
    pub record: usize,
    /// What was wrong.
    pub reason: String,
}

/// Why a `LogFormat` or field list cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(String);

impl BodyFormat {
    /// The default shapes (no `LogFormat`).
    pub fn default_shapes() -> BodyFormat {
        BodyFormat::default()
    }

    /// The shapes of `format` with the task's `fields` (in order; csv needs them).
    pub fn new(format: Option<LogFormat>, fields: &[String]) -> Result<BodyFormat, FormatError> {
        let Some(format) = format else {
            return Ok(BodyFormat::default());
        };
        let text = |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.into());
        let kind = format.format_type.as_str();
        let frame = Frame {
            batch_prefix: text(&format.batch_prefix, ""),
            batch_suffix: text(&format.batch_suffix, ""),
            record_prefix: text(&format.record_prefix, if kind == "json" { "{" } else { "" }),
            record_suffix: text(&format.record_suffix, if kind == "json" { "}" } else { "" }),
            record_delimiter: text(&format.record_delimiter, "\n"),
            field_delimiter: text(&format.field_delimiter, ","),
        };
        let parsed = match kind {
            "json" => Parsed::Json(frame),
            "csv" => {
                if fields.is_empty() {
                    return Err(FormatError(
                        "a csv LogFormat needs the task's Fields, in order (--fields)".into(),
                    ));
                }
                if frame.field_delimiter.is_empty() {
                    return Err(FormatError("FieldDelimiter is empty".into()));
                }
                Parsed::Csv(frame, fields.to_vec())
            }
            "template" => {
                let template = format.record_template.as_deref().unwrap_or("");
                Parsed::Template(frame, pieces(template)?)
            }
            other => {
                return Err(FormatError(format!(
                    "FormatType {other:?} is none of json, csv, template"
                )))
            }
        };
        Ok(BodyFormat {
            format: Some(parsed),
        })
    }

    /// Whether bodies come in the default shapes (no `LogFormat`): a JSON array of objects, or
    /// objects one after another.
    pub fn is_default(&self) -> bool {
        self.format.is_none()
    }

    /// The records of a (decoded) body as JSON Lines: one object per line, with no line end
    /// inside (what staging holds and the typed reader reads); and how many.
    pub fn to_lines(&self, body: &[u8]) -> Result<(Vec<u8>, usize), ShapeError> {
        let Ok(text) = std::str::from_utf8(body) else {
            let valid = std::str::from_utf8(body).map_or_else(|e| e.valid_up_to(), |s| s.len());
            return Err(ShapeError {
                record: 1,
                reason: format!("the body is not UTF-8 (byte {valid})"),
            });
        };
        let mut out = Lines::with_capacity(body.len() + body.len() / 64);
        let framed = match &self.format {
            None => default_lines(text, &mut out),
            Some(Parsed::Json(frame)) => frame.records(text, &mut out, |c| c.json_record(frame)),
            Some(Parsed::Csv(frame, fields)) => {
                frame.records(text, &mut out, |c| c.csv_record(frame, fields))
            }
            Some(Parsed::Template(frame, pieces)) => {
                frame.records(text, &mut out, |c| c.template_record(frame, pieces))
            }
        };
        if let Err(error) = framed {
            // The test object a task posts when saved is one JSON object whatever its
            // LogFormat: taken as such when the body is exactly that.
            return match (&self.format, single_object(text)) {
                (Some(_), Some(raw)) => {
                    let mut out = Lines::with_capacity(text.len() + 1);
                    out.push_raw(raw)?;
                    Ok((out.bytes, out.count))
                }
                _ => Err(error),
            };
        }
        Ok((out.bytes, out.count))
    }

    /// The records of a (decoded) body, as maps of members.
    pub fn read(&self, body: &[u8]) -> Result<Vec<Map<String, Value>>, ShapeError> {
        let (lines, _) = self.to_lines(body)?;
        lines
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_slice(line).map_err(|e| ShapeError {
                    record: i + 1,
                    reason: format!("not JSON: {}", json_error(&e)),
                })
            })
            .collect()
    }
}

/// The records of JSON Lines (what [`BodyFormat::to_lines`] gives): the lines that are not
/// empty, the last one with or without its line end.
pub(crate) fn each_line(lines: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = lines;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if !line.is_empty() {
            return Some(line);
        }
    })
}

/// Records as JSON Lines, counted.
struct Lines {
    bytes: Vec<u8>,
    count: usize,
}

impl Lines {
    fn with_capacity(bytes: usize) -> Lines {
        Lines {
            bytes: Vec::with_capacity(bytes),
            count: 0,
        }
    }

    /// One record, as its JSON object's text: kept as sent unless it spans lines (then
    /// written again on one).
    fn push_raw(&mut self, raw: &RawValue) -> Result<(), ShapeError> {
        let record = self.count + 1;
        let text = raw.get();
        if !text.starts_with('{') {
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            return Err(ShapeError {
                record,
                reason: format!("not a JSON object but {}", kind_of(&value)),
            });
        }
        if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
            let value: Value = serde_json::from_str(text).map_err(|e| ShapeError {
                record,
                reason: format!("not JSON: {}", json_error(&e)),
            })?;
            self.push_map(&value);
        } else {
            self.bytes.extend_from_slice(text.as_bytes());
            self.bytes.push(b'\n');
            self.count += 1;
        }
        self.limit()
    }

    fn push_map(&mut self, value: &impl serde::Serialize) {
        // Serializing a map of JSON values cannot fail.
        let _ = serde_json::to_writer(&mut self.bytes, value);
        self.bytes.push(b'\n');
        self.count += 1;
    }

    fn limit(&self) -> Result<(), ShapeError> {
        if self.count > MAX_RECORDS {
            return Err(too_many());
        }
        Ok(())
    }
}

/// A template's literal texts and `${Name}` placeholders; two placeholders must have text
/// between them (else no value could be told from the next).
fn pieces(template: &str) -> Result<Vec<Piece>, FormatError> {
    if template.is_empty() {
        return Err(FormatError(
            "a template LogFormat needs a RecordTemplate".into(),
        ));
    }
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Piece::Text(rest[..start].to_owned()));
        }
        let Some(end) = rest[start..].find('}') else {
            return Err(FormatError("RecordTemplate has a ${ without its }".into()));
        };
        let name = &rest[start + 2..start + end];
        if name.is_empty() {
            return Err(FormatError("RecordTemplate has an empty ${}".into()));
        }
        if matches!(out.last(), Some(Piece::Field(_))) {
            return Err(FormatError(format!(
                "RecordTemplate has ${{{name}}} right after another field: their values cannot be told apart"
            )));
        }
        out.push(Piece::Field(name.to_owned()));
        rest = &rest[start + end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_owned()));
    }
    Ok(out)
}

/// The body as one JSON object and nothing else, if it is one.
fn single_object(text: &str) -> Option<&RawValue> {
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    serde_json::from_str::<&RawValue>(trimmed).ok()
}

/// The default shapes: a JSON array of objects, or objects one after the other (JSON Lines,
/// or the single test object). Records are kept as sent (borrowed raw values: no member is
/// parsed here; the typed reader checks them).
fn default_lines(text: &str, out: &mut Lines) -> Result<(), ShapeError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(trimmed).map_err(|e| ShapeError {
            record: 1,
            reason: format!("not a JSON array: {}", json_error(&e)),
        })?;
        for item in items {
            out.push_raw(item)?;
        }
        return Ok(());
    }
    let mut stream = serde_json::Deserializer::from_str(trimmed).into_iter::<&RawValue>();
    for item in stream.by_ref() {
        let item = item.map_err(|e| ShapeError {
            record: out.count + 1,
            reason: format!("not JSON: {}", json_error(&e)),
        })?;
        out.push_raw(item)?;
    }
    Ok(())
}

/// serde_json's error without its text, which may quote a value: what and where only.
fn json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Eof => "cut short",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

fn too_many() -> ShapeError {
    ShapeError {
        record: MAX_RECORDS + 1,
        reason: format!("more than {MAX_RECORDS} records in one body"),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Frame {
    /// Reads the records between the batch's prefix and suffix with `record`, each followed
    /// by the record delimiter or the end.
    fn records(
        &self,
        text: &str,
        out: &mut Lines,
        record: impl Fn(&mut Cursor<'_>) -> Result<Map<String, Value>, String>,
    ) -> Result<(), ShapeError> {
        let fail = |record: usize, reason: String| ShapeError { record, reason };
        let text = text.trim_start_matches(['\u{feff}']);
        let text = text
            .strip_prefix(self.batch_prefix.as_str())
            .ok_or_else(|| {
                fail(
                    1,
                    format!(
                        "the body does not start with BatchPrefix {:?}",
                        self.batch_prefix
                    ),
                )
            })?;
        // Trailing white space after the batch (a last line end) is not a record.
        let text = text.trim_end_matches(['\n', '\r']);
        let text = text
            .strip_suffix(self.batch_suffix.as_str())
            .ok_or_else(|| {
                fail(
                    1,
                    format!(
                        "the body does not end with BatchSuffix {:?}",
                        self.batch_suffix
                    ),
                )
            })?;
        let mut cursor = Cursor {
            rest: text,
            len: text.len(),
        };
        while !cursor.rest.trim().is_empty() {
            let n = out.count + 1;
            out.limit()?;
            let map = record(&mut cursor).map_err(|reason| fail(n, reason))?;
            out.push_map(&map);
            if cursor.rest.is_empty() {
                break;
            }
            if !cursor.eat(&self.record_delimiter) {
                // Line ends other than the delimiter (`\r\n` when it is `\n`) are passed over.
                cursor.rest = cursor.rest.trim_start_matches('\r');
                if !cursor.eat(&self.record_delimiter) && !cursor.rest.trim().is_empty() {
                    return Err(fail(
                        n,
                        format!(
                            "no RecordDelimiter {:?} after the record",
                            self.record_delimiter
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What is left of a body to read, and the body's length (for positions in messages, which
/// never quote the body: it is the site's visitors' data).
struct Cursor<'a> {
    rest: &'a str,
    len: usize,
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, text: &str) -> bool {
        match self.rest.strip_prefix(text) {
            Some(rest) if !text.is_empty() => {
                self.rest = rest;
                true
            }
            _ => text.is_empty(),
        }
    }

    fn expect(&mut self, text: &str, what: &str) -> Result<(), String> {
        if self.eat(text) {
            Ok(())
        } else {
            Err(format!("expected {what} {text:?} at byte {}", self.at()))
        }
    }

    fn at(&self) -> usize {
        self.len - self.rest.len()
    }

    /// Passes over white space between JSON tokens, but never over the frame's own texts
    /// (a tab may be the field delimiter, a line end the record delimiter).
    fn skip_space(&mut self, frame: &Frame) {
        let framing = [
            &frame.field_delimiter,
            &frame.record_delimiter,
            &frame.record_suffix,
        ];
        while self.rest.starts_with([' ', '\t', '\r', '\n'])
            && !framing
                .iter()
                .any(|t| !t.is_empty() && self.rest.starts_with(t.as_str()))
        {
            self.rest = &self.rest[1..];
        }
    }

    /// One JSON value, read by serde_json (delimiters inside strings are no ends).
    fn json_value<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, String> {
        // A number or literal ends where its characters end: serde_json's stream would ask
        // for white space or a JSON delimiter after it, and a frame's text may be anything.
        if !self.rest.starts_with(['"', '{', '[']) {
            let end = self
                .rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.')))
                .unwrap_or(self.rest.len());
            let value = serde_json::from_str(&self.rest[..end])
                .map_err(|e| format!("not JSON: {}", json_error(&e)))?;
            self.rest = &self.rest[end..];
            return Ok(value);
        }
        let mut stream = serde_json::Deserializer::from_str(self.rest).into_iter::<T>();
        match stream.next() {
            Some(Ok(value)) => {
                self.rest = &self.rest[stream.byte_offset()..];
                Ok(value)
            }
            Some(Err(e)) => Err(format!("not JSON: {}", json_error(&e))),
            None => Err("the body ends inside a record".into()),
        }
    }

    /// A `json` record: the prefix, `"Name":value` pairs, the suffix. A prefix without `{`
    /// followed by a whole object reads the object.
    fn json_record(&mut self, frame: &Frame) -> Result<Map<String, Value>, String> {
        self.expect(&frame.record_prefix, "RecordPrefix")?;
        self.skip_space(frame);
        let mut map = Map::new();
        if !frame.record_prefix.ends_with('{') && self.rest.starts_with('{') {
            map = self.json_value::<Map<String, Value>>()?;
        } else if !self.rest.starts_with(frame.record_suffix.as_str())
            || frame.record_suffix.is_empty()
        {
            loop {
                self.skip_space(frame);
                let name: String = self.json_value()?;
                self.skip_space(frame);
                self.expect(":", "a colon")?;
                self.skip_space(frame);
                let value: Value = self.json_value()?;
                map.insert(name, value);
                self.skip_space(frame);
                if frame.record_suffix.is_empty()
                    && !self.rest.starts_with(frame.field_delimiter.as_str())
                {
                    break;
                }
                if !frame.record_suffix.is_empty()
                    && self.rest.starts_with(frame.record_suffix.as_str())
                {
                    break;
                }
                self.expect(&frame.field_delimiter, "FieldDelimiter")?;
            }
        }
        self.skip_space(frame);
        self.expect(&frame.record_suffix, "RecordSuffix")?;
        Ok(map)
    }

    /// A `csv` record: exactly one value per field, each ended by the field delimiter (the
    /// last by the suffix).
    fn csv_record(
        &mut self,
        frame: &Frame,
        fields: &[String],
    ) -> Result<Map<String, Value>, String> {
        self.expect(&frame.record_prefix, "RecordPrefix")?;
        let mut map = Map::new();
        for (i, name) in fields.iter().enumerate() {
            let last = i + 1 == fields.len();
            let value = if self.rest.starts_with('"') {
                self.quoted()?
            } else {
                let end = if last {
                    self.end_of_record(frame)
                } else {
                    self.rest
                        .find(frame.field_delimiter.as_str())
                        .ok_or_else(|| {
                            format!(
                                "{} values where the task has {} fields",
                                i + 1,
                                fields.len()
                            )
                        })?
                };
                let value = self.rest[..end].to_owned();
                self.rest = &self.rest[end..];
                value
            };
            map.insert(name.clone(), Value::String(value));
            if !last {
                self.expect(&frame.field_delimiter, "FieldDelimiter")?;
            }
        }
        self.expect(&frame.record_suffix, "RecordSuffix")?;
        Ok(map)
    }

    /// A value in double quotes, `""` standing for a quote.
    fn quoted(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = &self.rest[1..];
        loop {
            let Some(q) = rest.find('"') else {
                return Err("a quoted value has no closing quote".into());
            };
            out.push_str(&rest[..q]);
            rest = &rest[q + 1..];
            if let Some(after) = rest.strip_prefix('"') {
                out.push('"');
                rest = after;
            } else {
                self.rest = rest;
                return Ok(out);
            }
        }
    }

    /// Where the record's last value ends: at the suffix followed by the record delimiter,
    /// or at the end.
    fn end_of_record(&self, frame: &Frame) -> usize {
        let end = format!("{}{}", frame.record_suffix, frame.record_delimiter);
        let at = if end.is_empty() {
            None
        } else {
            self.rest.find(end.as_str())
        };
        match at {
            Some(at) => at,
            None => self
                .rest
                .strip_suffix(frame.record_suffix.as_str())
                .map_or(self.rest.len(), str::len),
        }
    }

    /// A `template` record: each literal in turn, each field's value up to the next literal.
    fn template_record(
        &mut self,
        frame: &Frame,
        pieces: &[Piece],
    ) -> Result<Map<String, Value>, String> {
        self.expect(&frame.record_prefix, "RecordPrefix")?;
        let mut map = Map::new();
        for (i, piece) in pieces.iter().enumerate() {
            match piece {
                Piece::Text(text) => self.expect(text, "the template's text")?,
                Piece::Field(name) => {
                    let end = match pieces.get(i + 1) {
                        Some(Piece::Text(next)) => self
                            .rest
                            .find(next.as_str())
                            .ok_or_else(|| format!("no {next:?} after the value of {name}"))?,
                        _ => self.end_of_record(frame),
                    };
                    let value = unquote(&self.rest[..end]);
                    self.rest = &self.rest[end..];
                    map.insert(name.clone(), Value::String(value));
                }
            }
        }
        self.expect(&frame.record_suffix, "RecordSuffix")?;
        Ok(map)
    }
}

/// A template value as text: a JSON string (the template put the value in quotes as JSON)
/// is read as one.
fn unquote(value: &str) -> String {
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        if let Ok(text) = serde_json::from_str::<String>(value) {
            return text;
        }
    }
    value.to_owned()
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
