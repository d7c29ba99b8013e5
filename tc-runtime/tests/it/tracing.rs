//! Every call runs in a `teo` span naming the action, the attempt and the request id, and no
//! secret reaches the logs: not the SecretKey, not the session token, not the Authorization
//! header or its signature.

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::Client;
use tc_runtime::{Credentials, RetryPolicy};
use tc_test_support::Captured;
use teo_mock::faults::{Fault, FaultPlan};
use teo_mock::{Credential, MockConfig, MockServer};

#[tokio::test(flavor = "current_thread")]
async fn calls_are_traced_without_secrets() {
    if !tc_test_support::alone("tracing::calls_are_traced_without_secrets") {
        return;
    }
    const KEY: &str = "very-secret-key-value";
    const TOKEN: &str = "very-secret-session-token";
    let mock = MockServer::start(
        MockConfig::default()
            .add_credential(Credential::new("AKIDTRACE", KEY).with_token(TOKEN))
            .fault(FaultPlan::count("DescribeZones", Fault::InternalError, 1)),
    )
    .await
    .expect("mock");
    let client = Client::builder(Credentials::new("AKIDTRACE", KEY).with_token(TOKEN))
        .endpoint(mock.url())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .expect("client");

    let (captured, guard) = Captured::at(tracing::Level::DEBUG);
    let response = client
        .call("DescribeZones", json!({"Limit": 1}))
        .await
        .expect("second attempt succeeds");
    drop(guard);

    let logs = captured.text();
    println!("{logs}");
    let request_id = response["RequestId"].as_str().expect("request id");
    assert!(
        logs.contains("call{service=\"teo\" action=\"DescribeZones\"}:attempt{n=1"),
        "{logs}"
    );
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        logs.contains(&format!("attempt{{n=2 request_id=\"{request_id}\"}}")),
        "{logs}"
    );
    assert!(logs.contains("latency_ms"), "{logs}");
    for secret in [KEY, TOKEN, "Authorization", "Signature=", "TC3-HMAC-SHA256"] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
    mock.shutdown().await;
}
