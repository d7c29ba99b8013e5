//! The emitter: turns the model of a Tencent Cloud API 3.0 service ([`tc_spec`]) into formatted
//! Rust — tokens built with `quote`, checked by `syn`, printed by `prettyplease`. Used by `xtask`
//! and tests only; programs that merely read a spec use `tc_spec`. Nothing here reads or writes
//! files; `xtask` does the I/O.

pub mod emit;

pub use emit::{EmitError, GeneratedFile, Options, Output};
// The model this crate emits from, under the names the generator's users know.
pub use tc_spec::{docs, facts, merge, model, naming, paging, spec, validate, waiters};
pub use tc_spec::{model::OverrideTexts, Service, SpecError};

/// Anything that stops generation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// `api.json` text (and the texts of its override files) → every generated file, or the first
/// stage's errors. All or nothing.
pub fn generate(
    spec_json: &str,
    overrides: &OverrideTexts<'_>,
    options: &Options,
) -> Result<Output, Error> {
    let service = Service::from_json_with(spec_json, overrides)?;
    Ok(emit::generate(&service, options)?)
}
