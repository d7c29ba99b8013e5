//! The types and readers generated Tencent Cloud models are built on, shared by every generated
//! service. Hand-written; generated code refers to it as `::tc_types::…`.
//!
//! Date-time members come in three formats ([`DateTime`], [`LocalDateTime`], [`Date`]). All three
//! are read tolerantly from responses (any text is kept, the parsed value is there when the text
//! is in the format: live services send `""`, `"0000-00-00 00:00:00"` and other formats) and
//! strictly in requests.

#![warn(missing_docs)]
// Response members are read from whatever the server sends: no indexing that could panic (the
// workspace lints already deny unwrap, expect and panic).
#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

pub use time;

pub mod coerce;
pub mod paging;

#[doc(hidden)]
pub use coerce::{read_coerced, read_coerced_or_default, Coerce};

/// Text that is not in the format of its date-time member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeError {
    /// The text as received (or as given, in a request).
    pub text: String,
    /// What the format looks like, e.g. `2022-05-04T03:27:00+08:00`.
    pub expected: &'static str,
    /// Why the text does not parse, from the `time` crate.
    pub reason: String,
}

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a date-time such as {}: {}",
            self.text, self.expected, self.reason
        )
    }
}

impl std::error::Error for DateTimeError {}

/// A date-time member: its text as sent or received, and the value when the text is readable.
macro_rules! temporal {
    ($(#[$doc:meta])* $name:ident, $value:ty, $example:literal, $parse:expr, $format:expr) => {
        $(#[$doc])*
        #[derive(Clone, Default)]
        pub struct $name {
            text: String,
            value: Option<$value>,
        }

        impl $name {
            /// Parses text in the member's format; the text is sent exactly as given.
            pub fn parse(text: &str) -> Result<$name, DateTimeError> {
                let parse: fn(&str) -> Result<$value, time::error::Parse> = $parse;
                match parse(text) {
                    Ok(value) => Ok($name { text: text.to_owned(), value: Some(value) }),
                    Err(e) => Err(DateTimeError {
                        text: text.to_owned(),
                        expected: $example,
                        reason: e.to_string(),
                    }),
                }
            }

            /// The text as sent or received.
            pub fn as_str(&self) -> &str {
                &self.text
            }

            /// Keeps any received text; the value is set when it is readable.
            fn received(text: String) -> $name {
                let parse: fn(&str) -> Result<$value, time::error::Parse> = $parse;
                let value = parse(&text).ok();
                $name { text, value }
            }
        }

        impl From<$value> for $name {
            fn from(value: $value) -> $name {
                let format: fn(&$value) -> String = $format;
                $name { text: format(&value), value: Some(value) }
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &$name) -> bool {
                match (self.value, other.value) {
                    (Some(a), Some(b)) => a == b,
                    _ => self.text == other.text,
                }
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &$name) -> Option<Ordering> {
                match (self.value, other.value) {
                    (Some(a), Some(b)) => Some(a.cmp(&b)),
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.text, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl std::str::FromStr for $name {
            type Err = DateTimeError;
            fn from_str(text: &str) -> Result<$name, DateTimeError> {
                $name::parse(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                deserializer.deserialize_any(TemporalVisitor(PhantomData)).map(|t| match t {
                    Received::Text(text) => $name::received(text),
                    Received::Seconds(seconds, instant) => $name {
                        text: seconds,
                        value: instant.and_then(|i: OffsetDateTime| <$value as FromInstant>::from_instant(i)),
                    },
                })
            }
        }

        impl Strict for $name {
            fn parse_strict(text: &str) -> Result<$name, DateTimeError> {
                $name::parse(text)
            }
        }
    };
}

temporal!(
    /// An instant in a `datetime_iso` member, e.g. `2022-05-04T03:27:00+08:00`.
    ///
    /// Requests send it as RFC 3339 (the ISO 8601 profile the API expects). Responses keep the
    /// server's text exactly, whatever it is — an empty string or another format still parses,
    /// and [`DateTime::instant`] tells whether it is a readable instant. Equality compares
    /// instants where both sides have one, so `…T00:00:00+08:00` equals `…T16:00:00Z` of the day
    /// before.
    DateTime,
    OffsetDateTime,
    "2022-05-04T03:27:00+08:00",
    |text| OffsetDateTime::parse(text, &Rfc3339),
    // Formatting fails only for years outside 0..=9999, which RFC 3339 cannot express; such an
    // instant sends the ISO 8601 extended form instead.
    |instant| instant.format(&Rfc3339).unwrap_or_else(|_| instant.to_string())
);

temporal!(
    /// A `datetime` member: `2022-05-04 03:27:00`, a wall-clock time without an offset (the
    /// service's time zone, Beijing time for most services). Read and compared like [`DateTime`].
    LocalDateTime,
    PrimitiveDateTime,
    "2022-05-04 03:27:00",
    |text| PrimitiveDateTime::parse(text, LOCAL_DATE_TIME),
    |value| value.format(LOCAL_DATE_TIME).unwrap_or_else(|_| value.to_string())
);

temporal!(
    /// A `date` member: `2022-05-04`. Read and compared like [`DateTime`].
    Date,
    time::Date,
    "2022-05-04",
    |text| time::Date::parse(text, DATE),
    |value| value.format(DATE).unwrap_or_else(|_| value.to_string())
);

const LOCAL_DATE_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");

impl DateTime {
    /// The instant, when the text is RFC 3339.
    pub fn instant(&self) -> Option<OffsetDateTime> {
        self.value
    }
}

impl LocalDateTime {
    /// The wall-clock time, when the text is `YYYY-MM-DD hh:mm:ss`.
    pub fn value(&self) -> Option<PrimitiveDateTime> {
        self.value
    }
}

impl Date {
    /// The date, when the text is `YYYY-MM-DD`.
    pub fn value(&self) -> Option<time::Date> {
        self.value
    }
}

/// The value a number of Unix seconds stands for, in each member format. A `datetime` or `date`
/// sent as seconds is read in UTC: the number carries no zone.
trait FromInstant: Sized {
    fn from_instant(instant: OffsetDateTime) -> Option<Self>;
}

impl FromInstant for OffsetDateTime {
    fn from_instant(instant: OffsetDateTime) -> Option<Self> {
        Some(instant)
    }
}

impl FromInstant for PrimitiveDateTime {
    fn from_instant(instant: OffsetDateTime) -> Option<Self> {
        Some(PrimitiveDateTime::new(instant.date(), instant.time()))
    }
}

impl FromInstant for time::Date {
    fn from_instant(instant: OffsetDateTime) -> Option<Self> {
        Some(instant.date())
    }
}

/// What a date-time member arrived as.
enum Received {
    Text(String),
    /// Unix seconds (some services send numbers): the text, and the instant if in range.
    Seconds(String, Option<OffsetDateTime>),
}

struct TemporalVisitor(PhantomData<()>);

impl Visitor<'_> for TemporalVisitor {
    type Value = Received;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date-time string or unix seconds")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Received, E> {
        Ok(Received::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Received, E> {
        Ok(Received::Text(text))
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<Received, E> {
        let instant = OffsetDateTime::from_unix_timestamp(seconds).ok();
        Ok(Received::Seconds(seconds.to_string(), instant))
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<Received, E> {
        match i64::try_from(seconds) {
            Ok(seconds) => self.visit_i64(seconds),
            Err(_) => Ok(Received::Seconds(seconds.to_string(), None)),
        }
    }
}

/// A member type that requests read strictly: text in its exact format only.
#[doc(hidden)]
pub trait Strict: Sized {
    fn parse_strict(text: &str) -> Result<Self, DateTimeError>;
}

/// How a generated struct reads its members; the generator implements it for every object and
/// derives `Deserialize` from it through [`read_struct`].
#[doc(hidden)]
pub trait ReadMembers: Sized {
    /// The object's wire name, for messages.
    const NAME: &'static str;
    /// Every member's wire name, for "unknown member" messages.
    const MEMBERS: &'static [&'static str];
    /// Requests are read strictly: unknown members are errors and `REQUIRED` must be present.
    const STRICT: bool;
    const REQUIRED: &'static [&'static str];
    /// Every member at its default.
    fn empty() -> Self;
    /// Reads the value of member `name`; `Ok(false)` if the object has no such member.
    fn read_member<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
}

#[doc(hidden)]
pub fn read_struct<'de, D: Deserializer<'de>, T: ReadMembers>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(StructVisitor(PhantomData))
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: ReadMembers> Visitor<'de> for StructVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} object", T::NAME)
    }

    // Kept small and free of closures: it is instantiated once per struct and reader, so every
    // line here is multiplied by about a thousand in the compiled crate.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::empty();
        let mut required = RequiredMembers::new(T::REQUIRED);
        while let Some(name) = map.next_key::<MemberName<'de>>()? {
            let name = name.as_str();
            match value.read_member(name, &mut map) {
                Ok(true) => required.seen(name),
                Ok(false) if T::STRICT => return Err(de::Error::unknown_field(name, T::MEMBERS)),
                Ok(false) => {
                    map.next_value::<IgnoredAny>()?;
                }
                Err(e) => return Err(in_member(name, &e)),
            }
        }
        match required.first_missing() {
            Some(name) => Err(de::Error::missing_field(name)),
            None => Ok(value),
        }
    }
}

/// Which required members a strict reader has seen.
struct RequiredMembers {
    names: &'static [&'static str],
    seen: Vec<bool>,
}

impl RequiredMembers {
    fn new(names: &'static [&'static str]) -> RequiredMembers {
        RequiredMembers {
            names,
            seen: vec![false; names.len()],
        }
    }

    // Inline, so that the objects of responses (which require nothing) pay one length check per
    // member, not a call.
    #[inline]
    fn seen(&mut self, name: &str) {
        if self.names.is_empty() {
            return;
        }
        if let Some(i) = self.names.iter().position(|required| *required == name) {
            if let Some(seen) = self.seen.get_mut(i) {
                *seen = true;
            }
        }
    }

    fn first_missing(&self) -> Option<&'static str> {
        self.names
            .iter()
            .zip(&self.seen)
            .find(|(_, seen)| !**seen)
            .map(|(name, _)| *name)
    }
}

