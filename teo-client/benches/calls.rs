//! Calls per second of [`teo_client::Client`] against an in-process `teo_mock::MockServer`,
//! next to a bare `reqwest` baseline sending the same signed request to the same mock.
//!
//! Calls are sequential: one call in flight, its latency measured, throughput = 1 / latency
//! (criterion's `thrpt`, in calls/s). Everything runs on one tokio runtime with 2 workers:
//! the calls are driven from the benchmark thread (`block_on`), while the mock's connection
//! tasks and hyper's client connection tasks run on the workers — client, server and both
//! HTTP stacks share the machine's cores, so these are figures for the whole loop on
//! loopback, not for the client alone.
//!
//! - `client_typed`: `client.describe_zones(DescribeZonesRequest::new().limit(1))` —
//!   serialise, sign, send, parse the envelope and the typed response.
//! - `client_json`: `client.call("DescribeZones", json!({"Limit": 1}))` — the same through
//!   the by-name path (request checked against the action's type, JSON answer).
//! - `bare_reqwest`: the same body and headers, signed once per sample (outside the timed
//!   loop), posted with a plain `reqwest::Client` and the answer read as bytes: the floor
//!   the client's own work adds to.
//!
//! After criterion's groups, the three callers run in turn in blocks of 400 calls for 15
//! rounds, and the medians of the rounds' ratios to bare reqwest are printed: criterion's groups
//! run a minute apart, and this machine's speed drifts by as much as the gap being measured.
//!
//! Last, 1, 4 and 16 callers share one client for 3 s each, beside as many callers sharing a
//! bare reqwest client and `wrk` (`apt-get install wrk`; skipped without it) with as many
//! connections sending the same signed request to the same mock: calls/s side by side, 3 rounds
//! taking turns, medians.
//!
//! `cargo bench -p teo-client --bench calls -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use serde_json::json;
use teo_client::models::DescribeZonesRequest;
use teo_client::signing::{sign, SigningInput};
use teo_client::{Client, Credentials};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

/// What `DescribeZonesRequest::new().limit(1)` serialises to.
const BODY: &[u8] = br#"{"Limit":1}"#;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The headers the client sends for DescribeZones with [`BODY`], signed now.
fn signed_headers(host: &str) -> HeaderMap {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let signature = sign(
        DEFAULT_SECRET_ID,
        DEFAULT_SECRET_KEY,
        &SigningInput {
            service: "teo",
            method: "POST",
            host,
            content_type: "application/json",
            query: "",
            payload: BODY,
            unsigned_payload: false,
            timestamp,
        },
    )
    .expect("sign");
    let value = |text: &str| HeaderValue::from_str(text).expect("header value");
    let mut headers = HeaderMap::new();
    headers.insert(HOST, value(host));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(AUTHORIZATION, value(signature.authorization()));
    headers.insert("X-TC-Action", HeaderValue::from_static("DescribeZones"));
    headers.insert("X-TC-Version", HeaderValue::from_static("2022-09-01"));
    headers.insert("X-TC-Timestamp", HeaderValue::from(timestamp));
    headers.insert("X-TC-Language", HeaderValue::from_static("en-US"));
    headers.insert(
        "X-TC-RequestClient",
        HeaderValue::from_static(concat!("SDK_RUST_TEO_", env!("CARGO_PKG_VERSION"))),
    );
    headers
}

