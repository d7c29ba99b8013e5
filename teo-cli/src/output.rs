//! Printing JSON the way tccli does: 4-space indent, non-ASCII as is, and members in the order
//! the server sent them (`serde_json::Value` would sort them, so an order-keeping tree is used).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::ser::PrettyFormatter;
use serde_json::Number;

/// A JSON value whose objects keep their members in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Re-indents JSON text with 4 spaces, keeping member order.
pub fn pretty(text: &str) -> Result<String, serde_json::Error> {
    let value: Json = serde_json::from_str(text)?;
    Ok(value.to_pretty())
}

impl Json {
    pub fn to_pretty(&self) -> String {
        let mut buffer = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(
            &mut buffer,
            PrettyFormatter::with_indent(b"    "),
        );
        // Writing a tree of strings and numbers to memory cannot fail, and serde_json writes
        // UTF-8 only.
        match self.serialize(&mut serializer) {
            Ok(()) => String::from_utf8_lossy(&buffer).into_owned(),
            Err(e) => format!("\"<unprintable: {e}>\""),
        }
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
}
