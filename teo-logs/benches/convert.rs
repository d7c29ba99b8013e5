//! L7 NDJSON → Parquet, side by side with DuckDB on the same files in one run:
//! `cargo bench -p teo-logs --bench convert`.
//!
//! The input is ≥ 1 GiB (`TEO_BENCH_BYTES` to change) of the mock's L7 records, decompressed to
//! `.ndjson` files under `target/bench-data/` (kept between runs). Each side runs as its own
//! process under `/usr/bin/time`, for its wall time and peak RSS:
//! - teo-logs: `Dataset::convert_files` (a file per thread, one thread per core), zstd;
//! - and, to show its share of that, the SHA-256 of every input alone (how a packet is known in
//!   its dataset: `convert_files` reads each input once for it before converting);
//! - DuckDB (`target/py`): `COPY (SELECT * FROM read_json_auto(…)) TO … (FORMAT parquet)`, its
//!   default (snappy) and with zstd, on all cores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::fs;
use std::path::Path;
use std::process::Command;

use teo_logs::ConvertOptions;
use teo_logs::{Dataset, Format, Kind};

mod common;
use common::{count_lines, dir_size, ndjson_files, prepare, python, timed};

/// Rounds, each side once per round; the medians are compared.
const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let [mode, input, output] = args.as_slice() {
        if mode == "worker-convert" {
            return worker_convert(Path::new(input), Path::new(output));
        }
    }
    if let [mode, input] = args.as_slice() {
        if mode == "worker-hash" {
            return worker_hash(Path::new(input));
        }
    }
    let root = common::root();
    let input = prepare(&root, common::input_bytes());
    let total: u64 = ndjson_files(&input)
        .iter()
        .map(|f| fs::metadata(f).unwrap().len())
        .sum();
    println!(
        "input: {} NDJSON files, {:.1} MiB, {} lines",
        ndjson_files(&input).len(),
        total as f64 / (1 << 20) as f64,
        count_lines(&input)
    );

    let mut rows = Vec::new();
    for round in 0..ROUNDS {
        let out = root.join("out-teo");
        let _ = fs::remove_dir_all(&out);
        let exe = std::env::current_exe().unwrap();
        let (secs, rss) = timed(
            Command::new(&exe)
                .arg("worker-convert")
                .arg(&input)
                .arg(&out),
        );
        rows.push((round, "teo-logs (zstd)", secs, rss, dir_size(&out)));
        let (secs, rss) = timed(Command::new(&exe).arg("worker-hash").arg(&input));
        rows.push((round, "of which SHA-256 of the inputs", secs, rss, 0));
        match python() {
            Some(python) => {
                for (label, options) in [
                    ("DuckDB COPY (default, snappy)", "FORMAT parquet"),
                    ("DuckDB COPY (zstd)", "FORMAT parquet, COMPRESSION zstd"),
                ] {
                    let out = root.join("out-duckdb");
                    let _ = fs::remove_dir_all(&out);
                    fs::create_dir_all(&out).unwrap();
                    let sql = format!(
                        "COPY (SELECT * FROM read_json_auto('{}/*.ndjson')) TO '{}/all.parquet' ({options})",
                        input.display(),
                        out.display()
                    );
                    let (secs, rss) = timed(
                        Command::new(&python)
                            .arg("-c")
                            .arg("import duckdb, sys; duckdb.connect().execute(sys.argv[1])")
                            .arg(&sql),
                    );
                    rows.push((round, label, secs, rss, dir_size(&out)));
                }
            }
            None => println!("(no target/py with duckdb: DuckDB side skipped)"),
        }
    }
    println!(
        "\n| round | converter | seconds | MiB/s | peak RSS MiB | output MiB |\n|---|---|---|---|---|---|"
    );
    for (round, label, secs, rss, size) in &rows {
        println!(
            "| {round} | {label} | {secs:.2} | {:.0} | {:.0} | {:.1} |",
            total as f64 / (1 << 20) as f64 / secs,
            *rss as f64 / 1024.0,
            *size as f64 / (1 << 20) as f64
        );
    }
    let mib = total as f64 / (1 << 20) as f64;
    let mut medians = Vec::new();
    for label in [
        "teo-logs (zstd)",
        "of which SHA-256 of the inputs",
        "DuckDB COPY (default, snappy)",
        "DuckDB COPY (zstd)",
    ] {
        let mut speeds: Vec<f64> = rows
            .iter()
            .filter(|r| r.1 == label)
            .map(|r| mib / r.2)
            .collect();
        if !speeds.is_empty() {
            medians.push((label, common::median(&mut speeds)));
        }
    }
    println!();
    for (label, speed) in &medians {
        println!(
            "median {label}: {speed:.0} MiB/s ({:.2}x of teo-logs)",
            speed / medians[0].1
        );
    }
}

/// Converts every file of `input` into a Parquet dataset at `output`, a file per core.
fn worker_convert(input: &Path, output: &Path) {
    let dataset = Dataset::local(output, Format::Parquet).unwrap();
    let files = ndjson_files(input);
    for result in dataset.convert_files(
        &files,
        ConvertOptions::default().kind(Kind::L7).zone("zone-bench"),
    ) {
        let report = result.unwrap();
        assert_eq!(report.bad_lines, 0);
    }
}

/// Hashes every file of `input` as `convert_files` does first, a file per core.
fn worker_hash(input: &Path) {
    let files = ndjson_files(input);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(file) =
                    files.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    teo_client::logs::sha256_file(file).unwrap();
                }
            });
        }
    });
}
