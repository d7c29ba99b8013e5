//! The runtime every generated Tencent Cloud client stands on, whatever the service.
//!
//! A generated service crate provides its [`Service`] descriptor (name, API version, endpoints,
//! each action's retry safety) and one method per action, each a one-liner over
//! [`Client::send`]. Everything else is here, hand-written once: TC3 signing ([`signing`]),
//! credentials and the default chain ([`credentials`], whose STS providers call the generated
//! [`sts`] client), the call pipeline (rate limit, retries, timeouts, tracing, [`hooks`]),
//! errors, and paging ([`paginate`]). Beside them, the one atomic file writer of the workspace
//! ([`fs::AtomicFile`]), for the clients' and tools' files that must appear whole.

// The runtime reads answers, credentials and files that may be hostile: no indexing that could
// panic (the workspace lints already deny unwrap, expect and panic).
#![deny(clippy::indexing_slicing)]
#![warn(missing_docs)]

mod answer;
mod body;
mod client;
pub mod clock;
pub mod credentials;
mod error;
pub mod fs;
pub mod hooks;
pub mod paginate;
mod rate_limit;
mod redact;
pub mod retry;
mod service;
pub use tc_sign as signing;

pub mod sts;
pub mod waiter;

pub use client::{
    Client, ClientBuilder, Language, PreparedRequest, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_RATE_LIMIT,
};
pub use credentials::{Credentials, CredentialsError, ProvideCredentials};
pub use error::codes;
pub use error::{BodySummary, Error, ErrorKind};
pub use paginate::Paginator;
pub use retry::{RetryPolicy, RetrySafety};
pub use service::Service;
/// The types generated models are built on.
pub use tc_types as types;
