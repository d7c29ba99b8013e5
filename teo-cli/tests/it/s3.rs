//! `teo logs download --out s3://…` against a real S3-compatible server (moto, from `target/py`)
//! on 127.0.0.1: a Parquet dataset and raw packets, reruns that skip what is there, and the
//! store's secret never printed.

use std::process::{Command, Output};

use teo_mock::{MockConfig, MockServer};

use crate::support;

const TEO: &str = env!("CARGO_BIN_EXE_teo");
const SECRET: &str = "s3-secret-key-that-must-never-show";

async fn teo(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(TEO);
        command.args(&args);
        for name in [
            "TENCENTCLOUD_SECRET_ID",
            "TENCENTCLOUD_SECRET_KEY",
            "AWS_PROFILE",
        ] {
            command.env_remove(name);
        }
        command
            .env("HOME", "/nonexistent/teo-cli-test-home")
            .env("AWS_ACCESS_KEY_ID", "AKIDS3TEST")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1");
        command.output().expect("teo runs")
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> (String, String) {
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    println!("{err}{out}(exit {:?})\n", output.status.code());
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
    (out, err)
}

fn download(mock: &str, endpoint: &str, format: &str, out: &str) -> Vec<String> {
    [
        "logs",
        "download",
        "--endpoint",
        mock,
        "--secretId",
        teo_mock::server::DEFAULT_SECRET_ID,
        "--secretKey",
        teo_mock::server::DEFAULT_SECRET_KEY,
        "--kind",
        "l7",
        "--start",
        "2024-05-01T10:00:00Z",
        "--end",
        "2024-05-01T13:00:00Z",
        "--zone",
        "zone-a",
        "--format",
        format,
        "--out",
        out,
        "--s3-endpoint",
        endpoint,
    ]
    .map(str::to_owned)
    .to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_go_to_s3_as_parquet_or_as_packets_and_reruns_skip_them() {
    let Some(moto) = tokio::task::spawn_blocking(support::Moto::start)
        .await
        .unwrap()
    else {
        return;
    };
    moto.create_bucket("edgeone");
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let endpoint = moto.endpoint();
    let run = format!("{:x}", fastrand::u64(..));

    for format in ["parquet", "gz"] {
        let out = format!("s3://edgeone/{run}/{format}");
        let args = download(&mock.url(), &endpoint, format, &out);
        let output = teo(args.clone()).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stdout.contains("  packets     3\n  stored      3\n"),
            "{stdout}"
        );
        assert!(stdout.contains(&format!("complete: every listed packet is in {out}")));
        if format == "parquet" {
            assert!(stdout.contains("(0 bad lines skipped)"), "{stdout}");
        }
        // The rerun lists, finds everything there (packets: at their listed size), fetches nothing.
        let output = teo(args).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(
            stdout.contains("  stored      0\n  skipped     3  (already there)"),
            "{stdout}"
        );
        assert!(!stderr.contains("downloaded"), "{stderr}");
    }

    // A bucket that does not exist: the store's error, the object's URL, never the secret.
    let staging = std::env::temp_dir().join(format!("teo-s3-test-staging-{run}"));
    let mut args = download(&mock.url(), &endpoint, "parquet", "s3://no-such-bucket/x");
    args.extend(["--staging".to_owned(), staging.display().to_string()]);
    let output = teo(args).await;
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("s3://no-such-bucket/x/kind=l7/zone=zone-a/"),
        "{stdout}"
    );
    assert!(stdout.contains("NoSuchBucket"), "{stdout}");
    // The packets wait in the staging directory for the rerun, each with the digest that
    // proves it is the packet downloaded.
    let names: Vec<String> = std::fs::read_dir(&staging)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.ends_with(".log.gz")).count(),
        3,
        "{names:?}"
    );
    assert_eq!(
        names
            .iter()
            .filter(|n| n.ends_with(".log.gz.sha256"))
            .count(),
        3,
        "{names:?}"
    );
    std::fs::remove_dir_all(&staging).unwrap();
    mock.shutdown().await;
}

fn jsonl(ids: std::ops::Range<u32>, hour: u32) -> Vec<u8> {
    ids.map(|i| {
        format!(
            "{{\"RequestID\":\"o{hour}-{i}\",\"RequestTime\":\"2024-08-12T{hour:02}:05:00Z\",\"EdgeResponseBytes\":{i}}}\n"
        )
    })
    .collect::<String>()
    .into_bytes()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// What EdgeOne's S3 push leaves (names undocumented: same file names in two directories,
/// gzip'd or not whatever the name) converted from the bucket; a rerun converts only the new
/// object, and `--watch` picks up one put while it runs.
#[tokio::test(flavor = "multi_thread")]
async fn objects_of_the_s3_push_convert_incrementally_and_with_watch() {
    let Some(moto) = tokio::task::spawn_blocking(support::Moto::start)
        .await
        .unwrap()
    else {
        return;
    };
    moto.create_bucket("eo-push");
    moto.put_object(
        "/eo-push/EO-logs/20240812/10/part-0.log.gz",
        &gz(&jsonl(0..5, 10)),
    );
    moto.put_object(
        "/eo-push/EO-logs/20240812/11/part-0.log.gz",
        &jsonl(0..4, 11),
    );
    moto.put_object("/eo-push/EO-logs/20240812/11/part-1", &gz(&jsonl(4..7, 11)));
    moto.put_object("/eo-push/other/ignored.log.gz", &gz(&jsonl(0..9, 9)));
    let dir = support::temp_dir("convert-s3-input");
    let args = |extra: &[&str]| {
        let mut args: Vec<String> = [
            "logs",
            "convert",
            "s3://eo-push/EO-logs/",
            "--out",
            dir.join("dataset").to_str().unwrap(),
            "--format",
            "ndjson",
            "--zone",
            "zone-push",
            "--s3-endpoint",
            &moto.endpoint(),
            "--staging",
            dir.join("staging").to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let output = teo(args(&[])).await;
    let (stdout, _) = text(&output);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("converted   3\n"), "{stdout}");
    assert!(stdout.contains("records     12 "), "{stdout}");
    moto.put_object(
        "/eo-push/EO-logs/20240812/12/part-0.log.gz",
        &gz(&jsonl(0..2, 12)),
    );
    let output = teo(args(&[])).await;
    let (stdout, _) = text(&output);
    assert!(stdout.contains("converted   1\n"), "{stdout}");
    assert!(stdout.contains("skipped     3 "), "{stdout}");
    assert!(stdout.contains("records     2 "), "{stdout}");
    let files: Vec<_> = crate::support::files_in(&dir.join("dataset/kind=l7"));
    let records: usize = files.iter().map(|f| support::lines_of(f).len()).sum();
    assert_eq!(records, 14);

    // --watch: a new object is converted while it runs; stopped with SIGINT.
    let mut child = Command::new(TEO)
        .args(args(&["--watch", "1"]))
        .env("AWS_ACCESS_KEY_ID", "AKIDS3TEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    use std::io::BufRead;
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("watching"), "{line}");
    moto.put_object(
        "/eo-push/EO-logs/20240812/13/part-0.log.gz",
        &gz(&jsonl(0..3, 13)),
    );
    line.clear();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "converted 20240812/13/part-0.log.gz: 3 records\n");
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
