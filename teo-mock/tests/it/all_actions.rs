//! Every EdgeOne action, through the real SDK client, against teo-mock with signature checking
//! on: the official example request of each action succeeds. Official examples whose request is
//! malformed JSON are reported by name and replaced by a minimal request built from the spec
//! (the action's required members), so every action is still called.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tc_spec::model::{FieldType, Object, ValueType};
use teo_client::{Client, Credentials};
use teo_mock::{MockConfig, MockServer, Spec};

use teo_api_spec::{EXAMPLES_JSON as EXAMPLES, MAINLAND_EXAMPLES_JSON as MAINLAND_EXAMPLES};

/// Action → the request bodies of its examples (`Err` for malformed ones); the mainland site's
/// examples for the actions only it has.
fn example_requests() -> BTreeMap<String, Vec<Result<Value, String>>> {
    let mut requests = examples_of(EXAMPLES);
    for (action, bodies) in examples_of(MAINLAND_EXAMPLES) {
        requests.entry(action).or_insert(bodies);
    }
    requests
}

fn examples_of(text: &str) -> BTreeMap<String, Vec<Result<Value, String>>> {
    let file: Value = serde_json::from_str(text).expect("examples.json is JSON");
    let mut requests = BTreeMap::new();
    for (action, examples) in file["actions"].as_object().expect("actions") {
        let bodies = examples
            .as_array()
            .into_iter()
            .flatten()
            .map(|example| {
                let http = example["input"].as_str().unwrap_or_default();
                // The body follows the headers; the header lines never contain `{`.
                let body = http.find('{').map(|start| &http[start..]).unwrap_or("{}");
                serde_json::from_str(body).map_err(|e| e.to_string())
            })
            .collect();
        requests.insert(action.clone(), bodies);
    }
    requests
}

/// A request with only the required members, filled with plausible values.
fn minimal_request(spec: &Spec, object: &Object) -> Value {
    let mut members = Map::new();
    for field in object.fields.iter().filter(|f| f.constructor_arg) {
        let value = match &field.ty {
            FieldType::One(v) => sample(spec, v),
            FieldType::List(v) => json!([sample(spec, v)]),
        };
        members.insert(field.wire_name.clone(), value);
    }
    Value::Object(members)
}

fn sample(spec: &Spec, value: &ValueType) -> Value {
    match value {
        ValueType::String | ValueType::Binary => json!("sample"),
        ValueType::Int64 | ValueType::UInt64 => json!(1),
        ValueType::Float => json!(1.5),
        ValueType::Bool => json!(true),
        ValueType::DateTime => json!("2024-05-01T00:00:00+08:00"),
        ValueType::LocalDateTime => json!("2024-05-01 00:00:00"),
        ValueType::Date => json!("2024-05-01"),
        ValueType::Object(name) => spec
            .service
            .objects
            .get(name)
            .map_or(json!({}), |o| minimal_request(spec, o)),
    }
}

/// A mock with its default credentials, and a client signing with them.
async fn mock_and_client() -> (MockServer, Client) {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let client = Client::builder(Credentials::new(
        teo_mock::server::DEFAULT_SECRET_ID,
        teo_mock::server::DEFAULT_SECRET_KEY,
    ))
    .endpoint(mock.url())
    .build()
    .expect("client");
    (mock, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_succeeds_through_the_client() {
    let spec = Spec::embedded().expect("embedded spec");
    let (mock, client) = mock_and_client().await;

    let examples = example_requests();
    let mut called = 0;
    let mut malformed = Vec::new();
    let mut failures = Vec::new();
    for (action, info) in &spec.service.actions {
        let mut requests: Vec<Value> = Vec::new();
        for (index, example) in examples.get(action).into_iter().flatten().enumerate() {
            match example {
                Ok(body) => requests.push(body.clone()),
                Err(e) => malformed.push(format!("{action}#{index} ({e})")),
            }
        }
        if requests.is_empty() {
            let input = &spec.service.objects[&info.input];
            requests.push(minimal_request(&spec, input));
        }
        for request in requests {
            match client.call(action, request.clone()).await {
                Ok(response) if response["RequestId"].is_string() => {}
                Ok(response) => failures.push(format!("{action}: no RequestId in {response}")),
                Err(e) => failures.push(format!("{action}: {e} for {request}")),
            }
        }
        called += 1;
    }
    println!(
        "{called}/{} actions called; malformed official example requests: {malformed:?}",
        spec.service.actions.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Both sites' actions: 232 of the intl spec and the 6 only the mainland spec has.
    assert_eq!(called, 238);
    mock.shutdown().await;
}

/// An action only the mainland spec describes, through its typed method.
#[tokio::test]
async fn a_mainland_only_action_is_called_through_its_typed_method() {
    let (mock, client) = mock_and_client().await;
    let response = client
        .describe_inference_domains(teo_client::models::DescribeInferenceDomainsRequest::new(
            "zone-demo",
            "svc-demo",
        ))
        .await
        .expect("DescribeInferenceDomains answers");
    assert!(!response.request_id.is_empty());
    let items = client
        .describe_inference_domains_paginator(
            teo_client::models::DescribeInferenceDomainsRequest::new("zone-demo", "svc-demo"),
        )
        .collect_items()
        .await
        .expect("pages");
    println!("DescribeInferenceDomains: {} domains", items.len());
    mock.shutdown().await;
}
