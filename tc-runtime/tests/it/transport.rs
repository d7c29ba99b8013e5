//! The real client against a real HTTP server on 127.0.0.1.
//!
//! The server checks every request the way the EdgeOne endpoint does: it recomputes the TC3
//! signature from the request as received (Host and Content-Type verbatim, X-TC-Timestamp,
//! the exact body bytes) for the credentials it knows and answers `AuthFailure.*` in the
//! `{"Response": …}` envelope when it does not match. Only a correctly signed request reaches
//! the test's handler.
//!
//! The client is the runtime's, wrapped the way teo-client's generated client wraps it (`send`
//! for a typed method, `call` with the action's table entry from teo-models), so these tests see
//! what the calls of every generated service go through.

use crate::support;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use support::Client;
use tc_runtime::clock::ManualClock;
use tc_runtime::signing::{sign, SigningInput};
use tc_runtime::{Credentials, Error, ErrorKind, Language, RetryPolicy};
use tc_test_support::{Answer, Captured, Request, TestServer};
use teo_models::{DateTime, DownloadL4LogsRequest};
use time::macros::datetime;
use time::OffsetDateTime;

const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY";
/// The credentials the server knows: SecretId -> SecretKey.
const KNOWN_KEYS: &[(&str, &str)] = &[(SECRET_ID, SECRET_KEY)];

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// One request as the server received it, with the `RequestId` the server gave it.
#[derive(Debug, Clone)]
struct Recorded {
    request: Request,
    request_id: String,
}

impl std::ops::Deref for Recorded {
    type Target = Request;
    fn deref(&self) -> &Request {
        &self.request
    }
}

impl Recorded {
    fn body_json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the handler answers with.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    /// More response headers.
    headers: Vec<(&'static str, String)>,
    /// No answer at all (the client times out).
    silent: bool,
    /// Answers held until that many requests have arrived.
    held: Option<usize>,
}

impl Reply {
    /// HTTP 200 with a JSON body, as the API always answers.
    fn json(body: Value) -> Reply {
        Reply::raw(200, "application/json", body.to_string())
    }

    fn raw(status: u16, content_type: &'static str, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
            silent: false,
            held: None,
        }
    }

    fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// Never answered.
    fn silent(mut self) -> Reply {
        self.silent = true;
        self
    }

    fn held_until(mut self, requests: usize) -> Reply {
        self.held = Some(requests);
        self
    }

    /// `Response.Error`, as the API reports every failure (with HTTP 200).
    fn api_error(code: &str, message: &str, request_id: &str) -> Reply {
        Reply::json(json!({
            "Response": {
                "Error": { "Code": code, "Message": message },
                "RequestId": request_id,
            }
        }))
    }

    fn into_answer(self) -> Answer {
        if self.silent {
            return Answer::silent();
        }
        let mut answer = Answer::status(self.status)
            .header("Content-Type", self.content_type)
            .body(self.body);
        for (name, value) in self.headers {
            answer = answer.header(name, value);
        }
        match self.held {
            Some(requests) => answer.held_until(requests),
            None => answer,
        }
    }
}

struct Server {
    /// `http://127.0.0.1:PORT`, the base URL to use as the client's endpoint.
    url: String,
    server: TestServer,
    /// Numbers this server's request ids.
    serial: u64,
}

impl Server {
    /// Every request received, in order.
    fn received(&self) -> Vec<Recorded> {
        self.server
            .requests()
            .into_iter()
            .map(|request| Recorded {
                request_id: request_id(self.serial, request.index),
                request,
            })
            .collect()
    }

    /// The one request the server received.
    fn only_request(&self) -> Recorded {
        let received = self.received();
        assert_eq!(received.len(), 1, "expected exactly one request");
        received.into_iter().next().unwrap()
    }
}