fn calls(c: &mut Criterion) {
    let rt = runtime();
    let mock = rt
        .block_on(MockServer::start(MockConfig::default().rate_limit(None)))
        .expect("start the mock");
    let url = mock.url();
    let host = format!("{}", mock.addr());

    let client = Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(&url)
        // The client's own limiter (100 calls/s per action by default) would be what is
        // measured otherwise.
        .rate_limit(None)
        .build()
        .expect("client");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client");

    // Every variant must succeed, or the figures would time error paths.
    rt.block_on(async {
        let zones = client
            .describe_zones(DescribeZonesRequest::new().limit(1))
            .await
            .expect("typed DescribeZones against the mock");
        black_box(zones);
        client
            .call("DescribeZones", json!({"Limit": 1}))
            .await
            .expect("DescribeZones by name against the mock");
        let answer = http
            .post(&url)
            .headers(signed_headers(&host))
            .body(BODY)
            .send()
            .await
            .expect("bare request")
            .text()
            .await
            .expect("bare answer");
        assert!(
            answer.contains("\"RequestId\"") && !answer.contains("\"Error\""),
            "the bare request must be accepted: {answer}"
        );
    });

    let mut group = c.benchmark_group("calls_DescribeZones");
    group.throughput(Throughput::Elements(1));
    group.bench_function("client_typed", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .describe_zones(DescribeZonesRequest::new().limit(1))
                .await
                .expect("DescribeZones")
        })
    });
    group.bench_function("client_json", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .call("DescribeZones", json!({"Limit": 1}))
                .await
                .expect("DescribeZones")
        })
    });
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            // Signed per sample, untimed: the mock rejects timestamps 5 minutes old.
            let headers = signed_headers(&host);
            let (http, url) = (&http, &url);
            async move {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(bare_call(http, url, &headers).await);
                }
                start.elapsed()
            }
        })
    });
    group.finish();

    interleaved(&rt, &client, &http, &url, &host);
    concurrency(&rt, &client, &http, &url, &host);
    rt.block_on(mock.shutdown());
}

/// One bare reqwest call: the signed request posted, the answer read as bytes (their count).
async fn bare_call(http: &reqwest::Client, url: &str, headers: &HeaderMap) -> usize {
    let response = http
        .post(url)
        .headers(headers.clone())
        .body(BODY)
        .send()
        .await
        .expect("bare request");
    assert!(response.status().is_success());
    response.bytes().await.expect("bare answer").len()
}

/// Seconds each concurrency figure is measured for.
const CONCURRENT_SECS: u64 = 3;

/// 1, 4 and 16 callers sharing `client`, each calling DescribeZones in a loop, beside as many
/// callers sharing a bare `reqwest` client (the signed request posted, the answer read as
/// bytes) and `wrk` with as many connections sending the same signed request to the same mock
/// (all share the cores with the mock); 3 rounds, the three taking turns, medians. Without `wrk`
/// on the PATH (`apt-get install wrk`) its column is empty.
fn concurrency(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    http: &reqwest::Client,
    url: &str,
    host: &str,
) {
    let has_wrk = std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok();
    println!("\n| callers | teo-client calls/s | bare reqwest calls/s | wrk requests/s, as many connections | teo-client / wrk | bare reqwest / wrk |");
    println!("|---|---|---|---|---|---|");
    for callers in [1usize, 4, 16] {
        let mut ours = Vec::new();
        let mut bare = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..3 {
            ours.push(rt.block_on(calls_for(client, callers)));
            bare.push(rt.block_on(bare_calls_for(http, url, host, callers)));
            if has_wrk {
                theirs.push(wrk(url, host, callers));
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        };
        let ours = median(ours).unwrap_or(0.0);
        let bare = median(bare).unwrap_or(0.0);
        match median(theirs) {
            Some(theirs) => println!(
                "| {callers} | {ours:.0} | {bare:.0} | {theirs:.0} | {:.2}× | {:.2}× |",
                ours / theirs,
                bare / theirs
            ),
            None => println!("| {callers} | {ours:.0} | {bare:.0} | (no wrk) | | |"),
        }
    }
}

/// Calls per second of `callers` tasks sharing one bare reqwest client for [`CONCURRENT_SECS`].
async fn bare_calls_for(http: &reqwest::Client, url: &str, host: &str, callers: usize) -> f64 {
    let (http, url, headers) = (http.clone(), url.to_owned(), signed_headers(host));
    calls_per_second(callers, move || {
        let (http, url, headers) = (http.clone(), url.clone(), headers.clone());
        async move {
            black_box(bare_call(&http, &url, &headers).await);
        }
    })
    .await
}

/// Calls per second of `callers` tasks sharing `client` for [`CONCURRENT_SECS`].
async fn calls_for(client: &Client, callers: usize) -> f64 {
    let client = client.clone();
    calls_per_second(callers, move || {
        let client = client.clone();
        async move {
            black_box(
                client
                    .describe_zones(DescribeZonesRequest::new().limit(1))
                    .await
                    .expect("DescribeZones"),
            );
        }
    })
    .await
}

/// Calls per second of `callers` tasks each making `call` in a loop for [`CONCURRENT_SECS`].
async fn calls_per_second<F, Fut>(callers: usize, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let start = Instant::now();
    let deadline = start + std::time::Duration::from_secs(CONCURRENT_SECS);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    call().await;
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let mut calls = 0;
    for task in tasks {
        calls += task.await.expect("caller");
    }
    calls as f64 / start.elapsed().as_secs_f64()
}

/// `wrk`'s requests per second with `connections` connections (and up to two threads), each
/// request the signed DescribeZones the client sends.
fn wrk(url: &str, host: &str, connections: usize) -> f64 {
    let headers = signed_headers(host);
    let mut script = String::from("wrk.method = \"POST\"\nwrk.body = '{\"Limit\":1}'\n");
    for (name, value) in &headers {
        script.push_str(&format!(
            "wrk.headers[\"{name}\"] = \"{}\"\n",
            value.to_str().expect("ASCII header")
        ));
    }
    let path = std::env::temp_dir().join(format!("teo-bench-wrk-{}.lua", std::process::id()));
    std::fs::write(&path, script).expect("wrk script");
    let output = std::process::Command::new("wrk")
        .args(["-t", &connections.min(2).to_string()])
        .args(["-c", &connections.to_string()])
        .args(["-d", &format!("{CONCURRENT_SECS}s")])
        .arg("-s")
        .arg(&path)
        .arg(url)
        .output()
        .expect("wrk runs");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "the mock refused wrk's requests: {text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk's output: {text}"))
}

