//! teo-mock's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the mock against raw requests, the spec, and the official clients.
//! Run one file's tests with `cargo test -p teo-mock --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod support;

mod all_actions;
mod envelope;
mod errors;
mod faults;
mod forms;
mod limits;
mod log_packets;
mod official_clients;
mod official_node;
mod push;
