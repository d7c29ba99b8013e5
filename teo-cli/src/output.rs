//! Printing responses the way tccli does: JSON with a 4-space indent, non-ASCII as is, and
//! members in the order the server sent them (`serde_json::Value` would sort them, so an
//! order-keeping tree is used); `--output text` (tab-separated lines) and `--output table`
//! (boxed sections), built the way tccli builds them (scalar members as columns, sorted; lists
//! and objects as nested sections); `--filter` as JMESPath over the response.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::ser::PrettyFormatter;
use serde_json::Number;

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Output {
    #[default]
    Json,
    Table,
    Text,
}

impl Output {
    pub(crate) fn parse(text: &str) -> Option<Output> {
        match text {
            "json" => Some(Output::Json),
            "table" => Some(Output::Table),
            "text" => Some(Output::Text),
            _ => None,
        }
    }
}

/// A JSON value whose objects keep their members in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// The response as `output` prints it, after `filter` (JMESPath) if any; `Err` is the filter's
/// error. A filter that selects nothing prints nothing, as tccli. A table is headed by `title`
/// (the action; tccli heads every table `action`).
pub(crate) fn render(
    response: &Json,
    output: Output,
    filter: Option<&str>,
    title: &str,
) -> Result<String, String> {
    let value = match filter {
        Some(expression) => Json::from(search(expression, response)?),
        None => response.clone(),
    };
    if value == Json::Null && filter.is_some() {
        return Ok(String::new());
    }
    Ok(match output {
        Output::Json => value.to_pretty() + "\n",
        Output::Text => text::render(&value),
        Output::Table => table::render(&value, title),
    })
}

/// What the JMESPath `expression` selects from `value` (bounded: [`crate::expression`]).
pub(crate) fn search(expression: &str, value: &Json) -> Result<serde_json::Value, String> {
    let data = serde_json::to_value(value).map_err(|e| e.to_string())?;
    crate::expression::search(expression, data)
}

/// Whether a waiter's `seen` value is the awaited `to`: equal JSON, numbers by value (`1` is
/// `1.0`, as Python compares them).
pub(crate) fn same(seen: &serde_json::Value, to: &serde_json::Value) -> bool {
    match (seen.as_f64(), to.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => seen == to,
    }
}

impl From<serde_json::Value> for Json {
    fn from(value: serde_json::Value) -> Json {
        match value {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(b),
            serde_json::Value::Number(n) => Json::Number(n),
            serde_json::Value::String(s) => Json::String(s),
            serde_json::Value::Array(items) => {
                Json::Array(items.into_iter().map(Json::from).collect())
            }
            serde_json::Value::Object(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, Json::from(v)))
                    .collect(),
            ),
        }
    }
}

