//! Real-time ingest over loopback into Parquet, side by side in one run:
//! `cargo bench -p teo-logs --bench receive`.
//!
//! The records: the mock's L7 records (`TEO_BENCH_RECEIVE_BYTES` of NDJSON, 1 GiB by default
//! as for `convert`'s benchmark: a sustained rate, where the last roll after the last push is
//! a small part; kept under `target/bench-data/`), pushed as EdgeOne pushes them: JSON arrays of
//! 1,000 records, gzip'd, from 4 connections. Each server is a child process under
//! `/usr/bin/time` (its peak RSS and CPU seconds: the receiver's work, the load generator's
//! not counted, steadier than wall time on a shared machine); the load generator is this
//! process. Rows:
//! - `ceiling`: a server that only reads and gunzips each POST (the most any receiver could do
//!   here with this load generator);
//! - `teo-logs receive`: `Receiver` (staging synced before each 2xx, rolls of 128 MiB into
//!   Parquet); timed from the first push until the last roll is written (`TEO_BENCH_ROLL_MIB`
//!   sets the roll size: a large one leaves a single roll at the end, which tells the time of
//!   taking pushes from the time of rolling them);
//! - `teo logs convert`: `Dataset::convert_files` of the same records on disk, as gzip'd packets
//!   (as EdgeOne delivers them) and as NDJSON; receive and convert take turns for
//!   `TEO_BENCH_ROUNDS` rounds (3), and their rows are each one's median round;
//! - `DuckDB COPY`: `COPY (SELECT * FROM read_json_auto(…)) TO … (FORMAT parquet, COMPRESSION
//!   zstd)` of the same two inputs;
//! - latency: the receiver again, pushes paced at half the rate it reached, time to 2xx;
//! - S3: the receiver writing to moto (`target/py`) beside uploading the Parquet bytes it wrote
//!   from memory to the same server (the server's own ceiling here).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::fs;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::receive::{Receiver, ReceiverConfig};
use teo_logs::{ConvertOptions, Dataset, Format, Kind};

mod common;
#[path = "../tests/it/support/mod.rs"]
mod support;

