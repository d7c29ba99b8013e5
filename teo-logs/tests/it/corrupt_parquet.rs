//! Parquet files written by teo, then damaged (a byte changed, cut short, a footer claiming
//! gigabytes, garbage over a range), summarized: each damaged file either reads or fails
//! alone, named, "corrupt Parquet" when the reader panicked, and adds nothing to the figures;
//! a panic never escapes `summarize`, and nothing aborts the process.
//!
//! `fixed_mutants_fail_alone` runs in CI, with mutants found by the fuzzer below (one of them
//! is the issue's: one byte changed and arrow panics `offset + len out of bounds`).
//! `fuzz_parquet_mutants` is the fuzzer: `TEO_FUZZ_MUTANTS` (default 10,000) mutants from a
//! fixed seed, read in a child process under a 1 GiB address-space limit (so a hostile size
//! that would make us allocate gigabytes aborts the child instead of passing unnoticed); a
//! child that dies is counted as an abort and restarted after the mutant it was reading:
//!
//! ```sh
//! cargo test -p teo-logs --test it -- --ignored --nocapture fuzz_parquet_mutants
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::json;
use teo_logs::summary::SummarizeOptions;
use teo_logs::ConvertOptions;
use teo_logs::{summarize, Dataset, Format};
use teo_mock::logs::LogKind;

use crate::support;
use support::{temp_dir, write_packets};

const SEED: u64 = 0x0007_e019;

/// One Parquet file converted from one of the mock's L7 packets, and its records.
fn base_file(dir: &Path) -> (Vec<u8>, u64) {
    let request = json!({
        "StartTime": "2024-05-01T10:00:00Z",
        "EndTime": "2024-05-01T11:00:00Z",
        "ZoneIds": ["zone-fuzz"],
        "Domains": ["www.example.com"],
    });
    let packets = write_packets(LogKind::L7, &request, &dir.join("packets"));
    let dataset = Dataset::local(dir.join("ds"), Format::Parquet).unwrap();
    dataset
        .convert_file(&packets[0], ConvertOptions::default().zone("zone-fuzz"))
        .unwrap();
    let file = parquet_files(&dir.join("ds"))
        .into_iter()
        .next()
        .expect("a Parquet file");
    let summary = summarize(&[&file], &one_thread()).unwrap();
    assert_eq!(summary.failed().1, 0);
    let records = summary.l7().unwrap().requests();
    (std::fs::read(&file).unwrap(), records)
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(parquet_files(&path));
        } else if path.extension().is_some_and(|e| e == "parquet") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn one_thread() -> SummarizeOptions {
    SummarizeOptions {
        threads: 1,
        ..SummarizeOptions::default()
    }
}