impl Json {
    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }

    /// A scalar as tccli prints it in text and tables (Python's `str`: `True`, `None`).
    fn scalar_text(&self) -> String {
        match self {
            Json::Null => "None".into(),
            Json::Bool(true) => "True".into(),
            Json::Bool(false) => "False".into(),
            Json::Number(n) => n.to_string(),
            Json::String(s) => crate::failure::printable(s),
            other => other.to_pretty(),
        }
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The scalar and the nested member names of objects, each sorted (tccli's grouping).
fn group_keys<'a>(objects: impl IntoIterator<Item = &'a Json>) -> (Vec<String>, Vec<String>) {
    let mut scalars = std::collections::BTreeSet::new();
    let mut nested = std::collections::BTreeSet::new();
    for object in objects {
        if let Json::Object(members) = object {
            for (key, value) in members {
                if value.is_scalar() {
                    scalars.insert(key.clone());
                } else {
                    nested.insert(key.clone());
                }
            }
        }
    }
    (scalars.into_iter().collect(), nested.into_iter().collect())
}

/// `--output text`: one tab-separated line per object (its scalar members, sorted by name),
/// nested lists and objects after it, prefixed by their member name in capitals.
mod text {
    use super::{group_keys, Json};
    use crate::failure::printable;

    /// A nested member's name as the label of its lines: a name the server chose, so shown
    /// [`printable`] as values are.
    fn label(identifier: &str) -> String {
        printable(&identifier.to_uppercase())
    }

    pub(crate) fn render(value: &Json) -> String {
        let mut out = String::new();
        item(value, None, None, &mut out);
        out
    }

    fn item(value: &Json, identifier: Option<&str>, keys: Option<&[String]>, out: &mut String) {
        match value {
            Json::Object(_) => object(value, identifier, keys, out),
            Json::Array(items) => list(items, identifier, out),
            scalar => {
                out.push_str(&scalar.scalar_text());
                out.push('\n');
            }
        }
    }

    fn list(items: &[Json], identifier: Option<&str>, out: &mut String) {
        if items.is_empty() {
            return;
        }
        if items.iter().any(|i| matches!(i, Json::Object(_))) {
            let (keys, _) = group_keys(items);
            for element in items {
                item(element, identifier, Some(&keys), out);
            }
        } else {
            let (scalars, nested): (Vec<&Json>, Vec<&Json>) =
                items.iter().partition(|i| i.is_scalar());
            if !scalars.is_empty() {
                match identifier {
                    Some(id) => {
                        for scalar in scalars {
                            out.push_str(&format!("{}\t{}\n", label(id), scalar.scalar_text()));
                        }
                    }
                    None => {
                        let line: Vec<String> = scalars.iter().map(|s| s.scalar_text()).collect();
                        out.push_str(&line.join("\t"));
                        out.push('\n');
                    }
                }
            }
            for element in nested {
                item(element, identifier, None, out);
            }
        }
    }

    fn object(value: &Json, identifier: Option<&str>, keys: Option<&[String]>, out: &mut String) {
        let Json::Object(members) = value else { return };
        let mut scalars = Vec::new();
        let mut nested: Vec<(&str, &Json)> = Vec::new();
        match keys {
            None => {
                let mut sorted: Vec<&(String, Json)> = members.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                for (key, member) in sorted {
                    if member.is_scalar() {
                        scalars.push(member.scalar_text());
                    } else {
                        nested.push((key, member));
                    }
                }
            }
            Some(keys) => {
                for key in keys {
                    scalars.push(value.get(key).map_or(String::new(), Json::scalar_text));
                }
                let mut rest: Vec<&(String, Json)> =
                    members.iter().filter(|(k, _)| !keys.contains(k)).collect();
                rest.sort_by(|a, b| a.0.cmp(&b.0));
                nested.extend(rest.into_iter().map(|(k, v)| (k.as_str(), v)));
            }
        }
        if !scalars.is_empty() {
            if let Some(id) = identifier {
                scalars.insert(0, label(id));
            }
            out.push_str(&scalars.join("\t"));
            out.push('\n');
        }
        for (key, member) in nested {
            item(member, Some(key), None, out);
        }
    }
}

/// `--output table`: sections in boxes, nested sections indented inside their parent's border.
mod table {
    use super::{group_keys, Json};
    use crate::failure::printable;

    enum Row {
        Header(Vec<String>),
        Data(Vec<String>),
    }

    struct Section {
        title: Option<String>,
        indent: usize,
        rows: Vec<Row>,
    }

    #[derive(Default)]
    struct Tables {
        sections: Vec<Section>,
    }

    impl Row {
        /// The row with every cell [`printable`]: headers and some cells are member names the
        /// server chose (values are escaped already, and escaping is idempotent).
        fn printable(self) -> Row {
            let clean = |cells: Vec<String>| cells.iter().map(|c| printable(c)).collect();
            match self {
                Row::Header(cells) => Row::Header(clean(cells)),
                Row::Data(cells) => Row::Data(clean(cells)),
            }
        }
    }

    impl Tables {
        /// A section titled by `title` (a member name, so made [`printable`]).
        fn new_section(&mut self, title: &str, indent: usize) {
            self.sections.push(Section {
                title: Some(printable(title)),
                indent,
                rows: Vec::new(),
            });
        }

        fn add(&mut self, row: Row) {
            if self.sections.is_empty() {
                self.sections.push(Section {
                    title: None,
                    indent: 0,
                    rows: Vec::new(),
                });
            }
            if let Some(section) = self.sections.last_mut() {
                section.rows.push(row.printable());
            }
        }
    }

    pub(crate) fn render(value: &Json, title: &str) -> String {
        let mut tables = Tables::default();
        build(&mut tables, Some(title), value, 0);
        draw(&tables.sections)
    }

    fn build(tables: &mut Tables, title: Option<&str>, current: &Json, indent: usize) {
        if *current == Json::Null {
            return;
        }
        if let Some(title) = title {
            tables.new_section(title, indent);
        }
        match current {
            Json::Array(items) if items.first().is_some_and(|i| matches!(i, Json::Object(_))) => {
                from_list(tables, items, indent, title)
            }
            Json::Array(items) => {
                for item in items {
                    match item {
                        Json::Array(inner) if inner.iter().all(Json::is_scalar) => {
                            tables.add(Row::Data(inner.iter().map(Json::scalar_text).collect()))
                        }
                        scalar if scalar.is_scalar() => {
                            tables.add(Row::Data(vec![scalar.scalar_text()]))
                        }
                        other => build(tables, None, other, indent),
                    }
                }
            }
            Json::Object(_) => from_object(tables, current, indent),
            scalar => tables.add(Row::Data(vec![scalar.scalar_text()])),
        }
    }

    fn from_object(tables: &mut Tables, current: &Json, indent: usize) {
        let (headers, more) = group_keys([current]);
        let cell = |key: &String| current.get(key).map_or(String::new(), Json::scalar_text);
        if headers.len() == 1 {
            tables.add(Row::Data(vec![headers[0].clone(), cell(&headers[0])]));
        } else if !headers.is_empty() {
            tables.add(Row::Data(headers.iter().map(cell).collect()));
            // The header goes before its row.
            if let Some(section) = tables.sections.last_mut() {
                let at = section.rows.len() - 1;
                section
                    .rows
                    .insert(at, Row::Header(headers.clone()).printable());
            }
        }
        for key in &more {
            if let Some(member) = current.get(key) {
                build(tables, Some(key), member, indent + 1);
            }
        }
    }

    fn from_list(tables: &mut Tables, items: &[Json], indent: usize, title: Option<&str>) {
        let (headers, more) = group_keys(items);
        tables.add(Row::Header(headers.clone()));
        for (i, element) in items.iter().enumerate() {
            if i > 0 && !more.is_empty() {
                tables.new_section(title.unwrap_or(""), indent);
                tables.add(Row::Header(headers.clone()));
            }
            let cells = headers
                .iter()
                .map(|h| element.get(h).map_or(String::new(), Json::scalar_text))
                .collect();
            tables.add(Row::Data(cells));
            for key in &more {
                if let Some(member) = element.get(key) {
                    build(tables, Some(key), member, indent + 1);
                }
            }
        }
    }

    fn width(text: &str) -> usize {
        text.chars().count()
    }

    /// Column widths of a section (each cell padded by two spaces on the left, one on the right).
    fn columns(section: &Section) -> Vec<usize> {
        let mut widths: Vec<usize> = Vec::new();
        for row in &section.rows {
            let (Row::Header(cells) | Row::Data(cells)) = row;
            for (i, cell) in cells.iter().enumerate() {
                let w = width(cell) + 3;
                match widths.get_mut(i) {
                    Some(have) => *have = (*have).max(w),
                    None => widths.push(w),
                }
            }
        }
        widths
    }

    fn draw(sections: &[Section]) -> String {
        // Every section spans the same width: the widest one's, borders of its nesting included.
        let natural = |s: &Section| {
            let cols = columns(s);
            let body = cols.iter().sum::<usize>() + cols.len().saturating_sub(1);
            let title = s.title.as_deref().map_or(0, width) + 4;
            body.max(title) + 2 + 2 * s.indent
        };
        let total = sections.iter().map(natural).max().unwrap_or(0);
        let mut out = String::new();
        for (n, section) in sections.iter().enumerate() {
            let side = "|".repeat(section.indent);
            let inner = total - 2 - 2 * section.indent;
            let mut cols = columns(section);
            if cols.is_empty() {
                cols.push(inner);
            }
            let used = cols.iter().sum::<usize>() + cols.len() - 1;
            if let Some(last) = cols.last_mut() {
                *last += inner.saturating_sub(used);
            }
            let rule = {
                let parts: Vec<String> = cols.iter().map(|w| "-".repeat(*w)).collect();
                format!("{side}+{}+{side}\n", parts.join("+"))
            };
            if n == 0 {
                out.push_str(&format!("{side}{}{side}\n", "-".repeat(inner + 2)));
            }
            if let Some(title) = &section.title {
                let pad = inner.saturating_sub(width(title));
                let left = pad / 2;
                out.push_str(&format!(
                    "{side}|{}{title}{}|{side}\n",
                    " ".repeat(left),
                    " ".repeat(pad - left)
                ));
            }
            let mut ruled = false;
            for row in &section.rows {
                let (cells, header) = match row {
                    Row::Header(cells) => (cells, true),
                    Row::Data(cells) => (cells, false),
                };
                if !ruled || header {
                    out.push_str(&rule);
                    ruled = true;
                }
                let drawn: Vec<String> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let cell = cells.get(i).map_or("", String::as_str);
                        let room = w.saturating_sub(width(cell));
                        if header {
                            let left = room / 2;
                            format!("{}{cell}{}", " ".repeat(left), " ".repeat(room - left))
                        } else {
                            format!("  {cell}{}", " ".repeat(room.saturating_sub(2)))
                        }
                    })
                    .collect();
                out.push_str(&format!("{side}|{}|{side}\n", drawn.join("|")));
                if header {
                    out.push_str(&rule);
                }
            }
            if section
                .rows
                .last()
                .is_some_and(|r| matches!(r, Row::Data(_)))
            {
                out.push_str(&rule);
            }
        }
        out
    }
}

