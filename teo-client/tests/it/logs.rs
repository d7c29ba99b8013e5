//! Log download against teo-mock's real gzip packets: resuming after an interrupted run,
//! retrying truncated and corrupt packets, repeated listing pages, unusable directories; and
//! against a hostile server on 127.0.0.1 (endless and trickling bodies, gzip bombs, planted
//! symlinks, crafted names and sizes, broken listings), where every run must end in bounded
//! time and disk with a typed error, losing and overwriting nothing.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::HashSet;

use teo_client::logs::{DownloadError, Downloader, Event, SIZE_SLACK};
use teo_client::models::{DateTime, DownloadL4LogsRequest, DownloadL7LogsRequest};
use teo_client::{Client, Credentials, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan, Trigger, LOG_PACKET_ACTION};
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
    // The fifth download signals the test (no polling): the run is cut right there.
    let fifth = Arc::new(tokio::sync::Notify::new());
    let downloader = Downloader::new(&dir).concurrency(2).on_progress({
        let fifth = Arc::clone(&fifth);
        move |event, totals| {
            if matches!(event, Event::Downloaded { .. }) && totals.downloaded == 5 {
                fifth.notify_one();
            }
        }
    });
    let run = tokio::spawn({
        let client = client.clone();
        async move { client.download_logs(l4_request(6), &downloader).await }
    });
    fifth.notified().await;
    run.abort();
    assert!(run.await.is_err_and(|e| e.is_cancelled()));
    // A sync or rename already on a blocking thread cannot be stopped: it finishes by renaming
    // or removing its temporary file, within moments of the abort.
    let settle = std::time::Instant::now();
    while files(&dir).keys().any(|name| name.starts_with('.'))
        && settle.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    // 13 hours × 4 proxies = 52 packets in pages of 20: three pages. Armed by request count, not
    // by time: the fault takes the next two listing requests, the first page's (whose answer
    // it leaves as it is: it *is* the first page) and the second's, which comes back as the
    // first.
    // A zero-latency plan counts the listing calls (latency plans do not stop other faults).
    const COUNTER: u32 = 1_000;
    let mock = mock(vec![
        FaultPlan::count("DownloadL4Logs", Fault::Latency(Duration::ZERO), COUNTER),
        FaultPlan::count("DownloadL4Logs", Fault::RepeatPage, 2),
    ])
    .await;
    let client = client(&mock);
    let dir = out_dir("repeat");
    let summary = client
        .download_logs(l4_request(13).limit(20), &Downloader::new(&dir))
        .await
        .expect("run");
    let plans = mock.faults().plans();
    assert!(
        !plans.iter().any(|p| p.fault == Fault::RepeatPage),
        "the repeat was served"
    );
    assert_eq!(
        plans[0].trigger,
        Trigger::Count(COUNTER - 4),
        "three pages and the repeated one fetched again"
    );
    mock.faults().clear();
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

// ---------------------------------------------------------------------------------------------
// Against a hostile server
// ---------------------------------------------------------------------------------------------

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use std::sync::OnceLock;

use serde_json::{json, Value};
use tc_test_support::{Answer, Request, TestServer};

/// How the hostile server answers a packet URL.
#[derive(Clone)]
enum Serve {
    /// These bytes, with their Content-Length.
    Bytes(Vec<u8>),
    /// Zeros in 64 KiB chunks, forever, without a Content-Length.
    Endless,
    /// `bytes` bytes every `every`, forever, without a Content-Length.
    Trickle { bytes: usize, every: Duration },
    /// Never sends the response headers.
    Silent,
}

type ListingScript = dyn Fn(&str, u64) -> Value + Send + Sync;

struct HostileState {
    /// The server's URL, known once it listens.
    url: OnceLock<String>,
    /// `(packet base URL, Offset)` → the `Response` of a DownloadL4Logs call.
    listing: Box<ListingScript>,
    bodies: HashMap<String, Serve>,
    /// The Offset of every listing call.
    listing_offsets: Mutex<Vec<u64>>,
    /// GET requests per packet path.
    fetches: Mutex<HashMap<String, u32>>,
}

