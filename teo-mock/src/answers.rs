//! Answers to valid requests: the official example response, or one generated from the output
//! object; Offset/Limit actions page over a stable generated data set.
//!
//! - **Example.** An action with an official example answers with the `Response` of its first
//!   one, without `RequestId`.
//! - **Generated.** Otherwise every member of the output object but `RequestId` is filled from
//!   its type and name: strings `"<Member>-1"`, small integers derived from the member name,
//!   floats `n.5`, `true`, date-times in RFC 3339, lists of two elements (one below the top
//!   level), nested objects recursively down to [`MAX_DEPTH`] (the spec has recursive objects
//!   such as `RuleEngineSubRule` ↔ `RuleBranch`); below that only scalar members are filled.
//!   Responses are read tolerantly, so an omitted member takes its default.
//! - **Paging.** An action that pages by the model (`tc_spec::paging`: the generator's rule and
//!   `paging.json`, so the mock pages exactly the actions the client has paginators for) pages
//!   over a data set of [`total_items`] items (0..=57, derived from the action name). `Offset`
//!   defaults to 0, `Limit` to 20 and is capped at the action's documented maximum, else 1000 (a
//!   negative value counts as 0); the list holds items `Offset..min(Offset + Limit, total)`, and
//!   the total member (the model's, if the action reports one) is the total. Each item is the
//!   example's first list element (or a generated one) with its ID- and name-like string members
//!   suffixed `-<absolute index>`, so items of different pages never repeat.
//!
//! Everything is deterministic: the same request gives the same answer.

use std::net::Ipv4Addr;

use serde_json::{json, Map, Value};
use tc_spec::model::{Action, Field, FieldType, Object, ValueType};

use crate::spec::Spec;

/// Nesting depth below which generated objects fill only their scalar members.
pub const MAX_DEPTH: usize = 4;
/// Items per page when the request gives no `Limit`.
pub const DEFAULT_LIMIT: u64 = 20;
/// The largest `Limit` honoured where the action documents none.
pub const MAX_LIMIT: u64 = 1000;
/// Data sets have 0..=MAX_TOTAL items.
pub const MAX_TOTAL: u64 = 57;

const DATE_TIMES: [&str; 2] = ["2024-05-01T08:00:00+08:00", "2024-05-02T09:30:00+08:00"];

/// The `Response` object for a valid request (without `RequestId`; the server adds a fresh one).
pub fn answer(spec: &Spec, action: &str, request: &Value) -> Value {
    let Some(info) = spec.service.actions.get(action) else {
        return Value::Object(Map::new());
    };
    let example = spec
        .example_responses
        .get(action)
        .and_then(|examples| examples.first())
        .and_then(Value::as_object);
    let paging = Paging::of(info);
    // A paged list is rebuilt below, so it is not copied from the example (this is the mock's
    // hot path: copying a large example list per request halves its throughput).
    let paged_list = paging.as_ref().map(|p| p.list.wire_name.as_str());
    let mut response: Map<String, Value> = match example {
        Some(example) => example
            .iter()
            .filter(|(name, _)| Some(name.as_str()) != paged_list && name.as_str() != "RequestId")
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        None => match spec.service.objects.get(&info.output) {
            Some(output) => generate_members(spec, output, 0, 1),
            None => Map::new(),
        },
    };
    response.remove("RequestId");
    if let Some(paging) = paging {
        let template = example.and_then(|e| e.get(&paging.list.wire_name));
        paging.apply(spec, action, request, template, &mut response);
    }
    Value::Object(response)
}

/// How many items the data set of a paged `action` has: 0..=[`MAX_TOTAL`], from its name.
pub fn total_items(action: &str) -> u64 {
    fnv1a(action) % (MAX_TOTAL + 1)
}

/// FNV-1a: a stable hash (unlike `DefaultHasher`, fixed across Rust versions).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The members of a paged action's output, as the model resolves them.
struct Paging<'a> {
    list: &'a Field,
    total: Option<&'a Field>,
    max_page_size: u64,
}

