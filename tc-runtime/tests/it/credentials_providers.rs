//! The credential providers against local inputs: injected variables, temporary files, and a
//! real HTTP server on 127.0.0.1 standing in for the CVM metadata service and for STS.
//!
//! The STS stand-in checks `AssumeRole` the way STS does: it recomputes the TC3 signature
//! (service `sts`) from the request as received with `tc_runtime::signing::sign` and answers
//! `AuthFailure.SignatureFailure` when it does not match. `AssumeRoleWithWebIdentity` must come
//! with `Authorization: SKIP`.

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use support::Client;
use tc_runtime::clock::ManualClock;
use tc_runtime::credentials::{
    AssumeRoleProvider, CachedProvider, CredentialsChain, DefaultChain, DefaultCredentialsChain,
    EnvironmentProvider, InstanceRoleProvider, ProfileFileProvider, WebIdentityProvider,
};
use tc_runtime::signing::{sign, SigningInput};
use tc_runtime::{Credentials, CredentialsError, ProvideCredentials, RetryPolicy};
use tc_test_support::{Answer, Captured, Gate, Request, TestServer};

// Markers that must never appear in Debug / Display output.
const KEY_MARK: &str = "XYZZY";
const TOKEN_MARK: &str = "PLUGH";
const OIDC_MARK: &str = "FROTZ";

const BASE_ID: &str = "AKIDbaseEXAMPLE";
const BASE_KEY: &str = "base-key-XYZZY";
const BASE_TOKEN: &str = "base-token-PLUGH";
const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/edgeone-admin";
const ROLE: &str = "cvm-role";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Variables for `from_vars` / `vars`.
fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "teo-credentials-test-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn str(&self) -> String {
        self.0.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Asserts that no Debug / Display text shows a secret.
fn assert_redacted(text: &str) {
    for mark in [KEY_MARK, TOKEN_MARK, OIDC_MARK] {
        assert!(!text.contains(mark), "{mark} leaked into {text}");
    }
}

/// A port nothing listens on.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

// ---------------------------------------------------------------------------------------------
// The stand-in for the metadata service and STS
// ---------------------------------------------------------------------------------------------

/// One request as received.
type Recorded = Request;

#[derive(Default)]
struct Upstream {
    /// Credentials handed out so far (numbers them).
    issued: AtomicUsize,
    /// `ExpiredTime` = now + this.
    lifetime_secs: AtomicI64,
    /// Answer every credentials request with an error.
    fail: AtomicBool,
    /// Answer this many more credentials requests with an error.
    fail_next: AtomicUsize,
    /// Hold answers until this gate opens.
    gate: Mutex<Option<Gate>>,
    /// The web identity token the STS stand-in accepts ("" accepts none).
    expected_oidc_token: Mutex<String>,
}

struct Server {
    url: String,
    upstream: Arc<Upstream>,
    server: TestServer,
}

impl Server {
    async fn start() -> Server {
        let upstream = Arc::new(Upstream::default());
        upstream.lifetime_secs.store(3600, Ordering::SeqCst);
        let answering = upstream.clone();
        let server = TestServer::responding(move |request| handle(&answering, request));
        let url = server.url().to_owned();
        Server {
            url,
            upstream,
            server,
        }
    }

    fn received(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Credentials handed out (each is one upstream credentials request that succeeded).
    fn issued(&self) -> usize {
        self.upstream.issued.load(Ordering::SeqCst)
    }

    fn set_lifetime(&self, secs: i64) {
        self.upstream.lifetime_secs.store(secs, Ordering::SeqCst);
    }

    fn set_fail(&self, fail: bool) {
        self.upstream.fail.store(fail, Ordering::SeqCst);
    }

    fn fail_next(&self, count: usize) {
        self.upstream.fail_next.store(count, Ordering::SeqCst);
    }

    /// Holds the answers until `gate` opens (`None`: answers at once again).
    fn hold(&self, gate: Option<&Gate>) {
        *self.upstream.gate.lock().unwrap() = gate.cloned();
    }

    fn expect_oidc_token(&self, token: &str) {
        *self.upstream.expected_oidc_token.lock().unwrap() = token.to_owned();
    }
}

fn json_reply(status: u16, body: Value) -> Answer {
    Answer::status(status)
        .header("Content-Type", "application/json")
        .body(body.to_string())
}

fn sts_error(code: &str, message: &str) -> Answer {
    json_reply(
        200,
        json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "req-err"}}),
    )
}

/// Numbered temporary credentials.
fn issue(upstream: &Upstream) -> (usize, i64) {
    let n = upstream.issued.fetch_add(1, Ordering::SeqCst) + 1;
    (
        n,
        unix_now() + upstream.lifetime_secs.load(Ordering::SeqCst),
    )
}

fn handle(upstream: &Upstream, request: &Recorded) -> Answer {
    let answer = answer(upstream, request);
    match &*upstream.gate.lock().unwrap() {
        Some(gate) => answer.held_by(gate),
        None => answer,
    }
}

fn answer(upstream: &Upstream, request: &Recorded) -> Answer {
    let fail = upstream.fail.load(Ordering::SeqCst)
        || upstream
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    const ROLES: &str = "/latest/meta-data/cam/security-credentials/";
    match (request.method.as_str(), request.path()) {
        ("GET", ROLES) => Answer::text(200, format!("{ROLE}\n")),
        ("GET", path) if path.starts_with(ROLES) => {
            let role = &path[ROLES.len()..];
            if role != ROLE {
                return Answer::text(404, "no such role");
            }
            if fail {
                return Answer::text(500, "metadata down");
            }
            let (n, expires) = issue(upstream);
            json_reply(
                200,
                json!({
                    "TmpSecretId": format!("cvm-id-{n}"),
                    "TmpSecretKey": format!("cvm-key-{n}-{KEY_MARK}"),
                    "Token": format!("cvm-token-{n}-{TOKEN_MARK}"),
                    "ExpiredTime": expires,
                    "Expiration": "2030-01-01T00:00:00Z",
                    "Code": "Success",
                }),
            )
        }
        ("POST", "/") => sts(upstream, request, fail),
        _ => Answer::text(404, "not here"),
    }
}

