//! The mock's error table, each error observed as the SDK's typed `Error::Api`. The client never
//! sends an unsigned, stale or wrongly versioned request, so those three are sent by hand; the
//! generic `Client::send` (which skips the typed request check) delivers invalid requests.

use serde_json::{json, Value};
use tc_sign::{sign, SigningInput};
use teo_client::{Client, Credentials, Error};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{Credential, MockConfig, MockServer};

fn client(mock: &MockServer, id: &str, key: &str) -> Client {
    Client::builder(Credentials::new(id, key))
        .endpoint(mock.url())
        .build()
        .expect("client")
}

/// The API error code of a failed call, with its message.
fn api_code(result: Result<Value, Error>) -> (String, String) {
    match result {
        Err(e) if e.code().is_some() => {
            let request_id = e.request_id().unwrap_or_default();
            assert!(!request_id.is_empty(), "every error carries a RequestId");
            let code = e.code().unwrap_or_default().to_owned();
            (code, e.message().unwrap_or_default().to_owned())
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn send(client: &Client, action: &str, body: Value) -> (String, String) {
    api_code(client.send::<Value, Value>(action, &body).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reach_the_client_typed() {
    let config = MockConfig::default()
        .body_limit(4096)
        .add_credential(Credential::new("AKIDTEMPORARY", "temp-key").with_token("session-token"));
    let mock = MockServer::start(config).await.expect("mock");
    let good = client(&mock, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY);

    let table: Vec<(&str, (String, String))> = vec![
        (
            "AuthFailure.SecretIdNotFound",
            send(
                &client(&mock, "AKIDUNKNOWN", "k"),
                "DescribeZones",
                json!({}),
            )
            .await,
        ),
        (
            "AuthFailure.SignatureFailure",
            send(
                &client(&mock, DEFAULT_SECRET_ID, "wrong"),
                "DescribeZones",
                json!({}),
            )
            .await,
        ),
        (
            "AuthFailure.TokenFailure",
            send(
                &client(&mock, "AKIDTEMPORARY", "temp-key"),
                "DescribeZones",
                json!({}),
            )
            .await,
        ),
        (
            "InvalidAction",
            send(&good, "DescribeNothing", json!({})).await,
        ),
        (
            "MissingParameter",
            send(
                &good,
                "DownloadL4Logs",
                json!({"EndTime": "2024-05-01T01:00:00+08:00"}),
            )
            .await,
        ),
        (
            "UnknownParameter",
            send(&good, "DescribeZones", json!({"Limt": 1})).await,
        ),
        (
            "InvalidParameter",
            send(&good, "DescribeZones", json!({"Limit": "ten"})).await,
        ),
        (
            "InvalidParameter",
            send(
                &good,
                "DescribeZones",
                json!({"Filters": [{"Name": "zone-name", "Values": [1]}]}),
            )
            .await,
        ),
        (
            "InvalidParameterValue",
            send(
                &good,
                "DownloadL4Logs",
                json!({"StartTime": "yesterday", "EndTime": "2024-05-01T01:00:00+08:00"}),
            )
            .await,
        ),
        (
            "RequestSizeLimitExceeded",
            send(
                &good,
                "DescribeZones",
                json!({"Filters": [{"Name": "x".repeat(5000), "Values": []}]}),
            )
            .await,
        ),
    ];
    for (expected, (code, message)) in &table {
        assert_eq!(code, expected, "{message}");
        println!("{code:<30} {message}");
    }
    // The messages name the offending parameter path.
    assert!(table[4].1 .1.contains("StartTime"));
    assert!(table[5].1 .1.contains("Limt"));
    assert!(
        table[7].1 .1.contains("Filters.0.Values.0"),
        "{}",
        table[7].1 .1
    );

    // The session token makes the temporary credential work.
    let temporary =
        Client::builder(Credentials::new("AKIDTEMPORARY", "temp-key").with_token("session-token"))
            .endpoint(mock.url())
            .build()
            .expect("client");
    temporary
        .call("DescribeZones", json!({}))
        .await
        .expect("a valid token passes");
    mock.shutdown().await;
}

/// A request signed by hand, so that its timestamp, version or Authorization can be wrong.
async fn raw(
    mock: &MockServer,
    timestamp: i64,
    version: &str,
    authorization: Option<&str>,
) -> Value {
    let host = mock.url().trim_start_matches("http://").to_owned();
    let body = b"{}";
    // Signed only when no Authorization is given: a hand-made one may carry any timestamp.
    let authorization = match authorization {
        Some(authorization) => authorization.to_owned(),
        None => sign(
            DEFAULT_SECRET_ID,
            DEFAULT_SECRET_KEY,
            &SigningInput {
                service: "teo",
                method: "POST",
                host: &host,
                content_type: "application/json",
                query: "",
                payload: body,
                unsigned_payload: false,
                timestamp,
            },
        )
        .expect("sign")
        .authorization()
        .to_owned(),
    };
    let request = reqwest::Client::new()
        .post(mock.url())
        .header("Content-Type", "application/json")
        .header("X-TC-Action", "DescribeZones")
        .header("X-TC-Version", version)
        .header("X-TC-Timestamp", timestamp.to_string())
        .header("Authorization", authorization)
        .body(body.to_vec());
    request
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON envelope")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_stale_and_misversioned_requests() {
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let code = |v: Value| {
        v["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(code(raw(&mock, now, "2022-09-01", None).await), "");
    assert_eq!(
        code(raw(&mock, now, "2022-09-01", Some("Bearer x")).await),
        "AuthFailure.InvalidAuthorization"
    );
    assert_eq!(
        code(raw(&mock, now - 301, "2022-09-01", None).await),
        "AuthFailure.SignatureExpire"
    );
    assert_eq!(
        code(raw(&mock, now, "2020-01-01", None).await),
        "NoSuchVersion"
    );
    // Timestamps at the ends of i64 are stale signatures, not arithmetic overflows.
    let forged = format!(
        "TC3-HMAC-SHA256 Credential={DEFAULT_SECRET_ID}/2024-05-01/teo/tc3_request, \
         SignedHeaders=content-type;host, Signature={}",
        "0".repeat(64)
    );
    for timestamp in [i64::MIN, i64::MAX, i64::MIN + 1] {
        assert_eq!(
            code(raw(&mock, timestamp, "2022-09-01", Some(&forged)).await),
            "AuthFailure.SignatureExpire",
            "{timestamp}"
        );
    }
    mock.shutdown().await;
}
