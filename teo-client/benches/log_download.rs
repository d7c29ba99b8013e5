//! Throughput and peak memory of [`teo_client::logs::Downloader`] against `curl --parallel`,
//! fetching the same 64 log packets of 8 MiB from an in-process teo-mock, in the same run.
//!
//! `cargo bench -p teo-client --bench log_download`
//!
//! This process starts the mock (packets padded to 8 MiB, a cache holding all of them), lists
//! the packets once through the client, warms the cache with one unmeasured run of each
//! variant, then for [`ROUNDS`] rounds alternates, at each concurrency:
//! - `teo`: this binary re-executed as a child that runs `Downloader::new(dir)
//!   .concurrency(n).download(packets)` on a multi-threaded tokio runtime (the packets come in
//!   a file, so the child does no listing);
//! - `curl`: `curl --parallel --parallel-max n` over the same URLs;
//! - `curl + fsync`: that same curl run, plus fsyncing its files and the directory one after
//!   another once curl has exited. The downloader syncs each packet before renaming it, so its
//!   bytes are on disk when it exits; curl never syncs, so its bytes may still be in the page
//!   cache. The truth for a durable copy lies between the two curl rows.
//!
//! Each child runs under GNU `/usr/bin/time` (for its peak RSS) and is timed from spawn to
//! exit. Which side goes first alternates between rounds. Every run writes into a fresh
//! directory under `target/tmp`, checked (count and sizes, outside the timing) and removed
//! afterwards. The mock shares the machine's cores with the child: these are figures for the
//! whole loop on loopback, the same for both sides. Needs `curl` and GNU time.
//!
//! Without `--bench` (`cargo test -p teo-client --bench log_download`) it only checks the
//! plumbing: 4 small packets, one round.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use teo_client::logs::{Downloader, LogListing, Packet};
use teo_client::models::{DateTime, DownloadL4LogsRequest};
use teo_client::{Client, Credentials};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const MIB: f64 = (1 << 20) as f64;
const PACKET_BYTES: u64 = 8 << 20;
const ROUNDS: usize = 5;
/// The downloader's default and a higher one; curl gets the same `--parallel-max`.
const CONCURRENCY: [usize; 2] = [teo_client::logs::DEFAULT_CONCURRENCY, 8];
/// Set in a child: the packet list file, the output directory and the concurrency.
const CHILD_ENV: &str = "TEO_BENCH_LOG_DOWNLOAD";

