//! Flattened parameters — `ZoneIds.0=z1`, `Filters.0.Name=zone-name`, `Filters.0.Values.1=b` —
//! as Tencent Cloud API 3.0 carries a request in a query string or a form body (and tccli's
//! `--cli-unfold-argument` takes it on the command line), rebuilt into the JSON request guided by
//! the action's request object: numbered segments become lists (numbered from 0 without gaps),
//! named ones objects, and text becomes the member's type where it reads as one (integers,
//! numbers, `true`/`false` in any case, as the Python SDK sends `True`).
//!
//! Text that does not read as its type stays text, and a shape that does not fit stays as given
//! (a list with a gap stays an object, an unknown name is kept), so a validator reports it with
//! the code and parameter path a JSON body would get. Only what cannot be a request at all is an
//! error here: a name given twice, given both as a value and with members, with an empty
//! segment, or deeper than [`MAX_DEPTH`].

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Number, Value};

use crate::objects::{FieldType, Object, ValueType};
use crate::Service;

/// Segments a flattened name may have: deeper than any request object nests, shallow enough
/// that rebuilding never recurses far.
pub const MAX_DEPTH: usize = 32;

/// Why flattened names cannot be a request; the message names the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatError(pub String);

impl fmt::Display for FlatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FlatError {}

/// Rebuilds the members of the request object `input` of `service` from flattened `pairs`
/// (names and values decoded, in the order given).
pub fn unflatten(
    service: &Service,
    input: Option<&Object>,
    pairs: &[(String, String)],
) -> Result<Map<String, Value>, FlatError> {
    let mut root = BTreeMap::new();
    for (name, value) in pairs {
        insert(&mut root, name, value)?;
    }
    let object = input.map(Expected::Object);
    Ok(members(service, object, root))
}

/// One flattened name's place in the tree of names.
#[derive(Debug)]
enum Node {
    Text(String),
    Members(BTreeMap<String, Node>),
}

fn invalid(message: String) -> FlatError {
    FlatError(message)
}

fn insert(root: &mut BTreeMap<String, Node>, name: &str, value: &str) -> Result<(), FlatError> {
    let segments: Vec<&str> = name.split('.').collect();
    if segments.len() > MAX_DEPTH {
        return Err(invalid(format!(
            "The parameter name `{}` has more than {MAX_DEPTH} segments.",
            clip(name)
        )));
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Err(invalid(format!(
            "The parameter name `{}` has an empty segment.",
            clip(name)
        )));
    }
    let mut level = root;
    for (i, segment) in segments.iter().enumerate() {
        let path = || segments[..=i].join(".");
        if i + 1 == segments.len() {
            if level
                .insert((*segment).to_owned(), Node::Text(value.to_owned()))
                .is_some()
            {
                return Err(invalid(format!(
                    "The parameter `{}` is given more than once.",
                    clip(&path())
                )));
            }
            return Ok(());
        }
        let node = level
            .entry((*segment).to_owned())
            .or_insert_with(|| Node::Members(BTreeMap::new()));
        level = match node {
            Node::Members(members) => members,
            Node::Text(_) => {
                return Err(invalid(format!(
                    "The parameter `{}` is given both as a value and with members.",
                    clip(&path())
                )))
            }
        };
    }
    Ok(())
}

