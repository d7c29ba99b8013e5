//! tc-spec's integration tests, one binary (linking the crate and its test dependencies
//! once instead of once per file): the spec model: facts, merging, paging, validation.
//! Run one file's tests with `cargo test -p tc-spec --test it -- <file>::`.

mod facts;
mod merge;
mod paging;
mod validate;
