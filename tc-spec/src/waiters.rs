//! Waiters: declared beside the spec in `waiters.json` (the spec has no machine-readable notion of
//! "done"), checked against it, and generated as `client.wait_until_<name>(…)` over the
//! runtime's polling loop.
//!
//! ```json
//! { "waiters": { "PurgeTaskDone": {
//!     "reason": "CreatePurgeTask returns a JobId; the purge runs asynchronously.",
//!     "action": "DescribePurgeTasks",
//!     "params": ["ZoneId", "JobId"],
//!     "input": {"ZoneId": "$ZoneId", "Filters": [{"Name": "job-id", "Values": ["$JobId"]}]},
//!     "list": "Tasks", "status": "Status",
//!     "success": ["success"], "failure": ["failed", "timeout", "canceled"],
//!     "delay": 2, "max_delay": 30, "timeout": 600 } } }
//! ```
//!
//! The polled action's response has a list member `list` of objects whose string member
//! `status` is the state: the wait succeeds when the list is non-empty and every status is in
//! `success`, fails as soon as one is in `failure`, and otherwise polls again. `input` is the
//! request, with `"$Param"` strings replaced by the waiter's parameters (strings, in `params`
//! order); its top-level members must be members of the action's request.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::spec::Spec;
use crate::validate::Diagnostic;

/// The file name beside `api.json`.
pub const OVERRIDES_FILE: &str = "waiters.json";

/// One resolved waiter.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiter {
    /// `PurgeTaskDone`
    pub name: String,
    /// `purge_task_done`: the method is `wait_until_purge_task_done`.
    pub method: String,
    /// Why the waiter exists (from `waiters.json`), copied into the generated method's docs.
    pub reason: String,
    /// Wire name of the action polled (`DescribePurgeTasks`).
    pub action: String,
    /// Wire names of the waiter's parameters, in order; each replaces `"$Param"` in `input`.
    pub params: Vec<String>,
    /// The request template (`"$Param"` placeholders), as JSON text.
    pub input: String,
    /// The response's list member holding the objects whose states are checked.
    pub list: String,
    /// The string member of each list object that holds its state.
    pub status: String,
    /// States meaning done: the wait succeeds when every object is in one of them.
    pub success: Vec<String>,
    /// States meaning failed: the wait fails as soon as one object is in one of them.
    pub failure: Vec<String>,
    /// Seconds.
    pub delay: u64,
    /// Seconds: the longest pause between polls (the delay doubles up to it).
    pub max_delay: u64,
    /// Seconds: how long to poll before giving up.
    pub timeout: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "$comment")]
    #[allow(dead_code)]
    comment: Option<String>,
    waiters: BTreeMap<String, Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    reason: String,
    action: String,
    #[serde(default)]
    params: Vec<String>,
    input: Value,
    list: String,
    status: String,
    success: Vec<String>,
    #[serde(default)]
    failure: Vec<String>,
    delay: u64,
    max_delay: u64,
    timeout: u64,
}

