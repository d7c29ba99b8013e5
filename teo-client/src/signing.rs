//! Tencent Cloud API 3.0 request signing (`TC3-HMAC-SHA256`).
//!
//! This module is a pure function of its inputs: it performs no I/O, reads no
//! clock and needs no client. [`sign`] takes the credentials and a
//! [`SigningInput`] describing the request exactly as it will be sent, and
//! returns the [`Signature`] whose [`authorization`](Signature::authorization)
//! value goes into the `Authorization` header.
//!
//! The output is byte-for-byte identical to the official Tencent Cloud SDKs:
//!
//! ```text
//! CanonicalRequest = Method "\n" "/" "\n" CanonicalQuery "\n"
//!                    "content-type:" ContentType "\n" "host:" Host "\n" "\n"
//!                    "content-type;host" "\n" hex(SHA256(Payload))
//! StringToSign     = "TC3-HMAC-SHA256" "\n" Timestamp "\n"
//!                    Date "/" Service "/tc3_request" "\n" hex(SHA256(CanonicalRequest))
//! SigningKey       = HMAC(HMAC(HMAC("TC3" SecretKey, Date), Service), "tc3_request")
//! Signature        = hex(HMAC(SigningKey, StringToSign))
//! ```
//!
//! where `Date` is the **UTC** calendar date of `Timestamp` (`YYYY-MM-DD`) and,
//! for requests sent with `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`, `Payload` is
//! the literal string `UNSIGNED-PAYLOAD` instead of the body.
//!
//! The caller must send the same `Host`, `Content-Type` and `X-TC-Timestamp`
//! values (and the same body bytes / query string) that were signed.

// Signing runs on every request with caller-supplied data: it must never panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use hmac::digest::Key;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// The signature algorithm name, first token of the `Authorization` header.
const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The only headers TC3 signs here, lowercased and `;`-joined.
const SIGNED_HEADERS: &str = "content-type;host";
/// Terminal component of the credential scope.
const TERMINATOR: &str = "tc3_request";
/// Stand-in for the body hash input when the payload is not signed.
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Everything about one HTTP request that TC3 signs.
///
/// All string values are used verbatim: pass them exactly as they appear on the
/// wire (no trimming, case folding or re-encoding is done here).
///
/// This type holds no secret material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningInput<'a> {
    /// Service name used in the credential scope, e.g. `"teo"`.
    pub service: &'a str,
    /// HTTP method, `"POST"` or `"GET"` (upper case, as sent).
    pub method: &'a str,
    /// `Host` header value exactly as sent, including any `:port`.
    pub host: &'a str,
    /// `Content-Type` header value exactly as sent.
    pub content_type: &'a str,
    /// Canonical query string, e.g. `"Limit=20&Offset=0"` (`""` for POST).
    pub query: &'a str,
    /// Exact body bytes sent (empty for GET). Ignored when
    /// [`unsigned_payload`](Self::unsigned_payload) is `true`.
    pub payload: &'a [u8],
    /// `true` when the request carries `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`;
    /// the body is then not covered by the signature.
    pub unsigned_payload: bool,
    /// `X-TC-Timestamp` value, in Unix seconds. Its UTC date becomes the
    /// credential-scope date.
    pub timestamp: i64,
}

/// The result of signing one request.
///
/// Holds no secret material (only the public `SecretId` appears, inside the
/// `Authorization` value), so it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    date: String,
    signature: String,
    authorization: String,
}

impl Signature {
    /// Credential-scope date: UTC date of the timestamp, `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The request signature as 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Complete `Authorization` header value:
    /// `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>`.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The timestamp is outside the range that can be turned into a UTC date.
    #[error("timestamp {timestamp} cannot be converted to a UTC date")]
    InvalidTimestamp {
        /// The offending `X-TC-Timestamp` value (Unix seconds).
        timestamp: i64,
        /// The underlying range error.
        #[source]
        source: time::error::ComponentRange,
    },
}

