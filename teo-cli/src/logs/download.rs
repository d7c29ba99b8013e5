//! `teo logs download`: every log packet DownloadL4Logs / DownloadL7Logs lists for a time range,
//! fetched into a directory by [`teo_client::logs`], with a progress bar on a terminal and one
//! line per finished packet otherwise. `--mock` runs against an in-process teo-mock.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use teo_client::logs::{DownloadError, DownloadReport, Downloader, Event, LogListing, Progress};
use teo_client::models::{DownloadL4LogsRequest, DownloadL7LogsRequest};
use teo_client::Client;
use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::encode::CsvCells;
use teo_logs::export::{export, ExportReport, Target};
use teo_logs::{staging, Dataset};

use super::args::{DownloadArgs, Kind};
use super::mock;
use super::range::Range;
use crate::failure::{printable, with_causes, Failure, EXIT_FAILED};
use crate::{client, resolve, stdout};

/// Exit status after Ctrl-C, as shells report a SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

/// The run: credentials, client (or mock), download, summary. `Err` for failures before or
/// instead of a summary.
pub(super) fn download(args: DownloadArgs, range: Range) -> Result<ExitCode, Failure> {
    // The options and credentials resolve as for `teo <Action>` (flag > environment > named
    // profile > default profile); --mock needs no profile and ignores it.
    let (options, credentials) = match mock::credentials(&args) {
        Some(mock_keys) => (args.global.clone(), mock_keys),
        None => {
            let resolved = resolve::resolve(&args.global)?;
            (resolved.options, resolved.credentials)
        }
    };
    // Before anything is sent, so the user sees which hours a relative range became (an
    // absolute one is what they typed).
    if args.since.is_some() || args.until.is_some() {
        let _ = writeln!(io::stderr(), "time range: {}", range.describe());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let (options, mock) = mock::start(&args, options).await?;
        let client = client::client(&options, credentials)?;
        let display = Display::new(io::stderr().is_terminal());
        let outcome = tokio::select! {
            outcome = fetch(&client, &args, &range, display.clone()) => Some(outcome),
            _ = tokio::signal::ctrl_c() => None,
        };
        display.finish();
        if let Some(mock) = mock {
            mock.stop().await;
        }
        match outcome {
            Some(Ok(outcome)) => report(&outcome, &args),
            Some(Err(DownloadError::Listing(error))) => {
                let failure = client::client_failure(error);
                Err(Failure {
                    code: failure.code,
                    message: format!("cannot list the log packets: {}", failure.message),
                })
            }
            Some(Err(error)) => Err(Failure::failed(format!("error: {}", with_causes(&error)))),
            None => Err(Failure {
                code: EXIT_INTERRUPTED,
                message: "interrupted: the packets already downloaded are kept; rerun the same \
                          command to resume"
                    .into(),
            }),
        }
    })
}

/// What a download produced: packets in a directory, or a dataset (one export per zone).
enum Outcome {
    Packets(DownloadReport),
    Dataset(Vec<(String, ExportReport)>),
}

