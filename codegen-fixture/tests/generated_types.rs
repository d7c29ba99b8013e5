//! Behaviour of generated types, exercised on the fixture spec's output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use codegen_fixture::models::{
    CreateIPv6RuleRequest, DDoSPolicy, DescribeDDoSPoliciesRequest, DescribeDDoSPoliciesResponse,
    Filter, ModifyCNAMESecretRequest, RuleNode, ACTIONS,
};
use serde_json::json;
use tc_types::DateTime;

#[test]
fn requests_serialize_exactly_the_members_set() {
    let request = CreateIPv6RuleRequest::new("zone-1", "allow", RuleNode::new("host eq a.test"))
        .enabled(true);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"ZoneId": "zone-1", "Type": "allow", "Rule": {"Condition": "host eq a.test"}, "Enabled": true})
    );
}

#[test]
fn keyword_members_keep_their_wire_names() {
    let request = CreateIPv6RuleRequest::new("zone-1", "deny", RuleNode::new("c"))
        .r#match(["a.test", "b.test"]);
    assert_eq!(request.r#type, "deny");
    let wire = serde_json::to_value(&request).unwrap();
    assert_eq!(wire["Type"], "deny");
    assert_eq!(wire["Match"], json!(["a.test", "b.test"]));
}

#[test]
fn recursive_objects_nest_through_box_and_vec() {
    let leaf = RuleNode::new("leaf");
    let tree = RuleNode::new("root")
        .children([leaf.clone()])
        .fallback(RuleNode::new("fallback").children([leaf]));
    let wire = serde_json::to_value(&tree).unwrap();
    assert_eq!(wire["Fallback"]["Children"][0]["Condition"], "leaf");
    let back: RuleNode = serde_json::from_value(wire).unwrap();
    assert_eq!(back, tree);
    assert_eq!(
        back.fallback.as_deref().map(|f| f.condition.as_str()),
        Some("fallback")
    );
}

#[test]
fn requests_are_read_strictly() {
    let missing =
        serde_json::from_value::<DescribeDDoSPoliciesRequest>(json!({"Limit": 10})).unwrap_err();
    assert!(
        missing.to_string().contains("missing field `ZoneId`"),
        "{missing}"
    );
    let unknown =
        serde_json::from_value::<DescribeDDoSPoliciesRequest>(json!({"ZoneId": "z", "Limt": 10}))
            .unwrap_err();
    assert!(
        unknown.to_string().contains("unknown field `Limt`"),
        "{unknown}"
    );
    let wrong_type = serde_json::from_value::<DescribeDDoSPoliciesRequest>(
        json!({"ZoneId": "z", "Limit": "ten"}),
    )
    .unwrap_err();
    assert!(
        wrong_type.to_string().contains("invalid type"),
        "{wrong_type}"
    );
}

#[test]
fn responses_tolerate_missing_null_and_unknown_members() {
    let body = json!({
        "TotalCount": null,
        "Policies": [{"PolicyId": 7, "Name": null, "UpdateTime": "2024-01-01T00:00:00+08:00", "Surprise": 1}],
        "NewField": {"x": 1},
        "RequestId": "req-1"
    });
    let response: DescribeDDoSPoliciesResponse = serde_json::from_value(body).unwrap();
    assert_eq!(response.total_count, 0);
    assert_eq!(response.request_id, "req-1");
    let policy = &response.policies[0];
    assert_eq!(policy.policy_id, 7);
    assert_eq!(policy.name, "");
    assert_eq!(policy.ipv6_enabled, None);
    assert_eq!(policy.owner, Filter::default());
    assert_eq!(
        policy.update_time,
        DateTime::parse("2023-12-31T16:00:00Z").unwrap()
    );

    let empty: DescribeDDoSPoliciesResponse = serde_json::from_value(json!({})).unwrap();
    assert!(empty.policies.is_empty());
}

#[test]
fn responses_keep_unreadable_datetimes_as_text() {
    let policy: DDoSPolicy = serde_json::from_value(json!({"UpdateTime": "yesterday"})).unwrap();
    assert_eq!(policy.update_time.as_str(), "yesterday");
    assert_eq!(policy.update_time.instant(), None);
    assert_eq!(
        serde_json::to_value(&policy).unwrap()["UpdateTime"],
        "yesterday"
    );
}

#[test]
fn secrets_are_redacted_in_debug() {
    let request = ModifyCNAMESecretRequest::new(["a.cname.test"], "s3cr3t-value");
    let debug = format!("{request:?}");
    assert!(!debug.contains("s3cr3t-value"), "{debug}");
    assert!(
        debug.contains("<redacted>") && debug.contains("a.cname.test"),
        "{debug}"
    );
}

#[test]
#[allow(deprecated)]
fn disabled_members_still_work_but_are_deprecated() {
    let request = CreateIPv6RuleRequest::new("z", "allow", RuleNode::new("c")).legacy_mode("on");
    assert_eq!(serde_json::to_value(&request).unwrap()["LegacyMode"], "on");
}

#[test]
fn action_table_normalizes_json_requests() {
    let names: Vec<_> = ACTIONS.iter().map(|a| a.name()).collect();
    assert_eq!(
        names,
        [
            "CreateIPv6Rule",
            "DescribeDDoSPolicies",
            "ModifyCNAMESecret"
        ]
    );
    let body = ACTIONS[1]
        .normalize_request(json!({"ZoneId": "z", "Offset": 0}))
        .unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"ZoneId":"z","Offset":0}"#
    );
    assert!(ACTIONS[1].normalize_request(json!({"Offset": 0})).is_err());
}

