//! Log download: every packet DownloadL4Logs / DownloadL7Logs lists for a time range, fetched to a
//! directory.
//!
//! ```no_run
//! # async fn run(client: teo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use teo_client::logs::Downloader;
//! use teo_client::models::{DateTime, DownloadL4LogsRequest};
//!
//! let request = DownloadL4LogsRequest::new(
//!     DateTime::parse("2024-05-01T00:00:00+08:00")?,
//!     DateTime::parse("2024-05-02T00:00:00+08:00")?,
//! )
//! .zone_ids(["zone-2o3h21ed8bpu"]);
//! let summary = client
//!     .download_logs(request, &Downloader::new("logs/").concurrency(6))
//!     .await?;
//! println!("{} downloaded, {} already there", summary.downloaded, summary.skipped);
//! # Ok(()) }
//! ```
//!
//! How a run goes, and why:
//! - The output directory is created and checked writable before anything is listed, so a bad
//!   `--out` fails at once.
//! - Packets are listed through the paginator (largest pages, repeated pages refused, an empty
//!   page below the total an error: a listing never ends short as a success); an entry listed
//!   twice (same URL path) is downloaded once. Files are named `<LogPacketName>_<Area>.log.gz`
//!   (the area keeps a mainland and an overseas packet of the same hour apart), reduced to
//!   `[A-Za-z0-9._-]`, at most 200 bytes (a longer stem is cut and given a hash of itself), a
//!   Windows device name (`CON`, `NUL`, `COM1`, …) prefixed with `_`. Names are unique in the
//!   run, ignoring case (case-insensitive file systems): packets that would share one get a
//!   suffix from their URL path, and a name crafted to equal another's suffixed name another.
//! - A packet whose file is already complete is skipped, so a rerun resumes where an earlier
//!   run stopped. Complete means: a regular file (a symbolic link never is, and is replaced, not
//!   written through) under its final name, which only a verified packet ever gets, with the
//!   listed size (`.log.gz`), or present at all (`.log`, decompressed).
//! - Packets are fetched `concurrency` at a time and streamed to a temporary
//!   `.<file>.<random>.part` in the same directory (`tc_runtime::fs::AtomicFile`), created
//!   exclusively (`create_new`: never through a planted symlink or over another run's file),
//!   through a fixed-size buffer (memory does not grow with packet size), then checked against
//!   the listed `Size`, synced to disk and renamed, the directory synced: a file under its final
//!   name is always whole, and two runs into one directory each rename their own whole file. Syncing does not hold a download slot, so the network stays
//!   busy while the disk catches up. A temporary file is removed when its download fails or is
//!   dropped; one left by a killed process is removed by a later run once it is a day old.
//! - The server is not trusted to end what it starts; every limit fails the attempt with its own
//!   [`DownloadError`]: a body longer than the listed `Size` plus [`SIZE_SLACK`] (or than
//!   [`Downloader::max_packet_size`] when `Size` is missing or larger) is cut off
//!   ([`DownloadError::TooLarge`]); decoding stops past [`Downloader::max_decompressed_ratio`]
//!   times the packet or [`Downloader::max_decompressed_size`]
//!   ([`DownloadError::DecompressedTooLarge`]); an attempt that gets less than
//!   [`STALL_MIN_BYTES`] in [`Downloader::stall_timeout`] ([`DownloadError::Stalled`]) or runs
//!   past [`Downloader::attempt_timeout`] ([`DownloadError::Timeout`]) is abandoned.
//! - `Size` is the packet's byte length; DownloadL7Logs documents it as the "original" size, so
//!   a packet whose decompressed length equals `Size` is accepted too.
//! - With [`Downloader::decompress`], the gzip stream (CRC and length included) is decoded into
//!   `<name>.log` (JSON lines); a corrupt packet fails its attempt.
//! - A failed attempt (connection error, HTTP 5xx/429, short or corrupt body, a stall or
//!   timeout) is retried with
//!   exponential backoff and full jitter; other HTTP statuses fail the packet at once. A failed
//!   packet does not stop the others; the [`Summary`] lists it.
//! - Errors of the directory itself (permission denied, read-only file system, disk full) stop
//!   the whole run with [`DownloadError::Io`], and every temporary file is removed.
//!
//! Packet URLs carry a signature in their query string; it is never shown in `Debug`, errors or
//! logs.

mod digest;

pub use digest::{digest_path, remove_with_digest, sha256_file};

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use tc_runtime::fs::{temporary_target, AtomicFile, FsError};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::models::{DateTime, DownloadL4LogsRequest, DownloadL7LogsRequest};
use crate::paginate::Paginated;
use crate::retry::RetryPolicy;
use crate::{Client, Error};