/// Signs one request with TC3-HMAC-SHA256.
///
/// `secret_id` and `secret_key` are the Tencent Cloud API credentials. The
/// secret key is used only to derive the HMAC key and is never stored in or
/// printed by the returned value.
///
/// # Errors
///
/// [`SigningError::InvalidTimestamp`] if `input.timestamp` has no UTC calendar
/// date (e.g. `i64::MAX`).
///
/// # Example
///
/// ```
/// use teo_client::signing::{sign, SigningInput};
///
/// let input = SigningInput {
///     service: "teo",
///     method: "GET",
///     host: "teo.ap-singapore.intl.tencentcloudapi.com",
///     content_type: "application/x-www-form-urlencoded",
///     query: "Limit=16&Offset=480",
///     payload: b"",
///     unsigned_payload: false,
///     timestamp: 1735689600, // 2025-01-01T00:00:00Z
/// };
/// let sig = sign(
///     "AKIDiK2ZWeqhFWCEPyYngFb51yBMWXaSCrUZ",
///     "oL8g5ubbbPIa84yRnBUbHoWC8FJowoRo",
///     &input,
/// )?;
///
/// assert_eq!(sig.date(), "2025-01-01");
/// assert_eq!(
///     sig.signature(),
///     "2d012b214b3ea81a84a2f9bc9bd8a02da73c37b26073139c24f5b875d5738040"
/// );
/// assert_eq!(
///     sig.authorization(),
///     "TC3-HMAC-SHA256 Credential=AKIDiK2ZWeqhFWCEPyYngFb51yBMWXaSCrUZ/2025-01-01/teo/tc3_request, \
///      SignedHeaders=content-type;host, \
///      Signature=2d012b214b3ea81a84a2f9bc9bd8a02da73c37b26073139c24f5b875d5738040"
/// );
/// # Ok::<(), teo_client::signing::SigningError>(())
/// ```
pub fn sign(
    secret_id: &str,
    secret_key: &str,
    input: &SigningInput<'_>,
) -> Result<Signature, SigningError> {
    let date = utc_date(input.timestamp)?;

    let hashed_payload = if input.unsigned_payload {
        sha256_hex(UNSIGNED_PAYLOAD.as_bytes())
    } else {
        sha256_hex(input.payload)
    };
    let canonical_request = format!(
        "{method}\n/\n{query}\ncontent-type:{content_type}\nhost:{host}\n\n{SIGNED_HEADERS}\n{hashed_payload}",
        method = input.method,
        query = input.query,
        content_type = input.content_type,
        host = input.host,
    );

    let credential_scope = format!("{date}/{service}/{TERMINATOR}", service = input.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{timestamp}\n{credential_scope}\n{hashed_request}",
        timestamp = input.timestamp,
        hashed_request = sha256_hex(canonical_request.as_bytes()),
    );

    let key = signing_key(secret_key, &date, input.service);
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={secret_id}/{credential_scope}, \
         SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    );

    Ok(Signature {
        date,
        signature,
        authorization,
    })
}

/// Derives the TC3 signing key for one (secret key, UTC date, service) triple.
///
/// The result depends only on these three values, so it can be cached and
/// reused for every request of the same service on the same UTC day. It is
/// secret material: never log it.
pub(crate) fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(3 + secret_key.len());
    k_secret.extend_from_slice(b"TC3");
    k_secret.extend_from_slice(secret_key.as_bytes());

    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// `HMAC-SHA256(key, msg)` for a key of any length.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as hmac::digest::KeyInit>::new(&hmac_block_key(key));
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Normalises an HMAC key of any length to one SHA-256 block (RFC 2104 §2):
/// keys longer than the block are replaced by their SHA-256 digest, then the
/// key is right-padded with zeros.
///
/// HMAC with the padded block key is, by definition, identical to HMAC with the
/// original key. Doing this ourselves lets us use the infallible
/// `KeyInit::new` instead of `new_from_slice`, whose `Result` can never be an
/// error for HMAC but would otherwise have to be unwrapped or threaded through.
fn hmac_block_key(key: &[u8]) -> Key<HmacSha256> {
    let mut block = Key::<HmacSha256>::default();
    let digest;
    let key = if key.len() > block.len() {
        digest = Sha256::digest(key);
        digest.as_slice()
    } else {
        key
    };
    for (dst, src) in block.iter_mut().zip(key) {
        *dst = *src;
    }
    block
}

