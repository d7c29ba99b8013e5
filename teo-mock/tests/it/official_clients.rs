//! Clients we did not write accept teo-mock: the official Python SDK
//! (`tencentcloud-sdk-python-intl-en`), in each request style it offers (TC3-HMAC-SHA256 over
//! POST and GET, HmacSHA256 over POST, HmacSHA1 over GET, and TC3 over a multipart/form-data POST
//! as its `IsMultipart` option encodes it), and `tccli-intl-en` (TC3 over POST,
//! its only style) call it; their signatures verify, a wrong key is rejected with
//! AuthFailure.SignatureFailure, a missing required parameter with MissingParameter and a
//! parameter of the wrong type with InvalidParameter, naming it, whatever the style. The test installs both into a virtual environment under the target
//! directory on first use (tc-test-support's `tools::official_clients`; PyPI is needed once)
//! and prints the transcripts.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

/// Runs a blocking command without stalling the mock's runtime.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("spawn")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_sdk_and_tccli_accept_the_mock() {
    // Installed on first use; without Python or PyPI the test is skipped (or fails under
    // TEO_REQUIRE_TOOLS=1). Blocking is fine here: nothing runs on this runtime yet.
    let Some(venv) = tc_test_support::tools::official_clients() else {
        return;
    };
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let url = mock.url();
    let host = url.trim_start_matches("http://").to_owned();

    // The Python SDK.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/official_sdk.py");
    let mut sdk = Command::new(venv.join("bin/python"));
    sdk.arg(&script)
        .args([host.as_str(), DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY]);
    let output = run(sdk).await;
    let transcript = String::from_utf8_lossy(&output.stdout).into_owned();
    println!(
        "--- Python SDK ---\n{transcript}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let cases: Vec<Value> = transcript
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let case = |style: &str, name: &str| {
        cases
            .iter()
            .find(|c| c["style"] == style && c["case"] == name)
            .unwrap_or_else(|| panic!("case {style} {name}"))
            .clone()
    };
    for style in [
        "tc3-post",
        "tc3-get",
        "hmacsha256-post",
        "hmacsha1-get",
        "tc3-multipart",
    ] {
        let ok = |name: &str| {
            let case = case(style, name);
            assert_eq!(case["ok"], true, "{style} {name}: {case}");
            assert!(
                case["request_id"].as_str().is_some_and(|id| id.len() == 36),
                "{style} {name}: {case}"
            );
            case
        };
        ok("describe_zones");
        ok("describe_zones_filtered");
        assert_eq!(
            ok("download_l4_logs")["response"]["TotalCount"],
            3,
            "{style}"
        );
        let failed = |name: &str, code: &str, mentions: &str| {
            let case = case(style, name);
            assert_eq!(case["code"], code, "{style} {name}: {case}");
            assert!(
                case["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(mentions),
                "{style} {name}: {case}"
            );
        };
        failed("wrong_key", "AuthFailure.SignatureFailure", "signature");
        failed("missing_required", "MissingParameter", "StartTime");
        failed("wrong_type", "InvalidParameter", "`Limit`");
    }

    // tccli, which sends the whole endpoint URL as the Host header.
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tccli-home");
    std::fs::create_dir_all(&home).expect("tccli home");
    let tccli = |args: &[&str], key: &str| {
        let mut command = Command::new(venv.join("bin/tccli"));
        command.env("HOME", &home).arg("teo").args(args).args([
            "--endpoint",
            &url,
            "--secretId",
            DEFAULT_SECRET_ID,
            "--secretKey",
            key,
            "--region",
            "ap-singapore",
        ]);
        command
    };
    let zones = run(tccli(&["DescribeZones"], DEFAULT_SECRET_KEY)).await;
    let zones_out = String::from_utf8_lossy(&zones.stdout).into_owned();
    let head: Vec<&str> = zones_out.lines().take(6).collect();
    println!(
        "--- tccli teo DescribeZones (first lines) ---\n{}\n…",
        head.join("\n")
    );
    assert!(zones.status.success(), "tccli DescribeZones failed");
    let zones_json: Value = serde_json::from_str(&zones_out).expect("tccli prints JSON");
    assert!(zones_json["RequestId"].is_string(), "{zones_json}");

    let request = home.join("download-l4-logs.json");
    std::fs::write(
        &request,
        r#"{"StartTime": "2024-05-01T00:00:00+08:00", "EndTime": "2024-05-01T03:00:00+08:00",
            "ZoneIds": ["zone-2o3h21ed8bpu"], "Limit": 300}"#,
    )
    .expect("request file");
    let input = format!("file://{}", request.display());
    let logs = run(tccli(
        &["DownloadL4Logs", "--cli-input-json", &input],
        DEFAULT_SECRET_KEY,
    ))
    .await;
    let logs_out = String::from_utf8_lossy(&logs.stdout).into_owned();
    assert!(
        logs.status.success(),
        "tccli DownloadL4Logs failed: {logs_out}{}",
        String::from_utf8_lossy(&logs.stderr)
    );
    let logs_json: Value = serde_json::from_str(&logs_out).expect("tccli prints JSON");
    println!(
        "--- tccli teo DownloadL4Logs ---\nTotalCount {}, {} packets",
        logs_json["TotalCount"],
        logs_json["Data"].as_array().map_or(0, Vec::len)
    );
    assert_eq!(logs_json["TotalCount"], 3, "{logs_json}");

    let wrong = run(tccli(&["DescribeZones"], "wrong-key")).await;
    let wrong_out = format!(
        "{}{}",
        String::from_utf8_lossy(&wrong.stdout),
        String::from_utf8_lossy(&wrong.stderr)
    );
    println!("--- tccli with a wrong key ---\n{wrong_out}");
    assert!(
        wrong_out.contains("AuthFailure.SignatureFailure"),
        "{wrong_out}"
    );

    // tccli checks required arguments itself; `--cli-input-json` hands the request to the server.
    let request = home.join("missing-start-time.json");
    std::fs::write(&request, r#"{"EndTime": "2024-05-01T03:00:00+08:00"}"#).expect("request file");
    let input = format!("file://{}", request.display());
    let missing = run(tccli(
        &["DownloadL4Logs", "--cli-input-json", &input],
        DEFAULT_SECRET_KEY,
    ))
    .await;
    let missing_out = format!(
        "{}{}",
        String::from_utf8_lossy(&missing.stdout),
        String::from_utf8_lossy(&missing.stderr)
    );
    println!("--- tccli without a required parameter ---\n{missing_out}");
    assert!(missing_out.contains("MissingParameter"), "{missing_out}");

    mock.shutdown().await;
}
