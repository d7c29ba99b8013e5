//! The official examples (`api-spec/teo/v20220901/examples.json`), shared by the tests.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Action name → its examples (`{"title", "input", "output"}`, input and output as HTTP text).
pub fn examples() -> BTreeMap<String, Vec<Value>> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-spec/teo/v20220901/examples.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: Value = serde_json::from_str(&text).expect("examples.json is JSON");
    serde_json::from_value(file["actions"].clone())
        .expect("actions maps names to lists of examples")
}

/// The success body inside `Response` of an example's output, if it is valid JSON without an
/// `Error`.
pub fn success_response(example: &Value) -> Option<Value> {
    let envelope: Value = serde_json::from_str(example["output"].as_str()?).ok()?;
    let response = envelope.get("Response")?;
    (response.is_object() && response.get("Error").is_none()).then(|| response.clone())
}
