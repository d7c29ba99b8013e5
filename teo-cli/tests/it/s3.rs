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
