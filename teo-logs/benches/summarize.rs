//! `teo logs summarize` of L7 NDJSON beside DuckDB computing the same aggregates on the same
//! files, in one run: `cargo bench -p teo-logs --bench summarize`.
//!
//! The input is the conversion benchmark's (≥ 1 GiB of the mock's L7 records, `TEO_BENCH_BYTES`
//! to change). Each side is its own process under `/usr/bin/time` (wall time, peak RSS):
//! - teo-logs: `summarize` (a file per thread, one thread per core) and the JSON rendering;
//! - DuckDB (`target/py`): the needed columns of `read_json_auto(…)` into a temporary table
//!   (the JSON is read once, on all cores), then one query per aggregate of the summary: totals
//!   and time range, top 10 hosts / URLs / client IPs / regions by requests with their bytes,
//!   status classes, top status codes, cache hit ratio, requests and bytes per hour, and
//!   exact p50/p95/p99 of `EdgeResponseTime` (teo's are within 0.1%).
//!
//! Both sides print their request and byte totals; the run checks they agree.
//!
//! Then memory against the thread count, side by side: 600,000 L7 records whose host, URL,
//! client IP and region are all distinct 250-byte keys (8 NDJSON files), summarized in a fresh
//! process per row with 1 thread, 2 threads, every core and 8; the child prints its peak RSS
//! (`VmHWM`). The threads share the key capacity, so the peaks stay about equal.
//! `cargo bench -p teo-logs --bench summarize -- memory` runs only these rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::io::Write;
use std::path::Path;
use std::process::Command;

use teo_logs::summary::SummarizeOptions;
use teo_logs::Kind;

mod common;
use common::{count_lines, ndjson_files, prepare, python, timed_to};

const DUCKDB_SQL: &str = r#"
import duckdb, json, sys, os
files = sys.argv[1] + "/*.ndjson"
con = duckdb.connect()
con.execute(f"""CREATE TEMP TABLE t AS SELECT RequestTime, RequestHost, RequestUrl, ClientIP,
    ClientRegion, EdgeResponseStatusCode, EdgeResponseBytes, EdgeCacheStatus, EdgeResponseTime
    FROM read_json_auto('{files}')""")
out = {}
out["totals"] = con.execute("SELECT count(*), sum(EdgeResponseBytes), min(RequestTime), max(RequestTime) FROM t").fetchall()
for column in ["RequestHost", "RequestUrl", "ClientIP", "ClientRegion"]:
    out[column] = con.execute(f"SELECT {column}, count(*) AS n, sum(EdgeResponseBytes) FROM t WHERE {column} IS NOT NULL AND {column} <> '-' GROUP BY 1 ORDER BY n DESC LIMIT 10").fetchall()
out["classes"] = con.execute("SELECT EdgeResponseStatusCode // 100, count(*) FROM t GROUP BY 1").fetchall()
out["codes"] = con.execute("SELECT EdgeResponseStatusCode, count(*) AS n FROM t GROUP BY 1 ORDER BY n DESC LIMIT 10").fetchall()
out["hit"] = con.execute("SELECT count(*) FILTER (WHERE upper(EdgeCacheStatus) = 'HIT'), count(*) FILTER (WHERE EdgeCacheStatus <> '-') FROM t").fetchall()
out["hours"] = con.execute("SELECT date_trunc('hour', RequestTime) AS h, count(*), sum(EdgeResponseBytes) FROM t GROUP BY 1 ORDER BY 1").fetchall()
out["p"] = con.execute("SELECT quantile_disc(EdgeResponseTime, [0.5, 0.95, 0.99]) FROM t WHERE EdgeResponseTime >= 0").fetchall()
requests, total = out["totals"][0][0], out["totals"][0][1]
print(f"{requests} {total}")
"#;

/// Rounds, each side once per round; the medians are compared.
const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [mode, input] if mode == "worker-summarize" => return worker(Path::new(input)),
        [mode, input, threads] if mode == "worker-memory" => {
            return memory_worker(Path::new(input), threads.parse().unwrap())
        }
        [mode] if mode == "memory" => return memory_rows(),
        _ => {}
    }
    let input = prepare(&common::root(), common::input_bytes());
    let total: u64 = ndjson_files(&input)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    println!(
        "input: {} NDJSON files, {:.1} MiB, {} lines",
        ndjson_files(&input).len(),
        total as f64 / (1 << 20) as f64,
        count_lines(&input)
    );
    let exe = std::env::current_exe().unwrap();
    let mut rows = Vec::new();
    for round in 0..ROUNDS {
        let (secs, rss, totals) =
            timed_output(Command::new(&exe).arg("worker-summarize").arg(&input));
        rows.push((round, "teo-logs summarize", secs, rss, totals));
        if let Some(python) = python() {
            let (secs, rss, totals) =
                timed_output(Command::new(&python).arg("-c").arg(DUCKDB_SQL).arg(&input));
            rows.push((round, "DuckDB (same aggregates)", secs, rss, totals));
        }
    }
    println!(
        "\n| round | summarizer | seconds | MiB/s | peak RSS MiB | requests bytes |\n|---|---|---|---|---|---|"
    );
    for (round, label, secs, rss, totals) in &rows {
        println!(
            "| {round} | {label} | {secs:.2} | {:.0} | {:.0} | {totals} |",
            total as f64 / (1 << 20) as f64 / secs,
            *rss as f64 / 1024.0,
        );
    }
    let mib = total as f64 / (1 << 20) as f64;
    for label in ["teo-logs summarize", "DuckDB (same aggregates)"] {
        let mut speeds: Vec<f64> = rows
            .iter()
            .filter(|r| r.1 == label)
            .map(|r| mib / r.2)
            .collect();
        if !speeds.is_empty() {
            println!("median {label}: {:.0} MiB/s", common::median(&mut speeds));
        }
    }
    let first = &rows[0].4;
    assert!(
        rows.iter().all(|r| &r.4 == first),
        "the two sides disagree on the totals"
    );
    memory_rows();
}