/// Packets downloaded at once unless set otherwise.
pub const DEFAULT_CONCURRENCY: usize = 6;
/// Bytes gathered before each write to the temporary file.
const WRITE_BUFFER: usize = 256 << 10;
/// Bytes a body may run past its listed `Size` before it is cut off. A listed size is exact for
/// a well-behaved server; the slack only spares a packet that grew between listing and fetch.
pub const SIZE_SLACK: u64 = 64 << 10;
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
/// Bytes an attempt must receive within each [`Downloader::stall_timeout`] to count as
/// progressing: a server dribbling a byte now and then is stalled, not slow.
pub const STALL_MIN_BYTES: u64 = 1 << 10;
/// Default [`Downloader::attempt_timeout`].
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Longest file name given to a packet (bytes, `.log.gz` included), leaving room for the
/// temporary name's `.` + `.<16 hex>.part` under the usual 255-byte limit.
const MAX_FILE_NAME: usize = 200;
/// A temporary file untouched for this long belongs to no live download (an attempt is
/// bounded by its timeout) and is removed by the next run that wants its packet.
const STALE_TEMP_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// A listing action whose items are log packets: DownloadL4Logs or DownloadL7Logs.
pub trait LogListing: Paginated {
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
    pub start: DateTime,
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

impl Packet {
    /// The packet's file name in the output directory, `.log.gz` included:
    /// `<LogPacketName>_<Area>.log.gz`, every byte outside `[A-Za-z0-9._-]` replaced by `_`,
    /// never hidden, a Windows device name prefixed with `_`, at most 200 bytes (a longer stem
    /// is cut and ends with a hash of the whole). Falls back to the last segment of the URL path
    /// when the name is empty. A run may add a suffix to keep names unique.
    pub fn file_name(&self) -> String {
        let mut stem = if self.name.is_empty() {
            url_path(&self.url)
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".gz")
                .trim_end_matches(".log")
                .to_owned()
        } else {
            self.name.clone()
        };
        if !self.area.is_empty() {
            stem = format!("{stem}_{}", self.area);
        }
        let mut safe: String = stem
            .chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        // Never hidden (temporary files are), never `.` or `..`; never a name Windows reserves
        // for a device, whatever the extension (`NUL.x` is the device too).
        let device = safe.split('.').next().is_some_and(is_windows_device);
        if safe.starts_with('.') || safe.is_empty() || device {
            safe.insert(0, '_');
        }
        cap_stem(&safe, MAX_FILE_NAME - LOG_GZ.len()) + LOG_GZ
    }
}

const LOG_GZ: &str = ".log.gz";

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case.
fn is_windows_device(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && matches!(upper.as_bytes()[3], b'1'..=b'9'))
}

/// `stem` if at most `max` bytes, else its first bytes and `-<16 hex>`, a hash of the whole, so
/// names that differ only after the cut stay apart. The stem is ASCII (sanitised), so any byte
/// index is a character boundary.
fn cap_stem(stem: &str, max: usize) -> String {
    if stem.len() <= max {
        return stem.to_owned();
    }
    let keep = max.saturating_sub(17);
    format!("{}-{:016x}", &stem[..keep], fnv1a(stem))
}

/// `name` (`<stem>.log.gz`) with `-<suffix>` after the stem, within [`MAX_FILE_NAME`].
fn with_suffix(name: &str, suffix: &str) -> String {
    let stem = name.strip_suffix(LOG_GZ).unwrap_or(name);
    let room = MAX_FILE_NAME - LOG_GZ.len() - suffix.len() - 1;
    format!("{}-{suffix}{LOG_GZ}", cap_stem(stem, room))
}

/// The URL without its query string, which may hold a signature.
fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