/// What a place in the request holds, per the spec.
#[derive(Clone, Copy)]
enum Expected<'a> {
    Object(&'a Object),
    List(&'a ValueType),
    One(&'a ValueType),
}

fn expected_of(field: &FieldType) -> Expected<'_> {
    match field {
        FieldType::One(ty) => Expected::One(ty),
        FieldType::List(ty) => Expected::List(ty),
    }
}

fn members(
    service: &Service,
    object: Option<Expected<'_>>,
    nodes: BTreeMap<String, Node>,
) -> Map<String, Value> {
    let object = match object {
        Some(Expected::Object(object)) => Some(object),
        _ => None,
    };
    nodes
        .into_iter()
        .map(|(name, node)| {
            let field = object.and_then(|o| o.fields.iter().find(|f| f.wire_name == name));
            let value = value(service, field.map(|f| expected_of(&f.ty)), node);
            (name, value)
        })
        .collect()
}

fn value(service: &Service, expected: Option<Expected<'_>>, node: Node) -> Value {
    match node {
        Node::Text(text) => match expected {
            Some(Expected::One(ty)) => typed(ty, text),
            _ => Value::String(text),
        },
        Node::Members(nodes) => {
            let element = match expected {
                Some(Expected::List(ty)) => Some(ty),
                _ => None,
            };
            match as_list(nodes) {
                Ok(items) => Value::Array(
                    items
                        .into_iter()
                        .map(|item| value(service, element.map(|ty| element_of(service, ty)), item))
                        .collect(),
                ),
                Err(nodes) => {
                    let object = match expected {
                        Some(Expected::One(ValueType::Object(name))) => {
                            service.objects.get(name).map(Expected::Object)
                        }
                        Some(Expected::Object(object)) => Some(Expected::Object(object)),
                        _ => None,
                    };
                    Value::Object(members(service, object, nodes))
                }
            }
        }
    }
}

/// What a list's element is: an object's members, or one value.
fn element_of<'a>(service: &'a Service, ty: &'a ValueType) -> Expected<'a> {
    match ty {
        ValueType::Object(name) => service
            .objects
            .get(name)
            .map_or(Expected::One(ty), Expected::Object),
        _ => Expected::One(ty),
    }
}

/// The members as list elements when their names are exactly `0`, `1`, … `n-1`; else the
/// members back. (A gap, or a name like `01`, keeps them an object, which the validator then
/// reports as not a list.)
fn as_list(nodes: BTreeMap<String, Node>) -> Result<Vec<Node>, BTreeMap<String, Node>> {
    let mut indexed = Vec::with_capacity(nodes.len());
    for name in nodes.keys() {
        let canonical =
            name == "0" || (!name.starts_with('0') && name.bytes().all(|b| b.is_ascii_digit()));
        match name.parse::<usize>() {
            Ok(index) if canonical && index < nodes.len() => indexed.push(index),
            _ => return Err(nodes),
        }
    }
    // Distinct names, all below the count: exactly 0..n.
    let mut slots: Vec<Option<Node>> = (0..nodes.len()).map(|_| None).collect();
    for ((_, node), index) in nodes.into_iter().zip(indexed) {
        slots[index] = Some(node);
    }
    Ok(slots.into_iter().flatten().collect())
}

/// `text` as the JSON value of `ty` when it reads as one; else the text, for the validator to
/// report as the wrong type.
fn typed(ty: &ValueType, text: String) -> Value {
    let parsed = match ty {
        ValueType::Int64 => text.parse::<i64>().ok().map(Value::from),
        ValueType::UInt64 => text.parse::<u64>().ok().map(Value::from),
        ValueType::Float => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(|n| match text.parse::<i64>() {
                // `25` stays an integer, as it would in JSON.
                Ok(i) => Value::from(i),
                Err(_) => Value::Number(n),
            }),
        ValueType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or(Value::String(text))
}

/// A parameter name in a message: at most 200 characters.
pub fn clip(name: &str) -> String {
    let mut out: String = name.chars().take(200).collect();
    if name.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_read_as_their_member_types() {
        assert_eq!(typed(&ValueType::Int64, "-5".into()), json!(-5));
        assert_eq!(typed(&ValueType::UInt64, "-5".into()), json!("-5"));
        assert_eq!(typed(&ValueType::Float, "2.5".into()), json!(2.5));
        assert_eq!(typed(&ValueType::Float, "25".into()), json!(25));
        assert_eq!(typed(&ValueType::Float, "NaN".into()), json!("NaN"));
        assert_eq!(typed(&ValueType::Bool, "FALSE".into()), json!(false));
        assert_eq!(typed(&ValueType::Bool, "1".into()), json!("1"));
        assert_eq!(typed(&ValueType::String, "007".into()), json!("007"));
    }
}
