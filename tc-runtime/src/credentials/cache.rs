//! Keeping temporary credentials until they are about to expire.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};

/// Keeps the credentials of another provider and asks it again only when they come within a
/// margin of their expiry.
///
/// * Credentials without an expiry are kept for good; those with one are refreshed once fewer
///   than [`refresh_margin`](Self::with_refresh_margin) (default 5 minutes) remain.
/// * **One refresh at a time.** Callers that find the credentials stale while a refresh is under
///   way wait for it and share its outcome, success or failure: ten concurrent callers after
///   expiry cause one request upstream.
/// * **A failed refresh.** When the inner provider fails and the cached credentials have *not
///   yet expired* (they were only inside the margin), the cached credentials are returned — they
///   still work — and the failure is logged with `tracing::warn!`; for the next
///   [`retry_after_failure`](Self::with_retry_after_failure) (default 10 s) no new refresh is
///   tried, so an outage of the source does not cost every request a round trip. Once the cached
///   credentials have expired (or if there were none) the failure is returned as the inner
///   provider's typed [`CredentialsError`] and the next call tries again.
/// * It never panics; a caller dropped mid-refresh just lets the next one refresh.
///
/// [`InstanceRoleProvider`](super::InstanceRoleProvider),
/// [`AssumeRoleProvider`](super::AssumeRoleProvider) and
/// [`WebIdentityProvider`](super::WebIdentityProvider) use one internally; wrap your own
/// provider in one to get the same behaviour:
///
/// ```
/// use tc_runtime::credentials::{CachedProvider, ProvideCredentials};
/// use tc_runtime::Credentials;
/// # fn demo(upstream: impl ProvideCredentials + 'static) {
/// let cached = CachedProvider::new(upstream).with_refresh_margin(std::time::Duration::from_secs(60));
/// # }
/// ```
pub struct CachedProvider {
    inner: Arc<dyn ProvideCredentials>,
    refresh_margin: Duration,
    retry_after_failure: Duration,
    state: Mutex<State>,
    /// Held for the whole of a refresh: the single flight.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    /// Finished refresh attempts, to tell a waiter that one finished while it waited.
    attempts: u64,
    /// When the last attempt failed, and why (cleared by a success).
    last_failure: Option<(SystemTime, CredentialsError)>,
}

impl CachedProvider {
    /// Refresh when fewer than this remain before expiry, unless configured otherwise.
    pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
    /// After a failed refresh, still-valid cached credentials are served this long before the
    /// next try, unless configured otherwise.
    pub const DEFAULT_RETRY_AFTER_FAILURE: Duration = Duration::from_secs(10);

    /// Caches what `inner` provides; `inner` should fetch anew on every call.
    pub fn new(inner: impl ProvideCredentials + 'static) -> CachedProvider {
        CachedProvider::from_arc(Arc::new(inner))
    }

    /// Like [`new`](Self::new), for a provider already shared.
    pub fn from_arc(inner: Arc<dyn ProvideCredentials>) -> CachedProvider {
        CachedProvider {
            inner,
            refresh_margin: Self::DEFAULT_REFRESH_MARGIN,
            retry_after_failure: Self::DEFAULT_RETRY_AFTER_FAILURE,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// Refresh once fewer than `margin` remain before the credentials expire.
    pub fn with_refresh_margin(mut self, margin: Duration) -> CachedProvider {
        self.refresh_margin = margin;
        self
    }

    /// After a failed refresh, serve the still-valid cached credentials this long before trying
    /// again (`Duration::ZERO`: try on every call).
    pub fn with_retry_after_failure(mut self, wait: Duration) -> CachedProvider {
        self.retry_after_failure = wait;
        self
    }

    pub fn refresh_margin(&self) -> Duration {
        self.refresh_margin
    }

    /// Forgets the cached credentials: the next call fetches new ones (after the service
    /// rejected them, say).
    pub fn invalidate(&self) {
        let mut state = self.lock_state();
        state.credentials = None;
        state.last_failure = None;
    }

    /// When the cached credentials expire; `None` if there are none or they do not expire.
    pub fn cached_expiry(&self) -> Option<SystemTime> {
        self.lock_state()
            .credentials
            .as_ref()
            .and_then(Credentials::expires_at)
    }

    /// A poisoned lock only means another thread panicked between two plain assignments; the
    /// state is still consistent.
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// More than the margin left (or no expiry at all).
    fn is_fresh(&self, credentials: &Credentials, now: SystemTime) -> bool {
        match credentials.expires_at() {
            None => true,
            Some(at) => at
                .duration_since(now)
                .is_ok_and(|left| left > self.refresh_margin),
        }
    }

    async fn get(&self) -> Result<Credentials, CredentialsError> {
        let now = SystemTime::now();
        let seen = {
            let state = self.lock_state();
            if let Some(credentials) = &state.credentials {
                if self.is_fresh(credentials, now) {
                    return Ok(credentials.clone());
                }
                let failed_recently = state.last_failure.as_ref().is_some_and(|(at, _)| {
                    now.duration_since(*at)
                        .map_or(true, |ago| ago < self.retry_after_failure)
                });
                if failed_recently && is_valid(credentials, now) {
                    return Ok(credentials.clone());
                }
            }
            state.attempts
        };

        let _flight = self.refresh.lock().await;
        {
            let state = self.lock_state();
            if state.attempts != seen {
                // A refresh finished while this caller waited: share its outcome.
                let now = SystemTime::now();
                if let Some(credentials) = state.credentials.as_ref().filter(|c| is_valid(c, now)) {
                    return Ok(credentials.clone());
                }
                if let Some((_, error)) = &state.last_failure {
                    return Err(error.duplicate());
                }
            }
        }

        tracing::debug!(provider = ?self.inner, "refreshing credentials");
        let result = self.inner.provide_credentials().await;
        let mut state = self.lock_state();
        state.attempts = state.attempts.wrapping_add(1);
        match result {
            Ok(credentials) => {
                state.credentials = Some(credentials.clone());
                state.last_failure = None;
                Ok(credentials)
            }
            Err(error) => {
                let now = SystemTime::now();
                state.last_failure = Some((now, error.duplicate()));
                match state.credentials.as_ref().filter(|c| is_valid(c, now)) {
                    Some(old) => {
                        tracing::warn!(
                            error = %error,
                            expires_at = ?old.expires_at(),
                            "refreshing credentials failed; using the cached ones until they expire"
                        );
                        Ok(old.clone())
                    }
                    None => Err(error),
                }
            }
        }
    }
}

/// Not yet expired.
fn is_valid(credentials: &Credentials, now: SystemTime) -> bool {
    credentials.expires_at().is_none_or(|at| at > now)
}

impl ProvideCredentials for CachedProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.get())
    }
}