fn url_path(url: &str) -> &str {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

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
        path: PathBuf,
        what: &'static str,
        source: io::Error,
    },
    /// The HTTP request for a packet failed before a complete answer.
    #[error("{url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The server answered a packet request with another status than 200.
    #[error("{url}: HTTP status {status}")]
    HttpStatus { url: String, status: u16 },
    /// The packet's length matches neither the listed `Size` nor, decompressed, that size.
    #[error("{name}: {received} bytes received, {expected} listed")]
    SizeMismatch {
        name: String,
        expected: u64,
        received: u64,
    },
    /// The packet is not valid gzip (checked when decompressing).
    #[error("{name}: corrupt gzip data: {reason}")]
    Corrupt { name: String, reason: String },
    /// The body ran past `limit` bytes: the listed `Size` plus [`SIZE_SLACK`], or
    /// [`Downloader::max_packet_size`] when the size is missing or larger. Reading stopped
    /// there; nothing past the limit was written.
    #[error(
        "{name}: the body is longer than {limit} bytes ({}); reading stopped",
        match listed { Some(size) => format!("listed Size {size} + {SIZE_SLACK} slack"), None => "no listed Size; the packet size limit".to_owned() }
    )]
    TooLarge {
        name: String,
        limit: u64,
        listed: Option<u64>,
    },
    /// Decoding the packet produced more than `limit` bytes: [`Downloader::max_decompressed_ratio`]
    /// times its `compressed` length, or [`Downloader::max_decompressed_size`] (a gzip bomb).
    #[error(
        "{name}: decompresses to more than {limit} bytes from {compressed} \
         (the ratio or size limit of decompression); decoding stopped"
    )]
    DecompressedTooLarge {
        name: String,
        limit: u64,
        compressed: u64,
    },
    /// Less than [`STALL_MIN_BYTES`] arrived in [`Downloader::stall_timeout`] (`after`).
    #[error(
        "{name}: stalled: less than {STALL_MIN_BYTES} bytes in {after:?} \
         ({received} bytes received)"
    )]
    Stalled {
        name: String,
        after: Duration,
        received: u64,
    },
    /// The attempt took longer than [`Downloader::attempt_timeout`] (`after`).
    #[error("{name}: the attempt timed out after {after:?} ({received} bytes received)")]
    Timeout {
        name: String,
        after: Duration,
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
fn is_fatal_io(error: &io::Error) -> bool {
    // ENOSPC, EDQUOT, EROFS, EACCES, EPERM
    matches!(error.raw_os_error(), Some(28 | 122 | 30 | 13 | 1))
        || error.kind() == io::ErrorKind::PermissionDenied
}

impl DownloadError {
    fn retryable(&self) -> bool {
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

/// What happened to one packet; reported to the progress callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The listing is complete: the totals are known.
    Listed,
    /// A packet's file (at `path`) was already complete.
    Skipped { packet: &'a Packet, path: &'a Path },
    /// Bytes of a packet arrived.
    Received { packet: &'a Packet, bytes: u64 },
    /// An attempt failed and will be retried after `delay`.
    Retrying {
        packet: &'a Packet,
        path: &'a Path,
        attempt: u32,
        delay: Duration,
        error: &'a DownloadError,
    },
    /// A packet is complete under its final name.
    Downloaded { packet: &'a Packet, path: &'a Path },
    /// A packet failed for good; nothing is at `path`.
    Failed {
        packet: &'a Packet,
        path: &'a Path,
        error: &'a DownloadError,
    },
}

/// Running totals, passed with every [`Event`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Packets listed (after de-duplication).
    pub packets: u64,
    /// Sum of the listed sizes.
    pub bytes: u64,
    pub downloaded: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Bytes received, retries included, plus the sizes of skipped packets.
    pub bytes_done: u64,
}

impl Progress {
    /// Packets finished one way or another.
    pub fn packets_done(&self) -> u64 {
        self.downloaded + self.skipped + self.failed
    }
}

type ProgressFn = dyn Fn(&Event<'_>, &Progress) + Send + Sync;

/// The outcome of a run that could list and write: some packets may still have failed.
#[derive(Debug, Default)]
pub struct Summary {
    /// Packets listed, after de-duplication.
    pub packets: u64,
    /// Listed entries dropped because another entry had the same URL path.
    pub duplicates: u64,
    pub downloaded: u64,
    pub skipped: u64,
    /// Bytes written by this run (decompressed bytes when decompressing).
    pub bytes_written: u64,
    /// Bytes received over the network, failed attempts included.
    pub bytes_received: u64,
    pub failed: Vec<Failure>,
}

/// A packet that could not be downloaded.
#[derive(Debug)]
pub struct Failure {
    pub packet: Packet,
    /// Where it would have been written.
    pub path: PathBuf,
    pub error: DownloadError,
}

impl Summary {
    /// Every listed packet is on disk.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

impl Client {
    /// Downloads every packet `request` (a [`DownloadL4LogsRequest`] or
    /// [`DownloadL7LogsRequest`]) lists, as `downloader` is set up; see [`crate::logs`].
    /// `Err` when the run could not list or write at all; per-packet failures are in
    /// [`Summary::failed`].
    pub async fn download_logs<R: LogListing>(
        &self,
        request: R,
        downloader: &Downloader,
    ) -> Result<Summary, DownloadError> {
        // Checked first: a bad directory should not wait for the listing.
        downloader.prepare_dir().await?;
        let packets: Vec<Packet> = self
            .paginate(request)
            .items()
            .map_ok(|item| R::packet(&item))
            .try_collect()
            .await
            .map_err(DownloadError::Listing)?;
        downloader.download_into_prepared(packets).await
    }
}

/// Downloads log packets into a directory: how, set by chained setters. Used by
/// [`Client::download_logs`], or alone with packets listed some other way ([`Downloader::download`]).
///
/// The limits that keep a misbehaving server from filling the disk or holding the run, and
/// their defaults: [`max_packet_size`](Self::max_packet_size) 4 GiB (and the listed `Size` +
/// [`SIZE_SLACK`] 64 KiB), [`max_decompressed_ratio`](Self::max_decompressed_ratio) 200×,
/// [`max_decompressed_size`](Self::max_decompressed_size) 16 GiB,
/// [`stall_timeout`](Self::stall_timeout) 30 s (for [`STALL_MIN_BYTES`] 1 KiB),
/// [`attempt_timeout`](Self::attempt_timeout) 15 min.
#[derive(Clone)]
pub struct Downloader {
    http: Option<reqwest::Client>,
    dir: PathBuf,
    concurrency: usize,
    decompress: bool,
    retry: RetryPolicy,
    progress: Option<Arc<ProgressFn>>,
    max_packet_size: u64,
    max_decompressed_ratio: u64,
    max_decompressed_size: u64,
    stall_timeout: Duration,
    attempt_timeout: Duration,
    record_digests: bool,
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

    /// Records each packet's SHA-256 beside it ([`digest_path`]) and takes a packet found in
    /// the directory as complete only when its content still has the digest recorded when it
    /// was downloaded (without this, a file of the listed size is complete). For a directory
    /// where packets wait to be stored elsewhere; that no one else can write there is the
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

    /// The most bytes read for one packet whose listed `Size` is missing or larger (at least
    /// 1); a packet with a smaller `Size` may have that plus [`SIZE_SLACK`]. Past it the attempt
    /// fails with [`DownloadError::TooLarge`]. Default [`DEFAULT_MAX_PACKET_SIZE`] (4 GiB).
    pub fn max_packet_size(mut self, bytes: u64) -> Self {
        self.max_packet_size = bytes.max(1);
        self
    }

    /// With [`decompress`](Self::decompress) (and when checking a packet against a listed
    /// decompressed size), decoding stops with [`DownloadError::DecompressedTooLarge`] past this
    /// many times the packet's length (1 MiB always allowed). Default
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

    /// An attempt that receives less than [`STALL_MIN_BYTES`] in this long (the response
    /// headers included) fails with [`DownloadError::Stalled`] and is retried, like the
    /// stalled-stream protection of other SDKs: a connection that trickles a byte now and then
    /// never hits a read timeout. Default [`DEFAULT_STALL_TIMEOUT`] (30 s); `Duration::MAX`
    /// turns it off.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// The longest one attempt may take from sending the request to the last byte received
    /// ([`DownloadError::Timeout`], retried); bounds a server that sends just fast enough not to
    /// stall. Default [`DEFAULT_ATTEMPT_TIMEOUT`] (15 min); `Duration::MAX` turns it off.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The bytes read at most for a packet listed with `size`.
    fn body_limit(&self, size: Option<u64>) -> u64 {
        size.map_or(self.max_packet_size, |size| size.saturating_add(SIZE_SLACK))
            .min(self.max_packet_size)
    }

    /// The bytes a packet of `compressed` bytes may decode to.
    fn decompressed_limit(&self, compressed: u64) -> u64 {
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

    /// Creates the directory and proves it writable.
    async fn prepare_dir(&self) -> Result<(), DownloadError> {
        let dir = self.dir.clone();
        blocking(move || {
            let io = |what, source| DownloadError::Io {
                path: dir.clone(),
                what,
                source,
            };
            // Private (0700) where it is created: packets hold visitors' addresses.
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(&dir)
                .map_err(|e| io("cannot create the directory", e))?;
            // Exclusive and unpredictable, like every file this module creates: a planted
            // symlink at a guessable name would be written through.
            let mut probe = AtomicFile::create(dir.join("teo-write-check"))
                .map_err(|e| io("cannot write to the directory", e.source))?;
            let written = probe.write_all(b"ok");
            let removed = probe.discard().map_err(|e| e.source);
            written
                .and(removed)
                .map_err(|e| io("cannot write to the directory", e))
        })
        .await
    }

    /// Downloads `packets` into the directory (an entry listed twice, once).
    pub async fn download(
        &self,
        packets: impl IntoIterator<Item = Packet>,
    ) -> Result<Summary, DownloadError> {
        self.prepare_dir().await?;
        self.download_into_prepared(packets).await
    }

    async fn download_into_prepared(
        &self,
        packets: impl IntoIterator<Item = Packet>,
    ) -> Result<Summary, DownloadError> {
        let http = match &self.http {
            Some(http) => http.clone(),
            None => reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
                .build()
                .map_err(|source| DownloadError::Transport {
                    url: "(building the HTTP client)".into(),
                    source,
                })?,
        };

        let mut summary = Summary::default();
        let (unique, duplicates) = assign_file_names(packets.into_iter().collect());
        summary.duplicates = duplicates;
        summary.packets = unique.len() as u64;
        let names: Vec<String> = unique.iter().map(|(name, _)| name.clone()).collect();
        let dir = self.dir.clone();
        blocking(move || {
            remove_stale_temp_files(&dir, &names);
            Ok(())
        })
        .await?;
        let run = Arc::new(Run {
            tracker: Tracker {
                callback: self.progress.clone(),
                totals: Mutex::new(Progress {
                    packets: summary.packets,
                    // Listed sizes are the server's word: summed without overflowing.
                    bytes: unique
                        .iter()
                        .filter_map(|(_, p)| p.size)
                        .fold(0, u64::saturating_add),
                    ..Progress::default()
                }),
                received: AtomicU64::new(0),
            },
            config: self.clone(),
            http,
            downloads: Semaphore::new(self.concurrency),
            finishing: Arc::default(),
        });
        run.tracker.report(&Event::Listed, |_| {});

        let mut results = stream::iter(unique)
            .map(|(file_name, packet)| Arc::clone(&run).fetch(file_name, packet))
            // Twice as many packets in progress as downloads: while one packet's file is being
            // synced and renamed (which for 8 MiB takes as long as fetching it), the next one
            // is already downloading in its slot.
            .buffer_unordered(self.concurrency.saturating_mul(2));
        // Dropping `results` on a fatal error cancels the downloads in flight; their
        // temporary files are removed as they are dropped.
        while let Some((packet, path, outcome)) = results.next().await {
            match outcome {
                Ok(Done::Skipped) => summary.skipped += 1,
                Ok(Done::Downloaded { written }) => {
                    summary.downloaded += 1;
                    summary.bytes_written = summary.bytes_written.saturating_add(written);
                }
                Err(DownloadError::Io { path, what, source }) if is_fatal_io(&source) => {
                    drop(results);
                    // The dropped downloads' blocking work ends by removing its temporary
                    // files: returned only then, the run leaves nothing partial behind.
                    run.finishing.settled(Duration::from_secs(60)).await;
                    return Err(DownloadError::Io { path, what, source });
                }
                Err(error) => {
                    run.tracker.report(
                        &Event::Failed {
                            packet: &packet,
                            path: &path,
                            error: &error,
                        },
                        |t| t.failed += 1,
                    );
                    summary.failed.push(Failure {
                        packet,
                        path,
                        error,
                    });
                }
            }
        }
        drop(results);
        summary.bytes_received = run.tracker.received();
        Ok(summary)
    }
}

/// Pairs each packet with its file name, dropping entries listed twice (the same URL path; the
/// query string is a signature that may differ between listings).
///
/// Names are unique in the run ignoring ASCII case, so no two packets share a file even on a
/// case-insensitive file system. Packets that are distinct but share a [`Packet::file_name`]
/// all get a suffix from a hash of their URL path, so their names do not depend on listing
/// order and stay the same in a rerun. Names can still meet — a `LogPacketName` crafted to
/// equal another packet's suffixed name, two paths with one hash — and those are settled in
/// URL path order (again independent of listing order) with a further suffix.
fn assign_file_names(packets: Vec<Packet>) -> (Vec<(String, Packet)>, u64) {
    use std::collections::{HashMap, HashSet};
    let mut seen_paths = HashSet::new();
    let mut duplicates = 0;
    let mut unique = Vec::with_capacity(packets.len());
    for packet in packets {
        if seen_paths.insert(url_path(&packet.url).to_owned()) {
            unique.push(packet);
        } else {
            duplicates += 1;
        }
    }
    let key = |name: &str| name.to_ascii_lowercase();
    let mut names: Vec<String> = unique.iter().map(Packet::file_name).collect();
    let mut sharing: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *sharing.entry(key(name)).or_default() += 1;
    }
    for (name, packet) in names.iter_mut().zip(&unique) {
        if sharing[&key(name)] > 1 {
            *name = with_suffix(name, &format!("{:016x}", fnv1a(url_path(&packet.url))));
        }
    }
    // Names now held by one packet only are settled; the rest go in URL path order, the first
    // keeping its name, each other one trying further suffixes until one is free.
    let mut count: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *count.entry(key(name)).or_default() += 1;
    }
    let mut taken: HashSet<String> = names
        .iter()
        .map(|name| key(name))
        .filter(|name| count[name] == 1)
        .collect();
    let mut contested: Vec<usize> = (0..names.len())
        .filter(|&i| count[&key(&names[i])] > 1)
        .collect();
    contested.sort_by(|&a, &b| url_path(&unique[a].url).cmp(url_path(&unique[b].url)));
    for i in contested {
        let path = url_path(&unique[i].url);
        let mut attempt = 0u32;
        let mut name = names[i].clone();
        while !taken.insert(key(&name)) {
            attempt += 1;
            name = with_suffix(
                &names[i],
                &format!("{:016x}", fnv1a(&format!("{path}#{attempt}"))),
            );
        }
        names[i] = name;
    }
    let named = names.into_iter().zip(unique).collect();
    (named, duplicates)
}

/// FNV-1a: a hash that stays the same across Rust versions, for file names.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the downloads of one run share.
struct Run {
    config: Downloader,
    http: reqwest::Client,
    tracker: Tracker,
    /// One permit per download in flight ([`Downloader::concurrency`]); held from the request
    /// until the bytes are written, not while they are synced to disk.
    downloads: Semaphore,
    /// Checks, syncs and renames running on blocking threads. They go on when their download
    /// is dropped (a thread cannot be stopped) and end by renaming or removing their temporary
    /// file; a run that stops early waits for them, so it never returns with one still there.
    finishing: Arc<Finishing>,
}

/// Counts blocking packet work in flight; see [`Run::finishing`].
#[derive(Default)]
struct Finishing {
    count: AtomicU64,
    idle: tokio::sync::Notify,
}

/// Held by one piece of blocking work; counts it out when dropped.
struct FinishingGuard(Arc<Finishing>);

impl Finishing {
    fn start(self: &Arc<Self>) -> FinishingGuard {
        self.count.fetch_add(1, Ordering::SeqCst);
        FinishingGuard(Arc::clone(self))
    }

    /// Waits until no blocking work is in flight, for at most `limit`.
    async fn settled(&self, limit: Duration) {
        let wait = async {
            loop {
                let idle = self.idle.notified();
                if self.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
    }
}

impl Drop for FinishingGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Run {
    /// One packet, with retries; also returns where it goes.
    async fn fetch(
        self: Arc<Self>,
        file_name: String,
        packet: Packet,
    ) -> (Packet, PathBuf, Result<Done, DownloadError>) {
        let target = match file_name.strip_suffix(".gz") {
            Some(log) if self.config.decompress => self.config.dir.join(log),
            _ => self.config.dir.join(&file_name),
        };
        let outcome = self.fetch_packet(&file_name, &target, &packet).await;
        (packet, target, outcome)
    }

    async fn fetch_packet(
        &self,
        file_name: &str,
        target: &Path,
        packet: &Packet,
    ) -> Result<Done, DownloadError> {
        let (config, tracker) = (&self.config, &self.tracker);
        if self.is_complete(target, packet).await {
            tracker.report(
                &Event::Skipped {
                    packet,
                    path: target,
                },
                |t| {
                    t.skipped += 1;
                    t.bytes_done = t.bytes_done.saturating_add(packet.size.unwrap_or(0));
                },
            );
            return Ok(Done::Skipped);
        }
        let retry = config.retry;
        let written = tc_runtime::retry::retry_loop(
            |_| self.attempt(packet, file_name, target),
            |attempt, error: &DownloadError| {
                if !error.retryable() || attempt >= retry.attempts() {
                    return None;
                }
                let delay = retry.delay(attempt);
                tracker.report(
                    &Event::Retrying {
                        packet,
                        path: target,
                        attempt,
                        delay,
                        error,
                    },
                    |_| {},
                );
                Some(delay)
            },
        )
        .await?;
        tracker.report(
            &Event::Downloaded {
                packet,
                path: target,
            },
            |t| t.downloaded += 1,
        );
        Ok(Done::Downloaded { written })
    }

    /// Only verified packets get their final name, so a file under it is complete unless
    /// something else changed it: a `.log.gz` must still match the listed size. A symbolic
    /// link is never complete (`symlink_metadata` does not follow it): it was not put there by
    /// a download, and the rename of the new file replaces the link, not what it points to.
    async fn is_complete(&self, target: &Path, packet: &Packet) -> bool {
        let meta = match tokio::fs::symlink_metadata(target).await {
            Ok(meta) if meta.file_type().is_file() => meta,
            _ => return false,
        };
        let digests = self.config.record_digests;
        if self.config.decompress && !digests {
            return true;
        }
        let (path, expected) = (target.to_owned(), packet.size);
        let decompress = self.config.decompress;
        let decode_limit = self.config.decompressed_limit(meta.len());
        blocking(move || {
            let sized = decompress
                || expected.is_none_or(|size| matches_size(&path, meta.len(), size, decode_limit));
            Ok(sized && (!digests || digest::matches(&path)))
        })
        .await
        .unwrap_or(false)
    }

    /// One attempt: stream to a temporary file, verify, (decompress), sync, rename. Returns the
    /// bytes written under the final name.
    async fn attempt(
        &self,
        packet: &Packet,
        file_name: &str,
        target: &Path,
    ) -> Result<u64, DownloadError> {
        let (config, tracker) = (&self.config, &self.tracker);
        let url = redact_url(&packet.url);
        let transport = |source: reqwest::Error| DownloadError::Transport {
            url: url.clone(),
            source: source.without_url(),
        };
        let slot = self
            .downloads
            .acquire()
            .await
            .map_err(|_| DownloadError::Cancelled)?;
        // The clocks start once the slot is ours: waiting for a slot is not the server's fault.
        let started = tokio::time::Instant::now();
        let deadline = later(started, config.attempt_timeout);
        let expired = |received| {
            if tokio::time::Instant::now() >= deadline {
                DownloadError::Timeout {
                    name: packet.name.clone(),
                    after: config.attempt_timeout,
                    received,
                }
            } else {
                DownloadError::Stalled {
                    name: packet.name.clone(),
                    after: config.stall_timeout,
                    received,
                }
            }
        };
        // No headers is no progress either.
        let wait = deadline.min(later(started, config.stall_timeout));
        let mut response = tokio::time::timeout_at(wait, self.http.get(&packet.url).send())
            .await
            .map_err(|_| expired(0))?
            .map_err(transport)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(DownloadError::HttpStatus {
                url,
                status: response.status().as_u16(),
            });
        }
        let limit = config.body_limit(packet.size);
        let too_large = || DownloadError::TooLarge {
            name: packet.name.clone(),
            limit,
            listed: packet.size,
        };
        // A declared length past the limit fails before a byte is read.
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large());
        }
        let dir = config.dir.clone();
        let io = move |path: &Path, what| {
            let path = path.to_owned();
            move |source| DownloadError::Io { path, what, source }
        };
        // Created here, not through `tokio::fs` (a blocking thread): were this future dropped
        // while such a create was in flight, `part` would be dropped (and removed) before the
        // file existed, and the thread would then leave an orphan temporary file behind.
        let part = AtomicFile::create(dir.join(file_name)).map_err(fs_error)?;
        // Written through a clone of its descriptor by the async runtime; `part` keeps the name,
        // and syncs and renames (or removes) it.
        let file = part
            .as_file()
            .try_clone()
            .map_err(io(part.temp_path(), "cannot write"))?;
        let file = tokio::fs::File::from_std(file);
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut received = 0u64;
        // The digest of the bytes as they arrive (a packet kept as served): what is recorded
        // is what was received, without reading the file again.
        let mut hasher =
            (config.record_digests && !config.decompress).then(digest::Hasher::default);
        // Bytes since the stall clock last restarted, and when it did.
        let (mut window_bytes, mut window_start) = (0u64, started);
        loop {
            let wait = deadline.min(later(window_start, config.stall_timeout));
            let chunk = tokio::time::timeout_at(wait, response.chunk())
                .await
                .map_err(|_| expired(received))?
                .map_err(transport)?;
            let Some(chunk) = chunk else { break };
            let len = chunk.len() as u64;
            received = received.saturating_add(len);
            tracker.received.fetch_add(len, Ordering::Relaxed);
            tracker.report(&Event::Received { packet, bytes: len }, |t| {
                t.bytes_done = t.bytes_done.saturating_add(len)
            });
            // Checked before writing: nothing past the limit reaches the disk.
            if received > limit {
                return Err(too_large());
            }
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk);
            }
            file.write_all(&chunk)
                .await
                .map_err(io(part.temp_path(), "cannot write"))?;
            window_bytes += len;
            if window_bytes >= STALL_MIN_BYTES {
                (window_bytes, window_start) = (0, tokio::time::Instant::now());
            }
        }
        file.flush()
            .await
            .map_err(io(part.temp_path(), "cannot write"))?;
        // Every write has landed once the clone is back from the runtime.
        drop(file.into_inner().into_std().await);
        drop(slot);

        let name = packet.name.clone();
        let expected = packet.size;
        let decompress = config.decompress;
        let decode_limit = config.decompressed_limit(received);
        let target = target.to_owned();
        let digests = config.record_digests;
        // Checking, decoding and syncing block; they run off the async threads.
        let finishing = self.finishing.start();
        let part = blocking(move || {
            let _finishing = finishing;
            if let Some(expected) = expected {
                if !matches_size(part.temp_path(), received, expected, decode_limit) {
                    return Err(DownloadError::SizeMismatch {
                        name,
                        expected,
                        received,
                    });
                }
            }
            // Synced, renamed over the target (a link there replaced, not followed), the
            // directory synced: the name survives a crash and always holds a whole file.
            let written = if decompress {
                let mut out = AtomicFile::create(&target).map_err(fs_error)?;
                let written = gunzip_into(part.temp_path(), &mut out, &name, decode_limit)?;
                drop(part);
                out.commit().map_err(fs_error)?;
                written
            } else {
                part.commit().map_err(fs_error)?;
                received
            };
            if digests {
                // Decompressed, the file is not the bytes received: hashed as written.
                let digest = match hasher {
                    Some(hasher) => Ok(hasher.hex()),
                    None => digest::sha256_file(&target),
                };
                digest
                    .and_then(|digest| digest::record(&target, &digest))
                    .map_err(io(&target, "cannot record the digest of"))?;
            }
            Ok(written)
        })
        .await?;
        Ok(part)
    }
}

