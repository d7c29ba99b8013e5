//! Retry safety of the real teo spec with its `retry.json`, and how a broken overrides file and
//! malformed spec flags are reported.

use std::path::Path;

use tc_spec::model::OverrideTexts;
use tc_spec::retry_safety::RetrySafety;
use tc_spec::{Service, SpecError};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn teo(retry: Option<&str>) -> Result<Service, SpecError> {
    let texts = OverrideTexts {
        paging: None,
        retry,
        mainland: None,
        waiters: None,
    };
    Service::from_json_with(&read("../api-spec/teo/v20220901/api.json"), &texts)
}

#[test]
fn teo_retry_safety_with_its_overrides() {
    let service = teo(Some(&read("../api-spec/teo/v20220901/retry.json"))).expect("resolves");
    let count = |safety| {
        service
            .actions
            .values()
            .filter(|a| a.facts.retry == safety)
            .count()
    };
    assert_eq!(count(RetrySafety::ReadOnly), 90);
    assert_eq!(count(RetrySafety::Idempotent), 3);
    assert_eq!(count(RetrySafety::Unsafe), 139);
    let overridden: Vec<&str> = service
        .actions
        .values()
        .filter(|a| a.facts.rule_said.is_some())
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(overridden.len(), 6, "{overridden:?}");
    for read_only in [
        "EdgeKVGet",
        "EdgeKVList",
        "ExportZoneConfig",
        "DescribeZones",
    ] {
        assert_eq!(
            service.actions[read_only].facts.retry,
            RetrySafety::ReadOnly
        );
    }
    assert_eq!(
        service.actions["EdgeKVPut"].facts.retry,
        RetrySafety::Unsafe
    );

    // Without the file the rule alone decides: the three reads are then unsafe.
    let service = teo(None).expect("resolves");
    assert_eq!(
        service.actions["EdgeKVGet"].facts.retry,
        RetrySafety::Unsafe
    );
}

#[test]
fn broken_retry_overrides_name_the_entry() {
    let overrides = r#"{"actions": {
        "DescribeNothing": {"reason": "no such action", "retry": "read_only"},
        "DescribeZones": {"reason": "the rule says so already", "retry": "read_only"},
        "CreateZone": {"reason": " ", "retry": "idempotent"}
    }}"#;
    let message = teo(Some(overrides)).expect_err("wrong").to_string();
    for expected in [
        "retry.json: actions.DescribeNothing: no such action in the spec",
        "retry.json: actions.DescribeZones.retry: the rule already decides ReadOnly",
        "retry.json: actions.CreateZone.reason: an override needs a reason",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} not in:\n{message}"
        );
    }
    for (text, expected) in [
        (
            r#"{"actions": {"EdgeKVGet": {"retry": "read_only"}}}"#,
            "missing field `reason`",
        ),
        (
            r#"{"actions": {"EdgeKVGet": {"reason": "r", "retry": "sometimes"}}}"#,
            "unknown variant `sometimes`",
        ),
        (
            r#"{"actions": {"EdgeKVGet": {"reason": "r", "retry": "read_only", "why": 1}}}"#,
            "unknown field `why`",
        ),
    ] {
        let error = teo(Some(text)).expect_err("refused");
        assert!(
            matches!(error, SpecError::Overrides("retry.json", _)),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(expected),
            "{expected:?} not in {error}"
        );
    }
}

/// A flag the spec writes as something other than a bool, 0/1 or "true"/"false" is a parse
/// error with its position, not a silent default.
#[test]
fn malformed_flags_are_parse_errors() {
    let mut spec: serde_json::Value =
        serde_json::from_str(&read("../api-spec/teo/v20220901/api.json")).unwrap();
    spec["objects"]["DownloadL4LogsRequest"]["members"][0]["required"] = serde_json::json!(2);
    let error = Service::from_json(&spec.to_string()).expect_err("2 is no flag");
    assert!(matches!(error, SpecError::Parse(_)), "{error:?}");
    assert!(
        error.to_string().contains("true, false, 1, 0 or null"),
        "{error}"
    );
    spec["objects"]["DownloadL4LogsRequest"]["members"][0]["required"] = serde_json::json!("yes");
    assert!(Service::from_json(&spec.to_string()).is_err());
}
