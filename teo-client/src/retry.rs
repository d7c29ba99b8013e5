//! When and how a failed call is tried again.
//!
//! The rule:
//! - **Throttling** (`RequestLimitExceeded` and its sub-codes such as
//!   `RequestLimitExceeded.UinLimitExceeded`) is always retried: the server did nothing.
//! - **Failures that leave the outcome unknown** — transport errors (connection reset, a
//!   truncated body), timeouts, HTTP 5xx, `InternalError`, `ServiceUnavailable` — are retried
//!   only for actions that are [`RetrySafety::ReadOnly`] or [`RetrySafety::Idempotent`]. Which
//!   those are is decided by the generator from the spec (`tc_spec::facts`, with the
//!   `retry.json` overrides beside the spec) and compiled in as a table; an action the table does
//!   not know (one newer than the generated code, called through `Client::call`) is treated as
//!   unsafe. Repeating a `Create*` or `Modify*` whose first attempt may have taken effect could do
//!   it twice.
//! - Everything else (authentication, invalid parameters, business errors) is not retried.
//!
//! Delays grow exponentially with full jitter: attempt *n* waits a uniformly random time in
//! `[0, min(max_delay, base_delay × 2ⁿ)]`, so throttled clients spread out instead of retrying in
//! lockstep.

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

    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether attempt number `attempt` (1-based) of `action`, which failed with `error`, should
    /// be followed by another.
    pub(crate) fn should_retry(&self, action: &str, attempt: u32, error: &Error) -> bool {
        attempt < self.max_attempts
            && match error.retry_class() {
                RetryClass::Always => true,
                RetryClass::IfReadOnly => retry_safety(action) != RetrySafety::Unsafe,
                RetryClass::Never => false,
            }
    }

    /// The full-jitter delay before retry number `retry` (1-based).
    pub(crate) fn delay(&self, retry: u32) -> Duration {
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

/// The generated retry safety of `action`; [`RetrySafety::Unsafe`] for an unknown action.
pub fn retry_safety(action: &str) -> RetrySafety {
    let table = crate::generated::RETRY_SAFETY;
    table
        .binary_search_by(|(name, _)| (*name).cmp(action))
        .map_or(RetrySafety::Unsafe, |i| table[i].1)
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

    #[test]
    fn retry_safety_comes_from_the_generated_table() {
        for action in [
            "DescribeZones",
            "DownloadL4Logs",
            "CheckCnameStatus",
            // Reads whose names do not say so: decided by retry.json overrides.
            "EdgeKVGet",
            "EdgeKVList",
            "ExportZoneConfig",
        ] {
            assert_eq!(retry_safety(action), RetrySafety::ReadOnly, "{action}");
        }
        for action in [
            "CreateZone",
            "ModifyZone",
            "DeleteZone",
            "BindZoneToPlan",
            "EdgeKVPut",
            "NoSuchAction",
        ] {
            assert_eq!(retry_safety(action), RetrySafety::Unsafe, "{action}");
        }
        let table = crate::generated::RETRY_SAFETY;
        assert!(
            table.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted for binary search"
        );
    }
}