/// The three callers in turn, in blocks of [`BLOCK`] calls, for [`ROUNDS`] rounds: each
/// round's ratios compare blocks run within a few hundred milliseconds of each other, so the
/// machine's drift (a tenth between criterion groups a minute apart, here) cancels out. The
/// medians of the rounds are the figures to hold against the targets.
fn interleaved(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    http: &reqwest::Client,
    url: &str,
    host: &str,
) {
    const ROUNDS: usize = 15;
    const BLOCK: u32 = 400;
    let mut typed = Vec::new();
    let mut by_name = Vec::new();
    let mut bare = Vec::new();
    rt.block_on(async {
        for round in 0..ROUNDS {
            let headers = signed_headers(host);
            // The order turns each round, so no caller always follows the same one.
            for which in (0..3).map(|k| (k + round) % 3) {
                let start = Instant::now();
                for _ in 0..BLOCK {
                    match which {
                        0 => {
                            black_box(
                                client
                                    .describe_zones(DescribeZonesRequest::new().limit(1))
                                    .await
                                    .expect("DescribeZones"),
                            );
                        }
                        1 => {
                            black_box(
                                client
                                    .call("DescribeZones", json!({"Limit": 1}))
                                    .await
                                    .expect("DescribeZones"),
                            );
                        }
                        _ => {
                            black_box(bare_call(http, url, &headers).await);
                        }
                    }
                }
                let per_call = start.elapsed().as_secs_f64() * 1e6 / f64::from(BLOCK);
                [&mut typed, &mut by_name, &mut bare][which].push(per_call);
            }
        }
    });
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratios = |of: &[f64]| -> Vec<f64> { bare.iter().zip(of).map(|(b, o)| b / o).collect() };
    let (typed_ratio, by_name_ratio) = (median(ratios(&typed)), median(ratios(&by_name)));
    println!(
        "\ninterleaved, {ROUNDS} rounds of {BLOCK} calls each (median µs per call): typed {:.1}, by name {:.1}, bare reqwest {:.1}",
        median(typed.clone()),
        median(by_name.clone()),
        median(bare.clone())
    );
    println!(
        "calls/s against bare reqwest's, median of the rounds' ratios: typed {typed_ratio:.2}× (target ≥ 0.9×), by name with JSON {by_name_ratio:.2}× (target ≥ 0.8×)"
    );
}

criterion_group!(benches, calls);
criterion_main!(benches);
