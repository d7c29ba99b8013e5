//! Every call runs in a `teo` span naming the action, the attempt and the request id, and no
//! secret reaches the logs: not the SecretKey, not the session token, not the Authorization
//! header or its signature.

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use support::Client;
use tc_runtime::{Credentials, RetryPolicy};
use teo_mock::faults::{Fault, FaultPlan};
use teo_mock::{Credential, MockConfig, MockServer};

/// A `tracing_subscriber` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn calls_are_traced_without_secrets() {
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

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let response = client
        .call("DescribeZones", json!({"Limit": 1}))
        .await
        .expect("second attempt succeeds");
    drop(_guard);

    let logs =
        String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("UTF-8 logs");
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
