//! What the workspace's tests share (a dev-dependency only, never published): a scripted HTTP
//! server on 127.0.0.1 ([`TestServer`]) for tests that need a server to misbehave in exact ways,
//! a `tracing` writer that keeps what was logged ([`Captured`]), and the one rule for checks
//! whose outside tool is missing ([`tools`]: skip with a line, or fail under
//! `TEO_REQUIRE_TOOLS=1`; the Python engines are installed on first use).

// Scaffolding for tests: a broken setup (a port that cannot be bound, a poisoned lock) ends
// the test that met it, which is what a panic here does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![warn(missing_docs)]

pub mod captured;
pub mod moto;
pub mod server;
pub mod tools;

pub use captured::{alone, Captured};
pub use moto::Moto;
pub use server::{Answer, Gate, Request, TestServer};
