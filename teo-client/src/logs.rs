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
//! - Packets are listed through the paginator (largest pages, repeated pages refused); an entry
//!   listed twice (same URL path) is downloaded once. Files are named
//!   `<LogPacketName>_<Area>.log.gz` (the area keeps a mainland and an overseas packet of the
//!   same hour apart), reduced to `[A-Za-z0-9._-]`; distinct packets that would share a name get
//!   a suffix from their URL path.
//! - A packet whose file is already complete is skipped, so a rerun resumes where an earlier
//!   run stopped. Complete means: present under its final name, which only a verified packet
//!   ever gets, with the listed size (`.log.gz`), or present at all (`.log`, decompressed).
//! - Packets are fetched `concurrency` at a time and streamed to a temporary `.<file>.part` in
//!   the same directory through a fixed-size buffer (memory does not grow with packet size),
//!   then checked against the listed `Size`, synced to disk and renamed: a file under its final
//!   name is always whole. Syncing does not hold a download slot, so the network stays busy
//!   while the disk catches up. A temporary file is removed when its download fails or is dropped.
//! - `Size` is the packet's byte length; DownloadL7Logs documents it as the "original" size, so
//!   a packet whose decompressed length equals `Size` is accepted too.
//! - With [`Downloader::decompress`], the gzip stream (CRC and length included) is decoded into
//!   `<name>.log` (JSON lines); a corrupt packet fails its attempt.
//! - A failed attempt (connection error, HTTP 5xx/429, short or corrupt body) is retried with
//!   exponential backoff and full jitter; other HTTP statuses fail the packet at once. A failed
//!   packet does not stop the others; the [`Summary`] lists it.
//! - Errors of the directory itself (permission denied, read-only file system, disk full) stop
//!   the whole run with [`DownloadError::Io`], and every temporary file is removed.
//!
//! Packet URLs carry a signature in their query string; it is never shown in `Debug`, errors or
//! logs.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt, TryStreamExt};
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

/// A listing action whose items are log packets: DownloadL4Logs or DownloadL7Logs.
pub trait LogListing: Paginated {
    fn packet(item: &Self::Item) -> Packet;
}

impl LogListing for DownloadL4LogsRequest {
    fn packet(log: &Self::Item) -> Packet {
        Packet {
            name: log.log_packet_name.clone(),
            url: log.url.clone(),
            size: u64::try_from(log.size).ok(),
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
            size: u64::try_from(log.size).ok(),
            area: log.area.clone(),
            source: log.domain.clone(),
            start: log.log_start_time.clone(),
            end: log.log_end_time.clone(),
        }
    }
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
    /// `<LogPacketName>_<Area>.log.gz`, every byte outside `[A-Za-z0-9._-]` replaced by `_`.
    /// Falls back to the last segment of the URL path when the name is empty.
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
        // Never hidden (temporary files are), never `.` or `..`.
        if safe.starts_with('.') || safe.is_empty() {
            safe.insert(0, '_');
        }
        safe + ".log.gz"
    }
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
            DownloadError::Transport { .. }
            | DownloadError::SizeMismatch { .. }
            | DownloadError::Corrupt { .. } => true,
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
#[derive(Clone)]
pub struct Downloader {
    http: Option<reqwest::Client>,
    dir: PathBuf,
    concurrency: usize,
    decompress: bool,
    retry: RetryPolicy,
    progress: Option<Arc<ProgressFn>>,
}

