//! Log packet downloads and paged listings under injected faults, and big packets for
//! benchmarks: an in-process teo-mock on 127.0.0.1 (signature verification on), listed through
//! the real SDK client and downloaded with reqwest, as the log downloader will.

use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use reqwest::StatusCode;
use serde_json::{json, Value};
use teo_client::{Client, Credentials, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan, LOG_PACKET_ACTION};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const MIB: u64 = 1 << 20;

fn config() -> MockConfig {
    MockConfig::default().rate_limit(None)
}

fn client(url: &str) -> Client {
    Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(url)
        .timeout(Duration::from_secs(30))
        .retry(RetryPolicy::disabled())
        .rate_limit(None)
        .build()
        .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Two hours of one zone and proxy: two small packets.
fn small_listing() -> Value {
    json!({
        "StartTime": "2024-05-01T10:00:00Z",
        "EndTime": "2024-05-01T12:00:00Z",
        "ZoneIds": ["zone-a"],
        "ProxyIds": ["sid-1"],
    })
}

/// (Url, Size) of each listed packet.
async fn list(client: &Client, action: &str, request: Value) -> (u64, Vec<(String, u64)>) {
    let response = client.call(action, request).await.unwrap();
    let total = response["TotalCount"].as_u64().unwrap();
    let packets = response["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["Url"].as_str().unwrap().to_owned(),
                entry["Size"].as_u64().unwrap(),
            )
        })
        .collect();
    (total, packets)
}

/// The packet's bytes, asserting a complete 200 of the listed size.
async fn download(url: &str, size: u64) -> Vec<u8> {
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(size));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, size);
    bytes.to_vec()
}

fn gunzip(bytes: &[u8]) -> std::io::Result<String> {
    let mut text = String::new();
    GzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

/// Every line of a packet is a JSON object.
fn check_json_lines(text: &str) -> usize {
    let mut lines = 0;
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert!(record.is_object(), "{line}");
        lines += 1;
    }
    assert!(lines > 0);
    lines
}

#[tokio::test]
async fn truncate_sends_less_than_content_length() {
    let mock = MockServer::start(config()).await.unwrap();
    let (_, packets) = list(&client(&mock.url()), "DownloadL4Logs", small_listing()).await;
    let (url, size) = &packets[0];
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::TruncatedBody, 1));
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(*size), "the full length");
    let error = response.bytes().await.unwrap_err();
    assert!(error.is_body() || error.is_decode(), "{error:?}");

    // The same, seen on the wire: about half the body, then the connection closes.
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::TruncatedBody, 1));
    let mut response = http().get(url).send().await.unwrap();
    let mut received = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len() as u64,
            Ok(None) => panic!("a truncated body ends without error"),
            Err(_) => break,
        }
    }
    assert!(received < *size, "{received} of {size}");
    assert!(received >= size / 2 - 1, "about half: {received} of {size}");

    // count=2 is used up: the packet is whole again.
    let bytes = download(url, *size).await;
    check_json_lines(&gunzip(&bytes).unwrap());
    mock.shutdown().await;
}

#[tokio::test]
async fn corrupt_has_the_right_length_but_fails_to_decompress() {
    let mock = MockServer::start(config()).await.unwrap();
    let (_, packets) = list(&client(&mock.url()), "DownloadL4Logs", small_listing()).await;
    let (url, size) = &packets[0];
    let good = download(url, *size).await;
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::Corrupt, 1));
    let bad = download(url, *size).await;
    assert_eq!(bad.len(), good.len());
    assert_ne!(bad, good);
    assert_eq!(bad[..2], [0x1f, 0x8b], "still looks like gzip");
    assert!(gunzip(&bad).is_err(), "the CRC check fails");
    check_json_lines(&gunzip(&good).unwrap());
    // bad-json on a packet is the same fault.
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::MalformedJson, 1));
    assert_eq!(download(url, *size).await, bad);
    assert_eq!(download(url, *size).await, good);
    mock.shutdown().await;
}

