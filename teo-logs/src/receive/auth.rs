//! EdgeOne's origin authentication of pushed logs, checked by the receiver.
//!
//! When a real-time log task's `CustomEndpoint` has an `AccessId` and `AccessKey`, each POST
//! carries two query parameters: `access_key=<AccessId>` and
//! `auth_key=<timestamp>-<rand>-<md5hash>`, where `md5hash` is the lowercase hex MD5 of
//! `"<path>-<timestamp>-<rand>-<AccessKey>"` (the URL's path without its query), `timestamp` Unix
//! seconds. Source: EdgeOne's "Push to HTTP Server" page and its authentication algorithm
//! reference (whose printed example hash is wrong; the vector in the tests is computed).
//! The body is not signed, so the key proves who pushed, not what: a replayed `auth_key` is
//! refused unless the body is the very one it came with (then it is a resend).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// Seconds an `auth_key`'s timestamp may be from the receiver's clock, either way.
pub const AUTH_WINDOW_SECS: i64 = 300;
/// `auth_key`s remembered for replay checks at most; past it, pushes are refused with 503
/// until older keys leave the window (memory stays bounded whatever a pusher sends).
pub const MAX_REMEMBERED_KEYS: usize = 200_000;

/// The task's `AccessId` and `AccessKey`. The key is never shown (`Debug` hides it).
#[derive(Clone)]
pub struct OriginAuth {
    access_id: String,
    access_key: String,
}

impl fmt::Debug for OriginAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginAuth")
            .field("access_id", &self.access_id)
            .field("access_key", &"<hidden>")
            .finish()
    }
}

/// Why a push's authentication is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `access_key` or `auth_key` parameter.
    #[error("no access_key and auth_key query parameters")]
    Missing,
    /// The parameters are not of the documented form.
    #[error("auth_key is not <timestamp>-<rand>-<md5 hex>")]
    Malformed,
    /// `access_key` names another AccessId.
    #[error("access_key is not this task's AccessId")]
    UnknownAccessId,
    /// The timestamp is outside the window around the receiver's clock.
    #[error("auth_key's timestamp is {skew} s from this receiver's clock (window: {AUTH_WINDOW_SECS} s)")]
    Stale {
        /// Seconds between the key's time and now (positive: in the future).
        skew: i64,
    },
    /// The hash does not match the path, timestamp, rand and AccessKey.
    #[error("auth_key's hash does not match")]
    BadHash,
    /// The `auth_key` was used before, with another body.
    #[error("auth_key was used before with another body (a replay)")]
    Replayed,
    /// Too many keys in the window to remember another: refused for now.
    #[error("too many pushes within the authentication window to check for replays")]
    Busy,
}

impl AuthError {
    /// The reason label in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            AuthError::Missing => "auth_missing",
            AuthError::Malformed => "auth_malformed",
            AuthError::UnknownAccessId => "auth_access_id",
            AuthError::Stale { .. } => "auth_stale",
            AuthError::BadHash => "auth_hash",
            AuthError::Replayed => "auth_replayed",
            AuthError::Busy => "auth_busy",
        }
    }
}

/// A push's `auth_key` that passed the check, for [`ReplayGuard::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKey {
    key: String,
    timestamp: i64,
}

impl OriginAuth {
    /// The task's `AccessId` and `AccessKey`.
    pub fn new(access_id: impl Into<String>, access_key: impl Into<String>) -> OriginAuth {
        OriginAuth {
            access_id: access_id.into(),
            access_key: access_key.into(),
        }
    }

    /// The `AccessId`.
    pub fn access_id(&self) -> &str {
        &self.access_id
    }

    /// The `AccessKey`: for configuring the task that pushes here (never print it).
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// Checks the query of a POST to `path` at Unix time `now`: the AccessId, the window and
    /// the hash (compared in constant time).
    pub fn check(&self, path: &str, query: Option<&str>, now: i64) -> Result<AuthKey, AuthError> {
        let mut access_key = None;
        let mut auth_key = None;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match name.as_ref() {
                "access_key" => access_key = Some(value.into_owned()),
                "auth_key" => auth_key = Some(value.into_owned()),
                _ => {}
            }
        }
        let (Some(access_key), Some(auth_key)) = (access_key, auth_key) else {
            return Err(AuthError::Missing);
        };
        if !bool::from(access_key.as_bytes().ct_eq(self.access_id.as_bytes())) {
            return Err(AuthError::UnknownAccessId);
        }
        let mut parts = auth_key.splitn(3, '-');
        let (Some(timestamp), Some(rand), Some(hash)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed);
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(timestamp) || !digits(rand) || hash.len() != 32 {
            return Err(AuthError::Malformed);
        }
        let Ok(seconds) = timestamp.parse::<i64>() else {
            return Err(AuthError::Malformed);
        };
        let skew = seconds.saturating_sub(now);
        if skew.abs() > AUTH_WINDOW_SECS {
            return Err(AuthError::Stale { skew });
        }
        let expected = auth_hash(path, timestamp, rand, &self.access_key);
        if !bool::from(
            expected
                .as_bytes()
                .ct_eq(hash.to_ascii_lowercase().as_bytes()),
        ) {
            return Err(AuthError::BadHash);
        }
        Ok(AuthKey {
            key: auth_key,
            timestamp: seconds,
        })
    }
}

