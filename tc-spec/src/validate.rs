//! Checks a parsed [`Spec`] before anything is generated. Every problem is reported with the
//! JSON path where it sits (`objects.DownloadL4LogsRequest.members[2].member`), all at once, so
//! a broken spec is fixed in one pass and never produces half-written output.

use std::collections::HashMap;
use std::fmt;

use crate::naming;
use crate::spec::{Member, Spec};

/// One problem in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// JSON path of the offending value, e.g. `actions.DownloadL4Logs.input`.
    pub path: String,
    /// What is wrong, in words (`unknown member type "float32"`).
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Scalar value types of the format.
pub const SCALARS: &[&str] = &[
    "string",
    "int64",
    "uint64",
    "float",
    "bool",
    "datetime_iso",
    "datetime",
    "date",
    "binary",
];

/// Returns every problem found; an empty list means the generator can use the spec.
pub fn check(spec: &Spec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut report = |path: String, message: String| found.push(Diagnostic { path, message });

    if !is_identifier(&spec.metadata.service_short_name) {
        report(
            "metadata.serviceShortName".into(),
            format!(
                "{:?} is not a service name",
                spec.metadata.service_short_name
            ),
        );
    }
    if spec.metadata.api_version.trim().is_empty() {
        report("metadata.apiVersion".into(), "is empty".into());
    }

    let mut first_object: HashMap<&str, usize> = HashMap::new();
    for (index, (name, _)) in spec.objects.0.iter().enumerate() {
        if let Some(first) = first_object.insert(name, index) {
            report(
                format!("objects.{name}"),
                format!("duplicate object (also entry {first} of `objects`)"),
            );
        }
        // Names such as `Result` or `Option` are fine: generated code names std types by path.
        if !is_type_name(name) {
            report(
                format!("objects.{name}"),
                "object name is not a PascalCase Rust identifier".into(),
            );
        }
    }

    let mut first_action: HashMap<&str, usize> = HashMap::new();
    for (index, (name, action)) in spec.actions.0.iter().enumerate() {
        let path = format!("actions.{name}");
        if let Some(first) = first_action.insert(name, index) {
            report(
                path.clone(),
                format!("duplicate action (also entry {first} of `actions`)"),
            );
        }
        if !is_type_name(name) {
            report(
                path.clone(),
                "action name is not a PascalCase identifier".into(),
            );
        }
        for (side, object) in [("input", &action.input), ("output", &action.output)] {
            if spec.objects.get(object).is_none() {
                report(
                    format!("{path}.{side}"),
                    format!("object {object:?} is not defined in `objects`"),
                );
            }
        }
        if action.input == action.output {
            report(
                format!("{path}.output"),
                "input and output are the same object".into(),
            );
        }
    }

    let top_level: Vec<&str> = spec
        .actions
        .iter()
        .flat_map(|(_, a)| [a.input.as_str(), a.output.as_str()])
        .collect();
    for (name, object) in spec.objects.iter() {
        let mut first_member: HashMap<&str, usize> = HashMap::new();
        for (index, member) in object.members.iter().enumerate() {
            let path = format!("objects.{name}.members[{index}]");
            if !is_identifier(&member.name) {
                report(
                    format!("{path}.name"),
                    format!("{:?} is not an identifier", member.name),
                );
                continue;
            }
            // Members whose Rust names collide (`UUI`, `Uui`) are told apart by
            // `naming::disambiguate`; only exact duplicates are an error.
            if let Some(first) = first_member.insert(&member.name, index) {
                report(
                    format!("{path}.name"),
                    format!("duplicate member {:?} (also members[{first}])", member.name),
                );
            }
            if let Err(message) = check_member_type(spec, member) {
                report(format!("{path}.{}", message.0), message.1);
            } else if top_level.contains(&member.member.as_str()) {
                report(
                    format!("{path}.member"),
                    format!(
                        "{:?} is an action's request or response and cannot be nested",
                        member.member
                    ),
                );
            }
        }
    }
    found
}

/// Checks the `type` / `member` pair; on failure returns the offending key and a message.
fn check_member_type(spec: &Spec, member: &Member) -> Result<(), (&'static str, String)> {
    let value = member.member.as_str();
    let allowed: &[&str] = match member.kind.as_str() {
        "string" => &["string", "datetime_iso", "datetime", "date"],
        "binary" => &["binary"],
        "int" => &["int64", "uint64"],
        "float" => &["float"],
        "bool" => &["bool"],
        "object" | "list" => &[],
        other => return Err(("type", format!("unknown member type {other:?}"))),
    };
    match member.kind.as_str() {
        "object" if SCALARS.contains(&value) => Err((
            "member",
            format!("an object member needs an object, not {value:?}"),
        )),
        "object" | "list" if SCALARS.contains(&value) => Ok(()),
        "object" | "list" => match spec.objects.get(value) {
            Some(_) => Ok(()),
            None => Err((
                "member",
                format!("object {value:?} is not defined in `objects`"),
            )),
        },
        _ if allowed.contains(&value) => Ok(()),
        kind => Err((
            "member",
            format!("{value:?} is not a valid value type for type {kind:?}"),
        )),
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_type_name(name: &str) -> bool {
    is_identifier(name)
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && !naming::is_keyword(name)
}