async fn fetch(
    client: &Client,
    args: &DownloadArgs,
    range: &Range,
    display: Display,
) -> Result<Outcome, DownloadError> {
    let zones = unique(&args.zones);
    let store_options = StoreOptions {
        s3_endpoint: args.s3_endpoint.clone(),
        ..StoreOptions::default()
    };
    // Messages name the destination without what may be a secret in it.
    let shown = PathBuf::from(teo_logs::destination::shown_url(&args.out));
    let dest = Destination::parse(&args.out, &store_options, tokio::runtime::Handle::current())
        .map_err(|e| DownloadError::Io {
            path: shown.clone(),
            what: "cannot use the destination",
            source: std::io::Error::other(e.to_string()),
        })?;
    let format = args.format.dataset();
    let local = match &dest {
        Destination::Local(dir) => Some(dir.clone()),
        Destination::Store(_) => None,
    };
    if let (None, Some(dir)) = (format, &local) {
        return match args.kind {
            Kind::L4 => {
                run_download(client, l4_request(args, range, zones), args, dir, display).await
            }
            Kind::L7 => {
                run_download(client, l7_request(args, range, zones), args, dir, display).await
            }
        }
        .map(Outcome::Packets);
    }
    let csv_cells = if args.csv_raw {
        CsvCells::Raw
    } else {
        CsvCells::Neutralized
    };
    let dataset = match format {
        Some(format) => Some(
            Dataset::new(dest.clone(), format)
                .map_err(|e| DownloadError::Io {
                    path: shown.clone(),
                    what: "cannot create the dataset",
                    source: std::io::Error::other(e.to_string()),
                })?
                .csv_cells(csv_cells),
        ),
        None => None,
    };
    let staging = match (&args.staging, &local) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => dir.join(".teo-staging"),
        // Private to the user, and the same for every run to this destination, so a rerun
        // finds what an interrupted one left.
        (None, None) => staging::default_dir(&args.out)
            .map_err(|e| e.into_download_error(std::path::Path::new("--staging")))?,
    };
    // One listing per zone: a listing's entries do not say their zone, and the dataset is
    // partitioned by it.
    let per_zone: Vec<Option<String>> = if dataset.is_some() {
        zones.iter().cloned().map(Some).collect()
    } else {
        vec![None]
    };
    let mut exports = Vec::new();
    for zone in per_zone {
        let downloader = Downloader::new(&staging)
            .concurrency(usize::from(args.concurrency))
            .stall_timeout(Duration::from_secs(args.stall_timeout));
        let display = display.clone();
        let progress = move |event: &Event<'_>, progress: &Progress| display.event(event, progress);
        let target = match &dataset {
            Some(dataset) => Target::Dataset {
                dataset: dataset.clone(),
                kind: args.kind.into(),
                zone: zone.clone(),
            },
            None => Target::Packets(dest.clone()),
        };
        let listed = zone.clone().map_or_else(|| zones.clone(), |z| vec![z]);
        let summary = match args.kind {
            Kind::L4 => {
                export(
                    client,
                    l4_request(args, range, listed),
                    &target,
                    downloader,
                    progress,
                )
                .await?
            }
            Kind::L7 => {
                export(
                    client,
                    l7_request(args, range, listed),
                    &target,
                    downloader,
                    progress,
                )
                .await?
            }
        };
        exports.push((zone.unwrap_or_else(|| zones.join(",")), summary));
    }
    // Empty once every packet is stored; kept (with what failed) otherwise.
    let _ = std::fs::remove_dir(&staging);
    Ok(Outcome::Dataset(exports))
}

fn l4_request(args: &DownloadArgs, range: &Range, zones: Vec<String>) -> DownloadL4LogsRequest {
    let request =
        DownloadL4LogsRequest::new(range.start.clone(), range.end.clone()).zone_ids(zones);
    if args.proxies.is_empty() {
        request
    } else {
        request.proxy_ids(unique(&args.proxies))
    }
}

fn l7_request(args: &DownloadArgs, range: &Range, zones: Vec<String>) -> DownloadL7LogsRequest {
    let request =
        DownloadL7LogsRequest::new(range.start.clone(), range.end.clone()).zone_ids(zones);
    if args.domains.is_empty() {
        request
    } else {
        request.domains(unique(&args.domains))
    }
}

async fn run_download<R: LogListing>(
    client: &Client,
    request: R,
    args: &DownloadArgs,
    dir: &std::path::Path,
    display: Display,
) -> Result<DownloadReport, DownloadError> {
    let downloader = Downloader::new(dir)
        .concurrency(usize::from(args.concurrency))
        .decompress(args.decompress)
        .stall_timeout(Duration::from_secs(args.stall_timeout))
        .on_progress(move |event, progress| display.event(event, progress));
    client.download_logs(request, &downloader).await
}

/// The names in order, each once.
fn unique(names: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .filter(|n| seen.insert(n.as_str()))
        .cloned()
        .collect()
}