/// A server for both the API (any POST: the listing script) and the packet URLs.
struct Hostile {
    state: Arc<HostileState>,
    _server: TestServer,
}

impl Hostile {
    async fn start(
        listing: impl Fn(&str, u64) -> Value + Send + Sync + 'static,
        bodies: Vec<(&str, Serve)>,
    ) -> Hostile {
        let state = Arc::new(HostileState {
            url: OnceLock::new(),
            listing: Box::new(listing),
            bodies: bodies
                .into_iter()
                .map(|(path, serve)| (path.to_owned(), serve))
                .collect(),
            listing_offsets: Mutex::new(Vec::new()),
            fetches: Mutex::new(HashMap::new()),
        });
        let answering = Arc::clone(&state);
        let server = TestServer::responding(move |request| hostile_answer(&answering, request));
        let _ = state.url.set(server.url().to_owned());
        Hostile {
            state,
            _server: server,
        }
    }

    /// One listing page with every packet and their count as the total.
    async fn listing(packets: Vec<HostedPacket>) -> Hostile {
        let bodies: Vec<(String, Serve)> = packets
            .iter()
            .map(|p| (p.path.clone(), p.serve.clone()))
            .collect();
        let listing = move |url: &str, offset: u64| {
            let data: Vec<Value> = packets
                .iter()
                .skip(offset as usize)
                .map(|p| l4_item(url, &p.path, &p.name, &p.area, p.size))
                .collect();
            json!({ "TotalCount": packets.len(), "Data": data })
        };
        let bodies = bodies
            .iter()
            .map(|(p, s)| (p.as_str(), s.clone()))
            .collect();
        Hostile::start(listing, bodies).await
    }

    fn client(&self) -> Client {
        Client::builder(Credentials::new("AKIDHOSTILE", "hostile-secret"))
            .endpoint(self.state.url.get().expect("listening").clone())
            .timeout(Duration::from_secs(5))
            .retry(RetryPolicy::disabled())
            .rate_limit(None)
            .build()
            .expect("client")
    }

    fn fetches(&self, path: &str) -> u32 {
        let fetches = self.state.fetches.lock().expect("fetches");
        fetches.get(path).copied().unwrap_or(0)
    }

    fn listing_offsets(&self) -> Vec<u64> {
        self.state.listing_offsets.lock().expect("offsets").clone()
    }
}

struct HostedPacket {
    path: String,
    name: String,
    area: String,
    size: i64,
    serve: Serve,
}

fn hosted(path: &str, name: &str, size: i64, serve: Serve) -> HostedPacket {
    HostedPacket {
        path: path.to_owned(),
        name: name.to_owned(),
        area: String::new(),
        size,
        serve,
    }
}

fn l4_item(url: &str, path: &str, name: &str, area: &str, size: i64) -> Value {
    json!({
        "ProxyId": "sid-1",
        "Area": area,
        "LogPacketName": name,
        // A signed URL, as the service gives: the query string must never show.
        "Url": format!("{url}{path}?sign=SECRET-SIGNATURE"),
        "LogTime": 1714521600,
        "LogStartTime": "2024-05-01T00:00:00Z",
        "LogEndTime": "2024-05-01T01:00:00Z",
        "Size": size,
    })
}

fn hostile_answer(state: &HostileState, request: &Request) -> Answer {
    if let Some(serve) = state.bodies.get(request.path()).cloned() {
        *state
            .fetches
            .lock()
            .expect("fetches")
            .entry(request.path().to_owned())
            .or_default() += 1;
        let ok = Answer::status(200).header("Content-Type", "application/octet-stream");
        return match serve {
            Serve::Bytes(bytes) => ok.body(bytes),
            Serve::Endless => ok.endless(None, 64 << 10, 0),
            Serve::Trickle { bytes, every } => ok.trickling(bytes, every),
            Serve::Silent => Answer::silent(),
        };
    }
    let offset = request.json()["Offset"].as_u64().unwrap_or(0);
    state.listing_offsets.lock().expect("offsets").push(offset);
    let url = state.url.get().map_or("", String::as_str);
    let mut response = (state.listing)(url, offset);
    response["RequestId"] = json!("hostile");
    Answer::json(&json!({ "Response": response }))
}

