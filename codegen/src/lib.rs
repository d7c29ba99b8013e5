//! The emitter: turns the model of a Tencent Cloud API 3.0 service ([`tc_spec`]) into formatted
//! Rust — tokens built with `quote`, checked by `syn`, printed by `prettyplease`. Used by `xtask`
//! and tests only; programs that merely read a spec use `tc_spec`. Nothing here reads or writes
//! files; `xtask` does the I/O.

#![warn(missing_docs)]

pub mod emit;

pub use emit::{EmitError, GeneratedFile, Options, Output};
// The model this crate emits from, under the names the generator's users know.
pub use tc_spec::{
    docs, log_fields, merge, model, naming, paging, retry_safety, spec, validate, waiters,
};
pub use tc_spec::{model::OverrideTexts, Service, SpecError};

/// Anything that stops generation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec or one of its override files cannot be parsed, validated or resolved.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// `log-fields.json` is invalid: every problem, each at its entry's path.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    LogFields(Vec<validate::Diagnostic>),
    /// The model could not be printed as valid Rust.
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

/// What `log-fields.json` generates: the data crate's record files and the mock's field list.
#[derive(Debug, Clone)]
pub struct LogRecordsOutput {
    /// The data crate's files: record types, their reader and their dataset columns.
    pub records: Vec<GeneratedFile>,
    /// The mock's files: each kind's wire names and types, for its packet writer's tests.
    pub mock: Vec<GeneratedFile>,
}

/// `log-fields.json` text → the record types, their reader and columns, and the mock's list.
pub fn generate_log_records(text: &str, options: &Options) -> Result<LogRecordsOutput, Error> {
    let fields = log_fields::resolve(text).map_err(Error::LogFields)?;
    Ok(LogRecordsOutput {
        records: emit::log_records::log_record_files(&fields, options)?,
        mock: emit::log_records::mock_field_files(&fields, options)?,
    })
}