impl fmt::Debug for CachedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the expiry of what is cached: the credentials' own Debug is redacted, but there
        // is no need to show them at all.
        f.debug_struct("CachedProvider")
            .field("inner", &self.inner)
            .field("refresh_margin", &self.refresh_margin)
            .field("cached_expiry", &self.cached_expiry())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out numbered credentials expiring `lifetime` from now, or fails when `fail` is set.
    #[derive(Debug, Default)]
    struct Counter {
        calls: AtomicUsize,
        lifetime_secs: std::sync::atomic::AtomicU64,
        fail: std::sync::atomic::AtomicBool,
    }

    impl ProvideCredentials for Arc<Counter> {
        fn provide_credentials(&self) -> ProvideFuture<'_> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let fail = self.fail.load(Ordering::SeqCst);
            let lifetime = Duration::from_secs(self.lifetime_secs.load(Ordering::SeqCst));
            Box::pin(async move {
                if fail {
                    return Err(CredentialsError::Fetch {
                        source_name: "counter",
                        reason: "down".into(),
                        source: None,
                    });
                }
                Ok(Credentials::new(format!("id-{n}"), "key")
                    .with_expiry(SystemTime::now() + lifetime))
            })
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn fresh_credentials_are_reused_and_stale_ones_refreshed() {
        rt().block_on(async {
            let counter = Arc::new(Counter::default());
            counter.lifetime_secs.store(3600, Ordering::SeqCst);
            let cache = CachedProvider::new(counter.clone());
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            assert_eq!(counter.calls.load(Ordering::SeqCst), 1);

            // Inside the margin: refreshed on every call.
            counter.lifetime_secs.store(60, Ordering::SeqCst);
            cache.invalidate();
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-2"
            );
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-3"
            );
        });
    }

    #[test]
    fn failure_serves_still_valid_credentials_then_backs_off() {
        rt().block_on(async {
            let counter = Arc::new(Counter::default());
            counter.lifetime_secs.store(60, Ordering::SeqCst);
            let cache = CachedProvider::new(counter.clone());
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            counter.fail.store(true, Ordering::SeqCst);
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            assert_eq!(counter.calls.load(Ordering::SeqCst), 2);
            // Within the back-off: no new attempt.
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            assert_eq!(counter.calls.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn failure_without_valid_credentials_is_the_typed_error() {
        rt().block_on(async {
            let counter = Arc::new(Counter::default());
            counter.fail.store(true, Ordering::SeqCst);
            let cache = CachedProvider::new(counter.clone());
            for _ in 0..2 {
                match cache.provide_credentials().await {
                    Err(CredentialsError::Fetch { source_name, .. }) => {
                        assert_eq!(source_name, "counter")
                    }
                    other => panic!("expected Fetch, got {other:?}"),
                }
            }
            // No valid credentials: every call tries again.
            assert_eq!(counter.calls.load(Ordering::SeqCst), 2);
        });
    }
}