/// The summary on stdout; exit 0 when every packet is on disk (or in the dataset), 1 otherwise.
fn report(outcome: &Outcome, args: &DownloadArgs) -> Result<ExitCode, Failure> {
    let dir = args.out.clone();
    let (text, complete) = match outcome {
        Outcome::Packets(summary) => (summary_text(summary, &dir), summary.is_complete()),
        Outcome::Dataset(exports) => (
            export_text(exports, &dir),
            exports.iter().all(|(_, e)| e.is_complete()),
        ),
    };
    stdout::write(&text).map_err(|e| Failure::failed(format!("cannot write the summary: {e}")))?;
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// The summary of a download into a dataset, zone by zone.
fn export_text(exports: &[(String, ExportReport)], dir: &str) -> String {
    let mut lines = Vec::new();
    let mut complete = true;
    for (zone, e) in exports {
        complete &= e.is_complete();
        lines.push(format!("zone {zone}"));
        lines.push(format!("  packets     {}", e.listed));
        lines.push(format!("  stored      {}", e.stored));
        lines.push(format!(
            "  skipped     {}  (already there)",
            e.already_there
        ));
        lines.push(format!(
            "  records     {} ({} bad lines skipped)",
            e.records, e.bad_lines
        ));
        for bad in &e.bad {
            lines.push(format!("    {bad}"));
        }
        let failed = e.download.failed.len() + e.failed.len();
        lines.push(format!("  failed      {failed}"));
        for failure in &e.download.failed {
            lines.push(format!(
                "    {}: {}",
                failure.path.display(),
                with_causes(&failure.error)
            ));
        }
        for (path, error) in &e.failed {
            lines.push(format!("    {}: {}", path.display(), with_causes(error)));
        }
        lines.push(format!(
            "  written     {} ({} bytes)",
            HumanBytes(e.bytes_written),
            e.bytes_written
        ));
    }
    lines.push(if complete {
        format!("complete: every listed packet is in {dir}")
    } else {
        "incomplete: some packets failed; rerun the same command to fetch them".to_owned()
    });
    // Paths and reasons may hold a server's text: escaped, a line each.
    lines.iter().map(|line| printable(line) + "\n").collect()
}

fn summary_text(summary: &DownloadReport, dir: &str) -> String {
    let mut lines = vec![
        format!("packets     {}", summary.packets),
        format!("downloaded  {}", summary.downloaded),
        format!("skipped     {}  (already complete)", summary.skipped),
        format!(
            "duplicates  {}  (listed more than once, fetched once)",
            summary.duplicates
        ),
        format!("failed      {}", summary.failed.len()),
    ];
    for failure in &summary.failed {
        lines.push(format!(
            "  {}: {}",
            failure.path.display(),
            with_causes(&failure.error)
        ));
    }
    lines.push(format!(
        "written     {} ({} bytes) to {dir}",
        HumanBytes(summary.bytes_written),
        summary.bytes_written
    ));
    lines.push(if summary.is_complete() {
        format!("complete: every listed packet is in {dir}")
    } else {
        format!(
            "incomplete: {} of {} packets failed; rerun the same command to fetch them",
            summary.failed.len(),
            summary.packets
        )
    });
    lines.join("\n") + "\n"
}

/// Progress on stderr: a bar on a terminal, else a line per finished packet and per retry.
#[derive(Clone)]
enum Display {
    Bar(ProgressBar),
    Lines,
}

impl Display {
    fn new(terminal: bool) -> Display {
        if !terminal {
            return Display::Lines;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message("listing the log packets…");
        bar.enable_steady_tick(Duration::from_millis(120));
        Display::Bar(bar)
    }

    fn event(&self, event: &Event<'_>, progress: &Progress) {
        match self {
            Display::Bar(bar) => bar_event(bar, event, progress),
            Display::Lines => {
                if let Some(line) = line(event, progress) {
                    let _ = writeln!(io::stderr(), "{line}");
                }
            }
        }
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.abandon();
        }
    }
}

fn bar_event(bar: &ProgressBar, event: &Event<'_>, progress: &Progress) {
    match event {
        Event::Listed => {
            let template = "{wide_bar} {msg} packets  {binary_bytes}/{binary_total_bytes}  \
                            {binary_bytes_per_sec}  ETA {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(progress.bytes);
        }
        Event::Retrying { .. } | Event::Failed { .. } => {
            if let Some(line) = line(event, progress) {
                bar.println(line);
            }
        }
        _ => {}
    }
    bar.set_message(format!("{}/{}", progress.packets_done(), progress.packets));
    bar.set_position(progress.bytes_done.min(progress.bytes));
}

/// The plain line for an event, if it gets one (not per chunk).
fn line(event: &Event<'_>, progress: &Progress) -> Option<String> {
    let count = format!("[{}/{}]", progress.packets_done(), progress.packets);
    Some(match event {
        Event::Listed => format!(
            "listed {} packets ({})",
            progress.packets,
            HumanBytes(progress.bytes)
        ),
        Event::Skipped { path, .. } => {
            format!("{count} skipped {}: already complete", path.display())
        }
        Event::Downloaded { packet, path } => match packet.size {
            Some(size) => format!(
                "{count} downloaded {} ({})",
                path.display(),
                HumanBytes(size)
            ),
            None => format!("{count} downloaded {}", path.display()),
        },
        Event::Failed { path, error, .. } => {
            format!("{count} failed {}: {}", path.display(), with_causes(*error))
        }
        Event::Retrying {
            path,
            attempt,
            delay,
            error,
            ..
        } => format!(
            "retrying {} in {:.1}s: attempt {attempt} failed: {}",
            path.display(),
            delay.as_secs_f64(),
            with_causes(*error)
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use teo_client::logs::Packet;
    use teo_client::models::DateTime;

    use super::*;

    fn packet() -> Packet {
        Packet {
            name: "20240501-10-sid-1".into(),
            url: "https://logs.example.com/p.log.gz?sign=secret".into(),
            size: Some(100),
            area: "mainland".into(),
            source: "sid-1".into(),
            start: DateTime::parse("2024-05-01T10:00:00Z").unwrap(),
            end: DateTime::parse("2024-05-01T11:00:00Z").unwrap(),
        }
    }

    #[test]
    fn names_are_kept_once_in_order() {
        assert_eq!(unique(&["a".into(), "b".into(), "a".into()]), ["a", "b"]);
    }

    #[test]
    fn a_line_per_finished_packet_and_retry() {
        let packet = packet();
        let progress = Progress {
            packets: 2,
            bytes: 200,
            downloaded: 1,
            failed: 1,
            ..Progress::default()
        };
        let error = DownloadError::HttpStatus {
            url: "https://logs.example.com/p.log.gz?…".into(),
            status: 503,
        };
        let path = std::path::Path::new("out/20240501-10-sid-1_mainland.log.gz");
        let failed = Event::Failed {
            packet: &packet,
            path,
            error: &error,
        };
        assert_eq!(
            line(&failed, &progress).unwrap(),
            "[2/2] failed out/20240501-10-sid-1_mainland.log.gz: https://logs.example.com/p.log.gz?…: HTTP status 503"
        );
        let retrying = Event::Retrying {
            packet: &packet,
            path,
            attempt: 1,
            delay: Duration::from_millis(250),
            error: &error,
        };
        assert!(line(&retrying, &progress).unwrap().starts_with(
            "retrying out/20240501-10-sid-1_mainland.log.gz in 0.2s: attempt 1 failed: "
        ));
        let received = Event::Received {
            packet: &packet,
            bytes: 10,
        };
        assert_eq!(line(&received, &progress), None);
    }

    #[test]
    fn the_bar_counts_bytes_and_packets() {
        let bar = ProgressBar::hidden();
        let mut progress = Progress {
            packets: 2,
            bytes: 200,
            ..Progress::default()
        };
        bar_event(&bar, &Event::Listed, &progress);
        assert_eq!(bar.length(), Some(200));
        let packet = packet();
        progress.bytes_done = 150;
        progress.downloaded = 1;
        let path = std::path::Path::new("out/x.log.gz");
        bar_event(
            &bar,
            &Event::Downloaded {
                packet: &packet,
                path,
            },
            &progress,
        );
        assert_eq!(bar.position(), 150);
        assert_eq!(bar.message(), "1/2");
    }

    #[test]
    fn summary_says_what_happened() {
        let summary = DownloadReport {
            packets: 6,
            skipped: 6,
            ..DownloadReport::default()
        };
        let text = summary_text(&summary, "edgeone-logs");
        assert!(text.contains("skipped     6  (already complete)"), "{text}");
        assert!(text.ends_with("complete: every listed packet is in edgeone-logs\n"));
    }
}