/// The STS stand-in.
fn sts(upstream: &Upstream, request: &Recorded, fail: bool) -> Answer {
    if request.header("Content-Type") != Some("application/json")
        || request.header("X-TC-Version") != Some("2018-08-13")
        || request.header("X-TC-Region").is_none()
        || request.header("X-TC-Timestamp").is_none()
    {
        return sts_error("MissingParameter", "a required header is missing");
    }
    let action = request.header("X-TC-Action").unwrap_or("");
    let body = request.json();
    match action {
        "AssumeRole" => {
            if let Err(message) = verify_tc3(request, "sts", &[(BASE_ID, BASE_KEY)]) {
                return sts_error("AuthFailure.SignatureFailure", &message);
            }
            if body["RoleArn"] != ROLE_ARN || !body["RoleSessionName"].is_string() {
                return sts_error("InvalidParameter", "RoleArn or RoleSessionName");
            }
        }
        "AssumeRoleWithWebIdentity" => {
            if request.header("Authorization") != Some("SKIP") {
                return sts_error("AuthFailure", "AssumeRoleWithWebIdentity is not signed");
            }
            let expected = upstream.expected_oidc_token.lock().unwrap().clone();
            if body["WebIdentityToken"] != expected.as_str()
                || body["ProviderId"] != "tke-oidc"
                || body["RoleArn"] != ROLE_ARN
            {
                return sts_error("InvalidParameter.WebIdentityTokenError", "token rejected");
            }
        }
        _ => return sts_error("InvalidAction", "unknown action"),
    }
    if fail {
        return sts_error("InternalError", "STS is having a bad day");
    }
    let (n, expires) = issue(upstream);
    json_reply(
        200,
        json!({"Response": {
            "Credentials": {
                "TmpSecretId": format!("tmp-id-{n}"),
                "TmpSecretKey": format!("tmp-key-{n}-{KEY_MARK}"),
                "Token": format!("tmp-token-{n}-{TOKEN_MARK}"),
            },
            "ExpiredTime": expires,
            "Expiration": "2030-01-01T00:00:00Z",
            "RequestId": format!("req-{n}"),
        }}),
    )
}

/// Recomputes the TC3 signature of `request` for the key its SecretId names.
fn verify_tc3(request: &Recorded, service: &str, keys: &[(&str, &str)]) -> Result<(), String> {
    let header = |name: &str| {
        request
            .header(name)
            .ok_or_else(|| format!("missing header {name}"))
    };
    let authorization = header("Authorization")?;
    let timestamp: i64 = header("X-TC-Timestamp")?
        .parse()
        .map_err(|_| "bad timestamp".to_owned())?;
    let secret_id = authorization
        .strip_prefix("TC3-HMAC-SHA256 Credential=")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| "malformed Authorization".to_owned())?;
    let (_, secret_key) = keys
        .iter()
        .find(|(id, _)| *id == secret_id)
        .ok_or_else(|| format!("unknown SecretId {secret_id}"))?;
    let expected = sign(
        secret_id,
        secret_key,
        &SigningInput {
            service,
            method: request_method(request),
            host: header("Host")?,
            content_type: header("Content-Type")?,
            query: "",
            payload: &request.body,
            unsigned_payload: false,
            timestamp,
        },
    )
    .map_err(|e| e.to_string())?;
    if expected.authorization() == authorization {
        Ok(())
    } else {
        Err("signature mismatch".into())
    }
}

fn request_method(request: &Recorded) -> &'static str {
    if request.method == "POST" {
        "POST"
    } else {
        "GET"
    }
}

fn assume_role(server: &Server) -> AssumeRoleProvider {
    let base = Credentials::new(BASE_ID, BASE_KEY).with_token(BASE_TOKEN);
    AssumeRoleProvider::builder(Arc::new(base), ROLE_ARN, "test-session")
        .endpoint(&server.url)
        .build()
}

/// For tests of caching, where each refresh must be one request.
fn assume_role_without_retries(server: &Server) -> AssumeRoleProvider {
    let base = Credentials::new(BASE_ID, BASE_KEY).with_token(BASE_TOKEN);
    AssumeRoleProvider::builder(Arc::new(base), ROLE_ARN, "test-session")
        .endpoint(&server.url)
        .retry(RetryPolicy::disabled())
        .build()
}

fn instance_role(server: &Server) -> InstanceRoleProvider {
    InstanceRoleProvider::builder()
        .endpoint(&server.url)
        .role(ROLE)
        .build()
}

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn environment_reads_id_key_and_optional_token() {
    let provider = EnvironmentProvider::from_vars(vars(&[
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "env-key-XYZZY"),
    ]));
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id(), c.secret_key(), c.token()),
        ("AKIDenv", "env-key-XYZZY", None)
    );

    let provider = EnvironmentProvider::from_vars(vars(&[
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "env-key-XYZZY"),
        ("TENCENTCLOUD_SESSION_TOKEN", "env-token-PLUGH"),
    ]));
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.token(), Some("env-token-PLUGH"));
    assert_eq!(c.expires_at(), None);
    assert_redacted(&format!("{provider:?} {c:?}"));
}

#[tokio::test]
async fn environment_missing_or_partial_variables() {
    let err = EnvironmentProvider::from_vars(vars(&[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "environment: TENCENTCLOUD_SECRET_ID is not set"
    );

    // Blank counts as unset.
    let err = EnvironmentProvider::from_vars(vars(&[
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "  "),
    ]))
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "environment: TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not"
    );

    let err = EnvironmentProvider::from_vars(vars(&[("TENCENTCLOUD_SECRET_KEY", "env-key-XYZZY")]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("TENCENTCLOUD_SECRET_ID is not"));
    assert_redacted(&format!("{err} {err:?}"));
}

// ---------------------------------------------------------------------------------------------
// Profile file
// ---------------------------------------------------------------------------------------------

const PROFILES: &str = "\
# shared credentials
[default]
secret_id = AKIDdefault
secret_key = default-key-XYZZY

[ci]
secret_id = AKIDci
secret_key = ci-key-XYZZY
token = ci-token-PLUGH

[broken]
secret_id = AKIDbroken-but-no-key-XYZZY
";

#[tokio::test]
async fn profile_default_from_home() {
    let home = TempDir::new();
    home.write(".tencentcloud/credentials", PROFILES);
    let provider = ProfileFileProvider::from_vars(vars(&[("HOME", &home.str())]));
    assert_eq!(
        provider.path().unwrap(),
        home.path().join(".tencentcloud").join("credentials")
    );
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id(), c.secret_key(), c.token()),
        ("AKIDdefault", "default-key-XYZZY", None)
    );
    assert_redacted(&format!("{provider:?}"));
}

