//! JSON lines read straight into the fields a summary needs: each line is parsed once into
//! borrowed raw members ([`RawValue`]), only the members the record type knows are looked at,
//! and text is borrowed from the line (allocated only when it has escapes). No
//! `serde_json::Value`, no record, no per-record `String`.
//!
//! The rules are exactly those of [`teo_client::logs::records::Records`], which this reader
//! mirrors for speed (a test feeds both the same tricky lines and compares the summaries):
//! lines trimmed of ASCII white space, blank lines skipped, a line longer than the bound is bad
//! (and read past, never held); a line must be a JSON object (duplicate members: the last
//! wins); `"-"`, `""` and `null` are absent; every integer member the record type knows must be
//! an integer (or integral float below 9e15, or text holding one), `-1` absent; date-times are
//! RFC 3339 text (other text is kept by the record but has no instant) or Unix seconds; a text
//! member sent as another JSON value is that value's JSON text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use teo_client::models::DateTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::columns::{epoch_millis, ColumnType, Table};

/// A member's raw JSON text, as read.
type Slots<'a> = Vec<Option<&'a RawValue>>;

/// The known members of a record type: name → slot, and each slot's type.
pub(crate) struct Schema {
    index: HashMap<&'static str, usize, ahash::RandomState>,
    kinds: Vec<ColumnType>,
    names: Vec<&'static str>,
}

impl Schema {
    pub(crate) fn of<T: Table>() -> Schema {
        let columns = T::columns();
        Schema {
            index: columns
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name, i))
                .collect::<HashMap<_, _, _>>(),
            kinds: columns.iter().map(|c| c.kind).collect(),
            names: columns.iter().map(|c| c.name).collect(),
        }
    }

    /// The slot of `name`, which must be one of the type's columns.
    pub(crate) fn slot(&self, name: &str) -> usize {
        // Callers name columns of the type; a typo is a bug caught by the parity tests.
        self.index.get(name).copied().unwrap_or(usize::MAX)
    }
}

/// A member name, borrowed from the line unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

struct LineVisitor<'s> {
    schema: &'s Schema,
}

impl<'de> Visitor<'de> for LineVisitor<'_> {
    /// The known members, and whether any member is an array or object.
    type Value = (Slots<'de>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As serde_json's Map says, so messages match the typed reader's.
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(Slots<'de>, bool), A::Error> {
        let mut slots: Slots<'de> = vec![None; self.schema.kinds.len()];
        let mut nested = false;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let raw = map.next_value::<&'de RawValue>()?;
            nested |= raw.get().starts_with(['[', '{']);
            if let Some(&i) = self.schema.index.get(&*key) {
                slots[i] = Some(raw);
            }
        }
        Ok((slots, nested))
    }
}

/// A member's value after sentinels.
enum Member<'a> {
    Text(Cow<'a, str>),
    /// Any other JSON value: its raw text.
    Other(&'a str),
}

fn member(raw: Option<&RawValue>) -> Result<Option<Member<'_>>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let mut text = raw.get();
    if text.starts_with(|c: char| c.is_ascii_whitespace())
        || text.ends_with(|c: char| c.is_ascii_whitespace())
    {
        text = text.trim();
    }
    if text == "null" {
        return Ok(None);
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        let s: Cow<'_, str> = if inner.contains('\\') {
            Cow::Owned(serde_json::from_str::<String>(text).map_err(|e| e.to_string())?)
        } else {
            Cow::Borrowed(inner)
        };
        if s.is_empty() || s == "-" {
            return Ok(None);
        }
        return Ok(Some(Member::Text(s)));
    }
    Ok(Some(Member::Other(text)))
}

/// JSON text as `Value`'s `Display` writes it (for messages and non-text values of text members).
fn display(raw: &str) -> Result<String, String> {
    serde_json::from_str::<Value>(raw)
        .map(|v| v.to_string())
        .map_err(|e| format!("not a JSON object: {e}"))
}

/// A line's members, checked and read.
pub(crate) struct Line<'a> {
    slots: Slots<'a>,
}

