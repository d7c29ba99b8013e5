//! Tencent Cloud API 3.0 request signing (`TC3-HMAC-SHA256`).
//!
//! This module is a pure function of its inputs: it performs no I/O, reads no
//! clock and needs no client. [`sign`] takes the credentials and a
//! [`SigningInput`] describing the request exactly as it will be sent, and
//! returns the [`Signature`] whose [`authorization`](Signature::authorization)
//! value goes into the `Authorization` header.
//!
//! # Algorithm
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
//!
//! # Performance
//!
//! `SigningKey` depends only on the secret key, the date and the service, so a
//! caller signing many requests can keep it in a [`SigningKeyCache`] and derive
//! it once a day instead of on every request ([`sign_with_cache`]); the
//! signatures are the same.
//!
//! The canonical request and the string to sign are fed to their hashes piece
//! by piece, never built as strings, and the intermediate hex digests live on
//! the stack: with a cached key, signing allocates only the returned
//! `Signature`.

#![warn(missing_docs)]
// Signing runs on every request with caller-supplied data: no indexing that could panic (the
// workspace lints already deny unwrap, expect and panic).
#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

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
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// The complete `Authorization` value; the date and the signature are
    /// slices of it, so a signature is one allocation.
    authorization: String,
    date: Range<usize>,
    signature: Range<usize>,
}

