//! Request validation against the spec.
//!
//! The body is walked against the action's request object, recursively through nested objects
//! and lists. The first problem found is reported, in a deterministic order: an object's members
//! in spec order (a member's whole value is checked before the next member), then the JSON keys
//! the object does not have, in the order the JSON map iterates them.
//!
//! Problems name the parameter by its **path**: member names joined with `.`, with the zero-based
//! index of a list element as its own segment, the way API 3.0 flattens parameters:
//! `Limit`, `ZoneIds.0`, `Rules.0.Conditions.1.Target`.
//!
//! | problem | code |
//! |---|---|
//! | action not in the spec | `InvalidAction` |
//! | body not JSON, or not a JSON object (an empty body is `{}`) | `InvalidParameter` |
//! | a `required` member absent or `null` | `MissingParameter` |
//! | a key the object does not have | `UnknownParameter` |
//! | a value of the wrong JSON type (including `null` inside a list) | `InvalidParameter` |
//! | a `datetime_iso` string that is not RFC 3339 | `InvalidParameterValue` |
//!
//! `null` for an optional member counts as absent.

use serde_json::{Map, Value};
use tc_spec::model::{FieldType, Object, ValueType};

use crate::error::{codes, ApiError};
use crate::spec::Spec;

/// Parses `body` and checks it against the request object of `action`: InvalidAction for an
/// action the spec lacks, InvalidParameter for malformed JSON or a wrong type at any depth,
/// MissingParameter / UnknownParameter for members; messages name the parameter path.
pub fn check_request(spec: &Spec, action: &str, body: &[u8]) -> Result<Value, ApiError> {
    let input = request_object(spec, action)?;
    check_parsed(spec, input, parse_body(body)?)
}

/// The request object of `action` (None only if a spec lacked it); InvalidAction for an action
/// the spec does not have.
pub fn request_object<'a>(spec: &'a Spec, action: &str) -> Result<Option<&'a Object>, ApiError> {
    let Some(info) = spec.service.actions.get(action) else {
        return Err(ApiError::new(
            codes::INVALID_ACTION,
            format!(
                "The action `{action}` is not found in version {} of service {}.",
                spec.service.version, spec.service.name
            ),
        ));
    };
    Ok(spec.service.objects.get(&info.input))
}

/// A JSON body as a value (an empty body is `{}`); InvalidParameter when it does not parse.
pub fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            codes::INVALID_PARAMETER,
            format!("The request body is not valid JSON: {e}."),
        )
    })
}

/// Checks a request, however it arrived (JSON, flattened parameters, multipart), against
/// `input`, the action's request object; returns it when it passes.
pub fn check_parsed(spec: &Spec, input: Option<&Object>, value: Value) -> Result<Value, ApiError> {
    let Value::Object(members) = &value else {
        return Err(ApiError::new(
            codes::INVALID_PARAMETER,
            format!(
                "The request body must be a JSON object, got {}.",
                describe(&value)
            ),
        ));
    };
    let Some(object) = input else {
        // A resolved spec always has the input object; be lenient rather than panic.
        return Ok(value);
    };
    let mut path = Vec::new();
    check_object(spec, object, members, &mut path)?;
    Ok(value)
}

/// One segment of a parameter path.
#[derive(Debug, Clone)]
enum Segment<'a> {
    Member(&'a str),
    Index(usize),
}

fn render(path: &[Segment<'_>]) -> String {
    let mut text = String::new();
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        match segment {
            Segment::Member(name) => text.push_str(name),
            Segment::Index(index) => text.push_str(&index.to_string()),
        }
    }
    text
}

fn check_object<'a>(
    spec: &'a Spec,
    object: &'a Object,
    members: &'a Map<String, Value>,
    path: &mut Vec<Segment<'a>>,
) -> Result<(), ApiError> {
    for field in &object.fields {
        path.push(Segment::Member(&field.wire_name));
        match members.get(&field.wire_name) {
            None | Some(Value::Null) if field.constructor_arg => {
                return Err(ApiError::new(
                    codes::MISSING_PARAMETER,
                    format!("The parameter `{}` is missing.", render(path)),
                ));
            }
            None | Some(Value::Null) => {}
            Some(value) => match &field.ty {
                FieldType::One(ty) => check_value(spec, ty, value, path)?,
                FieldType::List(ty) => {
                    let Value::Array(items) = value else {
                        return Err(wrong_type(
                            path,
                            &format!("a list of {}", ty_name(ty)),
                            value,
                        ));
                    };
                    for (index, item) in items.iter().enumerate() {
                        path.push(Segment::Index(index));
                        check_value(spec, ty, item, path)?;
                        path.pop();
                    }
                }
            },
        }
        path.pop();
    }
    if let Some(unknown) = members
        .keys()
        .find(|key| !object.fields.iter().any(|f| f.wire_name == **key))
    {
        path.push(Segment::Member(unknown));
        return Err(ApiError::new(
            codes::UNKNOWN_PARAMETER,
            format!(
                "The parameter `{}` is not recognized: {} has no such member.",
                render(path),
                object.name
            ),
        ));
    }
    Ok(())
}

