//! Compiles the generator's output for `codegen/tests/fixture/api.json`, so a change to the
//! generator that yields invalid Rust fails the build, and lets the tests below exercise the
//! generated types the way users do. The generated files are written by `cargo xtask regenerate`.

#![warn(missing_docs)]

/// Generated models of the fixture service.
#[rustfmt::skip] // formatted by the generator (prettyplease)
#[path = "generated/models/mod.rs"]
pub mod models;

/// The fixture's generated client over the shared runtime.
#[rustfmt::skip]
#[path = "generated/client/mod.rs"]
pub mod client;

pub use client::Client;
pub use tc_runtime::{paginate, Error};
