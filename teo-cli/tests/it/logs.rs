//! `teo logs download`: the built binary against teo-mock, in-process (`--endpoint`) or started
//! by the binary itself (`--mock`). Stderr is a pipe here, so progress comes as plain lines.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use tc_test_support::{Answer, TestServer};
use teo_mock::faults::{Fault, FaultPlan, LOG_PACKET_ACTION};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const TEO: &str = env!("CARGO_BIN_EXE_teo");

/// Runs `teo args…` with no credentials in the environment, off the async runtime so the
/// in-process mock keeps serving.
async fn teo(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(TEO);
        command.args(&args);
        for name in [
            "TENCENTCLOUD_SECRET_ID",
            "TENCENTCLOUD_SECRET_KEY",
            "TENCENTCLOUD_SESSION_TOKEN",
            "TENCENTCLOUD_PROFILE",
        ] {
            command.env_remove(name);
        }
        // Never the developer's own profile file: a home without one. (Not
        // TENCENTCLOUD_CREDENTIALS_FILE naming a missing file: a file named explicitly and
        // missing is a configuration error that stops the credentials chain.)
        command.env_remove("TENCENTCLOUD_CREDENTIALS_FILE");
        command.env("HOME", "/nonexistent/teo-cli-test-home");
        command.output().expect("teo runs")
    })
    .await
    .expect("the blocking task completes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Prints the command and what it printed, for `cargo test -- --nocapture`.
fn transcript(args: &[&str], output: &Output) {
    println!(
        "$ teo {}\n{}{}(exit {:?})\n",
        args.join(" "),
        stderr(output),
        stdout(output),
        output.status.code()
    );
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "teo-cli-logs-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
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

/// The names in `dir`, sorted; hidden (temporary) files included.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every line of the JSON-lines text is a JSON object; returns the count.
fn json_lines(reader: impl Read, name: &str) -> usize {
    let mut count = 0;
    for line in BufReader::new(reader).lines() {
        let line = line.unwrap_or_else(|e| panic!("{name}: {e}"));
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
        assert!(value.is_object(), "{name}: {line}");
        count += 1;
    }
    count
}

fn credentials(url: &str) -> [&str; 6] {
    [
        "--endpoint",
        url,
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        DEFAULT_SECRET_KEY,
    ]
}

fn line_count(text: &str, word: &str) -> usize {
    text.lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(word))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn l4_packets_are_downloaded_then_a_rerun_skips_them_all() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("l4");
    let out = dir.join("out");
    let mut args = vec![
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00+08:00",
        "--end",
        "2024-05-01T03:00:00+08:00",
        "--zone",
        "zone-a,zone-b",
        "--zone",
        "zone-c",
        "--proxy",
        "sid-1",
        "--proxy",
        "sid-2",
        "--out",
        &out,
        "--concurrency",
        "3",
    ];
    args.extend(credentials(&url));
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // 3 hours × 3 zones × 2 proxies, each a valid gzip file of JSON lines; no temporary left.
    // (The mock names packets by hour and proxy only: the client keeps the zones apart.)
    let names = files(Path::new(&out));
    assert_eq!(names.len(), 18, "{names:?}");
    for name in &names {
        assert!(
            name.ends_with(".log.gz") && !name.starts_with('.'),
            "{name}"
        );
        let file = std::fs::File::open(Path::new(&out).join(name)).unwrap();
        let records = json_lines(flate2::read::MultiGzDecoder::new(file), name);
        assert!(records > 0, "{name}");
    }

    // Plain lines on stderr: the listing, then one per packet; no bar, no escape codes.
    let err = stderr(&output);
    assert!(err.starts_with("listed 18 packets ("), "{err}");
    assert_eq!(line_count(&err, "downloaded"), 18, "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("[18/18] downloaded ")),
        "{err}"
    );
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    assert!(!err.contains(DEFAULT_SECRET_KEY));
    let text = stdout(&output);
    for expected in [
        "packets     18\n",
        "downloaded  18\n",
        "skipped     0  (already complete)\n",
        "duplicates  0",
        "failed      0\n",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(text.ends_with(&format!("complete: every listed packet is in {out}\n")));

    // The rerun finds every file complete and fetches nothing.
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(Path::new(&out).join(n)).unwrap())
        .collect();
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("downloaded  0\n"), "{text}");
    assert!(
        text.contains("skipped     18  (already complete)\n"),
        "{text}"
    );
    assert!(text.contains("written     0 B (0 bytes)"), "{text}");
    assert_eq!(line_count(&stderr(&output), "skipped"), 18);
    let after: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(Path::new(&out).join(n)).unwrap())
        .collect();
    assert_eq!(before, after);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn l7_packets_decompressed_are_json_lines() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("l7");
    let out = dir.join("out");
    let mut args = vec![
        "logs",
        "download",
        "--kind",
        "l7",
        "--start",
        "2024-05-01T00:00:00Z",
        "--end",
        "2024-05-01T02:00:00Z",
        "--zone",
        "zone-a",
        "--domain",
        "a.example.com,b.example.com",
        "--out",
        &out,
        "--decompress",
    ];
    args.extend(credentials(&url));
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let names = files(Path::new(&out));
    assert_eq!(names.len(), 4, "{names:?}");
    for name in &names {
        assert!(name.ends_with(".log") && !name.starts_with('.'), "{name}");
        let file = std::fs::File::open(Path::new(&out).join(name)).unwrap();
        assert!(json_lines(file, name) > 0, "{name}");
    }
    assert!(stdout(&output).contains("packets     4\n"));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_flag_needs_no_account() {
    let dir = TempDir::new("mock");
    let out = dir.join("edgeone-logs");
    let args = [
        "logs",
        "download",
        "--mock",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00+08:00",
        "--end",
        "2024-05-01T06:00:00+08:00",
        "--zone",
        "zone-demo",
        "--out",
        &out,
    ];
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("Using a local mock EdgeOne (teo-mock) at http://127.0.0.1:"),
        "{err}"
    );
    // 6 hours × 1 zone × the mock's one proxy.
    assert_eq!(files(Path::new(&out)).len(), 6);
    assert!(stdout(&output).contains("downloaded  6\n"));

    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("skipped     6  (already complete)\n"));
    assert_eq!(files(Path::new(&out)).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_packet_is_retried_reported_and_fetched_by_the_rerun() {
    // Every packet download gets HTTP 500: each packet is tried 4 times, then fails.
    let config = MockConfig::default().fault(FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::InternalError,
        1.0,
    ));
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("failing");
    let out = dir.join("out");
    let mut args = vec![
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00Z",
        "--end",
        "2024-05-01T03:00:00Z",
        "--zone",
        "zone-a",
        "--out",
        &out,
        "--concurrency",
        "1",
    ];
    args.extend(credentials(&url));
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("retrying ")).count(),
        9,
        "{err}"
    );
    assert_eq!(line_count(&err, "failed"), 3, "{err}");
    assert!(err.contains("HTTP status 500"), "{err}");
    let text = stdout(&output);
    assert!(text.contains("downloaded  0\nskipped"), "{text}");
    assert!(text.contains("failed      3\n  "), "{text}");
    assert!(
        text.contains("_mainland.log.gz: http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("incomplete: 3 of 3 packets failed; rerun the same command"),
        "{text}"
    );
    assert!(files(Path::new(&out)).is_empty(), "nothing partial is left");

    mock.faults().clear();
    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("downloaded  3\n"), "{text}");
    assert_eq!(files(Path::new(&out)).len(), 3);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_directory_fails_naming_the_path_and_cause() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = dir.join("a-file/logs");
    let mut args = vec![
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00Z",
        "--end",
        "2024-05-01T03:00:00Z",
        "--zone",
        "zone-a",
        "--out",
        &out,
    ];
    args.extend(credentials(&url));
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{out}: cannot create the directory: ")),
        "{err}"
    );
    assert!(err.contains("Not a directory"), "{err}");
    assert!(stdout(&output).is_empty());
    assert_eq!(files(&dir.0), ["a-file"]);

    // A read-only directory, where permission bits apply (not as root).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let read_only = dir.join("read-only");
        std::fs::create_dir(&read_only).unwrap();
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
        let probe = Path::new(&read_only).join("probe");
        if std::fs::write(&probe, "").is_ok() {
            println!("permission bits do not apply (root): read-only case skipped");
        } else {
            args[11] = &read_only;
            let output = teo(&args).await;
            transcript(&args, &output);
            assert_eq!(output.status.code(), Some(1));
            let err = stderr(&output);
            assert!(
                err.contains(&format!("{read_only}: cannot write to the directory: ")),
                "{err}"
            );
            assert!(files(Path::new(&read_only)).is_empty());
        }
        std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_error_is_printed_like_tccli_without_the_key() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("wrong-key");
    let out = dir.join("out");
    let args = [
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00Z",
        "--end",
        "2024-05-01T03:00:00Z",
        "--zone",
        "zone-a",
        "--out",
        &out,
        "--endpoint",
        &url,
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        "not-the-key",
    ];
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with(
            "cannot list the log packets: [TencentCloudSDKException] \
             code:AuthFailure.SignatureFailure"
        ),
        "{err}"
    );
    assert!(!err.contains("not-the-key"), "{err}");
    assert!(stdout(&output).is_empty());
    // The directory was prepared, but holds nothing.
    assert!(files(Path::new(&out)).is_empty());
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_and_send_nothing() {
    let dir = TempDir::new("usage");
    let out = dir.join("out");
    // Nothing listens on port 9: a request sent would be a transport error, exit 1.
    let command = |kind: &str, start: &str, end: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "logs", "download", "--kind", kind, "--start", start, "--end", end, "--zone", "zone-a",
        ];
        args.extend(extra);
        args.extend(credentials("http://127.0.0.1:9"));
        args.into_iter().map(str::to_owned).collect()
    };
    let (start, end) = ("2024-05-01T00:00:00Z", "2024-05-01T03:00:00Z");
    let cases = [
        (
            command("l4", "2024-05-01", end, &["--out", &out]),
            "invalid value '2024-05-01' for '--start <RFC3339>': expected an RFC 3339 \
             date-time such as 2024-05-01T00:00:00+08:00",
        ),
        (
            command("l4", start, "03:00", &["--out", &out]),
            "invalid value '03:00' for '--end <RFC3339>'",
        ),
        (
            command("l7", start, end, &["--out", &out, "--proxy", "sid-1"]),
            "--proxy is for --kind l4",
        ),
        (
            command(
                "l4",
                start,
                end,
                &["--out", &out, "--domain", "a.example.com"],
            ),
            "--domain is for --kind l7",
        ),
        (
            command("l4", end, start, &["--out", &out]),
            "--end 2024-05-01T00:00:00Z is not after --start 2024-05-01T03:00:00Z",
        ),
        (
            command("l4", start, end, &["--out", &out, "--concurrency", "0"]),
            "invalid value '0' for '--concurrency <N>'",
        ),
        (command("l4", start, end, &[]), "--out <DIR|URL>"),
        (
            command("l4", start, end, &["--out", &out, "--mock"]),
            "the argument '--mock' cannot be used with",
        ),
        (
            command("l5", start, end, &["--out", &out]),
            "invalid value 'l5' for '--kind <KIND>'",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = teo(&args).await;
        transcript(&args, &output);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{expected:?} in {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
        assert!(!Path::new(&out).exists(), "{args:?}");
        assert!(!err.contains(DEFAULT_SECRET_KEY), "{err}");
    }

    // Incomplete credentials: the CLI's usual message, exit 2.
    let args = [
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        start,
        "--end",
        end,
        "--zone",
        "zone-a",
        "--out",
        &out,
        "--secretId",
        DEFAULT_SECRET_ID,
    ];
    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "[Credentials] --secretId is given without --secretKey\n"
    );
    assert!(!Path::new(&out).exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn help_texts() {
    let output = teo(&["logs", "download", "--help"]).await;
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    println!("$ teo logs download --help\n{text}");
    for expected in [
        "Usage: teo logs download [OPTIONS] --kind <KIND> --start <RFC3339> --end <RFC3339> --zone <ZONE> --out <DIR|URL>",
        "--proxy <ID>",
        "--domain <DOMAIN>",
        "--concurrency <N>",
        "[default: 6]",
        "--decompress",
        "--mock",
        "--secretId <ID>",
        "--endpoint <URL>",
        "rerun",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    let output = teo(&["help"]).await;
    assert!(stdout(&output).contains("teo logs download --kind"));
    // `teo logs` alone shows its help, as a usage error.
    let output = teo(&["logs"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("download"), "{}", stderr(&output));
    let output = teo(&["help", "logs"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("Usage: teo logs <COMMAND>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_run_and_a_rerun_resumes() {
    // Every packet answer is delayed, so the run is still downloading when interrupted.
    let config = MockConfig::default().fault(FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::Latency(std::time::Duration::from_secs(5)),
        1.0,
    ));
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("interrupted");
    let out = dir.join("out");
    let mut args = vec![
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00Z",
        "--end",
        "2024-05-01T03:00:00Z",
        "--zone",
        "zone-a",
        "--out",
        &out,
    ];
    args.extend(credentials(&url));
    let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (code, err) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(TEO)
            .args(&owned)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("teo starts");
        let mut err = BufReader::new(child.stderr.take().expect("stderr is piped"));
        // The listing line comes once the downloads (and the Ctrl-C handler) are running.
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        assert!(first.starts_with("listed 3 packets"), "{first}");
        // The shell's own `kill`, so no extra package is needed.
        let status = Command::new("sh")
            .args(["-c", &format!("kill -INT {}", child.id())])
            .status()
            .expect("sh runs");
        assert!(status.success());
        let mut rest = String::new();
        err.read_to_string(&mut rest).unwrap();
        (child.wait().expect("teo ends").code(), first + &rest)
    })
    .await
    .unwrap();
    println!("{err}(exit {code:?})");
    assert_eq!(code, Some(130), "{err}");
    assert!(
        err.ends_with("interrupted: the packets already downloaded are kept; rerun the same command to resume\n"),
        "{err}"
    );
    assert!(files(Path::new(&out)).is_empty());

    mock.faults().clear();
    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(files(Path::new(&out)).len(), 3);
    mock.shutdown().await;
}

/// The file name → contents of every file in `dir`, hidden ones included.
fn contents(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_with_sigkill_then_rerun_gives_byte_identical_files() {
    // Packets of at least 2 MiB, each answer delayed: the process dies mid-download.
    let config = MockConfig::default()
        .log_packet_bytes(Some(2 << 20))
        .log_cache_bytes(256 << 20);
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();
    let dir = TempDir::new("sigkill");
    let (clean, killed) = (dir.join("clean"), dir.join("killed"));
    let args = |out: &str| -> Vec<String> {
        let mut args: Vec<String> = [
            "logs",
            "download",
            "--kind",
            "l4",
            "--start",
            "2024-05-01T00:00:00Z",
            "--end",
            "2024-05-01T04:00:00Z",
            "--zone",
            "zone-a",
            "--proxy",
            "sid-1,sid-2,sid-3",
            "--concurrency",
            "2",
            "--out",
            out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(credentials(&url).iter().map(|s| s.to_string()));
        args
    };
    let reference = args(&clean);
    let output = teo(&reference.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let want = contents(Path::new(&clean));
    assert_eq!(want.len(), 12);

    mock.faults().add(FaultPlan::probability(
        LOG_PACKET_ACTION,
        Fault::Latency(std::time::Duration::from_millis(100)),
        1.0,
    ));
    let interrupted = args(&killed);
    let done_before_kill = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(TEO)
            .args(&interrupted)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("teo starts");
        let mut err = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut downloaded = 0;
        let mut line = String::new();
        while downloaded < 4 && err.read_line(&mut line).unwrap_or(0) > 0 {
            if line.contains(" downloaded ") {
                downloaded += 1;
            }
            line.clear();
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("teo ends");
        downloaded
    })
    .await
    .unwrap();
    assert_eq!(done_before_kill, 4);
    let left = contents(Path::new(&killed));
    let complete: Vec<&String> = left.keys().filter(|n| !n.starts_with('.')).collect();
    assert!(complete.len() >= 4 && complete.len() < 12, "{complete:?}");
    for name in &complete {
        assert!(
            left[*name] == want[*name],
            "{name} is whole under its final name"
        );
    }

    mock.faults().clear();
    let output = teo(&args(&killed).iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("skipped     {}  ", complete.len())),
        "{text}"
    );
    let got = contents(Path::new(&killed));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &want {
        assert!(&got[name] == bytes, "{name} differs");
    }
    mock.shutdown().await;
}

/// Every file under `dir`, relative, sorted; hidden ones included.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let path = entry.path();
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_as_parquet_is_a_hive_dataset_and_a_rerun_downloads_nothing() {
    let dir = TempDir::new("parquet");
    let out = dir.join("dataset");
    let args = [
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
        "zone-a,zone-b",
        "--format",
        "parquet",
        "--out",
        &out,
    ];
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("zone zone-a\n  packets     3\n  stored      3\n"),
        "{text}"
    );
    assert!(
        text.contains("zone zone-b\n  packets     3\n  stored      3\n"),
        "{text}"
    );
    assert!(text.contains("(0 bad lines skipped)"), "{text}");
    let files = tree(Path::new(&out));
    let parquet: Vec<&String> = files.iter().filter(|f| f.ends_with(".parquet")).collect();
    assert_eq!(parquet.len(), 6, "{files:?}");
    for zone in ["zone-a", "zone-b"] {
        for hour in ["10", "11", "12"] {
            let prefix = format!("kind=l7/zone={zone}/date=2024-05-01/hour={hour}/");
            assert!(
                parquet.iter().any(|f| f.starts_with(&prefix)),
                "{prefix} in {files:?}"
            );
        }
    }
    // The staging directory is gone, and so is every temporary file.
    assert!(
        !files
            .iter()
            .any(|f| f.contains(".teo-staging") || f.contains(".part")),
        "{files:?}"
    );

    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("  stored      0\n  skipped     3  (already there)"),
        "{text}"
    );
    assert!(
        !stderr(&output).contains("downloaded"),
        "{}",
        stderr(&output)
    );
    assert_eq!(tree(Path::new(&out)), files);
}

#[tokio::test(flavor = "multi_thread")]
async fn packets_on_disk_convert_to_each_format() {
    let dir = TempDir::new("convert");
    let packets = dir.join("packets");
    let args = [
        "logs",
        "download",
        "--mock",
        "--kind",
        "l7",
        "--start",
        "2024-05-01T10:00:00Z",
        "--end",
        "2024-05-01T12:00:00Z",
        "--zone",
        "zone-a",
        "--out",
        &packets,
    ];
    assert_eq!(teo(&args).await.status.code(), Some(0));
    let mut lines = 0;
    for name in files(Path::new(&packets)) {
        let file = std::fs::File::open(Path::new(&packets).join(&name)).unwrap();
        lines += json_lines(flate2::read::MultiGzDecoder::new(file), &name);
    }
    for format in ["parquet", "ndjson", "csv"] {
        let out = dir.join(format);
        let args = [
            "logs", "convert", &packets, "--zone", "zone-a", "--format", format, "--out", &out,
        ];
        let output = teo(&args).await;
        transcript(&args, &output);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let text = stdout(&output);
        assert!(text.contains("converted   2\n"), "{text}");
        assert!(
            text.contains(&format!("records     {lines} (0 bad lines skipped)")),
            "{text}"
        );
        let written: Vec<String> = tree(Path::new(&out))
            .into_iter()
            .filter(|f| f.ends_with(&format!(".{format}")))
            .collect();
        assert_eq!(written.len(), 2, "{written:?}");
        assert!(written[0].starts_with("kind=l7/zone=zone-a/date=2024-05-01/hour=1"));
        if format == "ndjson" {
            let rows: usize = written
                .iter()
                .map(|f| json_lines(std::fs::File::open(Path::new(&out).join(f)).unwrap(), f))
                .sum();
            assert_eq!(rows, lines);
        }
        let again = teo(&args).await;
        assert!(stdout(&again).contains("skipped     2  (already in the dataset)"));
    }

    // A file that is no packet is named, the rest converted; exit 1.
    let bad = Path::new(&packets).join("broken.log.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00 definitely not gzip").unwrap();
    let out = dir.join("with-broken");
    let args = [
        "logs", "convert", &packets, "--format", "ndjson", "--out", &out,
    ];
    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("converted   2\n"), "{text}");
    assert!(
        text.contains("failed      1\n") && text.contains("broken.log.gz"),
        "{text}"
    );

    // Usage errors exit 2.
    let output = teo(&["logs", "convert", &dir.join("nothing-here"), "--out", &out]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing-here"),
        "{}",
        stderr(&output)
    );
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
        "z",
        "--format",
        "csv",
        "--decompress",
        "--out",
        &out,
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--decompress is for --format gz"),
        "{}",
        stderr(&output)
    );
}

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn packets_whose_names_read_the_same_are_all_converted_and_duckdb_counts_them() {
    // Issue: "converted 2, skipped 1, records 2, failed 0", exit 0 — and one record on disk.
    let dir = TempDir::new("collide");
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let record = |id: &str| {
        format!(
            r#"{{"RequestID":"{id}","RequestTime":"2024-05-01T10:00:00Z","RequestHost":"h","EdgeResponseStatusCode":200}}"#
        )
    };
    let gzip = |path: &Path, line: &str| {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(path).unwrap(),
            flate2::Compression::fast(),
        );
        writeln!(gz, "{line}").unwrap();
        gz.finish().unwrap();
    };
    gzip(&Path::new(&a).join("pkt one.log.gz"), &record("a-space"));
    gzip(&Path::new(&b).join("pkt_one.log.gz"), &record("b-gz"));
    std::fs::write(Path::new(&b).join("pkt_one.log"), record("b-log")).unwrap();
    let out = dir.join("ds");
    let args = [
        "logs", "convert", &a, &b, "--zone", "z", "--format", "ndjson", "--out", &out,
    ];
    let output = teo(&args).await;
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("converted   3\nskipped     0  (already in the dataset)\nrecords     3 "),
        "{text}"
    );
    assert!(text.contains(" in 3 files to "), "{text}");
    let again = teo(&args).await;
    assert!(stdout(&again).contains("converted   0\nskipped     3"));

    let Some(python) = support::python() else {
        return;
    };
    let script = "import duckdb, sys; print(duckdb.sql(f\"SELECT count(*), count(DISTINCT RequestID) FROM read_json_auto('{sys.argv[1]}/kind=l7/**/*.ndjson', hive_partitioning = true)\").fetchall()[0])";
    let counted = Command::new(python)
        .args(["-c", script, &out])
        .output()
        .unwrap();
    assert!(counted.status.success(), "{}", stderr(&counted));
    assert_eq!(stdout(&counted).trim(), "(3, 3)");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_with_credentials_is_refused_and_never_printed() {
    // Issue: `--s3-endpoint http://user:SECRET@host` (or AWS_ENDPOINT) was printed in every
    // upload error.
    const SECRET: &str = "endpoint-secret-never-shown";
    let dir = TempDir::new("endpoint-secret");
    let staging = dir.join("staging");
    let base = [
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
        "z",
        "--out",
        "s3://bucket/prefix",
        "--staging",
        &staging,
    ];
    let given = format!("http://user:{SECRET}@127.0.0.1:9/");
    let mut args = base.to_vec();
    args.extend(["--s3-endpoint", &given]);
    let output = teo(&args).await;
    transcript(&args, &output);
    let all = stdout(&output) + &stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(!all.contains(SECRET), "{all}");
    assert!(
        all.contains("--s3-endpoint (http://127.0.0.1:9/ (credentials or query hidden))"),
        "{all}"
    );
    // Not a URL at all (a scheme-less `key:secret@host`): refused, its value never shown.
    for odd in [
        format!("AKID:{SECRET}@minio:9000"),
        format!("http:/u:{SECRET}@host"),
    ] {
        let mut args = base.to_vec();
        args.extend(["--s3-endpoint", &odd]);
        let output = teo(&args).await;
        let all = stdout(&output) + &stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(!all.contains(SECRET), "{all}");
        assert!(all.contains("--s3-endpoint ("), "{all}");
    }

    // The same endpoint from the environment, where object_store would read it.
    for variable in ["AWS_ENDPOINT", "AWS_ENDPOINT_URL"] {
        let output = {
            let args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            let given = given.clone();
            tokio::task::spawn_blocking(move || {
                Command::new(TEO)
                    .args(&args)
                    .env("HOME", "/nonexistent/teo-cli-test-home")
                    .env(variable, given)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        };
        let all = stdout(&output) + &stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(!all.contains(SECRET), "{all}");
        assert!(all.contains(variable), "{all}");
    }
    // And in --out, refused without being echoed.
    let out = format!("s3://AKID:{SECRET}@bucket/prefix");
    let mut args = base.to_vec();
    args[12] = &out;
    let output = teo(&args).await;
    let all = stdout(&output) + &stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        !all.contains(SECRET) && all.contains("credentials"),
        "{all}"
    );
}

/// A local user made for a test (needs root), removed on drop.
struct LocalUser {
    name: String,
    home: PathBuf,
}

impl LocalUser {
    fn create(name: String, home: PathBuf) -> LocalUser {
        let made = Command::new("useradd")
            .args([
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--home-dir",
            ])
            .arg(&home)
            .arg(&name)
            .output()
            .unwrap();
        assert!(made.status.success(), "useradd: {}", stderr(&made));
        let user = LocalUser { name, home };
        std::fs::create_dir_all(&user.home).unwrap();
        let owned = Command::new("chown")
            .arg(format!("{0}:{0}", user.name))
            .arg(&user.home)
            .status()
            .unwrap();
        assert!(owned.success());
        set_mode(&user.home, 0o700);
        user
    }

    fn uid(&self) -> u32 {
        let id = Command::new("id")
            .args(["-u", &self.name])
            .output()
            .unwrap();
        stdout(&id).trim().parse().unwrap()
    }

    /// Runs `program args…` as this user with a clean environment plus `env`.
    fn run(&self, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new("runuser");
        command
            .args(["-u", &self.name, "--", "env", "-i"])
            .arg(format!("HOME={}", self.home.display()))
            .arg("PATH=/usr/bin:/bin");
        for (name, value) in env {
            command.arg(format!("{name}={value}"));
        }
        command.arg(program).args(args).output().unwrap()
    }
}

impl Drop for LocalUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).output();
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode_and_owner(path: &Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).unwrap();
    (meta.mode() & 0o7777, meta.uid())
}