#[tokio::test]
async fn profile_file_and_profile_from_variables_or_explicit() {
    let dir = TempDir::new();
    let file = dir.write("elsewhere.ini", PROFILES);
    let provider = ProfileFileProvider::from_vars(vars(&[
        ("HOME", "/nonexistent-home"),
        ("TENCENTCLOUD_CREDENTIALS_FILE", file.to_str().unwrap()),
        ("TENCENTCLOUD_PROFILE", "ci"),
    ]));
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.secret_id(), c.secret_key(), c.token()),
        ("AKIDci", "ci-key-XYZZY", Some("ci-token-PLUGH"))
    );

    // Explicit settings beat the variables.
    let provider = ProfileFileProvider::from_vars(vars(&[("TENCENTCLOUD_PROFILE", "ci")]))
        .with_path(&file)
        .with_profile("default");
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.secret_id(), "AKIDdefault");
}

#[tokio::test]
async fn profile_missing_file_or_profile_is_not_found_naming_it() {
    let home = TempDir::new();
    let err = ProfileFileProvider::from_vars(vars(&[("HOME", &home.str())]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    let expected_path = home.path().join(".tencentcloud").join("credentials");
    assert_eq!(
        err.to_string(),
        format!("profile file: {}: not found", expected_path.display())
    );

    home.write(".tencentcloud/credentials", PROFILES);
    let err = ProfileFileProvider::from_vars(vars(&[
        ("HOME", &home.str()),
        ("TENCENTCLOUD_PROFILE", "prod"),
    ]))
    .provide_credentials()
    .await
    .unwrap_err();
    // Asked for by name: a configuration error, which stops a chain.
    assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "profile file: {}: no profile [prod] (named by TENCENTCLOUD_PROFILE)",
            expected_path.display()
        )
    );

    let err = ProfileFileProvider::from_vars(vars(&[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "profile file: neither TENCENTCLOUD_CREDENTIALS_FILE nor HOME is set"
    );
}

#[tokio::test]
async fn profile_missing_key_is_invalid_naming_the_key_not_the_values() {
    let dir = TempDir::new();
    let file = dir.write("credentials", PROFILES);
    let err = ProfileFileProvider::from_vars(vars(&[]))
        .with_path(&file)
        .with_profile("broken")
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "profile file: {}: profile [broken] has no secret_key",
            file.display()
        )
    );
    assert_redacted(&format!("{err} {err:?}"));

    // A malformed line is named by number, its content is not echoed.
    let file = dir.write(
        "bad",
        "[default]\nsecret_id = a\nkey-XYZZY-without-equals\n",
    );
    let err = ProfileFileProvider::from_vars(vars(&[]))
        .with_path(&file)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err
        .to_string()
        .ends_with("line 3 of profile [default] is not `key = value`"));
    assert_redacted(&err.to_string());
}

// ---------------------------------------------------------------------------------------------
// CVM instance role
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_role_discovers_the_role_then_fetches_its_credentials() {
    let server = Server::start().await;
    let provider = InstanceRoleProvider::builder()
        .endpoint(format!("{}/", server.url))
        .build();
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.secret_id(), "cvm-id-1");
    assert_eq!(c.secret_key(), format!("cvm-key-1-{KEY_MARK}"));
    assert_eq!(
        c.token(),
        Some(format!("cvm-token-1-{TOKEN_MARK}").as_str())
    );
    let expires = c.expires_at().unwrap();
    let left = expires.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));

    let paths: Vec<_> = server
        .received()
        .into_iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/latest/meta-data/cam/security-credentials/",
            "/latest/meta-data/cam/security-credentials/cvm-role"
        ]
    );
    // Cached: no more requests.
    assert_eq!(provider.provide_credentials().await.unwrap(), c);
    assert_eq!(server.received().len(), 2);
    assert_redacted(&format!("{provider:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_role_errors() {
    let server = Server::start().await;

    // A configured role that is not bound: 404 → NotFound.
    let err = InstanceRoleProvider::builder()
        .endpoint(&server.url)
        .role("other-role")
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("\"other-role\" is not bound"),
        "{err}"
    );

    // The metadata service failing: Fetch.
    server.set_fail(true);
    let err = instance_role(&server)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    // Nothing listening: not on a CVM, so NotFound (a chain moves on), quickly.
    let started = Instant::now();
    let err = InstanceRoleProvider::builder()
        .endpoint(closed_port_url().await)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("unreachable"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_role_code_other_than_success_is_a_fetch_error() {
    // A tiny server answering Code "Failed".
    let server = TestServer::responding(|_| {
        json_reply(200, json!({"Code": "Failed", "TmpSecretKey": "k-XYZZY"}))
    });
    let err = InstanceRoleProvider::builder()
        .endpoint(server.url())
        .role(ROLE)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "instance role: the metadata service answered Code \"Failed\" for role \"cvm-role\""
    );
}

// ---------------------------------------------------------------------------------------------
// STS AssumeRole
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_sends_a_signed_request_sts_accepts() {
    let server = Server::start().await;
    let provider = AssumeRoleProvider::builder(
        Arc::new(Credentials::new(BASE_ID, BASE_KEY).with_token(BASE_TOKEN)),
        ROLE_ARN,
        "test-session",
    )
    .endpoint(&server.url)
    .region("ap-singapore")
    .duration(Duration::from_secs(1800))
    .build();
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.secret_id(), "tmp-id-1");
    assert_eq!(c.secret_key(), format!("tmp-key-1-{KEY_MARK}"));
    assert_eq!(
        c.token(),
        Some(format!("tmp-token-1-{TOKEN_MARK}").as_str())
    );
    assert!(c.expires_at().unwrap() > SystemTime::now() + Duration::from_secs(3000));

    let received = server.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    // The stand-in verified the signature; check the rest of what was sent.
    assert_eq!(request.header("X-TC-Action"), Some("AssumeRole"));
    assert_eq!(request.header("X-TC-Region"), Some("ap-singapore"));
    assert_eq!(request.header("X-TC-Token"), Some(BASE_TOKEN));
    assert_eq!(
        request.header("Host"),
        Some(server.url.trim_start_matches("http://"))
    );
    assert!(request
        .header("Authorization")
        .unwrap()
        .contains(&format!("Credential={BASE_ID}/")));
    assert!(request
        .header("Authorization")
        .unwrap()
        .contains("/sts/tc3_request"));
    assert_eq!(
        request.json(),
        json!({"RoleArn": ROLE_ARN, "RoleSessionName": "test-session", "DurationSeconds": 1800})
    );
    assert_redacted(&format!("{provider:?} {c:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_default_region_and_error_envelopes() {
    let server = Server::start().await;

    // Wrong base key: STS rejects the signature → Fetch with code and message.
    let err = AssumeRoleProvider::builder(
        Arc::new(Credentials::new(BASE_ID, "wrong-key-XYZZY")),
        ROLE_ARN,
        "s",
    )
    .endpoint(&server.url)
    .build()
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "assume role: STS AssumeRole failed: AuthFailure.SignatureFailure: signature mismatch (request id req-err)"
    );
    assert_redacted(&format!("{err} {err:?}"));
    assert_eq!(
        server.received()[0].header("X-TC-Region"),
        Some("ap-guangzhou")
    );
    assert_eq!(server.received()[0].header("X-TC-Token"), None);

    // STS failing.
    server.set_fail(true);
    let err = assume_role(&server)
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "assume role: STS AssumeRole failed: InternalError: STS is having a bad day (request id req-err)"
    );

    // The base provider failing: Fetch naming it, with its error as the source.
    let err = AssumeRoleProvider::builder(
        Arc::new(EnvironmentProvider::from_vars(vars(&[]))),
        ROLE_ARN,
        "s",
    )
    .endpoint(&server.url)
    .build()
    .provide_credentials()
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "assume role: base credentials: environment: TENCENTCLOUD_SECRET_ID is not set"
    );
    assert!(std::error::Error::source(&err).is_some());

    // STS unreachable.
    let err =
        AssumeRoleProvider::builder(Arc::new(Credentials::new(BASE_ID, BASE_KEY)), ROLE_ARN, "s")
            .endpoint(closed_port_url().await)
            .build()
            .provide_credentials()
            .await
            .unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// TKE OIDC (AssumeRoleWithWebIdentity)
