//! Typed requests, responses and data objects of the Tencent Cloud EdgeOne API (`teo`,
//! 2022-09-01), generated from the official API description.
//!
//! Every object of the spec is a struct of the same name: [`DownloadL4LogsRequest`],
//! [`DownloadL4LogsResponse`], [`L4OfflineLog`]. Requests are built with `new` (the required
//! members) and chainable setters (the optional ones); unset members are left out of the JSON.
//! Responses read tolerantly: a member the server omits or sends as `null` takes its default,
//! and unknown members are ignored.
//!
//! ```
//! use teo_models::{DateTime, DownloadL4LogsRequest};
//!
//! let request = DownloadL4LogsRequest::new(
//!     DateTime::parse("2024-05-01T00:00:00+08:00")?,
//!     DateTime::parse("2024-05-02T00:00:00+08:00")?,
//! )
//! .zone_ids(["zone-2o3h21ed8bpu"])
//! .limit(300);
//! assert_eq!(
//!     serde_json::to_string(&request)?,
//!     r#"{"StartTime":"2024-05-01T00:00:00+08:00","EndTime":"2024-05-02T00:00:00+08:00","ZoneIds":["zone-2o3h21ed8bpu"],"Limit":300}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
mod generated;

pub use generated::*;
/// The types and readers the models are built on (shared by every generated service).
pub use tc_types as support;
/// The date-time library [`DateTime`] converts from.
pub use tc_types::time;
pub use tc_types::{Date, DateTime, DateTimeError, LocalDateTime};
