//! How a packet or a run fails ([`DownloadError`]), which failures are retried, and which stop
//! the whole run (the directory's, not one packet's).

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tc_runtime::fs::FsError;

use super::limits::{SIZE_SLACK, STALL_MIN_BYTES};
use crate::Error;

/// A failure of one packet or of the whole run. Never shows a URL's query string.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// Listing the packets failed.
    #[error("listing the log packets failed: {0}")]
    Listing(#[source] Error),
    /// The output directory cannot be used or written (permission denied, read-only, disk full).
    #[error("{}: {what}: {source}{}", path.display(), disk_full_hint(source))]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, for the message.
        what: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// The HTTP request for a packet failed before a complete answer.
    #[error("{url}: {source}")]
    Transport {
        /// The packet's URL, without its query string.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered a packet request with another status than 200.
    #[error("{url}: HTTP status {status}")]
    HttpStatus {
        /// The packet's URL, without its query string.
        url: String,
        /// The HTTP status answered.
        status: u16,
    },
    /// The packet's length matches neither the listed `Size` nor, decompressed, that size.
    #[error("{name}: {received} bytes received, {expected} listed")]
    SizeMismatch {
        /// The packet's name.
        name: String,
        /// The listed `Size`, in bytes.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// The packet is not valid gzip (checked when decompressing).
    #[error("{name}: corrupt gzip data: {reason}")]
    Corrupt {
        /// The packet's name.
        name: String,
        /// What the gzip decoder found wrong.
        reason: String,
    },
    /// The body ran past `limit` bytes: the listed `Size` plus [`SIZE_SLACK`], or
    /// [`Downloader::max_packet_size`](super::Downloader::max_packet_size) when the size is missing
    /// or larger. Reading stopped there; nothing past the limit was written.
    #[error(
        "{name}: the body is longer than {limit} bytes ({}); reading stopped",
        match listed { Some(size) => format!("listed Size {size} + {SIZE_SLACK} slack"), None => "no listed Size; the packet size limit".to_owned() }
    )]
    TooLarge {
        /// The packet's name.
        name: String,
        /// The limit, in bytes.
        limit: u64,
        /// The listed `Size`; `None` when the listing gave none.
        listed: Option<u64>,
    },
    /// Decoding the packet produced more than `limit` bytes:
    /// [`Downloader::max_decompressed_ratio`](super::Downloader::max_decompressed_ratio) times its
    /// `compressed` length, or
    /// [`Downloader::max_decompressed_size`](super::Downloader::max_decompressed_size) (a gzip
    /// bomb).
    #[error(
        "{name}: decompresses to more than {limit} bytes from {compressed} \
         (the ratio or size limit of decompression); decoding stopped"
    )]
    DecompressedTooLarge {
        /// The packet's name.
        name: String,
        /// The limit, in decompressed bytes.
        limit: u64,
        /// The packet's compressed length, in bytes.
        compressed: u64,
    },
    /// Less than [`STALL_MIN_BYTES`] arrived in
    /// [`Downloader::stall_timeout`](super::Downloader::stall_timeout) (`after`).
    #[error(
        "{name}: stalled: less than {STALL_MIN_BYTES} bytes in {after:?} \
         ({received} bytes received)"
    )]
    Stalled {
        /// The packet's name.
        name: String,
        /// The stall timeout that passed.
        after: Duration,
        /// Bytes received by this attempt.
        received: u64,
    },
    /// The attempt took longer than
    /// [`Downloader::attempt_timeout`](super::Downloader::attempt_timeout) (`after`).
    #[error("{name}: the attempt timed out after {after:?} ({received} bytes received)")]
    Timeout {
        /// The packet's name.
        name: String,
        /// The attempt timeout that passed.
        after: Duration,
        /// Bytes received by this attempt.
        received: u64,
    },
    /// The download was interrupted by a failure elsewhere in the run.
    #[error("cancelled")]
    Cancelled,
}

fn disk_full_hint(error: &io::Error) -> &'static str {
    if is_fatal_io(error) && error.raw_os_error() == Some(28) {
        " (the disk is full)"
    } else {
        ""
    }
}

/// Errors of the directory or file system rather than of one packet: no point in retrying or
/// going on with other packets.
pub(super) fn is_fatal_io(error: &io::Error) -> bool {
    // ENOSPC, EDQUOT, EROFS, EACCES, EPERM
    matches!(error.raw_os_error(), Some(28 | 122 | 30 | 13 | 1))
        || error.kind() == io::ErrorKind::PermissionDenied
}

impl DownloadError {
    pub(super) fn retryable(&self) -> bool {
        match self {
            // A stall or a timeout may be the network's; a body past its size or a bomb is the
            // server's doing, and fetching it again would only cost the limit again.
            DownloadError::Transport { .. }
            | DownloadError::SizeMismatch { .. }
            | DownloadError::Corrupt { .. }
            | DownloadError::Stalled { .. }
            | DownloadError::Timeout { .. } => true,
            DownloadError::HttpStatus { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// A step of an [`AtomicFile`] that failed, as the run reports it.
pub(super) fn fs_error(error: FsError) -> DownloadError {
    DownloadError::Io {
        path: error.path,
        what: error.what,
        source: error.source,
    }
}
