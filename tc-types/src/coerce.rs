//! Scalars read tolerantly from responses.
//!
//! Live Tencent Cloud backends do not always send the JSON type their spec promises: a count as
//! `"1"`, an id as `123`, a flag as `0`, an integer as `25.0`. The official SDKs fail the whole
//! call on such a member; ours read it as its spec type when the value means exactly one thing
//! in that type, and the typed value serializes back in the spec type (so a drifted response
//! round-trips to what the spec describes).
//!
//! | member type | accepts besides its own JSON type |
//! |---|---|
//! | string | a number (its shortest decimal text: `25`, `1.5`, `-3`), a boolean (`true`/`false`) |
//! | integer (`int64`/`uint64`) | an integral float in range (`25.0`), a numeric string (`"25"`, `" 25 "`, `"25.0"`), `""` as absent |
//! | float | an integer, a numeric string (`"2.5"`, finite only), `""` as absent |
//! | bool | `0`/`1`, `"true"`/`"false"` (any case), `"0"`/`"1"`, `""` as absent |
//!
//! The rule for a value that cannot be coerced (`"abc"` or `1.5` for an integer, `2` for a bool,
//! a number out of range): **an error naming the member's path** (`Data: Zones: TotalCount:
//! …`), never a silently wrong or defaulted value. The caller still has the raw JSON through the
//! untyped `call`.
//!
//! Requests stay strict: [`crate::normalize_request`] reads a request with coercion switched off
//! for every member at every depth, so a request names a wrong type instead of sending a guess.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