#[tokio::test]
async fn error_statuses_and_counts() {
    let mock = MockServer::start(config()).await.unwrap();
    let client = client(&mock.url());
    let (_, packets) = list(&client, "DownloadL4Logs", small_listing()).await;
    let (url, size) = &packets[1];
    let status = |url: String| async move {
        let response = http().get(&url).send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().await.unwrap();
        (status, content_type.unwrap_or_default(), body)
    };

    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::InternalError, 2));
    for _ in 0..2 {
        let (code, content_type, body) = status(url.clone()).await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert!(!body.is_empty() && body.len() < 200, "{body}");
    }
    download(url, *size).await;

    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::BadGateway, 1));
    let (code, content_type, body) = status(url.clone()).await;
    assert_eq!(code, StatusCode::BAD_GATEWAY);
    assert_eq!(content_type, "text/html");
    assert!(body.contains("502 Bad Gateway"), "{body}");

    mock.faults().add(FaultPlan::count(
        LOG_PACKET_ACTION,
        Fault::RequestLimitExceeded,
        1,
    ));
    assert_eq!(status(url.clone()).await.0, StatusCode::SERVICE_UNAVAILABLE);
    download(url, *size).await;

    // A LogPacket plan leaves the API alone; a `*` plan hits packets too.
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::InternalError, 1));
    list(&client, "DownloadL4Logs", small_listing()).await;
    assert_eq!(
        status(url.clone()).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    mock.faults()
        .add(FaultPlan::count("*", Fault::BadGateway, 1));
    assert_eq!(status(url.clone()).await.0, StatusCode::BAD_GATEWAY);
    download(url, *size).await;

    // A missing packet stays a 404 under data faults.
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::Corrupt, 1));
    let missing = format!("{}/logs/no-such-packet.log.gz", mock.url());
    assert_eq!(status(missing).await.0, StatusCode::NOT_FOUND);
    assert!(mock.faults().plans().is_empty());

    // HEAD is never faulted.
    mock.faults()
        .add(FaultPlan::count(LOG_PACKET_ACTION, Fault::InternalError, 1));
    let head = http().head(url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(mock.faults().plans().len(), 1);
    mock.shutdown().await;
}

#[tokio::test]
async fn reset_and_latency() {
    let mock = MockServer::start(config()).await.unwrap();
    let (_, packets) = list(&client(&mock.url()), "DownloadL4Logs", small_listing()).await;
    let (url, size) = &packets[0];
    mock.faults().add(FaultPlan::count(
        LOG_PACKET_ACTION,
        Fault::ConnectionReset,
        1,
    ));
    let error = http().get(url).send().await.unwrap_err();
    assert!(error.status().is_none(), "no response: {error:?}");

    // On the wire: RST before any byte.
    mock.faults().add(FaultPlan::count(
        LOG_PACKET_ACTION,
        Fault::ConnectionReset,
        1,
    ));
    let path = url.strip_prefix(&mock.url()).unwrap().to_owned();
    let addr = mock.addr();
    let (received, error) = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut received = Vec::new();
        let error = stream.read_to_end(&mut received).err();
        (received, error)
    })
    .await
    .unwrap();
    assert!(received.is_empty(), "{} bytes", received.len());
    assert_eq!(
        error.map(|e| e.kind()),
        Some(std::io::ErrorKind::ConnectionReset)
    );

    mock.faults().add(FaultPlan::count(
        LOG_PACKET_ACTION,
        Fault::Latency(Duration::from_millis(300)),
        1,
    ));
    let started = Instant::now();
    download(url, *size).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    mock.shutdown().await;
}

