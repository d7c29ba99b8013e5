//! The runtime against teo-mock's fault injection: which failures are retried, and that a
//! success after failed attempts is a success.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::Client;
use tc_runtime::{Credentials, ErrorKind, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

/// A mock with the given fault plans and no server-side rate limit.
async fn mock(plans: Vec<FaultPlan>) -> MockServer {
    let mut config = MockConfig::default().rate_limit(None);
    for plan in plans {
        config = config.fault(plan);
    }
    MockServer::start(config).await.expect("mock starts")
}

fn client(mock: &MockServer) -> Client {
    Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(mock.url())
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(10)))
        .build()
        .expect("client")
}

const READ: &str = "DescribeZones";
/// A write action with a valid request, from its official example.
const WRITE: &str = "ModifyL4Proxy";
fn write_request() -> serde_json::Value {
    json!({"ZoneId": "zone-24wjy25v1cwi", "ProxyId": "sid-2qwk27xf7j9g", "Ipv6": "on"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_actions_recover_from_every_transient_fault() {
    for fault in [
        Fault::RequestLimitExceeded,
        Fault::InternalError,
        Fault::BadGateway,
        Fault::ConnectionReset,
        Fault::TruncatedBody,
    ] {
        let name = fault.name();
        let mock = mock(vec![FaultPlan::count(READ, fault, 2)]).await;
        let response = client(&mock).call(READ, json!({"Limit": 1})).await;
        assert!(response.is_ok(), "{name}: {response:?}");
        assert!(
            mock.faults().plans().is_empty(),
            "{name}: both injected faults were consumed"
        );
        mock.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_actions_retry_throttling_only() {
    let throttled = mock(vec![FaultPlan::count(
        WRITE,
        Fault::RequestLimitExceeded,
        2,
    )])
    .await;
    client(&throttled)
        .call(WRITE, write_request())
        .await
        .expect("throttling is always retried");
    throttled.shutdown().await;

    for fault in [
        Fault::InternalError,
        Fault::BadGateway,
        Fault::ConnectionReset,
        Fault::TruncatedBody,
    ] {
        let name = fault.name();
        let mock = mock(vec![FaultPlan::count(WRITE, fault, 1)]).await;
        let error = client(&mock)
            .call(WRITE, write_request())
            .await
            .expect_err("not retried");
        assert!(error.is_retryable(), "{name}: retryable for reads, {error}");
        match error.kind() {
            ErrorKind::Api => assert_eq!(error.code(), Some("InternalError")),
            ErrorKind::HttpStatus => assert_eq!(error.http_status(), Some(502)),
            ErrorKind::Transport => {}
            other => panic!("{name}: unexpected {other:?}: {error:?}"),
        }
        mock.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_are_bounded_and_the_last_error_is_returned() {
    let mock = mock(vec![FaultPlan::count(READ, Fault::InternalError, 10)]).await;
    let error = client(&mock)
        .call(READ, json!({}))
        .await
        .expect_err("3 attempts all fail");
    assert_eq!(error.code(), Some("InternalError"));
    // 10 planned, 3 used.
    assert_eq!(mock.faults().plans().len(), 1);
    let error = client(&mock)
        .with_retry(RetryPolicy::disabled())
        .call(READ, json!({}))
        .await
        .expect_err("one attempt");
    assert_eq!(error.code(), Some("InternalError"));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responses_time_out_and_are_retried_for_reads() {
    let mock = mock(vec![FaultPlan::count(
        READ,
        Fault::Latency(Duration::from_secs(3)),
        1,
    )])
    .await;
    let started = Instant::now();
    client(&mock)
        .with_timeout(Duration::from_millis(300))
        .call(READ, json!({}))
        .await
        .expect("the second attempt is fast");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    mock.faults().add(FaultPlan::count(
        READ,
        Fault::Latency(Duration::from_secs(3)),
        5,
    ));
    let error = client(&mock)
        .with_timeout(Duration::from_secs(5))
        .with_total_timeout(Duration::from_millis(500))
        .call(READ, json!({}))
        .await
        .expect_err("the total limit cuts the call");
    assert!(error.is_timeout(), "{error:?}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_rate_limit_keeps_a_burst_under_the_server_limit() {
    // The server allows 20 calls a second per action; a client limited to 15 (headroom for
    // network jitter) never sees RequestLimitExceeded, however many calls its clones start.
    let server = MockServer::start(MockConfig::default().rate_limit(Some(20)))
        .await
        .expect("mock");
    let client = Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(server.url())
        .rate_limit(Some(15))
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client");
    let started = Instant::now();
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call(READ, json!({})).await })
        })
        .collect();
    for call in calls {
        call.await.expect("join").expect("never throttled");
    }
    // 15 at once, then 35 more at 15 a second.
    assert!(
        started.elapsed() >= Duration::from_millis(2200),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_cancels_it() {
    let mock = mock(vec![FaultPlan::count(
        READ,
        Fault::Latency(Duration::from_secs(2)),
        1,
    )])
    .await;
    let client = client(&mock);
    let call = client.call(READ, json!({}));
    assert!(tokio::time::timeout(Duration::from_millis(200), call)
        .await
        .is_err());
    // Nothing keeps running: a new call is answered at once.
    let started = Instant::now();
    client.call(READ, json!({})).await.expect("answered");
    assert!(started.elapsed() < Duration::from_secs(1));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_decode_error_and_not_retried() {
    let mock = mock(vec![FaultPlan::count(READ, Fault::MalformedJson, 1)]).await;
    match client(&mock).call(READ, json!({})).await {
        Err(error) if error.kind() == ErrorKind::Decode => {
            assert_eq!(error.action(), Some(READ));
            let body = error.body().expect("a body summary");
            // JSON is described (length, type), never quoted: it could hold secrets.
            assert!(!body.is_empty());
            assert_eq!(body.text(), None, "{body}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    // Not retried: a server that answers garbage is not helped by asking again at once.
    assert!(mock.faults().plans().is_empty());
    client(&mock)
        .call(READ, json!({}))
        .await
        .expect("the next call is fine");
    mock.shutdown().await;
}
