//! Which actions page, and how.
//!
//! The rule: an action pages when its request has integer `Offset` and `Limit` members and its
//! response has exactly one list member (the items). Its total is the integer `TotalCount` member
//! of the response, if any, and its largest page is what the `Limit` documentation states
//! ("Maximum value: 300", "Value range: 1-1000", "upper limit: 100").
//!
//! Where the rule is wrong for an action, an overrides file beside the spec (`paging.json`) says
//! so; every entry names its reason and is checked against the spec like the spec itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::objects::{Field, FieldType, Object, ValueType};
use crate::spec::Spec;
use crate::validate::Diagnostic;

/// The overrides file's name, beside `api.json`.
pub const OVERRIDES_FILE: &str = "paging.json";

/// How one action pages.
#[derive(Debug, Clone)]
pub struct Paging {
    /// The request's `Offset` member.
    pub offset: Field,
    /// The request's `Limit` member.
    pub limit: Field,
    /// The response's list member.
    pub items: Field,
    /// The type of one item.
    pub item: ValueType,
    /// The response member counting all items, if the action reports one.
    pub total: Option<Field>,
    /// The largest `Limit` the action accepts, where the spec (or an override) says.
    pub max_page_size: Option<u64>,
    /// Whether an override changed what the rule found.
    pub overridden: bool,
}

/// `paging.json`: corrections to the rule, by action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// What the file is for, for its readers.
    #[serde(default, rename = "$comment")]
    pub comment: Option<String>,
    /// One correction per action wire name.
    #[serde(default)]
    pub actions: BTreeMap<String, Override>,
}

/// Corrections for one action; members left out keep what the rule found.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Why the rule is wrong here (kept in the file for the next reader; required).
    pub reason: String,
    /// `false`: no paginator although the rule matches.
    #[serde(default)]
    pub paginate: Option<bool>,
    /// The response member holding the total; `null`: the action reports none.
    #[serde(default, deserialize_with = "present")]
    pub total: Option<Option<String>>,
    /// The response's list member, when it has several.
    #[serde(default)]
    pub items: Option<String>,
    /// The largest page, when the documentation does not say or says it wrongly.
    #[serde(default)]
    pub max_page_size: Option<u64>,
}

/// Tells a member set to `null` (`Some(None)`) from a member left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl Overrides {
    /// Parses the text of `paging.json`; unknown members are an error, so a typo is not ignored.
    pub fn from_json(text: &str) -> Result<Overrides, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// The paging of every action that pages, by action name: the rule, then the overrides.
/// Problems name their place in the overrides file (`paging.json: actions.X.total`).
pub fn resolve(
    spec: &Spec,
    objects: &BTreeMap<String, Object>,
    overrides: &Overrides,
) -> Result<BTreeMap<String, Paging>, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut found = BTreeMap::new();
    for (name, action) in spec.actions.iter() {
        let (Some(input), Some(output)) = (objects.get(&action.input), objects.get(&action.output))
        else {
            continue; // validation reports these
        };
        let limit_doc = spec
            .objects
            .get(&action.input)
            .and_then(|o| o.members.iter().find(|m| m.name == "Limit"))
            .map_or("", |m| m.document.as_str());
        let correction = overrides.actions.get(name);
        let path = |member: &str| format!("{OVERRIDES_FILE}: actions.{name}.{member}");

        let (Some(offset), Some(limit)) = (integer(input, "Offset"), integer(input, "Limit"))
        else {
            if correction.is_some() {
                problems.push(Diagnostic {
                    path: format!("{OVERRIDES_FILE}: actions.{name}"),
                    message: "the request has no integer Offset and Limit members".into(),
                });
            }
            continue;
        };
        if correction.and_then(|c| c.paginate) == Some(false) {
            continue;
        }
        let items = match correction.and_then(|c| c.items.as_deref()) {
            Some(wanted) => match output.fields.iter().find(|f| f.wire_name == wanted) {
                Some(field) if matches!(field.ty, FieldType::List(_)) => Some(field),
                _ => {
                    problems.push(Diagnostic {
                        path: path("items"),
                        message: format!("{} has no list member {wanted:?}", output.name),
                    });
                    continue;
                }
            },
            None => {
                let mut lists = output
                    .fields
                    .iter()
                    .filter(|f| matches!(f.ty, FieldType::List(_)));
                match (lists.next(), lists.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        let Some((items, item)) = items.and_then(|f| match &f.ty {
            FieldType::List(item) => Some((f, item.clone())),
            FieldType::One(_) => None,
        }) else {
            if correction.is_some() {
                problems.push(Diagnostic {
                    path: path("items"),
                    message: format!(
                        "{} has no single list member; name the items member",
                        output.name
                    ),
                });
            }
            continue;
        };
        let total = match correction.and_then(|c| c.total.as_ref()) {
            Some(Some(wanted)) => match integer(output, wanted) {
                Some(field) => Some(field),
                None => {
                    problems.push(Diagnostic {
                        path: path("total"),
                        message: format!("{} has no integer member {wanted:?}", output.name),
                    });
                    continue;
                }
            },
            Some(None) => None,
            None => integer(output, "TotalCount"),
        };
        let max_page_size = correction
            .and_then(|c| c.max_page_size)
            .or_else(|| documented_maximum(limit_doc));
        found.insert(
            name.to_owned(),
            Paging {
                offset: offset.clone(),
                limit: limit.clone(),
                items: items.clone(),
                item,
                total: total.cloned(),
                max_page_size,
                overridden: correction.is_some(),
            },
        );
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
        Ok(found)
    } else {
        Err(problems)
    }
}

/// A member holding one integer.
fn integer<'a>(object: &'a Object, name: &str) -> Option<&'a Field> {
    object.fields.iter().find(|f| {
        f.wire_name == name
            && matches!(
                f.ty,
                FieldType::One(ValueType::Int64) | FieldType::One(ValueType::UInt64)
            )
    })
}

