//! How packets are downloaded: the [`Downloader`] and its setters, and the limits that keep a
//! misbehaving server from filling the disk or holding the run, with their defaults.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::limits::SIZE_SLACK;
use super::progress::{Event, Progress, ProgressFn};
use crate::retry::RetryPolicy;

/// Packets downloaded at once unless set otherwise.
pub const DEFAULT_CONCURRENCY: usize = 6;

/// Default [`Downloader::max_packet_size`]: 4 GiB (log packets are hourly; tens of MB is large).
pub const DEFAULT_MAX_PACKET_SIZE: u64 = 4 << 30;

/// Default [`Downloader::max_decompressed_ratio`]. JSON log lines compress 5–30×; gzip's
/// ceiling is about 1030× (a bomb of zeros).
pub const DEFAULT_MAX_DECOMPRESSED_RATIO: u64 = 200;

/// Default [`Downloader::max_decompressed_size`]: 16 GiB.
pub const DEFAULT_MAX_DECOMPRESSED_SIZE: u64 = 16 << 30;

/// Decoded bytes always allowed, whatever the ratio: a tiny packet may legitimately expand
/// more than a large one (the gzip header is a fixed cost).
const DECOMPRESSED_FLOOR: u64 = 1 << 20;

/// Default [`Downloader::stall_timeout`].
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Default [`Downloader::attempt_timeout`].
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Downloads log packets into a directory: how, set by chained setters. Used by
/// [`Client::download_logs`](crate::Client::download_logs), or alone with packets listed some other
/// way ([`Downloader::download`]).
///
/// The limits that keep a misbehaving server from filling the disk or holding the run, and
/// their defaults: [`max_packet_size`](Self::max_packet_size) 4 GiB (and the listed `Size` +
/// [`SIZE_SLACK`] 64 KiB), [`max_decompressed_ratio`](Self::max_decompressed_ratio) 200×,
/// [`max_decompressed_size`](Self::max_decompressed_size) 16 GiB,
/// [`stall_timeout`](Self::stall_timeout) 30 s (for [`STALL_MIN_BYTES`](super::STALL_MIN_BYTES) 1 KiB),
/// [`attempt_timeout`](Self::attempt_timeout) 15 min.
#[derive(Clone)]
pub struct Downloader {
    pub(super) http: Option<reqwest::Client>,
    pub(super) dir: PathBuf,
    pub(super) concurrency: usize,
    pub(super) decompress: bool,
    pub(super) retry: RetryPolicy,
    pub(super) progress: Option<Arc<ProgressFn>>,
    pub(super) max_packet_size: u64,
    pub(super) max_decompressed_ratio: u64,
    pub(super) max_decompressed_size: u64,
    pub(super) stall_timeout: Duration,
    pub(super) attempt_timeout: Duration,
    pub(super) record_digests: bool,
}

impl fmt::Debug for Downloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Downloader")
            .field("dir", &self.dir)
            .field("concurrency", &self.concurrency)
            .field("decompress", &self.decompress)
            .field("retry", &self.retry)
            .field("max_packet_size", &self.max_packet_size)
            .field("max_decompressed_ratio", &self.max_decompressed_ratio)
            .field("max_decompressed_size", &self.max_decompressed_size)
            .field("stall_timeout", &self.stall_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("record_digests", &self.record_digests)
            .finish_non_exhaustive()
    }
}