// ---------------------------------------------------------------------------------------------

fn tke_vars(token_file: &Path) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    vars(&[
        ("TKE_REGION", "ap-shanghai"),
        ("TKE_PROVIDER_ID", "tke-oidc"),
        ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("TKE_ROLE_ARN", ROLE_ARN),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_identity_posts_the_token_unsigned_and_rereads_it_each_refresh() {
    let server = Server::start().await;
    let dir = TempDir::new();
    let token_file = dir.write("token", "oidc-jwt-FROTZ-1\n");
    server.expect_oidc_token("oidc-jwt-FROTZ-1");
    let provider = WebIdentityProvider::builder()
        .vars(tke_vars(&token_file))
        .endpoint(&server.url)
        .build();
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.secret_id(), "tmp-id-1");

    let request = &server.received()[0];
    assert_eq!(request.header("Authorization"), Some("SKIP"));
    assert_eq!(
        request.header("X-TC-Action"),
        Some("AssumeRoleWithWebIdentity")
    );
    assert_eq!(request.header("X-TC-Region"), Some("ap-shanghai"));
    let body = request.json();
    assert_eq!(body["ProviderId"], "tke-oidc");
    assert_eq!(body["RoleArn"], ROLE_ARN);
    assert_eq!(body["WebIdentityToken"], "oidc-jwt-FROTZ-1");
    assert_eq!(body["DurationSeconds"], 7200);
    assert!(body["RoleSessionName"]
        .as_str()
        .unwrap()
        .starts_with("teo-rs-"));

    // TKE rotates the token: the next refresh sends the new one.
    std::fs::write(&token_file, "oidc-jwt-FROTZ-2").unwrap();
    server.expect_oidc_token("oidc-jwt-FROTZ-2");
    provider.invalidate();
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(c.secret_id(), "tmp-id-2");
    assert_eq!(
        server.received()[1].json()["WebIdentityToken"],
        "oidc-jwt-FROTZ-2"
    );
    assert_redacted(&format!("{provider:?} {c:?}"));

    // A rejected token: Fetch with STS's code (a new provider: the first one would still
    // serve its valid cached credentials).
    server.expect_oidc_token("something else");
    let provider = WebIdentityProvider::builder()
        .vars(tke_vars(&token_file))
        .endpoint(&server.url)
        .build();
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("InvalidParameter.WebIdentityTokenError"),
        "{err}"
    );
    assert_redacted(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn web_identity_configuration_errors() {
    let err = WebIdentityProvider::from_vars(vars(&[]))
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "tke oidc: TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN are not set"
    );

    let err = WebIdentityProvider::from_vars(vars(&[
        ("TKE_REGION", "ap-shanghai"),
        ("TKE_PROVIDER_ID", "tke-oidc"),
        ("TKE_ROLE_ARN", ROLE_ARN),
    ]))
    .provide_credentials()
    .await
    .unwrap_err();
    assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "tke oidc: TKE_WEB_IDENTITY_TOKEN_FILE is not set"
    );

    let dir = TempDir::new();
    let missing = dir.path().join("no-token");
    let err = WebIdentityProvider::builder()
        .vars(vars(&[]))
        .region("ap-shanghai")
        .provider_id("tke-oidc")
        .role_arn(ROLE_ARN)
        .token_file(&missing)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().starts_with(&format!(
        "tke oidc: web identity token file {}: cannot be read",
        missing.display()
    )));
}

// ---------------------------------------------------------------------------------------------
// Caching and refresh
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_credentials_are_refreshed_on_the_next_call_after_expiry() {
    let server = Server::start().await;
    server.set_lifetime(2);
    // Time moves by hand: the test does not sleep for the expiry.
    let clock = ManualClock::new(SystemTime::now());
    let provider =
        AssumeRoleProvider::builder(Arc::new(Credentials::new(BASE_ID, BASE_KEY)), ROLE_ARN, "s")
            .endpoint(&server.url)
            .refresh_margin(Duration::ZERO)
            .clock(Arc::new(clock.clone()))
            .build();
    assert_eq!(
        provider.provide_credentials().await.unwrap().secret_id(),
        "tmp-id-1"
    );
    // Still valid (at least 1 s left): cached.
    clock.advance(Duration::from_millis(900));
    assert_eq!(
        provider.provide_credentials().await.unwrap().secret_id(),
        "tmp-id-1"
    );
    assert_eq!(server.issued(), 1);

    // Past the expiry of the first (the server's next answer lives longer than the jump).
    server.set_lifetime(60);
    clock.advance(Duration::from_millis(1200));
    assert_eq!(
        provider.provide_credentials().await.unwrap().secret_id(),
        "tmp-id-2"
    );
    assert_eq!(server.issued(), 2);
}

/// Credentials answered with less than the refresh margin left (here 120 s against 5 minutes)
/// are used and kept until halfway through their life — not fetched again on every call, as
/// they were. Measured: upstream requests for five calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_answered_inside_the_refresh_margin_are_not_refetched_every_call() {
    let server = Server::start().await;
    server.set_lifetime(120);
    let provider = instance_role(&server);
    for _ in 0..5 {
        assert_eq!(
            provider.provide_credentials().await.unwrap().secret_id(),
            "cvm-id-1"
        );
    }
    assert_eq!(server.issued(), 1);

    // With a lifetime beyond the margin, kept until the margin.
    server.set_lifetime(3600);
    provider.invalidate();
    for _ in 0..3 {
        assert_eq!(
            provider.provide_credentials().await.unwrap().secret_id(),
            "cvm-id-2"
        );
    }
    assert_eq!(server.issued(), 2);
}

