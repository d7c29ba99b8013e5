//! The fixed limits of a download, which its errors name (the configurable ones are
//! [`Downloader`](super::Downloader)'s).

/// Bytes a body may run past its listed `Size` before it is cut off. A listed size is exact for
/// a well-behaved server; the slack only spares a packet that grew between listing and fetch.
pub const SIZE_SLACK: u64 = 64 << 10;

/// Bytes an attempt must receive within each
/// [`Downloader::stall_timeout`](super::Downloader::stall_timeout) to count as progressing: a
/// server dribbling a byte now and then is stalled, not slow.
pub const STALL_MIN_BYTES: u64 = 1 << 10;