#[tokio::test]
async fn repeat_page_answers_the_first_page_once() {
    let mock = MockServer::start(config()).await.unwrap();
    let client = client(&mock.url());
    // 48 hours × 2 zones × 4 proxies: 384 packets, two pages of 300.
    let page = |offset: u64| {
        json!({
            "StartTime": "2024-05-01T00:00:00Z",
            "EndTime": "2024-05-03T00:00:00Z",
            "ZoneIds": ["zone-a", "zone-b"],
            "ProxyIds": ["sid-1", "sid-2", "sid-3", "sid-4"],
            "Limit": 300,
            "Offset": offset,
        })
    };
    let (total, first) = list(&client, "DownloadL4Logs", page(0)).await;
    assert_eq!((total, first.len()), (384, 300));
    let (_, second) = list(&client, "DownloadL4Logs", page(300)).await;
    assert_eq!(second.len(), 84);

    mock.faults()
        .add("DownloadL4Logs:repeat-page:count=1".parse().unwrap());
    let (total, repeated) = list(&client, "DownloadL4Logs", page(300)).await;
    assert_eq!(total, 384);
    assert_eq!(repeated, first, "the first page again");
    assert_eq!(list(&client, "DownloadL4Logs", page(300)).await.1, second);
    assert!(mock.faults().plans().is_empty());

    // The same for DownloadL7Logs and the generic Offset/Limit answers; an action without
    // Offset is unaffected.
    mock.faults()
        .add(FaultPlan::probability("*", Fault::RepeatPage, 1.0));
    let l7 = json!({
        "StartTime": "2024-05-01T00:00:00Z",
        "EndTime": "2024-05-01T05:00:00Z",
        "Limit": 2,
        "Offset": 3,
    });
    let (total, repeated) = list(&client, "DownloadL7Logs", l7.clone()).await;
    assert_eq!(total, 5);
    assert!(repeated[0].0.contains("_2024050100_"), "{repeated:?}");
    assert!(teo_mock::answers::total_items("DescribeZones") > 4);
    let zones = |offset: u64| {
        let client = &client;
        async move {
            let response = client
                .call("DescribeZones", json!({ "Offset": offset, "Limit": 2 }))
                .await
                .unwrap();
            response["Zones"].clone()
        }
    };
    let repeated = zones(2).await;
    let first = zones(0).await;
    assert_eq!(repeated, first);
    client
        .call("DescribeAvailablePlans", json!({}))
        .await
        .unwrap();
    mock.faults().clear();
    assert_ne!(zones(2).await, first);
    let (_, normal) = list(&client, "DownloadL7Logs", l7).await;
    assert!(normal[0].0.contains("_2024050103_"), "{normal:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_packets_are_at_least_the_asked_size() {
    let mock = MockServer::start(
        config()
            .log_packet_bytes(Some(MIB))
            .log_cache_bytes(16 << 20),
    )
    .await
    .unwrap();
    let client = client(&mock.url());
    let request = json!({
        "StartTime": "2024-05-01T00:00:00Z",
        "EndTime": "2024-05-01T02:00:00Z",
        "ZoneIds": ["zone-a"],
        "Domains": ["a.example.com", "b.example.com"],
    });
    let (total, packets) = list(&client, "DownloadL7Logs", request.clone()).await;
    assert_eq!((total, packets.len()), (4, 4));
    let downloads = packets.clone().into_iter().map(|(url, size)| async move {
        assert!(size >= MIB, "{size}");
        assert!(size < MIB + MIB / 20, "not much more: {size}");
        let bytes = download(&url, size).await;
        let records = check_json_lines(&gunzip(&bytes).unwrap());
        // More than a packet's own 50–400 (an L7 record is about 1 KB).
        assert!(records > 400, "{records}");
        bytes
    });
    let first = futures_join(downloads).await;
    // Served again (from the cache) identically; the listing is stable.
    assert_eq!(download(&packets[0].0, packets[0].1).await, first[0]);
    assert_eq!(list(&client, "DownloadL7Logs", request).await.1, packets);

    // Over the limit: a clear error, not a server.
    let error = MockServer::start(config().log_packet_bytes(Some(u64::MAX)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    mock.shutdown().await;
}

/// Runs the futures concurrently (one task each), in order of results.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<Vec<u8>>
where
    F: std::future::Future<Output = Vec<u8>> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_big_packets_and_packet_faults() {
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_teo-mock"))
            .args([
                "--port",
                "0",
                "--log-packet-size",
                "256KiB",
                "--log-cache-size",
                "8MiB",
                "--fault",
                "LogPacket:corrupt:count=1",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("teo-mock listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    let (_, packets) = list(&client(&url), "DownloadL4Logs", small_listing()).await;
    let (packet, size) = &packets[0];
    assert!(*size >= 256 << 10, "{size}");
    let corrupt = download(packet, *size).await;
    assert!(gunzip(&corrupt).is_err());
    let good = download(packet, *size).await;
    check_json_lines(&gunzip(&good).unwrap());

    // Bad sizes are refused before starting.
    for bad in ["8TiB", "2GiB", "lots"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_teo-mock"))
            .args(["--log-packet-size", bad])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--log-packet-size"), "{stderr}");
    }
}
