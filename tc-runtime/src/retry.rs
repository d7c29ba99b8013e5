//! When and how a failed call is tried again.
//!
//! The rule:
//! - **Throttling** (`RequestLimitExceeded` and its sub-codes such as
//!   `RequestLimitExceeded.UinLimitExceeded`) is always retried: the server did nothing.
//! - **Failures that leave the outcome unknown** — transport errors (connection reset, a
//!   truncated body), timeouts, HTTP 5xx, `InternalError`, `ServiceUnavailable` — are retried
//!   only for actions that are [`RetrySafety::ReadOnly`] or [`RetrySafety::Idempotent`]. Which
//!   those are is decided by the generator from the spec (`tc_spec::retry_safety`, with the
//!   `retry.json` overrides beside the spec) and compiled in as a table; an action the table does
//!   not know (one newer than the generated code, called through `Client::call`) is treated as
//!   unsafe. Repeating a `Create*` or `Modify*` whose first attempt may have taken effect could do
//!   it twice.
//! - Everything else (authentication, invalid parameters, business errors) is not retried.
//!
//! Delays grow exponentially with full jitter: attempt *n* waits a uniformly random time in
//! `[0, min(max_delay, base_delay × 2ⁿ)]`, so throttled clients spread out instead of retrying in
//! lockstep.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use crate::Error;

/// How many times a call is tried and how long it waits in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, delays from 100 ms up to 5 s.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn disabled() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay bound of the first retry; it doubles with each further retry.
    pub fn base_delay(mut self, delay: Duration) -> RetryPolicy {
        self.base_delay = delay;
        self
    }

    /// The largest delay bound.
    pub fn max_delay(mut self, delay: Duration) -> RetryPolicy {
        self.max_delay = delay;
        self
    }

    /// The most attempts a call makes, the first included (at least 1).
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether attempt number `attempt` (1-based) of an action of retry safety `safety`, which
    /// failed with `error`, should be followed by another.
    pub fn should_retry(&self, safety: RetrySafety, attempt: u32, error: &Error) -> bool {
        attempt < self.max_attempts
            && match error.retry_class() {
                RetryClass::Always => true,
                RetryClass::IfReadOnly => safety != RetrySafety::Unsafe,
                RetryClass::Never => false,
            }
    }

    /// The full-jitter delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let exponential = self.base_delay.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let bound = exponential.min(self.max_delay);
        bound.mul_f64(fastrand::f64())
    }
}

/// How an error relates to retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Nothing happened on the server (throttling): safe for every action.
    Always,
    /// The outcome is unknown: safe only for actions that do not change anything.
    IfReadOnly,
    /// Repeating cannot help (a rejected request, an oversized answer) or could do harm.
    Never,
}

/// Whether an action may be repeated after an unknown outcome; generated per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySafety {
    /// Reads only.
    ReadOnly,
    /// Writes, but a repeat has no further effect.
    Idempotent,
    /// A repeat could apply the change twice.
    Unsafe,
}

/// The one retry loop of every HTTP exchange the runtime makes (API calls, STS through them, the
/// metadata service, log packets): `attempt(n)` is tried (`n` from 1), and after a failure
/// `next_delay(n, &error)` decides: `None` returns the error, `Some(delay)` sleeps that long and
/// tries again. The caller keeps its attempt budget and delays there, usually
/// [`RetryPolicy::should_retry`] and [`RetryPolicy::delay`]. A success after failed attempts is a
/// success: earlier errors are dropped.
pub async fn retry_loop<T, E, F, Fut>(
    mut attempt: F,
    mut next_delay: impl FnMut(u32, &E) -> Option<Duration>,
) -> Result<T, E>
where
    E: Display,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut n = 1;
    loop {
        match attempt(n).await {
            Err(error) => match next_delay(n, &error) {
                Some(delay) => {
                    tracing::info!(
                        attempt = n,
                        delay_ms = delay.as_millis() as u64,
                        error = %error,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                None => return Err(error),
            },
            ok => return ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_jittered_within_an_exponential_bound() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        for _ in 0..200 {
            assert!(policy.delay(1) <= Duration::from_millis(100));
            assert!(policy.delay(2) <= Duration::from_millis(200));
            assert!(policy.delay(3) <= Duration::from_millis(350));
            assert!(policy.delay(40) <= Duration::from_millis(350));
        }
        let spread: std::collections::BTreeSet<_> = (0..50).map(|_| policy.delay(3)).collect();
        assert!(spread.len() > 40, "full jitter spreads delays");
    }
}
