//! L7 NDJSON → Parquet, side by side with DuckDB on the same files in one run:
//! `cargo bench -p teo-logs --bench convert`.
//!
//! The input is ≥ 1 GiB (`TEO_BENCH_BYTES` to change) of the mock's L7 records, decompressed to
//! `.ndjson` files under `target/bench-data/` (kept between runs). Each side runs as its own
//! process under `/usr/bin/time`, for its wall time and peak RSS:
//! - teo-logs: `Dataset::convert_files` (a file per thread, one thread per core), zstd;
//! - DuckDB (`target/py`): `COPY (SELECT * FROM read_json_auto(…)) TO … (FORMAT parquet)`, its
//!   default (snappy) and with zstd, on all cores.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use teo_logs::{Dataset, Format, Kind};
use teo_mock::logs::{LogKind, LogStore};

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
    let bytes: u64 = std::env::var("TEO_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let input = prepare(&root, bytes);
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
    for round in 0..2 {
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
}

/// Converts every file of `input` into a Parquet dataset at `output`, a file per core.
fn worker_convert(input: &Path, output: &Path) {
    let dataset = Dataset::local(output, Format::Parquet).unwrap();
    let files = ndjson_files(input);
    for result in dataset.convert_files(&files, Some(Kind::L7), Some("zone-bench"), 0) {
        let report = result.unwrap();
        assert_eq!(report.bad_lines, 0);
    }
}

/// Runs `command` under `/usr/bin/time`: wall seconds and peak RSS in KiB.
fn timed(command: &mut Command) -> (f64, u64) {
    let report = std::env::temp_dir().join(format!("teo-bench-time-{}", std::process::id()));
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %M", "-o"])
        .arg(&report)
        .arg(program)
        .args(args)
        .status()
        .expect("/usr/bin/time runs");
    assert!(status.success());
    let text = fs::read_to_string(&report).unwrap();
    let _ = fs::remove_file(&report);
    let mut parts = text.split_whitespace();
    let secs = parts.next().unwrap().parse().unwrap();
    let rss = parts.next().unwrap().parse().unwrap();
    (secs, rss)
}

fn python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py/bin/python");
    Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}

/// The mock's L7 packets, decompressed, until `bytes` of NDJSON: reused when already there.
fn prepare(root: &Path, bytes: u64) -> PathBuf {
    const FILE: u64 = 128 << 20;
    let files = bytes.div_ceil(FILE).max(1);
    let dir = root.join(format!("l7-ndjson-{files}x128MiB"));
    if ndjson_files(&dir).len() as u64 == files {
        return dir;
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let store = LogStore::new().packet_bytes(Some(FILE));
    let request = json!({
        "StartTime": "2024-05-01T00:00:00Z",
        "EndTime": format!("2024-05-01T{:02}:00:00Z", files),
        "ZoneIds": ["zone-bench"],
        "Domains": ["www.example.com"],
        "Limit": 300,
    });
    let listing = store
        .list(LogKind::L7, &request, "http://127.0.0.1:1")
        .unwrap();
    for entry in listing["Data"].as_array().unwrap() {
        let file = entry["Url"].as_str().unwrap().rsplit('/').next().unwrap();
        let packet = store.packet(file).unwrap();
        let mut text = Vec::new();
        std::io::copy(
            &mut flate2::read::MultiGzDecoder::new(&packet[..]),
            &mut text,
        )
        .unwrap();
        let name = file.trim_end_matches(".log.gz");
        let mut out = fs::File::create(dir.join(format!("{name}.ndjson"))).unwrap();
        out.write_all(&text).unwrap();
    }
    dir
}

fn ndjson_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn count_lines(dir: &Path) -> usize {
    ndjson_files(dir)
        .iter()
        .map(|f| fs::read(f).unwrap().iter().filter(|&&b| b == b'\n').count())
        .sum()
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}