/// Records of the memory rows, in files of this many.
const DISTINCT_RECORDS: usize = 600_000;
const DISTINCT_FILES: usize = 8;

/// 600,000 records, every key distinct and 250 bytes long: kept under `target/bench-data/`.
fn distinct_keys_input() -> std::path::PathBuf {
    let dir = common::root().join(format!("l7-distinct-{DISTINCT_RECORDS}"));
    if ndjson_files(&dir).len() == DISTINCT_FILES {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let per_file = DISTINCT_RECORDS / DISTINCT_FILES;
    for f in 0..DISTINCT_FILES {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(dir.join(format!("d{f}.ndjson"))).unwrap(),
        );
        for i in f * per_file..(f + 1) * per_file {
            let key = |what: &str| format!("{what}-{i:012}-{}", "k".repeat(250 - 18 - what.len()));
            let line = serde_json::json!({
                "RequestTime": "2024-05-01T10:00:00Z",
                "RequestHost": key("host"),
                "RequestUrl": key("/url"),
                "ClientIP": key("ip"),
                "ClientRegion": key("region"),
                "EdgeResponseStatusCode": 200,
                "EdgeResponseBytes": 1000,
            });
            writeln!(out, "{line}").unwrap();
        }
        out.flush().unwrap();
    }
    dir
}

/// Peak RSS at 1, 2 and every thread on [`distinct_keys_input`], a process per row.
fn memory_rows() {
    let input = distinct_keys_input();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let exe = std::env::current_exe().unwrap();
    println!(
        "\n{DISTINCT_RECORDS} records, host/URL/IP/region all distinct 250-byte keys, {DISTINCT_FILES} files\n\n\
         | threads | seconds | peak RSS MiB (VmHWM) | requests approximate |\n|---|---|---|---|"
    );
    // And 8, more than this machine may have: the memory must not follow the thread count.
    let mut threads = vec![1, 2, cores, 8];
    threads.sort_unstable();
    threads.dedup();
    for n in threads {
        let (secs, _, out) = timed_output(
            Command::new(&exe)
                .arg("worker-memory")
                .arg(&input)
                .arg(n.to_string()),
        );
        let mut parts = out.split_whitespace();
        let hwm_kib: f64 = parts.next().unwrap().parse().unwrap();
        let rest: Vec<&str> = parts.collect();
        println!(
            "| {n}{} | {secs:.2} | {:.0} | {} |",
            if n == cores { " (all)" } else { "" },
            hwm_kib / 1024.0,
            rest.join(" ")
        );
    }
}

fn memory_worker(input: &Path, threads: usize) {
    let options = SummarizeOptions {
        kind: Some(Kind::L7),
        threads,
        ..SummarizeOptions::default()
    };
    let summary = teo_logs::summarize(&[input], &options).unwrap();
    let l7 = summary.l7().unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap();
    println!("{hwm} {} {}", l7.requests(), l7.urls().is_approximate());
}

/// Like `timed`, with what the child printed (its totals).
fn timed_output(command: &mut Command) -> (f64, u64, String) {
    let out = std::env::temp_dir().join(format!("teo-bench-out-{}", std::process::id()));
    let file = std::fs::File::create(&out).unwrap();
    let (secs, rss, _) = timed_to(command, Some(file));
    let text = std::fs::read_to_string(&out).unwrap().trim().to_owned();
    let _ = std::fs::remove_file(&out);
    (secs, rss, text)
}

fn worker(input: &Path) {
    let options = SummarizeOptions {
        kind: Some(Kind::L7),
        ..SummarizeOptions::default()
    };
    let summary = teo_logs::summarize(&[input], &options).unwrap();
    let json = teo_logs::summary::render_json(&summary, 10);
    let l7 = &json["l7"];
    println!("{} {}", l7["requests"], l7["bytes"]);
}
