//! Keeping temporary credentials until they are about to expire.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{Credentials, CredentialsError, ProvideCredentials, ProvideFuture};
use crate::clock::{self, Clock};

/// Keeps the credentials of another provider and asks it again only when they come within a
/// margin of their expiry.
///
/// * Credentials without an expiry are kept for good; those with one are refreshed once fewer
///   than [`refresh_margin`](Self::with_refresh_margin) (default 5 minutes) remain — or, for
///   credentials that arrived with less than twice the margin left, halfway through what they
///   had left, so that a source answering short-lived credentials is not asked on every call.
/// * **Expired answers are refused.** Credentials that have expired when they arrive, or
///   expire within [`MIN_LIFETIME`](Self::MIN_LIFETIME) (60 s; the margin if shorter), are
///   not cached: the call gets [`CredentialsError::Expired`] naming the source and the expiry
///   (cached credentials that are still valid are served instead, as after any failed
///   refresh). The refusal stands for [`retry_after_failure`](Self::with_retry_after_failure)
///   (10 s) without asking the source again.
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
    /// Names the inner provider in [`CredentialsError::Expired`].
    source_name: &'static str,
    refresh_margin: Duration,
    retry_after_failure: Duration,
    state: Mutex<State>,
    /// Held for the whole of a refresh: the single flight.
    refresh: tokio::sync::Mutex<()>,
    /// What expiry and back-off are measured against.
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct State {
    credentials: Option<Credentials>,
    /// When to refresh `credentials`: the margin before their expiry, or halfway through their
    /// remaining life when they arrived with less than twice the margin (see `refresh_at`).
    refresh_at: Option<SystemTime>,
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
    /// Credentials answered with less than this left (or the refresh margin, when that is
    /// shorter) are rejected as [`CredentialsError::Expired`]: a call signed with them could
    /// fail mid-way, retries included.
    pub const MIN_LIFETIME: Duration = Duration::from_secs(60);

    /// Caches what `inner` provides; `inner` should fetch anew on every call.
    pub fn new(inner: impl ProvideCredentials + 'static) -> CachedProvider {
        CachedProvider::from_arc(Arc::new(inner))
    }

    /// Like [`new`](Self::new), for a provider already shared.
    pub fn from_arc(inner: Arc<dyn ProvideCredentials>) -> CachedProvider {
        CachedProvider {
            inner,
            source_name: "credentials provider",
            refresh_margin: Self::DEFAULT_REFRESH_MARGIN,
            retry_after_failure: Self::DEFAULT_RETRY_AFTER_FAILURE,
            state: Mutex::new(State::default()),
            refresh: tokio::sync::Mutex::new(()),
            clock: clock::system(),
        }
    }

    /// Measures expiry and back-off against `clock` (default: the system clock); a
    /// [`ManualClock`](crate::clock::ManualClock) lets a test move time instead of sleeping.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> CachedProvider {
        self.clock = clock;
        self
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

    /// Names the inner provider in errors of the cache's own (`"instance role"`, …).
    pub(crate) fn named(mut self, source_name: &'static str) -> CachedProvider {
        self.source_name = source_name;
        self
    }

    /// How long before expiry cached credentials are refreshed (5 minutes unless set with
    /// [`with_refresh_margin`](Self::with_refresh_margin)).
    pub fn refresh_margin(&self) -> Duration {
        self.refresh_margin
    }

    /// Forgets the cached credentials: the next call fetches new ones (after the service
    /// rejected them, say).
    pub fn invalidate(&self) {
        let mut state = self.lock_state();
        state.credentials = None;
        state.refresh_at = None;
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

    /// Before the refresh point of the cached credentials (always, without an expiry).
    fn is_fresh(state: &State, now: SystemTime) -> bool {
        state.refresh_at.is_none_or(|at| now < at)
    }

    /// Checks an answer's expiry: `Ok(refresh point)` for usable credentials, `Err` for those
    /// that have expired or have less than the minimum lifetime left.
    ///
    /// Why both rules: caching credentials that are already inside the refresh margin would
    /// make every call refresh them again (the bug this replaces, seen with a metadata service
    /// answering stale credentials); rejecting everything inside the margin would instead fail
    /// whenever a source hands out credentials late in their life, which a metadata service
    /// rotating shortly before expiry legitimately does. So: below the minimum lifetime
    /// (60 s, or the margin when shorter) an answer is refused; above it, it is used, and the
    /// next refresh is at the margin or — for an answer with less than twice the margin left —
    /// halfway through what it has left, so a source that keeps answering the same ageing
    /// credentials is asked a handful of times, not on every call.
    fn refresh_point(
        &self,
        credentials: &Credentials,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, CredentialsError> {
        let Some(expires_at) = credentials.expires_at() else {
            return Ok(None);
        };
        let floor = Self::MIN_LIFETIME.min(self.refresh_margin);
        let at = format_time(expires_at);
        let left = match expires_at.duration_since(now) {
            Ok(left) if left > floor => left,
            Ok(left) => {
                return Err(CredentialsError::Expired {
                    source_name: self.source_name,
                    reason: format!(
                        "the credentials it answered expire at {at}, in {} s: less than the {} s \
                         they must have left",
                        left.as_secs(),
                        floor.as_secs()
                    ),
                    expires_at,
                })
            }
            Err(e) => {
                return Err(CredentialsError::Expired {
                    source_name: self.source_name,
                    reason: format!(
                        "the credentials it answered expired at {at}, {} s ago",
                        e.duration().as_secs()
                    ),
                    expires_at,
                })
            }
        };
        let margin = self.refresh_margin.min(left / 2);
        Ok(expires_at.checked_sub(margin))
    }

    async fn get(&self) -> Result<Credentials, CredentialsError> {
        let now = self.clock.now();
        let seen = {
            let state = self.lock_state();
            let failed_recently = state.last_failure.as_ref().is_some_and(|(at, _)| {
                now.duration_since(*at)
                    .map_or(true, |ago| ago < self.retry_after_failure)
            });
            if let Some(credentials) = &state.credentials {
                if Self::is_fresh(&state, now) {
                    return Ok(credentials.clone());
                }
                if failed_recently && is_valid(credentials, now) {
                    return Ok(credentials.clone());
                }
            }
            // A source that just answered expired credentials will answer them again: the
            // rejection stands for the back-off instead of costing every call a request.
            if let Some((_, error @ CredentialsError::Expired { .. })) = &state.last_failure {
                if failed_recently && state.credentials.as_ref().is_none_or(|c| !is_valid(c, now)) {
                    return Err(error.duplicate());
                }
            }
            state.attempts
        };

        let _flight = self.refresh.lock().await;
        {
            let state = self.lock_state();
            if state.attempts != seen {
                // A refresh finished while this caller waited: share its outcome.
                let now = self.clock.now();
                if let Some(credentials) = state.credentials.as_ref().filter(|c| is_valid(c, now)) {
                    return Ok(credentials.clone());
                }
                if let Some((_, error)) = &state.last_failure {
                    return Err(error.duplicate());
                }
            }
        }

        tracing::debug!(provider = ?self.inner, "refreshing credentials");
        let now = self.clock.now();
        let result = self
            .inner
            .provide_credentials()
            .await
            .and_then(|credentials| {
                let refresh_at = self.refresh_point(&credentials, now)?;
                Ok((credentials, refresh_at))
            });
        let mut state = self.lock_state();
        state.attempts = state.attempts.wrapping_add(1);
        match result {
            Ok((credentials, refresh_at)) => {
                state.credentials = Some(credentials.clone());
                state.refresh_at = refresh_at;
                state.last_failure = None;
                Ok(credentials)
            }
            Err(error) => {
                let now = self.clock.now();
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

/// RFC 3339, for messages (`2024-05-01T00:00:00Z`); Unix seconds when out of its range (an
/// answer may claim any `ExpiredTime`, and `OffsetDateTime::from(SystemTime)` would panic).
fn format_time(at: SystemTime) -> String {
    let seconds = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("Unix time {seconds}"))
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

    /// As if the refresh point of the cached credentials had passed.
    fn make_stale(cache: &CachedProvider) {
        cache.lock_state().refresh_at = Some(SystemTime::now() - Duration::from_secs(1));
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
            make_stale(&cache);
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-2"
            );
            assert_eq!(counter.calls.load(Ordering::SeqCst), 2);
        });
    }

    #[test]
    fn short_lived_answers_are_kept_until_halfway_not_refetched_every_call() {
        rt().block_on(async {
            let counter = Arc::new(Counter::default());
            // 120 s: inside the 5-minute margin, above the 60 s minimum.
            counter.lifetime_secs.store(120, Ordering::SeqCst);
            let cache = CachedProvider::new(counter.clone());
            for _ in 0..5 {
                assert_eq!(
                    cache.provide_credentials().await.unwrap().secret_id(),
                    "id-1"
                );
            }
            assert_eq!(counter.calls.load(Ordering::SeqCst), 1);
            // Refreshed halfway: about 60 s from now, not at once.
            let refresh_at = cache.lock_state().refresh_at.unwrap();
            let left = refresh_at.duration_since(SystemTime::now()).unwrap();
            assert!(
                left > Duration::from_secs(55) && left <= Duration::from_secs(60),
                "{left:?}"
            );
        });
    }

    #[test]
    fn expired_or_nearly_expired_answers_are_rejected_then_backed_off() {
        rt().block_on(async {
            for (lifetime, expected) in
                [(30u64, "less than the 60 s they must have left"), (0, " s")]
            {
                let counter = Arc::new(Counter::default());
                counter.lifetime_secs.store(lifetime, Ordering::SeqCst);
                let cache = CachedProvider::new(counter.clone()).named("test source");
                let err = cache.provide_credentials().await.unwrap_err();
                let CredentialsError::Expired { source_name, .. } = &err else {
                    panic!("expected Expired, got {err:?}");
                };
                assert_eq!(*source_name, "test source");
                let text = err.to_string();
                assert!(
                    text.starts_with("test source: the credentials it answered expire"),
                    "{text}"
                );
                assert!(text.contains(expected), "{text}");
                assert!(cache.cached_expiry().is_none(), "not cached");
                // Within the back-off the rejection stands without a new request.
                for _ in 0..3 {
                    assert!(matches!(
                        cache.provide_credentials().await,
                        Err(CredentialsError::Expired { .. })
                    ));
                }
                assert_eq!(counter.calls.load(Ordering::SeqCst), 1);
            }

            // A margin shorter than a minute lowers the minimum with it.
            let counter = Arc::new(Counter::default());
            counter.lifetime_secs.store(30, Ordering::SeqCst);
            let cache =
                CachedProvider::new(counter.clone()).with_refresh_margin(Duration::from_secs(10));
            assert!(cache.provide_credentials().await.is_ok());
        });
    }

    #[test]
    fn failure_serves_still_valid_credentials_then_backs_off() {
        rt().block_on(async {
            let counter = Arc::new(Counter::default());
            counter.lifetime_secs.store(3600, Ordering::SeqCst);
            let cache = CachedProvider::new(counter.clone());
            assert_eq!(
                cache.provide_credentials().await.unwrap().secret_id(),
                "id-1"
            );
            counter.fail.store(true, Ordering::SeqCst);
            make_stale(&cache);
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
