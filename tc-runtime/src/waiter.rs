//! Waiting for asynchronous work to finish: poll a Describe action until the status of every
//! item of a response list is a success state, fail as soon as one is a failure state, give up
//! at a deadline. What to poll and which states mean what are generated data
//! ([`WaiterSpec`], from `waiters.json` beside each spec); the loop is here, once.
//!
//! Polls are spaced by an exponential backoff with jitter (`delay`, doubling up to `max_delay`,
//! each sleep a uniformly random time in its upper half, so waiters started together spread
//! out) and never sleep past the deadline. Each poll is one ordinary call, with the client's
//! retries; a call that still fails ends the wait with that error. Progress is reported through
//! `tracing` (`info` per poll with the observed states).

use std::fmt;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Client, Error};

/// What a generated `wait_until_…` method waits for.
#[derive(Debug, Clone, Copy)]
pub struct WaiterSpec {
    /// `PurgeTaskDone`
    pub name: &'static str,
    /// The polled action, e.g. `DescribePurgeTasks`.
    pub action: &'static str,
    /// Its request as JSON, `"$Param"` strings standing for the waiter's parameters.
    pub input: &'static str,
    /// The response's list member (`Tasks`) and its items' status member (`Status`).
    pub list: &'static str,
    /// The string member of each list item that holds its state.
    pub status: &'static str,
    /// States meaning done: the wait succeeds when every item is in one of them.
    pub success: &'static [&'static str],
    /// States meaning failed: the wait fails as soon as one item is in one of them.
    pub failure: &'static [&'static str],
    /// The first pause between polls.
    pub delay: Duration,
    /// The longest pause between polls (the pause doubles up to it).
    pub max_delay: Duration,
    /// How long to poll before giving up.
    pub timeout: Duration,
}

/// Overrides of a waiter's generated defaults; `WaitOptions::default()` keeps them.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaitOptions {
    /// Replaces [`WaiterSpec::timeout`]; `None` keeps it.
    pub timeout: Option<Duration>,
    /// Replaces [`WaiterSpec::delay`]; `None` keeps it.
    pub delay: Option<Duration>,
    /// Replaces [`WaiterSpec::max_delay`]; `None` keeps it.
    pub max_delay: Option<Duration>,
}

impl WaitOptions {
    /// Gives up after `timeout` instead of the waiter's default.
    pub fn timeout(mut self, timeout: Duration) -> WaitOptions {
        self.timeout = Some(timeout);
        self
    }

    /// Starts with pauses of `delay` instead of the waiter's default.
    pub fn delay(mut self, delay: Duration) -> WaitOptions {
        self.delay = Some(delay);
        self
    }

    /// Lets pauses grow to `delay` at most instead of the waiter's default.
    pub fn max_delay(mut self, delay: Duration) -> WaitOptions {
        self.max_delay = Some(delay);
        self
    }
}

/// Why a wait ended without success: a failure state, the deadline, or a call that failed.
/// Each names the waiter and the last states observed.
pub struct WaitError {
    waiter: &'static str,
    kind: WaitErrorKind,
    /// The statuses of the last response (empty: no item yet, or no response).
    last: Vec<String>,
    polls: u32,
    elapsed: Duration,
}

#[derive(Debug)]
enum WaitErrorKind {
    Failed,
    TimedOut,
    Call(Error),
    Decode(serde_json::Error),
}

impl WaitError {
    /// The waiter, e.g. `PurgeTaskDone`.
    pub fn waiter(&self) -> &'static str {
        self.waiter
    }

    /// The statuses the last poll saw, one per item.
    pub fn last_states(&self) -> &[String] {
        &self.last
    }

    /// An item reached a failure state.
    pub fn is_failure(&self) -> bool {
        matches!(self.kind, WaitErrorKind::Failed)
    }

    /// The deadline passed first.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, WaitErrorKind::TimedOut)
    }

    /// The poll that failed, when a call ended the wait.
    pub fn call_error(&self) -> Option<&Error> {
        match &self.kind {
            WaitErrorKind::Call(error) => Some(error),
            _ => None,
        }
    }

    /// Polls made before the wait ended.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Time from the start of the wait to its end.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = if self.last.is_empty() {
            "no item yet".to_owned()
        } else {
            self.last.join(", ")
        };
        let after = format!(
            "after {} poll(s) in {:.1} s",
            self.polls,
            self.elapsed.as_secs_f64()
        );
        match &self.kind {
            WaitErrorKind::Failed => {
                write!(
                    f,
                    "{}: reached a failure state ({last}) {after}",
                    self.waiter
                )
            }
            WaitErrorKind::TimedOut => {
                write!(f, "{}: timed out {after}; last state: {last}", self.waiter)
            }
            WaitErrorKind::Call(error) => {
                write!(f, "{}: a poll failed {after}: {error}", self.waiter)
            }
            WaitErrorKind::Decode(error) => write!(
                f,
                "{}: the last response does not read as the typed response: {error}",
                self.waiter
            ),
        }
    }
}

