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
//! `call_parts` times, alone and hot, what a typed call does that bare reqwest does not: the
//! request prepared (written, signed, headers made) and the answer read, typed or as JSON.
//!
//! After criterion's groups, the callers run in turn in blocks of 400 calls for 15 rounds, and
//! the medians of the rounds' ratios to bare reqwest are printed: criterion's groups run a
//! minute apart, and this machine's speed drifts by as much as the gap being measured. Beside
//! them runs what a caller of bare reqwest must add to get what a typed call returns — sign
//! each request, read the answer as `DescribeZonesResponse` — so the table shows how much of the
//! gap is that necessary work and how much the client's own.
//!
//! Last, 1, 4 and 16 callers share one client for 2 s at a time, beside as many callers sharing
//! a bare reqwest client (the same, and bare reqwest doing the necessary work above) and `wrk`
//! (`apt-get install wrk`; skipped without it) with as many connections sending the same signed
//! request to the same mock: 5 rounds taking turns, medians of the rounds' ratios. For this part
//! the mock runs on a runtime of its own (2 workers), as it does for wrk, another process; with
//! `TEO_CALLS_BENCH_MOCK=process` it runs in another process too (this program started again),
//! so that it shares neither threads nor allocator with the callers.
//!
//! `cargo bench -p teo-client --bench calls -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, Criterion, Throughput};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use serde_json::json;
use teo_client::models::{DescribeZonesRequest, DescribeZonesResponse};
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
    // The sequential figures: the mock on the callers' runtime, as in every earlier run.
    let (mock, target) = Target::start(&rt, &rt);
    let Target {
        client,
        http,
        url,
        host,
    } = target.clone();

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
    call_parts(c, &rt, &target);

    interleaved(&rt, &target);
    rt.block_on(mock.shutdown());

    // Beside wrk, the mock runs on threads of its own: wrk is another process, so callers that
    // shared the server's scheduler would be measured under conditions wrk is not (their tasks
    // queued behind the server's, and the server's behind theirs). As a server on its own
    // machine, the mock serves every caller alike.
    match std::env::var("TEO_CALLS_BENCH_MOCK").as_deref() {
        Ok("process") => {
            let mock = MockProcess::start();
            let target = Target::new(&rt, mock.url.clone());
            println!("\n(the mock in another process)");
            concurrency(&rt, &target);
        }
        _ => {
            let mock_rt = runtime();
            let (mock, target) = Target::start(&mock_rt, &rt);
            concurrency(&rt, &target);
            mock_rt.block_on(mock.shutdown());
        }
    }
}

/// Set to [`SERVE`] in the mock's process: this same program, started again to serve the mock.
const MOCK_ENV: &str = "TEO_CALLS_BENCH_ROLE";
const SERVE: &str = "serve-mock";

/// The mock served by a copy of this program in a process of its own, as wrk sees it; it stops
/// when its standard input closes (this value dropped, or this process gone).
struct MockProcess {
    child: std::process::Child,
    url: String,
}

