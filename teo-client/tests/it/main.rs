//! teo-client's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): log download, paginators and waiters against teo-mock and scripted servers.
//! Run one file's tests with `cargo test -p teo-client --test it -- <file>::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

mod logs;
mod paginate;
mod waiters;