/// Prefixes an error from inside member `name` with its name, so that a nested error reads
/// `Rules: Condition: invalid type: …` and names the offending member at any depth.
fn in_member<E: de::Error>(name: &str, inner: &E) -> E {
    // serde_json appends the position to its messages and adds it again to ours: keep one.
    E::custom(format_args!(
        "{name}: {}",
        strip_position(&inner.to_string())
    ))
}

fn without_position(error: serde_json::Error) -> serde_json::Error {
    de::Error::custom(strip_position(&error.to_string()))
}

/// `invalid type: … at line 1 column 9` → `invalid type: …`.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}

/// A member name, borrowed from the input when it can be.
struct MemberName<'de>(Cow<'de, str>);

impl MemberName<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = MemberName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Borrowed(name)))
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name.to_owned())))
            }

            fn visit_string<E: de::Error>(self, name: String) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name)))
            }
        }

        deserializer.deserialize_identifier(NameVisitor)
    }
}

/// Reads a member as its exact type (`Option` members read `null` as `None`).
#[doc(hidden)]
pub fn read_value<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut T,
) -> Result<(), A::Error> {
    *slot = map.next_value()?;
    Ok(())
}

/// Reads a member the spec promises in a response: `null` reads as the default, like absence.
#[doc(hidden)]
pub fn read_or_default<'de, A, T>(map: &mut A, slot: &mut T) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de> + Default,
{
    *slot = map.next_value::<Option<T>>()?.unwrap_or_default();
    Ok(())
}

