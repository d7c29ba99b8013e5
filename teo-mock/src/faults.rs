//! Fault injection and the per-action rate limiter.
//!
//! A [`FaultPlan`] says which action (or `"*"` for every action) suffers which [`Fault`], and
//! when ([`Trigger`]): with a probability on every call, or on exactly the next N calls. Plans are
//! held by a [`FaultInjector`], shared by all connections of a server and changeable while it
//! runs ([`crate::MockServer::faults`]).
//!
//! Besides API actions, the log packet downloads (`GET /logs/<file>`) consult the injector under
//! the pseudo-action [`LOG_PACKET_ACTION`] (`LogPacket`); plans for `*` match them too. `HEAD`
//! requests for packets are never faulted.
//!
//! # Plan syntax
//!
//! On the command line and in [`FaultPlan::from_str`] a plan reads `ACTION:FAULT:TRIGGER`:
//!
//! | FAULT | on an API call (`POST /`) | on `LogPacket` (`GET /logs/<file>`) |
//! | --- | --- | --- |
//! | `request-limit-exceeded` (`rate-limit`) | API error `RequestLimitExceeded` (HTTP 200) | HTTP 503 with a short text body |
//! | `internal-error` | API error `InternalError` (HTTP 200) | HTTP 500 with a short text body |
//! | `bad-gateway` (`502`) | HTTP 502 with an HTML page, as a proxy in front of the API answers | the same |
//! | `reset` | the TCP connection is closed with RST before any response byte | the same |
//! | `truncate` | the response head promises more bytes (`Content-Length`) than are sent (about half), then the connection closes | the same, with the packet |
//! | `bad-json` (`malformed-json`) | a complete HTTP 200 answer whose JSON is cut in half | as `corrupt` |
//! | `corrupt` | as `bad-json` | a complete HTTP 200 packet of the exact listed `Size` whose gzip data has 4 bytes inverted, so the gzip CRC check (or the deflate block check) fails |
//! | `repeat-page` | for an action whose request has `Offset` (DownloadL4Logs, DownloadL7Logs and the generic Offset/Limit actions), the answer is the first page, as if `Offset` were 0; no effect on other actions (the call still uses up a count) | no effect (the packet is served; a count is used up) |
//! | `latency=DURATION` | the answer is delayed (`200ms`, `1.5s`, `2s`; a bare number is milliseconds); combines with the others | the same |
//!
//! A fault that fires on a packet that does not exist leaves its 404 intact (`reset`, `bad-gateway`,
//! `internal-error` and `request-limit-exceeded` still act, as they come before the lookup).
//!
//! TRIGGER is a probability `0.0`–`1.0` (`p=0.5` also reads) or `count=N` (the next N calls).
//! Examples: `DescribeZones:internal-error:0.5`, `*:reset:count=3`,
//! `DescribeZones:latency=200ms:1.0`, `LogPacket:corrupt:count=2`,
//! `DownloadL4Logs:repeat-page:count=1`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The action name that matches every action.
pub const ANY_ACTION: &str = "*";

/// The pseudo-action under which log packet downloads (`GET /logs/<file>`) consult the
/// injector: `LogPacket:truncate:count=1` truncates the next packet download.
pub const LOG_PACKET_ACTION: &str = "LogPacket";

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The API error `RequestLimitExceeded`, in the usual envelope with HTTP 200.
    RequestLimitExceeded,
    /// The API error `InternalError`, in the usual envelope with HTTP 200.
    InternalError,
    /// HTTP 502 with an HTML body (`<html>…502 Bad Gateway…</html>`), no API envelope.
    BadGateway,
    /// The connection is closed with a TCP RST (linger 0) before any response is sent.
    ConnectionReset,
    /// The response head announces the full `Content-Length`, about half of the body is sent,
    /// then the connection closes.
    TruncatedBody,
    /// A complete HTTP 200 `application/json` answer whose body is not valid JSON (the envelope
    /// cut in half): a broken upstream, not a broken connection. On a log packet, as
    /// [`Fault::Corrupt`].
    MalformedJson,
    /// A complete HTTP 200 answer of the right length whose bytes are damaged: for a log packet,
    /// 4 bytes in the middle of its gzip data are inverted (`Content-Length` and the listed
    /// `Size` still match; decompressing fails the CRC check). On an API call, as
    /// [`Fault::MalformedJson`].
    Corrupt,
    /// For a request with `Offset`, the answer is the first page (as if `Offset` were 0): a
    /// paginating client sees the same items again. No effect on requests without `Offset` or
    /// on log packet downloads.
    RepeatPage,
    /// The answer (whatever it is) is delayed by this long. Latency plans combine with each
    /// other (the delays add up) and with one of the other faults.
    Latency(Duration),
}

