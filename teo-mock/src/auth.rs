//! TC3-HMAC-SHA256 verification, recomputed from the request as received: the Host and
//! Content-Type headers verbatim (tccli sends the whole endpoint URL as Host), the exact body
//! bytes, the raw query string of a GET.
//!
//! The host is the one part the official clients sign differently: the Python SDK signs the
//! Host header as sent, tccli the whole endpoint URL it sends as Host, and the Node.js SDK the
//! host **without its port** while sending `Host: name:port`. A signature is accepted for the
//! Host header as received, or for that host without its port. It stays a real check: the
//! method, the query, the content type, every byte of the body, the timestamp, the scope and
//! the secret key are verified byte for byte; only `:port` may be left out of what was signed.
//!
//! The older signatures, HmacSHA1 and HmacSHA256 ("v1", the Node.js SDK's default), are
//! verified by [`verify_v1`] over the string [`v1_string_to_sign`] builds, with the same rule
//! for the host.
//!
//! Signatures and session tokens are compared in constant time ([`secrets_equal`]): the mock is
//! offered as a reference verifier, and one comparing with `==` would answer a forged signature
//! a little later the more of its leading bytes are right.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;
use tc_sign::{self as signing, SigningInput};

use crate::error::{codes, ApiError};

/// How far `X-TC-Timestamp` may be from the server's clock, as on the real endpoint.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;
const ALGORITHM: &str = "TC3-HMAC-SHA256";
const SERVICE: &str = "teo";

/// A SecretId / SecretKey pair the mock accepts, with the session token it requires if any.
/// `Debug` shows the SecretId only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// The SecretId requests name (`AKID…`).
    pub secret_id: String,
    /// The SecretKey their signatures are checked with.
    pub secret_key: String,
    /// The session token requests must send (`X-TC-Token`, or `Token` in v1 requests); `None`:
    /// no token is checked.
    pub token: Option<String>,
}

impl Credential {
    /// A key pair that needs no session token.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Credential {
        Credential {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
        }
    }

    /// The same pair, accepted only with this session token (as temporary credentials are).
    pub fn with_token(mut self, token: impl Into<String>) -> Credential {
        self.token = Some(token.into());
        self
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("secret_id", &self.secret_id)
            .finish_non_exhaustive()
    }
}

