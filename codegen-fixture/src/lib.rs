//! Compiles the generator's output for `codegen/tests/fixture/api.json`, so a change to the
//! generator that yields invalid Rust fails the build, and lets the tests below exercise the
//! generated types the way users do. The generated files are written by `cargo xtask regenerate`.

use std::ops::Deref;

/// Generated models of the fixture service.
#[rustfmt::skip] // formatted by the generator (prettyplease)
#[path = "generated/models/mod.rs"]
pub mod models;

#[rustfmt::skip]
#[path = "generated/client/mod.rs"]
pub mod client;

// The generated code's runtime: the same support module and client runtime teo uses.
pub use teo_client::{paginate, Error};

/// The fixture's client: the teo runtime with the fixture's generated methods on top.
#[derive(Debug, Clone)]
pub struct Client(pub teo_client::Client);

impl Deref for Client {
    type Target = teo_client::Client;
    fn deref(&self) -> &teo_client::Client {
        &self.0
    }
}