impl Downloader {
    /// Downloads into `dir`, created if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Downloader {
        Downloader {
            http: None,
            dir: dir.into(),
            concurrency: DEFAULT_CONCURRENCY,
            decompress: false,
            retry: RetryPolicy::default()
                .max_attempts(4)
                .base_delay(Duration::from_millis(250)),
            progress: None,
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            max_decompressed_ratio: DEFAULT_MAX_DECOMPRESSED_RATIO,
            max_decompressed_size: DEFAULT_MAX_DECOMPRESSED_SIZE,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            record_digests: false,
        }
    }

    /// The directory packets are downloaded into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records each packet's SHA-256 beside it ([`digest_path`](super::digest_path)) and takes a
    /// packet found in the directory as complete only when its content still has the digest
    /// recorded when it was downloaded (without this, a file of the listed size is complete). For a
    /// directory where packets wait to be stored elsewhere; that no one else can write there is the
    /// directory's to ensure (private, as `teo_logs::staging` makes it).
    pub fn record_digests(mut self, on: bool) -> Self {
        self.record_digests = on;
        self
    }

    /// The HTTP client for packet URLs. Default: one with a 10 s connect timeout and a 60 s
    /// read timeout, following redirects (packet URLs carry no API credentials).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Packets fetched at once (at least 1). Default [`DEFAULT_CONCURRENCY`].
    pub fn concurrency(mut self, packets: usize) -> Self {
        self.concurrency = packets.max(1);
        self
    }

    /// Writes `<name>.log` (JSON lines) instead of `<name>.log.gz`, checking the gzip data.
    pub fn decompress(mut self, on: bool) -> Self {
        self.decompress = on;
        self
    }

    /// How failed packet downloads are retried. Default: 4 attempts, 250 ms base delay.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The most bytes read for one packet whose listed `Size` is missing or larger (at least 1); a
    /// packet with a smaller `Size` may have that plus [`SIZE_SLACK`]. Past it the attempt fails
    /// with [`DownloadError::TooLarge`](super::DownloadError::TooLarge). Default
    /// [`DEFAULT_MAX_PACKET_SIZE`] (4 GiB).
    pub fn max_packet_size(mut self, bytes: u64) -> Self {
        self.max_packet_size = bytes.max(1);
        self
    }

    /// With [`decompress`](Self::decompress) (and when checking a packet against a listed
    /// decompressed size), decoding stops with
    /// [`DownloadError::DecompressedTooLarge`](super::DownloadError::DecompressedTooLarge) past
    /// this many times the packet's length (1 MiB always allowed). Default
    /// [`DEFAULT_MAX_DECOMPRESSED_RATIO`] (200).
    pub fn max_decompressed_ratio(mut self, ratio: u64) -> Self {
        self.max_decompressed_ratio = ratio.max(1);
        self
    }

    /// The most bytes one packet may decode to, whatever the ratio. Default
    /// [`DEFAULT_MAX_DECOMPRESSED_SIZE`] (16 GiB).
    pub fn max_decompressed_size(mut self, bytes: u64) -> Self {
        self.max_decompressed_size = bytes.max(1);
        self
    }

    /// An attempt that receives less than [`STALL_MIN_BYTES`](super::STALL_MIN_BYTES) in this long (the response headers
    /// included) fails with [`DownloadError::Stalled`](super::DownloadError::Stalled) and is
    /// retried, like the stalled-stream protection of other SDKs: a connection that trickles a byte
    /// now and then never hits a read timeout. Default [`DEFAULT_STALL_TIMEOUT`] (30 s);
    /// `Duration::MAX` turns it off.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// The longest one attempt may take from sending the request to the last byte received
    /// ([`DownloadError::Timeout`](super::DownloadError::Timeout), retried); bounds a server that
    /// sends just fast enough not to stall. Default [`DEFAULT_ATTEMPT_TIMEOUT`] (15 min);
    /// `Duration::MAX` turns it off.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The bytes read at most for a packet listed with `size`.
    pub(super) fn body_limit(&self, size: Option<u64>) -> u64 {
        size.map_or(self.max_packet_size, |size| size.saturating_add(SIZE_SLACK))
            .min(self.max_packet_size)
    }

    /// The bytes a packet of `compressed` bytes may decode to.
    pub(super) fn decompressed_limit(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(self.max_decompressed_ratio)
            .max(DECOMPRESSED_FLOOR)
            .min(self.max_decompressed_size)
    }

    /// Called on every [`Event`] with the running totals; keep it quick.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&Event<'_>, &Progress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }
}