impl fmt::Debug for Downloader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Downloader")
            .field("dir", &self.dir)
            .field("concurrency", &self.concurrency)
            .field("decompress", &self.decompress)
            .field("retry", &self.retry)
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
        }
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
            std::fs::create_dir_all(&dir).map_err(|e| io("cannot create the directory", e))?;
            let probe = dir.join(format!(".teo-write-check-{}", std::process::id()));
            std::fs::File::create(&probe)
                .and_then(|mut f| f.write_all(b"ok"))
                .map_err(|e| {
                    let _ = std::fs::remove_file(&probe);
                    io("cannot write to the directory", e)
                })?;
            std::fs::remove_file(&probe).map_err(|e| io("cannot write to the directory", e))
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
        let run = Arc::new(Run {
            tracker: Tracker {
                callback: self.progress.clone(),
                totals: Mutex::new(Progress {
                    packets: summary.packets,
                    bytes: unique.iter().filter_map(|(_, p)| p.size).sum(),
                    ..Progress::default()
                }),
                received: AtomicU64::new(0),
            },
            config: self.clone(),
            http,
            downloads: Semaphore::new(self.concurrency),
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
                    summary.bytes_written += written;
                }
                Err(DownloadError::Io { path, what, source }) if is_fatal_io(&source) => {
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
/// query string is a signature that may differ between listings). Packets that are distinct
/// but share a [`Packet::file_name`] all get a suffix from a hash of their URL path, so their
/// names do not depend on listing order and stay the same in a rerun.
fn assign_file_names(packets: Vec<Packet>) -> (Vec<(String, Packet)>, u64) {
    use std::collections::{HashMap, HashSet};
    let mut paths_by_name: HashMap<String, HashSet<&str>> = HashMap::new();
    for packet in &packets {
        paths_by_name
            .entry(packet.file_name())
            .or_default()
            .insert(url_path(&packet.url));
    }
    let shared: HashSet<String> = paths_by_name
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, _)| name)
        .collect();
    let mut seen_paths = HashSet::new();
    let mut duplicates = 0;
    let mut named = Vec::with_capacity(packets.len());
    for packet in &packets {
        if !seen_paths.insert(url_path(&packet.url).to_owned()) {
            duplicates += 1;
            continue;
        }
        let mut name = packet.file_name();
        if shared.contains(&name) {
            let stem = name.trim_end_matches(".log.gz");
            name = format!("{stem}-{:08x}.log.gz", fnv1a(url_path(&packet.url)) as u32);
        }
        named.push((name, packet.clone()));
    }
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
                    t.bytes_done += packet.size.unwrap_or(0);
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
    /// something else changed it: a `.log.gz` must still match the listed size.
    async fn is_complete(&self, target: &Path, packet: &Packet) -> bool {
        let meta = match tokio::fs::metadata(target).await {
            Ok(meta) if meta.is_file() => meta,
            _ => return false,
        };
        if self.config.decompress {
            return true;
        }
        let (path, expected) = (target.to_owned(), packet.size);
        blocking(move || Ok(expected.is_none_or(|size| matches_size(&path, meta.len(), size))))
            .await
            .unwrap_or(false)
    }

    /// One attempt: stream to `.<file>.part`, verify, (decompress), sync, rename. Returns the
    /// bytes written under the final name.
    async fn attempt(
        &self,
        packet: &Packet,
        file_name: &str,
        target: &Path,
    ) -> Result<u64, DownloadError> {
        let tracker = &self.tracker;
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
        let mut response = self.http.get(&packet.url).send().await.map_err(transport)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(DownloadError::HttpStatus {
                url,
                status: response.status().as_u16(),
            });
        }
        let part = TempFile::new(temp_path(&self.config.dir.join(file_name)));
        let part_path = part.path.clone();
        let io = move |what| {
            let path = part_path.clone();
            move |source| DownloadError::Io { path, what, source }
        };
        // Created here, not through `tokio::fs` (a blocking thread): were this future dropped
        // while such a create was in flight, `part` would be dropped (and removed) before the
        // file existed, and the thread would then leave an orphan `.part` file behind.
        let file = std::fs::File::create(&part.path).map_err(io("cannot create"))?;
        let file = tokio::fs::File::from_std(file);
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut received = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            file.write_all(&chunk).await.map_err(io("cannot write"))?;
            received += chunk.len() as u64;
            tracker
                .received
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            tracker.report(
                &Event::Received {
                    packet,
                    bytes: chunk.len() as u64,
                },
                |t| t.bytes_done += chunk.len() as u64,
            );
        }
        file.flush().await.map_err(io("cannot write"))?;
        let file = file.into_inner().into_std().await;
        drop(slot);

        let name = packet.name.clone();
        let expected = packet.size;
        let decompress = self.config.decompress;
        let target = target.to_owned();
        // Checking, decoding and syncing block; they run off the async threads.
        let part = blocking(move || {
            let mut part = part;
            if let Some(expected) = expected {
                if !matches_size(&part.path, received, expected) {
                    return Err(DownloadError::SizeMismatch {
                        name,
                        expected,
                        received,
                    });
                }
            }
            let written = if decompress {
                let out = TempFile::new(temp_path(&target));
                let written = gunzip_into(&part.path, &out.path, &name)?;
                part = out;
                written
            } else {
                file.sync_all().map_err(io("cannot sync"))?;
                received
            };
            drop(file);
            part.commit(&target)?;
            Ok(written)
        })
        .await?;
        Ok(part)
    }
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

/// `.<name>.part` beside `path`: hidden, and on the same file system so the rename is atomic.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.part"))
}

/// A temporary file, removed when dropped unless renamed to its final name.
struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl TempFile {
    fn new(path: PathBuf) -> TempFile {
        TempFile {
            path,
            committed: false,
        }
    }

    /// Renames the (synced) file to `target` and syncs the directory, so the new name survives
    /// a crash.
    fn commit(mut self, target: &Path) -> Result<(), DownloadError> {
        let io = |what, source| DownloadError::Io {
            path: target.to_owned(),
            what,
            source,
        };
        std::fs::rename(&self.path, target).map_err(|e| io("cannot rename into place", e))?;
        self.committed = true;
        if let Some(dir) = target.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io("cannot sync the directory", e))?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Decodes the gzip file at `from` into `to` (synced); returns the decoded length.
fn gunzip_into(from: &Path, to: &Path, name: &str) -> Result<u64, DownloadError> {
    let io = |path: &Path, what| {
        let path = path.to_owned();
        move |source| DownloadError::Io { path, what, source }
    };
    let input = std::fs::File::open(from).map_err(io(from, "cannot read"))?;
    let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    let output = std::fs::File::create(to).map_err(io(to, "cannot create"))?;
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
        writer
            .write_all(&buffer[..n])
            .map_err(io(to, "cannot write"))?;
        written += n as u64;
    }
    let output = writer.into_inner().map_err(|e| DownloadError::Io {
        path: to.to_owned(),
        what: "cannot write",
        source: e.into_error(),
    })?;
    output.sync_all().map_err(io(to, "cannot sync"))?;
    Ok(written)
}

/// Whether the packet file at `path`, `len` bytes long, has the listed size: its length, or —
/// as DownloadL7Logs documents `Size` as the "original" size — its decompressed length.
fn matches_size(path: &Path, len: u64, expected: u64) -> bool {
    if len == expected {
        return true;
    }
    let Ok(input) = std::fs::File::open(path) else {
        return false;
    };
    let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    io::copy(&mut decoder, &mut io::sink()).is_ok_and(|decoded| decoded == expected)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DownloadError> + Send + 'static,
) -> Result<T, DownloadError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or(Err(DownloadError::Cancelled))
}