/// Re-indents JSON text with 4 spaces, keeping member order.
#[cfg(test)]
fn pretty(text: &str) -> Result<String, serde_json::Error> {
    let value: Json = serde_json::from_str(text)?;
    Ok(value.to_pretty())
}

impl Json {
    /// tccli's JSON layout; characters that could drive a terminal are `\u` escapes
    /// ([`TerminalSafe`]).
    pub(crate) fn to_pretty(&self) -> String {
        terminal_safe_json(self, b"    ")
    }
}

/// `value` as pretty JSON indented by `indent`, with every character that could drive a
/// terminal written as a `\u` escape ([`TerminalSafe`]): for any JSON teo prints.
pub(crate) fn terminal_safe_json(value: &impl Serialize, indent: &[u8]) -> String {
    let mut buffer = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut buffer,
        TerminalSafe(PrettyFormatter::with_indent(indent)),
    );
    // Writing a tree of strings and numbers to memory cannot fail, and serde_json writes
    // UTF-8 only.
    match value.serialize(&mut serializer) {
        Ok(()) => String::from_utf8_lossy(&buffer).into_owned(),
        Err(e) => format!("\"<unprintable: {e}>\""),
    }
}

/// serde_json escapes the C0 controls (`\u001b`) but writes the C1 ones (U+009B, a one-character
/// CSI to some terminals) and the bidi and zero-width characters as they are. This formatter
/// writes those as `\u` escapes too: the same JSON data, but nothing in a member name or value
/// the server chose can move the cursor or reorder what the user sees.
struct TerminalSafe<'a>(PrettyFormatter<'a>);

