//! Conformance with the official examples (`api-spec/teo/v20220901/examples.json`): every
//! example request read into its typed request and written back equals the example (numbers
//! and instants compared by value), and every example response reads as its typed response.
//! Examples that are not valid JSON in the official file are reported by name, never hidden.

use crate::common;

use common::examples;
use serde_json::Value;
use teo_models::time::format_description::well_known::Rfc3339;
use teo_models::time::OffsetDateTime;

#[derive(Default, Debug)]
struct Report {
    requests_checked: usize,
    requests_equal: usize,
    responses_checked: usize,
    responses_read: usize,
    /// `action#index: reason`
    failures: Vec<String>,
    malformed_inputs: Vec<String>,
    unusable_outputs: Vec<String>,
}

/// The JSON body of an example request. Most examples put it after a blank line, a few right
/// after the `<Common request parameters>` line; the header lines never contain `{`.
fn request_body(http: &str) -> Option<&str> {
    http.find('{').map(|start| http[start..].trim())
}

/// Equality of JSON values where numbers compare numerically (`25` equals `25.0`) and strings
/// that are both RFC 3339 instants compare as instants.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => {
            x == y
                || matches!(
                    (OffsetDateTime::parse(x, &Rfc3339), OffsetDateTime::parse(y, &Rfc3339)),
                    (Ok(p), Ok(q)) if p == q
                )
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

fn run() -> Report {
    let mut report = Report::default();
    for (action, examples) in examples() {
        let info = teo_models::action(&action)
            .unwrap_or_else(|| panic!("{action} has examples but is not generated"));
        for (index, example) in examples.iter().enumerate() {
            let label = format!("{action}#{index}");
            let input = example["input"]
                .as_str()
                .and_then(request_body)
                .map(serde_json::from_str::<Value>);
            match input {
                Some(Ok(request)) => {
                    report.requests_checked += 1;
                    match info.normalize_request(request.clone()) {
                        Ok(bytes) => {
                            let written: Value =
                                serde_json::from_slice(&bytes).expect("our own output is JSON");
                            if same_value(&written, &request) {
                                report.requests_equal += 1;
                            } else {
                                report.failures.push(format!(
                                    "{label} request: wrote {written} for {request}"
                                ));
                            }
                        }
                        Err(e) => report.failures.push(format!("{label} request: {e}")),
                    }
                }
                _ => report.malformed_inputs.push(label.clone()),
            }
            match common::success_response(example) {
                Some(response) => {
                    report.responses_checked += 1;
                    match info.check_response(&response.to_string()) {
                        Ok(()) => report.responses_read += 1,
                        Err(e) => report.failures.push(format!("{label} response: {e}")),
                    }
                }
                None => report.unusable_outputs.push(label),
            }
        }
    }
    report
}

#[test]
fn examples_round_trip_through_the_typed_models() {
    let report = run();
    println!(
        "requests: {}/{} equal after a typed round trip; responses: {}/{} read; \
         malformed official inputs: {:?}; malformed or error-only official outputs: {:?}",
        report.requests_equal,
        report.requests_checked,
        report.responses_read,
        report.responses_checked,
        report.malformed_inputs,
        report.unusable_outputs,
    );
    assert!(
        report.failures.is_empty(),
        "{} failures:\n{}",
        report.failures.len(),
        report.failures.join("\n")
    );
    // What the official file gets wrong, pinned so that a spec refresh shows what changed.
    assert_eq!(
        report.malformed_inputs,
        [
            "CreateL7AccRules#0",
            "ModifyL7AccRule#0",
            "ModifySecurityPolicy#0",
            "ModifySharedCNAME#0",
            "ModifyWebSecurityTemplate#1"
        ]
    );
    assert_eq!(
        report.unusable_outputs,
        [
            "CheckFreeCertificateVerification#0", // an error response
            "DescribeIPRegion#0",                 // wrapped in {"data": ...}
            "DescribeL7AccRules#0",
            "DescribePrefetchTasks#0",
            "DescribeSecurityPolicy#0",
            "DescribeSharedCNAME#0",
            "DescribeWebSecurityTemplate#0",
            "DescribeWebSecurityTemplates#0"
        ]
    );
    assert_eq!(
        (report.requests_checked, report.responses_checked),
        (326, 323)
    );
}