/// The parts of `Authorization: TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
/// SignedHeaders=content-type;host, Signature=<hex>`.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    secret_id: &'a str,
    date: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let parsed = Authorization {
        secret_id: scope.next()?,
        date: scope.next()?,
        service: scope.next()?,
        signed_headers: signed_headers?,
        signature: signature?,
    };
    (scope.next() == Some("tc3_request") && scope.next().is_none()).then_some(parsed)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the signature of a request (`method` POST or GET, `query` the raw query string,
/// `body` the exact bytes received) against the `known` credentials at unix time `now`.
pub fn verify(
    known: &[Credential],
    method: &str,
    headers: &HeaderMap,
    query: &str,
    body: &[u8],
    now: i64,
) -> Result<(), ApiError> {
    let invalid = |message: &str| ApiError::new(codes::INVALID_AUTHORIZATION, message);
    let value = header(headers, "authorization")
        .ok_or_else(|| invalid("The Authorization header is missing."))?;
    let auth = parse_authorization(value).ok_or_else(|| {
        invalid("The Authorization header is not `TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.")
    })?;
    if auth.signed_headers != "content-type;host" {
        return Err(invalid("SignedHeaders must be `content-type;host`."));
    }
    let timestamp: i64 = header(headers, "x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| invalid("X-TC-Timestamp is missing or not a unix time."))?;
    // `abs_diff`: any i64 a client sends (even i64::MIN) compares without overflow.
    if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECONDS.unsigned_abs() {
        return Err(ApiError::new(
            codes::SIGNATURE_EXPIRE,
            format!("The signature expired: X-TC-Timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECONDS} s from the server time {now}."),
        ));
    }
    let credential = known
        .iter()
        .find(|c| c.secret_id == auth.secret_id)
        .ok_or_else(|| {
            ApiError::new(
                codes::SECRET_ID_NOT_FOUND,
                format!("The SecretId {} is not found.", auth.secret_id),
            )
        })?;

    let unsigned_payload = header(headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD");
    let input = SigningInput {
        service: SERVICE,
        method,
        host: header(headers, "host").unwrap_or(""),
        content_type: header(headers, "content-type").unwrap_or(""),
        query,
        payload: body,
        unsigned_payload,
        timestamp,
    };
    let expected = signing::sign(&credential.secret_id, &credential.secret_key, &input)
        .map_err(|e| invalid(&format!("X-TC-Timestamp: {e}")))?;
    // The Node.js SDK's way: the same request signed with the host without its port.
    let without_port = without_port(input.host)
        .map(|host| {
            let input = SigningInput { host, ..input };
            signing::sign(&credential.secret_id, &credential.secret_key, &input)
                .map(|signed| signed.signature().to_owned())
        })
        .transpose()
        .map_err(|e| invalid(&format!("X-TC-Timestamp: {e}")))?;
    let failure = |why: &str| {
        ApiError::new(
            codes::SIGNATURE_FAILURE,
            format!("The provided credentials could not be validated: {why}."),
        )
    };
    if auth.service != SERVICE {
        return Err(failure(&format!(
            "the credential scope names service `{}`, not `{SERVICE}`",
            auth.service
        )));
    }
    if auth.date != expected.date() {
        return Err(failure(&format!(
            "the credential date {} is not the UTC date of X-TC-Timestamp",
            auth.date
        )));
    }
    // `|`, not `||`: both signatures are compared whatever the first comparison says.
    let signed = secrets_equal(auth.signature, expected.signature())
        | without_port
            .as_deref()
            .is_some_and(|signature| secrets_equal(auth.signature, signature));
    if !signed {
        return Err(failure("the signature does not match the request"));
    }
    match (&credential.token, header(headers, "x-tc-token")) {
        (Some(required), Some(sent)) if secrets_equal(required, sent) => Ok(()),
        (Some(_), _) => Err(ApiError::new(
            codes::TOKEN_FAILURE,
            "The X-TC-Token is missing or invalid.",
        )),
        (None, _) => Ok(()),
    }
}

/// Whether two secret-derived strings (a signature and the one expected, a session token and
/// the one required) are equal, in a time that depends on their lengths but not on where they
/// first differ. The lengths are no secret: a TC3 signature is 64 hex digits, a v1 one the
/// base64 of a fixed-size MAC.
pub fn secrets_equal(sent: &str, expected: &str) -> bool {
    sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The string a v1 signature signs: the method, the host, the path, `?`, then every parameter
/// but `Signature` as `name=value` (decoded, not re-encoded), sorted by name and joined by `&`:
/// `GETteo.tencentcloudapi.com/?Action=DescribeZones&Nonce=…&SecretId=…&SignatureMethod=HmacSHA256&Timestamp=…&Version=2022-09-01`.
pub fn v1_string_to_sign(
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
) -> String {
    let mut pairs: Vec<&(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut text = format!("{method}{host}{path}?");
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            text.push('&');
        }
        text.push_str(name);
        text.push('=');
        text.push_str(value);
    }
    text
}

/// The v1 signature of `text` with `secret_key`: base64 of HMAC-SHA1 or HMAC-SHA256.
pub fn v1_sign(method: V1Method, secret_key: &str, text: &str) -> String {
    let engine = &base64::engine::general_purpose::STANDARD;
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    match method {
        V1Method::HmacSha1 => Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
            .map(|mac| engine.encode(mac.chain_update(text).finalize().into_bytes()))
            .unwrap_or_default(),
        V1Method::HmacSha256 => Hmac::<sha2::Sha256>::new_from_slice(secret_key.as_bytes())
            .map(|mac| engine.encode(mac.chain_update(text).finalize().into_bytes()))
            .unwrap_or_default(),
    }
}

/// `SignatureMethod` of a v1 request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum V1Method {
    /// `HmacSHA1`: the signature is an HMAC-SHA1 of the string to sign, in Base64.
    HmacSha1,
    /// `HmacSHA256`: the signature is an HMAC-SHA256 of the string to sign, in Base64.
    HmacSha256,
}

/// The (SecretId, Timestamp, Nonce) of v1 requests already accepted, for as long as their
/// Timestamp is inside the window: the same three again are a replay. Bounded: beyond
/// [`Replays::CAPACITY`] entries the oldest are forgotten first.
#[derive(Debug, Default)]
pub struct Replays {
    /// The requests seen, and the same in the order they came (oldest first).
    seen: Mutex<(HashSet<Seen>, VecDeque<Seen>)>,
}

/// SecretId, Timestamp, Nonce.
type Seen = (String, i64, u64);

impl Replays {
    /// Requests remembered at most; beyond it the oldest are forgotten first.
    pub const CAPACITY: usize = 100_000;

    /// Records the request; false when it was seen already.
    fn first_time(&self, secret_id: &str, timestamp: i64, nonce: u64, now: i64) -> bool {
        let mut guard = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        while let Some(oldest) = order.front() {
            let expired = now.abs_diff(oldest.1) > MAX_CLOCK_SKEW_SECONDS.unsigned_abs();
            if !expired && order.len() < Self::CAPACITY {
                break;
            }
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        let key = (secret_id.to_owned(), timestamp, nonce);
        if !set.insert(key.clone()) {
            return false;
        }
        order.push_back(key);
        true
    }
}

/// Checks a v1 request: its common parameters (`SecretId`, `Timestamp`, `Nonce`,
/// `SignatureMethod` (HmacSHA1 when absent), `Signature`, `Token`) among `params`, the
/// signature over [`v1_string_to_sign`] with `host` as received or without its port, the
/// Timestamp window and the Nonce (once per SecretId and Timestamp).
pub fn verify_v1(
    known: &[Credential],
    replays: &Replays,
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
    now: i64,
) -> Result<(), ApiError> {
    let get = |name: &str| crate::form::param(params, name);
    let invalid = |message: String| ApiError::new(codes::INVALID_AUTHORIZATION, message);
    let signature = get("Signature").ok_or_else(|| {
        invalid("The request has no Authorization header (TC3-HMAC-SHA256) and no Signature parameter (HmacSHA1, HmacSHA256).".to_owned())
    })?;
    let secret_id = get("SecretId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| missing("SecretId"))?;
    let sign_method = match get("SignatureMethod") {
        None | Some("HmacSHA1") => V1Method::HmacSha1,
        Some("HmacSHA256") => V1Method::HmacSha256,
        Some(other) => {
            return Err(invalid(format!(
                "SignatureMethod `{}` is not HmacSHA1 or HmacSHA256 (TC3-HMAC-SHA256 signs with the Authorization header).",
                other.chars().take(40).collect::<String>()
            )))
        }
    };
    let timestamp: i64 = number(get("Timestamp"), "Timestamp")?;
    let nonce: u64 = number(get("Nonce"), "Nonce")?;
    if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECONDS.unsigned_abs() {
        return Err(ApiError::new(
            codes::SIGNATURE_EXPIRE,
            format!("The signature expired: Timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECONDS} s from the server time {now}."),
        ));
    }
    let credential = known
        .iter()
        .find(|c| c.secret_id == secret_id)
        .ok_or_else(|| {
            ApiError::new(
                codes::SECRET_ID_NOT_FOUND,
                format!("The SecretId {secret_id} is not found."),
            )
        })?;
    let matches = |host: &str| {
        let text = v1_string_to_sign(method, host, path, params);
        secrets_equal(
            &v1_sign(sign_method, &credential.secret_key, &text),
            signature,
        )
    };
    if !(matches(host) | without_port(host).is_some_and(matches)) {
        return Err(ApiError::new(
            codes::SIGNATURE_FAILURE,
            "The provided credentials could not be validated: the signature does not match the request.",
        ));
    }
    match (&credential.token, get("Token")) {
        (Some(required), Some(sent)) if secrets_equal(required, sent) => {}
        (Some(_), _) => {
            return Err(ApiError::new(
                codes::TOKEN_FAILURE,
                "The Token is missing or invalid.",
            ))
        }
        (None, _) => {}
    }
    if !replays.first_time(secret_id, timestamp, nonce, now) {
        return Err(ApiError::new(
            codes::SIGNATURE_FAILURE,
            format!("The provided credentials could not be validated: Nonce {nonce} was already used with Timestamp {timestamp} (a replayed request)."),
        ));
    }
    Ok(())
}

fn missing(name: &str) -> ApiError {
    ApiError::new(
        codes::MISSING_PARAMETER,
        format!("The parameter `{name}` is missing."),
    )
}

/// A common parameter that must be a number.
fn number<T: std::str::FromStr>(text: Option<&str>, name: &str) -> Result<T, ApiError> {
    let text = text.ok_or_else(|| missing(name))?;
    text.parse().map_err(|_| {
        ApiError::new(
            codes::INVALID_PARAMETER,
            format!(
                "The parameter `{name}` must be a non-negative integer, got {:?}.",
                text.chars().take(40).collect::<String>()
            ),
        )
    })
}

/// `host` without a trailing `:port` (`name:8080` → `name`, `[::1]:8080` → `[::1]`), when it
/// has one; a URL (tccli's Host) is left alone.
fn without_port(host: &str) -> Option<&str> {
    if host.contains("://") {
        return None;
    }
    let (name, port) = host.rsplit_once(':')?;
    let bracketed = name.starts_with('[') && name.ends_with(']');
    let plain = !name.contains(':');
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && (bracketed || plain))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn secrets_are_compared_whole() {
        let signature = "2a7c7dd7bd2c0d6c2b2e0b6a8d1b9c3f0e8f5a4d6b7c8e9f0a1b2c3d4e5f6a7b";
        assert!(secrets_equal(signature, signature));
        assert!(secrets_equal("", ""));
        // Differing first, last, or in the middle.
        for at in [0, 31, 63] {
            let mut forged = signature.as_bytes().to_vec();
            forged[at] = if forged[at] == b'0' { b'1' } else { b'0' };
            let forged = String::from_utf8(forged).unwrap();
            assert!(!secrets_equal(&forged, signature), "differs at {at}");
        }
        // A prefix, an extension, or nothing is not the secret.
        assert!(!secrets_equal(&signature[..63], signature));
        assert!(!secrets_equal(&format!("{signature}0"), signature));
        assert!(!secrets_equal("", signature));
        assert!(!secrets_equal(signature, ""));
        // Case matters: a signature is lowercase hex.
        assert!(!secrets_equal(&signature.to_uppercase(), signature));
    }

    const ID: &str = "AKIDMOCKTEST";
    const KEY: &str = "mock-key";
    const NOW: i64 = 1_735_689_600;
    const BODY: &[u8] = br#"{"ZoneIds":["zone-1"]}"#;

    fn signed(id: &str, key: &str, host: &str, timestamp: i64) -> HeaderMap {
        let input = SigningInput {
            service: "teo",
            method: "POST",
            host,
            content_type: "application/json",
            query: "",
            payload: BODY,
            unsigned_payload: false,
            timestamp,
        };
        let signature = signing::sign(id, key, &input).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(host).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-tc-timestamp", HeaderValue::from(timestamp));
        headers.insert(
            "authorization",
            HeaderValue::from_str(signature.authorization()).unwrap(),
        );
        headers
    }

    fn check(headers: &HeaderMap, body: &[u8]) -> Result<(), &'static str> {
        let known = [
            Credential::new(ID, KEY),
            Credential::new("AKIDTOKEN", KEY).with_token("tok"),
        ];
        verify(&known, "POST", headers, "", body, NOW).map_err(|e| e.code)
    }

    /// The Node.js SDK signs `teo.example` and sends `Host: teo.example:8080`: accepted; a
    /// signature for another host, or for the right host with another key or body, is not.
    #[test]
    fn the_host_may_be_signed_without_its_port() {
        let mut headers = signed(ID, KEY, "teo.example", NOW);
        headers.insert("host", HeaderValue::from_static("teo.example:8080"));
        assert_eq!(check(&headers, BODY), Ok(()));
        let mut headers = signed(ID, KEY, "[::1]", NOW);
        headers.insert("host", HeaderValue::from_static("[::1]:8080"));
        assert_eq!(check(&headers, BODY), Ok(()));

        let mut other = signed(ID, KEY, "other.example", NOW);
        other.insert("host", HeaderValue::from_static("teo.example:8080"));
        assert_eq!(check(&other, BODY), Err(codes::SIGNATURE_FAILURE));
        let mut wrong_key = signed(ID, "not-the-key", "teo.example", NOW);
        wrong_key.insert("host", HeaderValue::from_static("teo.example:8080"));
        assert_eq!(check(&wrong_key, BODY), Err(codes::SIGNATURE_FAILURE));
        let mut headers = signed(ID, KEY, "teo.example", NOW);
        headers.insert("host", HeaderValue::from_static("teo.example:8080"));
        assert_eq!(
            check(&headers, br#"{"ZoneIds":["zone-2"]}"#),
            Err(codes::SIGNATURE_FAILURE)
        );
        // A port signed but not sent is no port left out: refused.
        let mut headers = signed(ID, KEY, "teo.example:8080", NOW);
        headers.insert("host", HeaderValue::from_static("teo.example"));
        assert_eq!(check(&headers, BODY), Err(codes::SIGNATURE_FAILURE));
    }

    #[test]
    fn ports_are_told_from_names() {
        assert_eq!(without_port("teo.example:8080"), Some("teo.example"));
        assert_eq!(without_port("127.0.0.1:1"), Some("127.0.0.1"));
        assert_eq!(without_port("[::1]:8080"), Some("[::1]"));
        assert_eq!(without_port("teo.example"), None);
        assert_eq!(without_port("[::1]"), None);
        assert_eq!(without_port("::1"), None);
        assert_eq!(without_port("teo.example:"), None);
        assert_eq!(without_port("teo.example:80a"), None);
        assert_eq!(without_port("http://127.0.0.1:8080"), None);
    }

    #[test]
    fn a_correct_signature_passes_whatever_the_host_says() {
        assert_eq!(check(&signed(ID, KEY, "127.0.0.1:8080", NOW), BODY), Ok(()));
        // tccli signs and sends the whole endpoint URL as Host.
        assert_eq!(
            check(&signed(ID, KEY, "http://127.0.0.1:8080", NOW), BODY),
            Ok(())
        );
    }

    #[test]
    fn each_failure_has_its_code() {
        let good = signed(ID, KEY, "h", NOW);
        assert_eq!(check(&good, b"{}"), Err(codes::SIGNATURE_FAILURE));
        assert_eq!(
            check(&signed(ID, "wrong", "h", NOW), BODY),
            Err(codes::SIGNATURE_FAILURE)
        );
        assert_eq!(
            check(&signed("AKIDOTHER", KEY, "h", NOW), BODY),
            Err(codes::SECRET_ID_NOT_FOUND)
        );
        assert_eq!(
            check(&signed(ID, KEY, "h", NOW - 301), BODY),
            Err(codes::SIGNATURE_EXPIRE)
        );
        assert_eq!(check(&signed(ID, KEY, "h", NOW + 299), BODY), Ok(()));
        assert_eq!(
            check(&signed("AKIDTOKEN", KEY, "h", NOW), BODY),
            Err(codes::TOKEN_FAILURE)
        );
        let mut with_token = signed("AKIDTOKEN", KEY, "h", NOW);
        with_token.insert("x-tc-token", HeaderValue::from_static("tok"));
        assert_eq!(check(&with_token, BODY), Ok(()));

        let mut missing = good.clone();
        missing.remove("authorization");
        assert_eq!(check(&missing, BODY), Err(codes::INVALID_AUTHORIZATION));
        let mut malformed = good.clone();
        malformed.insert(
            "authorization",
            HeaderValue::from_static("TC3-HMAC-SHA256 Credential=x"),
        );
        assert_eq!(check(&malformed, BODY), Err(codes::INVALID_AUTHORIZATION));
        let mut moved = good;
        moved.insert("host", HeaderValue::from_static("other"));
        assert_eq!(check(&moved, BODY), Err(codes::SIGNATURE_FAILURE));
    }

    #[test]
    fn authorization_parsing() {
        let parsed = parse_authorization(
            "TC3-HMAC-SHA256 Credential=AKID/2025-01-01/teo/tc3_request, SignedHeaders=content-type;host, Signature=ab",
        );
        assert_eq!(
            parsed,
            Some(Authorization {
                secret_id: "AKID",
                date: "2025-01-01",
                service: "teo",
                signed_headers: "content-type;host",
                signature: "ab"
            })
        );
        assert_eq!(parse_authorization("Basic abc"), None);
        assert_eq!(parse_authorization("TC3-HMAC-SHA256 Credential=AKID/2025-01-01/teo/other, SignedHeaders=a, Signature=b"), None);
    }

    /// The worked example: the string the official Python SDK signs for a v1 GET, and the
    /// signatures its `Sign.sign` gives (computed with tencentcloud-sdk-python 3.1.193).
    const V1_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
    const V1_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    const V1_TEXT: &str = "GETteo.tencentcloudapi.com/?Action=DownloadL4Logs&EndTime=2024-05-01T03:00:00+08:00&Limit=300&Nonce=11886&Region=ap-singapore&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA256&StartTime=2024-05-01T00:00:00+08:00&Timestamp=1714500000&Version=2022-09-01&ZoneIds.0=zone-2o3h21ed8bpu";
    const V1_SHA256: &str = "6z3MIi3p9x9zvl7mcYHZZZW1g+ubAReJgWV4ylEkD9w=";
    const V1_SHA1: &str = "2Dyv15hos+atfuVRw4wVlckHJYE=";

    fn v1_params(method: &str, signature: Option<&str>) -> Vec<(String, String)> {
        // In the order a client might send them: the string to sign sorts them.
        let mut params: Vec<(String, String)> = [
            ("ZoneIds.0", "zone-2o3h21ed8bpu"),
            ("Timestamp", "1714500000"),
            ("Action", "DownloadL4Logs"),
            ("Limit", "300"),
            ("StartTime", "2024-05-01T00:00:00+08:00"),
            ("EndTime", "2024-05-01T03:00:00+08:00"),
            ("Nonce", "11886"),
            ("Version", "2022-09-01"),
            ("Region", "ap-singapore"),
            ("SecretId", V1_ID),
            ("SignatureMethod", method),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        if let Some(signature) = signature {
            params.push(("Signature".to_owned(), signature.to_owned()));
        }
        params
    }

    #[test]
    fn the_v1_string_to_sign_and_signatures_match_the_python_sdk() {
        let params = v1_params("HmacSHA256", Some(V1_SHA256));
        assert_eq!(
            v1_string_to_sign("GET", "teo.tencentcloudapi.com", "/", &params),
            V1_TEXT
        );
        assert_eq!(v1_sign(V1Method::HmacSha256, V1_KEY, V1_TEXT), V1_SHA256);
        assert_eq!(v1_sign(V1Method::HmacSha1, V1_KEY, V1_TEXT), V1_SHA1);
    }

    #[test]
    fn v1_requests_verify_and_fail_with_their_codes() {
        let known = [Credential::new(V1_ID, V1_KEY)];
        let now = 1_714_500_000 + 100;
        let host = "teo.tencentcloudapi.com";
        let check = |params: &[(String, String)], host: &str, replays: &Replays| {
            verify_v1(&known, replays, "GET", host, "/", params, now).map_err(|e| e.code)
        };
        let good = v1_params("HmacSHA256", Some(V1_SHA256));
        assert_eq!(check(&good, host, &Replays::default()), Ok(()));
        // Sent with a port the client did not sign (the host without it is tried).
        assert_eq!(
            check(&good, "teo.tencentcloudapi.com:8443", &Replays::default()),
            Ok(())
        );
        // The same request again is a replay.
        let replays = Replays::default();
        assert_eq!(check(&good, host, &replays), Ok(()));
        assert_eq!(check(&good, host, &replays), Err(codes::SIGNATURE_FAILURE));

        // HmacSHA1 signs the same text (its SignatureMethod differs, so it is re-signed here).
        let mut sha1 = v1_params("HmacSHA1", None);
        let text = v1_string_to_sign("GET", host, "/", &sha1);
        sha1.push((
            "Signature".into(),
            v1_sign(V1Method::HmacSha1, V1_KEY, &text),
        ));
        assert_eq!(check(&sha1, host, &Replays::default()), Ok(()));

        let fresh = Replays::default;
        // Another host, another parameter value, another method's signature: refused.
        assert_eq!(
            check(&good, "other.example", &fresh()),
            Err(codes::SIGNATURE_FAILURE)
        );
        let mut changed = good.clone();
        changed[3].1 = "301".into();
        assert_eq!(
            check(&changed, host, &fresh()),
            Err(codes::SIGNATURE_FAILURE)
        );
        let wrong_method = v1_params("HmacSHA1", Some(V1_SHA256));
        assert_eq!(
            check(&wrong_method, host, &fresh()),
            Err(codes::SIGNATURE_FAILURE)
        );

        let without = |name: &str| -> Vec<(String, String)> {
            good.iter().filter(|(n, _)| n != name).cloned().collect()
        };
        assert_eq!(
            check(&without("Signature"), host, &fresh()),
            Err(codes::INVALID_AUTHORIZATION)
        );
        assert_eq!(
            check(&without("SecretId"), host, &fresh()),
            Err(codes::MISSING_PARAMETER)
        );
        assert_eq!(
            check(&without("Nonce"), host, &fresh()),
            Err(codes::MISSING_PARAMETER)
        );
        assert_eq!(
            check(&without("Timestamp"), host, &fresh()),
            Err(codes::MISSING_PARAMETER)
        );
        let mut odd = good.clone();
        odd[1].1 = "soon".into();
        assert_eq!(check(&odd, host, &fresh()), Err(codes::INVALID_PARAMETER));
        let mut method = good.clone();
        method[10].1 = "MD5".into();
        assert_eq!(
            check(&method, host, &fresh()),
            Err(codes::INVALID_AUTHORIZATION)
        );
        let stale =
            verify_v1(&known, &fresh(), "GET", host, "/", &good, now + 301).map_err(|e| e.code);
        assert_eq!(stale, Err(codes::SIGNATURE_EXPIRE));
        let other_id = [Credential::new("AKIDOTHER", V1_KEY)];
        let unknown =
            verify_v1(&other_id, &fresh(), "GET", host, "/", &good, now).map_err(|e| e.code);
        assert_eq!(unknown, Err(codes::SECRET_ID_NOT_FOUND));
        let with_token = [Credential::new(V1_ID, V1_KEY).with_token("tok")];
        let no_token =
            verify_v1(&with_token, &fresh(), "GET", host, "/", &good, now).map_err(|e| e.code);
        assert_eq!(no_token, Err(codes::TOKEN_FAILURE));
    }

    #[test]
    fn the_replay_memory_is_bounded_and_forgets_old_requests() {
        let replays = Replays::default();
        assert!(replays.first_time("id", 1000, 1, 1000));
        assert!(!replays.first_time("id", 1000, 1, 1000));
        assert!(replays.first_time("id", 1000, 2, 1000));
        assert!(replays.first_time("other", 1000, 1, 1000));
        // Out of the window, the entry is dropped (the Timestamp check refuses it anyway).
        assert!(replays.first_time("id", 2000, 9, 2000));
        assert_eq!(replays.seen.lock().unwrap().1.len(), 1);
        let replays = Replays::default();
        for nonce in 0..(Replays::CAPACITY as u64 + 10) {
            assert!(replays.first_time("id", 1000, nonce, 1000));
        }
        let seen = replays.seen.lock().unwrap();
        assert_eq!(seen.0.len(), Replays::CAPACITY);
        assert_eq!(seen.1.len(), Replays::CAPACITY);
    }
}