impl MockProcess {
    fn start() -> MockProcess {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(std::env::current_exe().expect("this program"))
            .env(MOCK_ENV, SERVE)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the mock's process");
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().expect("its output"))
            .read_line(&mut url)
            .expect("the mock's URL");
        let url = url.trim().to_owned();
        assert!(
            url.starts_with("http://"),
            "the mock's process said {url:?}"
        );
        MockProcess { child, url }
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The mock's process: serve until standard input closes, having printed the URL.
fn serve_mock() {
    use std::io::{Read as _, Write as _};
    let rt = runtime();
    let mock = start_mock(&rt);
    let mut out = std::io::stdout();
    writeln!(out, "{}", mock.url()).expect("say the URL");
    out.flush().expect("say the URL");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    rt.block_on(mock.shutdown());
}

/// The mock every part of this benchmark calls, on `rt`: without its rate limit (100 calls/s
/// per action by default), which would be what is measured otherwise.
fn start_mock(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(MockServer::start(MockConfig::default().rate_limit(None)))
        .expect("start the mock")
}

/// The parts of a typed call that bare reqwest does not do, each alone and hot (the same data
/// again and again, in cache): the request written, signed and its headers made
/// (`Client::prepare`, as a call does it), and the answer read as the typed response or, for a
/// call by name, as JSON. In a call they run cold, between the HTTP stacks' work and the mock's.
fn call_parts(c: &mut Criterion, rt: &tokio::runtime::Runtime, target: &Target) {
    #[derive(serde::Deserialize)]
    struct Answer<T> {
        #[serde(rename = "Response")]
        response: T,
    }
    let answer = rt.block_on(target.bare_answer(signed_headers(&target.host)));
    let request = DescribeZonesRequest::new().limit(1);
    let mut group = c.benchmark_group("call_parts");
    group.bench_function("prepare_signed_request", |b| {
        b.to_async(rt).iter(|| async {
            target
                .client
                .runtime()
                .prepare("DescribeZones", &request)
                .await
                .expect("prepare")
        })
    });
    group.bench_function("read_typed_answer", |b| {
        b.iter(|| {
            serde_json::from_str::<Answer<DescribeZonesResponse>>(black_box(&answer))
                .expect("a DescribeZones answer")
                .response
        })
    });
    group.bench_function("read_json_answer", |b| {
        b.iter(|| {
            serde_json::from_str::<Answer<serde_json::Value>>(black_box(&answer))
                .expect("a DescribeZones answer")
                .response
        })
    });
    group.finish();
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

/// What a bare reqwest caller must add to get what a typed call returns: the request signed
/// afresh, the answer read as `DescribeZonesResponse`.
async fn bare_typed_call(http: &reqwest::Client, url: &str, host: &str) -> DescribeZonesResponse {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Response")]
        response: DescribeZonesResponse,
    }
    let response = http
        .post(url)
        .headers(signed_headers(host))
        .body(BODY)
        .send()
        .await
        .expect("bare request");
    assert!(response.status().is_success());
    let bytes = response.bytes().await.expect("bare answer");
    let (wall, cpu) = (Instant::now(), thread_cpu_nanos());
    let answer = serde_json::from_slice::<Answer>(&bytes).expect("a DescribeZones answer");
    READ_CPU_NANOS.fetch_add(thread_cpu_nanos().saturating_sub(cpu), Ordering::Relaxed);
    READ_WALL_NANOS.fetch_add(wall.elapsed().as_nanos() as u64, Ordering::Relaxed);
    READS.fetch_add(1, Ordering::Relaxed);
    answer.response
}

/// Time spent in [`bare_typed_call`]'s typed reads, by the wall clock and by the reading
/// thread's CPU clock, and how many: the difference is time the read waited for a core.
static READ_WALL_NANOS: AtomicU64 = AtomicU64::new(0);
static READ_CPU_NANOS: AtomicU64 = AtomicU64::new(0);
static READS: AtomicU64 = AtomicU64::new(0);

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_nanos() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (now.tv_sec as u64) * 1_000_000_000 + now.tv_nsec as u64
}

/// The callers compared: the client's two paths, bare reqwest, and bare reqwest doing the
/// necessary work of a typed call.
#[derive(Clone, Copy, PartialEq)]
enum Caller {
    Typed,
    ByName,
    Bare,
    BareTyped,
}

/// What every caller needs: the client, a bare reqwest client, the mock's URL and host.
#[derive(Clone)]
struct Target {
    client: Client,
    http: reqwest::Client,
    url: String,
    host: String,
}

impl Target {
    /// A mock on `mock_rt`, and the clients that call it (whose connection tasks run on `rt`),
    /// each checked to succeed: the figures must not time error paths.
    fn start(
        mock_rt: &tokio::runtime::Runtime,
        rt: &tokio::runtime::Runtime,
    ) -> (MockServer, Target) {
        let mock = start_mock(mock_rt);
        let target = Target::new(rt, mock.url());
        (mock, target)
    }

