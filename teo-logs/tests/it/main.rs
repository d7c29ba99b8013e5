//! teo-logs's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): datasets, summaries and reports, with real engines where installed.
//! Run one file's tests with `cargo test -p teo-logs --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod support;

mod corrupt_parquet;
mod dataset;
mod engines;
mod log_fields;
mod mock_packets;
mod receive;
mod records;
mod report_browser;
mod summary;
