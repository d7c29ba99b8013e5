//! What a listing gives: DownloadL4Logs / DownloadL7Logs entries as [`Packet`]s, whose
//! signed URLs are never shown whole.

use std::fmt;

use crate::models::{DateTime, DownloadL4LogsRequest, DownloadL7LogsRequest};
use crate::paginate::Paginated;

/// A listing action whose items are log packets: DownloadL4Logs or DownloadL7Logs.
pub trait LogListing: Paginated {
    /// The packet one listed item describes.
    fn packet(item: &Self::Item) -> Packet;
}

impl LogListing for DownloadL4LogsRequest {
    fn packet(log: &Self::Item) -> Packet {
        Packet {
            name: log.log_packet_name.clone(),
            url: log.url.clone(),
            size: listed_size(log.size),
            area: log.area.clone(),
            source: log.proxy_id.clone(),
            start: log.log_start_time.clone(),
            end: log.log_end_time.clone(),
        }
    }
}

impl LogListing for DownloadL7LogsRequest {
    fn packet(log: &Self::Item) -> Packet {
        Packet {
            name: log.log_packet_name.clone(),
            url: log.url.clone(),
            size: listed_size(log.size),
            area: log.area.clone(),
            source: log.domain.clone(),
            start: log.log_start_time.clone(),
            end: log.log_end_time.clone(),
        }
    }
}

/// A listed `Size` as a byte count: a missing member reads as 0, and no gzip packet is empty,
/// so 0 (like a negative number) is no size at all.
fn listed_size(size: i64) -> Option<u64> {
    u64::try_from(size).ok().filter(|&size| size > 0)
}

/// One log packet as listed.
#[derive(Clone, PartialEq)]
pub struct Packet {
    /// `LogPacketName`, e.g. `20240501-10-sid-xs82kshs`.
    pub name: String,
    /// Where to fetch it; usually signed (the query string is a credential).
    pub url: String,
    /// `Size` in bytes, when the listing gave a sensible one.
    pub size: Option<u64>,
    /// `mainland` or `overseas`.
    pub area: String,
    /// The L4 proxy (`ProxyId`) or L7 domain (`Domain`).
    pub source: String,
    /// `LogStartTime`: the start of the period the packet covers.
    pub start: DateTime,
    /// `LogEndTime`: the end of the period the packet covers.
    pub end: DateTime,
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("name", &self.name)
            .field("url", &redact_url(&self.url))
            .field("size", &self.size)
            .field("area", &self.area)
            .field("source", &self.source)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish()
    }
}

/// The URL without its query string, which may hold a signature.
pub(super) fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

pub(super) fn url_path(url: &str) -> &str {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    url.split_once("://").map_or(url, |(_, rest)| rest)
}
