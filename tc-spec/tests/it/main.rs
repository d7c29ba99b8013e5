//! tc-spec's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the spec model: retry safety, merging, paging, validation.
//! Run one file's tests with `cargo test -p tc-spec --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod merge;
mod paging;
mod retry_safety;
mod validate;
