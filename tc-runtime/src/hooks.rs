//! A small hook point on every attempt of every call: add headers before sending, observe the
//! outcome after. For metrics, tracing of your own, or headers a proxy needs — without forking.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use tc_runtime::hooks::{Attempt, Hook, HeaderMap};
//!
//! #[derive(Default)]
//! struct Metrics {
//!     attempts: AtomicU64,
//! }
//!
//! impl Hook for Metrics {
//!     fn before_send(&self, _service: &str, _action: &str, headers: &mut HeaderMap) {
//!         headers.insert("x-team", "edge-platform".parse().unwrap());
//!     }
//!     fn after_attempt(&self, attempt: &Attempt<'_>) {
//!         self.attempts.fetch_add(1, Ordering::Relaxed);
//!         let _ = (attempt.action, attempt.latency, attempt.error.map(|e| e.code()));
//!     }
//! }
//! ```
//!
//! Headers are added after signing: the TC3 signature covers `Content-Type` and `Host` only, so
//! added headers cannot break it (hooks cannot change the signed ones).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::Error;

/// Code that runs around every attempt. Both methods do nothing unless overridden; they run on
/// the caller's task, so they should be quick and must not block.
pub trait Hook: Send + Sync + 'static {
    /// Before an attempt is sent, with its headers (signed already).
    fn before_send(&self, service: &str, action: &str, headers: &mut HeaderMap) {
        let _ = (service, action, headers);
    }

    /// After each attempt, successful or not (a call with retries has several).
    fn after_attempt(&self, attempt: &Attempt<'_>) {
        let _ = attempt;
    }
}

/// One finished attempt.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// `teo`, `sts`, …
    pub service: &'a str,
    /// The action's wire name (`DescribeZones`).
    pub action: &'a str,
    /// 1 for the first attempt of a call.
    pub number: u32,
    /// How long the attempt took: credentials, signing, sending and reading the whole answer
    /// (or failing).
    pub latency: Duration,
    /// The server's request id, when the answer carried one.
    pub request_id: Option<&'a str>,
    /// Why it failed; `None` for a success.
    pub error: Option<&'a Error>,
}

/// The hooks of one client, in the order added.
#[derive(Clone, Default)]
pub(crate) struct Hooks(Vec<Arc<dyn Hook>>);

impl Hooks {
    pub(crate) fn push(&mut self, hook: Arc<dyn Hook>) {
        self.0.push(hook);
    }

    pub(crate) fn before_send(&self, service: &str, action: &str, headers: &mut HeaderMap) {
        for hook in self.0.iter() {
            hook.before_send(service, action, headers);
        }
    }

    pub(crate) fn after_attempt(&self, attempt: &Attempt<'_>) {
        for hook in self.0.iter() {
            hook.after_attempt(attempt);
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} hook(s)", self.0.len())
    }
}