fn any_l4_request() -> DownloadL4LogsRequest {
    l4_request(1)
}

/// Samples the bytes of every file in a directory every 2 ms, keeping the peak: what a run
/// had on disk at worst, temporary files included.
struct DiskPeak {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl DiskPeak {
    fn watch(dir: &Path) -> DiskPeak {
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, flag) = (dir.to_owned(), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::SeqCst) {
                let total: u64 = std::fs::read_dir(&dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|entry| entry.metadata().ok())
                    .map(|meta| meta.len())
                    .sum();
                peak = peak.max(total);
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        });
        DiskPeak { stop, thread }
    }

    fn peak(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("watcher")
    }
}

/// The process's peak resident set (Linux `VmHWM`), in KiB, for the figures.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// 64 gzip members of 1 MiB of zeros each: ~66 KB that decode (as one multi-member stream,
/// the way packets are read) to 64 MiB.
fn gzip_bomb() -> Vec<u8> {
    gzip(&vec![0u8; 1 << 20]).repeat(64)
}

fn failure_errors(summary: &teo_client::logs::DownloadReport) -> Vec<&DownloadError> {
    summary.failed.iter().map(|f| &f.error).collect()
}

/// The tester's case: `Size` 100 and a body that never ends (72 MB in 0.36 s before). Now the
/// body is cut at 100 + 64 KiB slack; a packet without a `Size` at `max_packet_size`; a
/// declared Content-Length past the limit is refused before a byte is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_its_listed_size_is_cut_off() {
    let server = Hostile::listing(vec![
        hosted("/endless", "endless", 100, Serve::Endless),
        hosted("/unsized", "unsized", 0, Serve::Endless),
        hosted("/declared", "declared", 100, Serve::Bytes(vec![7; 1 << 20])),
    ])
    .await;
    let dir = out_dir("hostile-endless");
    std::fs::create_dir_all(&dir).expect("dir");
    let disk = DiskPeak::watch(&dir);
    let started = Instant::now();
    let summary = server
        .client()
        .download_logs(
            any_l4_request(),
            &Downloader::new(&dir)
                .max_packet_size(1 << 20)
                // No time limits (and no overflow computing them): the size limit alone ends it.
                .stall_timeout(Duration::MAX)
                .attempt_timeout(Duration::MAX)
                .retry(fast_retry()),
        )
        .await
        .expect("the run ends");
    let elapsed = started.elapsed();
    let peak = disk.peak();
    assert_eq!((summary.downloaded, summary.failed.len()), (0, 3));
    for failure in &summary.failed {
        let message = failure.error.to_string();
        assert!(message.starts_with(&failure.packet.name), "{message}");
        assert!(!message.contains("SECRET"), "{message}");
        match (failure.packet.name.as_str(), &failure.error) {
            ("endless" | "declared", DownloadError::TooLarge { limit, listed, .. }) => {
                assert_eq!((*limit, *listed), (100 + SIZE_SLACK, Some(100)));
                assert!(
                    message.contains("65636") && message.contains("Size 100"),
                    "{message}"
                );
            }
            ("unsized", DownloadError::TooLarge { limit, listed, .. }) => {
                assert_eq!((*limit, *listed), (1 << 20, None));
            }
            (name, error) => panic!("{name}: {error}"),
        }
    }
    // Not retried: the server would only send the same again.
    for path in ["/endless", "/unsized", "/declared"] {
        assert_eq!(server.fetches(path), 1, "{path}");
    }
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert!(peak <= 1 << 20, "peak on disk {peak}");
    // What was read: at most the limits plus a chunk each; the declared one not at all.
    assert!(
        summary.bytes_received <= (100 + SIZE_SLACK) + (1 << 20) + 4 * (64 << 10),
        "{}",
        summary.bytes_received
    );
    assert!(files(&dir).is_empty(), "{:?}", files(&dir).keys());
    eprintln!(
        "FIGURES endless body: {} bytes received, peak {} bytes on disk, {:.3} s, peak RSS {} KiB",
        summary.bytes_received,
        peak,
        elapsed.as_secs_f64(),
        peak_rss_kib()
    );
}

