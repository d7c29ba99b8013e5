//! Adding an action is adding a spec entry: a copy of the real spec with one more action yields
//! the new typed method and models, and nothing else changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::path::Path;

use codegen::Options;
use serde_json::{json, Value};

fn options() -> Options {
    Options {
        source: "api.json".into(),
        models_path: "teo_models".into(),
        runtime_path: "crate".into(),
        action_table_feature: None,
    }
}

fn file<'a>(files: &'a [codegen::GeneratedFile], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is generated"))
        .contents
}

#[test]
fn a_new_spec_entry_becomes_a_method_and_models() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/teo/v20220901/api.json");
    let original: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut extended = original.clone();
    extended["actions"]["DescribeIPv6WidgetStats"] = json!({
        "name": "Queries widget statistics",
        "document": "Returns <b>statistics</b> of widgets.",
        "input": "DescribeIPv6WidgetStatsRequest",
        "output": "DescribeIPv6WidgetStatsResponse",
        "status": "online"
    });
    let objects = extended["objects"].as_object_mut().unwrap();
    objects.insert("DescribeIPv6WidgetStatsRequest".into(), json!({
        "document": "DescribeIPv6WidgetStats request structure.",
        "type": "object",
        "members": [
            {"name": "ZoneId", "type": "string", "member": "string", "required": true, "document": "Zone ID."},
            {"name": "Limit", "type": "int", "member": "int64", "required": false, "document": "Page size."}
        ]
    }));
    objects.insert("DescribeIPv6WidgetStatsResponse".into(), json!({
        "document": "DescribeIPv6WidgetStats response structure.",
        "type": "object",
        "members": [
            {"name": "Stats", "type": "list", "member": "WidgetStat", "output_required": true, "document": "Stats."},
            {"name": "RequestId", "type": "string", "member": "string", "document": "Request ID."}
        ]
    }));
    objects.insert("WidgetStat".into(), json!({
        "document": "One statistic.",
        "usage": "out",
        "members": [{"name": "Value", "type": "float", "member": "float", "output_required": true, "document": "Value."}]
    }));

    let before = codegen::generate(&original.to_string(), &Default::default(), &options()).unwrap();
    let after = codegen::generate(&extended.to_string(), &Default::default(), &options()).unwrap();

    let operations = file(&after.client, "operations.rs");
    assert!(operations.contains(
        "pub async fn describe_ipv6_widget_stats(\n        &self,\n        input: teo_models::DescribeIPv6WidgetStatsRequest,"
    ), "the new method is generated");
    assert!(operations.contains("self.send(\"DescribeIPv6WidgetStats\", &input).await"));
    let actions = file(&after.models, "actions.rs");
    assert!(actions.contains("pub struct DescribeIPv6WidgetStatsRequest {"));
    assert!(actions.contains("pub fn new(zone_id: impl Into<String>) -> Self"));
    assert!(actions.contains("pub stats: Vec<WidgetStat>,"));
    assert!(actions.contains("\"DescribeIPv6WidgetStats\",\n        \"Queries widget statistics\""));
    assert!(file(&after.models, "objects.rs").contains("pub struct WidgetStat {"));

    // Only the additions differ.
    let method_count = |files: &[codegen::GeneratedFile]| {
        file(files, "operations.rs")
            .matches("pub async fn ")
            .count()
    };
    assert_eq!(
        (method_count(&before.client), method_count(&after.client)),
        (232, 233)
    );
    assert_eq!(
        file(&before.models, "mod.rs"),
        file(&after.models, "mod.rs")
    );
}
