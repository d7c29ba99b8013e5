//! `teo logs summarize`: the built binary on packets it downloaded itself from its mock
//! (`teo logs download --mock`), as a table, JSON and an HTML report.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TEO: &str = env!("CARGO_BIN_EXE_teo");

fn teo(args: &[&str]) -> Output {
    let mut command = Command::new(TEO);
    command.args(args);
    for name in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_PROFILE",
        "TENCENTCLOUD_CREDENTIALS_FILE",
    ] {
        command.env_remove(name);
    }
    command.env("HOME", "/nonexistent/teo-cli-test-home");
    let output = command.output().expect("teo runs");
    println!(
        "$ teo {}\n{}{}(exit {:?})\n",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout),
        output.status.code()
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path =
            std::env::temp_dir().join(format!("teo-cli-summarize-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Downloads the mock's L7 packets of three hours into `out`.
fn download(out: &str) {
    let output = teo(&[
        "logs",
        "download",
        "--mock",
        "--kind",
        "l7",
        "--start",
        "2024-05-01T10:00:00Z",
        "--end",
        "2024-05-01T13:00:00Z",
        "--zone",
        "zone-demo",
        "--domain",
        "www.example.com,img.example.com",
        "--out",
        out,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Requests and bytes counted here from the packets' lines.
fn count(dir: &Path) -> (u64, u64) {
    let (mut requests, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = std::fs::File::open(entry.unwrap().path()).unwrap();
        for line in BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines() {
            let value: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
            requests += 1;
            bytes += value["EdgeResponseBytes"].as_u64().unwrap();
        }
    }
    (requests, bytes)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn summarize_downloaded_packets_as_a_table_json_and_html() {
    let dir = TempDir::new("mock");
    let logs = dir.join("edgeone-logs");
    download(&logs);
    let (requests, bytes) = count(Path::new(&logs));
    assert!(requests > 100);

    // The table.
    let output = teo(&["logs", "summarize", &logs]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("EdgeOne log summary: 6 files read, 0 failed, 0 bad lines skipped\n"),
        "{text}"
    );
    assert!(text.contains("L7 access logs"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("  requests") && l.trim_end().ends_with(&thousands(requests))),
        "{text}"
    );
    assert!(
        text.contains(&format!("({} B)", thousands(bytes))),
        "{text}"
    );
    for heading in [
        "Status classes",
        "Top hosts",
        "Top URLs",
        "Top client IPs",
        "Top regions",
        "Requests per hour (UTC)",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    assert!(text.contains("www.example.com") && text.contains("img.example.com"));

    // JSON, --top 3.
    let output = teo(&["logs", "summarize", &logs, "--json", "--top", "3"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["l7"]["requests"], requests);
    assert_eq!(value["l7"]["bytes"], bytes);
    assert_eq!(value["files"]["read"], 6);
    assert_eq!(
        value["l7"]["top"]["urls"]["entries"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(value["l7"]["hours"].as_array().unwrap().len(), 3);
    assert!(value["l4"].is_null());

    // The HTML report, written atomically; a second run replaces it.
    let report = dir.join("report.html");
    for _ in 0..2 {
        let output = teo(&["logs", "summarize", &logs, "--html", &report]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("report written to"),
            "{}",
            stderr(&output)
        );
    }
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg id=\"requests-over-time\""));
    assert!(page.contains(&format!("data-value=\"{requests}\"")));
    let mut names: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["edgeone-logs", "report.html"],
        "no temporary file left"
    );
}

#[test]
fn errors_and_usage() {
    let dir = TempDir::new("errors");
    // A path that does not exist: exit 1, named.
    let missing = dir.join("missing");
    let output = teo(&["logs", "summarize", &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("missing"), "{}", stderr(&output));
    // A corrupt file: the rest is summarized, the file is named, exit 1.
    let good = r#"{"RequestTime":"2024-05-01T10:00:00Z","RequestHost":"a.example.com","EdgeResponseStatusCode":200,"EdgeResponseBytes":10}"#;
    std::fs::write(dir.join("good.log"), format!("{good}\n{good}\nnot json\n")).unwrap();
    std::fs::write(dir.join("bad.parquet"), b"PAR1 no").unwrap();
    let output = teo(&["logs", "summarize", &dir.0.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("bad.parquet"),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("2 files read, 1 failed, 1 bad lines skipped"),
        "{text}"
    );
    assert!(text.contains("good.log:3: not a JSON object"), "{text}");
    // Usage errors: exit 2.
    for args in [
        vec!["logs", "summarize"],
        vec!["logs", "summarize", "x", "--top", "0"],
        vec!["logs", "summarize", "x", "--kind", "l5"],
    ] {
        let output = teo(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let output = teo(&["logs", "summarize", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for expected in [
        "Usage: teo logs summarize [OPTIONS] <PATH>...",
        "--html <FILE>",
        "--json",
        "--kind <KIND>",
        "--top <N>",
        "cache hit ratio",
    ] {
        assert!(help.contains(expected), "{expected:?} in {help}");
    }
    let output = teo(&["logs", "--help"]);
    assert!(stdout(&output).contains("summarize"));
}

/// Parquet files under `dir`, sorted.
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

/// The line of the table that starts with `label`, its number (without separators).
fn figure(text: &str, label: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {text}"));
    line.split_whitespace()
        .find_map(|w| w.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no number in {line}"))
}

#[test]
fn a_corrupt_parquet_file_fails_alone() {
    let dir = TempDir::new("corrupt");
    let packets = dir.join("packets");
    download(&packets);
    let dataset = dir.join("ds");
    let output = teo(&[
        "logs",
        "convert",
        &packets,
        "--out",
        &dataset,
        "--format",
        "parquet",
        "--zone",
        "zone-demo",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Two good files, and the base file of teo-logs/tests/it/corrupt_parquet.rs (the mock's packet of
    // one hour and domain, converted) with the byte changed that its search found to make arrow
    // panic `offset + len out of bounds`.
    let files = parquet_files(Path::new(&dataset));
    assert!(files.len() >= 2, "{files:?}");
    let keep = dir.join("three");
    std::fs::create_dir_all(&keep).unwrap();
    let mut good_requests = 0;
    for (i, file) in files[..2].iter().enumerate() {
        let to = Path::new(&keep).join(format!("f{}.parquet", 2 * i));
        std::fs::copy(file, &to).unwrap();
        let alone = teo(&["logs", "summarize", to.to_str().unwrap()]);
        assert_eq!(alone.status.code(), Some(0), "{}", stderr(&alone));
        good_requests += figure(&stdout(&alone), "requests");
    }
    let fuzz = dir.join("fuzz");
    let output = teo(&[
        "logs",
        "download",
        "--mock",
        "--kind",
        "l7",
        "--start",
        "2024-05-01T10:00:00Z",
        "--end",
        "2024-05-01T11:00:00Z",
        "--zone",
        "zone-fuzz",
        "--domain",
        "www.example.com",
        "--out",
        &fuzz,
        "--format",
        "parquet",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let base = parquet_files(Path::new(&fuzz));
    let mut bytes = std::fs::read(&base[0]).unwrap();
    assert_eq!(bytes.len(), 16_549, "not the fuzzer's base file: {base:?}");
    bytes[5233] ^= 0x01;
    std::fs::write(Path::new(&keep).join("f1.parquet"), bytes).unwrap();
    let output = teo(&["logs", "summarize", &keep]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (out, err) = (stdout(&output), stderr(&output));
    // The report covers the two good files, and names the third.
    assert!(out.contains("3 files read, 1 failed"), "{out}");
    assert_eq!(figure(&out, "requests"), good_requests, "{out}");
    let corrupt = Path::new(&keep).join("f1.parquet");
    let corrupt = corrupt.to_str().unwrap();
    assert!(
        err.contains(&format!("{corrupt}: corrupt Parquet")),
        "{err}"
    );
    assert!(
        out.contains(corrupt) && out.contains("corrupt Parquet"),
        "{out}"
    );
    // The panic was caught quietly: no panic message from the default hook.
    assert!(!err.contains("panicked"), "{err}");

    // A packet with corrupt gzip data is named and the rest summarized, too.
    let packet = std::fs::read_dir(&packets)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&packet).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b = !*b;
    }
    std::fs::write(&packet, bytes).unwrap();
    let output = teo(&["logs", "summarize", &packets]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(packet.to_str().unwrap()),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("1 failed"), "{}", stdout(&output));
}