/// The tester's gzip bomb (67 KB → 64 MiB) with `decompress`: decoding stops at the ratio
/// limit (here ×10, so the 1 MiB floor) or the absolute one; nothing is kept. Without
/// `decompress`, the bomb listed with its decoded size as `Size` (DownloadL7Logs' "original
/// size") is not decoded past the limit to check it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_not_inflated_past_the_limits() {
    let bomb = gzip_bomb();
    let compressed = bomb.len() as u64;
    assert!(compressed < 100_000, "{compressed}");
    let server = Hostile::listing(vec![hosted(
        "/bomb",
        "bomb",
        compressed as i64,
        Serve::Bytes(bomb.clone()),
    )])
    .await;
    for (case, downloader, limit) in [
        (
            "ratio",
            Downloader::new(out_dir("hostile-bomb-ratio")).max_decompressed_ratio(10),
            1 << 20,
        ),
        (
            "size",
            Downloader::new(out_dir("hostile-bomb-size")).max_decompressed_size(3 << 20),
            3 << 20,
        ),
        (
            "default",
            Downloader::new(out_dir("hostile-bomb-default")),
            compressed * 200,
        ),
    ] {
        let dir = out_dir(&format!("hostile-bomb-{case}"));
        std::fs::create_dir_all(&dir).expect("dir");
        let disk = DiskPeak::watch(&dir);
        let started = Instant::now();
        let summary = server
            .client()
            .download_logs(
                any_l4_request(),
                &downloader.decompress(true).retry(fast_retry()),
            )
            .await
            .expect("the run ends");
        let elapsed = started.elapsed();
        let peak = disk.peak();
        match failure_errors(&summary)[..] {
            [DownloadError::DecompressedTooLarge {
                name,
                limit: got,
                compressed: from,
            }] => {
                assert_eq!(
                    (name.as_str(), *got, *from),
                    ("bomb", limit, compressed),
                    "{case}"
                );
            }
            ref other => panic!("{case}: {other:?}"),
        }
        let message = summary.failed[0].error.to_string();
        assert!(
            message.contains("bomb") && message.contains(&limit.to_string()),
            "{message}"
        );
        assert!(peak <= compressed + limit, "{case}: peak on disk {peak}");
        assert!(files(&dir).is_empty(), "{case}: {:?}", files(&dir).keys());
        eprintln!(
            "FIGURES gzip bomb ({case}): {compressed} bytes in, decoding stopped at {limit}, \
             peak {peak} bytes on disk, {:.3} s",
            elapsed.as_secs_f64()
        );
    }

    // Not decompressing, the bomb listed as 64 MiB "original size": the check does not decode
    // past the limit (64 MiB > 200 × 66 KB), so the packet is a size mismatch, quickly.
    let server =
        Hostile::listing(vec![hosted("/bomb", "bomb", 64 << 20, Serve::Bytes(bomb))]).await;
    let dir = out_dir("hostile-bomb-check");
    let started = Instant::now();
    let summary = server
        .client()
        .download_logs(
            any_l4_request(),
            &Downloader::new(&dir).retry(fast_retry().max_attempts(1)),
        )
        .await
        .expect("the run ends");
    assert!(
        matches!(failure_errors(&summary)[..], [DownloadError::SizeMismatch { expected, .. }] if *expected == 64 << 20),
        "{:?}",
        summary.failed
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(files(&dir).is_empty());
}

