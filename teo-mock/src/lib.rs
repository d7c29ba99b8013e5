//! teo-mock: a local stand-in for the EdgeOne API endpoint, driven by the same spec the SDK is
//! generated from.
//!
//! A request goes through the pipeline in [`server`]: size limit → signature ([`auth`]) →
//! version and action → rate limit and injected faults ([`faults`]) → request validation against
//! the spec ([`validate`]) → an answer ([`answers`], or [`logs`] for DownloadL4Logs /
//! DownloadL7Logs, whose packets the mock serves itself). Errors use the API's envelope
//! ([`error`]). Real-time log delivery tasks created through the mock push logs ([`push`]).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let mock = teo_mock::MockServer::start(teo_mock::MockConfig::default()).await?;
//! println!("EdgeOne mock at {}", mock.url());
//! mock.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod answers;
pub mod auth;
pub mod error;
pub mod faults;
pub mod form;
#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
mod generated;
pub mod lifecycle;
pub mod logs;
pub mod push;
pub mod server;
pub mod spec;
pub mod validate;

pub use auth::Credential;
pub use error::ApiError;
/// The members of each log kind, from the log fields spec: what the mock's records hold (the
/// real-time push writes `function` records from it too).
pub use generated::log_fields;
pub use server::{MockConfig, MockServer};
pub use spec::Spec;