impl<'a> Line<'a> {
    /// Text of the member in `slot`: `None` when absent.
    pub(crate) fn text(&self, slot: usize) -> Result<Option<Cow<'a, str>>, String> {
        match member(self.slots.get(slot).copied().flatten())? {
            None => Ok(None),
            Some(Member::Text(s)) => Ok(Some(s)),
            Some(Member::Other(raw)) => display(raw).map(|s| Some(Cow::Owned(s))),
        }
    }

    pub(crate) fn int(&self, slot: usize, name: &str) -> Result<Option<i64>, String> {
        let value = match member(self.slots.get(slot).copied().flatten())? {
            None => return Ok(None),
            Some(value) => value,
        };
        let n = match &value {
            Member::Text(s) => s.trim().parse::<i64>().ok(),
            Member::Other(raw) => match raw.as_bytes().first() {
                Some(b'-' | b'0'..=b'9') => raw.parse::<i64>().ok().or_else(|| {
                    raw.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                }),
                _ => None,
            },
        };
        match n {
            Some(-1) => Ok(None),
            Some(n) => Ok(Some(n)),
            None => {
                let shown = match &value {
                    Member::Text(s) => Value::from(s.as_ref()).to_string(),
                    Member::Other(raw) => display(raw)?,
                };
                Err(format!("{name}: {shown} is not an integer"))
            }
        }
    }

    /// The instant (epoch ms) of a date-time member; text that is no RFC 3339 instant is kept
    /// by the typed reader but has none.
    pub(crate) fn time(&self, slot: usize, name: &str) -> Result<Option<i64>, String> {
        match member(self.slots.get(slot).copied().flatten())? {
            None => Ok(None),
            Some(Member::Text(s)) => Ok(OffsetDateTime::parse(&s, &Rfc3339)
                .ok()
                .and_then(epoch_millis)),
            Some(Member::Other(raw)) => match raw.as_bytes().first() {
                Some(b'-' | b'0'..=b'9') => {
                    if raw.parse::<i64>() == Ok(-1) {
                        return Ok(None);
                    }
                    // Through a `Value`, as the typed reader does (errors without a position).
                    let value: Value =
                        serde_json::from_str(raw).map_err(|e| format!("not a JSON object: {e}"))?;
                    let t: DateTime =
                        serde_json::from_value(value).map_err(|e| format!("{name}: {e}"))?;
                    Ok(t.instant().and_then(epoch_millis))
                }
                _ => Err(format!("{name}: {} is not a date-time", display(raw)?)),
            },
        }
    }
}

/// Parses one line (trimmed, not empty) and checks every integer and date-time member the type
/// knows, as the typed reader does.
pub(crate) fn parse<'a>(schema: &Schema, text: &'a [u8]) -> Result<Line<'a>, String> {
    let slots = match std::str::from_utf8(text) {
        // UTF-8 checked once for the line, not again for each string in it.
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            de.deserialize_map(LineVisitor { schema })
                .and_then(|slots| de.end().map(|()| slots))
        }
        // Not UTF-8: parsed as bytes, for the typed reader's own message.
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(text);
            de.deserialize_map(LineVisitor { schema })
                .and_then(|slots| de.end().map(|()| slots))
        }
    }
    .map_err(|e| format!("not a JSON object: {e}"))?;
    let (slots, nested) = slots;
    if nested {
        // Raw values are skipped without serde_json's nesting limit (128), which the typed
        // reader's `Value`s meet: for the rare line with arrays or objects, parse it as that
        // reader does, for the same verdict.
        serde_json::from_slice::<serde_json::Map<String, Value>>(text)
            .map_err(|e| format!("not a JSON object: {e}"))?;
    }
    let line = Line { slots };
    for (i, kind) in schema.kinds.iter().enumerate() {
        if line.slots[i].is_none() {
            continue;
        }
        match kind {
            ColumnType::Int => {
                line.int(i, schema.names[i])?;
            }
            ColumnType::Time => {
                line.time(i, schema.names[i])?;
            }
            // Text is never wrong, but a number the typed reader cannot hold is.
            ColumnType::Text { .. } => {
                if let Some(Member::Other(raw)) = member(line.slots[i])? {
                    display(raw)?;
                }
            }
        }
    }
    Ok(line)
}