impl Signature {
    /// Credential-scope date: UTC date of the timestamp, `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        self.authorization
            .get(self.date.clone())
            .unwrap_or_default()
    }

    /// The request signature as 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        self.authorization
            .get(self.signature.clone())
            .unwrap_or_default()
    }

    /// Complete `Authorization` header value:
    /// `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<hex>`.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// Writes the `Authorization` value, noting where the date and the
    /// signature are.
    fn new(secret_id: &str, date: &UtcDate, service: &str, signature: &Hex) -> Signature {
        let (date, signature) = (date.as_str(), signature.as_str());
        // The fixed text, a 4-digit-year date and the signature take 160 bytes.
        let mut authorization = String::with_capacity(secret_id.len() + service.len() + 160);
        let mut push = |part: &str| -> Range<usize> {
            let start = authorization.len();
            authorization.push_str(part);
            start..authorization.len()
        };
        push(ALGORITHM);
        push(" Credential=");
        push(secret_id);
        push("/");
        let date = push(date);
        push("/");
        push(service);
        push("/");
        push(TERMINATOR);
        push(", SignedHeaders=");
        push(SIGNED_HEADERS);
        push(", Signature=");
        let signature = push(signature);
        Signature {
            authorization,
            date,
            signature,
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("date", &self.date())
            .field("signature", &self.signature())
            .field("authorization", &self.authorization())
            .finish()
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
/// This derives the signing key afresh (four HMACs); to sign many requests,
/// [`sign_with_cache`] reuses it and returns the same signature.
///
/// # Errors
///
/// [`SigningError::InvalidTimestamp`] if `input.timestamp` has no UTC calendar
/// date (e.g. `i64::MAX`).
///
/// # Example
///
/// ```
/// use tc_sign::{sign, SigningInput};
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
/// # Ok::<(), tc_sign::SigningError>(())
/// ```
pub fn sign(
    secret_id: &str,
    secret_key: &str,
    input: &SigningInput<'_>,
) -> Result<Signature, SigningError> {
    let date = UtcDate::of(input.timestamp)?;
    let mac = keyed_mac(&signing_key(secret_key, &date, input.service));
    Ok(finish(secret_id, input, date, mac))
}

/// Signs one request like [`sign`], with the signing key taken from `cache`
/// (derived and stored on the first request of a UTC day, service and secret
/// key). Same as [`SigningKeyCache::sign`].
///
/// # Errors
///
/// [`SigningError::InvalidTimestamp`] if `input.timestamp` has no UTC calendar
/// date.
///
/// # Example
///
/// ```
/// use tc_sign::{sign, sign_with_cache, SigningInput, SigningKeyCache};
///
/// static KEYS: SigningKeyCache = SigningKeyCache::new();
///
/// let input = SigningInput {
///     service: "teo",
///     method: "POST",
///     host: "teo.tencentcloudapi.com",
///     content_type: "application/json",
///     query: "",
///     payload: br#"{"Limit":1}"#,
///     unsigned_payload: false,
///     timestamp: 1735689600,
/// };
/// let (id, key) = ("AKIDexample", "secret-key-example");
/// let first = sign_with_cache(&KEYS, id, key, &input)?; // derives the key
/// let second = sign_with_cache(&KEYS, id, key, &input)?; // reuses it
/// assert_eq!(first, sign(id, key, &input)?);
/// assert_eq!(second, first);
/// assert_eq!(KEYS.len(), 1);
/// # Ok::<(), tc_sign::SigningError>(())
/// ```
pub fn sign_with_cache(
    cache: &SigningKeyCache,
    secret_id: &str,
    secret_key: &str,
    input: &SigningInput<'_>,
) -> Result<Signature, SigningError> {
    cache.sign(secret_id, secret_key, input)
}

/// A cache of derived TC3 signing keys, for signing many requests.
///
/// The signing key depends only on the secret key, the UTC date of the
/// timestamp and the service, so every request of one day and service can
/// share it: [`sign`](Self::sign) derives it on the first such request and
/// reuses it after, skipping four of the five HMACs of [`sign`](fn@sign). The
/// signatures are identical.
///
/// The cache keeps the [`CAPACITY`](Self::CAPACITY) most recently derived keys
/// — room for a UTC day change, a key rotation or a second service — and drops
/// the oldest beyond that. It needs no clearing: a new day or a new secret key
/// simply derives a new entry.
///
/// It is `Send + Sync`: share one by reference, in a `static` or in an `Arc`.
/// Each call holds an internal mutex only to look the key up (or, once a day,
/// to derive it).
///
/// # Secrets
///
/// An entry holds the HMAC state keyed with the derived signing key and, to
/// recognise the secret key it came from, the secret key's SHA-256 digest
/// (compared in constant time), never the secret key itself. Neither appears in
/// `Debug`, which shows only the date and service of each entry.
pub struct SigningKeyCache {
    /// Oldest first; at most `CAPACITY` long.
    entries: Mutex<Vec<CachedKey>>,
}

/// One derived signing key and what it was derived from.
struct CachedKey {
    /// SHA-256 of the secret key.
    secret_digest: [u8; 32],
    date: UtcDate,
    service: Box<str>,
    /// HMAC-SHA256 keyed with the signing key, before any input: cloned for
    /// each request, it spares the two key-block compressions too.
    mac: HmacSha256,
}

impl SigningKeyCache {
    /// How many signing keys a cache keeps.
    pub const CAPACITY: usize = 4;

    /// An empty cache. `const`, so it can be a `static`.
    pub const fn new() -> SigningKeyCache {
        SigningKeyCache {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Signs one request like [`sign`](fn@sign), reusing the signing key of an
    /// earlier request with the same secret key, UTC date and service.
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidTimestamp`] if `input.timestamp` has no UTC
    /// calendar date.
    pub fn sign(
        &self,
        secret_id: &str,
        secret_key: &str,
        input: &SigningInput<'_>,
    ) -> Result<Signature, SigningError> {
        let date = UtcDate::of(input.timestamp)?;
        let mac = self.keyed_mac(secret_key, date, input.service);
        Ok(finish(secret_id, input, date, mac))
    }

    /// How many signing keys are cached (at most [`CAPACITY`](Self::CAPACITY)).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no signing key is cached.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every cached signing key (e.g. after revoking a secret key).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The HMAC keyed with the signing key of (`secret_key`, `date`, `service`),
    /// from the cache or derived and cached.
    fn keyed_mac(&self, secret_key: &str, date: UtcDate, service: &str) -> HmacSha256 {
        let secret_digest: [u8; 32] = Sha256::digest(secret_key.as_bytes()).into();
        let mut entries = self.lock();
        let cached = entries.iter().find(|entry| {
            entry.date == date
                && *entry.service == *service
                && constant_time_eq(&entry.secret_digest, &secret_digest)
        });
        if let Some(entry) = cached {
            return entry.mac.clone();
        }
        let mac = keyed_mac(&signing_key(secret_key, &date, service));
        if entries.len() >= Self::CAPACITY {
            entries.remove(0);
        }
        entries.push(CachedKey {
            secret_digest,
            date,
            service: service.into(),
            mac: mac.clone(),
        });
        mac
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CachedKey>> {
        // Nothing panics while the lock is held, and the entries are valid at
        // every point anyway: a poisoned lock is still good to use.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for SigningKeyCache {
    fn default() -> SigningKeyCache {
        SigningKeyCache::new()
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("SigningKeyCache");
        // `try_lock`: formatting must not wait for (or deadlock with) a signer.
        match self.entries.try_lock() {
            Ok(entries) => out.field("entries", &*entries),
            Err(_) => out.field("entries", &format_args!("<in use>")),
        };
        out.finish()
    }
}

impl fmt::Debug for CachedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret digest and the keyed HMAC state are left out.
        f.debug_struct("CachedKey")
            .field("date", &self.date.as_str())
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

/// Compares two digests without an early exit on the first difference.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The part of signing after the key derivation: hashes the canonical request,
/// signs the string to sign with `mac` (keyed with the signing key) and writes
/// the `Authorization` value.
fn finish(
    secret_id: &str,
    input: &SigningInput<'_>,
    date: UtcDate,
    mut mac: HmacSha256,
) -> Signature {
    let SigningInput {
        service,
        method,
        host,
        content_type,
        query,
        payload,
        unsigned_payload,
        timestamp,
    } = *input;

    let payload = if unsigned_payload {
        UNSIGNED_PAYLOAD.as_bytes()
    } else {
        payload
    };
    let hashed_payload = Hex::of(Sha256::digest(payload).into());

    // CanonicalRequest and StringToSign as in the module docs; the latter goes
    // straight into the HMAC.
    let mut canonical_request = Sha256::new();
    feed(
        &mut canonical_request,
        &[
            method,
            "\n/\n",
            query,
            "\ncontent-type:",
            content_type,
            "\nhost:",
            host,
            "\n\n",
            SIGNED_HEADERS,
            "\n",
            hashed_payload.as_str(),
        ],
    );
    let hashed_request = Hex::of(canonical_request.finalize().into());

    let timestamp = StackStr::<20>::format(format_args!("{timestamp}"));
    feed(
        &mut mac,
        &[
            ALGORITHM,
            "\n",
            timestamp.as_str(),
            "\n",
            date.as_str(),
            "/",
            service,
            "/",
            TERMINATOR,
            "\n",
            hashed_request.as_str(),
        ],
    );
    let signature = Hex::of(mac.finalize().into_bytes().into());

    Signature::new(secret_id, &date, service, &signature)
}

/// Derives the TC3 signing key for one (secret key, UTC date, service) triple.
///
/// The result depends only on these three values, so it can be cached and
/// reused for every request of the same service on the same UTC day (see
/// [`SigningKeyCache`]). It is secret material: never log it.
fn signing_key(secret_key: &str, date: &UtcDate, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(3 + secret_key.len());
    k_secret.extend_from_slice(b"TC3");
    k_secret.extend_from_slice(secret_key.as_bytes());

    let k_date = hmac_sha256(&k_secret, date.as_str().as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// `HMAC-SHA256(key, msg)` for a key of any length.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    keyed_mac(key)
        .chain_update(msg)
        .finalize()
        .into_bytes()
        .into()
}

/// An HMAC-SHA256 keyed with `key` (of any length), ready for input.
fn keyed_mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as hmac::digest::KeyInit>::new(&hmac_block_key(key))
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

/// A UTC calendar date as written in the credential scope, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UtcDate(StackStr<16>);

impl UtcDate {
    /// The UTC date of a Unix timestamp.
    fn of(timestamp: i64) -> Result<UtcDate, SigningError> {
        let date = OffsetDateTime::from_unix_timestamp(timestamp)
            .map_err(|source| SigningError::InvalidTimestamp { timestamp, source })?
            .date();
        // At most 13 bytes, even for the six-digit years of `time`'s
        // `large-dates` feature.
        Ok(UtcDate(StackStr::format(format_args!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ))))
    }

    fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Short text formatted on the stack (a date, a timestamp), for hashing
/// without a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StackStr<const N: usize> {
    /// `bytes[..len]` is the text, the rest zeros.
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    /// `args` formatted. Callers pick an `N` that fits the longest text they
    /// can format; a longer one would be cut short (writing stops at `N`).
    fn format(args: fmt::Arguments<'_>) -> StackStr<N> {
        let mut text = StackStr {
            bytes: [0; N],
            len: 0,
        };
        let _cannot_overflow = fmt::Write::write_fmt(&mut text, args);
        text
    }

    fn as_str(&self) -> &str {
        // Only whole `str`s are appended, so this is always valid UTF-8.
        self.bytes
            .get(..self.len)
            .and_then(|text| std::str::from_utf8(text).ok())
            .unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Lowercase hex of a 32-byte digest, on the stack.
struct Hex([u8; 64]);

impl Hex {
    fn of(bytes: [u8; 32]) -> Hex {
        let digit = |nibble: u8| match nibble {
            0..=9 => b'0' + nibble,
            _ => b'a' + (nibble - 10),
        };
        let mut hex = [0; 64];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(bytes) {
            if let [high, low] = pair {
                *high = digit(byte >> 4);
                *low = digit(byte & 0x0f);
            }
        }
        Hex(hex)
    }

    fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written: this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Feeds `parts`, in order, to a hash or an HMAC: the same as hashing their
/// concatenation, without building it.
fn feed(hash: &mut impl hmac::digest::Update, parts: &[&str]) {
    for part in parts {
        hash.update(part.as_bytes());
    }
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
    const OTHER_KEY: &str = "another-secret-key";
    /// 2025-01-01T00:00:00Z.
    const NEW_YEAR: i64 = 1_735_689_600;
    const DAY: i64 = 86_400;

    fn utc_date(timestamp: i64) -> String {
        UtcDate::of(timestamp).unwrap().as_str().to_owned()
    }

    #[test]
    fn date_rolls_over_at_utc_midnight() {
        // 2024-12-31T23:59:59Z and 2025-01-01T00:00:00Z.
        let before = sign(ID, KEY, &input(NEW_YEAR - 1)).unwrap();
        let after = sign(ID, KEY, &input(NEW_YEAR)).unwrap();
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
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date(253_402_300_799), "9999-12-31");
    }

    #[test]
    fn unsigned_payload_changes_signature_and_ignores_body() {
        let signed = sign(ID, KEY, &input(NEW_YEAR)).unwrap();
        let unsigned = sign(
            ID,
            KEY,
            &SigningInput {
                unsigned_payload: true,
                ..input(NEW_YEAR)
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
                ..input(NEW_YEAR)
            },
        )
        .unwrap();
        assert_eq!(unsigned, other_body);
    }

    #[test]
    fn invalid_timestamp_is_an_error_not_a_panic() {
        let cache = SigningKeyCache::new();
        for ts in [i64::MAX, i64::MIN] {
            for result in [sign(ID, KEY, &input(ts)), cache.sign(ID, KEY, &input(ts))] {
                match result {
                    Err(SigningError::InvalidTimestamp { timestamp, .. }) => {
                        assert_eq!(timestamp, ts)
                    }
                    other => panic!("expected InvalidTimestamp for {ts}, got {other:?}"),
                }
            }
        }
        assert!(cache.is_empty());
    }

    #[test]
    fn signature_shape() {
        let sig = sign(ID, KEY, &input(NEW_YEAR)).unwrap();
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
        // Debug output carries no secret, and shows the parts.
        let debug = format!("{sig:?}");
        assert!(!debug.contains(KEY));
        assert!(debug.contains(r#"date: "2025-01-01""#), "{debug}");
        assert!(debug.contains(sig.signature()), "{debug}");
    }

    #[test]
    fn streamed_hashes_match_the_strings_they_stand_for() {
        // The canonical request and string to sign built as Strings, as the
        // spec (and the previous implementation) spells them out.
        let input = SigningInput {
            query: "Limit=20&Offset=0",
            ..input(NEW_YEAR + 3_600)
        };
        let hashed_payload = hex::encode(Sha256::digest(input.payload));
        let canonical_request = format!(
            "POST\n/\nLimit=20&Offset=0\ncontent-type:application/json\nhost:teo.tencentcloudapi.com\n\ncontent-type;host\n{hashed_payload}"
        );
        let string_to_sign = format!(
            "TC3-HMAC-SHA256\n{}\n2025-01-01/teo/tc3_request\n{}",
            NEW_YEAR + 3_600,
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let k_date = hmac_sha256(format!("TC3{KEY}").as_bytes(), b"2025-01-01");
        let k_service = hmac_sha256(&k_date, b"teo");
        let key = hmac_sha256(&k_service, b"tc3_request");
        let expected = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));

        assert_eq!(sign(ID, KEY, &input).unwrap().signature(), expected);
        let cache = SigningKeyCache::new();
        assert_eq!(cache.sign(ID, KEY, &input).unwrap().signature(), expected);
    }

    #[test]
    fn hex_matches_the_hex_crate() {
        for seed in [0u8, 1, 0x0f, 0xf0, 0xff, 0x5a] {
            let bytes: [u8; 32] = std::array::from_fn(|i| seed.wrapping_mul(i as u8 + 7));
            assert_eq!(Hex::of(bytes).as_str(), hex::encode(bytes));
        }
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

    // ---- SigningKeyCache ----

    #[test]
    fn cache_is_send_sync_and_static() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SigningKeyCache>();
        static CACHE: SigningKeyCache = SigningKeyCache::new();
        assert_eq!(
            CACHE.sign(ID, KEY, &input(NEW_YEAR)).unwrap(),
            sign(ID, KEY, &input(NEW_YEAR)).unwrap()
        );
    }

    #[test]
    fn cached_signatures_equal_uncached_and_reuse_the_key() {
        let cache = SigningKeyCache::default();
        for offset in [0, 1, 3_600, DAY - 1] {
            let input = input(NEW_YEAR + offset);
            for _ in 0..2 {
                assert_eq!(
                    cache.sign(ID, KEY, &input).unwrap(),
                    sign(ID, KEY, &input).unwrap()
                );
            }
        }
        // One day, one service, one secret: one key.
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_is_keyed_by_utc_date() {
        let cache = SigningKeyCache::new();
        let before = cache.sign(ID, KEY, &input(NEW_YEAR - 1)).unwrap();
        let after = cache.sign(ID, KEY, &input(NEW_YEAR)).unwrap();
        assert_eq!(cache.len(), 2, "a new UTC day derives a new key");
        assert_eq!(before.date(), "2024-12-31");
        assert_eq!(after.date(), "2025-01-01");
        assert_eq!(before, sign(ID, KEY, &input(NEW_YEAR - 1)).unwrap());
        assert_eq!(after, sign(ID, KEY, &input(NEW_YEAR)).unwrap());

        // The key of a day is its own, not the previous day's. Signed with the
        // 2024-12-31 key, the 2025-01-01 string to sign gives another result.
        let wrong_key = keyed_mac(&signing_key(
            KEY,
            &UtcDate::of(NEW_YEAR - 1).unwrap(),
            "teo",
        ));
        let with_wrong_key = finish(
            ID,
            &input(NEW_YEAR),
            UtcDate::of(NEW_YEAR).unwrap(),
            wrong_key,
        );
        assert_ne!(with_wrong_key.signature(), after.signature());
    }

    #[test]
    fn cache_is_keyed_by_secret_key_and_service() {
        let cache = SigningKeyCache::new();
        let one = cache.sign(ID, KEY, &input(NEW_YEAR)).unwrap();
        let other = cache.sign(ID, OTHER_KEY, &input(NEW_YEAR)).unwrap();
        assert_ne!(one.signature(), other.signature());
        assert_eq!(other, sign(ID, OTHER_KEY, &input(NEW_YEAR)).unwrap());
        assert_eq!(cache.len(), 2);

        // The key does not depend on the SecretId: same entry, other header.
        let other_id = cache.sign("AKIDother", KEY, &input(NEW_YEAR)).unwrap();
        assert_eq!(other_id.signature(), one.signature());
        assert!(other_id.authorization().contains("Credential=AKIDother/"));
        assert_eq!(cache.len(), 2);

        let cvm = SigningInput {
            service: "cvm",
            ..input(NEW_YEAR)
        };
        let cvm_signature = cache.sign(ID, KEY, &cvm).unwrap();
        assert_eq!(cvm_signature, sign(ID, KEY, &cvm).unwrap());
        assert_ne!(cvm_signature.signature(), one.signature());
        assert_eq!(cache.len(), 3);

        // Back to the first key: still cached, still right.
        assert_eq!(cache.sign(ID, KEY, &input(NEW_YEAR)).unwrap(), one);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn cache_is_bounded_and_drops_the_oldest() {
        let cache = SigningKeyCache::new();
        for day in 0..10 {
            let input = input(NEW_YEAR + day * DAY);
            assert_eq!(
                cache.sign(ID, KEY, &input).unwrap(),
                sign(ID, KEY, &input).unwrap()
            );
            assert!(cache.len() <= SigningKeyCache::CAPACITY);
        }
        assert_eq!(cache.len(), SigningKeyCache::CAPACITY);
        let kept: Vec<String> = cache
            .lock()
            .iter()
            .map(|entry| entry.date.as_str().to_owned())
            .collect();
        assert_eq!(
            kept,
            ["2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10"]
        );
        // An evicted day is derived again, correctly.
        assert_eq!(
            cache.sign(ID, KEY, &input(NEW_YEAR)).unwrap(),
            sign(ID, KEY, &input(NEW_YEAR)).unwrap()
        );
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn cache_debug_shows_no_key_material() {
        let cache = SigningKeyCache::new();
        cache.sign(ID, KEY, &input(NEW_YEAR)).unwrap();
        let debug = format!("{cache:?}");
        let derived = signing_key(KEY, &UtcDate::of(NEW_YEAR).unwrap(), "teo");
        let secret_digest = Sha256::digest(KEY.as_bytes());
        for secret in [
            KEY.to_owned(),
            hex::encode(derived),
            hex::encode(secret_digest),
            format!("{:?}", &derived[..4]),
            format!("{:?}", &secret_digest[..4]),
        ] {
            assert!(!debug.contains(&secret), "{debug} shows {secret}");
        }
        assert!(
            debug.contains("2025-01-01") && debug.contains("teo"),
            "{debug}"
        );
        assert!(!format!("{:#?}", cache).contains(KEY));

        // Formatting while another signer holds the lock does not block.
        let guard = cache.lock();
        assert!(format!("{cache:?}").contains("<in use>"));
        drop(guard);
    }

    #[test]
    fn cache_shared_between_threads() {
        let cache = SigningKeyCache::new();
        let keys = [KEY, OTHER_KEY];
        let inputs: Vec<SigningInput<'static>> =
            (0..3).map(|day| input(NEW_YEAR + day * DAY + 17)).collect();
        let expected: Vec<Vec<Signature>> = keys
            .iter()
            .map(|key| inputs.iter().map(|i| sign(ID, key, i).unwrap()).collect())
            .collect();

        std::thread::scope(|scope| {
            for thread in 0..8 {
                let (cache, inputs, expected) = (&cache, &inputs, &expected);
                scope.spawn(move || {
                    for round in 0..200 {
                        let k = (thread + round) % keys.len();
                        let i = round % inputs.len();
                        let got = cache.sign(ID, keys[k], &inputs[i]).unwrap();
                        assert_eq!(got, expected[k][i], "thread {thread} round {round}");
                    }
                });
            }
        });
        // 2 keys × 3 days = 6 triples through a cache of 4.
        assert_eq!(cache.len(), SigningKeyCache::CAPACITY);
    }
}
