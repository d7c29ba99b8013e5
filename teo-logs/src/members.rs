//! The member rules of log lines, in one place for both readers: the typed records
//! ([`crate::records::Records`]) and the summaries' borrowed reader, so both give a line the same verdict.
//!
//! A line is parsed once into borrowed raw members ([`RawValue`]); only the members the record
//! type knows are kept in their slots (the others, for typed records, in order as `extra`). Then
//! each known member is read by its [`Field`] (generated from `api-spec/teo/log-fields.json`):
//! - lines are trimmed of ASCII white space by the line reader; a line must be a JSON object
//!   (duplicate members: the last wins);
//! - `null` is absent, and so are the field's sentinels: `"-"`, `""`, and `-1` for integers and
//!   date-times;
//! - an integer is a JSON number (integral floats below 9e15 included) and/or text holding one,
//!   as the field's encodings allow; anything else makes the line bad;
//! - a date-time is text (kept; an instant when RFC 3339) and/or Unix seconds;
//! - a text member sent as another JSON value is that value's JSON text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use teo_client::models::DateTime;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text. `dictionary`: few distinct values (methods, regions, cache statuses…), so Parquet
    /// dictionary-encodes it; ids and addresses are written plain.
    Text {
        /// Few distinct values: dictionary-encoded in Parquet.
        dictionary: bool,
    },
    /// A signed 64-bit integer.
    Int,
    /// An instant, milliseconds since the Unix epoch, UTC.
    Time,
}

/// A record type of a log packet: how a line's members become it.
pub trait LogRecord: Sized {
    /// Reads a record from the members of one line; members it takes are removed, the rest
    /// go to `extra`. Errors name the member.
    fn from_members(members: Map<String, Value>) -> Result<Self, String>;

    /// Reads a record from one line of JSON. The default parses the line into a map first;
    /// the record types of this module read their members straight from the text.
    fn from_line(line: &[u8]) -> Result<Self, String> {
        serde_json::from_slice::<Map<String, Value>>(line)
            .map_err(|e| format!("not a JSON object: {e}"))
            .and_then(Self::from_members)
    }
}

/// A line's text for a map of members: how a record type reads members given as a map.
pub(crate) fn members_line(members: &Map<String, Value>) -> Result<Vec<u8>, String> {
    serde_json::to_vec(members).map_err(|e| format!("not a JSON object: {e}"))
}

/// How one member of a record is read: its wire name, type, accepted encodings and sentinels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// As the service sends it, misspellings kept.
    pub name: &'static str,
    /// What the member holds, and so its column's type.
    pub kind: ColumnType,
    /// The JSON forms its value is accepted in.
    pub encodings: Encodings,
    /// The values read as absent besides JSON null.
    pub sentinels: Sentinels,
}

/// The JSON forms a member's value is accepted in (integers and date-times; text takes any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encodings {
    /// A JSON number: the integer, or a date-time's Unix seconds (milliseconds with `millis`).
    pub number: bool,
    /// Text: holding the integer, or a date-time's text.
    pub text: bool,
    /// A date-time's number counts milliseconds since the Unix epoch, not seconds.
    pub millis: bool,
}

/// The values meaning "absent" besides JSON null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentinels {
    /// `"-"`
    pub dash: bool,
    /// `""`
    pub empty: bool,
    /// `-1`, for integers and date-times.
    pub minus_one: bool,
}

/// The known members of one line by slot (a record type's field order) and, when asked for,
/// the members the type does not know, in order.
pub(crate) struct RawLine<'a> {
    fields: &'static [Field],
    slots: Vec<Option<&'a RawValue>>,
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// When a line's known members are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Every one at parsing, and the unknown members are not kept: for readers that look at
    /// some members only (summaries), so they give the same verdict as the typed reader.
    AtParse,
    /// As the reader reads them (each once); the unknown members are kept: for typed records,
    /// which read every known member.
    AsRead,
}

/// Where a record type's wire names are: the field list and the lookup from a name.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    pub fields: &'static [Field],
    pub index: fn(&str) -> Option<usize>,
}