#[test]
fn client_methods_are_named_in_snake_case() {
    // Taking the methods as values proves their names and signatures.
    let _ = codegen_fixture::Client::create_ipv6_rule;
    let _ = codegen_fixture::Client::describe_ddos_policies;
    let _ = codegen_fixture::Client::modify_cname_secret;
}

#[test]
fn paginated_describes_where_paging_lives() {
    use tc_runtime::paginate::Paginated;

    type Request = DescribeDDoSPoliciesRequest;
    assert_eq!(Request::ACTION, "DescribeDDoSPolicies");
    assert_eq!(
        Request::MAX_PAGE_SIZE,
        Some(100),
        "from \"Maximum value: 100\""
    );
    let mut request = Request::new("zone-1");
    assert_eq!((request.page_offset(), request.page_limit()), (None, None));
    request.set_page_offset(40);
    request.set_page_limit(20);
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"ZoneId": "zone-1", "Offset": 40, "Limit": 20})
    );
    // A negative offset is no page position; a huge one saturates the wire type.
    request.offset = Some(-1);
    assert_eq!(request.page_offset(), None);
    request.set_page_offset(u64::MAX);
    assert_eq!(request.offset, Some(i64::MAX));

    let response: DescribeDDoSPoliciesResponse = serde_json::from_value(json!({
        "TotalCount": 3,
        "Policies": [{"PolicyId": 1}, {"PolicyId": 2}],
        "RequestId": "r"
    }))
    .unwrap();
    assert_eq!(Request::total(&response), Some(3));
    assert_eq!(Request::items(&response).len(), 2);
    assert_eq!(Request::into_items(response).len(), 2);
}

/// Retry safety is generated data: the read is retry-safe by the rule (`Describe…`), the
/// writes are not.
#[test]
fn generated_retry_safety_table() {
    use codegen_fixture::client::RETRY_SAFETY;
    use tc_runtime::RetrySafety;
    assert_eq!(
        RETRY_SAFETY,
        &[
            ("CreateIPv6Rule", RetrySafety::Unsafe),
            ("DescribeDDoSPolicies", RetrySafety::ReadOnly),
            ("ModifyCNAMESecret", RetrySafety::Unsafe),
        ]
    );
}