const RECORDS_PER_POST: usize = 1000;
const CONNECTIONS: usize = 4;

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
        ["worker-ceiling"] => return worker_ceiling(),
        ["worker-receive", staging, out] => return worker_receive(Path::new(staging), out, None),
        ["worker-receive-s3", staging, out, endpoint] => {
            return worker_receive(Path::new(staging), out, Some(endpoint))
        }
        ["worker-convert", input, out] => return worker_convert(Path::new(input), Path::new(out)),
        ["worker-upload", dir, url, endpoint] => {
            return worker_upload(Path::new(dir), url, endpoint)
        }
        _ => {}
    }
    let root = common::root();
    let bytes = std::env::var("TEO_BENCH_RECEIVE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let input = common::prepare(&root, bytes);
    let (bodies, records, raw) = bodies(&input);
    let wire: usize = bodies.iter().map(Vec::len).sum();
    println!(
        "input: {records} records, {:.1} MiB NDJSON, {} POSTs of {RECORDS_PER_POST} records, {:.1} MiB gzip'd",
        raw as f64 / 1048576.0,
        bodies.len(),
        wire as f64 / 1048576.0
    );
    let bodies = Arc::new(bodies);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rows: Vec<(String, f64, u64, f64)> = Vec::new();

    let (secs, rss, cpu) = serve_and_push(
        &runtime,
        Command::new(&exe).arg("worker-ceiling"),
        &bodies,
        None,
    );
    rows.push(("ceiling: read + gunzip only".into(), secs, rss, cpu));

    // Receive and convert take turns, `TEO_BENCH_ROUNDS` rounds (3 by default), and each row is
    // its median round: this machine's speed drifts by a fifth from minute to minute, so one
    // run of each, a minute apart, can tell the drift rather than the difference.
    let rounds = std::env::var("TEO_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(3)
        .max(1);
    let out = root.join("out-receive");
    let staging = root.join("staging-receive");
    let packets = gzip_packets(&input);
    let convert_inputs = [
        // The same records as packets on disk, gzip'd as EdgeOne delivers them, and as NDJSON.
        ("teo logs convert (.log.gz packets on disk)", &packets),
        ("teo logs convert (NDJSON on disk)", &input),
    ];
    let mut receive_runs = Vec::new();
    let mut convert_runs = vec![Vec::new(); convert_inputs.len()];
    for _ in 0..rounds {
        let _ = fs::remove_dir_all(&out);
        let _ = fs::remove_dir_all(&staging);
        receive_runs.push(serve_and_push(
            &runtime,
            Command::new(&exe)
                .arg("worker-receive")
                .arg(&staging)
                .arg(&out),
            &bodies,
            None,
        ));
        for ((_, dir), runs) in convert_inputs.iter().zip(&mut convert_runs) {
            let convert_out = root.join("out-convert");
            let _ = fs::remove_dir_all(&convert_out);
            runs.push(common::timed_to(
                Command::new(&exe)
                    .arg("worker-convert")
                    .arg(dir)
                    .arg(&convert_out),
                None,
            ));
        }
    }
    let parquet_bytes = common::dir_size(&out);
    let walls = |runs: &[(f64, u64, f64)]| {
        runs.iter()
            .map(|r| format!("{:.2}", r.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "  (wall seconds by round: receive {})",
        walls(&receive_runs)
    );
    for ((label, _), runs) in convert_inputs.iter().zip(&convert_runs) {
        println!(
            "  ({label}: {}; receive's records/s ÷ its, round by round: {})",
            walls(runs),
            runs.iter()
                .zip(&receive_runs)
                .map(|(c, r)| format!("{:.2}×", c.0 / r.0))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let (secs, rss, cpu) = median(&receive_runs);
    let receive_secs = secs;
    rows.push((
        "teo-logs receive → Parquet (durable)".into(),
        secs,
        rss,
        cpu,
    ));
    for ((label, _), runs) in convert_inputs.iter().zip(&convert_runs) {
        let (secs, rss, cpu) = median(runs);
        rows.push(((*label).into(), secs, rss, cpu));
    }
    if let Some(python) = common::python() {
        let duck = root.join("out-duckdb");
        for (label, glob) in [
            (
                "DuckDB COPY (.log.gz) → Parquet zstd",
                format!("{}/*.log.gz", packets.display()),
            ),
            (
                "DuckDB COPY (NDJSON) → Parquet zstd",
                format!("{}/*.ndjson", input.display()),
            ),
        ] {
            let _ = fs::remove_dir_all(&duck);
            fs::create_dir_all(&duck).unwrap();
            let sql = format!(
                "COPY (SELECT * FROM read_json_auto('{glob}', format = 'newline_delimited')) TO '{}/all.parquet' (FORMAT parquet, COMPRESSION zstd)",
                duck.display()
            );
            let (secs, rss, cpu) = common::timed_to(
                Command::new(&python)
                    .args(["-c", &format!("import duckdb; duckdb.sql(\"{sql}\")")]),
                None,
            );
            rows.push((label.into(), secs, rss, cpu));
        }
    } else {
        println!("no DuckDB (target/py); its rows are skipped");
    }

    println!("\n| run | wall s | records/s | MiB/s (NDJSON) | CPU s | peak RSS MiB |");
    println!("|---|---|---|---|---|---|");
    for (label, secs, rss, cpu) in &rows {
        println!(
            "| {label} | {secs:.2} | {:.0} | {:.1} | {cpu:.2} | {:.0} |",
            records as f64 / secs,
            raw as f64 / 1048576.0 / secs,
            *rss as f64 / 1024.0
        );
    }
    println!();
    let receive_cpu = rows[1].3;
    for (label, secs, _, cpu) in rows.iter().skip(2) {
        println!(
            "receive vs {label}: {:.2}× (CPU: {:.2}×)",
            secs / receive_secs,
            cpu / receive_cpu
        );
    }

    // Latency at half the rate reached.
    let rate = records as f64 / receive_secs / 2.0;
    let _ = fs::remove_dir_all(&out);
    let _ = fs::remove_dir_all(&staging);
    let mut latencies = Vec::new();
    let _ = serve_and_push(
        &runtime,
        Command::new(&exe)
            .arg("worker-receive")
            .arg(&staging)
            .arg(&out),
        &bodies,
        Some((rate, &mut latencies)),
    );
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "\ntime to 2xx at half the rate ({rate:.0} records/s, {} POSTs): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 100 ms)",
        latencies.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );

    // To a local S3 server.
    match support::Moto::start() {
        Some(moto) => {
            moto.create_bucket("bench");
            let moto_before = process_cpu(moto.pid());
            let (s3_secs, s3_rss, s3_cpu) = serve_and_push(
                &runtime,
                Command::new(&exe)
                    .arg("worker-receive-s3")
                    .arg(root.join("staging-s3"))
                    .arg("s3://bench/receive")
                    .arg(moto.endpoint()),
                &bodies,
                None,
            );
            let moto_receive = process_cpu(moto.pid()) - moto_before;
            // What the paced receive run above wrote (claims and Parquet files from the same
            // pushes) is what the ceiling uploads.
            let moto_before = process_cpu(moto.pid());
            let (up_secs, _) = common::timed(
                Command::new(&exe)
                    .arg("worker-upload")
                    .arg(&out)
                    .arg("s3://bench/ceiling")
                    .arg(moto.endpoint()),
            );
            let moto_ceiling = process_cpu(moto.pid()) - moto_before;
            println!(
                "\nto moto S3: receive {s3_secs:.2} s ({:.0} records/s, peak RSS {:.0} MiB); the same objects (a claim per batch, {:.1} MiB of Parquet) uploaded from memory as the receiver puts them {up_secs:.2} s: {:.2}× of the server's ceiling (target ≥ 0.8×)",
                records as f64 / s3_secs,
                s3_rss as f64 / 1024.0,
                parquet_bytes as f64 / 1048576.0,
                up_secs / s3_secs
            );
            // Both share this machine's cores: the receiver's work and the server's for it
            // cannot take less than their CPU seconds over the cores, however well overlapped.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
            let least = ((s3_cpu + moto_receive) / cores).max(moto_receive);
            println!(
                "  (CPU seconds: the receiver {s3_cpu:.2} + moto {moto_receive:.2} for it, on {cores} cores: at least {least:.2} s, so at most {:.2}× of the ceiling here; moto used {moto_ceiling:.2} CPU s for the ceiling's uploads)",
                up_secs / least
            );
        }
        None => println!("\nno moto (target/py); the S3 row is skipped"),
    }
}

/// CPU seconds (user and system) process `pid` has used so far.
fn process_cpu(pid: u32) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: fields 14 and 15 are utime and stime, in ticks.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz.max(1.0)
}

/// The run of median wall time among `runs`.
fn median(runs: &[(f64, u64, f64)]) -> (f64, u64, f64) {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    sorted[sorted.len() / 2]
}

/// The NDJSON files of `input` gzip'd as packets (`<name>.log.gz`), kept beside it.
fn gzip_packets(input: &Path) -> PathBuf {
    let dir = input.with_extension("packets");
    let files = common::ndjson_files(input);
    let have = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    if have != files.len() {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for file in &files {
            let name = file.file_stem().unwrap().to_string_lossy();
            let out = fs::File::create(dir.join(format!("{name}.log.gz"))).unwrap();
            let mut e = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            std::io::copy(&mut fs::File::open(file).unwrap(), &mut e).unwrap();
            e.finish().unwrap();
        }
    }
    dir
}

/// The records as POST bodies (gzip'd JSON arrays), their count, and the NDJSON bytes.
fn bodies(input: &Path) -> (Vec<Vec<u8>>, usize, usize) {
    let mut bodies = Vec::new();
    let (mut records, mut raw) = (0, 0);
    let mut batch: Vec<String> = Vec::with_capacity(RECORDS_PER_POST);
    let flush = |batch: &mut Vec<String>, bodies: &mut Vec<Vec<u8>>| {
        if batch.is_empty() {
            return;
        }
        let text = format!("[{}]", batch.join(","));
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text.as_bytes()).unwrap();
        bodies.push(e.finish().unwrap());
        batch.clear();
    };
    for file in common::ndjson_files(input) {
        for line in std::io::BufReader::new(fs::File::open(file).unwrap()).lines() {
            let line = line.unwrap();
            raw += line.len() + 1;
            records += 1;
            batch.push(line);
            if batch.len() == RECORDS_PER_POST {
                flush(&mut batch, &mut bodies);
            }
        }
    }
    flush(&mut batch, &mut bodies);
    (bodies, records, raw)
}

/// Starts a server child (it prints its address), pushes every body from [`CONNECTIONS`]
/// connections (paced to `pace`'s records/s when given, collecting each POST's time to 2xx),
/// stops it with SIGTERM and waits: the wall seconds from the first push to its exit, its peak
/// RSS in KiB and the CPU seconds it used (the load generator's, in this process, not counted).
fn serve_and_push(
    runtime: &tokio::runtime::Runtime,
    command: &mut Command,
    bodies: &Arc<Vec<Vec<u8>>>,
    pace: Option<(f64, &mut Vec<Duration>)>,
) -> (f64, u64, f64) {
    let report = std::env::temp_dir().join(format!("teo-bench-receive-{}", std::process::id()));
    let mut time = Command::new("/usr/bin/time");
    time.args(["-f", common::TIME_FORMAT, "-o"])
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args());
    let mut child: Child = time.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no address: {line:?}"));
    let started = Instant::now();
    let (rate, latencies) = match pace {
        Some((rate, latencies)) => (Some(rate), Some(latencies)),
        None => (None, None),
    };
    let generator_before = own_cpu_seconds();
    let measured = runtime.block_on(push_all(addr, bodies.clone(), rate));
    let pushed = started.elapsed().as_secs_f64();
    let generator = own_cpu_seconds() - generator_before;
    if let Some(latencies) = latencies {
        *latencies = measured;
    }
    // SIGTERM to the server (the child of /usr/bin/time): it rolls what is staged and exits.
    let server = Command::new("pgrep")
        .args(["-P", &child.id().to_string()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&server.stdout).trim().to_owned();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(child.wait().unwrap().success());
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  ({} POSTs answered in {pushed:.2} s, the load generator using {generator:.2} CPU s; stopped at {secs:.2} s)",
        bodies.len()
    );
    let text = fs::read_to_string(&report).unwrap();
    let _ = fs::remove_file(&report);
    let (_, rss, cpu) = common::time_report(&text);
    (secs, rss, cpu)
}

/// The CPU seconds (user and system) this process has used so far.
fn own_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

async fn push_all(addr: SocketAddr, bodies: Arc<Vec<Vec<u8>>>, rate: Option<f64>) -> Vec<Duration> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(n) else { break };
                if let Some(rate) = rate {
                    let due = start + Duration::from_secs_f64((n * RECORDS_PER_POST) as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let sent = Instant::now();
                loop {
                    let response = client
                        .post(format!("http://{addr}/logs"))
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    match response.status().as_u16() {
                        200 => break,
                        // Staging full: wait as told, as EdgeOne would.
                        503 => tokio::time::sleep(Duration::from_millis(200)).await,
                        other => {
                            panic!("POST answered {other}: {}", response.text().await.unwrap())
                        }
                    }
                }
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

fn print_addr(addr: SocketAddr) {
    println!("{addr}");
    std::io::stdout().flush().unwrap();
}

async fn stopped() {
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    term.recv().await;
}

/// Reads and gunzips each POST, answers 200: nothing else.
fn worker_ceiling() {
    use http_body_util::BodyExt;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        print_addr(listener.local_addr().unwrap());
        let serve = async {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |request: hyper::Request<hyper::body::Incoming>| async move {
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let mut out = Vec::new();
                            std::io::copy(
                                &mut flate2::read::MultiGzDecoder::new(&body[..]),
                                &mut out,
                            )
                            .unwrap();
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(
                                http_body_util::Full::new(bytes::Bytes::from_static(b"{}")),
                            ))
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        };
        tokio::select! {
            _ = serve => {}
            _ = stopped() => {}
        }
    });
}

fn store_options(endpoint: &str) -> StoreOptions {
    StoreOptions {
        s3_endpoint: Some(endpoint.to_owned()),
        config: [
            ("aws_access_key_id", "AKIDBENCH"),
            ("aws_secret_access_key", "bench-secret"),
            ("aws_region", "us-east-1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec(),
    }
}

fn worker_receive(staging: &Path, out: &str, endpoint: Option<&str>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = endpoint.map(store_options).unwrap_or_default();
        let dest = Destination::parse(out, &options, tokio::runtime::Handle::current()).unwrap();
        let dataset = Dataset::new(dest, Format::Parquet).unwrap();
        let mut config = ReceiverConfig::new(staging);
        config.zone = Some("zone-bench".into());
        if let Some(mib) = std::env::var("TEO_BENCH_ROLL_MIB")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            config.roll_bytes = mib << 20;
        }
        let receiver = Receiver::start(config, dataset).await.unwrap();
        print_addr(receiver.addr());
        stopped().await;
        receiver.shutdown().await.unwrap();
    });
}

