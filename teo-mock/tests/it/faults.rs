//! Fault injection, the rate limiter and the server's lifecycle, observed through the real SDK
//! client against an in-process teo-mock with signature verification on (and, for what the SDK
//! cannot show, through raw TCP).

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;
use teo_client::{Client, Credentials, Error, ErrorKind as Kind, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};
use teo_models::{DescribeZonesRequest, DescribeZonesResponse};

/// Signature verification stays on (the default); the rate limit is off unless a test sets it,
/// so bursts of test calls are not throttled.
fn config() -> MockConfig {
    MockConfig::default().rate_limit(None)
}

/// One attempt per call, no client-side limit: these tests look at what the mock does to a
/// single request (the client's retries are tested in tc-runtime/tests/it/retries.rs).
fn client(mock: &MockServer) -> Client {
    single_attempt(
        Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
            .endpoint(mock.url()),
    )
}

fn single_attempt(builder: teo_client::ClientBuilder) -> Client {
    builder
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .rate_limit(None)
        .build()
        .unwrap()
}

async fn describe_zones(client: &Client) -> Result<DescribeZonesResponse, Error> {
    client.describe_zones(DescribeZonesRequest::new()).await
}

/// The API error code of a failed call; panics on success or any other error.
fn api_code<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(e) if e.kind() == Kind::Api => e.code().unwrap_or_default().to_owned(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Sends raw bytes and reads until the server closes: (what was read, the read error if any).
fn raw_exchange(mock: &MockServer, request: &[u8]) -> (Vec<u8>, Option<std::io::Error>) {
    let mut stream = TcpStream::connect(mock.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (received, None),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => return (received, Some(e)),
        }
    }
}

/// An unsigned `POST /` (for servers with verification off).
fn raw_post(host: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request.into_bytes()
}