/// Reads a request's date-time strictly: text in the member's format only.
#[doc(hidden)]
pub fn read_strict<'de, A: MapAccess<'de>, T: Strict>(
    map: &mut A,
    slot: &mut T,
) -> Result<(), A::Error> {
    let text = map.next_value::<Cow<'de, str>>()?;
    *slot = T::parse_strict(&text).map_err(de::Error::custom)?;
    Ok(())
}

#[doc(hidden)]
pub fn read_optional_strict<'de, A: MapAccess<'de>, T: Strict>(
    map: &mut A,
    slot: &mut Option<T>,
) -> Result<(), A::Error> {
    *slot = match map.next_value::<Option<Cow<'de, str>>>()? {
        Some(text) => Some(T::parse_strict(&text).map_err(de::Error::custom)?),
        None => None,
    };
    Ok(())
}

/// Starts writing a generated struct: a JSON object of its members in spec order.
#[doc(hidden)]
pub fn write_members<S: Serializer>(serializer: S) -> Result<Members<S::SerializeMap>, S::Error> {
    serializer.serialize_map(None).map(Members)
}

/// The members of a generated struct being written (see [`write_members`]).
#[doc(hidden)]
pub struct Members<M>(M);

impl<M: serde::ser::SerializeMap> Members<M> {
    /// A member that is always written.
    #[inline]
    pub fn member<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(name, value)
    }

    /// An optional member: omitted when unset, never written as `null`.
    #[inline]
    pub fn optional<T: Serialize>(
        &mut self,
        name: &'static str,
        value: &Option<T>,
    ) -> Result<(), M::Error> {
        match value {
            Some(value) => self.0.serialize_entry(name, value),
            None => Ok(()),
        }
    }

    pub fn end(self) -> Result<M::Ok, M::Error> {
        self.0.end()
    }
}

