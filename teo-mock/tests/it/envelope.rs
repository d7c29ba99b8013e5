//! Every request the API does not serve still gets the API's envelope: a wrong method on `/`
//! (`UnsupportedProtocol`), any other path (`InvalidAction`), a Content-Type no form of the API
//! uses (`InvalidParameter`), HTTP 200 with a RequestId, never a bare 404 or 405 page.

use serde_json::Value;
use teo_mock::{MockConfig, MockServer};

#[tokio::test(flavor = "multi_thread")]
async fn wrong_paths_and_methods_get_the_envelope() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let long = "x".repeat(5000);
    let cases = [
        ("PUT", "/".to_owned(), "UnsupportedProtocol", "PUT"),
        ("DELETE", "/".to_owned(), "UnsupportedProtocol", "DELETE"),
        ("HEAD", "/".to_owned(), "UnsupportedProtocol", "HEAD"),
        // GET is one of the API's forms: unsigned, it is refused for that.
        (
            "GET",
            "/?Action=DescribeZones".to_owned(),
            "AuthFailure.InvalidAuthorization",
            "Signature",
        ),
        ("POST", "/v2/".to_owned(), "InvalidAction", "`/v2/`"),
        (
            "GET",
            "/favicon.ico".to_owned(),
            "InvalidAction",
            "/favicon.ico",
        ),
        (
            "POST",
            "/logs/x.log.gz".to_owned(),
            "InvalidAction",
            "/logs/x.log.gz",
        ),
        ("POST", format!("/{long}"), "InvalidAction", "…"),
        (
            "POST",
            "/a%1b%5b2J".to_owned(),
            "InvalidAction",
            "/a%1b%5b2J",
        ),
    ];
    for (method, path, code, mentions) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = http
            .request(method.clone(), format!("{}{path}", mock.url()))
            .send()
            .await
            .unwrap();
        if method == reqwest::Method::HEAD {
            // No body to read; the status and type still say it is an API answer.
            assert_eq!(answer.status(), 200);
            assert_eq!(answer.headers()["content-type"], "application/json");
            continue;
        }
        assert_eq!(answer.status(), 200, "{method} {path}");
        assert_eq!(
            answer.headers()["content-type"],
            "application/json",
            "{method} {path}"
        );
        let body: Value = answer.json().await.unwrap();
        let error = &body["Response"]["Error"];
        assert_eq!(error["Code"], code, "{method} {path}: {body}");
        let message = error["Message"].as_str().unwrap();
        assert!(message.contains(mentions), "{message}");
        assert!(message.len() < 400, "{message}");
        assert_eq!(
            body["Response"]["RequestId"].as_str().unwrap().len(),
            36,
            "{body}"
        );
    }
    // Content types the API does not take, whatever the signature.
    for (content_type, mentions) in [
        ("text/plain", "text/plain"),
        ("application/xml; charset=utf-8", "application/xml"),
        ("multipart/form-data", "boundary"),
    ] {
        let answer = http
            .post(mock.url())
            .header("content-type", content_type)
            .header("authorization", "TC3-HMAC-SHA256 Credential=x")
            .body("<a/>")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        let error = &body["Response"]["Error"];
        assert_eq!(error["Code"], "InvalidParameter", "{content_type}: {body}");
        assert!(
            error["Message"].as_str().unwrap().contains(mentions),
            "{body}"
        );
    }
    // Log packets keep their storage-style answers.
    let missing = http
        .get(format!("{}/logs/none.log.gz", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    mock.shutdown().await;
}
