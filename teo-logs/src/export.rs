//! Download straight into a dataset or an object store: packets are fetched by
//! [`teo_client::logs::Downloader`] (every limit, retry and check of a plain download) into a
//! local staging directory, and each is converted (or uploaded as it is) as soon as it is
//! complete, on blocking threads beside the downloads, then removed from the staging directory.
//!
//! Nothing is fetched that the target already holds: a dataset's converted packets (its
//! markers, see [`crate::dataset`]), or a packet object of the listed size. A packet left in
//! the staging directory by an interrupted run is used without being fetched again only if it
//! still has the SHA-256 recorded when it was downloaded; the staging directory must be
//! private (see [`crate::staging`]).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use teo_client::logs::{
    remove_with_digest, DownloadError, DownloadReport, Downloader, Event, LogListing, Packet,
    Progress,
};
use teo_client::Client;
use tokio::sync::{mpsc, Semaphore};

use crate::dataset::{ConvertError, ConvertOptions, ConvertReport, Dataset};
use crate::destination::Destination;
use crate::Kind;

/// Where an export puts the packets.
#[derive(Debug, Clone)]
pub enum Target {
    /// Converted into a dataset, under a `zone=` partition (Hive's null without one).
    Dataset {
        /// The dataset written to.
        dataset: Dataset,
        /// The kind of the packets' records (the `kind=` partition).
        kind: Kind,
        /// The `zone=` partition; `None` writes Hive's default (null) partition.
        zone: Option<String>,
    },
    /// As served (`<name>.log.gz`, the name a download gives it) at a destination.
    Packets(Destination),
}

/// What an export did: the download's own summary and what became of each packet.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// Packets listed.
    pub listed: u64,
    /// Packets the target already held (not downloaded).
    pub already_there: u64,
    /// The download of the others.
    pub download: DownloadReport,
    /// Packets converted or uploaded by this run.
    pub stored: u64,
    /// Records converted (datasets).
    pub records: u64,
    /// Lines of the packets that could not be read as records (datasets).
    pub bad_lines: u64,
    /// The first bad lines, `file:line: reason`.
    pub bad: Vec<String>,
    /// Bytes written to the target.
    pub bytes_written: u64,
    /// Packets downloaded but not stored, with why (the staged packet is kept).
    pub failed: Vec<(PathBuf, ConvertError)>,
}

impl ExportReport {
    /// Every listed packet is in the target.
    pub fn is_complete(&self) -> bool {
        self.download.is_complete() && self.failed.is_empty()
    }
}

/// The packet's file name, as a download gives it and as an upload keeps it.
fn packet_path(packet: &Packet) -> PathBuf {
    PathBuf::from(packet.file_name())
}

impl Target {
    /// Whether the target holds the packet already. Blocks.
    fn holds(&self, packet: &Packet) -> bool {
        match self {
            Target::Dataset {
                dataset,
                kind,
                zone,
            } => dataset.holds_packet(*kind, zone.as_deref(), &packet.file_name()),
            // Complete means the listed size (an upload is visible only when whole).
            Target::Packets(dest) => match (dest.size(&packet_path(packet)), packet.size) {
                (Ok(Some(have)), Some(listed)) => have == listed,
                (Ok(Some(_)), None) => true,
                _ => false,
            },
        }
    }

    /// Stores the staged packet at `path`. Blocks.
    fn store(&self, path: &Path) -> Result<ConvertReport, ConvertError> {
        match self {
            Target::Dataset {
                dataset,
                kind,
                zone,
            } => {
                let mut options = ConvertOptions::default().kind(*kind);
                options.zone.clone_from(zone);
                dataset.convert_file(path, options)
            }
            Target::Packets(dest) => {
                let name = PathBuf::from(path.file_name().unwrap_or_default());
                let io_error = |source| ConvertError::Io {
                    path: dest.name(&name),
                    source,
                };
                let mut input = File::open(path).map_err(|source| ConvertError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                let mut out = dest.create(&name)?;
                let bytes = copy(&mut input, &mut out).map_err(io_error)?;
                out.commit().map_err(io_error)?;
                Ok(ConvertReport {
                    bytes_written: bytes,
                    files: vec![name],
                    ..ConvertReport::default()
                })
            }
        }
    }
}

/// Copies through a fixed buffer (an upload buffers its own part).
fn copy(input: &mut impl Read, out: &mut impl Write) -> io::Result<u64> {
    let mut buf = vec![0; 1 << 20];
    let mut total = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Lists what `request` names, downloads what `target` lacks into `downloader`'s directory
/// (the staging directory) and stores each packet as it completes. `progress` sees the
/// download's events.
pub async fn export<R: LogListing>(
    client: &Client,
    request: R,
    target: &Target,
    downloader: Downloader,
    progress: impl Fn(&Event<'_>, &Progress) + Send + Sync + 'static,
) -> Result<ExportReport, DownloadError> {
    let listed: Vec<Packet> = client
        .paginate(request)
        .items()
        .map_ok(|item| R::packet(&item))
        .try_collect()
        .await
        .map_err(DownloadError::Listing)?;
    let mut summary = ExportReport {
        listed: listed.len() as u64,
        ..ExportReport::default()
    };
    // Asking the target may block (an object store's HEAD): off the async threads.
    let checker = target.clone();
    let wanted: Vec<Packet> = tokio::task::spawn_blocking(move || {
        listed.into_iter().filter(|p| !checker.holds(p)).collect()
    })
    .await
    .unwrap_or_default();
    summary.already_there = summary.listed - wanted.len() as u64;
    if wanted.is_empty() {
        return Ok(summary);
    }
    let staging = downloader.dir().to_owned();
    crate::staging::prepare(&staging).map_err(|e| e.into_download_error(&staging))?;
    let downloader = downloader.record_digests(true);

    // Complete packets go from the progress callback (synchronous) to the storers. `None`
    // ends the stream: sent here once the download returns (the callback may outlive it
    // inside the downloader, so the channel's closing cannot be waited for).
    let (ready, mut complete) = mpsc::unbounded_channel::<Option<PathBuf>>();
    let end = ready.clone();
    let downloader = downloader.on_progress(move |event, totals| {
        if let Event::Downloaded { path, .. } | Event::Skipped { path, .. } = event {
            let _ = ready.send(Some(path.to_path_buf()));
        }
        progress(event, totals);
    });
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let storers = {
        let target = target.clone();
        let results = results.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(workers));
            let mut tasks = Vec::new();
            while let Some(Some(path)) = complete.recv().await {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let target = target.clone();
                let results = results.clone();
                tasks.push(tokio::task::spawn_blocking(move || {
                    let outcome = target.store(&path);
                    if outcome.is_ok() {
                        let _ = remove_with_digest(&path);
                    }
                    if let Ok(mut results) = results.lock() {
                        results.push((path, outcome));
                    }
                    drop(slot);
                }));
            }
            for task in tasks {
                let _ = task.await;
            }
        })
    };
    let download = downloader.download(wanted).await;
    let _ = end.send(None);
    let _ = storers.await;
    summary.download = download?;

    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    for (path, outcome) in results {
        match outcome {
            Ok(report) if report.skipped => summary.already_there += 1,
            Ok(report) => {
                summary.stored += 1;
                summary.records += report.records;
                summary.bad_lines += report.bad_lines;
                summary.bytes_written += report.bytes_written;
                let room = 20usize.saturating_sub(summary.bad.len());
                summary.bad.extend(report.bad.into_iter().take(room));
            }
            Err(error) => summary.failed.push((path, error)),
        }
    }
    Ok(summary)
}
