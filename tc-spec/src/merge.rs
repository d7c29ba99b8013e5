//! Two descriptions of one API merged into one: the international site's spec (`tccli-intl-en`,
//! English) and the Chinese mainland site's (`tccli`, Chinese), which runs newer revisions and
//! has actions, objects and members the international one lacks.
//!
//! The rule:
//! - **Everything of either** is in the result: actions, objects, and each object's members.
//!   The primary's order is kept; what only the secondary has follows in the secondary's order,
//!   so a merge never moves an existing member.
//! - **Text** comes from the primary where it has the item; an item only the secondary has keeps
//!   the secondary's text behind a marker naming its source ([`secondary_only`]), so a reader
//!   knows why it is Chinese and that the other site may not offer it.
//! - **Types must agree**: a member whose `type`/`member` differ between the two, an object
//!   whose `usage` differs, or an action whose input or output object differs is an error naming
//!   both sources — the generator cannot pick one type for both sites.
//! - **Flags are the loosest of both**: a member is `required` (in requests) or
//!   `output_required` (in responses) only if both say so, and `disabled` only if both withdraw
//!   it; `value_allowed_null` if either allows `null`. A request valid on either site is then
//!   expressible, and a response from either site reads.

use crate::spec::{Member, Spec};
use crate::validate::Diagnostic;

/// Where the mainland spec lives beside the international `api.json`.
pub const SECONDARY_SPEC: &str = "mainland/api.json";

/// The two sites a service spec is merged from.
pub const SITES: Sources<'static> = Sources {
    primary: "intl",
    secondary: "mainland",
};

/// Names of the two sources, for markers and messages: e.g. `("intl", "mainland")`.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The source whose description wins where both have one (`intl`).
    pub primary: &'a str,
    /// The source merged in for what the primary lacks (`mainland`).
    pub secondary: &'a str,
}

/// What the merge took from where: counts for reports, names for docs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Actions only the secondary has.
    pub secondary_actions: Vec<String>,
    /// Objects only the secondary has.
    pub secondary_objects: Vec<String>,
    /// `Object.Member` members only the secondary has, in objects both have.
    pub secondary_members: Vec<String>,
    /// Actions, objects and members only the primary has.
    pub primary_only: usize,
    /// Members whose flags differ and were loosened (`Object.Member flag`).
    pub loosened: Vec<String>,
}

/// The marker in front of the secondary's text, e.g. `(mainland spec only)`.
pub fn secondary_only(sources: Sources<'_>) -> String {
    format!("({} spec only)", sources.secondary)
}

/// Merges `secondary` into `primary`; on conflicts, every one is reported.
pub fn merge(
    primary: &mut Spec,
    secondary: Spec,
    sources: Sources<'_>,
) -> Result<MergeReport, Vec<Diagnostic>> {
    let mut report = MergeReport::default();
    let mut problems = Vec::new();
    let marker = secondary_only(sources);
    let mark = |text: &str| {
        if text.trim().is_empty() {
            marker.clone()
        } else {
            format!("{marker} {text}")
        }
    };
    if primary.metadata.api_version != secondary.metadata.api_version
        || primary.metadata.service_short_name != secondary.metadata.service_short_name
    {
        problems.push(Diagnostic {
            path: "metadata".into(),
            message: format!(
                "{} describes {} {} but {} describes {} {}",
                sources.primary,
                primary.metadata.service_short_name,
                primary.metadata.api_version,
                sources.secondary,
                secondary.metadata.service_short_name,
                secondary.metadata.api_version
            ),
        });
        return Err(problems);
    }

    report.primary_only += primary
        .actions
        .iter()
        .filter(|(name, _)| secondary.actions.get(name).is_none())
        .count();
    for (name, mut action) in secondary.actions.0 {
        match primary.actions.get(&name) {
            Some(ours) => {
                if (ours.input.as_str(), ours.output.as_str())
                    != (action.input.as_str(), action.output.as_str())
                {
                    problems.push(Diagnostic {
                        path: format!("actions.{name}"),
                        message: format!(
                            "{} reads {} → {}, {} reads {} → {}",
                            sources.primary,
                            ours.input,
                            ours.output,
                            sources.secondary,
                            action.input,
                            action.output
                        ),
                    });
                }
            }
            None => {
                action.document = mark(&action.document);
                report.secondary_actions.push(name.clone());
                primary.actions.0.push((name, action));
            }
        }
    }

    report.primary_only += primary
        .objects
        .iter()
        .filter(|(name, _)| secondary.objects.get(name).is_none())
        .count();
    for (name, mut object) in secondary.objects.0 {
        let Some(ours) = primary.objects.0.iter_mut().find(|(n, _)| *n == name) else {
            object.document = mark(&object.document);
            for member in &mut object.members {
                member.document = mark(&member.document);
            }
            report.secondary_objects.push(name.clone());
            primary.objects.0.push((name, object));
            continue;
        };
        let ours = &mut ours.1;
        if ours.usage != object.usage {
            problems.push(Diagnostic {
                path: format!("objects.{name}.usage"),
                message: format!(
                    "{} says {:?}, {} says {:?}",
                    sources.primary, ours.usage, sources.secondary, object.usage
                ),
            });
        }
        report.primary_only += ours
            .members
            .iter()
            .filter(|m| !object.members.iter().any(|theirs| theirs.name == m.name))
            .count();
        for mut theirs in object.members {
            let path = format!("objects.{name}.members.{}", theirs.name);
            match ours.members.iter_mut().find(|m| m.name == theirs.name) {
                Some(member) => {
                    if (member.kind.as_str(), member.member.as_str())
                        != (theirs.kind.as_str(), theirs.member.as_str())
                    {
                        problems.push(Diagnostic {
                            path,
                            message: format!(
                                "{} has type {} of {}, {} has type {} of {}",
                                sources.primary,
                                member.kind,
                                member.member,
                                sources.secondary,
                                theirs.kind,
                                theirs.member
                            ),
                        });
                        continue;
                    }
                    for flag in loosen(member, &theirs) {
                        report
                            .loosened
                            .push(format!("{name}.{} {flag}", member.name));
                    }
                }
                None => {
                    theirs.document = mark(&theirs.document);
                    report
                        .secondary_members
                        .push(format!("{name}.{}", theirs.name));
                    ours.members.push(theirs);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(problems)
    }
}

/// Loosens `ours`' flags by `theirs`' (see the module's rule); returns the flags that changed.
fn loosen(ours: &mut Member, theirs: &Member) -> Vec<&'static str> {
    fn set(flag: &mut Option<bool>, merged: bool, name: &'static str, changed: &mut Vec<&str>) {
        if flag.unwrap_or(false) != merged {
            *flag = Some(merged);
            changed.push(name);
        }
    }
    let on = |flag: Option<bool>| flag == Some(true);
    let mut changed = Vec::new();
    let required = on(ours.required) && on(theirs.required);
    set(&mut ours.required, required, "required", &mut changed);
    let output_required = on(ours.output_required) && on(theirs.output_required);
    set(
        &mut ours.output_required,
        output_required,
        "output_required",
        &mut changed,
    );
    let disabled = on(ours.disabled) && on(theirs.disabled);
    set(&mut ours.disabled, disabled, "disabled", &mut changed);
    let nullable = on(ours.value_allowed_null) || on(theirs.value_allowed_null);
    set(
        &mut ours.value_allowed_null,
        nullable,
        "value_allowed_null",
        &mut changed,
    );
    changed
}