/// An S3-compatible endpoint on 127.0.0.1 that refuses everything (403 AccessDenied): an
/// upload that fails at once, leaving the packets staged.
fn refusing_s3() -> TestServer {
    let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    TestServer::responding(move |_| {
        Answer::status(403)
            .header("Content-Type", "application/xml")
            .body(xml)
            .closing()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_is_private_to_its_user_and_a_swapped_packet_is_fetched_again() {
    // Issue (high): packets were staged in /tmp/teo-staging-<hash of --out>, a name any local
    // user could create first (0777) to read every packet and, after a failed upload, swap a
    // packet for forged bytes of the same size that the rerun uploaded as "already complete".
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0");
    if !is_root || Command::new("useradd").arg("--help").output().is_err() {
        eprintln!("note: not root (or no useradd): the two-user staging test is skipped");
        return;
    }
    let dir = TempDir::new("two-users");
    set_mode(&dir.0, 0o755);
    // The binary where both users may run it.
    let bin = dir.0.join("bin");
    std::fs::create_dir(&bin).unwrap();
    set_mode(&bin, 0o755);
    let teo_bin = bin.join("teo");
    std::fs::copy(TEO, &teo_bin).unwrap();
    set_mode(&teo_bin, 0o755);
    let tag = std::process::id() % 100_000;
    let victim = LocalUser::create(format!("teovictim{tag}"), dir.0.join("victim"));
    let attacker = LocalUser::create(format!("teoattack{tag}"), dir.0.join("attacker"));
    let s3_server = refusing_s3();
    let s3 = s3_server.url().to_owned();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIDSTAGINGTEST"),
        ("AWS_SECRET_ACCESS_KEY", "staging-test-secret"),
        ("AWS_REGION", "us-east-1"),
    ];
    let download = |staging: Option<&str>| {
        let mut args = vec![
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
            "zone-a",
            "--out",
            "s3://edgeone/logs",
            "--s3-endpoint",
            &s3,
        ];
        if let Some(staging) = staging {
            args.extend(["--staging", staging]);
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let as_victim = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = victim.run(&teo_bin, &refs, &env);
        println!(
            "$ runuser -u {} -- teo {}\n{}{}(exit {:?})\n",
            victim.name,
            args.join(" "),
            stderr(&output),
            stdout(&output),
            output.status.code()
        );
        output
    };

    // 1. A staging directory the other user made (open to all) is refused, naming it.
    // (In a directory like /tmp: anyone may create, the sticky bit keeps each to their own.)
    let public = dir.0.join("public");
    std::fs::create_dir(&public).unwrap();
    set_mode(&public, 0o1777);
    let shared = public.join("teo-staging");
    let made = attacker.run(
        Path::new("/bin/mkdir"),
        &["-m", "0777", shared.to_str().unwrap()],
        &[],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    set_mode(&shared, 0o777);
    let output = as_victim(download(Some(shared.to_str().unwrap())));
    let all = stdout(&output) + &stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(all.contains(shared.to_str().unwrap()), "{all}");
    assert!(
        all.contains(&format!("owned by user id {}", attacker.uid())),
        "{all}"
    );
    assert_eq!(
        std::fs::read_dir(&shared).unwrap().count(),
        0,
        "nothing staged there"
    );
    // A link to the victim's own private directory is refused too.
    let own = victim.home.join("own");
    let link = victim.home.join("link");
    let made = victim.run(
        Path::new("/bin/mkdir"),
        &["-m", "0700", own.to_str().unwrap()],
        &[],
    );
    assert!(made.status.success());
    let linked = victim.run(
        Path::new("/bin/ln"),
        &["-s", own.to_str().unwrap(), link.to_str().unwrap()],
        &[],
    );
    assert!(linked.status.success());
    let output = as_victim(download(Some(link.to_str().unwrap())));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("is a symbolic link"),
        "{}",
        stderr(&output)
    );

    // A private directory of the victim's inside one of the other user's (who could rename it
    // away and put their own in its place) is refused too.
    let theirs = dir.0.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    let inside = theirs.join("staging");
    std::fs::create_dir(&inside).unwrap();
    for (path, owner) in [(&theirs, &attacker), (&inside, &victim)] {
        let owned = Command::new("chown")
            .arg(format!("{0}:{0}", owner.name))
            .arg(path)
            .status()
            .unwrap();
        assert!(owned.success());
    }
    set_mode(&theirs, 0o755);
    set_mode(&inside, 0o700);
    let output = as_victim(download(Some(inside.to_str().unwrap())));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "is in {}, which belongs to user id {}",
            theirs.display(),
            attacker.uid()
        )),
        "{}",
        stderr(&output)
    );

    // 2. The default: in the victim's cache, 0700, packets 0600; the upload fails (403), so
    // the packets wait there.
    let output = as_victim(download(None));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("AccessDenied"),
        "{}",
        stdout(&output)
    );
    let staging_root = victim.home.join(".cache/teo/staging");
    let staged_dirs: Vec<PathBuf> = std::fs::read_dir(&staging_root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(staged_dirs.len(), 1, "{staged_dirs:?}");
    let staging = &staged_dirs[0];
    for level in [
        victim.home.join(".cache/teo"),
        staging_root.clone(),
        staging.clone(),
    ] {
        assert_eq!(
            mode_and_owner(&level),
            (0o700, victim.uid()),
            "{}",
            level.display()
        );
    }
    let packets: Vec<PathBuf> = files(staging)
        .into_iter()
        .filter(|n| n.ends_with(".log.gz") && !n.starts_with('.'))
        .map(|n| staging.join(n))
        .collect();
    assert_eq!(packets.len(), 3, "{:?}", files(staging));
    for path in files(staging) {
        assert_eq!(
            mode_and_owner(&staging.join(&path)),
            (0o600, victim.uid()),
            "{path}"
        );
    }

    // 3. The other user can read none of it.
    let peek = attacker.run(Path::new("/bin/cat"), &[packets[0].to_str().unwrap()], &[]);
    println!(
        "$ runuser -u {} -- cat {}\n{}(exit {:?})\n",
        attacker.name,
        packets[0].display(),
        stderr(&peek),
        peek.status.code()
    );
    assert!(!peek.status.success());
    assert!(
        stderr(&peek).contains("Permission denied"),
        "{}",
        stderr(&peek)
    );
    assert!(peek.stdout.is_empty());

    // 4. A staged packet swapped for other bytes of the same size (here by root, the one other
    // user who still can) is not "already complete": the rerun fetches it again.
    let original = std::fs::read(&packets[0]).unwrap();
    let mut forged = original.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0xff;
    std::fs::write(&packets[0], &forged).unwrap();
    let output = as_victim(download(None));
    let progress = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{progress}");
    let name = packets[0].display().to_string();
    assert!(
        progress
            .lines()
            .any(|l| l.contains(" downloaded ") && l.contains(&name)),
        "{progress}"
    );
    assert_eq!(
        progress
            .lines()
            .filter(|l| l.contains("skipped") && l.contains("already complete"))
            .count(),
        2,
        "{progress}"
    );
    assert_eq!(std::fs::read(&packets[0]).unwrap(), original);
}