/// Lowercase hex SHA-256 of `data`.
fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// UTC calendar date of a Unix timestamp, formatted `YYYY-MM-DD`.
fn utc_date(timestamp: i64) -> Result<String, SigningError> {
    let date = OffsetDateTime::from_unix_timestamp(timestamp)
        .map_err(|source| SigningError::InvalidTimestamp { timestamp, source })?
        .date();
    Ok(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(timestamp: i64) -> SigningInput<'static> {
        SigningInput {
            service: "teo",
            method: "POST",
            host: "teo.tencentcloudapi.com",
            content_type: "application/json",
            query: "",
            payload: br#"{"ZoneIds":["zone-1"]}"#,
            unsigned_payload: false,
            timestamp,
        }
    }

    const ID: &str = "AKIDexample";
    const KEY: &str = "secret-key-example";

    #[test]
    fn date_rolls_over_at_utc_midnight() {
        // 2024-12-31T23:59:59Z and 2025-01-01T00:00:00Z.
        let before = sign(ID, KEY, &input(1_735_689_599)).unwrap();
        let after = sign(ID, KEY, &input(1_735_689_600)).unwrap();
        assert_eq!(before.date(), "2024-12-31");
        assert_eq!(after.date(), "2025-01-01");
        assert!(before
            .authorization()
            .contains("/2024-12-31/teo/tc3_request,"));
        assert!(after
            .authorization()
            .contains("/2025-01-01/teo/tc3_request,"));
        assert_ne!(before.signature(), after.signature());
    }

    #[test]
    fn date_is_utc_not_local() {
        // 2024-12-31T16:00:00Z is already 2025-01-01 in UTC+8.
        assert_eq!(
            sign(ID, KEY, &input(1_735_660_800)).unwrap().date(),
            "2024-12-31"
        );
        assert_eq!(utc_date(0).unwrap(), "1970-01-01");
        assert_eq!(utc_date(-1).unwrap(), "1969-12-31");
    }

    #[test]
    fn unsigned_payload_changes_signature_and_ignores_body() {
        let signed = sign(ID, KEY, &input(1_735_689_600)).unwrap();
        let unsigned = sign(
            ID,
            KEY,
            &SigningInput {
                unsigned_payload: true,
                ..input(1_735_689_600)
            },
        )
        .unwrap();
        assert_ne!(signed.signature(), unsigned.signature());
        assert_eq!(signed.date(), unsigned.date());

        let other_body = sign(
            ID,
            KEY,
            &SigningInput {
                unsigned_payload: true,
                payload: b"something else entirely",
                ..input(1_735_689_600)
            },
        )
        .unwrap();
        assert_eq!(unsigned, other_body);
    }

    #[test]
    fn invalid_timestamp_is_an_error_not_a_panic() {
        for ts in [i64::MAX, i64::MIN] {
            match sign(ID, KEY, &input(ts)) {
                Err(SigningError::InvalidTimestamp { timestamp, .. }) => assert_eq!(timestamp, ts),
                other => panic!("expected InvalidTimestamp for {ts}, got {other:?}"),
            }
        }
    }

    #[test]
    fn signature_shape() {
        let sig = sign(ID, KEY, &input(1_735_689_600)).unwrap();
        assert_eq!(sig.signature().len(), 64);
        assert!(sig
            .signature()
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(
            sig.authorization(),
            format!(
                "TC3-HMAC-SHA256 Credential={ID}/2025-01-01/teo/tc3_request, \
                 SignedHeaders=content-type;host, Signature={}",
                sig.signature()
            )
        );
        // Debug output carries no secret.
        assert!(!format!("{sig:?}").contains(KEY));
    }

    #[test]
    fn block_key_hmac_matches_new_from_slice_for_all_key_lengths() {
        // Covers empty keys, keys shorter than, equal to and longer than the
        // 64-byte SHA-256 block (long secret keys are hashed first).
        for len in [0, 1, 32, 63, 64, 65, 128, 1000] {
            let key: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut reference = HmacSha256::new_from_slice(&key).unwrap();
            reference.update(b"message");
            let expected: [u8; 32] = reference.finalize().into_bytes().into();
            assert_eq!(hmac_sha256(&key, b"message"), expected, "key length {len}");
        }
    }

    #[test]
    fn rfc4231_test_case_2() {
        // HMAC-SHA256 known-answer test (RFC 4231 §4.3).
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
