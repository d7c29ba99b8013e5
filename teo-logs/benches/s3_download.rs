//! Downloading log packets into a local S3-compatible server beside downloading them to local
//! disk, in one run: `cargo bench -p teo-logs --bench s3_download`.
//!
//! The servers: `s3s-fs` (Rust, checks signatures; not in CI, build it with
//! `cargo install s3s-fs --version 0.14.1 --features binary --root target/tools`) and moto
//! (Python, from `target/py`), each on 127.0.0.1 and sharing the machine's cores with the
//! client and teo-mock (16 L4 packets of 8 MiB, all cached after round 0). Each measured run is a
//! child process under `/usr/bin/time` (wall time, peak RSS):
//! - `local`: `Client::download_logs` into a fresh directory (what `teo logs download` does);
//! - `export`: `export` to `s3://bench/<run>` (staged on local disk, each packet uploaded as soon
//!   as it is complete, in 5 MiB multipart parts; what `teo logs download --out s3://…` does);
//! - `ceiling`: the same bytes, already in memory, through the same uploads with nothing else
//!   running: the most that server takes on this machine, whoever the client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use teo_client::logs::Downloader;
use teo_client::models::{DateTime, DownloadL4LogsRequest};
use teo_client::{Client, Credentials};
use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::export::{export, Target};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

mod common;
use common::timed;
#[path = "../tests/it/support/mod.rs"]
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
        ["worker-upload", endpoint, key, secret, url] => {
            return worker_upload(endpoint, (key, secret), url)
        }
        ["worker-s3", mock, endpoint, key, secret, url, staging] => {
            return worker_s3(mock, endpoint, (key, secret), url, Path::new(staging))
        }
        _ => {}
    }
    // Either server may be missing (s3s-fs is built by hand, see the top); the rows say which ran.
    let s3s = support::S3sFs::start();
    let moto = support::Moto::start();
    let mut servers = Vec::new();
    if let Some(s3s) = &s3s {
        s3s.create_bucket("bench");
        let keys = (support::S3sFs::ACCESS_KEY, support::S3sFs::SECRET_KEY);
        servers.push(("s3s-fs", s3s.endpoint(), keys));
    }
    if let Some(moto) = &moto {
        moto.create_bucket("bench");
        servers.push(("moto", moto.endpoint(), ("AKIDBENCH", "bench-secret")));
    }
    if servers.is_empty() {
        println!("no S3 server (target/tools/bin/s3s-fs, target/py moto_server); skipped");
        return;
    }
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
        rows.push((round, "local disk (download_logs)".to_owned(), secs, rss));
        for (n, (server, endpoint, (key, secret))) in servers.iter().enumerate() {
            let (secs, rss) = timed(
                Command::new(&exe)
                    .arg("worker-s3")
                    .arg(mock.url())
                    .args([endpoint.as_str(), key, secret])
                    .arg(format!("s3://bench/run-{round}"))
                    .arg(work.join(format!("staging-{round}-{n}"))),
            );
            rows.push((round, format!("S3 on {server} (export)"), secs, rss));
            let (secs, rss) = timed(
                Command::new(&exe)
                    .arg("worker-upload")
                    .args([endpoint.as_str(), key, secret])
                    .arg(format!("s3://bench/upload-{round}")),
            );
            rows.push((
                round,
                format!("{server}'s ceiling (upload from memory)"),
                secs,
                rss,
            ));
        }
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

fn store_options(endpoint: &str, (key, secret): (&str, &str)) -> StoreOptions {
    StoreOptions {
        s3_endpoint: Some(endpoint.to_owned()),
        config: [
            ("aws_access_key_id", key),
            ("aws_secret_access_key", secret),
            ("aws_region", "us-east-1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
    }
}

/// The same bytes, already in memory, through the same uploads (two at a time, as `export`
/// stores): what the server takes at best.
fn worker_upload(endpoint: &str, keys: (&str, &str), url: &str) {
    use std::io::Write;
    let runtime = runtime();
    let dest = Destination::parse(
        url,
        &store_options(endpoint, keys),
        runtime.handle().clone(),
    )
    .unwrap();
    let packet: Vec<u8> = (0..PACKET_BYTES).map(|i| ((i * 7919) >> 3) as u8).collect();
    let packet = std::sync::Arc::new(packet);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..2 {
            let (dest, packet, next) = (&dest, packet.clone(), next.clone());
            s.spawn(move || loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= PROXIES * HOURS {
                    break;
                }
                let mut out = dest.create(Path::new(&format!("p{n}.log.gz"))).unwrap();
                for chunk in packet.chunks(1 << 20) {
                    out.write_all(chunk).unwrap();
                }
                out.commit().unwrap();
            });
        }
    });
}

fn worker_s3(mock: &str, endpoint: &str, keys: (&str, &str), url: &str, staging: &Path) {
    let runtime = runtime();
    let dest = Destination::parse(
        url,
        &store_options(endpoint, keys),
        runtime.handle().clone(),
    )
    .unwrap();
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
