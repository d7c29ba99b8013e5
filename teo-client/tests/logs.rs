//! Log download against teo-mock's real gzip packets: resuming after an interrupted run,
//! retrying truncated and corrupt packets, repeated listing pages, unusable directories.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teo_client::logs::{DownloadError, Downloader, Event};
use teo_client::models::{DateTime, DownloadL4LogsRequest, DownloadL7LogsRequest};
use teo_client::{Client, Credentials, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan, LOG_PACKET_ACTION};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

async fn mock(plans: Vec<FaultPlan>) -> MockServer {
    let mut config = MockConfig::default().rate_limit(None);
    for plan in plans {
        config = config.fault(plan);
    }
    MockServer::start(config).await.expect("mock starts")
}

fn client(mock: &MockServer) -> Client {
    Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(mock.url())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .base_delay(Duration::from_millis(5))
}

/// `hours` hours × 4 proxies of L4 packets.
fn l4_request(hours: u32) -> DownloadL4LogsRequest {
    let start = DateTime::parse("2024-05-01T00:00:00Z").expect("time");
    let end = DateTime::parse(&format!("2024-05-01T{hours:02}:00:00Z")).expect("time");
    DownloadL4LogsRequest::new(start, end)
        .zone_ids(["zone-a"])
        .proxy_ids(["sid-1", "sid-2", "sid-3", "sid-4"])
}

/// The directory holds exactly `want` (no temporary files), byte for byte.
fn assert_files(dir: &Path, want: &BTreeMap<String, Vec<u8>>) {
    let got = files(dir);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in want {
        assert!(&got[name] == bytes, "{name} differs");
    }
}

/// A fresh directory under the target dir.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("logs-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// File name → contents of every file in `dir`, hidden ones included.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("read file"))
        })
        .collect()
}