impl Fault {
    /// The name used in the `ACTION:FAULT:TRIGGER` syntax and in logs.
    pub fn name(&self) -> String {
        match self {
            Fault::RequestLimitExceeded => "request-limit-exceeded".into(),
            Fault::InternalError => "internal-error".into(),
            Fault::BadGateway => "bad-gateway".into(),
            Fault::ConnectionReset => "reset".into(),
            Fault::TruncatedBody => "truncate".into(),
            Fault::MalformedJson => "bad-json".into(),
            Fault::Corrupt => "corrupt".into(),
            Fault::RepeatPage => "repeat-page".into(),
            Fault::Latency(d) => format!("latency={}ms", d.as_millis()),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Fault, String> {
        let lower = s.trim().to_ascii_lowercase();
        if let Some(duration) = lower.strip_prefix("latency=") {
            return parse_duration(duration).map(Fault::Latency);
        }
        Ok(match lower.as_str() {
            "request-limit-exceeded" | "requestlimitexceeded" | "rate-limit" | "throttle" => {
                Fault::RequestLimitExceeded
            }
            "internal-error" | "internalerror" | "internal" => Fault::InternalError,
            "bad-gateway" | "502" | "html-502" => Fault::BadGateway,
            "reset" | "connection-reset" | "rst" => Fault::ConnectionReset,
            "truncate" | "truncated" | "truncated-body" => Fault::TruncatedBody,
            "bad-json" | "malformed-json" => Fault::MalformedJson,
            "corrupt" | "corrupted" | "corrupt-body" => Fault::Corrupt,
            "repeat-page" | "repeat-first-page" => Fault::RepeatPage,
            _ => {
                return Err(format!(
                    "unknown fault {s:?} (expected request-limit-exceeded, internal-error, \
                     bad-gateway, reset, truncate, bad-json, corrupt, repeat-page or \
                     latency=DURATION)"
                ))
            }
        })
    }
}

/// When a plan fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// On each matching call independently with this probability (0.0 never, 1.0 always).
    Probability(f64),
    /// On exactly the next N matching calls, then never again.
    Count(u32),
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Probability(p) => write!(f, "{p}"),
            Trigger::Count(n) => write!(f, "count={n}"),
        }
    }
}

impl FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Trigger, String> {
        let s = s.trim();
        if let Some(n) = s.strip_prefix("count=") {
            return n
                .parse()
                .map(Trigger::Count)
                .map_err(|_| format!("count {n:?} is not a whole number"));
        }
        let p = s.strip_prefix("p=").unwrap_or(s);
        match p.parse::<f64>() {
            Ok(p) if (0.0..=1.0).contains(&p) => Ok(Trigger::Probability(p)),
            _ => Err(format!(
                "trigger {s:?} is neither a probability 0.0-1.0 nor count=N"
            )),
        }
    }
}

/// One rule: `action` (or `"*"`) suffers `fault` when `trigger` says so.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    /// The action's wire name, [`LOG_PACKET_ACTION`] for packet downloads, or `"*"` for all.
    pub action: String,
    /// What happens to the call.
    pub fault: Fault,
    /// Which calls it happens to.
    pub trigger: Trigger,
}

impl FaultPlan {
    /// A plan for `action` (or `"*"`).
    pub fn new(action: impl Into<String>, fault: Fault, trigger: Trigger) -> FaultPlan {
        FaultPlan {
            action: action.into(),
            fault,
            trigger,
        }
    }

    /// `fault` on every call of `action` with probability `p` (clamped to 0.0–1.0).
    pub fn probability(action: impl Into<String>, fault: Fault, p: f64) -> FaultPlan {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        FaultPlan::new(action, fault, Trigger::Probability(p))
    }

