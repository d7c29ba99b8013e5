//! The request forms beyond JSON, sent by hand to the running mock with hostile twists the
//! official clients never produce: replayed nonces, clashing and over-deep flattened names, gaps
//! in lists, unknown nested members, a TC3 signature on a form body, broken multipart bodies,
//! bodies over the limit. Each gets the API's envelope with the code and parameter path a JSON
//! body would get; none takes the server down (the last request still succeeds).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tc_sign::{sign, SigningInput};
use teo_mock::auth::{v1_sign, v1_string_to_sign, V1Method};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A v1-signed parameter list for `action` with the request's own `members`.
fn v1(
    method: &str,
    host: &str,
    action: &str,
    members: &[(&str, &str)],
    nonce: u64,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = members
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (name, value) in [
        ("Action", action.to_owned()),
        ("Version", "2022-09-01".to_owned()),
        ("Timestamp", now().to_string()),
        ("Nonce", nonce.to_string()),
        ("SecretId", DEFAULT_SECRET_ID.to_owned()),
        ("SignatureMethod", "HmacSHA256".to_owned()),
    ] {
        params.push((name.to_owned(), value));
    }
    let text = v1_string_to_sign(method, host, "/", &params);
    params.push((
        "Signature".to_owned(),
        v1_sign(V1Method::HmacSha256, DEFAULT_SECRET_KEY, &text),
    ));
    params
}