/// Reads `waiters.json` and checks each entry against the spec; every problem is reported, at
/// the path `waiters.json/<Waiter>`.
pub fn resolve(text: &str, spec: &Spec) -> Result<Vec<Waiter>, Vec<Diagnostic>> {
    let file: File = serde_json::from_str(text).map_err(|e| {
        vec![Diagnostic {
            path: OVERRIDES_FILE.to_owned(),
            message: e.to_string(),
        }]
    })?;
    let mut problems = Vec::new();
    let mut waiters = Vec::new();
    for (name, entry) in file.waiters {
        let path = format!("{OVERRIDES_FILE}/{name}");
        let mut problem = |message: String| {
            problems.push(Diagnostic {
                path: path.clone(),
                message,
            })
        };
        if entry.reason.trim().is_empty() {
            problem("needs a reason".into());
        }
        if entry.success.is_empty() {
            problem("`success` lists no state".into());
        }
        if let Some(both) = entry.success.iter().find(|s| entry.failure.contains(s)) {
            problem(format!("{both:?} is both success and failure"));
        }
        if !(1..=entry.max_delay).contains(&entry.delay) || entry.max_delay > entry.timeout {
            problem("needs 1 ≤ delay ≤ max_delay ≤ timeout (seconds)".into());
        }
        let Some(action) = spec.actions.get(&entry.action) else {
            problem(format!("no action {}", entry.action));
            continue;
        };
        // The response's list of objects with a string status.
        let member = |object: &str, member: &str| {
            spec.objects
                .get(object)
                .and_then(|o| o.members.iter().find(|m| m.name == member))
        };
        match member(&action.output, &entry.list).map(|m| (m.kind.as_str(), m.member.as_str())) {
            Some(("list", item)) => match member(item, &entry.status).map(|m| m.kind.as_str()) {
                Some("string") => {}
                _ => problem(format!("{item} has no string member {}", entry.status)),
            },
            _ => problem(format!(
                "{} has no list member {}",
                action.output, entry.list
            )),
        }
        let Value::Object(input) = &entry.input else {
            problem("`input` is not a JSON object".into());
            continue;
        };
        for key in input.keys() {
            if member(&action.input, key).is_none() {
                problem(format!("{} has no member {key}", action.input));
            }
        }
        let mut placeholders = Vec::new();
        collect_placeholders(&entry.input, &mut placeholders);
        for used in &placeholders {
            if !entry.params.iter().any(|p| p == used) {
                problem(format!("`input` uses ${used}, which is not in `params`"));
            }
        }
        for param in &entry.params {
            if !placeholders.contains(param) {
                problem(format!("parameter {param} is not used in `input`"));
            }
        }
        waiters.push(Waiter {
            method: crate::naming::snake_case(&name),
            name,
            reason: entry.reason,
            action: entry.action,
            params: entry.params,
            input: entry.input.to_string(),
            list: entry.list,
            status: entry.status,
            success: entry.success,
            failure: entry.failure,
            delay: entry.delay,
            max_delay: entry.max_delay,
            timeout: entry.timeout,
        });
    }
    if problems.is_empty() {
        Ok(waiters)
    } else {
        Err(problems)
    }
}

fn collect_placeholders(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            if let Some(name) = text.strip_prefix('$') {
                out.push(name.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_placeholders(i, out)),
        Value::Object(members) => members.values().for_each(|v| collect_placeholders(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        crate::spec::parse(include_str!("../../api-spec/teo/v20220901/api.json")).unwrap()
    }

    #[test]
    fn the_vendored_waiters_resolve() {
        let text = include_str!("../../api-spec/teo/v20220901/waiters.json");
        let waiters = resolve(text, &spec()).unwrap();
        let names: Vec<&str> = waiters.iter().map(|w| w.method.as_str()).collect();
        assert_eq!(
            names,
            [
                "acceleration_domain_online",
                "identification_finished",
                "prefetch_task_done",
                "purge_task_done",
                "zone_active"
            ]
        );
    }

    #[test]
    fn each_mistake_is_reported_at_its_waiter() {
        let text = r#"{"waiters": {
            "Bad": {"reason": "", "action": "DescribePurgeTasks", "params": ["JobId", "Unused"],
                    "input": {"Nope": "$JobId", "ZoneId": "$Missing"}, "list": "Tasks", "status": "NoStatus",
                    "success": ["done"], "failure": ["done"], "delay": 5, "max_delay": 2, "timeout": 60},
            "NoAction": {"reason": "r", "action": "DescribeNothing", "input": {}, "list": "L", "status": "S",
                    "success": ["x"], "delay": 1, "max_delay": 1, "timeout": 1}}}"#;
        let problems = resolve(text, &spec()).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        for expected in [
            "waiters.json/Bad: needs a reason",
            "waiters.json/Bad: \"done\" is both success and failure",
            "waiters.json/Bad: needs 1 ≤ delay ≤ max_delay ≤ timeout (seconds)",
            "waiters.json/Bad: Task has no string member NoStatus",
            "waiters.json/Bad: DescribePurgeTasksRequest has no member Nope",
            "waiters.json/Bad: `input` uses $Missing, which is not in `params`",
            "waiters.json/Bad: parameter Unused is not used in `input`",
            "waiters.json/NoAction: no action DescribeNothing",
        ] {
            assert!(
                text.iter().any(|t| t == expected),
                "{expected} not in {text:#?}"
            );
        }
        assert_eq!(text.len(), 8, "{text:#?}");
        let unknown = resolve(r#"{"waiters": {}, "extra": 1}"#, &spec()).unwrap_err();
        assert_eq!(unknown[0].path, "waiters.json");
    }
}
