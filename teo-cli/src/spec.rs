//! The service model the command line is driven by: the vendor's `api.json` with the overrides
//! the generator reads beside it (embedded once, by [`teo_api_spec`]), resolved by `tc_spec` once
//! per run.

use std::sync::OnceLock;

use tc_spec::model::{Action, Object};
use tc_spec::Service;
use teo_api_spec::{API_JSON, OVERRIDES};

/// The resolved spec, parsed on first use.
pub(crate) fn service() -> Result<&'static Service, String> {
    static SERVICE: OnceLock<Result<Service, String>> = OnceLock::new();
    SERVICE
        .get_or_init(|| {
            Service::from_json_with(API_JSON, &OVERRIDES)
                .map_err(|e| format!("the embedded api.json is unusable: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The input object of `action`; every action of a validated spec has one.
pub(crate) fn input<'s>(service: &'s Service, action: &Action) -> Option<&'s Object> {
    service.objects.get(&action.input)
}