/// A metadata service or STS answering credentials that have expired (`ExpiredTime` 10 s ago)
/// or expire within the minute: a typed error naming the source and the expiry, nothing
/// cached, and — for the 10 s back-off — no new request on each call. Measured: upstream
/// requests for four calls (1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_or_nearly_expired_answers_are_rejected_not_refetched_each_call() {
    for lifetime in [-10, 30] {
        let server = Server::start().await;
        server.set_lifetime(lifetime);
        let providers: [(&str, Box<dyn ProvideCredentials>); 2] = [
            ("instance role", Box::new(instance_role(&server))),
            ("assume role", Box::new(assume_role(&server))),
        ];
        for (name, provider) in providers {
            let before = server.issued();
            let err = provider.provide_credentials().await.unwrap_err();
            let CredentialsError::Expired {
                source_name,
                expires_at,
                ..
            } = &err
            else {
                panic!("{name}, lifetime {lifetime}: expected Expired, got {err:?}");
            };
            assert_eq!(*source_name, name);
            let text = err.to_string();
            if lifetime < 0 {
                assert!(*expires_at < SystemTime::now());
                assert!(
                    text.starts_with(&format!("{name}: the credentials it answered expired at ")),
                    "{text}"
                );
                assert!(text.ends_with(" s ago"), "{text}");
            } else {
                assert!(
                    text.ends_with("less than the 60 s they must have left"),
                    "{text}"
                );
            }
            assert_redacted(&format!("{err} {err:?}"));
            for _ in 0..3 {
                assert!(matches!(
                    provider.provide_credentials().await,
                    Err(CredentialsError::Expired { .. })
                ));
            }
            assert_eq!(
                server.issued() - before,
                1,
                "{name}: one request for four calls"
            );
        }
    }
}