    /// The clients that call the mock at `url` (their connection tasks run on `rt`), each
    /// checked to succeed: the figures must not time error paths.
    fn new(rt: &tokio::runtime::Runtime, url: String) -> Target {
        let host = url
            .strip_prefix("http://")
            .expect("an http:// URL")
            .trim_end_matches('/')
            .to_owned();
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
        let target = Target {
            client,
            http,
            url,
            host,
        };
        rt.block_on(async {
            let headers = signed_headers(&target.host);
            for caller in [
                Caller::Typed,
                Caller::ByName,
                Caller::Bare,
                Caller::BareTyped,
            ] {
                target.call(caller, &headers).await;
            }
            let answer = target.bare_answer(headers).await;
            assert!(
                answer.contains("\"RequestId\"") && !answer.contains("\"Error\""),
                "the bare request must be accepted: {answer}"
            );
        });
        target
    }

    /// The answer to the signed request `headers`, posted with bare reqwest, as text.
    async fn bare_answer(&self, headers: HeaderMap) -> String {
        self.http
            .post(&self.url)
            .headers(headers)
            .body(BODY)
            .send()
            .await
            .expect("bare request")
            .text()
            .await
            .expect("bare answer")
    }

    /// One call by `caller`; `headers` is bare reqwest's signed request.
    async fn call(&self, caller: Caller, headers: &HeaderMap) {
        match caller {
            Caller::Typed => {
                black_box(
                    self.client
                        .describe_zones(DescribeZonesRequest::new().limit(1))
                        .await
                        .expect("DescribeZones"),
                );
            }
            Caller::ByName => {
                black_box(
                    self.client
                        .call("DescribeZones", json!({"Limit": 1}))
                        .await
                        .expect("DescribeZones"),
                );
            }
            Caller::Bare => {
                black_box(bare_call(&self.http, &self.url, headers).await);
            }
            Caller::BareTyped => {
                black_box(bare_typed_call(&self.http, &self.url, &self.host).await);
            }
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Seconds each concurrency figure is measured for, and the rounds taken.
const CONCURRENT_SECS: u64 = 2;
const CONCURRENT_ROUNDS: usize = 5;

/// 1, 4 and 16 callers sharing `client`, each calling DescribeZones in a loop, beside as many
/// callers sharing a bare `reqwest` client (the signed request posted, the answer read as bytes;
/// and the same signing each request and reading the answer typed) and `wrk` with as many
/// connections sending the same signed request to the same mock; [`CONCURRENT_ROUNDS`] rounds,
/// the four taking turns, medians of the rounds' figures and of their ratios to wrk. Without
/// `wrk` on the PATH (`apt-get install wrk`) its column is empty.
fn concurrency(rt: &tokio::runtime::Runtime, target: &Target) {
    let has_wrk = std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok();
    println!("\n{CONCURRENT_ROUNDS} rounds of {CONCURRENT_SECS} s each, medians (calls/s; ratios: median of the rounds' ratios to wrk)");
    println!("| callers | teo-client (typed) | bare reqwest + signing + typed read | bare reqwest | wrk, as many connections | teo-client / wrk | bare + typed read / wrk | bare / wrk |");
    println!("|---|---|---|---|---|---|---|---|");
    const CALLERS: [Caller; 3] = [Caller::Typed, Caller::BareTyped, Caller::Bare];
    for callers in [1usize, 4, 16] {
        // rates[k][round]; k = 3 is wrk.
        let mut rates = vec![Vec::new(); 4];
        for round in 0..CONCURRENT_ROUNDS {
            // The order turns each round, so no caller always follows the same one.
            for k in (0..4).map(|k| (k + round) % 4) {
                let rate = match CALLERS.get(k) {
                    Some(&caller) => rt.block_on(calls_per_second(target, caller, callers)),
                    None if has_wrk => wrk(&target.url, &target.host, callers),
                    None => continue,
                };
                rates[k].push(rate);
            }
        }
        let ratio = |k: usize| {
            let of: Vec<f64> = rates[k].iter().zip(&rates[3]).map(|(o, w)| o / w).collect();
            if of.is_empty() {
                String::new()
            } else {
                format!("{:.2}×", median(of))
            }
        };
        let wrk_rate = if has_wrk {
            format!("{:.0}", median(rates[3].clone()))
        } else {
            "(no wrk)".to_owned()
        };
        println!(
            "| {callers} | {:.0} | {:.0} | {:.0} | {wrk_rate} | {} | {} | {} |",
            median(rates[0].clone()),
            median(rates[1].clone()),
            median(rates[2].clone()),
            ratio(0),
            ratio(1),
            ratio(2),
        );
    }
}

/// Calls per second of `callers` tasks, each a `caller` calling in a loop for
/// [`CONCURRENT_SECS`].
async fn calls_per_second(target: &Target, caller: Caller, callers: usize) -> f64 {
    let headers = signed_headers(&target.host);
    let start = Instant::now();
    let deadline = start + std::time::Duration::from_secs(CONCURRENT_SECS);
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (target, headers) = (target.clone(), headers.clone());
            tokio::spawn(async move {
                let mut calls = 0u64;
                while Instant::now() < deadline {
                    target.call(caller, &headers).await;
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

/// The callers in turn, in blocks of [`BLOCK`] calls, for [`ROUNDS`] rounds: each round's
/// ratios compare blocks run within a few hundred milliseconds of each other, so the machine's
/// drift (a tenth between criterion groups a minute apart, here) cancels out. The medians of the
/// rounds are the figures to hold against the targets.
fn interleaved(rt: &tokio::runtime::Runtime, target: &Target) {
    const ROUNDS: usize = 41;
    const BLOCK: u32 = 200;
    const CALLERS: [Caller; 4] = [
        Caller::Typed,
        Caller::ByName,
        Caller::Bare,
        Caller::BareTyped,
    ];
    // micros[k][round]: µs per call of CALLERS[k].
    let mut micros = vec![Vec::new(); CALLERS.len()];
    for counter in [&READ_WALL_NANOS, &READ_CPU_NANOS, &READS] {
        counter.store(0, Ordering::Relaxed);
    }
    rt.block_on(async {
        for round in 0..ROUNDS {
            let headers = signed_headers(&target.host);
            // The order turns each round, so no caller always follows the same one.
            for k in (0..CALLERS.len()).map(|k| (k + round) % CALLERS.len()) {
                let start = Instant::now();
                for _ in 0..BLOCK {
                    target.call(CALLERS[k], &headers).await;
                }
                micros[k].push(start.elapsed().as_secs_f64() * 1e6 / f64::from(BLOCK));
            }
        }
    });
    // Calls/s against bare reqwest's: bare µs / caller µs, round by round.
    let ratio = |k: usize| {
        median(
            micros[2]
                .iter()
                .zip(&micros[k])
                .map(|(b, o)| b / o)
                .collect(),
        )
    };
    println!(
        "\ninterleaved, {ROUNDS} rounds of {BLOCK} calls each (median µs per call): typed {:.1}, by name {:.1}, bare reqwest {:.1}, bare reqwest + signing + typed read {:.1}",
        median(micros[0].clone()),
        median(micros[1].clone()),
        median(micros[2].clone()),
        median(micros[3].clone()),
    );
    println!(
        "calls/s against bare reqwest's, median of the rounds' ratios: typed {:.2}× (target ≥ 0.9×), by name with JSON {:.2}× (target ≥ 0.8×); bare reqwest + signing + typed read {:.2}×",
        ratio(0),
        ratio(1),
        ratio(3),
    );
    let reads = READS.load(Ordering::Relaxed).max(1) as f64;
    println!(
        "the typed read in bare reqwest's calls: {:.1} µs of wall time, {:.1} µs of the reading thread's CPU (the rest waiting for a core: the mock and hyper finish their share of the call on the same 2 cores)",
        READ_WALL_NANOS.load(Ordering::Relaxed) as f64 / 1e3 / reads,
        READ_CPU_NANOS.load(Ordering::Relaxed) as f64 / 1e3 / reads,
    );
}

criterion_group!(benches, calls);

fn main() {
    if std::env::var(MOCK_ENV).as_deref() == Ok(SERVE) {
        return serve_mock();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
