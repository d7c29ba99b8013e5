//! Download straight into a dataset: packets are fetched by [`teo_client::logs::Downloader`]
//! (every limit, retry and check of a plain download) into a staging directory and each is
//! converted as soon as it is complete, on blocking threads beside the downloads, then removed.
//!
//! Packets a dataset already holds (its markers, see [`crate::dataset`]) are not downloaded
//! again; a packet left in the staging directory by an interrupted run is converted without
//! being fetched again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use teo_client::logs::{DownloadError, Downloader, Event, LogListing, Progress, Summary};
use teo_client::Client;
use tokio::sync::{mpsc, Semaphore};

use crate::dataset::{output_stem, ConvertError, ConvertReport, Dataset};
use crate::Kind;

/// What an export did: the download's own summary and the conversions.
#[derive(Debug, Default)]
pub struct ExportSummary {
    /// Packets listed.
    pub listed: u64,
    /// Packets the dataset already held (not downloaded).
    pub already_converted: u64,
    /// The download of the others.
    pub download: Summary,
    /// Packets converted by this run.
    pub converted: u64,
    pub records: u64,
    pub bad_lines: u64,
    /// The first bad lines, `file:line: reason`.
    pub bad: Vec<String>,
    /// Bytes written into the dataset.
    pub bytes_written: u64,
    /// Packets downloaded but not converted, with why (the staged packet is kept).
    pub failed: Vec<(PathBuf, ConvertError)>,
}

impl ExportSummary {
    /// Every listed packet is in the dataset.
    pub fn is_complete(&self) -> bool {
        self.download.is_complete() && self.failed.is_empty()
    }
}

/// Lists what `request` names, downloads what `dataset` lacks into `downloader`'s directory
/// (the staging directory) and converts each packet into `dataset` under `zone` as it
/// completes. `progress` sees the download's events.
pub async fn export<R: LogListing>(
    client: &Client,
    request: R,
    kind: Kind,
    zone: Option<&str>,
    dataset: &Dataset,
    downloader: Downloader,
    progress: impl Fn(&Event<'_>, &Progress) + Send + Sync + 'static,
) -> Result<ExportSummary, DownloadError> {
    let listed: Vec<_> = client
        .paginate(request)
        .items()
        .map_ok(|item| R::packet(&item))
        .try_collect()
        .await
        .map_err(DownloadError::Listing)?;
    let mut summary = ExportSummary {
        listed: listed.len() as u64,
        ..ExportSummary::default()
    };
    let wanted: Vec<_> = listed
        .into_iter()
        .filter(|p| {
            let stem = output_stem(Path::new(&p.file_name()));
            let done = dataset.is_converted(kind, zone, &stem);
            summary.already_converted += u64::from(done);
            !done
        })
        .collect();
    if wanted.is_empty() {
        return Ok(summary);
    }

    // Complete packets go from the progress callback (synchronous) to the converters.
    // `None` ends the stream: sent by this function once the download returns (the callback
    // may outlive it inside the downloader, so the channel's closing cannot be waited for).
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
    let converters = {
        let dataset = dataset.clone();
        let zone = zone.map(str::to_owned);
        let results = results.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(workers));
            let mut tasks = Vec::new();
            while let Some(Some(path)) = complete.recv().await {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let dataset = dataset.clone();
                let zone = zone.clone();
                let results = results.clone();
                tasks.push(tokio::task::spawn_blocking(move || {
                    let outcome = dataset.convert_file(&path, Some(kind), zone.as_deref());
                    if outcome.is_ok() {
                        let _ = std::fs::remove_file(&path);
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
    // The converters finish the packets already sent, then stop.
    let _ = end.send(None);
    let _ = converters.await;
    summary.download = download?;

    let results = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    for (path, outcome) in results {
        match outcome {
            Ok(report) => add(&mut summary, &report),
            Err(error) => summary.failed.push((path, error)),
        }
    }
    Ok(summary)
}

fn add(summary: &mut ExportSummary, report: &ConvertReport) {
    if report.skipped {
        summary.already_converted += 1;
        return;
    }
    summary.converted += 1;
    summary.records += report.records;
    summary.bad_lines += report.bad_lines;
    summary.bytes_written += report.bytes_written;
    let room = 20usize.saturating_sub(summary.bad.len());
    summary.bad.extend(report.bad.iter().take(room).cloned());
}