/// `--since 2h` counts back from the real clock: the printed range ends within seconds of now,
/// is 2 hours long, and the packets of that range are downloaded.
#[tokio::test(flavor = "multi_thread")]
async fn since_counts_back_from_now_and_prints_the_range() {
    let dir = TempDir::new("since");
    let out = dir.join("out");
    let args = [
        "logs",
        "download",
        "--mock",
        "--kind",
        "l7",
        "--since",
        "2h",
        "--zone",
        "zone-demo",
        "--out",
        &out,
    ];
    let output = teo(&args).await;
    let now = time::OffsetDateTime::now_utc();
    transcript(&args, &output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("time range: "))
        .unwrap_or_else(|| panic!("no range in {err}"));
    let (start, rest) = line.split_once(" to ").unwrap();
    let (end, length) = rest.split_once(' ').unwrap();
    assert_eq!(length, "(2h)");
    let parse = |t: &str| {
        assert!(t.ends_with('Z'), "{t} is not UTC");
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let (start, end) = (parse(start), parse(end));
    assert!(
        (now - end).whole_seconds().abs() <= 10,
        "{end} is not now ({now})"
    );
    assert_eq!((end - start).whole_seconds(), 7_200);
    // The range is printed first, before anything is started or sent.
    assert!(err.starts_with("time range: "), "{err}");
    assert!(!files(Path::new(&out)).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_relative_ranges_are_usage_errors() {
    let base = [
        "logs",
        "download",
        "--mock",
        "--kind",
        "l4",
        "--zone",
        "z",
        "--out",
        "/nonexistent/teo-never-written",
    ];
    for (extra, expected) in [
        (
            &["--since", "6h", "--start", "2024-05-01T00:00:00Z"][..],
            "--since",
        ),
        (
            &[
                "--since",
                "6h",
                "--until",
                "1h",
                "--end",
                "2024-05-01T00:00:00Z",
            ],
            "--until",
        ),
        (&["--since", "0h"], "is zero"),
        (&["--since=-6h"], "is negative"),
        (&["--since", "6w"], "unknown unit \"w\""),
        (&["--since", ""], "an empty duration"),
        (
            &["--since", "99999999999999999999d"],
            "longer than 10 years",
        ),
        (&["--since", "1h", "--until", "2h"], "is not after"),
        (
            &["--start", "2024-05-01T00:00:00Z"],
            "--end <RFC3339> or --until",
        ),
        (&["--until", "1h"], "--start <RFC3339>"),
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let output = teo(&args).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains("Using a local mock"),
            "{extra:?}: started"
        );
    }
}