fn check_value<'a>(
    spec: &'a Spec,
    ty: &ValueType,
    value: &'a Value,
    path: &mut Vec<Segment<'a>>,
) -> Result<(), ApiError> {
    let fits = match ty {
        ValueType::String | ValueType::Binary => value.is_string(),
        ValueType::Int64 => value.is_i64(),
        ValueType::UInt64 => value.is_u64(),
        ValueType::Float => value.is_number(),
        ValueType::Bool => value.is_boolean(),
        ValueType::DateTime | ValueType::LocalDateTime | ValueType::Date => match value {
            Value::String(text) => {
                // The models' own strict parsers: the mock accepts what the client sends.
                let parsed = match ty {
                    ValueType::DateTime => teo_models::DateTime::parse(text).map(drop),
                    ValueType::LocalDateTime => teo_models::LocalDateTime::parse(text).map(drop),
                    _ => teo_models::Date::parse(text).map(drop),
                };
                if let Err(e) = parsed {
                    return Err(ApiError::new(
                        codes::INVALID_PARAMETER_VALUE,
                        format!(
                            "The value of parameter `{}` is not a date-time such as {}: \
                             {text:?} ({}).",
                            render(path),
                            e.expected,
                            e.reason
                        ),
                    ));
                }
                true
            }
            _ => false,
        },
        ValueType::Object(name) => match (value, spec.service.objects.get(name)) {
            (Value::Object(members), Some(object)) => {
                return check_object(spec, object, members, path);
            }
            // An object the spec does not define (never in a resolved spec): accept any object.
            (Value::Object(_), None) => true,
            _ => false,
        },
    };
    if fits {
        Ok(())
    } else {
        Err(wrong_type(path, &ty_name(ty), value))
    }
}

