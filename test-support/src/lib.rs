//! What the workspace's tests share (a dev-dependency only, never published): a scripted HTTP
//! server on 127.0.0.1 ([`TestServer`]) for tests that need a server to misbehave in exact ways,
//! and a `tracing` writer that keeps what was logged ([`Captured`]).

pub mod captured;
pub mod server;

pub use captured::Captured;
pub use server::{Answer, Gate, Request, TestServer};