/// Starts a server on 127.0.0.1:0 that records every request, checks its signature like the
/// real endpoint, and passes correctly signed ones to `handler`.
async fn start_server(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Server {
    serve_on("127.0.0.1:0", handler).unwrap()
}

/// [`start_server`] on an address of the caller's choosing.
fn serve_on(
    addr: &str,
    handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> std::io::Result<Server> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    let server = TestServer::bind(addr, move |request| {
        let request = Recorded {
            request_id: request_id(serial, request.index),
            request: request.clone(),
        };
        let reply = match check_signature(&request) {
            Ok(()) => handler(&request),
            Err((code, message)) => Reply::api_error(code, &message, &request.request_id),
        };
        reply.into_answer()
    })?;
    Ok(Server {
        url: server.url().to_owned(),
        server,
        serial,
    })
}

/// The `RequestId` of request `index` of server `serial`: unique in the process.
fn request_id(serial: u64, index: usize) -> String {
    format!(
        "5e1c7f2a-{:04x}-4b6e-9a1d-{serial:06x}{index:06x}",
        std::process::id() & 0xffff
    )
}

/// The endpoint's TC3 check, on the request as received.
fn check_signature(request: &Recorded) -> Result<(), (&'static str, String)> {
    let failure = |message: String| ("AuthFailure.SignatureFailure", message);
    let header = |name: &str| {
        request
            .header(name)
            .ok_or_else(|| failure(format!("missing header {name}")))
    };
    let authorization = header("Authorization")?;
    let host = header("Host")?;
    let content_type = header("Content-Type")?;
    let timestamp: i64 = header("X-TC-Timestamp")?
        .parse()
        .map_err(|_| failure("X-TC-Timestamp is not an integer".into()))?;
    header("X-TC-Action")?;
    header("X-TC-Version")?;

    // TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=…, Signature=…
    let credential = authorization
        .strip_prefix("TC3-HMAC-SHA256 Credential=")
        .and_then(|rest| rest.split(',').next())
        .ok_or_else(|| failure(format!("malformed Authorization {authorization:?}")))?;
    let [secret_id, date, service, "tc3_request"] = credential.split('/').collect::<Vec<_>>()[..]
    else {
        return Err(failure(format!(
            "malformed credential scope {credential:?}"
        )));
    };
    let Some(&(_, secret_key)) = KNOWN_KEYS.iter().find(|(id, _)| *id == secret_id) else {
        return Err((
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.".into(),
        ));
    };
    if service != "teo" {
        return Err(failure(format!(
            "service {service:?} in the credential scope"
        )));
    }
    let utc_date = OffsetDateTime::from_unix_timestamp(timestamp)
        .map_err(|_| failure("timestamp out of range".into()))?
        .date();
    if date != utc_date.to_string() {
        return Err(failure(format!(
            "credential date {date} is not the UTC date {utc_date} of the timestamp"
        )));
    }

    let expected = sign(
        secret_id,
        secret_key,
        &SigningInput {
            service: "teo",
            method: request.method.as_str(),
            host,
            content_type,
            // TC3: the canonical query string of a POST is always empty.
            query: if request.method == "POST" {
                ""
            } else {
                request.query().unwrap_or("")
            },
            payload: &request.body,
            unsigned_payload: request.header("X-TC-Content-SHA256") == Some("UNSIGNED-PAYLOAD"),
            timestamp,
        },
    )
    .map_err(|e| failure(e.to_string()))?;
    if expected.authorization() != authorization {
        return Err(failure(
            "The provided credentials could not be validated. \
             Please check your signature is correct."
                .into(),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A client for this test server. Retries are off: these tests look at how one answer is read
/// (retrying is tested against teo-mock's fault injection in `tests/it/retries.rs`).
fn client(server: &Server, credentials: Credentials) -> Client {
    Client::builder(credentials)
        .endpoint(&server.url)
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn good_credentials() -> Credentials {
    Credentials::new(SECRET_ID, SECRET_KEY)
}

fn l4_request() -> DownloadL4LogsRequest {
    DownloadL4LogsRequest::new(
        DateTime::parse("2024-05-01T00:00:00+08:00").unwrap(),
        DateTime::parse("2024-05-01T06:00:00+08:00").unwrap(),
    )
    .zone_ids(["zone-2o3h21ed8bpu"])
    .limit(300)
}

const L4_BODY: &str = r#"{"StartTime":"2024-05-01T00:00:00+08:00","EndTime":"2024-05-01T06:00:00+08:00","ZoneIds":["zone-2o3h21ed8bpu"],"Limit":300}"#;
const LOG_URL: &str = "https://log-download.edgeone.example/l4/sid-2gsmqb1ksp0u/20240501/\
                       sid-2gsmqb1ksp0u-20240501T0000-20240501T0100.gz?sign=1714521600-abc";

/// A realistic `DownloadL4Logs` answer.
fn l4_response(request: &Recorded) -> Reply {
    Reply::json(json!({
        "Response": {
            "TotalCount": 1,
            "Data": [{
                "ProxyId": "sid-2gsmqb1ksp0u",
                "Area": "overseas",
                "LogPacketName": "sid-2gsmqb1ksp0u-20240501T0000-20240501T0100",
                "Url": LOG_URL,
                "LogTime": null,
                "LogStartTime": "2024-05-01T00:00:00+08:00",
                "LogEndTime": "2024-05-01T01:00:00+08:00",
                "Size": 10254
            }],
            "RequestId": request.request_id,
        }
    }))
}

/// The `Error::Api` in `result`, or a panic saying what it was instead.
fn api_error<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    match result {
        Err(e) if e.kind() == ErrorKind::Api => e,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_l4_logs_end_to_end() {
    let server = start_server(l4_response).await;
    let response = client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await
        .expect("signed call succeeds");

    let request = server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path(), "/");
    assert_eq!(request.query(), None);
    let port = server.url.rsplit(':').next().unwrap();
    assert_eq!(request.header("Host"), Some(&*format!("127.0.0.1:{port}")));
    let hosts = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Host"));
    assert_eq!(hosts.count(), 1);
    assert_eq!(request.header("X-TC-Action"), Some("DownloadL4Logs"));
    assert_eq!(request.header("X-TC-Version"), Some("2022-09-01"));
    assert_eq!(request.header("X-TC-Language"), Some("en-US"));
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    let request_client = request.header("X-TC-RequestClient").unwrap();
    assert!(
        request_client.starts_with("SDK_RUST_TEO_"),
        "{request_client}"
    );
    let timestamp: i64 = request.header("X-TC-Timestamp").unwrap().parse().unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now - timestamp).abs() < 60,
        "timestamp {timestamp}, now {now}"
    );
    let authorization = request.header("Authorization").unwrap();
    assert!(
        authorization.starts_with(&format!("TC3-HMAC-SHA256 Credential={SECRET_ID}/")),
        "{authorization}"
    );
    assert!(authorization.contains("/teo/tc3_request, SignedHeaders=content-type;host, "));
    // No optional headers without a token or region.
    assert_eq!(request.header("X-TC-Token"), None);
    assert_eq!(request.header("X-TC-Region"), None);
    // The body is exactly the members that were set: no nulls, no ProxyIds/Offset.
    assert_eq!(std::str::from_utf8(&request.body).unwrap(), L4_BODY);
    assert_eq!(
        request.body_json(),
        json!({
            "StartTime": "2024-05-01T00:00:00+08:00",
            "EndTime": "2024-05-01T06:00:00+08:00",
            "ZoneIds": ["zone-2o3h21ed8bpu"],
            "Limit": 300
        })
    );

    assert_eq!(response.total_count, 1);
    assert_eq!(response.data.len(), 1);
    let log = &response.data[0];
    assert_eq!(log.size, 10254);
    assert_eq!(log.url, LOG_URL);
    assert_eq!(log.proxy_id, "sid-2gsmqb1ksp0u");
    assert_eq!(log.area, "overseas");
    assert_eq!(
        log.log_packet_name,
        "sid-2gsmqb1ksp0u-20240501T0000-20240501T0100"
    );
    assert_eq!(log.log_time, 0, "null reads as the default");
    assert_eq!(
        log.log_start_time.instant(),
        Some(datetime!(2024-04-30 16:00:00 UTC))
    );
    assert_eq!(log.log_start_time.as_str(), "2024-05-01T00:00:00+08:00");
    assert_eq!(
        log.log_end_time.instant(),
        Some(datetime!(2024-05-01 01:00:00 +08:00))
    );
    assert_eq!(response.request_id, request.request_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_the_client_and_every_call_is_signed_afresh() {
    let server = start_server(l4_response).await;
    let first = client(&server, good_credentials());
    let second = first.clone();
    let (a, b) = tokio::join!(
        first.download_l4_logs(l4_request()),
        second.download_l4_logs(l4_request().offset(300)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_ne!(a.request_id, b.request_id);
    let mut offsets: Vec<_> = received
        .iter()
        .map(|r| r.body_json().get("Offset").cloned())
        .collect();
    offsets.sort_by_key(|o| o.is_some());
    assert_eq!(offsets, [None, Some(json!(300))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_key_is_signature_failure() {
    let server = start_server(l4_response).await;
    let result = client(&server, Credentials::new(SECRET_ID, "not-the-right-key"))
        .download_l4_logs(l4_request())
        .await;
    let error = api_error(result);
    let request = server.only_request();
    assert_eq!(error.code(), Some("AuthFailure.SignatureFailure"));
    assert_eq!(error.request_id(), Some(request.request_id.as_str()));
    assert_eq!(error.action(), Some("DownloadL4Logs"));
    let message = error.message().unwrap_or_default();
    assert!(message.contains("could not be validated"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_secret_id_is_secret_id_not_found() {
    let server = start_server(l4_response).await;
    let result = client(&server, Credentials::new("AKIDunknown", SECRET_KEY))
        .download_l4_logs(l4_request())
        .await;
    let error = api_error(result);
    assert_eq!(error.code(), Some("AuthFailure.SecretIdNotFound"));
    assert_eq!(
        error.request_id(),
        Some(server.only_request().request_id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_region_and_language_headers() {
    let server = start_server(l4_response).await;
    let client = Client::builder(good_credentials().with_token("tok"))
        .endpoint(&server.url)
        .region("ap-singapore")
        .language(Language::ZhCn)
        .build()
        .unwrap();
    client
        .download_l4_logs(l4_request())
        .await
        .expect("signature still valid with token and region");
    let request = server.only_request();
    assert_eq!(request.header("X-TC-Token"), Some("tok"));
    assert_eq!(request.header("X-TC-Region"), Some("ap-singapore"));
    assert_eq!(request.header("X-TC-Language"), Some("zh-CN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_error_in_envelope() {
    const MESSAGE: &str = "The parameter `ZoneIds` is invalid: zone-2o3h21ed8bpu does not exist.";
    let server =
        start_server(|request| Reply::api_error("InvalidParameter", MESSAGE, &request.request_id))
            .await;
    let result = client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await;
    let error = api_error(result);
    let request_id = server.only_request().request_id;
    assert_eq!(error.action(), Some("DownloadL4Logs"));
    assert_eq!(error.message(), Some(MESSAGE));
    assert_eq!(error.code(), Some("InvalidParameter"));
    assert_eq!(error.request_id(), Some(request_id.as_str()));
    let display = error.to_string();
    assert!(display.contains("InvalidParameter"), "{display}");
    assert!(display.contains(&request_id), "{display}");
    assert!(display.contains("DownloadL4Logs"), "{display}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_error_with_non_200_status_is_still_the_api_error() {
    let server = start_server(|request| {
        let mut reply = Reply::api_error(
            "InternalError",
            "An internal error occurred.",
            &request.request_id,
        );
        reply.status = 500;
        reply
    })
    .await;
    let error = api_error(
        client(&server, good_credentials())
            .download_l4_logs(l4_request())
            .await,
    );
    assert_eq!(error.code(), Some("InternalError"));
    assert_eq!(
        error.request_id(),
        Some(server.only_request().request_id.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_html_502_is_http_status() {
    const PAGE: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
                        <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
                        </body>\r\n</html>\r\n";
    let server = start_server(|_| Reply::raw(502, "text/html", PAGE)).await;
    let result = client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await;
    match result {
        Err(error) if error.kind() == ErrorKind::HttpStatus => {
            assert_eq!(error.action(), Some("DownloadL4Logs"));
            assert_eq!(error.http_status(), Some(502));
            let body = error.body().expect("a body summary");
            assert_eq!(body.len(), PAGE.len());
            assert_eq!(body.content_type(), Some("text/html"));
            // Not JSON: its first characters say what answered.
            assert!(body.text().unwrap().contains("502 Bad Gateway"), "{body}");
        }
        other => panic!("expected Error::HttpStatus, got {other:?}"),
    }
    assert_eq!(server.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_error_page_snippet_is_truncated() {
    let page = format!("<html><body>{}</body></html>", "x".repeat(10_000));
    let server = start_server(move |_| Reply::raw(503, "text/html", page.clone())).await;
    match client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await
    {
        Err(error) if error.kind() == ErrorKind::HttpStatus => {
            let body = error.body().expect("a body summary");
            assert_eq!(error.http_status(), Some(503));
            assert_eq!(body.len(), 10_026);
            let text = body.text().expect("text of a non-JSON page");
            assert!(text.starts_with("<html><body>xxx"), "{text}");
            assert_eq!(text.chars().count(), 65, "64 characters and …: {text}");
            assert!(text.ends_with('…'), "{text}");
            assert!(error.to_string().len() < 200, "{error}");
        }
        other => panic!("expected Error::HttpStatus, got {other:?}"),
    }
}

/// Bodies that may hold secrets never reach an error: a JSON answer (here a truncated STS-like
/// answer, an error status with a JSON body that is no error envelope, and a 200 whose member
/// has the wrong type) is described by its length and content type only, and serde's message
/// keeps the member's name but not the value it would quote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_bodies_with_secrets_are_not_quoted_in_errors() {
    const SECRET: &str = "TOPSECRET-tmp-key-7f3a";
    let cases: Vec<(u16, &'static str, String, ErrorKind)> = vec![
        (
            200,
            "application/json",
            format!(r#"{{"Response":{{"Credentials":{{"TmpSecretKey":"{SECRET}","Tok"#),
            ErrorKind::Decode,
        ),
        (
            502,
            "text/plain",
            format!(r#"{{"TmpSecretKey":"{SECRET}"}}"#),
            ErrorKind::HttpStatus,
        ),
        (
            200,
            "application/json",
            format!(r#"{{"Response":{{"TotalCount":"{SECRET}","RequestId":"r"}}}}"#),
            ErrorKind::Decode,
        ),
    ];
    for (status, content_type, body, kind) in cases {
        let len = body.len();
        let server = start_server(move |_| Reply::raw(status, content_type, body.clone())).await;
        let error = client(&server, good_credentials())
            .with_retry(RetryPolicy::disabled())
            .download_l4_logs(l4_request())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
        let mut texts = vec![error.to_string(), format!("{error:?}")];
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            texts.push(cause.to_string());
            source = cause.source();
        }
        for text in &texts {
            assert!(!text.contains(SECRET), "{text}");
        }
        let summary = error.body().expect("a body summary");
        // A typed response that does not decode is described by its `Response` member.
        assert!(!summary.is_empty() && summary.len() <= len, "{summary}");
        assert_eq!(summary.text(), None, "JSON is never quoted");
        assert!(texts[0].contains("content not shown"), "{}", texts[0]);
        if texts[0].contains("TotalCount") {
            // The member is named; its value is not.
            assert!(texts[0].contains("string \"…\""), "{}", texts[0]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_200_is_decode_error() {
    for body in [
        "this is not JSON",
        r#"{"Data":[],"RequestId":"x"}"#,
        r#"{"Response":{"TotalCount":"many","RequestId":"x"}}"#,
    ] {
        let server = start_server(move |_| Reply::raw(200, "application/json", body)).await;
        let result = client(&server, good_credentials())
            .download_l4_logs(l4_request())
            .await;
        match &result {
            Err(error) if error.kind() == ErrorKind::Decode => {
                assert_eq!(error.action(), Some("DownloadL4Logs"), "body {body}");
                assert!(error.to_string().contains("DownloadL4Logs"), "{error}");
            }
            other => panic!("body {body}: expected Error::Decode, got {other:?}"),
        }
        assert_eq!(server.received().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_by_name_returns_response_json() {
    let server = start_server(l4_response).await;
    let value = client(&server, good_credentials())
        .call(
            "DownloadL4Logs",
            json!({
                "StartTime": "2024-05-01T00:00:00+08:00",
                "EndTime": "2024-05-01T06:00:00+08:00",
                "ZoneIds": ["zone-2o3h21ed8bpu"],
                "Limit": 300,
            }),
        )
        .await
        .expect("call succeeds");
    let request = server.only_request();
    assert_eq!(request.header("X-TC-Action"), Some("DownloadL4Logs"));
    assert_eq!(std::str::from_utf8(&request.body).unwrap(), L4_BODY);
    assert_eq!(value["TotalCount"], json!(1));
    assert_eq!(value["Data"][0]["Size"], json!(10254));
    assert_eq!(value["Data"][0]["Url"], json!(LOG_URL));
    assert_eq!(value["RequestId"], json!(request.request_id));
    assert!(value.get("Response").is_none(), "the envelope is unwrapped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_rejects_bad_requests_before_sending() {
    let server = start_server(l4_response).await;
    let client = client(&server, good_credentials());

    let missing = client
        .call(
            "DownloadL4Logs",
            json!({ "EndTime": "2024-05-01T06:00:00+08:00", "Limit": 1 }),
        )
        .await;
    match &missing {
        Err(error) if error.kind() == ErrorKind::InvalidRequest => {
            assert_eq!(error.action(), Some("DownloadL4Logs"));
            let source = std::error::Error::source(error).expect("the JSON error");
            assert!(source.to_string().contains("StartTime"), "{source}");
            assert!(error.to_string().contains("StartTime"), "{error}");
        }
        other => panic!("expected Error::InvalidRequest, got {other:?}"),
    }

    let unknown_member = client
        .call(
            "DownloadL4Logs",
            json!({
                "StartTime": "2024-05-01T00:00:00+08:00",
                "EndTime": "2024-05-01T06:00:00+08:00",
                "Limt": 1,
            }),
        )
        .await;
    match &unknown_member {
        Err(error) if error.kind() == ErrorKind::InvalidRequest => {
            assert_eq!(error.action(), Some("DownloadL4Logs"));
            assert!(error.to_string().contains("Limt"), "{error}");
        }
        other => panic!("expected Error::InvalidRequest, got {other:?}"),
    }

    let unknown_action = client.call("NoSuchAction", json!({})).await;
    match &unknown_action {
        Err(error) if error.kind() == ErrorKind::UnknownAction => {
            assert_eq!(error.action(), Some("NoSuchAction"));
            assert!(error.to_string().contains("NoSuchAction"), "{error}");
        }
        other => panic!("expected Error::UnknownAction, got {other:?}"),
    }

    assert!(
        server.received().is_empty(),
        "nothing may be sent for a rejected request: {:?}",
        server.received()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_wrong_type_names_the_member() {
    let server = start_server(l4_response).await;
    let result = client(&server, good_credentials())
        .call(
            "DownloadL4Logs",
            json!({
                "StartTime": "2024-05-01T00:00:00+08:00",
                "EndTime": "2024-05-01T06:00:00+08:00",
                "Limit": "300",
            }),
        )
        .await;
    match &result {
        Err(error) if error.kind() == ErrorKind::InvalidRequest => {
            assert!(error.to_string().contains("Limit"), "{error}")
        }
        other => panic!("expected Error::InvalidRequest, got {other:?}"),
    }
    assert!(server.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_do_not_leak() {
    let server = start_server(l4_response).await;
    let credentials = good_credentials().with_token("tok-9f2c1e7d-session-token");
    let good = client(&server, credentials.clone());
    for text in [format!("{good:?}"), format!("{credentials:?}")] {
        assert!(!text.contains(SECRET_KEY), "{text}");
        assert!(!text.contains("tok-9f2c1e7d-session-token"), "{text}");
        assert!(text.contains(SECRET_ID), "the SecretId is public: {text}");
    }

    good.download_l4_logs(l4_request()).await.unwrap();
    // The key is never on the wire; the token only in X-TC-Token.
    let request = server.only_request();
    for (name, value) in &request.headers {
        assert!(!value.contains(SECRET_KEY), "{name}: {value}");
        if name != "x-tc-token" {
            assert!(!value.contains("tok-9f2c1e7d"), "{name}: {value}");
        }
    }
    assert!(!String::from_utf8_lossy(&request.body).contains(SECRET_KEY));

    let wrong_key = "wrong-secret-key-0123456789abcdef";
    let error = api_error(
        client(
            &server,
            Credentials::new(SECRET_ID, wrong_key).with_token("tok-2"),
        )
        .download_l4_logs(l4_request())
        .await,
    );
    assert_eq!(error.code(), Some("AuthFailure.SignatureFailure"));
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(wrong_key), "{text}");
        assert!(!text.contains(SECRET_KEY), "{text}");
        assert!(!text.contains("tok-2"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(good_credentials())
        .endpoint(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    match client.download_l4_logs(l4_request()).await {
        Err(error) if error.kind() == ErrorKind::Transport => {
            assert_eq!(error.action(), Some("DownloadL4Logs"));
            // reqwest stays out of the API: its error is only the source.
            let source = std::error::Error::source(&error).expect("the transport error");
            let source = source
                .downcast_ref::<reqwest::Error>()
                .expect("a reqwest error");
            assert!(source.is_connect(), "{source:?}");
            assert!(error.to_string().contains("DownloadL4Logs"), "{error}");
            assert!(!format!("{error:?}").contains(SECRET_KEY));
        }
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_is_a_timeout_error() {
    let server = start_server(|request| l4_response(request).silent()).await;
    let client = Client::builder(good_credentials())
        .endpoint(&server.url)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    match client.download_l4_logs(l4_request()).await {
        Err(error) if error.is_timeout() => {
            assert_eq!(error.action(), Some("DownloadL4Logs"));
            assert_eq!(error.timeout(), Some(Duration::from_millis(300)));
        }
        other => panic!("expected Error::Timeout, got {other:?}"),
    }
}

#[test]
fn builder_rejects_bad_endpoints() {
    for endpoint in [
        "not a url",
        "ftp://x",
        "",
        "http://",
        "mailto:ops@example.com",
    ] {
        match Client::builder(good_credentials())
            .endpoint(endpoint)
            .build()
        {
            Err(error) if error.kind() == ErrorKind::Config => {
                assert!(
                    error.to_string().starts_with("invalid configuration"),
                    "{error}"
                );
                assert!(!format!("{error:?}").contains(SECRET_KEY));
            }
            other => panic!("endpoint {endpoint:?}: expected Error::Config, got {other:?}"),
        }
    }
    for endpoint in [
        "http://127.0.0.1:8080",
        "https://teo.intl.tencentcloudapi.com",
    ] {
        assert!(
            Client::builder(good_credentials())
                .endpoint(endpoint)
                .build()
                .is_ok(),
            "{endpoint}"
        );
    }
}

/// The server's check is not vacuous: a correctly signed request passes, and the same request
/// with another body, signed for another Host or with another credential date fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_server_rejects_tampered_requests() {
    let server = start_server(l4_response).await;
    let host = server.url.trim_start_matches("http://").to_owned();
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let authorization = |signed_host: &str, signed_body: &str| {
        let input = SigningInput {
            service: "teo",
            method: "POST",
            host: signed_host,
            content_type: "application/json",
            query: "",
            payload: signed_body.as_bytes(),
            unsigned_payload: false,
            timestamp,
        };
        let signature = sign(SECRET_ID, SECRET_KEY, &input).unwrap();
        signature.authorization().to_owned()
    };
    let http = reqwest::Client::new();
    let post = |authorization: String, body: &'static str| {
        let request = http
            .post(&server.url)
            .header("Host", &host)
            .header("Content-Type", "application/json")
            .header("Authorization", authorization)
            .header("X-TC-Action", "DownloadL4Logs")
            .header("X-TC-Version", "2022-09-01")
            .header("X-TC-Timestamp", timestamp.to_string())
            .body(body);
        async move {
            let bytes = request.send().await.unwrap().bytes().await.unwrap();
            let response: Value = serde_json::from_slice(&bytes).unwrap();
            response["Response"].clone()
        }
    };

    let good = post(authorization(&host, L4_BODY), L4_BODY).await;
    assert_eq!(good.get("Error"), None, "{good}");
    assert_eq!(good["TotalCount"], json!(1));

    const OTHER_BODY: &str =
        r#"{"StartTime":"2024-05-01T00:00:00+08:00","EndTime":"2024-05-02T00:00:00+08:00"}"#;
    let other_body = post(authorization(&host, L4_BODY), OTHER_BODY).await;
    assert_eq!(
        other_body["Error"]["Code"],
        json!("AuthFailure.SignatureFailure")
    );

    let other_host = post(
        authorization("teo.intl.tencentcloudapi.com", L4_BODY),
        L4_BODY,
    )
    .await;
    assert_eq!(
        other_host["Error"]["Code"],
        json!("AuthFailure.SignatureFailure")
    );

    let date = OffsetDateTime::from_unix_timestamp(timestamp)
        .unwrap()
        .date();
    let other_date =
        authorization(&host, L4_BODY).replacen(&format!("/{date}/"), "/1999-01-01/", 1);
    let other_date = post(other_date, L4_BODY).await;
    assert_eq!(
        other_date["Error"]["Code"],
        json!("AuthFailure.SignatureFailure")
    );
    let message = other_date["Error"]["Message"].as_str().unwrap();
    assert!(message.contains("UTC date"), "{message}");

    assert_eq!(server.received().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_endpoint() {
    let server = match serve_on("[::1]:0", l4_response) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("skipped: no IPv6 loopback ({e})");
            return;
        }
    };
    assert!(server.url.starts_with("http://[::1]:"), "{}", server.url);
    let response = client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await
        .expect("the bracketed Host is signed as sent");
    let request = server.only_request();
    assert_eq!(
        request.header("Host"),
        Some(server.url.trim_start_matches("http://"))
    );
    assert_eq!(response.request_id, request.request_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsendable_region_or_token_is_config_error_and_nothing_is_sent() {
    let server = start_server(l4_response).await;
    let bad_region = Client::builder(good_credentials())
        .endpoint(&server.url)
        .region("ap-singapore\r\nX-Injected: 1")
        .build();
    match bad_region {
        Err(error) if error.kind() == ErrorKind::Config => {
            assert!(error.to_string().contains("region"), "{error}")
        }
        other => panic!("expected Error::Config at build time, got {other:?}"),
    }
    let bad_token = Client::builder(good_credentials().with_token("tok-secret\nX-Injected: 1"))
        .endpoint(&server.url)
        .build()
        .expect("build does not look at the token");
    match bad_token.download_l4_logs(l4_request()).await {
        Err(error) if error.kind() == ErrorKind::Config => {
            assert!(error.to_string().contains("session token"), "{error}");
            assert!(
                !format!("{error} {error:?}").contains("tok-secret"),
                "{error:?}"
            );
        }
        other => panic!("expected Error::Config, got {other:?}"),
    }
    assert!(server.received().is_empty());
}

/// The API never redirects. Following one re-sends the request (body and `X-TC-Token`
/// included, with the first server's `Host`) to wherever `Location` points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let elsewhere = start_server(l4_response).await;
    let location = format!("{}/", elsewhere.url);
    let server = start_server(move |_| {
        Reply::raw(307, "text/html", "<html>moved</html>").with_header("location", location.clone())
    })
    .await;
    let client = client(&server, good_credentials().with_token("tok-must-stay-home"));
    let result = client.download_l4_logs(l4_request()).await;
    assert_eq!(server.received().len(), 1);
    let leaked: Vec<_> = elsewhere
        .received()
        .iter()
        .filter_map(|r| r.header("X-TC-Token").map(str::to_owned))
        .collect();
    assert!(
        elsewhere.received().is_empty(),
        "the request was re-sent elsewhere (X-TC-Token values there: {leaked:?})"
    );
    match result {
        Err(error) if error.kind() == ErrorKind::HttpStatus => {
            assert_eq!(error.http_status(), Some(307))
        }
        other => panic!("expected Error::HttpStatus, got {other:?}"),
    }
}

/// `Error::HttpStatus` is documented as "an HTTP status other than 200 and no API error
/// envelope"; a `Response` that is not an object is no API error envelope either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_200_without_error_object_is_http_status() {
    let server =
        start_server(|_| Reply::raw(500, "application/json", r#"{"Response":"oops"}"#)).await;
    match client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await
    {
        Err(error) if error.kind() == ErrorKind::HttpStatus => {
            let body = error.body().expect("a body summary");
            assert_eq!(error.http_status(), Some(500));
            assert_eq!(body.len(), r#"{"Response":"oops"}"#.len());
            // JSON: described, not quoted.
            assert_eq!(body.text(), None);
        }
        other => panic!("expected Error::HttpStatus, got {other:?}"),
    }
}

/// `call` checks a request against the typed request, but a `DateTime` member accepts any
/// string or number there (the tolerant reading meant for responses): a number is even sent as
/// a string.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_rejects_non_rfc3339_date_times() {
    let server = start_server(l4_response).await;
    let client = client(&server, good_credentials());
    for (start, end) in [
        (json!(1714492800), json!("2024-05-01T06:00:00+08:00")),
        (json!("2024-05-01T00:00:00+08:00"), json!("yesterday")),
    ] {
        let result = client
            .call(
                "DownloadL4Logs",
                json!({ "StartTime": start, "EndTime": end }),
            )
            .await;
        assert!(
            matches!(&result, Err(e) if e.kind() == ErrorKind::InvalidRequest),
            "StartTime {start}, EndTime {end}: expected Error::InvalidRequest, got {result:?}"
        );
    }
    assert!(server.received().is_empty(), "{:?}", server.received());
}

/// An endpoint with user info is unusual, but its password must not show in `Debug`, nor in the
/// error of an endpoint that does not even parse (a bad port), nor a query (a signed URL).
#[test]
fn endpoint_password_does_not_leak() {
    let result = Client::builder(good_credentials())
        .endpoint("http://user:hunter2@127.0.0.1:8080")
        .build();
    assert!(!format!("{result:?}").contains("hunter2"), "{result:?}");

    for endpoint in [
        "http://user:hunter2@127.0.0.1:notaport",
        "http://user:hunter2@127.0.0.1:8080",
        "user:hunter2@127.0.0.1",
        "ftp://127.0.0.1/?Signature=hunter2",
        "http://127.0.0.1:99999/?token=hunter2",
    ] {
        let builder = Client::builder(good_credentials()).endpoint(endpoint);
        assert!(!format!("{builder:?}").contains("hunter2"), "{builder:?}");
        let error = builder.build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{endpoint}");
        let text = format!("{error} {error:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("127.0.0.1"),
            "the host is still named: {text}"
        );
    }
}

/// The hook point: a hook adds a header to every attempt (after signing, so the signature still
/// verifies) and counts attempts with their outcomes — here a read that fails once with
/// `InternalError` and is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_add_headers_and_observe_every_attempt() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tc_runtime::hooks::{Attempt, HeaderMap, HeaderValue, Hook};

    #[derive(Default)]
    struct Counter {
        attempts: AtomicUsize,
        failed: std::sync::Mutex<Vec<String>>,
    }
    struct Counting(Arc<Counter>);
    impl Hook for Counting {
        fn before_send(&self, service: &str, action: &str, headers: &mut HeaderMap) {
            assert_eq!((service, action), ("teo", "DownloadL4Logs"));
            headers.insert("X-Team", HeaderValue::from_static("edge-platform"));
        }
        fn after_attempt(&self, attempt: &Attempt<'_>) {
            self.0.attempts.fetch_add(1, Ordering::SeqCst);
            if let Some(error) = attempt.error {
                let code = error.code().unwrap_or_default().to_owned();
                self.0.failed.lock().unwrap().push(code);
            }
        }
    }

    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = start_server(move |request| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::api_error("InternalError", "try again", "req-1")
        } else {
            l4_response(request)
        }
    })
    .await;
    let counter = Arc::new(Counter::default());
    let client = Client::builder(good_credentials())
        .endpoint(&server.url)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(10)))
        .hook(Counting(counter.clone()))
        .build()
        .unwrap();
    client
        .download_l4_logs(l4_request())
        .await
        .expect("the retry succeeds");
    assert_eq!(counter.attempts.load(Ordering::SeqCst), 2);
    assert_eq!(*counter.failed.lock().unwrap(), ["InternalError"]);
    let received = server.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert_eq!(request.header("X-Team"), Some("edge-platform"));
    }
}

// ---------------------------------------------------------------------------------------------
// Oversized answers: a raw server that announces or streams more than the client will read
// ---------------------------------------------------------------------------------------------

/// How a [`RawServer`] sends its body after the head.
#[derive(Clone, Copy)]
enum Endless {
    /// `Content-Length: <n>` in the head, then body bytes until the client goes away.
    Announced(u64),
    /// `Transfer-Encoding: chunked`, 16 KiB chunks without end.
    Chunked,
}

/// A server on 127.0.0.1 that reads each request, answers 200 with a body that never ends, and
/// counts connections and the body bytes it managed to write.
fn start_raw_server(body: Endless) -> TestServer {
    let announced = match body {
        Endless::Announced(n) => Some(n),
        Endless::Chunked => None,
    };
    TestServer::responding(move |_| {
        Answer::status(200)
            .header("Content-Type", "application/json")
            .endless(announced, 16 << 10, b' ')
    })
}

/// The number in `stopped after N bytes` of a ResponseTooLarge error.
fn bytes_read_before_stopping(error: &Error) -> u64 {
    let text = error.to_string();
    let rest = text
        .split("stopped after ")
        .nth(1)
        .unwrap_or_else(|| panic!("no byte count in {text}"));
    rest.split(' ').next().unwrap().parse().unwrap()
}

/// A `Content-Length` over the limit (1 GiB against the default 16 MiB) fails before the body is
/// read, and is not retried although the action is a read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_oversized_response_fails_before_reading() {
    let server = start_raw_server(Endless::Announced(1 << 30));
    let client = Client::builder(good_credentials())
        .endpoint(server.url())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client.download_l4_logs(l4_request()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
    assert_eq!(error.response_limit(), Some(16 << 20));
    assert_eq!(
        error.response_limit(),
        Some(tc_runtime::DEFAULT_MAX_RESPONSE_SIZE)
    );
    assert_eq!(
        error.to_string(),
        "DownloadL4Logs: the response is larger than the limit of 16777216 bytes \
         (Content-Length 1073741824, not read)"
    );
    assert!(!error.is_retryable());
    assert_eq!(server.connections(), 1, "not retried");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A body without a length that never ends: reading stops once the limit is passed. Measured:
/// the bytes the client had received when it stopped (the limit plus less than one 16 KiB
/// chunk of the server's, give or take framing), and what the server could write before the
/// connection closed (the client's bytes plus what the socket buffers held).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_response_stops_at_the_limit() {
    const LIMIT: u64 = 1 << 20;
    let server = start_raw_server(Endless::Chunked);
    let client = Client::builder(good_credentials())
        .endpoint(server.url())
        .max_response_size(LIMIT)
        .build()
        .unwrap();
    let error = client.download_l4_logs(l4_request()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error}");
    assert_eq!(error.response_limit(), Some(LIMIT));
    let read = bytes_read_before_stopping(&error);
    assert!(read > LIMIT && read <= LIMIT + (16 << 10), "read {read}");
    assert_eq!(server.connections(), 1, "not retried");
    // The server is stopped by the closed connection (an endless body ends no other way).
    server.wait_for_ended_answers(1);
    let written = server.written();
    assert_eq!(server.written(), written, "the server still writes");
    assert!(written >= LIMIT, "written {written}");
    eprintln!("limit {LIMIT}: client read {read} bytes, server wrote {written} bytes");

    // The default limit, 16 MiB, stops the same stream the same way.
    let client = Client::builder(good_credentials())
        .endpoint(server.url())
        .build()
        .unwrap();
    let error = client.download_l4_logs(l4_request()).await.unwrap_err();
    let read = bytes_read_before_stopping(&error);
    assert!(
        read > 16 << 20 && read <= (16 << 20) + (16 << 10),
        "read {read}"
    );
}

/// The limit is exact: an answer of exactly the limit is read, one byte less is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_of_exactly_the_limit_is_read() {
    let body = json!({"Response": {"Data": [], "TotalCount": 0, "RequestId": "r"}}).to_string();
    let len = body.len() as u64;
    let server = start_server(move |_| Reply::raw(200, "application/json", body.clone())).await;
    let build = |limit| {
        Client::builder(good_credentials())
            .endpoint(&server.url)
            .max_response_size(limit)
            .build()
            .unwrap()
    };
    build(len).download_l4_logs(l4_request()).await.unwrap();
    let error = build(len - 1)
        .download_l4_logs(l4_request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
    assert!(
        error
            .to_string()
            .contains(&format!("(Content-Length {len}, not read)")),
        "{error}"
    );
}

/// An answer far larger than one read of the connection arrives in many chunks and is read
/// whole (a one-chunk answer is kept as it arrived; more are joined).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_in_many_chunks_is_read_whole() {
    let packets: Vec<Value> = (0..3000)
        .map(|i| json!({"LogPacketName": format!("packet-{i:05}"), "Size": i}))
        .collect();
    let body = json!({"Response": {"TotalCount": 3000, "Data": packets, "RequestId": "r-many"}});
    let body = body.to_string();
    assert!(body.len() > 100_000, "{} bytes", body.len());
    let server = start_server(move |_| Reply::raw(200, "application/json", body.clone())).await;
    let answer = client(&server, good_credentials())
        .download_l4_logs(l4_request())
        .await
        .unwrap();
    assert_eq!(answer.data.len(), 3000);
    let last = answer.data.last().unwrap();
    assert_eq!(
        (last.log_packet_name.as_str(), last.size),
        ("packet-02999", 2999)
    );
    assert_eq!(answer.request_id, "r-many");
}

/// The time of day of the clock-correction tests, on both sides: a [`ManualClock`] standing at
/// 2026-11-30 10:00:00 UTC, so every timestamp and `Date` is exact whatever the real time.
const CLOCK_NOW: i64 = 1_796_032_800;

fn fixed_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        std::time::UNIX_EPOCH + Duration::from_secs(CLOCK_NOW as u64),
    ))
}

/// A server whose clock runs `ahead` seconds of the client's ([`fixed_clock`]): it refuses timestamps more than
/// five minutes from its own time with `AuthFailure.SignatureExpire`, and sends its time in
/// `Date` (unless `date` is false — then its `Date` is unreadable, since hyper would otherwise
/// add one — or `date_ahead` overrides what `Date` says).
async fn skewed_server(ahead: i64, date: bool, date_ahead: Option<i64>) -> Server {
    moving_clock_server(Arc::new(AtomicI64::new(ahead)), date, date_ahead, None).await
}

/// [`skewed_server`] whose clock the test can move (`ahead` is read at each request), and whose
/// refusals wait at `held` when given.
async fn moving_clock_server(
    ahead: Arc<AtomicI64>,
    date: bool,
    date_ahead: Option<i64>,
    held: Option<usize>,
) -> Server {
    start_server(move |request| {
        let ahead = ahead.load(Ordering::SeqCst);
        let server_now = CLOCK_NOW + ahead;
        let sent: i64 = request
            .header("X-TC-Timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        if sent.abs_diff(server_now) <= 300 {
            return Reply::json(
                json!({"Response": {"TotalCount": 0, "Data": [], "RequestId": request.request_id}}),
            );
        }
        let mut reply = Reply::api_error(
            "AuthFailure.SignatureExpire",
            "The signature expired.",
            &request.request_id,
        );
        if let Some(requests) = held {
            reply = reply.held_until(requests);
        }
        if !date {
            return reply.with_header("Date", "not a date");
        }
        let shown = OffsetDateTime::from_unix_timestamp(CLOCK_NOW + date_ahead.unwrap_or(ahead))
            .expect("a time");
        let format = time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        reply.with_header("Date", shown.format(format).expect("an HTTP date"))
    })
    .await
}

/// A client of `server` that takes the `Date` of its plain-http answers for the time, as a
/// client of a local test server may; its clock is [`fixed_clock`].
fn trusting_client(server: &Server) -> Client {
    Client::builder(good_credentials())
        .endpoint(&server.url)
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .trust_plain_http_clock(true)
        .clock(fixed_clock())
        .build()
        .unwrap()
}

/// A client of `server` on [`fixed_clock`] that does not trust plain http's `Date`.
fn untrusting_client(server: &Server) -> Client {
    Client::builder(good_credentials())
        .endpoint(&server.url)
        .clock(fixed_clock())
        .build()
        .unwrap()
}

/// The `X-TC-Timestamp` of each request received, as offsets from the client's clock.
fn signed_offsets(received: &[Recorded]) -> Vec<i64> {
    received
        .iter()
        .map(|r| r.header("X-TC-Timestamp").unwrap().parse::<i64>().unwrap() - CLOCK_NOW)
        .collect()
}

/// The `offset_seconds` of each clock-correction warning in `logs`.
fn warned_offsets(logs: &str) -> Vec<i64> {
    logs.lines()
        .filter(|l| l.contains("WARN") && l.contains("signing with the server's time"))
        .map(|l| {
            let (_, rest) = l
                .split_once(" offset_seconds=")
                .expect("offset in the warning");
            rest.split_whitespace().next().unwrap().parse().unwrap()
        })
        .collect()
}

/// Ten minutes off (over plain http the client was told to trust): corrected, sent again once,
/// kept for later calls, and each change of the offset is a warning carrying it.
#[tokio::test(flavor = "current_thread")]
async fn a_skewed_clock_is_corrected_within_fifteen_minutes_and_remembered() {
    if !tc_test_support::alone(
        "transport::a_skewed_clock_is_corrected_within_fifteen_minutes_and_remembered",
    ) {
        return;
    }
    let (captured, _guard) = Captured::warnings();

    let ten_minutes = 600;
    let ahead = Arc::new(AtomicI64::new(ten_minutes));
    let server = moving_clock_server(ahead.clone(), true, None, None).await;
    let client = trusting_client(&server);
    client
        .download_l4_logs(l4_request())
        .await
        .expect("signed again with the server's time");
    assert_eq!(server.received().len(), 2, "one refused, one corrected");
    client
        .download_l4_logs(l4_request())
        .await
        .expect("later calls sign with the corrected time at once");
    let offsets = signed_offsets(&server.received());
    assert_eq!(offsets, [0, 600, 600], "{offsets:?}");
    assert_eq!(
        warned_offsets(&captured.text()),
        [600],
        "{}",
        captured.text()
    );

    // The server's clock moves to five minutes behind this machine's: corrected again, warned
    // again.
    ahead.store(-300, Ordering::SeqCst);
    client.download_l4_logs(l4_request()).await.expect("again");
    let offsets = signed_offsets(&server.received());
    assert_eq!(offsets, [0, 600, 600, 600, -300], "{offsets:?}");
    let logs = captured.text();
    assert_eq!(warned_offsets(&logs), [600, -300], "{logs}");
    assert!(logs.contains("previous_offset_seconds="), "{logs}");
}

/// Over plain http the `Date` is anybody's: without the opt-in nothing is corrected, the
/// `SignatureExpire` is returned saying so, and the next call signs with this machine's clock.
#[tokio::test(flavor = "current_thread")]
async fn plain_http_dates_correct_nothing_without_the_opt_in() {
    if !tc_test_support::alone("transport::plain_http_dates_correct_nothing_without_the_opt_in") {
        return;
    }
    let (captured, _guard) = Captured::warnings();

    let server = skewed_server(600, true, None).await;
    let client = untrusting_client(&server);
    for _ in 0..2 {
        let error = client.download_l4_logs(l4_request()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Api);
        assert_eq!(error.code(), Some("AuthFailure.SignatureExpire"));
        let message = error.to_string();
        assert!(message.contains("The signature expired."), "{message}");
        assert!(
            message.contains("not corrected") && message.contains("plain http"),
            "{message}"
        );
        assert!(
            message.contains("trust_plain_http_clock(true)"),
            "{message}"
        );
    }
    let offsets = signed_offsets(&server.received());
    assert_eq!(offsets, [0, 0], "not sent again: {offsets:?}");
    assert_eq!(captured.text(), "", "nothing corrected, nothing warned");
}

/// A `Date` further than 15 minutes away is not a correction but an error telling the user to
/// set the clock: a day of correction would be a day in which whoever answered holds requests
/// the real API accepts.
#[tokio::test]
async fn a_clock_more_than_fifteen_minutes_off_is_an_error_naming_the_clock() {
    for (ahead, words, way) in [
        (23 * 3600, "23 h 0 min", "behind"),
        (-23 * 3600, "23 h 0 min", "ahead of"),
        (16 * 60, "0 h 16 min", "behind"),
    ] {
        let server = skewed_server(ahead, true, None).await;
        let client = trusting_client(&server);
        let error = client.download_l4_logs(l4_request()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ClockSkew, "{ahead}");
        assert_eq!(error.code(), Some("AuthFailure.SignatureExpire"));
        let skew = error.clock_skew_seconds().expect("the skew");
        assert_eq!(skew, ahead);
        let message = error.to_string();
        assert!(
            message.contains(&format!("this machine's clock is {words}"))
                && message.contains(&format!("{way} the server's"))
                && message.contains("more than the 15 minutes the client corrects")
                && message.contains("set this machine's clock right"),
            "{message}"
        );
        assert!(!error.is_retryable());
        // Nothing was kept: the next call signs with this machine's clock again.
        client.download_l4_logs(l4_request()).await.unwrap_err();
        let offsets = signed_offsets(&server.received());
        assert_eq!(offsets, [0, 0], "{ahead}: {offsets:?}");
    }

    // Over plain http without the opt-in, the Date does not even speak for the clock.
    let server = skewed_server(23 * 3600, true, None).await;
    let error = untrusting_client(&server)
        .download_l4_logs(l4_request())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Api);
    assert!(error.to_string().contains("plain http"), "{error}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn signature_expiry_without_a_usable_date_is_reported_not_retried() {
    for (server, case, hint) in [
        (
            skewed_server(600, false, None).await,
            "no usable Date",
            Some("no usable Date header"),
        ),
        // The server's Date agrees with this machine: nothing to correct.
        (
            skewed_server(600, true, Some(0)).await,
            "Date within tolerance",
            None,
        ),
    ] {
        let error = trusting_client(&server)
            .download_l4_logs(l4_request())
            .await
            .expect_err(case);
        assert_eq!(error.kind(), ErrorKind::Api, "{case}");
        assert_eq!(error.code(), Some("AuthFailure.SignatureExpire"), "{case}");
        assert_eq!(server.received().len(), 1, "{case}");
        let message = error.to_string();
        match hint {
            Some(hint) => assert!(message.contains(hint), "{case}: {message}"),
            None => assert!(message.ends_with(')'), "{case}: {message}"),
        }
    }
}

/// Calls refused together, before any of them corrected the clock, are each sent again: a
/// call is resent when it was signed with another offset than the server's, whatever another
/// call stored meanwhile.
#[tokio::test]
async fn concurrent_calls_refused_together_are_all_corrected() {
    // Both refusals held until both calls have been sent.
    let both_refused = 2;
    let server = moving_clock_server(
        Arc::new(AtomicI64::new(600)),
        true,
        None,
        Some(both_refused),
    )
    .await;
    let client = trusting_client(&server);
    let (a, b) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(
            client.download_l4_logs(l4_request()),
            client.download_l4_logs(l4_request())
        )
    })
    .await
    .expect("both calls end");
    a.expect("first call corrected");
    b.expect("second call corrected");
    let offsets = signed_offsets(&server.received());
    assert_eq!(offsets, [0, 0, 600, 600], "{offsets:?}");
}