impl fmt::Debug for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitError")
            .field("waiter", &self.waiter)
            .field("kind", &self.kind)
            .field("last", &self.last)
            .field("polls", &self.polls)
            .finish()
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            WaitErrorKind::Call(error) => Some(error),
            WaitErrorKind::Decode(error) => Some(error),
            _ => None,
        }
    }
}

/// A request template's `"$Param"` strings replaced by the parameters' values.
pub fn fill(template: &str, params: &[(&str, String)]) -> Value {
    fn walk(value: Value, params: &[(&str, String)]) -> Value {
        match value {
            Value::String(text) => match text.strip_prefix('$') {
                Some(name) => params
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(Value::String(text.clone()), |(_, v)| {
                        Value::String(v.clone())
                    }),
                None => Value::String(text),
            },
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|i| walk(i, params)).collect())
            }
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, walk(v, params)))
                    .collect(),
            ),
            other => other,
        }
    }
    // The template is generated from a checked waiters.json: it always parses.
    walk(
        serde_json::from_str(template).unwrap_or(Value::Null),
        params,
    )
}

/// The statuses of `response[list][*][status]` (items without a text status are skipped).
fn states(response: &Value, spec: &WaiterSpec) -> Vec<String> {
    response
        .get(spec.list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get(spec.status).and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Client {
    /// Polls `spec.action` with its input (`params` filled in) until done (see the module);
    /// returns the last response, typed. Every generated `wait_until_…` method is this call.
    pub async fn wait<O: DeserializeOwned>(
        &self,
        spec: &WaiterSpec,
        params: &[(&str, String)],
        options: WaitOptions,
    ) -> Result<O, WaitError> {
        let input = fill(spec.input, params);
        let started = Instant::now();
        let timeout = options.timeout.unwrap_or(spec.timeout);
        let delay = options
            .delay
            .unwrap_or(spec.delay)
            .max(Duration::from_millis(1));
        let max_delay = options.max_delay.unwrap_or(spec.max_delay).max(delay);
        let deadline = started + timeout;
        let mut polls = 0u32;
        let mut last = Vec::new();
        let error = |kind, last: Vec<String>, polls| WaitError {
            waiter: spec.name,
            kind,
            last,
            polls,
            elapsed: started.elapsed(),
        };
        loop {
            polls += 1;
            let response: Value = match self.send(spec.action, &input).await {
                Ok(response) => response,
                Err(e) => return Err(error(WaitErrorKind::Call(e), last, polls)),
            };
            last = states(&response, spec);
            tracing::info!(
                waiter = spec.name,
                poll = polls,
                states = ?last,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "waiting"
            );
            if last.iter().any(|s| spec.failure.contains(&s.as_str())) {
                return Err(error(WaitErrorKind::Failed, last, polls));
            }
            if !last.is_empty() && last.iter().all(|s| spec.success.contains(&s.as_str())) {
                return serde_json::from_value(response)
                    .map_err(|e| error(WaitErrorKind::Decode(e), last, polls));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(error(WaitErrorKind::TimedOut, last, polls));
            }
            let exponent = polls.saturating_sub(1).min(16);
            let bound = delay.saturating_mul(1 << exponent).min(max_delay);
            let sleep = bound.mul_f64(0.5 + fastrand::f64() / 2.0);
            tokio::time::sleep(sleep.min(deadline - now)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: WaiterSpec = WaiterSpec {
        name: "PurgeTaskDone",
        action: "DescribePurgeTasks",
        input: "{}",
        list: "Tasks",
        status: "Status",
        success: &["success"],
        failure: &["failed"],
        delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(4),
        timeout: Duration::from_secs(60),
    };

    #[test]
    fn templates_take_their_parameters() {
        let input = fill(
            r#"{"ZoneId":"$ZoneId","Filters":[{"Name":"job-id","Values":["$JobId"]}],"Keep":"$Other"}"#,
            &[("ZoneId", "zone-1".into()), ("JobId", "job-9".into())],
        );
        assert_eq!(
            input,
            serde_json::json!({"ZoneId": "zone-1", "Filters": [{"Name": "job-id", "Values": ["job-9"]}], "Keep": "$Other"})
        );
    }

    #[test]
    fn states_are_read_tolerantly() {
        let response = serde_json::json!({"Tasks": [{"Status": "success"}, {"Status": null}, {"Other": 1}, {"Status": "failed"}]});
        assert_eq!(states(&response, &SPEC), ["success", "failed"]);
        assert!(states(&serde_json::json!({"Tasks": null}), &SPEC).is_empty());
        assert!(states(&serde_json::json!({"Tasks": "x"}), &SPEC).is_empty());
    }
}