/// What the listing says should end up in the directory: file name → the packet's bytes as the
/// mock serves them.
async fn expected(client: &Client, request: DownloadL4LogsRequest) -> BTreeMap<String, Vec<u8>> {
    let packets = client
        .download_l4_logs_paginator(request)
        .collect_items()
        .await
        .expect("listing");
    let mut files = BTreeMap::new();
    for log in packets {
        let packet = teo_client::logs::Packet {
            name: log.log_packet_name.clone(),
            url: log.url.clone(),
            size: Some(log.size as u64),
            area: log.area.clone(),
            source: log.proxy_id.clone(),
            start: log.log_start_time.clone(),
            end: log.log_end_time.clone(),
        };
        let body = reqwest::get(&log.url)
            .await
            .expect("GET packet")
            .bytes()
            .await
            .expect("packet body");
        assert_eq!(body.len() as u64, log.size as u64, "{}", log.url);
        files.insert(packet.file_name(), body.to_vec());
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_every_listed_packet_and_a_rerun_skips_them() {
    let mock = mock(vec![]).await;
    let client = client(&mock);
    let dir = out_dir("complete");
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress);
    let summary = client
        .download_logs(
            l4_request(3),
            &Downloader::new(&dir)
                .concurrency(4)
                .on_progress(move |event, totals| {
                    if matches!(event, Event::Downloaded { .. } | Event::Listed) {
                        seen.lock().expect("lock").push(*totals);
                    }
                }),
        )
        .await
        .expect("run");
    let want = expected(&client, l4_request(3)).await;
    assert_eq!(want.len(), 12, "3 hours × 4 proxies");
    assert_eq!(
        (summary.packets, summary.downloaded, summary.skipped),
        (12, 12, 0)
    );
    assert!(summary.is_complete());
    let bytes: u64 = want.values().map(|b| b.len() as u64).sum();
    assert_eq!(summary.bytes_written, bytes);
    assert_files(&dir, &want);

    let progress = progress.lock().expect("lock").clone();
    assert_eq!(progress.len(), 13, "Listed + one per packet");
    assert_eq!((progress[0].packets, progress[0].bytes), (12, bytes));
    let last = progress[12];
    assert_eq!((last.downloaded, last.bytes_done), (12, bytes));

    let again = client
        .download_logs(l4_request(3), &Downloader::new(&dir))
        .await
        .expect("rerun");
    assert_eq!(
        (again.downloaded, again.skipped, again.bytes_received),
        (0, 12, 0)
    );
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_resumes_to_byte_identical_files() {
    // Slow packets, so that the run is cut while downloads are in flight.
    let mock = mock(vec![FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::Latency(Duration::from_millis(150)),
        1.0,
    )])
    .await;
    let client = client(&mock);
    let dir = out_dir("resume");
    let done = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&done);
    let downloader = Downloader::new(&dir)
        .concurrency(2)
        .on_progress(move |event, _| {
            if matches!(event, Event::Downloaded { .. }) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
    let run = tokio::spawn({
        let client = client.clone();
        async move { client.download_logs(l4_request(6), &downloader).await }
    });
    while done.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    run.abort();
    assert!(run.await.is_err_and(|e| e.is_cancelled()));
    let after_abort = files(&dir);
    assert!(
        (5..24).contains(&after_abort.len()),
        "{} files after the interruption",
        after_abort.len()
    );
    assert!(
        after_abort.keys().all(|name| !name.starts_with('.')),
        "an interrupted download leaves no temporary file: {:?}",
        after_abort.keys()
    );
    // A process killed outright cannot clean up: leave what it would, half-written temporary
    // files (this version's names and an earlier version's), a day and more old. Beside them a
    // fresh one: another run's download in progress, which must be left alone.
    let want = expected(&client, l4_request(6)).await;
    let mut missing = want
        .iter()
        .filter(|(name, _)| !after_abort.contains_key(*name));
    let (victim, bytes) = missing.next().expect("a packet still to download");
    let (other, _) = missing.next().expect("two packets still to download");
    let day_old = std::time::SystemTime::now() - Duration::from_secs(25 * 3600);
    for stale in [
        format!(".{victim}.part"),
        format!(".{victim}.0123456789abcdef.part"),
    ] {
        let file = std::fs::File::create(dir.join(stale)).expect("stale part file");
        std::io::Write::write_all(&mut &file, &bytes[..bytes.len() / 2]).expect("write");
        file.set_modified(day_old).expect("mtime");
    }
    let live = format!(".{other}.fedcba9876543210.part");
    std::fs::write(dir.join(&live), b"another run's download").expect("live part file");

    mock.faults().clear();
    let summary = client
        .download_logs(l4_request(6), &Downloader::new(&dir))
        .await
        .expect("rerun");
    assert_eq!(summary.packets, 24);
    assert_eq!(summary.skipped, after_abort.len() as u64);
    assert_eq!(summary.downloaded, 24 - after_abort.len() as u64);
    std::fs::remove_file(dir.join(&live)).expect("the live part file is left alone");
    assert_files(&dir, &want);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_packets_are_retried_never_kept() {
    let mock = mock(vec![FaultPlan::count(
        LOG_PACKET_ACTION,
        Fault::TruncatedBody,
        3,
    )])
    .await;
    let client = client(&mock);
    let dir = out_dir("truncated");
    let retries = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&retries);
    let summary = client
        .download_logs(
            l4_request(2),
            &Downloader::new(&dir)
                .retry(fast_retry())
                .on_progress(move |event, _| {
                    if let Event::Retrying { error, .. } = event {
                        assert!(
                            matches!(
                                error,
                                DownloadError::Transport { .. }
                                    | DownloadError::SizeMismatch { .. }
                            ),
                            "{error}"
                        );
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                }),
        )
        .await
        .expect("run");
    assert_eq!(retries.load(Ordering::SeqCst), 3);
    assert_eq!((summary.downloaded, summary.failed.len()), (8, 0));
    assert_files(&dir, &expected(&client, l4_request(2)).await);

    // Truncated every time: the packets fail, and nothing partial is left.
    let dir = out_dir("always-truncated");
    mock.faults().add(FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::TruncatedBody,
        1.0,
    ));
    let summary = client
        .download_logs(
            l4_request(1),
            &Downloader::new(&dir).retry(fast_retry().max_attempts(2)),
        )
        .await
        .expect("run");
    assert_eq!((summary.downloaded, summary.failed.len()), (0, 4));
    assert!(files(&dir).is_empty(), "{:?}", files(&dir).keys());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decompression_checks_the_gzip_data_and_retries_a_corrupt_packet() {
    let mock = mock(vec![FaultPlan::count(LOG_PACKET_ACTION, Fault::Corrupt, 1)]).await;
    let client = client(&mock);
    let dir = out_dir("decompress");
    let corrupt = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&corrupt);
    let summary = client
        .download_logs(
            l4_request(1),
            &Downloader::new(&dir)
                .decompress(true)
                .retry(fast_retry())
                .on_progress(move |event, _| {
                    if let Event::Retrying {
                        error: DownloadError::Corrupt { .. },
                        ..
                    } = event
                    {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                }),
        )
        .await
        .expect("run");
    assert_eq!(corrupt.load(Ordering::SeqCst), 1);
    assert_eq!(summary.downloaded, 4);
    let want = expected(&client, l4_request(1)).await;
    let got = files(&dir);
    assert_eq!(got.len(), 4);
    let mut decoded_total = 0;
    for (name, gz) in &want {
        let log = name.trim_end_matches(".gz");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .expect("gunzip");
        assert!(got[log] == text.as_bytes(), "{log} differs");
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("JSON lines");
        }
        decoded_total += text.len() as u64;
    }
    assert_eq!(summary.bytes_written, decoded_total);

    // Corrupt every time: the packet fails, no .log and no part file.
    mock.faults().add(FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::Corrupt,
        1.0,
    ));
    let dir = out_dir("always-corrupt");
    let summary = client
        .download_logs(
            l4_request(1),
            &Downloader::new(&dir)
                .decompress(true)
                .retry(fast_retry().max_attempts(2)),
        )
        .await
        .expect("run");
    assert_eq!(summary.failed.len(), 4);
    assert!(summary
        .failed
        .iter()
        .all(|f| matches!(f.error, DownloadError::Corrupt { .. })));
    assert!(files(&dir).is_empty(), "{:?}", files(&dir).keys());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_listing_page_does_not_duplicate_packets() {
    // 13 hours × 4 proxies = 52 packets in pages of 20: three pages. The first page is slow; while
    // it is in flight the fault is armed, so the second page comes back as the first.
    let mock = mock(vec![FaultPlan::count(
        "DownloadL4Logs",
        Fault::Latency(Duration::from_millis(400)),
        1,
    )])
    .await;
    let client = client(&mock);
    let dir = out_dir("repeat");
    let run = tokio::spawn({
        let (client, downloader) = (client.clone(), Downloader::new(&dir));
        async move {
            client
                .download_logs(l4_request(13).limit(20), &downloader)
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    mock.faults()
        .add(FaultPlan::count("DownloadL4Logs", Fault::RepeatPage, 1));
    let summary = run.await.expect("task").expect("run");
    assert!(mock.faults().plans().is_empty(), "the repeat was served");
    assert_eq!((summary.packets, summary.duplicates), (52, 0));
    assert_eq!(summary.downloaded, 52);
    assert_eq!(files(&dir).len(), 52);

    // A server that always ignores Offset: the listing fails, nothing is downloaded.
    mock.faults().add(FaultPlan::probability(
        "DownloadL4Logs",
        Fault::RepeatPage,
        1.0,
    ));
    let dir = out_dir("repeat-always");
    let error = client
        .download_logs(l4_request(13).limit(20), &Downloader::new(&dir))
        .await
        .expect_err("listing fails");
    assert!(
        matches!(&error, DownloadError::Listing(e) if e.paging_offset() == Some(20)),
        "{error}"
    );
    assert!(files(&dir).is_empty());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distinct_packets_with_one_name_are_all_kept() {
    // The mock names L4 packets by hour and proxy only: the same proxy ID in two zones gives two
    // packets (two URLs) with one LogPacketName.
    let mock = mock(vec![]).await;
    let client = client(&mock);
    let dir = out_dir("same-name");
    let request = l4_request(2)
        .zone_ids(["zone-a", "zone-b"])
        .proxy_ids(["sid-1"]);
    let summary = client
        .download_logs(request.clone(), &Downloader::new(&dir))
        .await
        .expect("run");
    assert_eq!(
        (summary.packets, summary.duplicates, summary.downloaded),
        (4, 0, 4)
    );
    let names: Vec<String> = files(&dir).into_keys().collect();
    assert_eq!(names.len(), 4);
    for name in &names {
        // 20240501-00-sid-1_overseas-1a2b3c4d5e6f7a8b.log.gz
        let suffix = name
            .trim_end_matches(".log.gz")
            .rsplit('-')
            .next()
            .unwrap_or("");
        assert_eq!(suffix.len(), 16, "{name}");
        assert!(suffix.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
    }
    let again = client
        .download_logs(request, &Downloader::new(&dir))
        .await
        .expect("rerun");
    assert_eq!(again.skipped, 4, "the names are stable across runs");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l7_logs_download_too() {
    let mock = mock(vec![]).await;
    let client = client(&mock);
    let dir = out_dir("l7");
    let start = DateTime::parse("2024-05-01T00:00:00+08:00").expect("time");
    let end = DateTime::parse("2024-05-01T02:00:00+08:00").expect("time");
    let request = DownloadL7LogsRequest::new(start, end)
        .zone_ids(["zone-a"])
        .domains(["www.example.com", "api.example.com"]);
    let summary = client
        .download_logs(request, &Downloader::new(&dir))
        .await
        .expect("run");
    assert_eq!((summary.packets, summary.downloaded), (4, 4));
    for (name, bytes) in files(&dir) {
        assert!(name.ends_with(".log.gz"), "{name}");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .expect("gzip");
        assert!(text.lines().count() > 0);
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_directory_fails_before_listing_and_leaves_nothing() {
    let mock = mock(vec![]).await;
    let client = client(&mock);
    let base = out_dir("unusable");
    std::fs::create_dir_all(&base).expect("base");
    let file = base.join("a-file");
    std::fs::write(&file, b"not a directory").expect("file");
    let error = client
        .download_logs(l4_request(1), &Downloader::new(file.join("logs")))
        .await
        .expect_err("a directory under a file cannot exist");
    let message = error.to_string();
    assert!(matches!(error, DownloadError::Io { .. }), "{message}");
    assert!(
        message.contains("a-file/logs") && message.contains("cannot create the directory"),
        "{message}"
    );
    assert_eq!(files(&base).len(), 1, "nothing but the file");
    mock.shutdown().await;
}

/// A 1 MiB tmpfs as the output directory: the run stops with a disk-full error and removes
/// its partial files. Needs permission to mount (root in a container that allows it); where
/// that is refused, the test says so and checks nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_run_and_leaves_nothing_partial() {
    let dir = out_dir("full-disk");
    std::fs::create_dir_all(&dir).expect("dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(dir.clone());

    let mock = mock(vec![]).await;
    let client = client(&mock);
    // 24 packets of ~90 KB: about 2 MB, twice the file system.
    let error = client
        .download_logs(l4_request(6), &Downloader::new(&dir))
        .await
        .expect_err("the disk fills up");
    let message = error.to_string();
    assert!(
        matches!(&error, DownloadError::Io { source, .. } if source.raw_os_error() == Some(28)),
        "{message}"
    );
    assert!(message.contains("the disk is full"), "{message}");
    let left = files(&dir);
    assert!(
        left.keys().all(|name| !name.starts_with('.')),
        "no partial files: {:?}",
        left.keys()
    );
    // What is there is complete.
    let want = expected(&client, l4_request(6)).await;
    for (name, bytes) in &left {
        assert!(want.get(name) == Some(bytes), "{name} differs");
    }
    mock.shutdown().await;
}
