//! Client-side rate limiting: at most N calls per second per action (EdgeOne documents 100),
//! shared by every clone of a client, so a busy program waits instead of being throttled.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket per action: holds up to `per_second` tokens, refilled continuously.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub(crate) fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second: per_second.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `action` may be called. Dropping the future gives the reservation up only in
    /// the sense that the time slot is spent; nothing else is held.
    pub(crate) async fn acquire(&self, action: &str) {
        let wait = self.reserve(action, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token for `action` (possibly going into debt) and returns how long to wait for it.
    fn reserve(&self, action: &str, now: Instant) -> Duration {
        let rate = f64::from(self.per_second);
        // A poisoned lock only means another thread panicked mid-update; the numbers stay usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(action.to_owned()).or_insert(Bucket {
            tokens: rate,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate) - 1.0;
        bucket.updated = now;
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_passes_then_calls_are_spaced() {
        let limiter = RateLimiter::new(10);
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.reserve("A", now), Duration::ZERO);
        }
        assert_eq!(limiter.reserve("A", now), Duration::from_millis(100));
        assert_eq!(limiter.reserve("A", now), Duration::from_millis(200));
        // Other actions have their own bucket.
        assert_eq!(limiter.reserve("B", now), Duration::ZERO);
        // Time refills the bucket.
        assert_eq!(
            limiter.reserve("A", now + Duration::from_secs(2)),
            Duration::ZERO
        );
    }
}
