//! Retry safety: per-operation facts the runtime needs, decided once, at generation time, from
//! the spec.
//!
//! **Retry safety.** Whether a call whose outcome is unknown (a reset connection, a timeout, an
//! HTTP 5xx, `InternalError`) may be sent again:
//! - [`RetrySafety::ReadOnly`]: the action only reads. The rule: its name starts with a read
//!   verb of the Tencent Cloud naming convention ([`READ_VERBS`]: `Describe…`, `Get…`, `List…`,
//!   `Query…`, `Check…`, `Inquiry…`/`Inquire…`, `Search…`, `Download…`).
//! - [`RetrySafety::Idempotent`]: it writes, but sending it twice has the effect of sending it
//!   once. The rule: its request has a **required** `ClientToken`, the API 3.0 idempotency token
//!   (a retry resends the same body, so the same token).
//! - [`RetrySafety::Unsafe`]: everything else; repeating it could do it twice.
//!
//! Where the rule is wrong for an action, an overrides file beside the spec ([`OVERRIDES_FILE`])
//! says so, each entry with its reason, checked against the spec like the spec itself
//! (`EdgeKVGet` reads although its name does not say so).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::spec::Spec;
use crate::validate::Diagnostic;

/// The overrides file's name, beside `api.json`.
pub const OVERRIDES_FILE: &str = "retry.json";

/// Leading words of action names that only read.
pub const READ_VERBS: &[&str] = &[
    "Describe", "Get", "List", "Query", "Check", "Inquiry", "Inquire", "Search", "Download",
];

/// Whether an action may be repeated after an unknown outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrySafety {
    /// Reads only: any number of attempts changes nothing.
    ReadOnly,
    /// Writes, but a repeat has no further effect.
    Idempotent,
    /// A repeat could apply the change twice.
    Unsafe,
}

impl RetrySafety {
    /// The variant's name, as in the overrides file and the generated table.
    pub fn name(self) -> &'static str {
        match self {
            RetrySafety::ReadOnly => "ReadOnly",
            RetrySafety::Idempotent => "Idempotent",
            RetrySafety::Unsafe => "Unsafe",
        }
    }
}

/// What was decided for one action, and whether an override decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Whether the action may be sent again after an unknown outcome: the override's value when one
    /// exists, otherwise the rule's.
    pub retry: RetrySafety,
    /// The value the override replaced, if an override applies.
    pub rule_said: Option<RetrySafety>,
}

/// `retry.json`: corrections to the rule, by action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// What the file is for, for its readers; ignored by the generator.
    #[serde(default, rename = "$comment")]
    pub comment: Option<String>,
    /// One correction per action wire name (`EdgeKVGet`).
    #[serde(default)]
    pub actions: BTreeMap<String, Override>,
}

/// A correction for one action: the retry safety to use instead of the rule's, and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Why the rule is wrong here (required).
    pub reason: String,
    /// The retry safety this action really has.
    pub retry: RetrySafety,
}

impl Overrides {
    /// Parses the text of `retry.json`; unknown members are an error, so a typo is not ignored.
    pub fn from_json(text: &str) -> Result<Overrides, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What the rule says for one action of `spec`.
pub fn rule(spec: &Spec, action: &str) -> RetrySafety {
    let verb_end = action
        .char_indices()
        .skip(1)
        .find(|(_, c)| !c.is_ascii_lowercase())
        .map_or(action.len(), |(i, _)| i);
    if READ_VERBS.contains(&&action[..verb_end]) {
        return RetrySafety::ReadOnly;
    }
    let token_required = spec
        .actions
        .get(action)
        .and_then(|a| spec.objects.get(&a.input))
        .is_some_and(|input| {
            input
                .members
                .iter()
                .any(|m| m.name == "ClientToken" && m.required == Some(true))
        });
    if token_required {
        RetrySafety::Idempotent
    } else {
        RetrySafety::Unsafe
    }
}

/// The facts of every action, by name: the rule, then the overrides. An override of an action
/// the spec lacks, or one that says what the rule already says, is a problem naming its entry.
pub fn resolve(
    spec: &Spec,
    overrides: &Overrides,
) -> Result<BTreeMap<String, Facts>, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut facts = BTreeMap::new();
    for (name, _) in spec.actions.iter() {
        let by_rule = rule(spec, name);
        let decided = match overrides.actions.get(name) {
            Some(entry) if entry.retry == by_rule => {
                problems.push(Diagnostic {
                    path: format!("{OVERRIDES_FILE}: actions.{name}.retry"),
                    message: format!("the rule already decides {:?}; remove the entry", by_rule),
                });
                Facts {
                    retry: by_rule,
                    rule_said: None,
                }
            }
            Some(entry) if entry.reason.trim().is_empty() => {
                problems.push(Diagnostic {
                    path: format!("{OVERRIDES_FILE}: actions.{name}.reason"),
                    message: "an override needs a reason".into(),
                });
                Facts {
                    retry: by_rule,
                    rule_said: None,
                }
            }
            Some(entry) => Facts {
                retry: entry.retry,
                rule_said: Some(by_rule),
            },
            None => Facts {
                retry: by_rule,
                rule_said: None,
            },
        };
        facts.insert(name.to_owned(), decided);
    }
    for name in overrides.actions.keys() {
        if spec.actions.get(name).is_none() {
            problems.push(Diagnostic {
                path: format!("{OVERRIDES_FILE}: actions.{name}"),
                message: "no such action in the spec".into(),
            });
        }
    }
    if problems.is_empty() {
        Ok(facts)
    } else {
        Err(problems)
    }
}
