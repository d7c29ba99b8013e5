//! Cost of TC3 signing next to the SHA-256 of the body it must hash anyway.
//!
//! Three figures from one run, for a 1.1 KB DownloadL4Logs request body:
//! `sha256_payload` (bare `Sha256::digest` of the body, the floor), `sign`
//! (derives the signing key on every call) and `sign_cached` (key from a
//! `SigningKeyCache`, as for every request after the first of a UTC day).
//!
//! `cargo bench -p teo-client --bench signing -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sha2::{Digest, Sha256};
use teo_client::models::{DateTime, DownloadL4LogsRequest};
use teo_client::signing::{sign, sign_with_cache, SigningInput, SigningKeyCache};

const SECRET_ID: &str = "AKIDiK2ZWeqhFWCEPyYngFb51yBMWXaSCrUZ";
const SECRET_KEY: &str = "oL8g5ubbbPIa84yRnBUbHoWC8FJowoRo";

/// A DownloadL4Logs body of about 1.1 KB: a day of logs of 24 zones and
/// their L4 proxies, serialised as the client sends it.
fn download_l4_logs_body() -> Vec<u8> {
    let ids = |prefix: &str| -> Vec<String> {
        (0..24u32)
            .map(|i| format!("{prefix}-2o3h21ed8b{i:02}"))
            .collect()
    };
    let request = DownloadL4LogsRequest::new(
        DateTime::parse("2024-05-01T00:00:00+08:00").expect("start time"),
        DateTime::parse("2024-05-02T00:00:00+08:00").expect("end time"),
    )
    .zone_ids(ids("zone"))
    .proxy_ids(ids("sid"))
    .limit(300)
    .offset(0);
    let body = serde_json::to_vec(&request).expect("serialise the request");
    assert!(
        (1050..=1150).contains(&body.len()),
        "the body should be about 1.1 KB, is {} bytes",
        body.len()
    );
    body
}

fn signing(c: &mut Criterion) {
    let body = download_l4_logs_body();
    let input = SigningInput {
        service: "teo",
        method: "POST",
        host: "teo.intl.tencentcloudapi.com",
        content_type: "application/json",
        query: "",
        payload: &body,
        unsigned_payload: false,
        timestamp: 1_714_492_800,
    };
    let cache = SigningKeyCache::new();
    assert_eq!(
        sign_with_cache(&cache, SECRET_ID, SECRET_KEY, &input).expect("sign with cache"),
        sign(SECRET_ID, SECRET_KEY, &input).expect("sign"),
        "cached and uncached signatures must agree"
    );

    let mut group = c.benchmark_group("signing_1.1KB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("sha256_payload", |b| {
        b.iter(|| Sha256::digest(black_box(body.as_slice())))
    });
    group.bench_function("sign", |b| {
        b.iter(|| sign(SECRET_ID, SECRET_KEY, black_box(&input)))
    });
    group.bench_function("sign_cached", |b| {
        b.iter(|| sign_with_cache(&cache, SECRET_ID, SECRET_KEY, black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