/// The tester's trickle (one byte every 59 s, under every read timeout) scaled down: a byte
/// every 50 ms against a 200 ms stall timeout. Six such packets used to hold the run forever;
/// now each attempt fails as `Stalled` within the stall timeout, is retried, and the run ends.
/// A server that never sends headers stalls the same way; one that sends just fast enough
/// never to stall meets the attempt deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_and_silent_packets_time_out_and_the_run_ends() {
    let trickle = Serve::Trickle {
        bytes: 1,
        every: Duration::from_millis(50),
    };
    let mut packets: Vec<HostedPacket> = (0..6)
        .map(|i| {
            hosted(
                &format!("/trickle-{i}"),
                &format!("trickle-{i}"),
                5000,
                trickle.clone(),
            )
        })
        .collect();
    packets.push(hosted("/silent", "silent", 5000, Serve::Silent));
    packets.push(hosted(
        "/steady",
        "steady",
        100 << 20,
        Serve::Trickle {
            bytes: 4 << 10,
            every: Duration::from_millis(20),
        },
    ));
    let server = Hostile::listing(packets).await;
    let dir = out_dir("hostile-trickle");
    let started = Instant::now();
    let summary = server
        .client()
        .download_logs(
            any_l4_request(),
            &Downloader::new(&dir)
                .concurrency(8)
                .stall_timeout(Duration::from_millis(200))
                .attempt_timeout(Duration::from_millis(600))
                .retry(fast_retry().max_attempts(2)),
        )
        .await
        .expect("the run ends");
    let elapsed = started.elapsed();
    assert_eq!((summary.downloaded, summary.failed.len()), (0, 8));
    for failure in &summary.failed {
        let message = failure.error.to_string();
        match (failure.packet.name.as_str(), &failure.error) {
            (
                "silent",
                DownloadError::Stalled {
                    after, received, ..
                },
            ) => {
                assert_eq!((*after, *received), (Duration::from_millis(200), 0));
            }
            (
                "steady",
                DownloadError::Timeout {
                    after, received, ..
                },
            ) => {
                assert_eq!(*after, Duration::from_millis(600));
                assert!(*received > 4 << 10, "it did progress: {received}");
                assert!(message.contains("timed out after 600ms"), "{message}");
            }
            (
                name,
                DownloadError::Stalled {
                    after, received, ..
                },
            ) if name.starts_with("trickle-") => {
                assert_eq!(*after, Duration::from_millis(200));
                assert!(*received < 10, "{received}");
                assert!(
                    message.contains("stalled") && message.contains(name),
                    "{message}"
                );
            }
            (name, error) => panic!("{name}: {error}"),
        }
        // Stalls and timeouts are retried: the network may be to blame.
        assert_eq!(server.fetches(&format!("/{}", failure.packet.name)), 2);
    }
    // Two attempts of at most 600 ms each, all in parallel.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(files(&dir).is_empty(), "{:?}", files(&dir).keys());
    eprintln!(
        "FIGURES trickle: 6 trickling + 1 silent + 1 steady packet, 2 attempts each, run over \
         in {:.3} s, {} bytes received",
        elapsed.as_secs_f64(),
        summary.bytes_received
    );
}

/// What `create_new` (O_CREAT | O_EXCL) does at a symlink, which the temporary files rely on:
/// it fails with AlreadyExists whether the link dangles or not, and writes nothing through it.
#[cfg(unix)]
#[test]
fn create_new_never_follows_a_symlink() {
    let dir = out_dir("create-new");
    std::fs::create_dir_all(&dir).expect("dir");
    let victim = dir.join("victim");
    std::fs::write(&victim, b"precious").expect("victim");
    std::os::unix::fs::symlink(&victim, dir.join("link")).expect("link");
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("dangling")).expect("dangling");
    for link in ["link", "dangling"] {
        let error = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(link))
            .expect_err("create_new at a symlink fails");
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists, "{link}");
    }
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
    assert!(
        !dir.join("nowhere").exists(),
        "nothing created through the dangling link"
    );
}

