//! The EdgeOne API description (`teo` 2022-09-01) as the programs that carry it embed it: the
//! vendored `api.json` of both sites and their `examples.json`, with the override files beside
//! them (`paging.json`, `retry.json`, `waiters.json`), from `api-spec/teo/v20220901/`, and the
//! log record fields (`api-spec/teo/log-fields.json`).
//!
//! One list for every embedding program (`teo`, `teo-mock`): a new override file is added here
//! and in [`tc_spec::model::OverrideTexts`], and reaches both. The generator (`cargo xtask
//! regenerate`) reads the same files by path, as it does for every service.

#![warn(missing_docs)]

use tc_spec::model::OverrideTexts;

/// Where the files are, relative to the workspace root.
pub const DIR: &str = "api-spec/teo/v20220901";

/// The international site's API description.
pub const API_JSON: &str = include_str!("../../api-spec/teo/v20220901/api.json");

/// The override files the generator reads beside the spec, and the mainland site's description
/// merged where it adds actions or members.
pub const OVERRIDES: OverrideTexts<'static> = OverrideTexts {
    paging: Some(include_str!("../../api-spec/teo/v20220901/paging.json")),
    retry: Some(include_str!("../../api-spec/teo/v20220901/retry.json")),
    mainland: Some(include_str!(
        "../../api-spec/teo/v20220901/mainland/api.json"
    )),
    waiters: Some(include_str!("../../api-spec/teo/v20220901/waiters.json")),
};

/// The members of EdgeOne's log records (`api-spec/teo/log-fields.json`), from which the
/// record types and the mock's field list are generated.
pub const LOG_FIELDS_JSON: &str = include_str!("../../api-spec/teo/log-fields.json");

/// The international site's official examples.
pub const EXAMPLES_JSON: &str = include_str!("../../api-spec/teo/v20220901/examples.json");

/// The mainland site's official examples (answers for the actions only it describes).
pub const MAINLAND_EXAMPLES_JSON: &str =
    include_str!("../../api-spec/teo/v20220901/mainland/examples.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_resolve_into_the_service() {
        let service = tc_spec::Service::from_json_with(API_JSON, &OVERRIDES).unwrap();
        assert!(service.actions.len() >= 238, "{}", service.actions.len());
        for examples in [EXAMPLES_JSON, MAINLAND_EXAMPLES_JSON] {
            let value: serde_json::Value = serde_json::from_str(examples).unwrap();
            assert!(value.get("actions").is_some());
        }
        let fields =
            tc_spec::log_fields::resolve(LOG_FIELDS_JSON).unwrap_or_else(|p| panic!("{p:?}"));
        let kinds: Vec<_> = fields.kinds.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(kinds, ["function", "l4", "l7"]);
    }
}
