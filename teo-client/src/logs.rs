//! Log download: every packet DownloadL4Logs / DownloadL7Logs lists for a time range, fetched to a
//! directory.
//!
//! # Example
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
//! let report = client
//!     .download_logs(request, &Downloader::new("logs/").concurrency(6))
//!     .await?;
//! println!("{} downloaded, {} already there", report.downloaded, report.skipped);
//! # Ok(()) }
//! ```
//!
//! # How a run goes, and why
//!
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
//!   through a fixed-size buffer (memory does not grow with packet size), then checked against the
//!   listed `Size`, synced to disk and renamed, the directory synced: a file under its final name
//!   is always whole, and two runs into one directory each rename their own whole file. Syncing
//!   does not hold a download slot, so the network stays busy while the disk catches up. A
//!   temporary file is removed when its download fails or is dropped; one left by a killed process
//!   is removed by a later run once it is a day old.
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
//!   packet does not stop the others; the [`DownloadReport`] lists it.
//! - Errors of the directory itself (permission denied, read-only file system, disk full) stop
//!   the whole run with [`DownloadError::Io`], and every temporary file is removed.
//!
//! # Secrets
//!
//! Packet URLs carry a signature in their query string; it is never shown in `Debug`, errors or
//! logs.
//!
//! # Files
//!
//! The module's files, one concern each: listing entries as packets
//! (`packet.rs`), their file names (`names.rs`), the [`Downloader`] and its limits
//! (`options.rs`), a run over many packets (`run.rs`), one attempt at one packet (`attempt.rs`)
//! and its blocking end (`finish.rs`), errors (`error.rs`), progress events (`progress.rs`),
//! the outcome (`outcome.rs`), digests (`digest.rs`).

mod attempt;
mod digest;
mod error;
mod finish;
mod limits;
mod names;
mod options;
mod outcome;
mod packet;
mod progress;
mod run;

pub use digest::{digest_path, remove_with_digest, sha256_file};
pub use error::DownloadError;
pub use limits::{SIZE_SLACK, STALL_MIN_BYTES};
pub use options::{
    Downloader, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONCURRENCY, DEFAULT_MAX_DECOMPRESSED_RATIO,
    DEFAULT_MAX_DECOMPRESSED_SIZE, DEFAULT_MAX_PACKET_SIZE, DEFAULT_STALL_TIMEOUT,
};
pub use outcome::{DownloadReport, FailedPacket};
pub use packet::{LogListing, Packet};
pub use progress::{Event, Progress};
