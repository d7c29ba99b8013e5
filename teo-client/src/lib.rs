//! Async client for the Tencent Cloud EdgeOne API (`teo`, 2022-09-01).
//!
//! The client type, its methods (one per action), paginators and the [`SERVICE`] descriptor are
//! generated from the spec into `src/generated/`; the runtime they stand on — signing,
//! credentials, retries, errors — is `tc_runtime`, shared by every generated Tencent Cloud
//! service and re-exported here. Log download ([`logs`]) is EdgeOne's own.
//!
//! # Example
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

#![warn(missing_docs)]

#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
mod generated;
pub mod logs;

pub use generated::{Client, RETRY_SAFETY, SERVICE};
/// Builds a [`Client`]: `Client::builder(credentials)` or `Client::from_env()`.
pub type ClientBuilder = tc_runtime::ClientBuilder<Client>;
pub use tc_runtime::{
    clock, codes, credentials, hooks, paginate, retry, signing, waiter, BodySummary, Credentials,
    CredentialsError, Error, ErrorKind, Language, Paginator, PreparedRequest, ProvideCredentials,
    RetryPolicy, RetrySafety, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_RATE_LIMIT,
};
/// The international endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://teo.intl.tencentcloudapi.com";
/// The mainland China endpoint.
pub const MAINLAND_ENDPOINT: &str = "https://teo.tencentcloudapi.com";
/// The request, response and data types.
pub use teo_models as models;
