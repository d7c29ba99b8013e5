//! The international and mainland EdgeOne specs merged into one (`tc_spec::merge`): everything of
//! either, English text where the international spec has it, conflicts named by both sources.

use std::path::Path;

use serde_json::{json, Value};
use tc_spec::merge::{self, MergeReport, SITES};
use tc_spec::model::OverrideTexts;
use tc_spec::spec::{self, Spec};
use tc_spec::{Service, SpecError};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn intl() -> String {
    read("../api-spec/teo/v20220901/api.json")
}

fn mainland() -> String {
    read("../api-spec/teo/v20220901/mainland/api.json")
}

fn merged(primary: &str, secondary: &str) -> Result<(Spec, MergeReport), Vec<String>> {
    let mut spec = spec::parse(primary).expect("primary parses");
    let secondary = spec::parse(secondary).expect("secondary parses");
    match merge::merge(&mut spec, secondary, SITES) {
        Ok(report) => Ok((spec, report)),
        Err(problems) => Err(problems.iter().map(ToString::to_string).collect()),
    }
}

#[test]
fn the_two_teo_specs_merge_into_every_action_and_object_of_either() {
    let (spec, report) = merged(&intl(), &mainland()).expect("the vendored specs agree");
    assert_eq!((spec.actions.len(), spec.objects.len()), (238, 896));
    let mut actions = report.secondary_actions.clone();
    actions.sort();
    assert_eq!(
        actions,
        [
            "CreateInferenceDomain",
            "DescribeAvailableOriginACLFamily",
            "DescribeInferenceDomains",
            "DescribeLogAnalysisStatistics",
            "DummyParseZoneFullConfig",
            "OperateInferenceDomain",
        ]
    );
    assert_eq!(report.secondary_objects.len(), 896 - 862);
    assert_eq!(
        report.secondary_members.len(),
        20,
        "{:?}",
        report.secondary_members
    );
    for member in [
        "CreateInferenceServiceRequest.AffinityConfig",
        "ModifyInferenceServiceRequest.AffinityConfig",
        "DescribeDDoSAttackDataRequest.Filters",
        "AccelerationDomain.ComplianceRestrictions",
        "RuleEngineItem.CustomVariables",
    ] {
        assert!(
            report.secondary_members.iter().any(|m| m == member),
            "{member}"
        );
    }
    let objects: std::collections::BTreeSet<&str> = report
        .secondary_members
        .iter()
        .filter_map(|m| m.split('.').next())
        .collect();
    assert_eq!(objects.len(), 16);
    // Nothing the international spec has is missing from the mainland one today.
    assert_eq!(report.primary_only, 0);
    // Six members' flags differ; five already have the loose value in the intl spec (e.g.
    // `DownloadL4LogsRequest.ZoneIds` is required only on the mainland, `Spec` is disabled only
    // there). The sixth is loosened: required on the intl site, withdrawn on the mainland.
    assert_eq!(
        report.loosened,
        ["InferenceResourceConfig.HardwareSpec required"]
    );

    // English text kept for shared items, the mainland's text marked for the others.
    let zone = spec.objects.get("Zone").expect("Zone");
    assert!(zone.document.is_ascii(), "{}", zone.document);
    let domain = spec
        .objects
        .get("AccelerationDomain")
        .expect("AccelerationDomain");
    let last = domain.members.last().expect("members");
    assert_eq!(
        last.name, "ComplianceRestrictions",
        "secondary members come last"
    );
    assert!(
        last.document.starts_with("(mainland spec only) "),
        "{}",
        last.document
    );
    let action = spec
        .actions
        .get("DescribeInferenceDomains")
        .expect("merged");
    assert!(action.document.starts_with("(mainland spec only) "));
    // The international order is kept: the first actions and members are the intl spec's.
    let intl_spec = spec::parse(&intl()).expect("intl");
    let first: Vec<&str> = intl_spec.actions.iter().map(|(n, _)| n).take(232).collect();
    let now: Vec<&str> = spec.actions.iter().map(|(n, _)| n).take(232).collect();
    assert_eq!(first, now);
}

#[test]
fn the_merged_spec_resolves_and_generates_the_mainland_actions() {
    let texts = OverrideTexts {
        mainland: Some(&mainland()),
        ..OverrideTexts::default()
    };
    let service = Service::from_json_with(&intl(), &texts).expect("resolves");
    assert_eq!((service.actions.len(), service.objects.len()), (238, 896));
    let domains = &service.actions["DescribeInferenceDomains"];
    assert_eq!(domains.method, "describe_inference_domains");
    let request = &service.objects["DownloadL4LogsRequest"];
    let zone_ids = request
        .fields
        .iter()
        .find(|f| f.wire_name == "ZoneIds")
        .unwrap();
    assert!(
        !zone_ids.always_present,
        "required on one site only: optional"
    );
}