/// Ten tasks asking `provider`, each started once it returns (the answer held until all have).
fn spawn_callers(
    provider: &Arc<dyn ProvideCredentials>,
) -> Vec<tokio::task::JoinHandle<Result<Credentials, CredentialsError>>> {
    let started = Arc::new(AtomicUsize::new(0));
    let tasks = (0..10)
        .map(|_| {
            let (provider, started) = (provider.clone(), started.clone());
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                provider.provide_credentials().await
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 10 {
        std::thread::yield_now();
    }
    tasks
}

/// 10 callers find the credentials stale at once: one upstream request, one answer for all.
async fn ten_concurrent_callers_share_one_refresh(
    server: &Server,
    provider: Arc<dyn ProvideCredentials>,
    invalidate: impl Fn(),
    prefix: &str,
) {
    assert_eq!(
        provider.provide_credentials().await.unwrap().secret_id(),
        format!("{prefix}-1")
    );
    invalidate(); // stale at once
    let before = server.received().len();
    let gate = Gate::new();
    server.hold(Some(&gate));

    let tasks = spawn_callers(&provider);
    // The refresh's request has arrived and is held: every caller is then waiting on it.
    while server.received().len() == before {
        tokio::task::yield_now().await;
    }
    gate.open();
    for task in tasks {
        let c = task.await.unwrap().unwrap();
        assert_eq!(c.secret_id(), format!("{prefix}-2"));
    }
    assert_eq!(
        server.received().len() - before,
        1,
        "exactly one upstream request"
    );
    assert_eq!(server.issued(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_sts_refresh() {
    let server = Server::start().await;
    let provider = Arc::new(assume_role(&server));
    let shared: Arc<dyn ProvideCredentials> = provider.clone();
    ten_concurrent_callers_share_one_refresh(&server, shared, || provider.invalidate(), "tmp-id")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_metadata_refresh() {
    let server = Server::start().await;
    let provider = Arc::new(instance_role(&server));
    let shared: Arc<dyn ProvideCredentials> = provider.clone();
    ten_concurrent_callers_share_one_refresh(&server, shared, || provider.invalidate(), "cvm-id")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_refresh_is_a_typed_error_shared_by_concurrent_callers() {
    let server = Server::start().await;
    server.set_fail(true);
    let gate = Gate::new();
    server.hold(Some(&gate));
    let provider: Arc<dyn ProvideCredentials> = Arc::new(assume_role_without_retries(&server));
    let tasks = spawn_callers(&provider);
    while server.received().is_empty() {
        tokio::task::yield_now().await;
    }
    gate.open();
    for task in tasks {
        match task.await.unwrap() {
            Err(CredentialsError::Fetch { reason, .. }) => {
                assert!(reason.contains("InternalError"), "{reason}")
            }
            other => panic!("expected a Fetch error, got {other:?}"),
        }
    }
    assert_eq!(
        server.received().len(),
        1,
        "one refresh for all ten callers"
    );

    // The next call tries again, and succeeds once STS is back.
    server.set_fail(false);
    server.hold(None);
    assert_eq!(
        provider.provide_credentials().await.unwrap().secret_id(),
        "tmp-id-1"
    );
    assert_eq!(server.received().len(), 2);
}

/// STS goes through the runtime's one call path: an `InternalError` from STS is retried (issuing
/// credentials is idempotent by `api-spec/sts/v20180813/retry.json`), and the answer of the
/// attempt that succeeds is the credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sts_failures_are_retried_by_the_shared_retry_loop() {
    let server = Server::start().await;
    server.fail_next(2);
    let base = Credentials::new(BASE_ID, BASE_KEY);
    let credentials = AssumeRoleProvider::builder(Arc::new(base), ROLE_ARN, "retried")
        .endpoint(&server.url)
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(10)),
        )
        .build()
        .provide_credentials()
        .await
        .expect("the third attempt succeeds");
    assert_eq!(credentials.secret_id(), "tmp-id-1");
    assert_eq!(server.received().len(), 3);

    // Web identity too, and with `Authorization: SKIP` (unsigned) on every attempt.
    let server = Server::start().await;
    server.fail_next(1);
    let dir = TempDir::new();
    let token_file = dir.write("token", "oidc-token");
    server.expect_oidc_token("oidc-token");
    let credentials = WebIdentityProvider::builder()
        .vars(tke_vars(&token_file))
        .endpoint(&server.url)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(10)))
        .build()
        .provide_credentials()
        .await
        .expect("the second attempt succeeds");
    assert!(credentials.token().is_some());
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(received
        .iter()
        .all(|r| r.header("Authorization") == Some("SKIP")));
}

/// The metadata service answering HTTP 500 once is retried by the same loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_5xx_is_retried() {
    let server = Server::start().await;
    server.fail_next(1);
    let credentials = instance_role(&server)
        .provide_credentials()
        .await
        .expect("the second attempt succeeds");
    assert!(credentials.token().is_some());
    // The role's credentials: one failed and one good request.
    let paths: Vec<String> = server
        .received()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert_eq!(paths[0], paths[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_refresh_keeps_serving_still_valid_credentials() {
    let server = Server::start().await;
    // 6 s to live against a 3 s margin: stale after about 3 s, valid for about 3 more.
    server.set_lifetime(6);
    let base = Credentials::new(BASE_ID, BASE_KEY).with_token(BASE_TOKEN);
    let clock = ManualClock::new(SystemTime::now());
    let provider = AssumeRoleProvider::builder(Arc::new(base), ROLE_ARN, "test-session")
        .endpoint(&server.url)
        .retry(RetryPolicy::disabled())
        .refresh_margin(Duration::from_secs(3))
        .clock(Arc::new(clock.clone()))
        .build();
    let first = provider.provide_credentials().await.unwrap();
    clock.advance(Duration::from_millis(3200));
    server.set_fail(true);
    // The refresh fails; the old credentials still work and are returned.
    assert_eq!(provider.provide_credentials().await.unwrap(), first);
    assert_eq!(server.received().len(), 2);
    // Within the back-off after a failure no new request is made.
    assert_eq!(provider.provide_credentials().await.unwrap(), first);
    assert_eq!(server.received().len(), 2);

    // Expired credentials are not served: the failure is the error.
    clock.advance(Duration::from_millis(3000));
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(matches!(err, CredentialsError::Fetch { .. }), "{err:?}");
}

#[tokio::test]
async fn cached_provider_wraps_any_provider() {
    #[derive(Debug)]
    struct Counting(Arc<AtomicUsize>);
    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> tc_runtime::credentials::ProvideFuture<'_> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Box::pin(async move {
                Ok(Credentials::new(format!("id-{n}"), "k-XYZZY")
                    .with_expiry(SystemTime::now() + Duration::from_secs(3600)))
            })
        }
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let cached = CachedProvider::new(Counting(calls.clone()));
    assert_eq!(
        cached.provide_credentials().await.unwrap().secret_id(),
        "id-1"
    );
    assert_eq!(
        cached.provide_credentials().await.unwrap().secret_id(),
        "id-1"
    );
    cached.invalidate();
    assert_eq!(
        cached.provide_credentials().await.unwrap().secret_id(),
        "id-2"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(cached.cached_expiry().is_some());
    assert_redacted(&format!("{cached:?}"));
}

// ---------------------------------------------------------------------------------------------
// The default chain
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_lists_every_source_when_all_fail() {
    let home = TempDir::new();
    let metadata = closed_port_url().await;
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&[("HOME", &home.str())]))
        .metadata_endpoint(&metadata)
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    let CredentialsError::NoneFound { tried } = &err else {
        panic!("expected NoneFound, got {err:?}");
    };
    assert_eq!(tried.len(), 4, "{tried:#?}");
    assert_eq!(tried[0], "environment: TENCENTCLOUD_SECRET_ID is not set");
    assert_eq!(
        tried[1],
        format!(
            "profile file: {}: not found",
            home.path()
                .join(".tencentcloud")
                .join("credentials")
                .display()
        )
    );
    assert_eq!(
        tried[2],
        "tke oidc: TKE_REGION, TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE, TKE_ROLE_ARN are not set"
    );
    assert!(
        tried[3].starts_with(&format!(
            "instance role: metadata service {metadata}/latest/meta-data/cam/security-credentials/ unreachable"
        )),
        "{}",
        tried[3]
    );
    assert!(err
        .to_string()
        .starts_with("no credentials found; tried: environment: TENCENTCLOUD_SECRET_ID is not set; profile file: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_returns_the_first_source_that_provides() {
    let server = Server::start().await;
    let home = TempDir::new();

    // Only the instance role has credentials.
    let chain: DefaultChain = DefaultCredentialsChain::builder()
        .vars(vars(&[("HOME", &home.str())]))
        .metadata_endpoint(&server.url)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id(),
        "cvm-id-1"
    );

    // TKE OIDC comes before it.
    let token_file = home.write("token", "oidc-jwt-FROTZ-1");
    server.expect_oidc_token("oidc-jwt-FROTZ-1");
    let home_dir = home.str();
    let token_path = token_file.to_str().unwrap();
    let tke = [
        ("HOME", home_dir.as_str()),
        ("TKE_REGION", "ap-shanghai"),
        ("TKE_PROVIDER_ID", "tke-oidc"),
        ("TKE_WEB_IDENTITY_TOKEN_FILE", token_path),
        ("TKE_ROLE_ARN", ROLE_ARN),
    ];
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&tke))
        .metadata_endpoint(&server.url)
        .sts_endpoint(&server.url)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id(),
        "tmp-id-2"
    );

    // The profile file comes before that.
    home.write(".tencentcloud/credentials", PROFILES);
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&tke))
        .metadata_endpoint(&server.url)
        .sts_endpoint(&server.url)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id(),
        "AKIDdefault"
    );

    // And the environment before everything.
    let mut all = tke.to_vec();
    all.push(("TENCENTCLOUD_SECRET_ID", "AKIDenv"));
    all.push(("TENCENTCLOUD_SECRET_KEY", "env-key-XYZZY"));
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&all))
        .metadata_endpoint(&server.url)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id(),
        "AKIDenv"
    );
    assert_redacted(&format!("{chain:?}"));

    // A hand-made chain, including a nested one whose list is spliced in.
    let chain = CredentialsChain::new()
        .push(CredentialsChain::new().push(EnvironmentProvider::from_vars(vars(&[]))))
        .push(ProfileFileProvider::from_vars(vars(&[])));
    let CredentialsError::NoneFound { tried } = chain.provide_credentials().await.unwrap_err()
    else {
        panic!("expected NoneFound");
    };
    assert_eq!(
        tried,
        [
            "environment: TENCENTCLOUD_SECRET_ID is not set",
            "profile file: neither TENCENTCLOUD_CREDENTIALS_FILE nor HOME is set"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_and_display_never_show_keys_or_tokens() {
    let server = Server::start().await;
    let dir = TempDir::new();
    let token_file = dir.write("token", "oidc-jwt-FROTZ-1");
    server.expect_oidc_token("oidc-jwt-FROTZ-1");
    let profile = dir.write("credentials", PROFILES);

    let env = EnvironmentProvider::from_vars(vars(&[
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "env-key-XYZZY"),
        ("TENCENTCLOUD_SESSION_TOKEN", "env-token-PLUGH"),
    ]));
    let profile = ProfileFileProvider::from_vars(vars(&[]))
        .with_path(profile)
        .with_profile("ci");
    let cvm = instance_role(&server);
    let sts = assume_role(&server);
    let oidc = WebIdentityProvider::builder()
        .vars(tke_vars(&token_file))
        .endpoint(&server.url)
        .build();
    let providers: Vec<Box<dyn ProvideCredentials>> = vec![
        Box::new(env),
        Box::new(profile),
        Box::new(cvm),
        Box::new(sts),
        Box::new(oidc),
    ];
    for provider in &providers {
        let credentials = provider.provide_credentials().await.unwrap();
        assert!(credentials.secret_key().contains(KEY_MARK));
        assert_redacted(&format!("{credentials:?}"));
        assert_redacted(&format!("{provider:?}"));
        assert_redacted(&format!("{provider:#?}"));
    }

    // Errors from every provider, with the secrets in play.
    server.set_fail(true);
    let errors = [
        assume_role(&server)
            .provide_credentials()
            .await
            .unwrap_err(),
        instance_role(&server)
            .provide_credentials()
            .await
            .unwrap_err(),
    ];
    for err in &errors {
        assert_redacted(&format!("{err} {err:?}"));
    }
}

// ---------------------------------------------------------------------------------------------
// End to end: a Client signing with AssumeRole credentials
// ---------------------------------------------------------------------------------------------

/// A stand-in EdgeOne endpoint that accepts only requests signed with the temporary
/// credentials STS issued, carrying their token.
fn start_teo() -> TestServer {
    TestServer::responding(|request| {
        let key = format!("tmp-key-1-{KEY_MARK}");
        let token = format!("tmp-token-1-{TOKEN_MARK}");
        let error = |code: &str, message: &str| {
            json_reply(
                200,
                json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "teo-err"}}),
            )
        };
        if let Err(message) = verify_tc3(request, "teo", &[("tmp-id-1", &key)]) {
            return error("AuthFailure.SignatureFailure", &message);
        }
        if request.header("X-TC-Token") != Some(token.as_str()) {
            return error("AuthFailure.TokenFailure", "token missing or wrong");
        }
        json_reply(
            200,
            json!({"Response": {"TotalCount": 0, "Zones": [], "RequestId": "teo-1"}}),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_signs_with_assumed_role_credentials() {
    let sts = Server::start().await;
    let teo = start_teo();
    let client = Client::builder(assume_role(&sts))
        .endpoint(teo.url())
        .build()
        .unwrap();
    for _ in 0..2 {
        let response = client.call("DescribeZones", json!({})).await.unwrap();
        assert_eq!(response["TotalCount"], 0);
    }
    // One AssumeRole for both calls; both calls signed with its credentials.
    assert_eq!(sts.received().len(), 1);
    let received = teo.requests();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert!(request
            .header("Authorization")
            .unwrap()
            .starts_with("TC3-HMAC-SHA256 Credential=tmp-id-1/"));
    }
    assert_redacted(&format!("{client:?}"));
}

// ---------------------------------------------------------------------------------------------
// Oversized answers from the metadata service and STS
// ---------------------------------------------------------------------------------------------

/// A server on 127.0.0.1 answering every request with 200 and a JSON body that never ends
/// (chunked) or, with `announce`, a `Content-Length` of that many bytes; counts connections.
fn start_endless_server(announce: Option<u64>) -> TestServer {
    TestServer::responding(move |_| {
        Answer::status(200)
            .header("Content-Type", "application/json")
            .endless(announce, 16 << 10, b' ')
    })
}

/// The metadata service streaming without end: the provider stops at its 64 KiB default, says
/// so in a typed error naming the limit, and does not ask again (the retry loop would).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_metadata_answer_stops_at_the_limit() {
    let server = start_endless_server(None);
    let url = server.url();
    let err = InstanceRoleProvider::builder()
        .endpoint(url)
        .role(ROLE)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    let CredentialsError::TooLarge {
        source_name,
        what,
        limit,
    } = &err
    else {
        panic!("expected TooLarge, got {err:?}");
    };
    assert_eq!(*source_name, "instance role");
    assert_eq!(*limit, 64 << 10);
    assert_eq!(
        *limit,
        tc_runtime::credentials::DEFAULT_METADATA_MAX_RESPONSE_SIZE
    );
    // 64 KiB and at most one more 16 KiB chunk of the server's.
    let read: u64 = what
        .split("stopped after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no byte count in {what}"));
    assert!(read > 64 << 10 && read <= 80 << 10, "read {read}");
    assert!(
        err.to_string().starts_with(&format!(
            "instance role: the answer of {url}/latest/meta-data/"
        )),
        "{err}"
    );
    assert_eq!(server.connections(), 1, "not retried");

    // The limit is the builder's to set.
    let err = InstanceRoleProvider::builder()
        .endpoint(url)
        .role(ROLE)
        .max_response_size(1000)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::TooLarge { limit: 1000, .. }),
        "{err:?}"
    );
}

