//! Responses whose scalars drift from the spec's JSON types read as the undrifted response.
//!
//! Every official example response is read as its typed response and written back (`U`). Then
//! each of its scalars is drifted, one kind at a time for the whole response, and the drifted
//! response must read and write back to exactly `U`:
//! - `text`: numbers become their decimal text (`1` → `"1"`), booleans `"true"`/`"false"`;
//! - `alternate`: integers become floats (`25` → `25.0`), booleans `0`/`1`, strings that are a
//!   number's or a boolean's canonical text become that number or boolean (`"42"` → `42`).

use crate::common;

use serde_json::{Number, Value};

#[derive(Clone, Copy, Debug)]
enum Drift {
    Text,
    Alternate,
}

/// Drifts every scalar of `value` in place; returns how many changed.
fn drift(value: &mut Value, kind: Drift) -> usize {
    match value {
        Value::Array(items) => items.iter_mut().map(|v| drift(v, kind)).sum(),
        Value::Object(members) => members.values_mut().map(|v| drift(v, kind)).sum(),
        Value::Null => 0,
        scalar => match drifted(scalar, kind) {
            Some(new) => {
                *scalar = new;
                1
            }
            None => 0,
        },
    }
}

fn drifted(scalar: &Value, kind: Drift) -> Option<Value> {
    const EXACT: u64 = 1 << 53;
    match (kind, scalar) {
        (Drift::Text, Value::Number(n)) => Some(Value::String(n.to_string())),
        (Drift::Text, Value::Bool(b)) => Some(Value::String(b.to_string())),
        (Drift::Alternate, Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if i.unsigned_abs() <= EXACT => {
                Number::from_f64(i as f64).map(Value::Number)
            }
            (None, Some(u)) if u <= EXACT => Number::from_f64(u as f64).map(Value::Number),
            _ => None,
        },
        (Drift::Alternate, Value::Bool(b)) => Some(Value::from(u8::from(*b))),
        (Drift::Alternate, Value::String(s)) => {
            if s == "true" || s == "false" {
                return Some(Value::Bool(s == "true"));
            }
            // Only canonical text: `"007"` or `"1.50"` as numbers would come back as `"7"`, `"1.5"`.
            if let Ok(i) = s.parse::<i64>() {
                return (i.to_string() == *s).then(|| Value::from(i));
            }
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.to_string() == *s)
                .and_then(Number::from_f64)
                .map(Value::Number)
        }
        _ => None,
    }
}

#[test]
fn drifted_scalars_read_as_the_spec_types() {
    let mut responses = 0;
    let mut drifted_responses = [0usize; 2];
    let mut scalars = [0usize; 2];
    let mut failures = Vec::new();
    for (action, examples) in common::examples() {
        let info = teo_models::action(&action).expect("every example's action is generated");
        for (index, example) in examples.iter().enumerate() {
            let Some(response) = common::success_response(example) else {
                continue;
            };
            responses += 1;
            let undrifted = info
                .read_response(&response.to_string())
                .unwrap_or_else(|e| panic!("{action}#{index} does not read: {e}"));
            for (k, kind) in [Drift::Text, Drift::Alternate].into_iter().enumerate() {
                let mut changed = response.clone();
                let count = drift(&mut changed, kind);
                if count == 0 {
                    continue;
                }
                drifted_responses[k] += 1;
                scalars[k] += count;
                match info.read_response(&changed.to_string()) {
                    Ok(read) if read == undrifted => {}
                    Ok(read) => failures.push(format!(
                        "{action}#{index} {kind:?}: read {read}\nexpected {undrifted}"
                    )),
                    Err(e) => failures.push(format!("{action}#{index} {kind:?}: {e}")),
                }
            }
        }
    }
    println!(
        "{responses} example responses; text drift: {} responses, {} scalars; \
         alternate drift: {} responses, {} scalars",
        drifted_responses[0], scalars[0], drifted_responses[1], scalars[1]
    );
    assert!(
        failures.is_empty(),
        "{} drifted responses read differently:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The examples must exercise the rule, not skip it.
    assert!(
        responses >= 200 && scalars[0] >= 300 && scalars[1] >= 300,
        "{scalars:?}"
    );
}

/// The issue's own case: an official example's `"TotalCount": 1` sent as `"1"`.
#[test]
fn a_count_sent_as_text_reads_as_a_number() {
    let info = teo_models::action("DescribeZones").expect("DescribeZones");
    let read = info
        .read_response(r#"{"TotalCount": "1", "Zones": [], "RequestId": "r"}"#)
        .expect("a numeric string reads as the count");
    assert_eq!(read["TotalCount"], 1);
}

#[test]
fn values_that_cannot_be_coerced_name_their_member_path() {
    let info = teo_models::action("DescribeZones").expect("DescribeZones");
    for (bad, what) in [
        (r#""abc""#, "string \"abc\""),
        ("1.5", "floating point `1.5`"),
    ] {
        let text = format!(
            r#"{{"TotalCount": 1, "Zones": [{{"ZoneId": "z", "Resources": [{{"Id": "r", "PayMode": {bad}}}]}}], "RequestId": "r"}}"#
        );
        let error = info.read_response(&text).expect_err(bad).to_string();
        assert!(
            error.starts_with("Zones: Resources: PayMode: invalid value: ") && error.contains(what),
            "{error}"
        );
    }
}

#[test]
fn requests_are_not_coerced() {
    let info = teo_models::action("DescribeZones").expect("DescribeZones");
    let error = info
        .normalize_request(serde_json::json!({"Limit": "20"}))
        .expect_err("a request's Limit must be a number");
    assert!(error.to_string().contains("Limit"), "{error}");
    // Nested objects of a request too.
    let error = info
        .normalize_request(serde_json::json!({"Filters": [{"Name": "zone-name", "Values": [5]}]}))
        .expect_err("a filter's values must be strings");
    assert!(error.to_string().contains("Values"), "{error}");
}