fn worker_convert(input: &Path, out: &Path) {
    let dataset = Dataset::local(out, Format::Parquet).unwrap();
    let mut files: Vec<PathBuf> = fs::read_dir(input)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for result in dataset.convert_files(
        &files,
        ConvertOptions::default().kind(Kind::L7).zone("zone-bench"),
    ) {
        result.unwrap();
    }
}

/// Uploads what a receive run left under `dir`, read into memory first, to `url` as the
/// receiver does: the batch claims as conditional puts 16 at a time, the Parquet files two at
/// a time.
fn worker_upload(dir: &Path, url: &str, endpoint: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dest = Destination::parse(url, &store_options(endpoint), runtime.handle().clone()).unwrap();
    let mut claims = Vec::new();
    let mut files = Vec::new();
    for path in support::files_in(dir) {
        let relative = path.strip_prefix(dir).unwrap().to_owned();
        if relative.starts_with(teo_logs::receive::roll::CLAIMS) {
            claims.push((relative, fs::read(&path).unwrap()));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            files.push((relative, fs::read(&path).unwrap()));
        }
    }
    // Every claim of a roll holds the same bytes: one conditional put per batch, as a roll does.
    let names: Vec<PathBuf> = claims.iter().map(|(name, _)| name.clone()).collect();
    if let Some((_, bytes)) = claims.first() {
        assert!(dest
            .create_new_many(&names, bytes)
            .unwrap()
            .iter()
            .all(|&t| t));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((name, bytes)) = files.get(n) else {
                    break;
                };
                let mut file = dest.create(name).unwrap();
                file.write_all(bytes).unwrap();
                file.commit().unwrap();
            });
        }
    });
    println!(
        "  (uploaded {} claims and {} Parquet files)",
        claims.len(),
        files.len()
    );
}