    /// `fault` on the next `n` calls of `action`.
    pub fn count(action: impl Into<String>, fault: Fault, n: u32) -> FaultPlan {
        FaultPlan::new(action, fault, Trigger::Count(n))
    }

    fn matches(&self, action: &str) -> bool {
        self.action == ANY_ACTION || self.action == action
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.action, self.fault, self.trigger)
    }
}

impl FromStr for FaultPlan {
    type Err = String;

    /// `ACTION:FAULT:TRIGGER`, see the module documentation.
    fn from_str(s: &str) -> Result<FaultPlan, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(action), Some(fault), Some(trigger)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "fault {s:?} is not ACTION:FAULT:TRIGGER (e.g. DescribeZones:internal-error:0.5)"
            ));
        };
        let action = action.trim();
        if action.is_empty() {
            return Err(format!("fault {s:?} names no action (use * for all)"));
        }
        Ok(FaultPlan {
            action: action.to_owned(),
            fault: fault.parse()?,
            trigger: trigger.parse()?,
        })
    }
}

/// `200ms`, `1.5s`, `2s`, `1m`, or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 0.001)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 && n * scale < 86_400.0 => {
            Ok(Duration::from_secs_f64(n * scale))
        }
        _ => Err(format!(
            "duration {text:?} is not like 200ms, 1.5s or 2s (at most a day)"
        )),
    }
}

/// What the injector decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// The sum of the delays of the latency plans that fired.
    pub latency: Duration,
    /// The first other fault that fired, in plan order.
    pub fault: Option<Fault>,
}

/// The fault plans of a server, shared by its connections. Cheap to clone (clones share plans).
#[derive(Debug, Clone, Default)]
pub struct FaultInjector {
    plans: Arc<Mutex<Vec<FaultPlan>>>,
}