/// The `index`th mutant of `base` from the fuzzer's seed, and what was done.
fn mutant(base: &[u8], index: u64) -> (Vec<u8>, String) {
    let mut rng = fastrand::Rng::with_seed(SEED ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut bytes = base.to_vec();
    let len = bytes.len();
    // The footer: metadata, its length (4 bytes, little-endian) and "PAR1".
    let metadata_len = u32::from_le_bytes(base[len - 8..len - 4].try_into().unwrap()) as usize;
    let footer_start = len - 8 - metadata_len;
    let what = match rng.u8(0..8) {
        0 | 1 => {
            let flips = rng.usize(1..=4);
            let mut at = Vec::new();
            for _ in 0..flips {
                let i = rng.usize(0..len);
                bytes[i] ^= rng.u8(1..);
                at.push(i);
            }
            format!("bytes changed at {at:?}")
        }
        2 | 3 => {
            // In the metadata, where sizes and offsets live.
            let flips = rng.usize(1..=3);
            let mut at = Vec::new();
            for _ in 0..flips {
                let i = rng.usize(footer_start..len - 8);
                bytes[i] ^= rng.u8(1..);
                at.push(i);
            }
            format!("metadata bytes changed at {at:?}")
        }
        4 => {
            let keep = rng.usize(0..len);
            bytes.truncate(keep);
            format!("cut to {keep} bytes")
        }
        5 => {
            let claimed = match rng.u8(0..6) {
                0 => u32::MAX,
                1 => 0x8000_0000,
                2 => 0xffff_fff0,
                3 => (len as u32).wrapping_add(rng.u32(0..64)),
                4 => rng.u32(0..len as u32),
                _ => rng.u32(..),
            };
            bytes[len - 8..len - 4].copy_from_slice(&claimed.to_le_bytes());
            format!("footer length {claimed}")
        }
        _ => {
            let start = rng.usize(0..len);
            let end = (start + rng.usize(1..=512)).min(len);
            for b in &mut bytes[start..end] {
                *b = rng.u8(..);
            }
            format!("garbage over {start}..{end}")
        }
    };
    (bytes, what)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    ReadFine,
    FailedCleanly,
    /// Failed, yet some of its records were counted.
    FailedWithRecords,
    PanicEscaped,
}

/// Summarizes `path` (a mutant) alone.
fn outcome(path: &Path, base_records: u64) -> Outcome {
    let result = std::panic::catch_unwind(|| summarize(&[path], &one_thread()));
    match result {
        Err(_) => Outcome::PanicEscaped,
        Ok(Err(error)) => panic!("a single file's failure is kept in the summary: {error}"),
        Ok(Ok(summary)) => {
            let (failed, count) = summary.failed();
            let records = summary.l7().map_or(0, |l7| l7.requests())
                + summary.l4().map_or(0, |l4| l4.records());
            if count == 0 {
                // A change in the values may still read; never more rows than written.
                assert!(records <= base_records, "{records} > {base_records}");
                return Outcome::ReadFine;
            }
            assert_eq!(count, 1);
            assert_eq!(failed[0].path(), path, "{}", failed[0]);
            if records > 0 {
                Outcome::FailedWithRecords
            } else {
                Outcome::FailedCleanly
            }
        }
    }
}

/// What the Parquet reader alone makes of a file: its rows, its error, or its panic's message.
fn raw_read(path: &Path) -> Result<Result<usize, String>, String> {
    let read = || -> Result<usize, String> {
        let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let mut rows = 0;
        for batch in reader {
            rows += batch.map_err(|e| e.to_string())?.num_rows();
        }
        Ok(rows)
    };
    std::panic::catch_unwind(read).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// Mutants the fuzzer found (indices into its sequence) on which the Parquet reader panics
/// (the first is the issue's: one byte changed, `offset + len out of bounds`) or fails after
/// some batches; each failed alone with nothing counted only after this was fixed.
const FIXED: &[(u64, &str)] = &[
    (199, "panics"),
    (3805, "panics"),
    (4933, "panics"),
    (1583, "fails after a batch"),
    (3453, "fails after a batch"),
];

#[test]
fn fixed_mutants_fail_alone() {
    let dir = temp_dir("corrupt-parquet");
    let (base, records) = base_file(&dir);
    for &(index, before) in FIXED {
        let (bytes, what) = mutant(&base, index);
        let path = dir.join(format!("m{index}.parquet"));
        std::fs::write(&path, &bytes).unwrap();
        // The mutant still does to the reader what it was chosen for.
        let raw = raw_read(&path);
        eprintln!("mutant {index} ({what}): {raw:?}");
        if before == "panics" {
            assert!(raw.is_err(), "mutant {index} ({what}): {raw:?}");
        }
        let got = outcome(&path, records);
        assert_eq!(got, Outcome::FailedCleanly, "mutant {index} ({what})");
        let summary = summarize(&[&path], &one_thread()).unwrap();
        let error = summary.failed().0[0].to_string();
        assert!(error.contains(&path.display().to_string()), "{error}");
        if before == "panics" {
            assert!(error.contains("corrupt Parquet"), "{error}");
        }
    }
    // The issue's: one byte changed (in a column a summary reads), arrow panics. (Byte 42, in
    // the first column, panics the reader too, but that column is not read.)
    assert_eq!(
        base.len(),
        16_549,
        "the base file changed: search its one-byte mutants again"
    );
    let mut bytes = base.clone();
    bytes[5233] ^= 0x01;
    let path = dir.join("one-byte.parquet");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        raw_read(&path),
        Err("offset + len out of bounds".to_owned())
    );
    assert_eq!(outcome(&path, records), Outcome::FailedCleanly);
    // Beside two good files: they are summarized, it is named.
    let good = dir.join("good");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::write(good.join("a.parquet"), &base).unwrap();
    std::fs::write(good.join("b.parquet"), &base).unwrap();
    std::fs::write(good.join("c.parquet"), &bytes).unwrap();
    let summary = summarize(&[&good], &SummarizeOptions::default()).unwrap();
    assert_eq!(summary.files(), 3);
    assert_eq!(summary.l7().unwrap().requests(), 2 * records);
    let (failed, count) = summary.failed();
    assert_eq!(count, 1);
    assert_eq!(
        failed[0].to_string(),
        format!(
            "{}: corrupt Parquet: the reader failed (offset + len out of bounds)",
            good.join("c.parquet").display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A footer claiming 4 GiB of metadata in a file that long (sparse: no disk used) fails before
/// the reader allocates it.
#[test]
fn a_footer_claiming_gigabytes_fails_without_reading_them() {
    let dir = temp_dir("huge-footer");
    let path = dir.join("huge.parquet");
    let claimed: u32 = 0xffff_fff0;
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(u64::from(claimed) + 4096).unwrap();
    use std::os::unix::fs::FileExt;
    file.write_all_at(b"PAR1", 0).unwrap();
    let mut footer = claimed.to_le_bytes().to_vec();
    footer.extend_from_slice(b"PAR1");
    file.write_all_at(&footer, u64::from(claimed) + 4096 - 8)
        .unwrap();
    drop(file);
    let summary = summarize(&[&path], &one_thread()).unwrap();
    let (failed, count) = summary.failed();
    assert_eq!(count, 1);
    let error = failed[0].to_string();
    assert!(
        error.contains("corrupt Parquet: its footer claims 4294967280 bytes of metadata"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The worker of [`fuzz_parquet_mutants`]: mutants `TEO_FUZZ_FROM..TEO_FUZZ_TO` of
/// `TEO_FUZZ_BASE`, a line per mutant on stdout.
#[test]
#[ignore = "run by fuzz_parquet_mutants in a child process"]
fn fuzz_worker() {
    let Some(base) = std::env::var_os("TEO_FUZZ_BASE") else {
        return;
    };
    let number = |name: &str| -> u64 { std::env::var(name).unwrap().parse().unwrap() };
    let (from, to, records) = (
        number("TEO_FUZZ_FROM"),
        number("TEO_FUZZ_TO"),
        number("TEO_FUZZ_RECORDS"),
    );
    let base = std::fs::read(&base).unwrap();
    let dir = temp_dir("fuzz-worker");
    let path = dir.join("mutant.parquet");
    // A panic that escapes is counted: its message goes with it, on one line.
    std::panic::set_hook(Box::new(|info| {
        println!("panic {}", info.to_string().replace('\n', " "));
    }));
    for index in from..to {
        let (bytes, what) = mutant(&base, index);
        std::fs::write(&path, &bytes).unwrap();
        // Said before reading, so that a child that dies names the mutant it was reading.
        println!("start {index} {what}");
        let got = outcome(&path, records);
        println!("mutant {index} {got:?}");
    }
    let _ = std::panic::take_hook();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[ignore = "the fuzzer: 10,000 mutants, minutes; run by hand (see the module's documentation)"]
fn fuzz_parquet_mutants() {
    let mutants: u64 = std::env::var("TEO_FUZZ_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = temp_dir("fuzz");
    let (base, records) = base_file(&dir);
    let base_path = dir.join("base.parquet");
    std::fs::write(&base_path, &base).unwrap();
    eprintln!("base: {} bytes, {records} records", base.len());
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut counts = std::collections::BTreeMap::<String, u64>::new();
    let mut examples = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut next = 0;
    while next < mutants {
        // A 1 GiB address space: an allocation a hostile size asks for fails (and aborts).
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
            .arg(&exe)
            .args(["--exact", "fuzz_worker", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env("TEO_FUZZ_BASE", &base_path)
            .env("TEO_FUZZ_FROM", next.to_string())
            .env("TEO_FUZZ_TO", mutants.to_string())
            .env("TEO_FUZZ_RECORDS", records.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut reading: Option<(u64, String)> = None;
        let mut message = String::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("start ") {
                let (index, what) = rest.split_once(' ').unwrap();
                reading = Some((index.parse().unwrap(), what.to_owned()));
                message.clear();
            } else if let Some(rest) = line.strip_prefix("panic ") {
                message = rest.to_owned();
            } else if let Some(rest) = line.strip_prefix("mutant ") {
                let (index, got) = rest.split_once(' ').unwrap();
                let index: u64 = index.parse().unwrap();
                *counts.entry(got.to_owned()).or_default() += 1;
                if got != "ReadFine" && got != "FailedCleanly" {
                    let what = reading.as_ref().map_or("", |r| r.1.as_str());
                    examples
                        .entry(got.to_owned())
                        .or_default()
                        .push(format!("{index}: {what} {message}"));
                }
                reading = None;
                next = index + 1;
            }
        }
        let status = child.wait().unwrap();
        match reading {
            Some((index, what)) if !status.success() => {
                *counts.entry("Abort".to_owned()).or_default() += 1;
                examples
                    .entry("Abort".to_owned())
                    .or_default()
                    .push(format!("{index}: {what} ({status})"));
                next = index + 1;
            }
            _ => assert!(status.success(), "the worker failed: {status}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{mutants} mutants in {secs:.1} s: {counts:?}");
    for (outcome, list) in &examples {
        eprintln!(
            "{outcome}: {} (first: {:?})",
            list.len(),
            &list[..list.len().min(12)]
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(counts.get("PanicEscaped"), None, "{examples:?}");
    assert_eq!(counts.get("Abort"), None, "{examples:?}");
    assert_eq!(counts.get("FailedWithRecords"), None, "{examples:?}");
}

/// Every single-byte change of the base file (three values per byte) against the Parquet
/// reader alone: prints those that panic it. How the issue's one-byte mutant was found.
#[test]
#[ignore = "a search, minutes; run by hand"]
fn search_one_byte_panics() {
    let dir = temp_dir("one-byte");
    let (base, _) = base_file(&dir);
    let path = dir.join("m.parquet");
    std::panic::set_hook(Box::new(|_| {}));
    let from: usize = std::env::var("TEO_SEARCH_FROM").map_or(0, |v| v.parse().unwrap());
    for at in from..base.len() {
        for xor in [0x01u8, 0x80, 0xff] {
            let mut bytes = base.clone();
            bytes[at] ^= xor;
            std::fs::write(&path, &bytes).unwrap();
            if let Err(message) = raw_read(&path) {
                // Those in the columns a summary reads panic it too (before the fix).
                let summary = summarize(&[&path], &one_thread()).unwrap();
                let failed = summary.failed().0.first().map(|e| e.to_string());
                println!("byte {at} ^= {xor:#04x}: {message}; summarize: {failed:?}");
            }
        }
    }
    let _ = std::panic::take_hook();
    std::fs::remove_dir_all(&dir).unwrap();
}