/// Printed in place of a secret in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Prints URL members in `Debug` without their query string, which may be a signature (log
/// packets' `Url`s are signed): `https://host/path?<redacted>`.
pub struct UrlWithoutQuery<'a, T: ?Sized>(pub &'a T);

impl fmt::Debug for UrlWithoutQuery<'_, String> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once('?') {
            Some((base, _)) => write!(f, "\"{}?<redacted>\"", base.escape_debug()),
            None => fmt::Debug::fmt(self.0, f),
        }
    }
}

impl fmt::Debug for UrlWithoutQuery<'_, Option<String>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(url) => f.debug_tuple("Some").field(&UrlWithoutQuery(url)).finish(),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Debug for UrlWithoutQuery<'_, Vec<String>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(UrlWithoutQuery))
            .finish()
    }
}

impl fmt::Debug for UrlWithoutQuery<'_, Option<Vec<String>>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(urls) => f.debug_tuple("Some").field(&UrlWithoutQuery(urls)).finish(),
            None => f.write_str("None"),
        }
    }
}

/// One entry of a models crate's `ACTIONS` table: an action's name and how to check a JSON request for it.
pub struct ActionInfo {
    name: &'static str,
    title: &'static str,
    normalize: fn(serde_json::Value) -> Result<Vec<u8>, serde_json::Error>,
    read_response: fn(&str) -> Result<serde_json::Value, serde_json::Error>,
}

impl ActionInfo {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        title: &'static str,
        normalize: fn(serde_json::Value) -> Result<Vec<u8>, serde_json::Error>,
        read_response: fn(&str) -> Result<serde_json::Value, serde_json::Error>,
    ) -> ActionInfo {
        ActionInfo {
            name,
            title,
            normalize,
            read_response,
        }
    }

    /// The wire name, e.g. `DownloadL4Logs`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The spec's title, e.g. "Downloads L4 logs".
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// Reads `input` as this action's typed request (so a missing required member, an unknown
    /// member or a wrong type is an error naming it) and returns the request body to send.
    pub fn normalize_request(
        &self,
        input: serde_json::Value,
    ) -> Result<Vec<u8>, serde_json::Error> {
        (self.normalize)(input)
    }

    /// Checks that `response` (the JSON inside `Response`) reads as this action's typed response.
    pub fn check_response(&self, response: &str) -> Result<(), serde_json::Error> {
        (self.read_response)(response).map(drop)
    }

    /// Reads `response` (the JSON inside `Response`) as this action's typed response, tolerantly
    /// as the client does, and writes it back: the JSON the spec describes (drifted scalars in
    /// their spec type, unknown members dropped).
    pub fn read_response(&self, response: &str) -> Result<serde_json::Value, serde_json::Error> {
        (self.read_response)(response)
    }
}

impl fmt::Debug for ActionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionInfo")
            .field("name", &self.name)
            .finish()
    }
}

#[doc(hidden)]
pub fn normalize_request<T: DeserializeOwned + Serialize>(
    input: serde_json::Value,
) -> Result<Vec<u8>, serde_json::Error> {
    // Read from text rather than from the `Value`: responses are read from text too, so objects
    // that travel both ways share one reader and the crate compiles faster. The positions in
    // messages refer to this compact text, so they are dropped; the member names stay.
    // Requests are read exactly: no scalar coercion at any depth.
    let text = input.to_string();
    let typed: T = coerce::strictly(|| serde_json::from_str(&text)).map_err(without_position)?;
    serde_json::to_vec(&typed)
}

#[doc(hidden)]
pub fn read_response<T: DeserializeOwned + Serialize>(
    response: &str,
) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::to_value(serde_json::from_str::<T>(response)?)
}