fn split_response(bytes: &[u8]) -> (String, Vec<u8>) {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    (
        String::from_utf8_lossy(&bytes[..end]).into_owned(),
        bytes[end + 4..].to_vec(),
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .expect("a Content-Length header")
}

#[tokio::test]
async fn signature_verification_is_on() {
    let mock = MockServer::start(config()).await.unwrap();
    describe_zones(&client(&mock)).await.unwrap();
    let wrong = Client::builder(Credentials::new(DEFAULT_SECRET_ID, "not-the-key"))
        .endpoint(mock.url())
        .build()
        .unwrap();
    assert!(api_code(describe_zones(&wrong).await).starts_with("AuthFailure"));
    mock.shutdown().await;
}

#[tokio::test]
async fn several_credentials_with_session_tokens() {
    let mock = MockServer::start(
        config()
            .add_credential(teo_mock::Credential::new("AKIDTEMP", "temp-key").with_token("tok-1")),
    )
    .await
    .unwrap();
    let with = |credentials: Credentials| {
        single_attempt(Client::builder(credentials).endpoint(mock.url()))
    };
    describe_zones(&client(&mock)).await.unwrap();
    describe_zones(&with(
        Credentials::new("AKIDTEMP", "temp-key").with_token("tok-1"),
    ))
    .await
    .unwrap();
    let code = api_code(describe_zones(&with(Credentials::new("AKIDTEMP", "temp-key"))).await);
    assert!(code.starts_with("AuthFailure"), "{code}");
    let code = api_code(describe_zones(&with(Credentials::new("AKIDNOBODY", "x"))).await);
    assert!(code.starts_with("AuthFailure"), "{code}");
    mock.shutdown().await;
}

#[tokio::test]
async fn api_error_faults_are_typed_api_errors() {
    let mock = MockServer::start(
        config()
            .fault(FaultPlan::count(
                "DescribeZones",
                Fault::RequestLimitExceeded,
                1,
            ))
            .fault(FaultPlan::count("DescribeZones", Fault::InternalError, 1)),
    )
    .await
    .unwrap();
    let client = client(&mock);
    match describe_zones(&client).await {
        Err(e) if e.kind() == Kind::Api => {
            assert_eq!(e.code(), Some("RequestLimitExceeded"));
            let request_id = e.request_id().unwrap_or_default();
            assert_eq!(request_id.len(), 36, "{request_id}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(api_code(describe_zones(&client).await), "InternalError");
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

#[tokio::test]
async fn bad_gateway_is_an_http_status_error() {
    let mock =
        MockServer::start(config().fault(FaultPlan::count("DescribeZones", Fault::BadGateway, 1)))
            .await
            .unwrap();
    match describe_zones(&client(&mock)).await {
        Err(e) if e.kind() == Kind::HttpStatus => {
            let body = e.body().expect("a body summary");
            assert_eq!(e.http_status(), Some(502));
            let text = body.text().expect("an HTML page is quoted");
            assert!(text.starts_with("<html>"), "{body}");
            assert!(text.contains("502 Bad Gateway"), "{body}");
        }
        other => panic!("expected HTTP 502, got {other:?}"),
    }
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_gateway_on_the_wire() {
    let mock = MockServer::start(
        config()
            .verify_signature(false)
            .fault(FaultPlan::probability("*", Fault::BadGateway, 1.0)),
    )
    .await
    .unwrap();
    let request = raw_post(
        "x",
        &[
            ("X-TC-Action", "DescribeZones"),
            ("X-TC-Version", "2022-09-01"),
        ],
        "{}",
    );
    let (bytes, error) = raw_exchange(&mock, &request);
    assert!(error.is_none(), "{error:?}");
    let (head, body) = split_response(&bytes);
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{head}"
    );
    assert_eq!(content_length(&head), body.len());
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.starts_with("<html>") && body.trim_end().ends_with("</html>"),
        "{body}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn reset_is_a_transport_error() {
    let mock = MockServer::start(config().fault(FaultPlan::count(
        "DescribeZones",
        Fault::ConnectionReset,
        1,
    )))
    .await
    .unwrap();
    let client = client(&mock);
    match describe_zones(&client).await {
        Err(e) if e.kind() == Kind::Transport => {}
        other => panic!("expected a transport error, got {other:?}"),
    }
    // The plan is spent: the next call gets through on a new connection.
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_sends_rst_before_any_byte() {
    let mock = MockServer::start(
        config()
            .verify_signature(false)
            .fault(FaultPlan::probability(
                "DescribeZones",
                Fault::ConnectionReset,
                1.0,
            )),
    )
    .await
    .unwrap();
    let request = raw_post(
        "x",
        &[
            ("X-TC-Action", "DescribeZones"),
            ("X-TC-Version", "2022-09-01"),
        ],
        "{}",
    );
    let (bytes, error) = raw_exchange(&mock, &request);
    assert!(bytes.is_empty(), "{}", String::from_utf8_lossy(&bytes));
    let error = error.expect("the read fails");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
    mock.shutdown().await;
}

#[tokio::test]
async fn truncated_body_is_a_transport_error() {
    let mock = MockServer::start(config().fault(FaultPlan::count(
        "DescribeZones",
        Fault::TruncatedBody,
        1,
    )))
    .await
    .unwrap();
    let client = client(&mock);
    match describe_zones(&client).await {
        Err(e) if e.kind() == Kind::Transport => {}
        other => panic!("expected a transport error, got {other:?}"),
    }
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_body_sends_fewer_bytes_than_announced() {
    let mock = MockServer::start(
        config()
            .verify_signature(false)
            .fault(FaultPlan::probability("*", Fault::TruncatedBody, 1.0)),
    )
    .await
    .unwrap();
    let request = raw_post(
        "x",
        &[
            ("X-TC-Action", "DescribeZones"),
            ("X-TC-Version", "2022-09-01"),
        ],
        "{}",
    );
    let (bytes, _) = raw_exchange(&mock, &request);
    let (head, body) = split_response(&bytes);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let announced = content_length(&head);
    assert!(
        !body.is_empty() && body.len() < announced,
        "{} of {announced}",
        body.len()
    );
    assert!(body.starts_with(b"{\"Response\""));
    mock.shutdown().await;
}

#[tokio::test]
async fn latency_is_added_and_combines() {
    let mock = MockServer::start(config()).await.unwrap();
    let client = client(&mock);
    describe_zones(&client).await.unwrap();
    let started = Instant::now();
    describe_zones(&client).await.unwrap();
    let baseline = started.elapsed();

    let delay = Duration::from_millis(300);
    mock.faults()
        .add(FaultPlan::count("DescribeZones", Fault::Latency(delay), 1));
    let started = Instant::now();
    describe_zones(&client).await.unwrap();
    let delayed = started.elapsed();
    assert!(delayed >= delay, "{delayed:?}");
    assert!(
        delayed >= baseline + Duration::from_millis(250),
        "{baseline:?} → {delayed:?}"
    );

    // Latency plans add up and go with another fault.
    mock.faults().set([
        FaultPlan::count("*", Fault::Latency(Duration::from_millis(150)), 1),
        FaultPlan::count(
            "DescribeZones",
            Fault::Latency(Duration::from_millis(150)),
            1,
        ),
        FaultPlan::count("DescribeZones", Fault::InternalError, 1),
    ]);
    let started = Instant::now();
    assert_eq!(api_code(describe_zones(&client).await), "InternalError");
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    mock.shutdown().await;
}

#[tokio::test]
async fn count_faults_stop_after_n_calls() {
    let mock = MockServer::start(config().fault(FaultPlan::count(
        "DescribeZones",
        Fault::InternalError,
        3,
    )))
    .await
    .unwrap();
    let client = client(&mock);
    // Another action does not use up the plan.
    client
        .call(
            "DescribeAccelerationDomains",
            json!({"ZoneId": "zone-2o3h21ed8bpu"}),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(api_code(describe_zones(&client).await), "InternalError");
    }
    for _ in 0..5 {
        describe_zones(&client).await.unwrap();
    }
    assert!(mock.faults().plans().is_empty());
    mock.shutdown().await;
}

#[tokio::test]
async fn wildcard_count_covers_every_action() {
    let mock = MockServer::start(config().fault("*:internal-error:count=2".parse().unwrap()))
        .await
        .unwrap();
    let client = client(&mock);
    assert_eq!(api_code(describe_zones(&client).await), "InternalError");
    assert_eq!(
        api_code(
            client
                .call(
                    "DescribeAccelerationDomains",
                    json!({"ZoneId": "zone-2o3h21ed8bpu"})
                )
                .await
        ),
        "InternalError"
    );
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

#[tokio::test]
async fn probability_zero_never_one_always() {
    let mock = MockServer::start(
        config()
            .fault(FaultPlan::probability(
                "DescribeZones",
                Fault::InternalError,
                0.0,
            ))
            .fault(
                "DescribeAccelerationDomains:internal-error:1.0"
                    .parse()
                    .unwrap(),
            ),
    )
    .await
    .unwrap();
    let client = client(&mock);
    for _ in 0..20 {
        describe_zones(&client).await.unwrap();
        assert_eq!(
            api_code(
                client
                    .call(
                        "DescribeAccelerationDomains",
                        json!({"ZoneId": "zone-2o3h21ed8bpu"})
                    )
                    .await
            ),
            "InternalError"
        );
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn probability_half_hits_some() {
    let mock = MockServer::start(config().fault(FaultPlan::probability(
        "DescribeZones",
        Fault::InternalError,
        0.5,
    )))
    .await
    .unwrap();
    let client = client(&mock);
    let mut failed = 0;
    for _ in 0..60 {
        if describe_zones(&client).await.is_err() {
            failed += 1;
        }
    }
    // 60 fair coin flips: outside 10..=50 with probability below 1e-7.
    assert!((10..=50).contains(&failed), "{failed} of 60");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limiter_throttles_one_action_only() {
    let mock = MockServer::start(config().rate_limit(Some(5)))
        .await
        .unwrap();
    let client = client(&mock);
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { describe_zones(&client).await })
        })
        .collect();
    // Meanwhile another action has a bucket of its own.
    for _ in 0..5 {
        client
            .call(
                "DescribeAccelerationDomains",
                json!({"ZoneId": "zone-2o3h21ed8bpu"}),
            )
            .await
            .unwrap();
    }
    let mut ok = 0;
    let mut limited = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(error) => {
                assert_eq!(error.code(), Some("RequestLimitExceeded"), "{error}");
                limited += 1;
            }
        }
    }
    // 5 at once, then 5 more a second.
    let allowed = 5 + (started.elapsed().as_secs_f64() * 5.0).ceil() as usize;
    assert!(
        ok >= 5 && ok <= allowed,
        "{ok} succeeded, at most {allowed} allowed"
    );
    assert!(limited >= 20 - allowed, "{limited} limited");

    // The bucket refills.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

#[tokio::test]
async fn rate_limiter_can_be_off() {
    let mock = MockServer::start(config().rate_limit(None)).await.unwrap();
    let client = client(&mock);
    let calls: Vec<_> = (0..150)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { describe_zones(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_frees_the_port() {
    let mock = MockServer::start(config()).await.unwrap();
    let addr = mock.addr();
    let client = client(&mock);
    describe_zones(&client).await.unwrap();
    // A keep-alive connection is open from the call above; shutdown ends it too.
    mock.shutdown().await;
    assert_eq!(
        TcpStream::connect(addr).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    assert!(matches!(
        describe_zones(&client).await,
        Err(e) if e.kind() == Kind::Transport
    ));
    let again = MockServer::start(config().bind(addr)).await.unwrap();
    assert_eq!(again.addr(), addr);
    describe_zones(&client).await.unwrap();
    drop(again);
    // Drop stops the server too (without waiting): the port soon refuses connections.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn oversized_body_is_request_size_limit_exceeded() {
    let mock = MockServer::start(config().body_limit(100)).await.unwrap();
    let client = client(&mock);
    let filters = json!([{"Name": "zone-name", "Values": ["x".repeat(200)]}]);
    assert_eq!(
        api_code(
            client
                .call("DescribeZones", json!({ "Filters": filters }))
                .await
        ),
        "RequestSizeLimitExceeded"
    );
    describe_zones(&client).await.unwrap();
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_action_and_host_checks() {
    let mock = MockServer::start(config().verify_signature(false))
        .await
        .unwrap();
    // tccli sends the whole endpoint URL as Host: accepted as it is.
    let host = mock.url();
    let request = |headers: &[(&str, &str)]| {
        let (bytes, error) = raw_exchange(&mock, &raw_post(&host, headers, "{}"));
        assert!(error.is_none(), "{error:?}");
        let (head, body) = split_response(&bytes);
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()
    };
    let ok = request(&[
        ("X-TC-Action", "DescribeZones"),
        ("X-TC-Version", "2022-09-01"),
    ]);
    assert!(ok["Response"]["Error"].is_null(), "{ok}");
    assert!(ok["Response"]["RequestId"].is_string(), "{ok}");
    let old = request(&[
        ("X-TC-Action", "DescribeZones"),
        ("X-TC-Version", "2019-01-01"),
    ]);
    assert_eq!(old["Response"]["Error"]["Code"], "NoSuchVersion", "{old}");
    let none = request(&[("X-TC-Version", "2022-09-01")]);
    assert_eq!(none["Response"]["Error"]["Code"], "InvalidAction", "{none}");
    let unknown = request(&[
        ("X-TC-Action", "DescribeNothing"),
        ("X-TC-Version", "2022-09-01"),
    ]);
    assert_eq!(
        unknown["Response"]["Error"]["Code"], "InvalidAction",
        "{unknown}"
    );
    mock.shutdown().await;
}

// Raw std sockets block: the server needs threads of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_packets_are_served() {
    let mock = MockServer::start(config()).await.unwrap();
    let client = client(&mock);
    let listing = client
        .call(
            "DownloadL7Logs",
            json!({
                "StartTime": "2024-05-01T00:00:00Z",
                "EndTime": "2024-05-01T02:00:00Z",
                "ZoneIds": ["zone-2o3h21ed8bpu"],
                "Domains": ["www.example.com"],
            }),
        )
        .await
        .unwrap();
    let packet = &listing["Data"][0];
    let url = packet["Url"].as_str().unwrap();
    let path = url
        .strip_prefix(&mock.url())
        .expect("a packet URL on the mock");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (bytes, error) = raw_exchange(&mock, request.as_bytes());
    assert!(error.is_none(), "{error:?}");
    let (head, body) = split_response(&bytes);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/gzip"),
        "{head}"
    );
    assert_eq!(content_length(&head), body.len());
    assert_eq!(&body[..2], &[0x1f, 0x8b]);
    if let Some(size) = packet["Size"].as_u64() {
        assert_eq!(size as usize, body.len());
    }

    let missing = b"GET /logs/no-such-file.log.gz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (bytes, _) = raw_exchange(&mock, missing);
    assert!(split_response(&bytes).0.starts_with("HTTP/1.1 404"));
    mock.shutdown().await;
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
async fn binary_prints_its_url_and_injects_faults() {
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_teo-mock"))
            .args([
                "--port",
                "0",
                "--fault",
                "DescribeZones:internal-error:count=1",
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
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut rest = String::new();
    stdout.read_line(&mut rest).unwrap();
    assert!(rest.contains(DEFAULT_SECRET_ID), "{rest}");

    let client = single_attempt(
        Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)).endpoint(url),
    );
    assert_eq!(api_code(describe_zones(&client).await), "InternalError");
    describe_zones(&client).await.unwrap();
}