/// The tester's symlink at the predictable `.<name>.part` (its target was overwritten), and
/// symlinks at the final name — one to a file with exactly the packet's bytes, which a
/// following check would call complete — and at the old write-check name: none is followed,
/// none is taken as a finished download; every target keeps its bytes.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_symlinks_are_never_followed() {
    let packet = gzip(b"{\"line\":1}\n");
    let server = Hostile::listing(vec![hosted(
        "/p",
        "p",
        packet.len() as i64,
        Serve::Bytes(packet.clone()),
    )])
    .await;
    for decompress in [false, true] {
        let base = out_dir(&format!("hostile-symlink-{decompress}"));
        let (dir, outside) = (base.join("out"), base.join("outside"));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::create_dir_all(&outside).expect("outside");
        let final_name = if decompress { "p.log" } else { "p.log.gz" };
        let victims = [
            (
                format!(".{final_name}.part"),
                b"victim of the part file".to_vec(),
            ),
            (
                ".p.log.gz.part".to_owned(),
                b"victim of the gz part".to_vec(),
            ),
            (
                format!(".teo-write-check-{}", std::process::id()),
                b"victim of the probe".to_vec(),
            ),
            // Exactly the bytes that belong under the final name.
            (
                final_name.to_owned(),
                if decompress {
                    b"{\"line\":1}\n".to_vec()
                } else {
                    packet.clone()
                },
            ),
        ];
        for (i, (link, bytes)) in victims.iter().enumerate() {
            let target = outside.join(format!("victim-{i}"));
            std::fs::write(&target, bytes).expect("victim");
            let _ = std::fs::remove_file(dir.join(link));
            std::os::unix::fs::symlink(&target, dir.join(link)).expect("plant");
        }
        let summary = server
            .client()
            .download_logs(
                any_l4_request(),
                &Downloader::new(&dir).decompress(decompress),
            )
            .await
            .expect("run");
        assert_eq!(
            (summary.downloaded, summary.skipped, summary.failed.len()),
            (1, 0, 0),
            "a symlink at the final name is not a complete file"
        );
        for (i, (_, bytes)) in victims.iter().enumerate() {
            let now = std::fs::read(outside.join(format!("victim-{i}"))).expect("victim");
            assert!(&now == bytes, "victim {i} was written through");
        }
        let placed = std::fs::symlink_metadata(dir.join(final_name)).expect("final file");
        assert!(
            placed.file_type().is_file(),
            "the link was replaced by a file"
        );
        let want: &[u8] = if decompress {
            b"{\"line\":1}\n"
        } else {
            &packet
        };
        assert_eq!(std::fs::read(dir.join(final_name)).expect("read"), want);
        // The rerun skips the real file.
        let again = server
            .client()
            .download_logs(
                any_l4_request(),
                &Downloader::new(&dir).decompress(decompress),
            )
            .await
            .expect("rerun");
        assert_eq!((again.skipped, again.downloaded), (1, 0));
    }
}

