//! tc-runtime's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the runtime against servers on 127.0.0.1: credential providers, transport, retries, tracing.
//! Run one file's tests with `cargo test -p tc-runtime --test it -- <file>::`.

mod support;

mod credentials_providers;
mod retries;
mod tracing;
mod transport;
