//! The official Node.js SDK (`tencentcloud-sdk-nodejs-intl-en`) accepts teo-mock in every request
//! style it offers: TC3-HMAC-SHA256 over POST (JSON body) and over GET (query string), and the v1
//! signatures HmacSHA256 (the SDK's default) and HmacSHA1, each over POST (form-urlencoded body)
//! and over GET (query string). Each style signs and encodes differently, so each is its own
//! test: DescribeZones answers with a RequestId, DownloadL4Logs with the Python test's
//! parameters answers TotalCount 3, a wrong secret key is rejected with
//! AuthFailure.SignatureFailure and a missing StartTime with MissingParameter naming it.
//!
//! The SDK is installed with npm into the target directory on first use (the registry is needed
//! once) and `tests/official_node.js` drives it, one JSON line per case; `--nocapture` shows the
//! transcripts. The endpoint is `teo.mock.test:<port>` because the SDK takes the TC3 service name
//! from the endpoint's first label; the script resolves that name to 127.0.0.1 itself. Without
//! `node`/`npm` the tests say so in one line and pass, unless `TEO_REQUIRE_TOOLS=1` (CI sets it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

use crate::support;
use support::run_ok;

const PACKAGE: &str = "tencentcloud-sdk-nodejs-intl-en@3.0.1335";
/// A name, not an IP: the SDK signs TC3 for the service `endpoint.split('.')[0]`.
const ENDPOINT_HOST: &str = "teo.mock.test";
const PROXY_VARIABLES: &[&str] = &[
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
];

/// The directory whose `node_modules` holds the pinned SDK, installed once per target directory;
/// `None` when node or npm is missing (the caller skips). Shared by the tests of
/// this file, which run as threads of one process, so npm runs once.
fn node_sdk() -> Option<&'static Path> {
    static SDK: OnceLock<Option<PathBuf>> = OnceLock::new();
    SDK.get_or_init(install_node_sdk).as_deref()
}

fn install_node_sdk() -> Option<PathBuf> {
    let available = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !available("node") || !available("npm") {
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("official-node-sdk");
    let marker = dir.join("installed.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(PACKAGE) {
        return Some(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("SDK directory");
    run_ok(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(PACKAGE),
    );
    std::fs::write(&marker, PACKAGE).expect("write marker");
    Some(dir)
}

/// Runs one style of the SDK against a fresh mock and checks its four cases. Every case is
/// checked before failing, so one run tells which of them the mock got wrong.
async fn check_style(style: &str, description: &str) {
    // A failed install panics in the blocking task; re-raised, its own message is the one shown.
    let installed = tokio::task::spawn_blocking(node_sdk)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let Some(sdk) = installed else {
        tc_test_support::tools::skip_check(
            &format!("the Node.js SDK's {description}"),
            "node or npm",
        );
        return;
    };
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock starts");
    let url = mock.url();
    let port = url.rsplit(':').next().expect("port in the mock's URL");
    let endpoint = format!("{ENDPOINT_HOST}:{port}");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/official_node.js");
    let mut node = Command::new("node");
    node.arg(&script)
        .args([
            endpoint.as_str(),
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            style,
        ])
        .current_dir(sdk)
        .env("NODE_PATH", sdk.join("node_modules"));
    // The SDK would send everything through an HTTPS proxy agent; the mock is on loopback.
    for variable in PROXY_VARIABLES {
        node.env_remove(variable);
    }
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("join")
        .expect("spawn node");
    mock.shutdown().await;

    let transcript = String::from_utf8_lossy(&output.stdout).into_owned();
    println!(
        "--- Node.js SDK, {style} ({description}) ---\n{transcript}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "Node.js SDK, {style}: the script failed ({})",
        output.status
    );
    let cases: Vec<Value> = transcript
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();

    let mut failures = Vec::new();
    let mut check = |name: &str, expectation: &str, holds: &dyn Fn(&Value) -> bool| match cases
        .iter()
        .find(|c| c["style"] == style && c["case"] == name)
    {
        Some(case) if holds(case) => {}
        Some(case) => failures.push(format!("{name}: expected {expectation}, got {case}")),
        None => failures.push(format!("{name}: no line in the transcript")),
    };
    check("describe_zones", "success with a RequestId", &|c| {
        c["ok"] == true && c["request_id"].as_str().is_some_and(|id| !id.is_empty())
    });
    check("download_l4_logs", "success with TotalCount 3", &|c| {
        c["ok"] == true && c["response"]["TotalCount"] == 3
    });
    check("wrong_key", "AuthFailure.SignatureFailure", &|c| {
        c["ok"] == false && c["code"] == "AuthFailure.SignatureFailure"
    });
    check(
        "missing_required",
        "MissingParameter naming StartTime",
        &|c| {
            c["ok"] == false
                && c["code"] == "MissingParameter"
                && c["message"]
                    .as_str()
                    .is_some_and(|message| message.contains("StartTime"))
        },
    );
    assert!(
        failures.is_empty(),
        "Node.js SDK, {style} ({description}): {} of 4 cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_tc3_over_post_with_a_json_body() {
    check_style("tc3_post", "TC3-HMAC-SHA256 over POST, JSON body").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_tc3_over_get_with_a_query_string() {
    check_style("tc3_get", "TC3-HMAC-SHA256 over GET, query string").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_hmac_sha256_over_post_with_a_form_body() {
    check_style(
        "hmac_sha256_post",
        "HmacSHA256 over POST, form-urlencoded body",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_hmac_sha256_over_get_with_a_query_string() {
    check_style("hmac_sha256_get", "HmacSHA256 over GET, query string").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_hmac_sha1_over_get_with_a_query_string() {
    check_style("hmac_sha1_get", "HmacSHA1 over GET, query string").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sdk_hmac_sha1_over_post_with_a_form_body() {
    check_style("hmac_sha1_post", "HmacSHA1 over POST, form-urlencoded body").await;
}
