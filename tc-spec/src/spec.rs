//! Serde types for the Tencent Cloud API 3.0 description format (`api.json`).
//!
//! The types mirror the file as published (for example in the `tccli` package under
//! `tccli/services/<service>/<version>/api.json`). They accept fields they do not know, so a newer
//! revision of the format still parses; [`crate::validate`] decides what the generator can use.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A whole `api.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    /// Which service and API version the file describes.
    pub metadata: Metadata,
    /// Actions by wire name (`DownloadL4Logs`), in file order.
    pub actions: OrderedMap<Action>,
    /// Objects by wire name (`DownloadL4LogsRequest`, `L4OfflineLog`), in file order.
    pub objects: OrderedMap<Object>,
    /// Version of the description format (`1.0`).
    #[serde(default)]
    pub version: Option<String>,
}

/// The file's `metadata`: the service and API version it describes.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    /// `2022-09-01`
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `teo`; also the signing service name and the first label of the endpoint host.
    #[serde(rename = "serviceShortName")]
    pub service_short_name: String,
    /// The service's Chinese name (`边缘安全加速平台`), when given; not used by the generator.
    #[serde(rename = "serviceNameCN", default)]
    pub service_name_cn: Option<String>,
}

/// One entry of the file's `actions`.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    /// A human title such as "Downloads L4 logs" (the wire name is the map key).
    #[serde(default)]
    pub name: String,
    /// Description: plain text mixed with HTML (see [`crate::docs`]); empty when absent.
    #[serde(default)]
    pub document: String,
    /// Name of the request object.
    pub input: String,
    /// Name of the response object.
    pub output: String,
    /// Publication state as published (`online`); kept for readers, not used by the generator.
    #[serde(default)]
    pub status: Option<String>,
}

/// One entry of the file's `objects`: a request, a response or a data object.
#[derive(Debug, Clone, Deserialize)]
pub struct Object {
    /// Description: plain text mixed with HTML (see [`crate::docs`]); empty when absent.
    #[serde(default)]
    pub document: String,
    /// The object's members, in file order (duplicates kept for validation to report).
    pub members: Vec<Member>,
    /// `in`, `out` or `both` for data objects; absent on requests and responses.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// The directions a data object travels in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Usage {
    /// Only sent to the service (`in`).
    In,
    /// Only received from the service (`out`).
    Out,
    /// Sent and received (`both`).
    Both,
}

/// One member of an object.
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// Wire name (`ZoneIds`), as sent in JSON.
    pub name: String,
    /// `string`, `int`, `float`, `bool`, `list` or `object`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value type (for lists the element type): `string`, `int64`, `uint64`, `float`,
    /// `bool`, `datetime_iso`, `datetime`, `date`, `binary` or an object name.
    pub member: String,
    /// Description: plain text mixed with HTML (see [`crate::docs`]); empty when absent.
    #[serde(default)]
    pub document: String,
    /// An example value as text, when the file gives one.
    #[serde(default)]
    pub example: Option<String>,
    /// Input side: the caller must send it.
    #[serde(default, deserialize_with = "flag")]
    pub required: Option<bool>,
    /// Output side: the server always sends it.
    #[serde(default, deserialize_with = "flag")]
    pub output_required: Option<bool>,
    /// Output side: the server may send `null`.
    #[serde(default, deserialize_with = "flag")]
    pub value_allowed_null: Option<bool>,
    /// The member is withdrawn (`true`): kept, but marked deprecated in generated code.
    #[serde(default, deserialize_with = "flag")]
    pub disabled: Option<bool>,
}

/// A JSON object kept as a list of entries in file order, duplicates included, so that
/// validation can report a repeated key instead of silently keeping the last one.
#[derive(Debug, Clone, Default)]
pub struct OrderedMap<T>(pub Vec<(String, T)>);

impl<T> OrderedMap<T> {
    /// The first entry under `key`, or `None` when there is none.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The entries in file order, duplicates included.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of entries, duplicates counted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = OrderedMap<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(OrderedMap(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// A flag as the specs write it: `true`/`false`, and in a few files `1`/`0` (databuddy's
/// `"required": 1`) or `"true"`/`"false"`. `null` is absent.
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    struct FlagVisitor;

    impl Visitor<'_> for FlagVisitor {
        type Value = Option<bool>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("true, false, 1, 0 or null")
        }

        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            match v {
                0 => Ok(Some(false)),
                1 => Ok(Some(true)),
                _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
            }
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
            }
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
            }
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(FlagVisitor)
}

/// Parses `api.json` text. Errors carry serde_json's line and column.
pub fn parse(text: &str) -> Result<Spec, serde_json::Error> {
    serde_json::from_str(text)
}
