//! The Tencent Cloud API 3.0 description format (`api.json`) as a model programs can use.
//!
//! The pipeline, one module per stage, each usable alone:
//! [`spec`] parses the file (and [`merge`] folds a second site's description into it) → [`validate`] checks it and names the JSON path of every problem →
//! [`model`] resolves Rust names ([`naming`]), types, docs ([`docs`]), paging ([`paging`]) and
//! per-operation facts ([`retry_safety`]) into an ordered model. The emitter (`codegen`), the mock and
//! the command line all read this one model. [`log_fields`] checks a service's log record
//! fields (`log-fields.json`) for the log record generator. Nothing here reads or writes files.

#![warn(missing_docs)]

pub mod docs;
pub mod flattened;
pub mod log_fields;
pub mod merge;
pub mod model;
pub mod naming;
mod objects;
pub mod paging;
pub mod retry_safety;
pub mod spec;
pub mod validate;
pub mod waiters;

pub use model::{Service, SpecError};