impl serde_json::ser::Formatter for TerminalSafe<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if crate::failure::is_hidden(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every hidden character is in the Basic Multilingual Plane: one escape.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
        Number::from_f64(n)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_indents_by_four() {
        let text = r#"{"TotalCount":1,"Data":[{"Url":"https://x/é","Size":1.5,"On":true,"Z":null}],"RequestId":"r"}"#;
        assert_eq!(
            pretty(text).unwrap(),
            r#"{
    "TotalCount": 1,
    "Data": [
        {
            "Url": "https://x/é",
            "Size": 1.5,
            "On": true,
            "Z": null
        }
    ],
    "RequestId": "r"
}"#
        );
    }

    #[test]
    fn empty_containers_and_big_numbers() {
        assert_eq!(
            pretty(r#"{"A":[],"B":{},"C":18446744073709551615,"D":-9223372036854775808}"#).unwrap(),
            "{\n    \"A\": [],\n    \"B\": {},\n    \"C\": 18446744073709551615,\n    \"D\": -9223372036854775808\n}"
        );
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(pretty("{").is_err());
    }

    /// A response whose member names and values carry terminal sequences (a window title, a
    /// screen clear, a C1 CSI, a bidi override, a fake line) in every output form.
    const HOSTILE: &str = r#"{"\u001b]0;title\u0007": "v\u001b[2J", "Nested\u001b[31m": {"Key\u009b2J": 1, "B\u202eA": "\rline"}, "List\u001b[1A": [{"X\u0007": "y\u009b"}, {"X\u0007": "z"}], "Scalars\n": ["a\u001b", "b"]}"#;

    /// Nothing in `output` acts on a terminal but the line and column separators.
    fn assert_inert(output: &str) {
        assert!(
            !output
                .chars()
                .any(|c| crate::failure::is_hidden(c) && !matches!(c, '\n' | '\t')),
            "{output:?}"
        );
    }

    #[test]
    fn hostile_member_names_are_escaped_in_text_and_tables() {
        let response: Json = serde_json::from_str(HOSTILE).unwrap();
        let text = render(&response, Output::Text, None, "DescribeZones").unwrap();
        assert_inert(&text);
        assert_eq!(
            text,
            "v\\x1b[2J\n\
             LIST\\x1b[1A\ty\\u{9b}\n\
             LIST\\x1b[1A\tz\n\
             NESTED\\x1b[31M\t\\x0dline\t1\n\
             SCALARS\\x0a\ta\\x1b\n\
             SCALARS\\x0a\tb\n"
        );
        let table = render(&response, Output::Table, None, "DescribeZones").unwrap();
        assert_inert(&table);
        for shown in [
            "\\x1b]0;title\\x07",
            "Nested\\x1b[31m",
            "Key\\u{9b}2J",
            "B\\u{202e}A",
            "List\\x1b[1A",
            "X\\x07",
            "Scalars\\x0a",
        ] {
            assert!(table.contains(shown), "{shown} in\n{table}");
        }
        // Still one width: escaping happens before the columns are measured.
        let width = table.lines().next().unwrap().chars().count();
        assert!(table.lines().all(|l| l.chars().count() == width), "{table}");
    }

    #[test]
    fn json_output_escapes_what_serde_json_leaves_raw() {
        let response: Json = serde_json::from_str(HOSTILE).unwrap();
        let json = render(&response, Output::Json, None, "DescribeZones").unwrap();
        assert_inert(&json);
        assert!(json.contains(r#""Key\u009b2J": 1"#), "{json}");
        assert!(json.contains(r#""B\u202eA": "\rline""#), "{json}");
        assert!(
            json.contains(r#""\u001b]0;title\u0007": "v\u001b[2J""#),
            "{json}"
        );
        // The same data: it parses back to the response.
        assert_eq!(serde_json::from_str::<Json>(&json).unwrap(), response);
        // A filter's result is printed the same way.
        let picked = render(
            &response,
            Output::Json,
            Some(r#""List\u001b[1A"[0]"#),
            "DescribeZones",
        )
        .unwrap();
        assert_eq!(picked, "{\n    \"X\\u0007\": \"y\\u009b\"\n}\n");
    }
}