/// `at + by`, or a century on for a timeout too long to add (`Duration::MAX`: no limit).
fn later(at: tokio::time::Instant, by: Duration) -> tokio::time::Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(at)
}

enum Done {
    Skipped,
    Downloaded { written: u64 },
}

/// The totals behind the progress callback.
struct Tracker {
    callback: Option<Arc<ProgressFn>>,
    totals: Mutex<Progress>,
    /// Bytes received over the network (`Progress::bytes_done` also counts skipped packets).
    received: AtomicU64,
}

impl Tracker {
    fn report(&self, event: &Event<'_>, update: impl FnOnce(&mut Progress)) {
        let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        update(&mut totals);
        let snapshot = *totals;
        drop(totals);
        if let Some(callback) = &self.callback {
            callback(event, &snapshot);
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// Removes temporary files of `names` (`.<name>.part` of earlier versions, `.<name>.<16
/// hex>.part`) that a killed run left behind. Only those untouched for [`STALE_TEMP_AGE`]:
/// a younger one may be another run's download in progress. Best effort: a file that cannot
/// be read or removed is left.
fn remove_stale_temp_files(dir: &Path, names: &[String]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut wanted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let logs: Vec<&str> = names.iter().filter_map(|n| n.strip_suffix(".gz")).collect();
    wanted.extend(logs);
    // Digest records being written (`.<packet>.sha256.<random>.part`, see `digest`).
    let digests: Vec<String> = names.iter().map(|n| format!("{n}.sha256")).collect();
    wanted.extend(digests.iter().map(String::as_str));
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        if !temporary_target(&file_name).is_some_and(|packet| wanted.contains(packet)) {
            continue;
        }
        // `DirEntry::metadata` does not follow symlinks; removing a link removes the link.
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| {
                now.duration_since(modified)
                    .is_ok_and(|age| age > STALE_TEMP_AGE)
            });
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A step of an [`AtomicFile`] that failed, as the run reports it.
fn fs_error(error: FsError) -> DownloadError {
    DownloadError::Io {
        path: error.path,
        what: error.what,
        source: error.source,
    }
}

/// Decodes the gzip file at `from` into `output` (not yet synced); returns the decoded length.
/// Stops with [`DownloadError::DecompressedTooLarge`] past `limit` bytes.
fn gunzip_into(
    from: &Path,
    output: &mut AtomicFile,
    name: &str,
    limit: u64,
) -> Result<u64, DownloadError> {
    let to = &output.temp_path().to_owned();
    let io = |path: &Path, what| {
        let path = path.to_owned();
        move |source| DownloadError::Io { path, what, source }
    };
    let input = std::fs::File::open(from).map_err(io(from, "cannot read"))?;
    let compressed = input.metadata().map_err(io(from, "cannot read"))?.len();
    let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    let mut writer = io::BufWriter::with_capacity(WRITE_BUFFER, output);
    let mut buffer = vec![0; 64 << 10];
    let mut written = 0u64;
    loop {
        let n = match decoder.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(DownloadError::Corrupt {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })
            }
        };
        written = written.saturating_add(n as u64);
        // Checked before writing: the disk never holds more than the limit.
        if written > limit {
            return Err(DownloadError::DecompressedTooLarge {
                name: name.to_owned(),
                limit,
                compressed,
            });
        }
        writer
            .write_all(&buffer[..n])
            .map_err(io(to, "cannot write"))?;
    }
    writer.into_inner().map_err(|e| DownloadError::Io {
        path: to.to_owned(),
        what: "cannot write",
        source: e.into_error(),
    })?;
    Ok(written)
}

/// Whether the packet file at `path`, `len` bytes long, has the listed size: its length, or —
/// as DownloadL7Logs documents `Size` as the "original" size — its decompressed length. Decodes
/// at most `expected + 1` bytes (enough to tell) and never past `decode_limit`.
fn matches_size(path: &Path, len: u64, expected: u64, decode_limit: u64) -> bool {
    if len == expected {
        return true;
    }
    if expected > decode_limit {
        return false;
    }
    let Ok(input) = std::fs::File::open(path) else {
        return false;
    };
    let decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    io::copy(
        &mut decoder.take(expected.saturating_add(1)),
        &mut io::sink(),
    )
    .is_ok_and(|decoded| decoded == expected)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DownloadError> + Send + 'static,
) -> Result<T, DownloadError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or(Err(DownloadError::Cancelled))
}
