//! Reading an answer: `{"Response": {...}}` as the caller's type, or the error it is
//! (`Response.Error`, another HTTP status, a body that does not read).
//!
//! An answer is read in one pass: `Response` is read as the caller's type while its `Error` and
//! `RequestId` members are taken as they go by ([`Watched`]). Only when that pass fails is the
//! answer read again, the careful way — probed for an error, then read as the type — so that
//! every failure is reported exactly as the probe and the typed read each see it. (A probe
//! pass before every typed read cost a successful DescribeZones ~3 µs of its client-side work.)

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer, UnitDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{BodySummary, Repr};
use crate::redact;
use crate::Error;

/// Longest error code and request id kept from an answer (real ones are under 80).
const MAX_CODE_CHARS: usize = 128;
/// Longest error message kept from an answer (real ones are a sentence or two).
const MAX_MESSAGE_CHARS: usize = 1024;

/// The answer `body` (HTTP `status`, `content_type`) to a call of `action`: `Response` as `O`
/// and the request id, or the error the answer is.
pub(crate) fn read<O: DeserializeOwned>(
    action: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(O, String), Error> {
    // The common case in one pass. Text validated as UTF-8 once is read without checking each
    // string again.
    if let Ok(text) = std::str::from_utf8(body) {
        if let Ok(Answer { response }) = serde_json::from_str::<Answer<Watched<O>>>(text) {
            if let Some(error) = response.error {
                return Err(api_error(action, error, response.request_id.as_deref()));
            }
            if status != 200 {
                return Err(http_status(action, status, content_type, body));
            }
            let request_id = response.request_id.unwrap_or_default();
            return Ok((
                response.value,
                redact::truncate_owned(request_id, MAX_CODE_CHARS),
            ));
        }
    }
    // Something did not read: the careful way, which says what.
    let request_id = read_envelope(action, status, content_type, body)?;
    decode(action, body).map(|value| (value, request_id))
}

/// Unwraps `{"Response": {...}}`, turning `Response.Error` into [`Error::Api`] whatever the HTTP
/// status; any other non-200 answer (a proxy's error page, say) is [`Error::HttpStatus`].
fn read_envelope(
    action: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, Error> {
    let probe = serde_json::from_slice::<Envelope>(body).map(|e| e.response);
    if let Ok(ErrorProbe {
        error: Some(error),
        request_id,
    }) = probe
    {
        return Err(api_error(action, error, request_id.0.as_deref()));
    }
    if status != 200 {
        return Err(http_status(action, status, content_type, body));
    }
    match probe {
        Ok(probe) => Ok(redact::truncate_owned(
            probe.request_id.0.unwrap_or_default(),
            MAX_CODE_CHARS,
        )),
        Err(source) => Err(Error::from(Repr::Decode {
            action: action.to_owned(),
            reason: redact::serde_message(&source.to_string()),
            body: BodySummary::new(body, content_type),
        })),
    }
}

/// `Response` of an answer [`read_envelope`] passed, as `O`.
fn decode<O: DeserializeOwned>(action: &str, body: &[u8]) -> Result<O, Error> {
    serde_json::from_slice::<Answer<O>>(body)
        .map(|answer| answer.response)
        .map_err(|source| {
            Error::from(Repr::Decode {
                action: action.to_owned(),
                reason: redact::serde_message(&source.to_string()),
                body: BodySummary::new(body, None),
            })
        })
}

/// The server's own words, but bounded: an error is kept, logged and printed.
fn api_error(action: &str, error: ApiError, request_id: Option<&str>) -> Error {
    Error::from(Repr::Api {
        action: action.to_owned(),
        code: redact::truncate(&error.code, MAX_CODE_CHARS),
        message: redact::truncate(&error.message, MAX_MESSAGE_CHARS),
        request_id: redact::truncate(request_id.unwrap_or(""), MAX_CODE_CHARS),
        hint: None,
    })
}

fn http_status(action: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Error {
    Error::from(Repr::HttpStatus {
        action: action.to_owned(),
        status,
        body: BodySummary::new(body, content_type),
    })
}

/// An answer's envelope, probed: only what says whether the call failed is read (the rest is
/// skipped, and read once, typed, by [`decode`]).
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: ErrorProbe,
}

/// An answer's envelope, read: `Response` as `O`.
#[derive(Deserialize)]
struct Answer<O> {
    #[serde(rename = "Response")]
    response: O,
}

/// The fields of `Response` that say whether the call failed.
#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(rename = "Error")]
    error: Option<ApiError>,
    #[serde(rename = "RequestId", default)]
    request_id: LenientId,
}

/// A request id as an answer has it: text, or a number or boolean read as its text (as
/// generated types read a string member); `null` and anything else are no id. The id is only
/// reported, so one of an unexpected type must not cost the answer.
#[derive(Default)]
struct LenientId(Option<String>);

impl<'de> Deserialize<'de> for LenientId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;

        impl<'de> Visitor<'de> for IdVisitor {
            type Value = LenientId;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a request id")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientId, E> {
                Ok(LenientId(Some(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<LenientId, E> {
                Ok(LenientId(Some(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientId, E> {
                Ok(LenientId(Some(v.to_string())))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientId, E> {
                Ok(LenientId(Some(v.to_string())))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientId, E> {
                Ok(LenientId(Some(v.to_string())))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientId, E> {
                Ok(LenientId(Some(v.to_string())))
            }

            fn visit_unit<E: de::Error>(self) -> Result<LenientId, E> {
                Ok(LenientId(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<LenientId, E> {
                Ok(LenientId(None))
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LenientId, D::Error> {
                LenientId::deserialize(d)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<LenientId, A::Error> {
                de::IgnoredAny.visit_map(map).map(|_| LenientId(None))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<LenientId, A::Error> {
                de::IgnoredAny.visit_seq(seq).map(|_| LenientId(None))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// `Response` read as `O`, with its `Error` (which `O` never sees) and `RequestId` (which `O`
/// sees too) taken on the way.
struct Watched<O> {
    value: O,
    error: Option<ApiError>,
    request_id: Option<String>,
}

/// What the watch took from `Response`.
#[derive(Default)]
struct Seen {
    error: Option<ApiError>,
    request_id: Option<String>,
    /// Whether `Response` was read as an object, every member through the watch (serde_json
    /// fails a map whose visitor leaves members unread). A type that skips it (`IgnoredAny`),
    /// takes it whole (`RawValue`) or reads no object does not show whether the answer is an
    /// error: the careful way decides then.
    walked: bool,
}

impl<'de, O: Deserialize<'de>> Deserialize<'de> for Watched<O> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut seen = Seen::default();
        let value = O::deserialize(Watch {
            inner: deserializer,
            seen: &mut seen,
        })?;
        if !seen.walked {
            return Err(de::Error::custom("Response was not read as an object"));
        }
        Ok(Watched {
            value,
            error: seen.error,
            request_id: seen.request_id,
        })
    }
}

/// A deserializer that hands `O` whatever the inner one gives, but for the members of the
/// object it reads first (`Response` itself: nested objects are not watched).
struct Watch<'s, D> {
    inner: D,
    seen: &'s mut Seen,
}

/// Forwards `deserialize_*` methods to the inner deserializer with a watching visitor, so that
/// `O`'s hint (a map, a struct, anything) reaches the inner deserializer unchanged.
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*) $object:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let visitor = WatchVisitor { inner: visitor, seen: self.seen, object: $object };
            self.inner.$method($($arg,)* visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Watch<'_, D> {
    type Error = D::Error;

    // `true`: what `O` asked for reads `Response` as an object, member by member (a map the
    // visitor is then given is `Response`'s own). Anything else — a newtype (serde_json's
    // `RawValue` asks for one and is handed a map of its own making), an option, skipping — is
    // read unwatched and goes the careful way.
    forward! {
        deserialize_any() true; deserialize_map() true;
        deserialize_struct(name: &'static str, fields: &'static [&'static str]) true;
        deserialize_bool() false; deserialize_i8() false; deserialize_i16() false;
        deserialize_i32() false; deserialize_i64() false; deserialize_i128() false;
        deserialize_u8() false; deserialize_u16() false; deserialize_u32() false;
        deserialize_u64() false; deserialize_u128() false; deserialize_f32() false;
        deserialize_f64() false; deserialize_char() false; deserialize_str() false;
        deserialize_string() false; deserialize_bytes() false; deserialize_byte_buf() false;
        deserialize_option() false; deserialize_unit() false;
        deserialize_unit_struct(name: &'static str) false;
        deserialize_newtype_struct(name: &'static str) false; deserialize_seq() false;
        deserialize_tuple(len: usize) false;
        deserialize_tuple_struct(name: &'static str, len: usize) false;
        deserialize_enum(name: &'static str, variants: &'static [&'static str]) false;
        deserialize_identifier() false; deserialize_ignored_any() false;
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// `O`'s visitor, given a watched map; anything else it is given as it comes.
struct WatchVisitor<'s, V> {
    inner: V,
    seen: &'s mut Seen,
    /// Whether `O` asked for an object (see [`Watch`]'s `forward!`).
    object: bool,
}

/// Forwards `visit_*` methods of one argument to the inner visitor.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for WatchVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        if !self.object {
            return self.inner.visit_map(map);
        }
        self.seen.walked = true;
        self.inner.visit_map(WatchMap {
            inner: map,
            seen: self.seen,
            request_id: None,
        })
    }

    forward_visit! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char); visit_str(&str);
        visit_borrowed_str(&'de str); visit_string(String); visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D2: Deserializer<'de>>(self, d: D2) -> Result<V::Value, D2::Error> {
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

/// The members of `Response`: `Error` is taken out, `RequestId` is kept and passed on.
struct WatchMap<'s, A> {
    inner: A,
    seen: &'s mut Seen,
    /// The request id just read, for the value `O` asks for next (`Some(None)`: it was `null`
    /// or of no usable type, and is handed on as `null`).
    request_id: Option<Option<String>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WatchMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(Key(key)) = self.inner.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            match &*key {
                "Error" => self.seen.error = self.inner.next_value()?,
                "RequestId" => {
                    let LenientId(id) = self.inner.next_value()?;
                    self.seen.request_id.clone_from(&id);
                    self.request_id = Some(id);
                    return seed.deserialize(key_deserializer(key)).map(Some);
                }
                _ => return seed.deserialize(key_deserializer(key)).map(Some),
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.request_id.take() {
            Some(Some(id)) => seed.deserialize(Text(id, PhantomData)),
            Some(None) => seed.deserialize(UnitDeserializer::new()),
            None => self.inner.next_value_seed(seed),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The request id handed on as it was read: a string, which an `Option` reads as `Some`.
struct Text<E>(String, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for Text<E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A member name read from the body and handed on: borrowed when the body allows.
enum KeyDeserializer<'de, E> {
    Borrowed(BorrowedStrDeserializer<'de, E>),
    Owned(StringDeserializer<E>),
}

fn key_deserializer<'de, E: de::Error>(key: Cow<'de, str>) -> KeyDeserializer<'de, E> {
    match key {
        Cow::Borrowed(key) => KeyDeserializer::Borrowed(BorrowedStrDeserializer::new(key)),
        Cow::Owned(key) => KeyDeserializer::Owned(StringDeserializer::new(key)),
    }
}

impl<'de, E: de::Error> Deserializer<'de> for KeyDeserializer<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self {
            KeyDeserializer::Borrowed(key) => key.deserialize_any(visitor),
            KeyDeserializer::Owned(key) => key.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A member name, borrowed from the body when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'de>(PhantomData<&'de ()>);

        impl<'de> Visitor<'de> for KeyVisitor<'de> {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key)))
            }
        }

        deserializer.deserialize_identifier(KeyVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Zones {
        #[serde(rename = "TotalCount")]
        total: u64,
        #[serde(rename = "RequestId")]
        request_id: String,
    }

    /// As generated response types have it.
    #[derive(Debug, Deserialize, PartialEq)]
    struct Optional {
        #[serde(rename = "RequestId")]
        request_id: Option<String>,
    }

    fn read_as<O: DeserializeOwned>(status: u16, body: &str) -> Result<(O, String), Error> {
        read(
            "DescribeZones",
            status,
            Some("application/json"),
            body.as_bytes(),
        )
    }

    /// One pass: the value, its request id (which the type sees too), a nested `Error` left to
    /// the type; any type (`Value` for calls by name).
    #[test]
    fn an_answer_is_read_in_one_pass_with_its_request_id() {
        let body =
            r#"{"Response":{"TotalCount":2,"Nested":{"Error":{"Code":"x"}},"RequestId":"r-1"}}"#;
        let (zones, id) = read_as::<Zones>(200, body).unwrap();
        assert_eq!(
            (zones.total, zones.request_id.as_str(), id.as_str()),
            (2, "r-1", "r-1")
        );
        let (value, id) = read_as::<serde_json::Value>(200, body).unwrap();
        assert_eq!(id, "r-1");
        assert_eq!(value["Nested"]["Error"]["Code"], "x");
        assert_eq!(value["RequestId"], "r-1");
        let (optional, _) = read_as::<Optional>(200, body).unwrap();
        assert_eq!(optional.request_id.as_deref(), Some("r-1"));
        // Escaped member names are owned, not borrowed; still read.
        let escaped = r#"{"Response":{"Total\u0043ount":3,"RequestId":"r-2"}}"#;
        assert_eq!(read_as::<Zones>(200, escaped).unwrap().0.total, 3);
    }

    /// A request id that is not a string does not cost the answer: a number is read as its text
    /// (as a generated type reads it), `null` or anything else as no id.
    #[test]
    fn a_request_id_of_another_type_is_tolerated() {
        for (id, expected) in [
            ("123", "123"),
            ("1.5", "1.5"),
            ("true", "true"),
            ("null", ""),
            (r#"{"Id":"r"}"#, ""),
            ("[1]", ""),
        ] {
            let body = format!(r#"{{"Response":{{"TotalCount":2,"RequestId":{id}}}}}"#);
            let (optional, read_id) = read_as::<Optional>(200, &body).unwrap();
            assert_eq!(read_id, expected, "{body}");
            assert_eq!(
                optional.request_id.as_deref().unwrap_or(""),
                expected,
                "{body}"
            );
            let (value, read_id) = read_as::<serde_json::Value>(200, &body).unwrap();
            assert_eq!(read_id, expected, "{body}");
            assert_eq!(value["TotalCount"], 2, "{body}");
            let (answer, _) =
                read_as::<crate::sts::models::GetCallerIdentityResponse>(200, &body).unwrap();
            assert_eq!(answer.request_id, expected, "{body}");
            let error_body = format!(
                r#"{{"Response":{{"Error":{{"Code":"InternalError"}},"RequestId":{id}}}}}"#
            );
            let error = read_as::<Optional>(200, &error_body).unwrap_err();
            assert_eq!(error.code(), Some("InternalError"), "{error_body}");
            assert_eq!(error.request_id().unwrap_or(""), expected, "{error_body}");
        }
    }

    /// A generated response type (which reads members through `Option`s, `RequestId` too) is
    /// read in the one pass, not by the careful way after it failed.
    #[test]
    fn a_generated_response_is_read_in_the_one_pass() {
        let body = r#"{"Response":{"Arn":"qcs::cam::uin/1:root","RequestId":"r-9","New":1}}"#;
        let answer: Answer<Watched<crate::sts::models::GetCallerIdentityResponse>> =
            serde_json::from_str(body).unwrap();
        let Watched {
            value,
            request_id,
            error,
        } = answer.response;
        assert_eq!(value.arn.as_deref(), Some("qcs::cam::uin/1:root"));
        assert_eq!(value.request_id, "r-9");
        assert_eq!(request_id.as_deref(), Some("r-9"));
        assert!(error.is_none());
    }

    /// `Response.Error` is the call's error whatever the status and wherever it stands; any other
    /// non-200 answer is an HTTP status error; a body that does not read is a decode error —
    /// as the probe-then-decode reading has them.
    #[test]
    fn errors_are_as_the_careful_reading_reports_them() {
        for (status, body) in [
            (
                200,
                r#"{"Response":{"Error":{"Code":"InternalError","Message":"m"},"RequestId":"r"}}"#,
            ),
            (
                200,
                r#"{"Response":{"RequestId":"r","Error":{"Code":"InternalError","Message":"m"}}}"#,
            ),
            (
                500,
                r#"{"Response":{"Error":{"Code":"InternalError","Message":"m"},"RequestId":"r"}}"#,
            ),
            // The type cannot read it (no TotalCount), the probe still finds the error.
            (
                200,
                r#"{"Response":{"Error":{"Code":"InternalError"},"RequestId":"r"}}"#,
            ),
        ] {
            let error = read_as::<Zones>(status, body).unwrap_err();
            assert_eq!(error.code(), Some("InternalError"), "{body}");
            assert_eq!(error.request_id(), Some("r"), "{body}");
        }
        // A type that does not read `Response` as an object does not hide its error.
        let error_body = r#"{"Response":{"Error":{"Code":"AuthFailure"},"RequestId":"r"}}"#;
        let error = read_as::<de::IgnoredAny>(200, error_body).unwrap_err();
        assert_eq!(error.code(), Some("AuthFailure"));
        let error = read_as::<Option<de::IgnoredAny>>(200, error_body).unwrap_err();
        assert_eq!(error.code(), Some("AuthFailure"));
        // The CLI's type: the raw text of `Response`, which serde_json captures through a map
        // of its own making.
        let error = read_as::<Box<serde_json::value::RawValue>>(200, error_body).unwrap_err();
        assert_eq!(error.code(), Some("AuthFailure"));
        let body = r#"{"Response":{"TotalCount":1,"RequestId":"r"}}"#;
        let (raw, id) = read_as::<Box<serde_json::value::RawValue>>(200, body).unwrap();
        assert_eq!(
            (raw.get(), id.as_str()),
            (r#"{"TotalCount":1,"RequestId":"r"}"#, "r")
        );
        let error = read_as::<Zones>(502, "<html>bad gateway</html>").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::HttpStatus);
        let error =
            read_as::<Zones>(503, r#"{"Response":{"TotalCount":1,"RequestId":"r"}}"#).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::HttpStatus);
        let error = read_as::<Zones>(200, r#"{"Response":{"TotalCount":"many","RequestId":"r"}}"#)
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        let error = read_as::<Zones>(200, "\u{0}not json").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
        // Not UTF-8: the careful way, which names the problem.
        let error = read::<Zones>(
            "DescribeZones",
            200,
            None,
            b"{\"Response\":{\"TotalCount\":1,\"RequestId\":\"\xff\"}}",
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Decode);
    }
}
