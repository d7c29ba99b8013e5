//! teo-models's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the generated types against the spec and the official examples.
//! Run one file's tests with `cargo test -p teo-models --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod common;

mod conformance;
mod drift;
mod secrets;
