//! tc-runtime's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the runtime against servers on 127.0.0.1 (credential
//! providers, transport, retries, tracing) and the atomic file writer against real files.
//! Run one file's tests with `cargo test -p tc-runtime --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod support;

mod atomic_file;
mod credentials_providers;
mod retries;
mod tracing;
mod transport;