impl<'a> Paging<'a> {
    fn of(action: &'a Action) -> Option<Paging<'a>> {
        let paging = action.paging.as_ref()?;
        Some(Paging {
            list: &paging.items,
            total: paging.total.as_ref(),
            max_page_size: paging.max_page_size.unwrap_or(MAX_LIMIT),
        })
    }

    /// Replaces the list in `response` with the requested page; items are modelled on the first
    /// element of `example_list` (the example's list) or of the list already in `response`.
    fn apply(
        &self,
        spec: &Spec,
        action: &str,
        request: &Value,
        example_list: Option<&Value>,
        response: &mut Map<String, Value>,
    ) {
        let total = total_items(action);
        let offset = match request.get("Offset") {
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_i64().map(|_| 0))
                .unwrap_or(0),
            None => 0,
        };
        let limit = match request.get("Limit") {
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_i64().map(|_| 0))
                .unwrap_or(DEFAULT_LIMIT),
            None => DEFAULT_LIMIT,
        }
        .min(self.max_page_size);
        let end = offset.saturating_add(limit).min(total);
        let FieldType::List(element) = &self.list.ty else {
            return;
        };
        let template = example_list
            .or_else(|| response.get(&self.list.wire_name))
            .and_then(Value::as_array)
            .and_then(|items| items.first())
            .filter(|first| fits(element, first))
            .cloned()
            .unwrap_or_else(|| generate(spec, element, &self.list.wire_name, 1, 1));
        let items: Vec<Value> = (offset..end)
            .map(|index| personalize(spec, element, &template, index))
            .collect();
        response.insert(self.list.wire_name.clone(), Value::Array(items));
        if let Some(field) = self.total {
            response.insert(field.wire_name.clone(), json!(total));
        }
    }
}

/// Whether an example's list element can serve as the template for `element` items.
fn fits(element: &ValueType, value: &Value) -> bool {
    match element {
        ValueType::String
        | ValueType::Binary
        | ValueType::DateTime
        | ValueType::LocalDateTime
        | ValueType::Date => value.is_string(),
        ValueType::Int64 => value.is_i64(),
        ValueType::UInt64 => value.is_u64(),
        ValueType::Float => value.is_number(),
        ValueType::Bool => value.is_boolean(),
        ValueType::Object(_) => value.is_object(),
    }
}

/// Item `index` of a data set: `template` with its identifying values made unique.
fn personalize(spec: &Spec, element: &ValueType, template: &Value, index: u64) -> Value {
    match (element, template) {
        (ValueType::String, Value::String(text)) => match text.parse::<Ipv4Addr>() {
            Ok(ip) => {
                let ip = Ipv4Addr::from(u32::from(ip).wrapping_add(index as u32));
                Value::String(ip.to_string())
            }
            Err(_) => Value::String(format!("{text}-{index}")),
        },
        (ValueType::Int64 | ValueType::UInt64, _) => json!(index),
        (ValueType::Float, _) => json!(index as f64),
        (ValueType::Object(name), Value::Object(members)) => {
            let mut members = members.clone();
            let Some(object) = spec.service.objects.get(name) else {
                return Value::Object(members);
            };
            let strings: Vec<&Field> = object
                .fields
                .iter()
                .filter(|f| f.ty == FieldType::One(ValueType::String))
                .collect();
            let identifying: Vec<&Field> = strings
                .iter()
                .copied()
                .filter(|f| {
                    let name = f.wire_name.as_str();
                    name.ends_with("Id") || name.ends_with("ID") || name.ends_with("Name")
                })
                .collect();
            let keys = if identifying.is_empty() {
                strings.into_iter().take(1).collect()
            } else {
                identifying
            };
            for field in keys {
                let base = match members.get(&field.wire_name) {
                    Some(Value::String(text)) if !text.is_empty() => text.clone(),
                    _ => field.wire_name.clone(),
                };
                members.insert(
                    field.wire_name.clone(),
                    Value::String(format!("{base}-{index}")),
                );
            }
            Value::Object(members)
        }
        _ => template.clone(),
    }
}

