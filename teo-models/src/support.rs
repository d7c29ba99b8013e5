//! Types and helpers the generated models are built on. Hand-written; the generator refers to
//! them as `crate::support::…`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An instant in a `datetime_iso` member, e.g. `2022-05-04T03:27:00+08:00`.
///
/// Requests send it as RFC 3339 (the ISO 8601 profile the API expects). Responses keep the
/// server's text exactly, whatever it is — an empty string or another format still parses, and
/// [`DateTime::instant`] tells whether it is a readable instant. Equality compares instants
/// where both sides have one, so `…T00:00:00+08:00` equals `…T16:00:00Z` of the day before.
#[derive(Clone, Default)]
pub struct DateTime {
    text: String,
    instant: Option<OffsetDateTime>,
}

/// Text that is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeError {
    pub text: String,
    pub reason: String,
}

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an RFC 3339 date-time such as 2022-05-04T03:27:00+08:00: {}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for DateTimeError {}

impl DateTime {
    /// Parses RFC 3339 text (`2022-05-04T03:27:00+08:00`, `2022-05-04T03:27:00Z`); the text is
    /// sent exactly as given.
    pub fn parse(text: &str) -> Result<DateTime, DateTimeError> {
        match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(instant) => Ok(DateTime {
                text: text.to_owned(),
                instant: Some(instant),
            }),
            Err(e) => Err(DateTimeError {
                text: text.to_owned(),
                reason: e.to_string(),
            }),
        }
    }

    /// The instant, when the text is RFC 3339.
    pub fn instant(&self) -> Option<OffsetDateTime> {
        self.instant
    }

    /// The text as sent or received.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Keeps any received text; `instant` is set when it is readable.
    fn received(text: String) -> DateTime {
        let instant = OffsetDateTime::parse(&text, &Rfc3339).ok();
        DateTime { text, instant }
    }
}

impl From<OffsetDateTime> for DateTime {
    fn from(instant: OffsetDateTime) -> DateTime {
        // Formatting fails only for years outside 0..=9999, which RFC 3339 cannot express;
        // such an instant keeps `instant` and sends the ISO 8601 extended form instead.
        let text = instant
            .format(&Rfc3339)
            .unwrap_or_else(|_| instant.to_string());
        DateTime {
            text,
            instant: Some(instant),
        }
    }
}

impl PartialEq for DateTime {
    fn eq(&self, other: &DateTime) -> bool {
        match (self.instant, other.instant) {
            (Some(a), Some(b)) => a == b,
            _ => self.text == other.text,
        }
    }
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &DateTime) -> Option<Ordering> {
        match (self.instant, other.instant) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for DateTime {
    type Err = DateTimeError;
    fn from_str(text: &str) -> Result<DateTime, DateTimeError> {
        DateTime::parse(text)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DateTime, D::Error> {
        struct DateTimeVisitor;

        impl Visitor<'_> for DateTimeVisitor {
            type Value = DateTime;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date-time string or unix seconds")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<DateTime, E> {
                Ok(DateTime::received(text.to_owned()))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<DateTime, E> {
                Ok(DateTime::received(text))
            }

            fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<DateTime, E> {
                let instant = OffsetDateTime::from_unix_timestamp(seconds).ok();
                Ok(DateTime {
                    text: seconds.to_string(),
                    instant,
                })
            }

            fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<DateTime, E> {
                match i64::try_from(seconds) {
                    Ok(seconds) => self.visit_i64(seconds),
                    Err(_) => Ok(DateTime {
                        text: seconds.to_string(),
                        instant: None,
                    }),
                }
            }
        }

        deserializer.deserialize_any(DateTimeVisitor)
    }
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

    fn seen(&mut self, name: &str) {
        if let Some(i) = self.names.iter().position(|required| *required == name) {
            self.seen[i] = true;
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

/// Reads a request's date-time strictly: RFC 3339 text only.
#[doc(hidden)]
pub fn read_date_time<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut DateTime,
) -> Result<(), A::Error> {
    let text = map.next_value::<Cow<'de, str>>()?;
    *slot = DateTime::parse(&text).map_err(de::Error::custom)?;
    Ok(())
}

#[doc(hidden)]
pub fn read_optional_date_time<'de, A: MapAccess<'de>>(
    map: &mut A,
    slot: &mut Option<DateTime>,
) -> Result<(), A::Error> {
    *slot = match map.next_value::<Option<Cow<'de, str>>>()? {
        Some(text) => Some(DateTime::parse(&text).map_err(de::Error::custom)?),
        None => None,
    };
    Ok(())
}

/// Printed in place of a secret in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One entry of [`crate::ACTIONS`]: an action's name and how to check a JSON request for it.
pub struct ActionInfo {
    name: &'static str,
    title: &'static str,
    normalize: fn(serde_json::Value) -> Result<Vec<u8>, serde_json::Error>,
    check_response: fn(&str) -> Result<(), serde_json::Error>,
}

impl ActionInfo {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        title: &'static str,
        normalize: fn(serde_json::Value) -> Result<Vec<u8>, serde_json::Error>,
        check_response: fn(&str) -> Result<(), serde_json::Error>,
    ) -> ActionInfo {
        ActionInfo {
            name,
            title,
            normalize,
            check_response,
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
        (self.check_response)(response)
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
    let typed: T = serde_json::from_str(&input.to_string()).map_err(without_position)?;
    serde_json::to_vec(&typed)
}

#[doc(hidden)]
pub fn check_response<T: DeserializeOwned>(response: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<T>(response).map(drop)
}
