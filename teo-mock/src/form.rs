//! The forms a Tencent Cloud API 3.0 request takes, told apart and turned into one JSON request
//! that [`crate::validate`] checks whatever the form:
//!
//! | method | Content-Type | signature | parameters |
//! |---|---|---|---|
//! | POST | `application/json` (or none) | TC3 (`Authorization`) | the JSON body |
//! | POST | `multipart/form-data` | TC3 | one part per top-level member (JSON parts as JSON) |
//! | GET | any (the clients send `application/x-www-form-urlencoded`) | TC3 | flattened, in the query |
//! | POST | `application/x-www-form-urlencoded` | v1 (`Signature`, `SecretId`, … among the parameters) | flattened, in the body |
//! | GET | any | v1 | flattened, in the query |
//!
//! With TC3 the action and version are the `X-TC-Action` / `X-TC-Version` headers; with v1 they
//! are the `Action` / `Version` parameters, beside the other common ones ([`V1_COMMON`]), which
//! are never request members.
//!
//! **Flattened parameters** (`ZoneIds.0=z1&Filters.0.Name=zone-name&Filters.0.Values.1=b`) are
//! rebuilt into JSON guided by the action's request object in the spec: numbered segments
//! become lists (numbered from 0 without gaps), named ones objects, and text becomes the
//! member's type where it reads as one (integers, numbers, `true`/`false` in any case, as the
//! Python SDK sends `True`). Text that does not read as its type stays text, and a shape that
//! does not fit stays as given, so the validator reports it with the same code and parameter
//! path a JSON body would get.

use bytes::Bytes;
use serde_json::{Map, Value};
use tc_spec::flattened::{self, clip};
use tc_spec::model::Object;

use crate::error::{codes, ApiError};
use crate::spec::Spec;

/// The common parameters of a v1 request, which are not members of the action's request.
pub const V1_COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];

/// A request's parameters before they are JSON.
#[derive(Debug)]
pub enum Params {
    /// A JSON body.
    Json(Bytes),
    /// Flattened `name=value` pairs (percent-decoded), in the order received.
    Flat(Vec<(String, String)>),
    /// A `multipart/form-data` body and its boundary.
    Multipart {
        /// The whole body, as received.
        body: Bytes,
        /// The boundary from the `Content-Type` header.
        boundary: String,
    },
}

/// The media type of a Content-Type value, lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `name=value` pairs of a query string or form body, percent-decoded (`+` is a space).
pub fn decode_pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The value of the first `name` among `pairs`.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The JSON request `params` carry for the request object `input` of `spec`. Not yet
/// validated: see [`crate::validate::check_parsed`].
pub async fn to_json(
    spec: &Spec,
    input: Option<&Object>,
    params: Params,
) -> Result<Value, ApiError> {
    match params {
        Params::Json(body) => crate::validate::parse_body(&body),
        Params::Flat(pairs) => unflatten(spec, input, &pairs).map(Value::Object),
        Params::Multipart { body, boundary } => multipart(spec, input, body, boundary).await,
    }
}

/// Rebuilds the request object from flattened `pairs` (see [`tc_spec::flattened`]); what cannot be
/// a request at all is `InvalidParameter`.
pub fn unflatten(
    spec: &Spec,
    input: Option<&Object>,
    pairs: &[(String, String)],
) -> Result<Map<String, Value>, ApiError> {
    flattened::unflatten(&spec.service, input, pairs).map_err(|e| invalid(e.0))
}

fn invalid(message: String) -> ApiError {
    ApiError::new(codes::INVALID_PARAMETER, message)
}