fn wrong_type(path: &[Segment<'_>], expected: &str, value: &Value) -> ApiError {
    ApiError::new(
        codes::INVALID_PARAMETER,
        format!(
            "The parameter `{}` must be {expected}, got {}.",
            render(path),
            describe(value)
        ),
    )
}

fn ty_name(ty: &ValueType) -> String {
    match ty {
        ValueType::String | ValueType::Binary => "a string".to_owned(),
        ValueType::Int64 => "an integer (int64)".to_owned(),
        ValueType::UInt64 => "a non-negative integer (uint64)".to_owned(),
        ValueType::Float => "a number (float)".to_owned(),
        ValueType::Bool => "a boolean".to_owned(),
        ValueType::DateTime => "an RFC 3339 date-time string".to_owned(),
        ValueType::LocalDateTime => "a date-time string (YYYY-MM-DD hh:mm:ss)".to_owned(),
        ValueType::Date => "a date string (YYYY-MM-DD)".to_owned(),
        ValueType::Object(name) => format!("an object ({name})"),
    }
}

/// What a JSON value is, for messages: numbers are shown, other values only named.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Spec {
        Spec::embedded().expect("embedded spec")
    }

    fn check(action: &str, body: &Value) -> Result<Value, ApiError> {
        check_request(&spec(), action, body.to_string().as_bytes())
    }

    fn assert_error(result: Result<Value, ApiError>, code: &str, mentions: &str) {
        match result {
            Ok(value) => panic!("expected {code} mentioning {mentions}, got Ok({value})"),
            Err(e) => {
                assert_eq!(e.code, code, "{e:?}");
                assert!(
                    e.message.contains(mentions),
                    "{e:?} should mention {mentions}"
                );
            }
        }
    }

    fn rule(actions: Value) -> Value {
        json!({
            "ZoneId": "zone-1",
            "Rules": [{
                "RuleName": "r",
                "Branches": [
                    { "Condition": "${http.request.host} in ['a.example.com']" },
                    { "Condition": "true", "Actions": actions },
                ],
            }],
        })
    }

    #[test]
    fn a_valid_request_passes_and_is_returned() {
        let body = json!({
            "StartTime": "2022-05-04T03:27:00+08:00",
            "EndTime": "2022-05-10T23:59:00Z",
            "ZoneIds": ["zone-2m6jx63f6k3x"],
            "Limit": 10,
            "Offset": 0,
        });
        assert_eq!(check("DownloadL4Logs", &body), Ok(body.clone()));
        // Optional members may be null or absent.
        let body = json!({
            "StartTime": "2022-05-04T03:27:00+08:00",
            "EndTime": "2022-05-10T23:59:00+08:00",
            "ZoneIds": null,
        });
        assert_eq!(check("DownloadL4Logs", &body), Ok(body.clone()));
        // A deep, valid nested request.
        let body = rule(json!([{
            "Name": "CachePrefresh",
            "CachePrefreshParameters": { "Switch": "on", "CacheTimePercent": 50 },
        }]));
        assert_eq!(check("CreateL7AccRules", &body), Ok(body.clone()));
    }

    #[test]
    fn an_empty_body_is_an_empty_object() {
        let spec = spec();
        // DescribeZones has no required member.
        assert_eq!(check_request(&spec, "DescribeZones", b""), Ok(json!({})));
        assert_eq!(check_request(&spec, "DescribeZones", b" \n"), Ok(json!({})));
        assert_error(
            check_request(&spec, "DownloadL4Logs", b""),
            codes::MISSING_PARAMETER,
            "StartTime",
        );
    }

    #[test]
    fn a_missing_required_member_is_missing_parameter() {
        let body = json!({ "EndTime": "2022-05-10T23:59:00+08:00" });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::MISSING_PARAMETER,
            "`StartTime`",
        );
        // null for a required member is missing too.
        let body = json!({ "StartTime": null, "EndTime": "2022-05-10T23:59:00+08:00" });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::MISSING_PARAMETER,
            "`StartTime`",
        );
    }

    #[test]
    fn a_missing_nested_required_member_names_its_path() {
        let body = rule(json!([{ "CachePrefreshParameters": { "Switch": "on" } }]));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::MISSING_PARAMETER,
            "`Rules.0.Branches.1.Actions.0.Name`",
        );
    }

    #[test]
    fn an_unknown_member_is_unknown_parameter() {
        let body = json!({
            "StartTime": "2022-05-04T03:27:00+08:00",
            "EndTime": "2022-05-10T23:59:00+08:00",
            "Limt": 1,
        });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::UNKNOWN_PARAMETER,
            "`Limt`",
        );
        let body = rule(json!([{ "Name": "QUIC", "QUICParameters": { "Swich": "on" } }]));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::UNKNOWN_PARAMETER,
            "`Rules.0.Branches.1.Actions.0.QUICParameters.Swich`",
        );
    }

    #[test]
    fn a_wrong_type_is_invalid_parameter() {
        let base = json!({
            "StartTime": "2022-05-04T03:27:00+08:00",
            "EndTime": "2022-05-10T23:59:00+08:00",
        });
        let with = |member: &str, value: Value| {
            let mut body = base.clone();
            body[member] = value;
            check("DownloadL4Logs", &body)
        };
        assert_error(
            with("Limit", json!("ten")),
            codes::INVALID_PARAMETER,
            "`Limit`",
        );
        assert_error(
            with("Limit", json!(1.5)),
            codes::INVALID_PARAMETER,
            "`Limit`",
        );
        assert_error(
            with("Limit", json!(10.0)),
            codes::INVALID_PARAMETER,
            "`Limit`",
        );
        assert_error(
            with("Limit", json!(u64::MAX)),
            codes::INVALID_PARAMETER,
            "`Limit`",
        );
        assert_error(
            with("Limit", json!(true)),
            codes::INVALID_PARAMETER,
            "integer",
        );
        assert_error(
            with("ZoneIds", json!("zone-1")),
            codes::INVALID_PARAMETER,
            "`ZoneIds`",
        );
        assert_error(
            with("ZoneIds", json!(["zone-1", 2])),
            codes::INVALID_PARAMETER,
            "`ZoneIds.1`",
        );
        assert_error(
            with("ZoneIds", json!([null])),
            codes::INVALID_PARAMETER,
            "`ZoneIds.0`",
        );
        assert_error(
            with("StartTime", json!(1651606020)),
            codes::INVALID_PARAMETER,
            "`StartTime`",
        );
        assert!(with("Limit", json!(-1)).is_ok(), "int64 accepts negatives");
    }

    #[test]
    fn unsigned_float_and_bool_members_are_checked() {
        let spec = spec();
        // Find members of each kind at the top level of some request, to test them generically.
        let mut seen = 0;
        for action in spec.service.actions.values() {
            let input = &spec.service.objects[&action.input];
            for field in &input.fields {
                let (good, bad) = match field.ty {
                    FieldType::One(ValueType::UInt64) => (json!(3), json!(-3)),
                    FieldType::One(ValueType::Float) => (json!(3), json!("3")),
                    FieldType::One(ValueType::Bool) => (json!(false), json!("false")),
                    _ => continue,
                };
                let mut body = Map::new();
                for required in input.fields.iter().filter(|f| f.constructor_arg) {
                    body.insert(required.wire_name.clone(), json!(null));
                }
                // Only requests whose required members are all of this one member's kind are
                // easy to fill; check the member alone when it is the only required one or
                // when nothing is required.
                if !(body.is_empty() || (body.len() == 1 && body.contains_key(&field.wire_name))) {
                    continue;
                }
                let request = json!({ field.wire_name.clone(): good });
                let result = check_request(&spec, &action.name, request.to_string().as_bytes());
                assert!(result.is_ok(), "{}: {request}: {result:?}", action.name);
                let request = json!({ field.wire_name.clone(): bad });
                assert_error(
                    check_request(&spec, &action.name, request.to_string().as_bytes()),
                    codes::INVALID_PARAMETER,
                    &format!("`{}`", field.wire_name),
                );
                seen += 1;
            }
        }
        assert!(seen >= 3, "found only {seen} members to check");
    }

    #[test]
    fn a_deep_wrong_type_names_the_path_with_indexes() {
        let body = rule(json!([{
            "Name": "CachePrefresh",
            "CachePrefreshParameters": { "Switch": "on", "CacheTimePercent": "fifty" },
        }]));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::INVALID_PARAMETER,
            "`Rules.0.Branches.1.Actions.0.CachePrefreshParameters.CacheTimePercent`",
        );
        let body = rule(json!({ "Name": "QUIC" }));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::INVALID_PARAMETER,
            "`Rules.0.Branches.1.Actions` must be a list",
        );
        let body = rule(json!(["QUIC"]));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::INVALID_PARAMETER,
            "`Rules.0.Branches.1.Actions.0` must be an object",
        );
    }

    #[test]
    fn malformed_json_or_a_non_object_is_invalid_parameter() {
        let spec = spec();
        for body in [
            &b"{"[..],
            b"{\"Limit\": 1,}",
            b"not json",
            b"\xff\xfe",
            b"[]",
            b"null",
            b"42",
            b"\"x\"",
        ] {
            let result = check_request(&spec, "DescribeZones", body);
            assert_eq!(
                result.map_err(|e| e.code),
                Err(codes::INVALID_PARAMETER),
                "{body:?}"
            );
        }
    }

    #[test]
    fn an_unknown_action_is_invalid_action() {
        assert_error(
            check("DownloadL5Logs", &json!({})),
            codes::INVALID_ACTION,
            "`DownloadL5Logs`",
        );
        // Checked before the body.
        let result = check_request(&spec(), "NoSuchAction", b"{");
        assert_eq!(result.map_err(|e| e.code), Err(codes::INVALID_ACTION));
    }

    #[test]
    fn a_bad_date_time_is_invalid_parameter_value() {
        for text in [
            "2022-05-04 03:27:00",
            "2022-05-04",
            "yesterday",
            "2022-13-01T00:00:00Z",
            "",
        ] {
            let body = json!({ "StartTime": text, "EndTime": "2022-05-10T23:59:00+08:00" });
            assert_error(
                check("DownloadL4Logs", &body),
                codes::INVALID_PARAMETER_VALUE,
                "`StartTime`",
            );
        }
    }

    #[test]
    fn the_first_problem_is_reported_in_spec_order() {
        // StartTime (first member) is bad, EndTime missing, Limit wrong, an unknown key.
        let body = json!({ "Bogus": 1, "Limit": "x", "StartTime": "soon" });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::INVALID_PARAMETER_VALUE,
            "`StartTime`",
        );
        let body = json!({ "Bogus": 1, "Limit": "x", "StartTime": "2022-05-04T03:27:00Z" });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::MISSING_PARAMETER,
            "`EndTime`",
        );
        let body = json!({
            "Bogus": 1,
            "Limit": "x",
            "StartTime": "2022-05-04T03:27:00Z",
            "EndTime": "2022-05-04T03:27:00Z",
        });
        assert_error(
            check("DownloadL4Logs", &body),
            codes::INVALID_PARAMETER,
            "`Limit`",
        );
        // Members are checked before unknown keys, also when nested.
        let body = rule(json!([{ "Extra": 1 }]));
        assert_error(
            check("CreateL7AccRules", &body),
            codes::MISSING_PARAMETER,
            "Actions.0.Name",
        );
    }

    #[test]
    fn deeply_nested_garbage_does_not_panic() {
        let spec = spec();
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let body = format!("{{\"ZoneId\":\"z\",\"Rules\":{deep}}}");
        assert!(check_request(&spec, "CreateL7AccRules", body.as_bytes()).is_err());
        let mut nested = json!({ "Condition": "true" });
        for _ in 0..100 {
            nested = json!({ "Branches": [nested] });
        }
        let body = json!({ "ZoneId": "z", "Rules": [nested] });
        assert!(
            check("CreateL7AccRules", &body).is_err(),
            "RuleEngineItem.Branches holds RuleBranch"
        );
    }

    /// The validator and the SDK's typed requests agree on every official example request and
    /// on mutations of them (wrong kinds, nulls, removed and unknown members), except that the
    /// mock also checks nested objects strictly.
    #[test]
    fn agrees_with_the_typed_requests_on_every_official_example() {
        let spec = spec();
        let examples: Value =
            serde_json::from_str(teo_api_spec::EXAMPLES_JSON).expect("examples.json");
        let mut checked = 0;
        let mut mutated = 0;
        let mut stricter = 0;
        let mut disagreements = Vec::new();
        let mut rejected = Vec::new();
        for (action, list) in examples["actions"].as_object().expect("actions") {
            for example in list.as_array().into_iter().flatten() {
                let http = example["input"].as_str().unwrap_or_default();
                let Some(start) = http.find('{') else {
                    continue;
                };
                let body = &http[start..];
                let Ok(parsed) = serde_json::from_str::<Value>(body) else {
                    continue;
                };
                let ours = check_request(&spec, action, body.as_bytes());
                let typed = teo_models::action(action)
                    .expect("action in teo-models")
                    .normalize_request(parsed);
                if ours.is_ok() != typed.is_ok() {
                    disagreements.push(format!("{action}: mock {ours:?} vs typed {typed:?}"));
                }
                if let Err(e) = ours {
                    rejected.push(format!("{action}: {e:?}"));
                }
                checked += 1;
                // Mutations of the example: each member null, of the wrong kind, or nested one
                // level deeper; an unknown member.
                let Some(members) = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                else {
                    continue;
                };
                let mut mutants = vec![{
                    let mut m = members.clone();
                    m.insert("Zzz".to_owned(), json!(1));
                    m
                }];
                for (key, value) in &members {
                    for replacement in [
                        json!(null),
                        json!("text"),
                        json!(7),
                        json!([value]),
                        json!({ "Zzz": 1 }),
                    ] {
                        let mut m = members.clone();
                        m.insert(key.clone(), replacement);
                        mutants.push(m);
                    }
                    let mut m = members.clone();
                    m.remove(key);
                    mutants.push(m);
                }
                for mutant in mutants {
                    let mutant = Value::Object(mutant);
                    let ours = check_request(&spec, action, mutant.to_string().as_bytes());
                    let typed = teo_models::action(action)
                        .expect("action in teo-models")
                        .normalize_request(mutant.clone());
                    // The typed readers check nested data objects tolerantly (they are shared
                    // with responses), so the mock may be stricter there, never elsewhere.
                    let nested =
                        |e: &ApiError| e.message.split('`').nth(1).is_some_and(|p| p.contains('.'));
                    match (&ours, &typed) {
                        (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
                        (Err(e), Ok(_)) if nested(e) => stricter += 1,
                        _ => disagreements.push(format!(
                            "{action}: {mutant}: mock {ours:?} vs typed {typed:?}"
                        )),
                    }
                    mutated += 1;
                }
            }
        }
        println!(
            "{checked} example requests, {mutated} mutations ({stricter} rejected only by the \
             mock, in nested objects); examples rejected: {rejected:#?}"
        );
        assert!(checked > 200, "{checked}");
        assert!(rejected.is_empty(), "{rejected:#?}");
        assert!(
            disagreements.is_empty(),
            "{} disagreements: {disagreements:#?}",
            disagreements.len()
        );
    }
}
