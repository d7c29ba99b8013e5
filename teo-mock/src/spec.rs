//! The EdgeOne spec (embedded once, by [`teo_api_spec`]): the resolved model (shared with the
//! generator) and the official examples.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tc_spec::model::OverrideTexts;
use tc_spec::Service;
use teo_api_spec::{API_JSON, EXAMPLES_JSON, MAINLAND_EXAMPLES_JSON, OVERRIDES};

/// Everything the mock knows about the API.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The resolved API: actions, their request and response objects, waiters.
    pub service: Arc<Service>,
    /// Action → the `Response` objects of its official examples that are valid JSON and not
    /// errors (some official examples are malformed; they are left out here).
    pub example_responses: Arc<BTreeMap<String, Vec<Value>>>,
}

impl Spec {
    /// The embedded teo 2022-09-01 spec (both sites' descriptions merged) with its overrides.
    pub fn embedded() -> Result<Spec, String> {
        let mut spec = Spec::from_json_with(API_JSON, &OVERRIDES, EXAMPLES_JSON)?;
        // Only for actions the intl file has no examples of at all: where it has some (even
        // unusable ones), the mock's answers stay those of the intl site.
        let intl: Value = serde_json::from_str(EXAMPLES_JSON).map_err(|e| e.to_string())?;
        let mut responses = example_responses(MAINLAND_EXAMPLES_JSON)?;
        responses.retain(|action, _| intl["actions"].get(action).is_none());
        Arc::make_mut(&mut spec.example_responses).extend(responses);
        Ok(spec)
    }

    /// A spec without overrides.
    pub fn from_json(api: &str, examples: &str) -> Result<Spec, String> {
        Spec::from_json_with(api, &OverrideTexts::default(), examples)
    }

    /// A spec from `api.json` text with its override files, and the `examples.json` text whose
    /// responses the mock answers with.
    pub fn from_json_with(
        api: &str,
        overrides: &OverrideTexts<'_>,
        examples: &str,
    ) -> Result<Spec, String> {
        let service = Service::from_json_with(api, overrides).map_err(|e| e.to_string())?;
        let example_responses = example_responses(examples)?;
        Ok(Spec {
            service: Arc::new(service),
            example_responses: Arc::new(example_responses),
        })
    }
}

/// Action → the `Response` objects of its examples that are valid JSON and not errors.
fn example_responses(examples: &str) -> Result<BTreeMap<String, Vec<Value>>, String> {
    let examples: Value =
        serde_json::from_str(examples).map_err(|e| format!("examples.json: {e}"))?;
    let mut example_responses = BTreeMap::new();
    if let Some(actions) = examples["actions"].as_object() {
        for (action, list) in actions {
            let responses: Vec<Value> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|example| example["output"].as_str())
                .filter_map(|text| serde_json::from_str::<Value>(text).ok())
                .filter_map(|envelope| envelope.get("Response").cloned())
                .filter(|response| response.is_object() && response.get("Error").is_none())
                .collect();
            if !responses.is_empty() {
                example_responses.insert(action.clone(), responses);
            }
        }
    }
    Ok(example_responses)
}
