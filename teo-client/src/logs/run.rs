//! A run: the output directory prepared, the packets named, stale temporary files swept, then
//! the packets fetched `concurrency` at a time — each skipped when complete already, else
//! attempted with retries ([`attempt`](super::attempt)) — into a [`DownloadReport`]; a failure of the
//! directory stops the run and waits for blocking work to clean up.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use tc_runtime::fs::{temporary_target, AtomicFile};
use tokio::sync::Semaphore;

use super::digest;
use super::error::{is_fatal_io, DownloadError};
use super::finish::matches_size;
use super::names::assign_file_names;
use super::options::Downloader;
use super::outcome::{Done, DownloadReport, FailedPacket};
use super::packet::{LogListing, Packet};
use super::progress::{Event, Progress, Tracker};
use crate::Client;

/// A temporary file untouched for this long belongs to no live download (an attempt is
/// bounded by its timeout) and is removed by the next run that wants its packet.
const STALE_TEMP_AGE: Duration = Duration::from_secs(24 * 60 * 60);

impl Client {
    /// Downloads every packet `request` (a
    /// [`DownloadL4LogsRequest`](crate::models::DownloadL4LogsRequest) or
    /// [`DownloadL7LogsRequest`](crate::models::DownloadL7LogsRequest)) lists, as `downloader` is
    /// set up; see [`crate::logs`]. `Err` when the run could not list or write at all; per-packet
    /// failures are in [`DownloadReport::failed`].
    pub async fn download_logs<R: LogListing>(
        &self,
        request: R,
        downloader: &Downloader,
    ) -> Result<DownloadReport, DownloadError> {
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

impl Downloader {
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
    ) -> Result<DownloadReport, DownloadError> {
        self.prepare_dir().await?;
        self.download_into_prepared(packets).await
    }

    async fn download_into_prepared(
        &self,
        packets: impl IntoIterator<Item = Packet>,
    ) -> Result<DownloadReport, DownloadError> {
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

        let mut summary = DownloadReport::default();
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
                    summary.failed.push(FailedPacket {
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

/// What the downloads of one run share.
pub(super) struct Run {
    pub(super) config: Downloader,
    pub(super) http: reqwest::Client,
    pub(super) tracker: Tracker,
    /// One permit per download in flight ([`Downloader::concurrency`]); held from the request
    /// until the bytes are written, not while they are synced to disk.
    pub(super) downloads: Semaphore,
    /// Checks, syncs and renames running on blocking threads. They go on when their download
    /// is dropped (a thread cannot be stopped) and end by renaming or removing their temporary
    /// file; a run that stops early waits for them, so it never returns with one still there.
    pub(super) finishing: Arc<Finishing>,
}

/// Counts blocking packet work in flight; see [`Run::finishing`].
#[derive(Default)]
pub(super) struct Finishing {
    count: AtomicU64,
    idle: tokio::sync::Notify,
}

/// Held by one piece of blocking work; counts it out when dropped.
pub(super) struct FinishingGuard(Arc<Finishing>);

impl Finishing {
    pub(super) fn start(self: &Arc<Self>) -> FinishingGuard {
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

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, DownloadError> + Send + 'static,
) -> Result<T, DownloadError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or(Err(DownloadError::Cancelled))
}