/// Names crafted to meet: `Report`/`report` (one file on a case-insensitive disk), name and
/// area split differently (`p` + `q_r`, `p_q` + `r`), a name equal to another packet's
/// suffixed name, Windows device names, 300-byte names equal up to the cut. Every packet gets
/// its own file, none lost, and a rerun finds them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_names_never_share_a_file() {
    let mut specs: Vec<(&str, String, &str)> = vec![
        ("/a", "x".to_owned(), ""),
        ("/b", "x".to_owned(), ""),
        ("/report-1", "Report".to_owned(), ""),
        ("/report-2", "report".to_owned(), ""),
        ("/pqr-1", "p".to_owned(), "q_r"),
        ("/pqr-2", "p_q".to_owned(), "r"),
        ("/con", "CON".to_owned(), ""),
        ("/nul", "nul.x".to_owned(), ""),
        ("/com1", "com1".to_owned(), ""),
        ("/long-1", "a".repeat(300), ""),
        ("/long-2", format!("{}b", "a".repeat(300)), ""),
    ];
    let packets = |specs: &[(&str, String, &str)]| -> Vec<HostedPacket> {
        specs
            .iter()
            .map(|(path, name, area)| {
                let body = format!("body of {path}").into_bytes();
                HostedPacket {
                    path: path.to_string(),
                    name: name.clone(),
                    area: area.to_string(),
                    size: body.len() as i64,
                    serve: Serve::Bytes(body),
                }
            })
            .collect()
    };
    let dir = out_dir("hostile-names");
    // One server throughout (the names hash the URL path, host included), whose listing
    // gains a packet between the runs.
    let listed = Arc::new(Mutex::new(packets(&specs)));
    let script_listed = Arc::clone(&listed);
    let mut paths: Vec<&str> = specs.iter().map(|(path, _, _)| *path).collect();
    paths.push("/crafted");
    let bodies: Vec<(&str, Serve)> = paths
        .iter()
        .map(|path| (*path, Serve::Bytes(format!("body of {path}").into_bytes())))
        .collect();
    let server = Hostile::start(
        move |url, offset| {
            let listed = script_listed.lock().expect("listing");
            let data: Vec<Value> = listed
                .iter()
                .skip(offset as usize)
                .map(|p| l4_item(url, &p.path, &p.name, &p.area, p.size))
                .collect();
            json!({ "TotalCount": listed.len(), "Data": data })
        },
        bodies,
    )
    .await;
    let summary = server
        .client()
        .download_logs(any_l4_request(), &Downloader::new(&dir))
        .await
        .expect("run");
    assert_eq!(summary.downloaded, specs.len() as u64);
    // A packet named after what `/a` got: `x-<hash of /a>`.
    let a_name = files(&dir)
        .into_iter()
        .find(|(_, body)| body == b"body of /a")
        .map(|(name, _)| name)
        .expect("/a is on disk");
    let crafted = a_name.trim_end_matches(".log.gz").to_owned();
    specs.push(("/crafted", crafted, ""));
    listed
        .lock()
        .expect("listing")
        .extend(packets(&specs[specs.len() - 1..]));
    let summary = server
        .client()
        .download_logs(any_l4_request(), &Downloader::new(&dir))
        .await
        .expect("run");
    assert_eq!(
        (
            summary.packets,
            summary.skipped,
            summary.downloaded,
            summary.failed.len()
        ),
        (12, 11, 1, 0),
        "the earlier names stand; only the crafted packet is new"
    );

    let on_disk = files(&dir);
    assert_eq!(on_disk.len(), specs.len(), "{:?}", on_disk.keys());
    let mut bodies: Vec<&Vec<u8>> = on_disk.values().collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), specs.len(), "every packet in its own file");
    for (path, _, _) in &specs {
        let body = format!("body of {path}").into_bytes();
        assert!(on_disk.values().any(|b| *b == body), "{path} is lost");
    }
    let lower: HashSet<String> = on_disk.keys().map(|n| n.to_ascii_lowercase()).collect();
    assert_eq!(lower.len(), specs.len(), "unique ignoring case");
    for name in on_disk.keys() {
        assert!(name.len() <= 200, "{name}");
        let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
        assert!(!["CON", "NUL", "COM1"].contains(&stem.as_str()), "{name}");
    }
    assert!(on_disk.contains_key("_CON.log.gz") && on_disk.contains_key("_nul.x.log.gz"));
    let again = server
        .client()
        .download_logs(any_l4_request(), &Downloader::new(&dir))
        .await
        .expect("rerun");
    assert_eq!((again.skipped, again.downloaded), (12, 0));
}

/// Three `Size`s near `i64::MAX` (their sum overflowed the progress total: a panic in debug
/// builds): the totals saturate, the packets fail as size mismatches, nothing panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizes_near_i64_max_do_not_overflow() {
    let packets = (0..3)
        .map(|i| {
            hosted(
                &format!("/huge-{i}"),
                &format!("huge-{i}"),
                i64::MAX - i,
                Serve::Bytes(b"tiny".to_vec()),
            )
        })
        .collect();
    let server = Hostile::listing(packets).await;
    let dir = out_dir("hostile-huge");
    let totals = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&totals);
    let summary = server
        .client()
        .download_logs(
            any_l4_request(),
            &Downloader::new(&dir)
                .retry(fast_retry().max_attempts(1))
                .on_progress(move |event, progress| {
                    if matches!(event, Event::Listed) {
                        *seen.lock().expect("lock") = Some(*progress);
                    }
                }),
        )
        .await
        .expect("run");
    let listed = totals.lock().expect("lock").expect("Listed was reported");
    assert_eq!((listed.packets, listed.bytes), (3, u64::MAX));
    assert_eq!(summary.failed.len(), 3);
    assert!(summary
        .failed
        .iter()
        .all(|f| matches!(f.error, DownloadError::SizeMismatch { received: 4, .. })));
    assert!(files(&dir).is_empty());
}

