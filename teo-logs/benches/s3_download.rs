//! Downloading log packets into a local S3-compatible server (moto, from `target/py`) beside
//! downloading them to local disk, in one run: `cargo bench -p teo-logs --bench s3_download`.
//!
//! The parent starts teo-mock (16 L4 packets of 8 MiB, all cached after a warm-up) and moto,
//! both on 127.0.0.1. Each measured run is a child process under `/usr/bin/time` (wall time,
//! peak RSS) that lists the packets through the client and then either
//! - `local`: `Client::download_logs` into a fresh directory (what `teo logs download` does), or
//! - `s3`: `export` to `s3://bench/<run>` (staged on local disk, each packet uploaded as soon
//!   as it is complete, in 5 MiB multipart parts; what `teo logs download --out s3://…` does).
//!
//! The S3 figure includes moto's own work (a Python server sharing the 2 cores), so it is the
//! floor of what a real store would give.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use teo_client::logs::Downloader;
use teo_client::models::{DateTime, DownloadL4LogsRequest};
use teo_client::{Client, Credentials};
use teo_logs::dest::{Destination, StoreOptions};
use teo_logs::export::{export, Target};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

mod common;
use common::timed;
#[path = "../tests/support/mod.rs"]
mod support;

const PACKET_BYTES: u64 = 8 << 20;
const PROXIES: usize = 4;
const HOURS: usize = 4;

fn request() -> DownloadL4LogsRequest {
    DownloadL4LogsRequest::new(
        DateTime::parse("2024-05-01T00:00:00Z").unwrap(),
        DateTime::parse(&format!("2024-05-01T{HOURS:02}:00:00Z")).unwrap(),
    )
    .zone_ids(["zone-bench"])
    .proxy_ids((0..PROXIES).map(|i| format!("sid-bench-{i}")))
}

fn client(mock: &str) -> Client {
    Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(mock)
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["worker-local", mock, dir] => return worker_local(mock, Path::new(dir)),
        ["worker-s3", mock, endpoint, url, staging] => {
            return worker_s3(mock, endpoint, url, Path::new(staging))
        }
        _ => {}
    }
    let Some(moto) = support::Moto::start() else {
        println!("no target/py: the S3 side needs moto; skipped");
        return;
    };
    moto.create_bucket("bench");
    let runtime = runtime();
    let mock = runtime
        .block_on(MockServer::start(MockConfig {
            log_packet_bytes: Some(PACKET_BYTES),
            log_cache_bytes: 512 << 20,
            ..MockConfig::default()
        }))
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let work = common::root().join("s3-download");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let total = PACKET_BYTES * (PROXIES * HOURS) as u64;

    let mut rows = Vec::new();
    for round in 0..3 {
        let local = work.join(format!("local-{round}"));
        let (secs, rss) = timed(
            Command::new(&exe)
                .arg("worker-local")
                .arg(mock.url())
                .arg(&local),
        );
        rows.push((round, "local disk (download_logs)", secs, rss));
        let (secs, rss) = timed(
            Command::new(&exe)
                .arg("worker-s3")
                .arg(mock.url())
                .arg(moto.endpoint())
                .arg(format!("s3://bench/run-{round}"))
                .arg(work.join(format!("staging-{round}"))),
        );
        rows.push((round, "S3 on moto (export)", secs, rss));
        let _ = std::fs::remove_dir_all(&local);
    }
    println!(
        "\n{} packets of {} MiB ({:.0} MiB); round 0 warms the mock's cache\n",
        PROXIES * HOURS,
        PACKET_BYTES >> 20,
        total as f64 / (1 << 20) as f64
    );
    println!("| round | target | seconds | MiB/s | peak RSS MiB |\n|---|---|---|---|---|");
    for (round, label, secs, rss) in &rows {
        println!(
            "| {round} | {label} | {secs:.2} | {:.0} | {:.0} |",
            total as f64 / (1 << 20) as f64 / secs,
            *rss as f64 / 1024.0
        );
    }
    runtime.block_on(mock.shutdown());
    let _ = std::fs::remove_dir_all(&work);
}

fn worker_local(mock: &str, dir: &Path) {
    runtime().block_on(async {
        let summary = client(mock)
            .download_logs(request(), &Downloader::new(dir))
            .await
            .unwrap();
        assert!(summary.is_complete() && summary.downloaded == (PROXIES * HOURS) as u64);
    });
}

fn worker_s3(mock: &str, endpoint: &str, url: &str, staging: &Path) {
    let runtime = runtime();
    let options = StoreOptions {
        s3_endpoint: Some(endpoint.to_owned()),
        config: [
            ("aws_access_key_id", "AKIDBENCH"),
            ("aws_secret_access_key", "bench-secret"),
            ("aws_region", "us-east-1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
    };
    let dest = Destination::parse(url, &options, runtime.handle().clone()).unwrap();
    runtime.block_on(async {
        let summary = export(
            &client(mock),
            request(),
            &Target::Packets(dest),
            Downloader::new(staging),
            |_, _| {},
        )
        .await
        .unwrap();
        assert!(summary.is_complete(), "{summary:?}");
        assert_eq!(summary.stored, (PROXIES * HOURS) as u64);
    });
}