fn encoded(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// The answer's error code and message, or `("OK", "")`.
async fn answer(response: reqwest::Response) -> (String, String) {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["Response"]["RequestId"].as_str().map(str::len),
        Some(36),
        "{body}"
    );
    let error = &body["Response"]["Error"];
    match error["Code"].as_str() {
        Some(code) => (
            code.to_owned(),
            error["Message"].as_str().unwrap_or("").to_owned(),
        ),
        None => ("OK".to_owned(), String::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_forms_get_typed_answers() {
    let mock = MockServer::start(MockConfig::default().body_limit(64 << 10))
        .await
        .unwrap();
    let host = mock.url().trim_start_matches("http://").to_owned();
    let http = reqwest::Client::new();
    let post_form = |body: String| {
        http.post(mock.url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let logs: &[(&str, &str)] = &[
        ("StartTime", "2024-05-01T00:00:00+08:00"),
        ("EndTime", "2024-05-01T03:00:00+08:00"),
        ("ZoneIds.0", "zone-2o3h21ed8bpu"),
    ];

    // A good v1 POST passes; the very same request again is a replay.
    let good = encoded(&v1("POST", &host, "DownloadL4Logs", logs, 7));
    assert_eq!(answer(post_form(good.clone()).await.unwrap()).await.0, "OK");
    let (code, message) = answer(post_form(good).await.unwrap()).await;
    assert_eq!(code, "AuthFailure.SignatureFailure");
    assert!(message.contains("replayed"), "{message}");

    // Flattened names that cannot be a request, each named in the answer.
    // Extra members, the code, what the message names.
    type Case = (
        Vec<(&'static str, &'static str)>,
        &'static str,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            vec![("Limit", "1"), ("Limit", "2")],
            "InvalidParameter",
            "`Limit` is given more than once",
        ),
        (
            vec![("ZoneIds", "z"), ("ZoneIds.0", "y")],
            "InvalidParameter",
            "`ZoneIds`",
        ),
        (
            vec![("ZoneIds.1", "z")],
            "InvalidParameter",
            "`ZoneIds` must be a list",
        ),
        (
            vec![("Limit", "12abc")],
            "InvalidParameter",
            "`Limit` must be an integer",
        ),
        (
            vec![("ZoneIds.0.Deep", "z")],
            "InvalidParameter",
            "`ZoneIds.0` must be a string",
        ),
        (
            vec![
                ("Filters.0.Name", "zone-name"),
                ("Filters.0.Values.0", "a"),
                ("Filters.0.Nope", "z"),
            ],
            "UnknownParameter",
            "`Filters.0.Nope`",
        ),
    ];
    for (nonce, (extra, code, mentions)) in (100..).zip(cases) {
        let mut members = logs[..2].to_vec();
        members.extend(extra.iter().copied());
        let action = if extra[0].0.starts_with("Filters") {
            "DescribeZones"
        } else {
            "DownloadL4Logs"
        };
        let body = encoded(&v1("POST", &host, action, &members, nonce));
        let (got, message) = answer(post_form(body).await.unwrap()).await;
        assert_eq!(
            (got.as_str(), message.contains(mentions)),
            (code, true),
            "{extra:?}: {message}"
        );
    }
    let deep = vec!["Filters"; 40].join(".");
    let body = encoded(&v1("POST", &host, "DescribeZones", &[(&deep, "x")], 200));
    let (code, message) = answer(post_form(body).await.unwrap()).await;
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("segments"), "{message}");

    // v1 over GET, with the same rebuild: a nested list of objects passes.
    let zones = v1(
        "GET",
        &host,
        "DescribeZones",
        &[
            ("Filters.0.Name", "zone-name"),
            ("Filters.0.Values.0", "a.example"),
            ("Filters.0.Fuzzy", "true"),
        ],
        300,
    );
    let get = http
        .get(format!("{}/?{}", mock.url(), encoded(&zones)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(get).await.0, "OK");

    // A TC3 signature over a form body: the form is v1's alone.
    let body = "Limit=1";
    let input = SigningInput {
        service: "teo",
        method: "POST",
        host: &host,
        content_type: "application/x-www-form-urlencoded",
        query: "",
        payload: body.as_bytes(),
        unsigned_payload: false,
        timestamp: now(),
    };
    let signed = sign(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, &input).unwrap();
    let tc3_form = http
        .post(mock.url())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", signed.authorization())
        .header("x-tc-action", "DescribeZones")
        .header("x-tc-version", "2022-09-01")
        .header("x-tc-timestamp", now().to_string())
        .body(body)
        .send()
        .await
        .unwrap();
    let (code, message) = answer(tc3_form).await;
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("HmacSHA1/HmacSHA256"), "{message}");

    // Broken multipart bodies, correctly signed: the parse error, not a signature error.
    for body in [
        "--b\r\nContent-Disposition: form-data; name=\"Limit\"\r\n\r\n3",
        "--b\r\nContent-Disposition: form-data\r\n\r\n3\r\n--b--\r\n",
        "--b\r\nContent-Disposition: form-data; name=\"ZoneIds\"\r\nContent-Type: application/json\r\n\r\n[1,\r\n--b--\r\n",
    ] {
        let content_type = "multipart/form-data; boundary=b";
        let input = SigningInput {
            content_type,
            payload: body.as_bytes(),
            ..input
        };
        let signed = sign(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, &input).unwrap();
        let response = http
            .post(mock.url())
            .header("content-type", content_type)
            .header("authorization", signed.authorization())
            .header("x-tc-action", "DownloadL4Logs")
            .header("x-tc-version", "2022-09-01")
            .header("x-tc-timestamp", input.timestamp.to_string())
            .body(body)
            .send()
            .await
            .unwrap();
        let (code, message) = answer(response).await;
        assert_eq!(code, "InvalidParameter", "{body:?}: {message}");
        assert!(message.contains("multipart"), "{message}");
    }

    // A form body over the limit: refused before anything is parsed.
    let huge: Vec<(String, String)> = (0..20_000)
        .map(|i| (format!("ZoneIds.{i}"), "zone-xxxxxxxx".to_owned()))
        .collect();
    let (code, _) = answer(post_form(encoded(&huge)).await.unwrap()).await;
    assert_eq!(code, "RequestSizeLimitExceeded");

    // Still serving.
    let again = encoded(&v1("POST", &host, "DescribeZones", &[], 9));
    assert_eq!(answer(post_form(again).await.unwrap()).await.0, "OK");
    mock.shutdown().await;
}