/// A small spec: one action and one data object, as JSON to break in tests.
fn small() -> Value {
    json!({
        "metadata": {"apiVersion": "2022-09-01", "serviceShortName": "teo"},
        "actions": {"DescribeThings": {"name": "t", "document": "d", "input": "DescribeThingsRequest", "output": "DescribeThingsResponse"}},
        "objects": {
            "DescribeThingsRequest": {"members": [
                {"name": "Limit", "type": "int", "member": "int64", "required": true, "document": "Page size."}
            ]},
            "DescribeThingsResponse": {"members": [
                {"name": "Things", "type": "list", "member": "Thing", "output_required": true, "document": "The things."},
                {"name": "RequestId", "type": "string", "member": "string", "output_required": true, "document": "id"}
            ]},
            "Thing": {"usage": "out", "members": [
                {"name": "Size", "type": "int", "member": "int64", "output_required": true, "document": "Bytes."}
            ]}
        }
    })
}

#[test]
fn type_conflicts_name_both_sources() {
    let mut other = small();
    other["objects"]["Thing"]["members"][0]["type"] = json!("string");
    other["objects"]["Thing"]["members"][0]["member"] = json!("string");
    other["objects"]["Thing"]["usage"] = json!("both");
    other["actions"]["DescribeThings"]["output"] = json!("Thing");
    let problems = merged(&small().to_string(), &other.to_string()).unwrap_err();
    assert_eq!(
        problems,
        [
            "actions.DescribeThings: intl reads DescribeThingsRequest → DescribeThingsResponse, mainland reads DescribeThingsRequest → Thing",
            "objects.Thing.usage: intl says Some(Out), mainland says Some(Both)",
            "objects.Thing.members.Size: intl has type int of int64, mainland has type string of string",
        ]
    );
    // Through the model, the same problems refuse the spec.
    let texts = OverrideTexts {
        mainland: Some(&other.to_string()),
        ..OverrideTexts::default()
    };
    match Service::from_json_with(&small().to_string(), &texts) {
        Err(SpecError::Invalid(problems)) => assert_eq!(problems.len(), 3),
        other => panic!("expected the conflicts, got {other:?}"),
    }
    let texts = OverrideTexts {
        mainland: Some("{"),
        ..OverrideTexts::default()
    };
    let error = Service::from_json_with(&small().to_string(), &texts).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("the mainland spec (mainland/api.json) is not valid JSON"));
}

#[test]
fn flags_take_the_loosest_of_both_and_new_members_follow() {
    let mut other = small();
    other["objects"]["DescribeThingsRequest"]["members"][0]["required"] = json!(false);
    other["objects"]["Thing"]["members"][0]["output_required"] = json!(false);
    other["objects"]["Thing"]["members"][0]["value_allowed_null"] = json!(true);
    other["objects"]["Thing"]["members"][0]["document"] = json!("字节数。");
    other["objects"]["Thing"]["members"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"name": "Region", "type": "string", "member": "string", "document": "<p>地域</p>"}));
    let (spec, report) = merged(&small().to_string(), &other.to_string()).expect("merges");
    let thing = spec.objects.get("Thing").unwrap();
    let names: Vec<&str> = thing.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Size", "Region"]);
    assert_eq!(
        thing.members[0].document, "Bytes.",
        "the primary's text is kept"
    );
    assert_eq!(thing.members[0].output_required, Some(false));
    assert_eq!(thing.members[0].value_allowed_null, Some(true));
    assert_eq!(
        thing.members[1].document,
        "(mainland spec only) <p>地域</p>"
    );
    let limit = &spec.objects.get("DescribeThingsRequest").unwrap().members[0];
    assert_eq!(limit.required, Some(false));
    assert_eq!(
        report.loosened,
        [
            "DescribeThingsRequest.Limit required",
            "Thing.Size output_required",
            "Thing.Size value_allowed_null",
        ]
    );
    assert_eq!(report.secondary_members, ["Thing.Region"]);
}

#[test]
fn specs_of_different_apis_do_not_merge() {
    let mut other = small();
    other["metadata"]["apiVersion"] = json!("2022-01-06");
    let problems = merged(&small().to_string(), &other.to_string()).unwrap_err();
    assert_eq!(
        problems,
        ["metadata: intl describes teo 2022-09-01 but mainland describes teo 2022-01-06"]
    );
}