fn main() {
    if let Ok(args) = std::env::var(CHILD_ENV) {
        return download_child(&args);
    }
    let bench = std::env::args().any(|arg| arg == "--bench");
    // 8 hours × 8 proxies of one zone.
    let (hours, proxies, packet_bytes, rounds) = if bench {
        (8, 8, Some(PACKET_BYTES), ROUNDS)
    } else {
        (2, 2, None, 1)
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let config = MockConfig::default()
        .rate_limit(None)
        .log_packet_bytes(packet_bytes)
        .log_cache_bytes(1 << 30);
    let mock = runtime.block_on(MockServer::start(config)).expect("mock");
    let packets = runtime.block_on(list(&mock.url(), hours, proxies));
    let total: u64 = packets.iter().map(|p| p.size.expect("listed size")).sum();

    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("log_download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("bench directory");
    let list_file = work.join("packets.tsv");
    std::fs::write(&list_file, packet_lines(&packets)).expect("packet list");
    let curl_config = work.join("curl.conf");
    let out = work.join("out");
    std::fs::write(&curl_config, curl_lines(&packets, &out)).expect("curl config");
    let exe = std::env::current_exe().expect("current exe");

    // One run of each side into a fresh `out`, checked and removed afterwards.
    let teo = |n: usize| {
        let mut command = timed(&exe, &work);
        command.env(
            CHILD_ENV,
            format!("{}\t{}\t{n}", list_file.display(), out.display()),
        );
        let run = run_child(&mut command, &out, &work);
        check_files(&out, &packets);
        std::fs::remove_dir_all(&out).expect("remove output");
        run
    };
    // curl's time, and then with its files synced as the downloader syncs each packet.
    let curl = |n: usize| {
        let mut command = timed(Path::new("curl"), &work);
        command
            .args(["--parallel", "--parallel-max", &n.to_string(), "--fail"])
            // Not --silent: curl 7.88 still draws its parallel progress meter with it.
            .args(["--no-progress-meter", "--config"])
            .arg(&curl_config);
        let run = run_child(&mut command, &out, &work);
        let synced = Run {
            wall: run.wall + fsync_all(&out),
            ..run
        };
        check_files(&out, &packets);
        std::fs::remove_dir_all(&out).expect("remove output");
        (run, synced)
    };

    let load_before = load_average();
    let mut results: Vec<Variant> = Vec::new();
    // Round 0 warms the mock's cache and the page cache of both binaries; it is not counted.
    // Which side goes first alternates between rounds.
    for round in 0..=rounds {
        for n in CONCURRENCY {
            let (teo, (curl, synced)) = if round % 2 == 0 {
                (teo(n), curl(n))
            } else {
                let curl = curl(n);
                (teo(n), curl)
            };
            if round > 0 {
                record(
                    &mut results,
                    format!("teo Downloader, concurrency {n}"),
                    teo,
                );
                record(&mut results, format!("curl --parallel-max {n}"), curl);
                record(
                    &mut results,
                    format!("curl --parallel-max {n} + fsync"),
                    synced,
                );
            }
        }
    }
    let load_after = load_average();
    runtime.block_on(mock.shutdown());
    let _ = std::fs::remove_dir_all(&work);

    print!(
        "{}",
        table(
            &results,
            packets.len(),
            total,
            rounds,
            &load_before,
            &load_after
        )
    );
}

/// The DownloadL4Logs listing of `hours` × `proxies` packets (one zone).
async fn list(url: &str, hours: usize, proxies: usize) -> Vec<Packet> {
    let client = Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(url)
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let start = DateTime::parse("2024-05-01T00:00:00Z").expect("start");
    let end = DateTime::parse(&format!("2024-05-01T{hours:02}:00:00Z")).expect("end");
    let request = DownloadL4LogsRequest::new(start, end)
        .zone_ids(["zone-bench"])
        .proxy_ids((0..proxies).map(|i| format!("sid-bench{i}")))
        .limit(300);
    let items = client
        .download_l4_logs_paginator(request)
        .collect_items()
        .await
        .expect("listing");
    assert_eq!(items.len(), hours * proxies, "packets listed");
    items.iter().map(DownloadL4LogsRequest::packet).collect()
}

/// One line per packet: name, area, source, start, end, size, url.
fn packet_lines(packets: &[Packet]) -> String {
    let mut text = String::new();
    for p in packets {
        let size = p.size.expect("listed size");
        let fields = [
            &p.name,
            &p.area,
            &p.source,
            p.start.as_str(),
            p.end.as_str(),
        ];
        writeln!(text, "{}\t{size}\t{}", fields.join("\t"), p.url).expect("write");
    }
    text
}

fn parse_packet(line: &str) -> Packet {
    let f: Vec<&str> = line.split('\t').collect();
    let time = |text: &str| DateTime::parse(text).expect("packet time");
    Packet {
        name: f[0].to_owned(),
        area: f[1].to_owned(),
        source: f[2].to_owned(),
        start: time(f[3]),
        end: time(f[4]),
        size: Some(f[5].parse().expect("packet size")),
        url: f[6].to_owned(),
    }
}

/// A curl config fetching every packet into `out` under the downloader's file names.
fn curl_lines(packets: &[Packet], out: &Path) -> String {
    let mut text = String::from("create-dirs\n");
    for p in packets {
        let path = out.join(p.file_name());
        writeln!(text, "url = \"{}\"\noutput = \"{}\"", p.url, path.display()).expect("write");
    }
    text
}

/// The child: downloads the listed packets with the library's defaults but `concurrency`.
fn download_child(args: &str) {
    let [list, out, concurrency] = args.split('\t').collect::<Vec<_>>()[..] else {
        panic!("{CHILD_ENV}: list<TAB>out<TAB>concurrency");
    };
    let text = std::fs::read_to_string(list).expect("packet list");
    let packets: Vec<Packet> = text.lines().map(parse_packet).collect();
    let count = packets.len() as u64;
    let downloader = Downloader::new(out).concurrency(concurrency.parse().expect("concurrency"));
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let summary = runtime
        .block_on(downloader.download(packets))
        .expect("download");
    assert!(summary.is_complete(), "failed: {:?}", summary.failed);
    assert_eq!(summary.downloaded, count, "packets downloaded");
}

#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    /// Peak resident set of the child, bytes.
    peak_rss: u64,
}

/// `program` under GNU time, which writes its peak RSS (KiB) to `work/peak-rss`. (The peak RSS
/// `wait4` reports for a direct child would start at this process's own, the mock's cache
/// included: Linux carries it over `vfork` and `exec`. Under `time`, the program is forked from
/// a small process.)
fn timed(program: &Path, work: &Path) -> Command {
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(work.join("peak-rss"))
        .arg(program);
    command
}

/// Runs a [`timed`] command (after creating `out`) and waits for it: wall time from spawn to
/// exit, and peak RSS.
fn run_child(command: &mut Command, out: &Path, work: &Path) -> Run {
    std::fs::create_dir_all(out).expect("output directory");
    let started = Instant::now();
    let status = command.status().expect("run /usr/bin/time (GNU time)");
    let wall = started.elapsed();
    assert!(status.success(), "{command:?}: {status}");
    let kib: u64 = std::fs::read_to_string(work.join("peak-rss"))
        .expect("peak RSS")
        .trim()
        .parse()
        .expect("peak RSS in KiB");
    Run {
        wall,
        peak_rss: kib << 10,
    }
}

/// Syncs every file in `dir`, then `dir` itself; returns the time taken.
fn fsync_all(dir: &Path) -> Duration {
    let started = Instant::now();
    for entry in std::fs::read_dir(dir).expect("read output") {
        let path = entry.expect("entry").path();
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .expect("fsync");
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .expect("fsync dir");
    started.elapsed()
}

/// Every packet is in `dir` with its listed size, and nothing else.
fn check_files(dir: &Path, packets: &[Packet]) {
    let files = std::fs::read_dir(dir).expect("read output").count();
    assert_eq!(files, packets.len(), "files in {}", dir.display());
    for p in packets {
        let path = dir.join(p.file_name());
        let len = std::fs::metadata(&path).expect("packet file").len();
        assert_eq!(Some(len), p.size, "{}", path.display());
    }
}

/// The runs of one variant, in the order measured.
struct Variant {
    name: String,
    runs: Vec<Run>,
}

fn record(results: &mut Vec<Variant>, name: String, run: Run) {
    match results.iter_mut().find(|v| v.name == name) {
        Some(variant) => variant.runs.push(run),
        None => results.push(Variant {
            name,
            runs: vec![run],
        }),
    }
}

impl Variant {
    /// Throughputs in MiB/s, sorted.
    fn mib_per_s(&self, bytes: u64) -> Vec<f64> {
        let mut rates: Vec<f64> = self
            .runs
            .iter()
            .map(|r| bytes as f64 / MIB / r.wall.as_secs_f64())
            .collect();
        rates.sort_by(f64::total_cmp);
        rates
    }

    fn median(&self, bytes: u64) -> f64 {
        let rates = self.mib_per_s(bytes);
        let mid = rates.len() / 2;
        if rates.len() % 2 == 1 {
            rates[mid]
        } else {
            (rates[mid - 1] + rates[mid]) / 2.0
        }
    }
}

fn table(
    results: &[Variant],
    packets: usize,
    bytes: u64,
    rounds: usize,
    load_before: &str,
    load_after: &str,
) -> String {
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(
        w,
        "\n{packets} packets, {:.1} MiB in all; {rounds} rounds, alternating; \
         load average before: {load_before}, after: {load_after}\n",
        bytes as f64 / MIB
    );
    let _ = writeln!(
        w,
        "{:<38} {:>8} {:>8} {:>8} {:>14}",
        "variant", "median", "min", "max", "peak RSS"
    );
    let _ = writeln!(
        w,
        "{:<38} {:>8} {:>8} {:>8} {:>14}",
        "", "MiB/s", "MiB/s", "MiB/s", "MiB (max)"
    );
    for variant in results {
        let rates = variant.mib_per_s(bytes);
        let rss = variant.runs.iter().map(|r| r.peak_rss).max().unwrap_or(0);
        let _ = writeln!(
            w,
            "{:<38} {:>8.0} {:>8.0} {:>8.0} {:>14.1}",
            variant.name,
            variant.median(bytes),
            rates[0],
            rates[rates.len() - 1],
            rss as f64 / MIB
        );
    }
    let _ = writeln!(w);
    for group in results.chunks(3) {
        let [teo, curl, synced] = group else { continue };
        let _ = writeln!(
            w,
            "{}: {:.2}× curl, {:.2}× curl + fsync (medians); peak RSS {:.1} MiB",
            teo.name,
            teo.median(bytes) / curl.median(bytes),
            teo.median(bytes) / synced.median(bytes),
            teo.runs.iter().map(|r| r.peak_rss).max().unwrap_or(0) as f64 / MIB
        );
    }
    t
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