/// A `multipart/form-data` body: a part per top-level member, JSON when the part says
/// `Content-Type: application/json` (as the Python SDK sends lists and objects), else text,
/// typed like a flattened parameter.
async fn multipart(
    spec: &Spec,
    input: Option<&Object>,
    body: Bytes,
    boundary: String,
) -> Result<Value, ApiError> {
    // The Python SDK sends no parts at all, not even the closing delimiter, for no parameters.
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let bad =
        |e: multer::Error| invalid(format!("The multipart/form-data body does not parse: {e}."));
    let mut texts = Vec::new();
    let mut json = Map::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(invalid(
                "A multipart/form-data part has no name in its Content-Disposition.".to_owned(),
            ));
        };
        let is_json = field
            .content_type()
            .is_some_and(|m| m.essence_str() == "application/json");
        let bytes = field.bytes().await.map_err(bad)?;
        let Ok(text) = String::from_utf8(bytes.to_vec()) else {
            return Err(invalid(format!(
                "The multipart/form-data part `{}` is not UTF-8 text.",
                clip(&name)
            )));
        };
        if is_json {
            let value: Value = serde_json::from_str(&text).map_err(|e| {
                invalid(format!(
                    "The multipart/form-data part `{}` is not valid JSON: {e}.",
                    clip(&name)
                ))
            })?;
            if json.insert(name.clone(), value).is_some() {
                return Err(invalid(format!(
                    "The parameter `{}` is given more than once.",
                    clip(&name)
                )));
            }
        } else {
            texts.push((name, text));
        }
    }
    let mut members = unflatten(spec, input, &texts)?;
    for (name, value) in json {
        if members.insert(name.clone(), value).is_some() {
            return Err(invalid(format!(
                "The parameter `{}` is given more than once.",
                clip(&name)
            )));
        }
    }
    Ok(Value::Object(members))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Spec {
        Spec::embedded().expect("embedded spec")
    }

    fn flat(action: &str, pairs: &[(&str, &str)]) -> Result<Value, ApiError> {
        let spec = spec();
        let info = &spec.service.actions[action];
        let input = spec.service.objects.get(&info.input);
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        unflatten(&spec, input, &pairs).map(Value::Object)
    }

    #[test]
    fn lists_objects_and_types_come_back_from_the_spec() {
        let value = flat(
            "DescribeZones",
            &[
                ("Offset", "0"),
                ("Limit", "20"),
                ("Filters.0.Name", "zone-name"),
                ("Filters.0.Values.0", "a.example"),
                ("Filters.0.Values.1", "b.example"),
                ("Filters.1.Name", "zone-id"),
                ("Filters.1.Values.0", "zone-1"),
                ("Filters.1.Fuzzy", "True"),
            ],
        )
        .unwrap();
        assert_eq!(
            value,
            json!({
                "Offset": 0,
                "Limit": 20,
                "Filters": [
                    {"Name": "zone-name", "Values": ["a.example", "b.example"]},
                    {"Name": "zone-id", "Values": ["zone-1"], "Fuzzy": true},
                ],
            })
        );
    }

    #[test]
    fn what_does_not_fit_is_left_for_the_validator() {
        // Text that is no integer stays text; a list given with a gap stays an object.
        let value = flat(
            "DownloadL4Logs",
            &[("Limit", "many"), ("ZoneIds.0", "z"), ("ZoneIds.2", "y")],
        )
        .unwrap();
        assert_eq!(value["Limit"], "many");
        assert_eq!(value["ZoneIds"], json!({"0": "z", "2": "y"}));
        // A leading zero is not an index.
        let value = flat("DownloadL4Logs", &[("ZoneIds.00", "z")]).unwrap();
        assert_eq!(value["ZoneIds"], json!({"00": "z"}));
        // Unknown names are kept, for UnknownParameter.
        let value = flat("DownloadL4Logs", &[("Nope.0.Deep", "1")]).unwrap();
        assert_eq!(value["Nope"], json!([{"Deep": "1"}]));
    }

    #[test]
    fn clashing_or_malformed_names_are_invalid_parameter() {
        for pairs in [
            &[("Limit", "1"), ("Limit", "2")][..],
            &[("ZoneIds", "z"), ("ZoneIds.0", "y")][..],
            &[("ZoneIds.0", "y"), ("ZoneIds", "z")][..],
            &[("ZoneIds..0", "y")][..],
        ] {
            let error = flat("DownloadL4Logs", pairs).unwrap_err();
            assert_eq!(error.code, codes::INVALID_PARAMETER, "{pairs:?}");
            assert!(error.message.contains("ZoneIds") || error.message.contains("Limit"));
        }
        let deep = vec!["a"; flattened::MAX_DEPTH + 1].join(".");
        let error = flat("DownloadL4Logs", &[(&deep, "1")]).unwrap_err();
        assert!(error.message.contains("segments"), "{}", error.message);
    }

    #[tokio::test]
    async fn multipart_parts_are_members() {
        let spec = spec();
        let input = spec.service.objects.get("DownloadL4LogsRequest");
        let body = "--b\r\nContent-Disposition: form-data; name=\"StartTime\"\r\n\r\n2024-05-01T00:00:00+08:00\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"Limit\"\r\n\r\n300\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"ZoneIds\"\r\nContent-Type: application/json\r\n\r\n[\"z\"]\r\n\
                    --b--\r\n";
        let params = Params::Multipart {
            body: Bytes::from(body),
            boundary: "b".into(),
        };
        let value = to_json(&spec, input, params).await.unwrap();
        assert_eq!(
            value,
            json!({"StartTime": "2024-05-01T00:00:00+08:00", "Limit": 300, "ZoneIds": ["z"]})
        );
        let broken = Params::Multipart {
            body: Bytes::from("--b\r\nContent-Disposition: form-data; name=\"Limit\"\r\n\r\n3"),
            boundary: "b".into(),
        };
        let error = to_json(&spec, input, broken).await.unwrap_err();
        assert_eq!(error.code, codes::INVALID_PARAMETER);
        let empty = Params::Multipart {
            body: Bytes::new(),
            boundary: "b".into(),
        };
        assert_eq!(to_json(&spec, input, empty).await.unwrap(), json!({}));
    }
}