/// Every member of `object` but `RequestId`, generated. `n` numbers the element (1-based) when
/// the object is a list element, so siblings differ.
fn generate_members(spec: &Spec, object: &Object, depth: usize, n: usize) -> Map<String, Value> {
    let mut members = Map::new();
    for field in &object.fields {
        if field.wire_name == "RequestId" {
            continue;
        }
        let value = match &field.ty {
            FieldType::One(ValueType::Object(_)) | FieldType::List(ValueType::Object(_))
                if depth >= MAX_DEPTH =>
            {
                continue;
            }
            FieldType::One(ty) => generate(spec, ty, &field.wire_name, depth + 1, n),
            FieldType::List(ty) => {
                let len = if depth == 0 { 2 } else { 1 };
                Value::Array(
                    (1..=len)
                        .map(|i| generate(spec, ty, &field.wire_name, depth + 1, i))
                        .collect(),
                )
            }
        };
        members.insert(field.wire_name.clone(), value);
    }
    members
}

/// A value of type `ty` for member `name`; `depth` is the value's nesting depth.
fn generate(spec: &Spec, ty: &ValueType, name: &str, depth: usize, n: usize) -> Value {
    let small = fnv1a(name) % 100;
    match ty {
        ValueType::String | ValueType::Binary => Value::String(format!("{name}-{n}")),
        ValueType::Int64 | ValueType::UInt64 => json!(small + n as u64),
        ValueType::Float => json!(small as f64 + n as f64 + 0.5),
        ValueType::Bool => Value::Bool(n % 2 == 1),
        ValueType::DateTime => Value::String(DATE_TIMES[(n + 1) % 2].to_owned()),
        ValueType::LocalDateTime => Value::String(format!("2024-05-0{} 08:00:00", n % 9 + 1)),
        ValueType::Date => Value::String(format!("2024-05-0{}", n % 9 + 1)),
        ValueType::Object(object) => match spec.service.objects.get(object) {
            Some(object) => Value::Object(generate_members(spec, object, depth, n)),
            None => Value::Object(Map::new()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn spec() -> Spec {
        Spec::embedded().expect("embedded spec")
    }

    fn is_paged(spec: &Spec, action: &str) -> bool {
        Paging::of(&spec.service.actions[action]).is_some()
    }

    fn page(spec: &Spec, action: &str, request: Value) -> (u64, Vec<Value>) {
        let paging = Paging::of(&spec.service.actions[action]).expect("paged");
        let response = answer(spec, action, &request);
        let total = paging
            .total
            .map(|f| response[&f.wire_name].as_u64().expect("total"))
            .unwrap_or(total_items(action));
        let items = response[&paging.list.wire_name]
            .as_array()
            .expect("list")
            .clone();
        (total, items)
    }

    /// A paged action with more than 20 items and a `TotalCount`.
    fn big_paged_action(spec: &Spec) -> String {
        spec.service
            .actions
            .keys()
            .find(|a| {
                is_paged(spec, a)
                    && total_items(a) > 25
                    && Paging::of(&spec.service.actions[a.as_str()])
                        .and_then(|p| p.total)
                        .is_some_and(|t| t.wire_name == "TotalCount")
            })
            .expect("a big paged action")
            .clone()
    }

    #[test]
    fn an_action_with_an_example_answers_with_it() {
        let spec = spec();
        let (action, examples) = spec
            .example_responses
            .iter()
            .find(|(a, _)| !is_paged(&spec, a))
            .expect("an unpaged action with an example");
        let mut expected = examples[0].clone();
        expected
            .as_object_mut()
            .expect("object")
            .remove("RequestId");
        let answer = answer(&spec, action, &json!({}));
        assert_eq!(answer, expected, "{action}");
        assert!(answer.get("RequestId").is_none());
        // Every unpaged action with an example.
        for (action, examples) in spec.example_responses.iter() {
            if is_paged(&spec, action) {
                continue;
            }
            let mut expected = examples[0].clone();
            if let Some(members) = expected.as_object_mut() {
                members.remove("RequestId");
            }
            assert_eq!(
                super::answer(&spec, action, &json!({})),
                expected,
                "{action}"
            );
        }
    }

    #[test]
    fn an_action_without_an_example_gets_every_output_member() {
        let spec = spec();
        let without: Vec<&String> = spec
            .service
            .actions
            .keys()
            .filter(|a| !spec.example_responses.contains_key(*a))
            .collect();
        assert!(!without.is_empty(), "every action has an example");
        println!("actions without a usable example: {without:?}");
        for action in without {
            let info = &spec.service.actions[action];
            let output = &spec.service.objects[&info.output];
            let answer = answer(&spec, action, &json!({}));
            for field in &output.fields {
                if field.wire_name == "RequestId" {
                    assert!(answer.get("RequestId").is_none(), "{action}");
                } else {
                    assert!(
                        answer.get(&field.wire_name).is_some(),
                        "{action}: {}",
                        field.wire_name
                    );
                }
            }
        }
    }

    #[test]
    fn generated_values_follow_their_types() {
        let spec = spec();
        // DescribeIPRegion has no usable example.
        let answer = answer(&spec, "DescribeIPRegion", &json!({}));
        let output = &spec.service.objects["DescribeIPRegionResponse"];
        for field in output.fields.iter().filter(|f| f.wire_name != "RequestId") {
            let value = &answer[&field.wire_name];
            match &field.ty {
                FieldType::List(ty) => {
                    let items = value.as_array().expect("list");
                    assert_eq!(items.len(), 2, "{}", field.wire_name);
                    assert!(items.iter().all(|i| fits(ty, i)), "{}", field.wire_name);
                    assert_ne!(items[0], items[1], "siblings differ");
                }
                FieldType::One(ty) => assert!(fits(ty, value), "{}: {value}", field.wire_name),
            }
        }
        // Recursive objects stop at the depth limit.
        let text = generate(
            &spec,
            &ValueType::Object("RuleEngineSubRule".into()),
            "SubRule",
            1,
            1,
        )
        .to_string();
        assert!(text.len() < 200_000, "{} bytes", text.len());
    }

    #[test]
    fn paging_walks_a_stable_data_set() {
        let spec = spec();
        let action = big_paged_action(&spec);
        let total = total_items(&action);
        let mut seen = BTreeSet::new();
        let mut offset = 0;
        while offset < total + 10 {
            let (count, items) = page(&spec, &action, json!({ "Offset": offset, "Limit": 10 }));
            assert_eq!(
                count, total,
                "{action}: TotalCount is the same on every page"
            );
            assert_eq!(
                items.len() as u64,
                10.min(total.saturating_sub(offset)),
                "{action} at {offset}"
            );
            for item in items {
                assert!(seen.insert(item.to_string()), "{action}: {item} repeats");
            }
            offset += 10;
        }
        assert_eq!(
            seen.len() as u64,
            total,
            "{action}: the pages cover the data set"
        );
        // Pages agree with one big page.
        let (_, all) = page(&spec, &action, json!({ "Offset": 0, "Limit": 1000 }));
        let all: BTreeSet<String> = all.iter().map(Value::to_string).collect();
        assert_eq!(all, seen);
        // An item knows its absolute position, whichever page it is on.
        let (_, a) = page(&spec, &action, json!({ "Offset": 5, "Limit": 3 }));
        let (_, b) = page(&spec, &action, json!({ "Offset": 6, "Limit": 1 }));
        assert_eq!(a[1], b[0]);
        assert!(a[1].to_string().contains("-6\""), "{}", a[1]);
    }

    #[test]
    fn paging_defaults_and_limits() {
        let spec = spec();
        let action = big_paged_action(&spec);
        let total = total_items(&action);
        let (_, items) = page(&spec, &action, json!({}));
        assert_eq!(items.len() as u64, DEFAULT_LIMIT.min(total));
        let (_, items) = page(&spec, &action, json!({ "Offset": total }));
        assert!(items.is_empty());
        let (count, items) = page(&spec, &action, json!({ "Offset": 10_000, "Limit": 5 }));
        assert_eq!((count, items.len()), (total, 0));
        let (_, items) = page(
            &spec,
            &action,
            json!({ "Offset": u64::MAX, "Limit": u64::MAX }),
        );
        assert!(items.is_empty());
        let (_, items) = page(&spec, &action, json!({ "Offset": total - 3, "Limit": 10 }));
        assert_eq!(items.len(), 3);
        let (_, items) = page(&spec, &action, json!({ "Limit": 0 }));
        assert!(items.is_empty());
        // Nonsense the validator would reject does not panic.
        for request in [
            json!({ "Offset": -5, "Limit": -1 }),
            json!({ "Offset": "x", "Limit": 1.5 }),
            json!(null),
            json!([1]),
        ] {
            let _ = answer(&spec, &action, &request);
        }
        assert_eq!(answer(&spec, "NoSuchAction", &json!({})), json!({}));
    }

    #[test]
    fn paging_uses_the_example_element_as_template() {
        let spec = spec();
        let example = &spec.example_responses["DescribeZones"][0];
        let first = &example["Zones"][0];
        let answer = answer(&spec, "DescribeZones", &json!({ "Offset": 2, "Limit": 2 }));
        let zones = answer["Zones"].as_array().expect("Zones");
        let total = total_items("DescribeZones");
        assert_eq!(answer["TotalCount"], json!(total));
        assert_eq!(zones.len() as u64, 2.min(total.saturating_sub(2)));
        for (i, zone) in zones.iter().enumerate() {
            let index = i + 2;
            assert_eq!(
                zone["ZoneId"],
                json!(format!(
                    "{}-{index}",
                    first["ZoneId"].as_str().expect("ZoneId")
                ))
            );
            assert_eq!(
                zone["Area"], first["Area"],
                "other members are the example's"
            );
        }
    }

    #[test]
    fn several_paged_actions_have_more_than_one_default_page() {
        let spec = spec();
        let paged: Vec<(&String, u64)> = spec
            .service
            .actions
            .keys()
            .filter(|a| is_paged(&spec, a))
            .map(|a| (a, total_items(a)))
            .collect();
        println!("{} paged actions: {paged:?}", paged.len());
        let big = paged
            .iter()
            .filter(|(_, total)| *total > DEFAULT_LIMIT)
            .count();
        assert!(
            big >= 5,
            "only {big} paged actions have more than {DEFAULT_LIMIT} items"
        );
        assert!(paged.iter().all(|(_, total)| *total <= MAX_TOTAL));
    }

    #[test]
    fn answers_are_deterministic() {
        let spec = spec();
        let again = Spec::embedded().expect("embedded spec");
        for action in spec.service.actions.keys() {
            let request = json!({ "Offset": 3, "Limit": 7 });
            assert_eq!(
                answer(&spec, action, &request),
                answer(&again, action, &request),
                "{action}"
            );
        }
    }

    /// Every action gets an answer, and it reads as the typed response of the SDK.
    #[test]
    fn every_answer_reads_as_the_typed_response() {
        let spec = spec();
        let mut failures = Vec::new();
        let mut largest = (0, String::new());
        for action in spec.service.actions.keys() {
            let info = teo_models::action(action).expect("action in teo-models");
            for request in [
                json!({}),
                json!({ "Offset": 0, "Limit": 1000 }),
                json!({ "Offset": 55, "Limit": 1 }),
            ] {
                let answer = answer(&spec, action, &request);
                assert!(answer.is_object(), "{action}");
                assert!(answer.get("RequestId").is_none(), "{action}");
                let text = answer.to_string();
                if text.len() > largest.0 {
                    largest = (text.len(), action.clone());
                }
                if let Err(e) = info.check_response(&text) {
                    failures.push(format!("{action} {request}: {e}"));
                }
            }
        }
        println!("largest answer: {} bytes ({})", largest.0, largest.1);
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