impl FaultInjector {
    /// An injector holding `plans`, in order.
    pub fn new(plans: impl IntoIterator<Item = FaultPlan>) -> FaultInjector {
        FaultInjector {
            plans: Arc::new(Mutex::new(plans.into_iter().collect())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<FaultPlan>> {
        // A panic elsewhere while holding the lock leaves the plans consistent: recover them.
        self.plans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a plan after the existing ones.
    pub fn add(&self, plan: FaultPlan) {
        self.lock().push(plan);
    }

    /// Replaces all plans.
    pub fn set(&self, plans: impl IntoIterator<Item = FaultPlan>) {
        *self.lock() = plans.into_iter().collect();
    }

    /// Removes all plans.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The current plans; count plans show the calls they still have to hit.
    pub fn plans(&self) -> Vec<FaultPlan> {
        self.lock().clone()
    }

    /// Decides the faults of one call of `action`, consuming counts. Latency plans are always
    /// evaluated; among the other plans the first that fires wins and later ones are not
    /// evaluated (so their counts are kept for later calls). Exhausted count plans are removed.
    pub fn decide(&self, action: &str) -> Decision {
        let mut plans = self.lock();
        let mut decision = Decision::default();
        for plan in plans.iter_mut().filter(|plan| plan.matches(action)) {
            let is_latency = matches!(plan.fault, Fault::Latency(_));
            if !is_latency && decision.fault.is_some() {
                continue;
            }
            let fires = match &mut plan.trigger {
                Trigger::Probability(p) => *p >= 1.0 || (*p > 0.0 && fastrand::f64() < *p),
                Trigger::Count(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                Trigger::Count(_) => false,
            };
            if !fires {
                continue;
            }
            match plan.fault {
                Fault::Latency(d) => decision.latency = decision.latency.saturating_add(d),
                fault => decision.fault = Some(fault),
            }
        }
        plans.retain(|plan| plan.trigger != Trigger::Count(0));
        decision
    }
}

/// Past this many tracked actions, idle ones are forgotten (the action header is client input).
const MAX_TRACKED_ACTIONS: usize = 4096;

/// A per-action token bucket: each action may burst up to `per_second` calls and is refilled at
/// `per_second` calls a second. Shared by all connections of a server.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_second` calls a second per action (0 rejects everything).
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Calls allowed a second per action.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Takes a token for one call of `action`; `false` when its bucket is empty.
    pub fn try_acquire(&self, action: &str) -> bool {
        self.try_acquire_at(action, Instant::now())
    }

    fn try_acquire_at(&self, action: &str, now: Instant) -> bool {
        let rate = f64::from(self.per_second);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED_ACTIONS && !buckets.contains_key(action) {
            // Forget buckets that have refilled completely: they behave like new ones.
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < rate
            });
            if buckets.len() >= MAX_TRACKED_ACTIONS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(action.to_owned()).or_insert(Bucket {
            tokens: rate,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plans() {
        let plan: FaultPlan = "DescribeZones:internal-error:0.5".parse().unwrap();
        assert_eq!(
            plan,
            FaultPlan::probability("DescribeZones", Fault::InternalError, 0.5)
        );
        let plan: FaultPlan = "*:reset:count=3".parse().unwrap();
        assert_eq!(plan, FaultPlan::count("*", Fault::ConnectionReset, 3));
        let plan: FaultPlan = "DescribeZones:latency=200ms:1.0".parse().unwrap();
        assert_eq!(plan.fault, Fault::Latency(Duration::from_millis(200)));
        assert_eq!(
            "A:latency=1.5s:1".parse::<FaultPlan>().unwrap().fault,
            Fault::Latency(Duration::from_millis(1500))
        );
        assert_eq!(
            "A:502:p=1".parse::<FaultPlan>().unwrap().fault,
            Fault::BadGateway
        );
        let plan: FaultPlan = "LogPacket:corrupt:count=2".parse().unwrap();
        assert_eq!(plan, FaultPlan::count(LOG_PACKET_ACTION, Fault::Corrupt, 2));
        let plan: FaultPlan = "DownloadL4Logs:repeat-page:1".parse().unwrap();
        assert_eq!(
            plan,
            FaultPlan::probability("DownloadL4Logs", Fault::RepeatPage, 1.0)
        );
        // Every fault's name parses back to it.
        for fault in [
            Fault::RequestLimitExceeded,
            Fault::InternalError,
            Fault::BadGateway,
            Fault::ConnectionReset,
            Fault::TruncatedBody,
            Fault::MalformedJson,
            Fault::Corrupt,
            Fault::RepeatPage,
            Fault::Latency(Duration::from_millis(250)),
        ] {
            assert_eq!(fault.name().parse::<Fault>().unwrap(), fault);
        }
        for bad in [
            "DescribeZones",
            "A:internal-error",
            "A:boom:1",
            "A:reset:1.5",
            "A:reset:count=-1",
            ":reset:1",
            "A:latency=soon:1",
        ] {
            assert!(bad.parse::<FaultPlan>().is_err(), "{bad}");
        }
        let plan = FaultPlan::count("*", Fault::Latency(Duration::from_millis(200)), 3);
        assert_eq!(plan.to_string().parse::<FaultPlan>().unwrap(), plan);
    }

    #[test]
    fn counts_run_out_and_latency_combines() {
        let injector = FaultInjector::new([
            FaultPlan::count("A", Fault::Latency(Duration::from_millis(5)), 2),
            FaultPlan::count("*", Fault::Latency(Duration::from_millis(7)), 1),
            FaultPlan::count("A", Fault::InternalError, 1),
            FaultPlan::count("A", Fault::ConnectionReset, 1),
        ]);
        let first = injector.decide("A");
        assert_eq!(first.latency, Duration::from_millis(12));
        assert_eq!(first.fault, Some(Fault::InternalError));
        let second = injector.decide("A");
        assert_eq!(second.latency, Duration::from_millis(5));
        assert_eq!(second.fault, Some(Fault::ConnectionReset));
        assert_eq!(injector.decide("A"), Decision::default());
        assert!(injector.plans().is_empty());
    }

    #[test]
    fn token_bucket_refills() {
        let limiter = RateLimiter::new(5);
        let t0 = Instant::now();
        assert_eq!(
            (0..20).filter(|_| limiter.try_acquire_at("A", t0)).count(),
            5
        );
        assert!(limiter.try_acquire_at("B", t0));
        assert!(!limiter.try_acquire_at("A", t0 + Duration::from_millis(100)));
        assert!(limiter.try_acquire_at("A", t0 + Duration::from_millis(400)));
        assert!(!RateLimiter::new(0).try_acquire("A"));
    }
}
