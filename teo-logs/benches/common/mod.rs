//! What the benchmarks share: the input (the mock's L7 records as NDJSON, kept under
//! `target/bench-data/`), `/usr/bin/time` around a child process, and DuckDB from `target/py`.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use teo_mock::logs::{LogKind, LogStore};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data")
}

/// `TEO_BENCH_BYTES`, else 1 GiB.
pub fn input_bytes() -> u64 {
    std::env::var("TEO_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30)
}

/// Runs `command` under `/usr/bin/time`: wall seconds and peak RSS in KiB.
pub fn timed(command: &mut Command) -> (f64, u64) {
    let (secs, rss, _) = timed_to(command, None);
    (secs, rss)
}

/// [`timed`], with the child's stdout into `stdout`, and also the CPU seconds it used (user
/// and system).
pub fn timed_to(command: &mut Command, stdout: Option<fs::File>) -> (f64, u64, f64) {
    let report = std::env::temp_dir().join(format!("teo-bench-time-{}", std::process::id()));
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let mut time = Command::new("/usr/bin/time");
    time.args(["-f", TIME_FORMAT, "-o"])
        .arg(&report)
        .arg(program)
        .args(args);
    if let Some(stdout) = stdout {
        time.stdout(stdout);
    }
    let status = time.status().expect("/usr/bin/time runs");
    assert!(status.success());
    let text = fs::read_to_string(&report).unwrap();
    let _ = fs::remove_file(&report);
    time_report(&text)
}

/// What `/usr/bin/time` is asked to report: wall seconds, peak RSS KiB, user and system CPU
/// seconds.
pub const TIME_FORMAT: &str = "%e %M %U %S";

/// The wall seconds, peak RSS (KiB) and CPU seconds of a [`TIME_FORMAT`] report.
pub fn time_report(text: &str) -> (f64, u64, f64) {
    let values: Vec<&str> = text.split_whitespace().collect();
    let number = |i: usize| {
        values
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (number(0), number(1) as u64, number(2) + number(3))
}

pub fn python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py/bin/python");
    Command::new(&python)
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success())
        .then_some(python)
}

/// The mock's L7 packets, decompressed, until `bytes` of NDJSON: reused when already there.
pub fn prepare(root: &Path, bytes: u64) -> PathBuf {
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

pub fn ndjson_files(dir: &Path) -> Vec<PathBuf> {
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

pub fn count_lines(dir: &Path) -> usize {
    ndjson_files(dir)
        .iter()
        .map(|f| fs::read(f).unwrap().iter().filter(|&&b| b == b'\n').count())
        .sum()
}

pub fn dir_size(dir: &Path) -> u64 {
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

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}
