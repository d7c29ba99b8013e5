//! TC3-HMAC-SHA256 signing checked against reference vectors produced by the
//! official Tencent Cloud Python SDK signer (`tests/data/tc3-vectors.json`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use serde::Deserialize;
use tc_sign::{sign, SigningInput};

const EXPECTED_VECTORS: usize = 40;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    secret_id: String,
    secret_key: String,
    service: String,
    host: String,
    method: String,
    content_type: String,
    timestamp: i64,
    unsigned_payload: bool,
    payload: String,
    query: String,
    date: String,
    signature: String,
    authorization: String,
}

fn load_vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tc3-vectors.json");
    let json = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

#[test]
fn official_sdk_vectors() {
    let vectors = load_vectors();
    assert_eq!(
        vectors.len(),
        EXPECTED_VECTORS,
        "tc3-vectors.json should hold exactly {EXPECTED_VECTORS} vectors"
    );

    let mut failures = Vec::new();
    for (index, v) in vectors.iter().enumerate() {
        let input = SigningInput {
            service: &v.service,
            method: &v.method,
            host: &v.host,
            content_type: &v.content_type,
            query: &v.query,
            payload: v.payload.as_bytes(),
            unsigned_payload: v.unsigned_payload,
            timestamp: v.timestamp,
        };
        let sig = match sign(&v.secret_id, &v.secret_key, &input) {
            Ok(sig) => sig,
            Err(e) => {
                failures.push(format!("vector {index}: sign() failed: {e}"));
                continue;
            }
        };
        let checks = [
            ("date", sig.date(), v.date.as_str()),
            ("signature", sig.signature(), v.signature.as_str()),
            (
                "authorization",
                sig.authorization(),
                v.authorization.as_str(),
            ),
        ];
        let mismatches: Vec<String> = checks
            .iter()
            .filter(|(_, got, want)| got != want)
            .map(|(field, got, want)| {
                format!("  {field} mismatch\n    got:  {got}\n    want: {want}")
            })
            .collect();
        if !mismatches.is_empty() {
            failures.push(format!(
                "vector {index} ({} {} ts={} unsigned={}):\n{}",
                v.method,
                v.host,
                v.timestamp,
                v.unsigned_payload,
                mismatches.join("\n")
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn cached_signing_matches_official_sdk_vectors() {
    use tc_sign::{sign_with_cache, SigningKeyCache};

    let vectors = load_vectors();
    assert_eq!(vectors.len(), EXPECTED_VECTORS);

    // One cache for every vector, as a client would hold it: the vectors mix
    // secrets, dates and services, so entries are derived, reused and evicted.
    // Each vector is signed twice, on a miss or a hit and then on a hit.
    let cache = SigningKeyCache::new();
    for (index, v) in vectors.iter().enumerate() {
        let input = SigningInput {
            service: &v.service,
            method: &v.method,
            host: &v.host,
            content_type: &v.content_type,
            query: &v.query,
            payload: v.payload.as_bytes(),
            unsigned_payload: v.unsigned_payload,
            timestamp: v.timestamp,
        };
        let uncached = sign(&v.secret_id, &v.secret_key, &input).unwrap();
        for attempt in ["first", "second"] {
            let cached = sign_with_cache(&cache, &v.secret_id, &v.secret_key, &input)
                .unwrap_or_else(|e| panic!("vector {index}: {attempt} cached sign failed: {e}"));
            assert_eq!(cached, uncached, "vector {index}, {attempt} cached sign");
            assert_eq!(cached.date(), v.date, "vector {index}");
            assert_eq!(cached.signature(), v.signature, "vector {index}");
            assert_eq!(cached.authorization(), v.authorization, "vector {index}");
        }
        assert!(cache.len() <= SigningKeyCache::CAPACITY);
    }
}