/// The largest value a `Limit` documentation allows, in the phrasings the specs use:
/// "Maximum value: 1,000", "the maximum value is 100", "upper limit: 200", "Maximum query
/// entries: 1000", "Value ranges from 0 to 1000", "Value range: 1-1000".
pub fn documented_maximum(doc: &str) -> Option<u64> {
    let text = plain_text(doc);
    const AFTER: &[&str] = &[
        "maximum value",
        "max value",
        "upper limit",
        "maximum query entries",
    ];
    for key in AFTER {
        if let Some(at) = text.find(key) {
            let rest = text[at + key.len()..].trim_start_matches([':', ' ']);
            let rest = rest.strip_prefix("is ").unwrap_or(rest);
            if let Some(n) = leading_number(rest) {
                return Some(n);
            }
        }
    }
    // "ranges from A to B", "range: A-B"
    for key in ["ranges from", "range:", "range from"] {
        if let Some(at) = text.find(key) {
            let rest = text[at + key.len()..].trim_start();
            let low_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            if low_len == 0 {
                continue;
            }
            let rest = rest[low_len..].trim_start();
            let rest = rest
                .strip_prefix("to")
                .or_else(|| rest.strip_prefix('-'))
                .map(str::trim_start);
            if let Some(n) = rest.and_then(leading_number) {
                return Some(n);
            }
        }
    }
    None
}

/// Lower case, without HTML tags and backticks, with thousands separators removed.
fn plain_text(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut in_tag = false;
    let chars: Vec<char> = doc.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            '`' => {}
            ',' if i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit) => {}
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn leading_number(text: &str) -> Option<u64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    text[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::documented_maximum;

    #[test]
    fn maxima_in_the_phrasings_of_the_teo_spec() {
        for (doc, max) in [
            ("Limit on paginated queries. Default value: 20. Maximum value: 300.", Some(300)),
            ("The limit of paginated query. Default value: 20. Maximum value: 1,000.  ", Some(1000)),
            ("<p>Paginated query limit.</p><p>Value ranges from 0 to 1000.</p><p>Default value: 20.</p>", Some(1000)),
            ("Limited entries in paging queries. The default value is 20 and the maximum value is 100. ", Some(100)),
            ("Limit on paginated queries. default value: `20`. maximum value: `100`.", Some(100)),
            ("Limit on paginated queries. Value range: 1-1000. Default value: 20.", Some(1000)),
            ("Specifies the paginated query limit. default value: 20. upper limit: 100.", Some(100)),
            ("Maximum number of entries returned in a single response. Default value: 20. Maximum query entries: 1000.", Some(1000)),
            ("<p>Paging query to refer to the number of entries of IP group configuration.</p><p>Value ranges from 1 to 200.</p>", Some(200)),
            ("Paginated query limit. default value: 2000, maximum value: 100000.", Some(100000)),
            ("Page size. Default value: 20.", None),
            ("", None),
        ] {
            assert_eq!(documented_maximum(doc), max, "{doc}");
        }
    }
}