thread_local! {
    /// Set while a request is read: scalars take their exact JSON type only. Deserialization is
    /// synchronous, so a flag scoped to the reading thread covers exactly that one read.
    static STRICT: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` with coercion switched off (requests are read exactly).
pub(crate) fn strictly<T>(read: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRICT.with(|strict| strict.set(self.0));
        }
    }
    let _restore = Restore(STRICT.with(|strict| strict.replace(true)));
    read()
}

fn is_strict() -> bool {
    STRICT.with(Cell::get)
}

/// A member type whose scalars are read with coercion: the five scalar types, and `Option`s and
/// `Vec`s of them.
#[doc(hidden)]
pub trait Coerce: Sized {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// Deserializes a `T` through [`Coerce`].
struct Coerced<T>(T);

impl<'de, T: Coerce> Deserialize<'de> for Coerced<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::coerce(deserializer).map(Coerced)
    }
}

impl Coerce for Option<String> {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Coerced<String>>::deserialize(deserializer)?.map(|c| c.0))
    }
}

impl<T: Coerce> Coerce for Option<Vec<T>> {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Coerced<Vec<T>>>::deserialize(deserializer)?.map(|c| c.0))
    }
}

impl<T: Coerce> Coerce for Vec<T> {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Coerced<T>>::deserialize(deserializer)?
            .into_iter()
            .map(|c| c.0)
            .collect())
    }
}

/// Reads a scalar member (or an `Option`/`Vec` of them) with coercion.
#[doc(hidden)]
pub fn read_coerced<'de, A: de::MapAccess<'de>, T: Coerce>(
    map: &mut A,
    slot: &mut T,
) -> Result<(), A::Error> {
    *slot = map.next_value::<Coerced<T>>()?.0;
    Ok(())
}

/// Reads a scalar member the spec promises: `null` (and `""` for non-text scalars) reads as the
/// default, like absence.
#[doc(hidden)]
pub fn read_coerced_or_default<'de, A, T>(map: &mut A, slot: &mut T) -> Result<(), A::Error>
where
    A: de::MapAccess<'de>,
    T: Default,
    Option<T>: Coerce,
{
    *slot = map
        .next_value::<Coerced<Option<T>>>()?
        .0
        .unwrap_or_default();
    Ok(())
}

/// What a scalar's visitor produced: a value, or "absent" for `""` in a non-text member.
enum Scalar<T> {
    Value(T),
    Absent,
}

/// Deserializes `Option<T>` for a non-text scalar, where `""` also means absent.
macro_rules! non_text_option {
    ($ty:ty) => {
        impl Coerce for Option<$ty> {
            fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(
                    match Option::<Coerced<Scalar<$ty>>>::deserialize(deserializer)? {
                        Some(Coerced(Scalar::Value(v))) => Some(v),
                        _ => None,
                    },
                )
            }
        }
    };
}

struct ScalarVisitor<T>(PhantomData<T>);

fn invalid<E: de::Error>(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> E {
    E::invalid_value(unexpected, expected)
}

// ---- string ----

impl Coerce for String {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if is_strict() {
            return String::deserialize(deserializer);
        }
        deserializer.deserialize_any(ScalarVisitor::<String>(PhantomData))
    }
}

impl Visitor<'_> for ScalarVisitor<String> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string (or a number or boolean, read as its text)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        // Rust prints the shortest text that reads back as the same float: `1.5`, `25` for 25.0.
        Ok(v.to_string())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

// ---- integers ----

macro_rules! integer {
    ($ty:ty, $name:literal) => {
        impl Coerce for $ty {
            fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if is_strict() {
                    return <$ty>::deserialize(deserializer);
                }
                match deserializer.deserialize_any(ScalarVisitor::<Scalar<$ty>>(PhantomData))? {
                    Scalar::Value(v) => Ok(v),
                    // `""` where a number is promised: the default, like `null`.
                    Scalar::Absent => Ok(0),
                }
            }
        }

        impl Coerce for Scalar<$ty> {
            fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if is_strict() {
                    return <$ty>::deserialize(deserializer).map(Scalar::Value);
                }
                deserializer.deserialize_any(ScalarVisitor::<Scalar<$ty>>(PhantomData))
            }
        }

        non_text_option!($ty);

        impl Visitor<'_> for ScalarVisitor<Scalar<$ty>> {
            type Value = Scalar<$ty>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(concat!(
                    "an integer in the range of ",
                    $name,
                    " (or an integral float or numeric string)"
                ))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                <$ty>::try_from(v)
                    .map(Scalar::Value)
                    .map_err(|_| invalid(de::Unexpected::Signed(v), &self))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                <$ty>::try_from(v)
                    .map(Scalar::Value)
                    .map_err(|_| invalid(de::Unexpected::Unsigned(v), &self))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                integral(v)
                    .and_then(|v| <$ty>::try_from(v).ok())
                    .map(Scalar::Value)
                    .ok_or_else(|| invalid(de::Unexpected::Float(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let text = v.trim();
                if text.is_empty() {
                    return Ok(Scalar::Absent);
                }
                let parsed = match text.parse::<i128>() {
                    Ok(n) => Some(n),
                    Err(_) => text.parse::<f64>().ok().and_then(integral),
                };
                parsed
                    .and_then(|n| <$ty>::try_from(n).ok())
                    .map(Scalar::Value)
                    .ok_or_else(|| invalid(de::Unexpected::Str(v), &self))
            }
        }
    };
}

/// The integer a float stands for exactly, if any. Beyond 2^53 a float no longer tells
/// neighbouring integers apart, so such values are refused rather than guessed.
fn integral(v: f64) -> Option<i128> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (v.is_finite() && v.fract() == 0.0 && v.abs() <= EXACT).then_some(v as i128)
}

integer!(i64, "a signed 64-bit integer");
integer!(u64, "an unsigned 64-bit integer");

// ---- float ----

impl Coerce for f64 {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Scalar::<f64>::coerce(deserializer)? {
            Scalar::Value(v) => v,
            Scalar::Absent => 0.0,
        })
    }
}

impl Coerce for Scalar<f64> {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if is_strict() {
            return f64::deserialize(deserializer).map(Scalar::Value);
        }
        deserializer.deserialize_any(ScalarVisitor::<Scalar<f64>>(PhantomData))
    }
}

non_text_option!(f64);

impl Visitor<'_> for ScalarVisitor<Scalar<f64>> {
    type Value = Scalar<f64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number (or a numeric string)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let text = v.trim();
        if text.is_empty() {
            return Ok(Scalar::Absent);
        }
        // `f64::from_str` also reads `inf` and `NaN`, which JSON cannot carry back: refused.
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Scalar::Value)
            .ok_or_else(|| invalid(de::Unexpected::Str(v), &self))
    }
}

// ---- bool ----

impl Coerce for bool {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Scalar::<bool>::coerce(deserializer)? {
            Scalar::Value(v) => v,
            Scalar::Absent => false,
        })
    }
}

impl Coerce for Scalar<bool> {
    fn coerce<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if is_strict() {
            return bool::deserialize(deserializer).map(Scalar::Value);
        }
        deserializer.deserialize_any(ScalarVisitor::<Scalar<bool>>(PhantomData))
    }
}

non_text_option!(bool);

impl Visitor<'_> for ScalarVisitor<Scalar<bool>> {
    type Value = Scalar<bool>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean (or 0, 1, \"true\", \"false\")")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Value(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Scalar::Value(false)),
            1 => Ok(Scalar::Value(true)),
            _ => Err(invalid(de::Unexpected::Signed(v), &self)),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Scalar::Value(false)),
            1 => Ok(Scalar::Value(true)),
            _ => Err(invalid(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let text = v.trim();
        if text.is_empty() {
            Ok(Scalar::Absent)
        } else if text.eq_ignore_ascii_case("true") || text == "1" {
            Ok(Scalar::Value(true))
        } else if text.eq_ignore_ascii_case("false") || text == "0" {
            Ok(Scalar::Value(false))
        } else {
            Err(invalid(de::Unexpected::Str(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: Coerce>(json: &str) -> Result<T, String> {
        serde_json::from_str::<Coerced<T>>(json)
            .map(|c| c.0)
            .map_err(|e| e.to_string())
    }

    fn read_strict<T: Coerce>(json: &str) -> Result<T, String> {
        strictly(|| read(json))
    }

    #[test]
    fn the_coercion_table() {
        // string
        for (json, text) in [
            (r#""x""#, "x"),
            ("25", "25"),
            ("-3", "-3"),
            ("1.5", "1.5"),
            ("25.0", "25"),
            ("18446744073709551615", "18446744073709551615"),
            ("true", "true"),
            ("false", "false"),
        ] {
            assert_eq!(read::<String>(json).as_deref(), Ok(text), "{json}");
        }
        // integers
        for (json, n) in [
            ("25", 25),
            ("25.0", 25),
            (r#""25""#, 25),
            (r#"" 25 ""#, 25),
            (r#""25.0""#, 25),
            (r#""-7""#, -7),
            (r#""""#, 0),
            ("-9007199254740992.0", -9_007_199_254_740_992),
        ] {
            assert_eq!(read::<i64>(json), Ok(n), "{json}");
        }
        assert_eq!(read::<u64>(r#""18446744073709551615""#), Ok(u64::MAX));
        assert_eq!(read::<Option<i64>>(r#""""#), Ok(None));
        assert_eq!(read::<Option<i64>>("null"), Ok(None));
        assert_eq!(read::<Option<i64>>(r#""3""#), Ok(Some(3)));
        // float
        for (json, x) in [
            ("2.5", 2.5),
            ("3", 3.0),
            (r#""2.5""#, 2.5),
            (r#""-1e3""#, -1000.0),
        ] {
            assert_eq!(read::<f64>(json), Ok(x), "{json}");
        }
        // bool
        for (json, b) in [
            ("true", true),
            ("0", false),
            ("1", true),
            (r#""true""#, true),
            (r#""FALSE""#, false),
            (r#""1""#, true),
            (r#""0""#, false),
        ] {
            assert_eq!(read::<bool>(json), Ok(b), "{json}");
        }
        // lists coerce each element
        assert_eq!(read::<Vec<i64>>(r#"[1, "2", 3.0]"#), Ok(vec![1, 2, 3]));
        assert_eq!(
            read::<Option<Vec<String>>>(r#"[1, "a", true]"#),
            Ok(Some(vec!["1".into(), "a".into(), "true".into()]))
        );
    }

    #[test]
    fn values_that_mean_nothing_in_the_type_are_errors() {
        for json in [
            r#""abc""#,
            "1.5",
            r#""1.5""#,
            "true",
            "[]",
            "{}",
            "9223372036854775808",
            "1e300",
            "9007199254740994.0",
        ] {
            let error = read::<i64>(json).expect_err(json);
            assert!(error.contains("integer"), "{json}: {error}");
        }
        assert!(read::<u64>("-1").is_err());
        assert!(read::<u64>(r#""-1""#).is_err());
        for json in [r#""abc""#, r#""NaN""#, r#""inf""#, "true"] {
            assert!(read::<f64>(json).is_err(), "{json}");
        }
        for json in ["2", "-1", r#""yes""#, "0.0"] {
            assert!(read::<bool>(json).is_err(), "{json}");
        }
        for json in ["[]", "{}"] {
            assert!(read::<String>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn requests_take_exact_types_only() {
        assert!(read_strict::<String>("25").is_err());
        assert!(read_strict::<i64>(r#""25""#).is_err());
        assert!(read_strict::<i64>("25.0").is_err());
        assert!(read_strict::<Option<i64>>(r#""""#).is_err());
        assert!(read_strict::<bool>("1").is_err());
        assert!(read_strict::<f64>(r#""2.5""#).is_err());
        assert_eq!(read_strict::<f64>("3"), Ok(3.0));
        assert_eq!(read_strict::<Vec<i64>>("[1, 2]"), Ok(vec![1, 2]));
        // The flag is scoped: reading goes back to tolerant afterwards, also after a panic.
        assert_eq!(read::<i64>(r#""25""#), Ok(25));
        let _ = std::panic::catch_unwind(|| strictly(|| panic!("inside")));
        assert_eq!(read::<i64>(r#""25""#), Ok(25));
    }
}
