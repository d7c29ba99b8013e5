//! teo-cli's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the built `teo` binary against teo-mock and stand-in servers.
//! Run one file's tests with `cargo test -p teo-cli --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

// teo-logs' engines (Python with DuckDB, moto), for the data and S3 checks.
#[path = "../../../teo-logs/tests/it/support/mod.rs"]
mod support;

mod cli;
mod completions;
mod configure;
// Runs `teo logs download --mock`.
#[cfg(feature = "mock")]
mod logs;
// Runs teo-mock's real-time push into `teo logs receive`.
#[cfg(feature = "mock")]
mod realtime;
mod receive;
mod s3;
// Runs `teo logs download --mock`.
#[cfg(feature = "mock")]
mod summarize;
