//! Async client for the Tencent Cloud EdgeOne API (`teo`, 2022-09-01).
//!
//! ```no_run
//! use teo_client::{Client, Credentials};
//! use teo_client::models::{DateTime, DownloadL4LogsRequest};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder(Credentials::new("AKID…", "secret")).build()?;
//! let request = DownloadL4LogsRequest::new(
//!     DateTime::parse("2024-05-01T00:00:00+08:00")?,
//!     DateTime::parse("2024-05-01T06:00:00+08:00")?,
//! )
//! .zone_ids(["zone-2o3h21ed8bpu"])
//! .limit(300);
//! let response = client.download_l4_logs(request).await?;
//! for packet in &response.data {
//!     println!("{} {} bytes {}", packet.log_packet_name, packet.size, packet.url);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The methods (one per action) are generated from the spec into `src/generated/`; the runtime
//! they share — signing, transport, errors — is hand-written in the other modules.

mod client;
pub mod credentials;
mod error;
#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
mod generated;
pub mod logs;
pub mod paginate;
mod rate_limit;
pub mod retry;
pub use tc_sign as signing;

pub use client::{
    Client, ClientBuilder, Language, DEFAULT_ENDPOINT, DEFAULT_RATE_LIMIT, MAINLAND_ENDPOINT,
};
pub use credentials::{Credentials, CredentialsError, ProvideCredentials};
pub use error::codes;
pub use error::{Error, Snippet};
pub use paginate::Paginator;
pub use retry::RetryPolicy;
/// The request, response and data types.
pub use teo_models as models;