/// The hex MD5 of `"<path>-<timestamp>-<rand>-<key>"`: the hash part of an `auth_key`.
pub fn auth_hash(path: &str, timestamp: &str, rand: &str, key: &str) -> String {
    let digest = Md5::digest(format!("{path}-{timestamp}-{rand}-{key}").as_bytes());
    hex::encode(digest)
}

/// The `auth_key`s seen within the window and the body each came with: a key seen again with
/// the same body is a resend (accepted), with another body a replay (refused).
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: Mutex<HashMap<String, (i64, [u8; 32])>>,
}

impl ReplayGuard {
    /// Admits `key` for the body whose batch id (BLAKE3) is `body` at Unix time `now`.
    pub fn admit(&self, key: &AuthKey, body: [u8; 32], now: i64) -> Result<(), AuthError> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, first)) = seen.get(&key.key) {
            return if *first == body {
                Ok(())
            } else {
                Err(AuthError::Replayed)
            };
        }
        if seen.len() >= MAX_REMEMBERED_KEYS {
            // Keys whose time left the window can no longer pass the check: forget them.
            seen.retain(|_, (t, _)| (now - *t).abs() <= AUTH_WINDOW_SECS);
            if seen.len() >= MAX_REMEMBERED_KEYS {
                return Err(AuthError::Busy);
            }
        }
        seen.insert(key.key.clone(), (key.timestamp, body));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_hashes_to_the_computed_vector() {
        assert_eq!(
            auth_hash("/access_log/post", "1571587200", "0", "YourKey"),
            "d8079ca27f0db9157de64061e7264b8e"
        );
    }

    fn query(id: &str, ts: i64, rand: &str, hash: &str) -> String {
        format!("access_key={id}&auth_key={ts}-{rand}-{hash}")
    }

    #[test]
    fn a_good_key_passes_and_every_bad_one_is_told_apart() {
        let auth = OriginAuth::new("id1", "YourKey");
        let now = 1_571_587_200;
        let good = query("id1", now, "0", "d8079ca27f0db9157de64061e7264b8e");
        assert!(auth.check("/access_log/post", Some(&good), now).is_ok());
        assert!(auth
            .check("/access_log/post", Some(&good), now + 300)
            .is_ok());
        assert_eq!(
            auth.check("/access_log/post", Some(&good), now + 301),
            Err(AuthError::Stale { skew: -301 })
        );
        assert_eq!(
            auth.check("/other", Some(&good), now),
            Err(AuthError::BadHash)
        );
        let other_id = query("id2", now, "0", "d8079ca27f0db9157de64061e7264b8e");
        assert_eq!(
            auth.check("/access_log/post", Some(&other_id), now),
            Err(AuthError::UnknownAccessId)
        );
        assert_eq!(
            auth.check("/access_log/post", None, now),
            Err(AuthError::Missing)
        );
        for bad in [
            "x-0-abc",
            "1571587200-0",
            "1571587200-r-d8079ca27f0db9157de64061e7264b8e",
        ] {
            let q = format!("access_key=id1&auth_key={bad}");
            assert_eq!(
                auth.check("/access_log/post", Some(&q), now),
                Err(AuthError::Malformed),
                "{bad}"
            );
        }
        assert!(!format!("{auth:?}").contains("YourKey"));
    }

    #[test]
    fn a_key_seen_again_passes_with_its_body_only() {
        let guard = ReplayGuard::default();
        let key = AuthKey {
            key: "1-2-x".into(),
            timestamp: 1,
        };
        assert!(guard.admit(&key, [1; 32], 1).is_ok());
        assert!(guard.admit(&key, [1; 32], 2).is_ok());
        assert_eq!(guard.admit(&key, [2; 32], 2), Err(AuthError::Replayed));
    }
}
