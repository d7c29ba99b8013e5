//! Generates Rust for a Tencent Cloud API 3.0 service from its `api.json` description.
//!
//! The pipeline, one module per stage, each usable alone:
//! [`spec`] parses the file → [`validate`] checks it and names the JSON path of every problem →
//! [`model`] resolves Rust names ([`naming`]), types and docs ([`docs`]) into an ordered
//! intermediate model → [`emit`] prints formatted Rust files. Nothing here reads or writes
//! files; `xtask` does the I/O.

pub mod docs;
pub mod emit;
pub mod model;
pub mod naming;
pub mod paging;
pub mod spec;
pub mod validate;

pub use emit::{EmitError, GeneratedFile, Options, Output};
pub use model::{Service, SpecError};

/// Anything that stops generation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// `api.json` text (and its paging overrides, if any) → every generated file, or the first
/// stage's errors. All or nothing.
pub fn generate(
    spec_json: &str,
    paging_overrides: Option<&str>,
    options: &Options,
) -> Result<Output, Error> {
    let service = Service::from_json_with(spec_json, paging_overrides)?;
    Ok(emit::generate(&service, options)?)
}