/// Parses one line (trimmed, not empty) into its raw members, checking them as `check` says; a
/// line is bad for every reader or for none.
pub(crate) fn parse<'a>(
    layout: Layout,
    text: &'a [u8],
    check: Check,
) -> Result<RawLine<'a>, String> {
    let keep_extra = check == Check::AsRead;
    // One UTF-8 check of the whole line (fast on ASCII) instead of one per string.
    let text = std::str::from_utf8(text).map_err(|e| format!("not a JSON object: {e}"))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let (line, nested) = de
        .deserialize_map(LineVisitor { layout, keep_extra })
        .and_then(|line| de.end().map(|()| line))
        .map_err(|e| format!("not a JSON object: {e}"))?;
    if nested {
        // Raw values are skipped without serde_json's nesting limit (128), which values read
        // into `Value` meet: a line with arrays or objects is parsed whole once more, so a line
        // too deep is bad whether its deep member is known, unknown or unread.
        serde_json::from_str::<Map<String, Value>>(text)
            .map_err(|e| format!("not a JSON object: {e}"))?;
    }
    if check == Check::AsRead {
        return Ok(line);
    }
    for (i, field) in layout.fields.iter().enumerate() {
        let raw = line.slot(i);
        if raw.is_none() {
            continue;
        }
        match field.kind {
            ColumnType::Int => {
                int(raw, field)?;
            }
            ColumnType::Time => {
                time(raw, field)?;
            }
            ColumnType::Text { .. } => {
                text_member(raw, field)?;
            }
        }
    }
    Ok(line)
}

impl<'a> RawLine<'a> {
    /// The raw value in `slot`, if the line has that member.
    pub(crate) fn slot(&self, slot: usize) -> Option<&'a RawValue> {
        self.slots.get(slot).copied().flatten()
    }

    /// The member in `slot` with its rules, if the line has that member.
    pub(crate) fn member(&self, slot: usize) -> Option<(&'a RawValue, &'static Field)> {
        Some((self.slot(slot)?, self.fields.get(slot)?))
    }

    /// The text of the member in `slot`, owned.
    pub(crate) fn text(&self, slot: usize) -> Result<Option<String>, String> {
        text_member(self.slot(slot), &self.fields[slot]).map(|t| t.map(Cow::into_owned))
    }

    /// The integer in `slot`.
    pub(crate) fn int(&self, slot: usize) -> Result<Option<i64>, String> {
        int(self.slot(slot), &self.fields[slot])
    }

    /// The date-time in `slot`, its text kept.
    pub(crate) fn date_time(&self, slot: usize) -> Result<Option<DateTime>, String> {
        time(self.slot(slot), &self.fields[slot]).map(|t| t.map(Time::into_date_time))
    }

    /// The members the record type does not know, as JSON values, in order (a later duplicate
    /// replaces an earlier one, as in a map).
    pub(crate) fn extra(&self) -> Result<Map<String, Value>, String> {
        let mut extra = Map::new();
        for (key, raw) in &self.extra {
            let value: Value =
                serde_json::from_str(raw.get()).map_err(|e| format!("not a JSON object: {e}"))?;
            extra.insert(key.clone().into_owned(), value);
        }
        Ok(extra)
    }
}

/// A record type read from a line's raw members (generated for each log kind).
pub(crate) trait FromRaw: Sized {
    /// Where the type's members are.
    const LAYOUT: Layout;
    /// The slots of the date-times that place a record in its partition: the first present.
    const PARTITION_TIME: &'static [usize];
    /// Reads every known member (the rules above); the unknown ones become `extra`.
    fn from_raw(line: &RawLine<'_>) -> Result<Self, String>;
}

/// Reads one JSON object of a larger text as the raw members of a `T`, in the one pass that
/// finds where it ends: for bodies holding many records, which then need not be split into
/// lines first. An object with arrays or objects among its members is an error here (their
/// nesting is checked by [`parse`], which reads the record as a line): the caller reads such a
/// body line by line.
pub(crate) struct LineSeed<T>(pub(crate) std::marker::PhantomData<T>);

impl<'de, T: FromRaw> DeserializeSeed<'de> for LineSeed<T> {
    type Value = RawLine<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<RawLine<'de>, D::Error> {
        let (line, nested) = d.deserialize_map(LineVisitor {
            layout: T::LAYOUT,
            keep_extra: true,
        })?;
        if nested {
            return Err(de::Error::custom("a member is an array or object"));
        }
        Ok(line)
    }
}

struct LineVisitor {
    layout: Layout,
    keep_extra: bool,
}

impl<'de> Visitor<'de> for LineVisitor {
    /// The members, and whether any member is an array or object.
    type Value = (RawLine<'de>, bool);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As serde_json's Map says it, so messages match a map's own reading.
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let fields = self.layout.fields;
        let mut line = RawLine {
            fields,
            slots: vec![None; fields.len()],
            extra: Vec::new(),
        };
        let mut nested = false;
        // Lines name their members in the same order record after record, so the member after
        // the previous one is tried first.
        let mut hint = 0;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let raw = map.next_value::<&'de RawValue>()?;
            nested |= raw.get().starts_with(['[', '{']);
            let index = match fields.get(hint) {
                Some(field) if field.name == key => Some(hint),
                _ => (self.layout.index)(&key),
            };
            match index {
                Some(i) => {
                    line.slots[i] = Some(raw);
                    hint = i + 1;
                }
                None if self.keep_extra => line.extra.push((key, raw)),
                None => {}
            }
        }
        Ok((line, nested))
    }
}

