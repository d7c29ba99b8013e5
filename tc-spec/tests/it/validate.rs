//! A broken spec is refused with every problem named by its JSON path. Each case breaks a copy of
//! the real EdgeOne spec in one way.

use std::path::Path;

use serde_json::{json, Value};
use tc_spec::{Service, SpecError};

fn teo_spec() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/teo/v20220901/api.json");
    let text = std::fs::read_to_string(path).expect("the vendored spec is readable");
    serde_json::from_str(&text).expect("the vendored spec is JSON")
}

/// The diagnostics for `spec`, as `path: message` lines.
fn problems(spec: &Value) -> Vec<String> {
    match Service::from_json(&spec.to_string()) {
        Ok(_) => Vec::new(),
        Err(SpecError::Invalid(found)) => found.iter().map(ToString::to_string).collect(),
        Err(other) => vec![other.to_string()],
    }
}

#[test]
fn the_vendored_spec_is_valid() {
    assert_eq!(problems(&teo_spec()), Vec::<String>::new());
    let service = Service::from_json(&teo_spec().to_string()).unwrap();
    assert_eq!((service.actions.len(), service.objects.len()), (232, 862));
}

#[test]
fn dangling_member_reference() {
    let mut spec = teo_spec();
    spec["objects"]["DownloadL4LogsResponse"]["members"][1]["member"] = json!("L4OfflineLogz");
    assert_eq!(
        problems(&spec),
        ["objects.DownloadL4LogsResponse.members[1].member: object \"L4OfflineLogz\" is not defined in `objects`"]
    );
}

#[test]
fn missing_input_and_output_objects() {
    let mut spec = teo_spec();
    spec["objects"]
        .as_object_mut()
        .unwrap()
        .remove("DownloadL4LogsRequest");
    spec["actions"]["DownloadL4Logs"]["output"] = json!("NoSuchResponse");
    assert_eq!(
        problems(&spec),
        [
            "actions.DownloadL4Logs.input: object \"DownloadL4LogsRequest\" is not defined in `objects`",
            "actions.DownloadL4Logs.output: object \"NoSuchResponse\" is not defined in `objects`",
        ]
    );
}

#[test]
fn unknown_member_types() {
    let mut spec = teo_spec();
    spec["objects"]["DownloadL4LogsRequest"]["members"][4]["type"] = json!("integer");
    spec["objects"]["DownloadL4LogsRequest"]["members"][5]["member"] = json!("int128");
    assert_eq!(
        problems(&spec),
        [
            "objects.DownloadL4LogsRequest.members[4].type: unknown member type \"integer\"",
            "objects.DownloadL4LogsRequest.members[5].member: \"int128\" is not a valid value type for type \"int\"",
        ]
    );
}

#[test]
fn duplicate_member_names_are_errors() {
    let mut spec = teo_spec();
    let members = spec["objects"]["DownloadL4LogsRequest"]["members"]
        .as_array_mut()
        .unwrap();
    let copy = members[2].clone();
    members.push(copy);
    assert_eq!(
        problems(&spec),
        ["objects.DownloadL4LogsRequest.members[6].name: duplicate member \"ZoneIds\" (also members[2])"]
    );
}

/// Wire names that differ but snake-case alike (`ZoneIds`, `ZoneIDs`, as `UUI`/`Uui` in real
/// specs) get numbered suffixes in spec order; std-shadowing object names (`Result`) and integer
/// flags (`"required": 1`) are accepted; `datetime`, `date` and `binary` members resolve.
#[test]
fn quirks_of_real_specs_resolve() {
    use tc_spec::model::{FieldType, ValueType};
    let mut spec = teo_spec();
    let members = spec["objects"]["DownloadL4LogsRequest"]["members"]
        .as_array_mut()
        .unwrap();
    let mut copy = members[2].clone();
    copy["name"] = json!("ZoneIDs");
    copy["required"] = json!(1);
    members.push(copy);
    for (name, member) in [
        ("Day", "date"),
        ("LocalTime", "datetime"),
        ("File", "binary"),
    ] {
        let kind = if member == "binary" {
            "binary"
        } else {
            "string"
        };
        members.push(json!({"name": name, "type": kind, "member": member, "required": 0}));
    }
    spec["objects"]["Result"] = json!({"members": [], "usage": "out"});
    let service = Service::from_json(&spec.to_string()).expect("resolves");
    let request = &service.objects["DownloadL4LogsRequest"];
    let idents: Vec<_> = request.fields.iter().map(|f| f.ident.as_str()).collect();
    assert_eq!(&idents[6..], ["zone_ids_2", "day", "local_time", "file"]);
    assert!(
        request.fields[6].constructor_arg,
        "required: 1 reads as true"
    );
    assert!(
        !request.fields[7].constructor_arg,
        "required: 0 reads as false"
    );
    assert_eq!(request.fields[7].ty, FieldType::One(ValueType::Date));
    assert_eq!(
        request.fields[8].ty,
        FieldType::One(ValueType::LocalDateTime)
    );
    assert_eq!(request.fields[9].ty, FieldType::One(ValueType::Binary));
    assert!(service.shadows_prelude());
}

#[test]
fn duplicate_object_keys_in_the_file() {
    // serde_json::Value would merge duplicate keys, so build the text by hand.
    let text = teo_spec().to_string().replacen(
        "\"L4OfflineLog\":{",
        "\"L4OfflineLog\":{\"members\":[],\"usage\":\"out\"},\"L4OfflineLog\":{",
        1,
    );
    let found = match Service::from_json(&text) {
        Err(SpecError::Invalid(found)) => found,
        other => panic!("expected a duplicate, got {other:?}"),
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "objects.L4OfflineLog");
    assert!(
        found[0].message.starts_with("duplicate object"),
        "{}",
        found[0].message
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let mut spec = teo_spec();
    spec["objects"]["L4OfflineLog"]["members"][0]["type"] = json!("blob");
    spec["objects"]["DownloadL7LogsResponse"]["members"][1]["member"] = json!("Missing");
    spec["metadata"]["apiVersion"] = json!("");
    assert_eq!(problems(&spec).len(), 3, "{:?}", problems(&spec));
}

#[test]
fn not_json_is_a_parse_error_with_position() {
    let error = Service::from_json("{\"actions\": [").unwrap_err();
    assert!(matches!(error, SpecError::Parse(_)));
    assert!(error.to_string().contains("line 1"), "{error}");
}