/// A listing page with `TotalCount` and no `Data` (it ended the listing as a success with 0
/// packets): the run fails with the paging error, naming the action and offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_page_with_a_total_but_no_data_fails_the_run() {
    let server = Hostile::start(|_, _| json!({ "TotalCount": 5 }), vec![]).await;
    let dir = out_dir("hostile-no-data");
    let error = server
        .client()
        .download_logs(any_l4_request(), &Downloader::new(&dir))
        .await
        .expect_err("an incomplete listing fails");
    match &error {
        DownloadError::Listing(e) => {
            assert_eq!(
                (e.action(), e.paging_offset()),
                (Some("DownloadL4Logs"), Some(0))
            );
        }
        other => panic!("{other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("DownloadL4Logs") && message.contains("offset 0"),
        "{message}"
    );
    assert!(files(&dir).is_empty());
}

/// No total, and pages capped at 5 whatever the Limit (the listing used to end after the
/// first short page): all 12 packets are listed and downloaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_capped_below_the_limit_without_a_total_loses_nothing() {
    let bodies: Vec<(String, Serve)> = (0..12)
        .map(|i| {
            (
                format!("/c-{i}"),
                Serve::Bytes(format!("packet {i}").into_bytes()),
            )
        })
        .collect();
    let listing = |url: &str, offset: u64| {
        let data: Vec<Value> = (offset..12.min(offset + 5))
            .map(|i| {
                let size = format!("packet {i}").len() as i64;
                l4_item(url, &format!("/c-{i}"), &format!("c-{i}"), "", size)
            })
            .collect();
        json!({ "Data": data })
    };
    let server = Hostile::start(
        listing,
        bodies
            .iter()
            .map(|(p, s)| (p.as_str(), s.clone()))
            .collect(),
    )
    .await;
    let dir = out_dir("hostile-capped");
    let summary = server
        .client()
        .download_logs(any_l4_request(), &Downloader::new(&dir))
        .await
        .expect("run");
    assert_eq!((summary.packets, summary.downloaded), (12, 12));
    assert_eq!(server.listing_offsets(), [0, 5, 10, 12]);
    assert_eq!(files(&dir).len(), 12);
}

/// Two runs into one directory at once, over slow packets: each writes its own temporary
/// files and renames whole ones into place, so both end complete with byte-identical files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_into_one_directory_do_not_corrupt_each_other() {
    let mock = mock(vec![FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::Latency(Duration::from_millis(30)),
        1.0,
    )])
    .await;
    let client = client(&mock);
    let dir = out_dir("two-runs");
    let run = |client: Client, dir: PathBuf| async move {
        client
            .download_logs(l4_request(2), &Downloader::new(dir).concurrency(4))
            .await
    };
    let (one, two) = tokio::join!(
        tokio::spawn(run(client.clone(), dir.clone())),
        tokio::spawn(run(client.clone(), dir.clone()))
    );
    let (one, two) = (
        one.expect("task").expect("run 1"),
        two.expect("task").expect("run 2"),
    );
    assert!(
        one.is_complete() && two.is_complete(),
        "{:?} {:?}",
        one.failed,
        two.failed
    );
    assert_eq!(one.downloaded + one.skipped, 8);
    assert_eq!(two.downloaded + two.skipped, 8);
    mock.faults().clear();
    assert_files(&dir, &expected(&client, l4_request(2)).await);
    mock.shutdown().await;
}