/// A member name, borrowed from the line when it has no escapes.
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

/// A member's value after null and the text sentinels.
enum Member<'a> {
    Text(Cow<'a, str>),
    /// Any other JSON value: its raw text.
    Other(&'a str),
}

fn member<'a>(raw: Option<&'a RawValue>, field: &Field) -> Result<Option<Member<'a>>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.get().trim_matches(|c: char| c.is_ascii_whitespace());
    if text == "null" {
        return Ok(None);
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        let s: Cow<'_, str> = if inner.contains('\\') {
            Cow::Owned(serde_json::from_str::<String>(text).map_err(|e| e.to_string())?)
        } else {
            Cow::Borrowed(inner)
        };
        if (field.sentinels.empty && s.is_empty()) || (field.sentinels.dash && s == "-") {
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

/// A text member: `None` when absent.
pub(crate) fn text_member<'a>(
    raw: Option<&'a RawValue>,
    field: &Field,
) -> Result<Option<Cow<'a, str>>, String> {
    match member(raw, field)? {
        None => Ok(None),
        Some(Member::Text(s)) => Ok(Some(s)),
        Some(Member::Other(raw)) => display(raw).map(|s| Some(Cow::Owned(s))),
    }
}

/// An integer member: `None` when absent or the `-1` sentinel.
pub(crate) fn int(raw: Option<&RawValue>, field: &Field) -> Result<Option<i64>, String> {
    let value = match member(raw, field)? {
        None => return Ok(None),
        Some(value) => value,
    };
    let n = match &value {
        Member::Text(s) if field.encodings.text => s.trim().parse::<i64>().ok(),
        Member::Other(raw) if field.encodings.number => match raw.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => raw.parse::<i64>().ok().or_else(|| {
                raw.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        },
        _ => None,
    };
    match n {
        Some(-1) if field.sentinels.minus_one => Ok(None),
        Some(n) => Ok(Some(n)),
        None => {
            let shown = match &value {
                Member::Text(s) => Value::from(s.as_ref()).to_string(),
                Member::Other(raw) => display(raw)?,
            };
            Err(format!("{}: {shown} is not an integer", field.name))
        }
    }
}

/// A date-time member as received: its text, or the date-time its Unix seconds make.
pub(crate) enum Time<'a> {
    Text(Cow<'a, str>),
    Seconds(DateTime),
}

impl Time<'_> {
    /// The typed form: the text kept, with its instant when RFC 3339.
    pub(crate) fn into_date_time(self) -> DateTime {
        match self {
            Time::Text(text) => {
                let text = serde::de::value::StringDeserializer::<serde_json::Error>::new(
                    text.into_owned(),
                );
                // Text of any shape is kept; only the instant is optional.
                serde::Deserialize::deserialize(text).unwrap_or_default()
            }
            Time::Seconds(t) => t,
        }
    }
}

/// A date-time member: `None` when absent or the `-1` sentinel.
pub(crate) fn time<'a>(
    raw: Option<&'a RawValue>,
    field: &Field,
) -> Result<Option<Time<'a>>, String> {
    match member(raw, field)? {
        None => Ok(None),
        Some(Member::Text(s)) if field.encodings.text => Ok(Some(Time::Text(s))),
        Some(Member::Other(raw))
            if field.encodings.number
                && matches!(raw.as_bytes().first(), Some(b'-' | b'0'..=b'9')) =>
        {
            if field.sentinels.minus_one && raw.parse::<i64>() == Ok(-1) {
                return Ok(None);
            }
            if field.encodings.millis {
                let millis: i64 = raw.parse().map_err(|_| {
                    format!(
                        "{}: {raw} is not a whole number of milliseconds",
                        field.name
                    )
                })?;
                let instant =
                    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
                        .map_err(|e| format!("{}: {raw}: {e}", field.name))?;
                return Ok(Some(Time::Seconds(DateTime::from(instant))));
            }
            // Through a `Value`, as any JSON reading of the member would (errors without a
            // position).
            let value: Value =
                serde_json::from_str(raw).map_err(|e| format!("not a JSON object: {e}"))?;
            let t: DateTime =
                serde_json::from_value(value).map_err(|e| format!("{}: {e}", field.name))?;
            Ok(Some(Time::Seconds(t)))
        }
        Some(Member::Text(s)) => Err(format!(
            "{}: {} is not a date-time",
            field.name,
            Value::from(s.as_ref())
        )),
        Some(Member::Other(raw)) => Err(format!(
            "{}: {} is not a date-time",
            field.name,
            display(raw)?
        )),
    }
}
