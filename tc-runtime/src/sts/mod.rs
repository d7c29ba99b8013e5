//! The Security Token Service (`sts` 2018-08-13), generated from its spec like any service; the
//! credential providers call it through this runtime.

/// Requests, responses and data objects of STS.
#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
#[path = "../generated/sts/models/mod.rs"]
pub mod models;
#[rustfmt::skip]
#[path = "../generated/sts/client/mod.rs"]
mod client;
pub use client::*;