/// STS announcing a 1 GiB answer: refused before reading, typed, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_sts_answer_is_refused_before_reading() {
    let server = start_endless_server(Some(1 << 30));
    let url = server.url();
    let base = Credentials::new(BASE_ID, BASE_KEY);
    let err = AssumeRoleProvider::builder(Arc::new(base), ROLE_ARN, "s")
        .endpoint(url)
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    match &err {
        CredentialsError::TooLarge {
            source_name, limit, ..
        } => {
            assert_eq!(*source_name, "assume role");
            assert_eq!(
                *limit,
                tc_runtime::credentials::DEFAULT_STS_MAX_RESPONSE_SIZE
            );
            assert_eq!(*limit, 64 << 10);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "assume role: STS's AssumeRole answer is larger than the limit of 65536 bytes"
    );
    assert_eq!(server.connections(), 1, "not retried");
}

// ---------------------------------------------------------------------------------------------
// The default chain stops at a misconfigured source
// ---------------------------------------------------------------------------------------------

/// Each misconfiguration stops the default chain with an error naming its source, although the
/// metadata service further down would answer: measured by the requests it received (none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_stops_at_a_misconfigured_source_instead_of_signing_as_another() {
    let server = Server::start().await;
    let home = TempDir::new();
    let home_dir = home.str();
    let elsewhere = home.path().join("no-such-file");
    let elsewhere = elsewhere.to_str().unwrap();

    // Sanity: with nothing configured, the chain reaches the metadata service.
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&[("HOME", &home_dir)]))
        .metadata_endpoint(&server.url)
        .build();
    assert_eq!(
        chain.provide_credentials().await.unwrap().secret_id(),
        "cvm-id-1"
    );
    let reached = server.received().len();

    // (extra variables, the source that stops the chain, part of its reason)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("TENCENTCLOUD_SECRET_ID", "AKIDhalf")],
            "environment",
            "TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not",
        ),
        (
            vec![
                ("TENCENTCLOUD_SECRET_ID", "AKIDhalf"),
                ("TENCENTCLOUD_SECRET_KEY", ""),
            ],
            "environment",
            "TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not",
        ),
        (
            vec![("TENCENTCLOUD_SESSION_TOKEN", "tok-PLUGH")],
            "environment",
            "TENCENTCLOUD_SESSION_TOKEN is set but",
        ),
        (
            vec![("TENCENTCLOUD_PROFILE", "prod")],
            "profile file",
            "not found (named by TENCENTCLOUD_PROFILE)",
        ),
        (
            vec![("TENCENTCLOUD_CREDENTIALS_FILE", elsewhere)],
            "profile file",
            "no-such-file: not found (named by TENCENTCLOUD_CREDENTIALS_FILE)",
        ),
        (
            vec![("TKE_REGION", "ap-shanghai")],
            "tke oidc",
            "are not set",
        ),
    ];
    for (extra, source, reason) in cases {
        let mut all = vec![("HOME", home_dir.as_str())];
        all.extend(extra.iter().copied());
        let chain = DefaultCredentialsChain::builder()
            .vars(vars(&all))
            .metadata_endpoint(&server.url)
            .build();
        let err = chain.provide_credentials().await.unwrap_err();
        assert!(
            matches!(err, CredentialsError::Invalid { source_name, .. } if source_name == source),
            "{extra:?}: expected Invalid from {source}, got {err:?}"
        );
        let text = err.to_string();
        assert!(text.starts_with(&format!("{source}: ")), "{text}");
        assert!(text.contains(reason), "{extra:?}: {text}");
        assert_redacted(&format!("{err} {err:?}"));
    }

    // A malformed profile file in the default place, and one that is not a file at all.
    home.write(
        ".tencentcloud/credentials",
        "[default]\nsecret_id = AKIDx\nsecret_key\n",
    );
    let chain = DefaultCredentialsChain::builder()
        .vars(vars(&[("HOME", &home_dir)]))
        .metadata_endpoint(&server.url)
        .build();
    let err = chain.provide_credentials().await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with("line 3 of profile [default] is not `key = value`"),
        "{err}"
    );
    std::fs::remove_file(home.path().join(".tencentcloud/credentials")).unwrap();
    std::fs::create_dir(home.path().join(".tencentcloud/credentials")).unwrap();
    let err = chain.provide_credentials().await.unwrap_err();
    assert!(
        matches!(&err, CredentialsError::Invalid { source_name: "profile file", reason } if reason.ends_with("not a regular file")),
        "{err:?}"
    );

    assert_eq!(
        server.received().len(),
        reached,
        "no misconfiguration fell through to the metadata service"
    );
}

// ---------------------------------------------------------------------------------------------
// Credential files: bounded, off the runtime, checked for their mode
// ---------------------------------------------------------------------------------------------

/// A profile file of exactly 64 KiB is read; one byte more is `TooLarge` naming the path and
/// the limit; `/dev/zero` (endless) and a FIFO (whose open would block) are refused as not
/// regular files, within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_files_are_bounded() {
    let dir = TempDir::new();
    let profile = "[default]\nsecret_id = AKIDbig\nsecret_key = big-key-XYZZY\n";
    let mut text = profile.to_owned();
    while text.len() < 64 * 1024 {
        text.push_str(&"#".repeat((64 * 1024 - text.len()).min(99)));
        text.push('\n');
    }
    text.truncate(64 * 1024 - 1);
    text.push('\n');
    assert_eq!(text.len(), 65_536);
    let exact = dir.write("exact", &text);
    let c = ProfileFileProvider::from_vars(vars(&[]))
        .with_path(&exact)
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(c.secret_id(), "AKIDbig");

    text.push('\n');
    let over = dir.write("over", &text);
    let err = ProfileFileProvider::from_vars(vars(&[]))
        .with_path(&over)
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::TooLarge { limit: 65_536, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "profile file: {} is larger than the limit of 65536 bytes",
            over.display()
        )
    );
    assert_redacted(&format!("{err} {err:?}"));

    // The web identity token file too.
    let token = dir.write("token", &"t".repeat(65_537));
    let err = WebIdentityProvider::builder()
        .vars(tke_vars(&token))
        .build()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CredentialsError::TooLarge {
                source_name: "tke oidc",
                limit: 65_536,
                ..
            }
        ),
        "{err:?}"
    );

    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [Path::new("/dev/zero"), fifo.as_path()] {
        let started = Instant::now();
        let err = tokio::time::timeout(
            Duration::from_secs(5),
            ProfileFileProvider::from_vars(vars(&[]))
                .with_path(path)
                .provide_credentials(),
        )
        .await
        .expect("no hang")
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("profile file: {}: not a regular file", path.display())
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

/// A profile file readable by group or others is used, with a warning naming the path and the
/// mode; a 0600 file gets none. Neither warning shows a secret.
#[cfg(unix)]
#[tokio::test(flavor = "current_thread")]
async fn group_or_world_readable_profile_file_is_warned_about() {
    if !tc_test_support::alone(
        "credentials_providers::group_or_world_readable_profile_file_is_warned_about",
    ) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let file = dir.write("credentials", PROFILES);
    let (captured, _guard) = Captured::warnings();
    let logs = || captured.text();

    for (mode, warned) in [(0o644, true), (0o640, true), (0o600, false), (0o400, false)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        captured.0.lock().unwrap().clear();
        let c = ProfileFileProvider::from_vars(vars(&[]))
            .with_path(&file)
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(c.secret_id(), "AKIDdefault");
        let logs = logs();
        assert_eq!(
            logs.contains("accessible to group or others"),
            warned,
            "mode {mode:o}: {logs}"
        );
        if warned {
            assert!(logs.contains(&file.display().to_string()), "{logs}");
            assert!(logs.contains(&format!("mode={mode:o}")), "{logs}");
        }
        assert_redacted(&logs);
    }
}
