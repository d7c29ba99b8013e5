//! The intermediate model: a validated spec with Rust names, Rust types and presence rules
//! resolved, in a deterministic order. Emitters read only this.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::paging::{self, Paging};
use crate::retry_safety::{self, Facts};
use crate::spec::{self, Spec, Usage};
use crate::validate::{self, Diagnostic};
use crate::{docs, merge, naming};

// The parts of the model, defined apart so that the stages that read them ([`paging`],
// [`crate::flattened`]) need not depend on this module, which runs those stages.
pub use crate::objects::{Field, FieldType, Object, Role, ValueType};

/// One API version of a service, resolved: the actions, the objects they use and the waiters
/// beside the spec, ready for the emitters.
#[derive(Debug, Clone)]
pub struct Service {
    /// Short service name, e.g. `teo`.
    pub name: String,
    /// API version, e.g. `2022-09-01`.
    pub version: String,
    /// By wire name.
    pub actions: BTreeMap<String, Action>,
    /// By wire name.
    pub objects: BTreeMap<String, Object>,
    /// From `waiters.json` beside the spec (see [`crate::waiters`]), by name.
    pub waiters: Vec<crate::waiters::Waiter>,
}

/// One operation of the service, with its Rust method name, docs and generation-time facts.
#[derive(Debug, Clone)]
pub struct Action {
    /// `DownloadL4Logs`
    pub name: String,
    /// `download_l4_logs`
    pub method: String,
    /// "Downloads L4 logs"
    pub title: String,
    /// The spec's `document` text as Markdown lines (no `///` prefix).
    pub doc: Vec<String>,
    /// Wire name of the request object (`DownloadL4LogsRequest`), a key of [`Service::objects`].
    pub input: String,
    /// Wire name of the response object (`DownloadL4LogsResponse`), a key of [`Service::objects`].
    pub output: String,
    /// How the action pages through a list, if it does (see [`paging`]).
    pub paging: Option<Paging>,
    /// Retry safety and other per-operation facts (see [`crate::retry_safety`]).
    pub facts: Facts,
}

/// A spec the generator cannot use.
#[derive(Debug)]
pub enum SpecError {
    /// The text is not JSON of the api.json format.
    Parse(serde_json::Error),
    /// An overrides file (named) is not valid JSON of its format.
    Overrides(&'static str, serde_json::Error),
    /// The mainland spec to merge is not JSON of the api.json format.
    Mainland(serde_json::Error),
    /// The spec or an overrides file has these problems.
    Invalid(Vec<Diagnostic>),
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecError::Parse(e) => {
                write!(f, "the spec is not valid JSON for the api.json format: {e}")
            }
            SpecError::Overrides(file, e) => write!(f, "the overrides ({file}) are not valid: {e}"),
            SpecError::Mainland(e) => write!(
                f,
                "the mainland spec ({}) is not valid JSON for the api.json format: {e}",
                merge::SECONDARY_SPEC
            ),
            SpecError::Invalid(problems) => {
                write!(f, "the spec has {} problem(s):", problems.len())?;
                problems.iter().try_for_each(|d| write!(f, "\n  {d}"))
            }
        }
    }
}

impl std::error::Error for SpecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpecError::Parse(e) | SpecError::Overrides(_, e) | SpecError::Mainland(e) => Some(e),
            SpecError::Invalid(_) => None,
        }
    }
}

impl From<serde_json::Error> for SpecError {
    fn from(e: serde_json::Error) -> SpecError {
        SpecError::Parse(e)
    }
}

/// The texts of the override files beside a spec, where it has them.
#[derive(Debug, Clone, Copy, Default)]
pub struct OverrideTexts<'a> {
    /// [`paging::OVERRIDES_FILE`]
    pub paging: Option<&'a str>,
    /// [`retry_safety::OVERRIDES_FILE`]
    pub retry: Option<&'a str>,
    /// [`merge::SECONDARY_SPEC`]: the mainland site's description of the same API, merged into
    /// the spec by [`merge::merge`].
    pub mainland: Option<&'a str>,
    /// [`crate::waiters::OVERRIDES_FILE`]
    pub waiters: Option<&'a str>,
}

/// The parsed override files.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `paging.json`, or no corrections when the spec has none.
    pub paging: paging::Overrides,
    /// `retry.json`, or no corrections when the spec has none.
    pub retry: retry_safety::Overrides,
    /// `waiters.json`, checked against the spec when the model is resolved.
    pub waiters: Option<String>,
}

impl Overrides {
    /// Parses each override file that is present; an absent one means no corrections.
    ///
    /// Fails with [`SpecError::Overrides`] naming the first file that is not valid JSON of its
    /// format.
    pub fn from_texts(texts: &OverrideTexts<'_>) -> Result<Overrides, SpecError> {
        let paging = match texts.paging {
            Some(text) => paging::Overrides::from_json(text)
                .map_err(|e| SpecError::Overrides(paging::OVERRIDES_FILE, e))?,
            None => paging::Overrides::default(),
        };
        let retry = match texts.retry {
            Some(text) => retry_safety::Overrides::from_json(text)
                .map_err(|e| SpecError::Overrides(retry_safety::OVERRIDES_FILE, e))?,
            None => retry_safety::Overrides::default(),
        };
        Ok(Overrides {
            paging,
            retry,
            waiters: texts.waiters.map(str::to_owned),
        })
    }
}

/// Method names of the runtime's service client that a generated action method must not take.
pub const ACTION_RESERVED: &[&str] = &[
    "builder",
    "from_env",
    "call",
    "send",
    "paginate",
    "runtime",
    "with_timeout",
    "with_total_timeout",
    "with_retry",
];

/// Prelude names generated code would use unqualified; an object with one of these names
/// shadows it (several specs have `Result` or `Option` objects).
pub const PRELUDE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Default",
    "Into",
    "IntoIterator",
];

impl Service {
    /// Whether an object's name shadows a prelude name ([`PRELUDE_NAMES`]), so generated code
    /// must name std's items by path.
    pub fn shadows_prelude(&self) -> bool {
        PRELUDE_NAMES
            .iter()
            .any(|name| self.objects.contains_key(*name))
    }

    /// Parses, validates and resolves `api.json` text, with no overrides.
    pub fn from_json(text: &str) -> Result<Service, SpecError> {
        Service::from_spec(&spec::parse(text)?, &Overrides::default())
    }

    /// Parses, validates and resolves `api.json` text and the texts of its override files.
    pub fn from_json_with(text: &str, overrides: &OverrideTexts<'_>) -> Result<Service, SpecError> {
        let mut spec = spec::parse(text)?;
        if let Some(mainland) = overrides.mainland {
            let mainland = spec::parse(mainland).map_err(SpecError::Mainland)?;
            merge::merge(&mut spec, mainland, merge::SITES).map_err(SpecError::Invalid)?;
        }
        Service::from_spec(&spec, &Overrides::from_texts(overrides)?)
    }

    /// Validates an already parsed spec and resolves it with the given overrides.
    ///
    /// Fails with [`SpecError::Invalid`] listing every problem of the spec or of the overrides.
    pub fn from_spec(spec: &Spec, overrides: &Overrides) -> Result<Service, SpecError> {
        let problems = validate::check(spec);
        if !problems.is_empty() {
            return Err(SpecError::Invalid(problems));
        }
        let facts = retry_safety::resolve(spec, &overrides.retry).map_err(SpecError::Invalid)?;
        let inputs: BTreeSet<&str> = spec.actions.iter().map(|(_, a)| a.input.as_str()).collect();
        let outputs: BTreeSet<&str> = spec
            .actions
            .iter()
            .map(|(_, a)| a.output.as_str())
            .collect();

        let methods =
            naming::disambiguate(spec.actions.iter().map(|(name, _)| name), ACTION_RESERVED);
        let mut actions: BTreeMap<String, Action> = spec
            .actions
            .iter()
            .zip(methods)
            .map(|((name, action), method)| {
                let resolved = Action {
                    name: name.to_owned(),
                    method,
                    title: action.name.clone(),
                    doc: docs::to_markdown(&action.document),
                    input: action.input.clone(),
                    output: action.output.clone(),
                    paging: None,
                    facts: facts[name],
                };
                (name.to_owned(), resolved)
            })
            .collect();

        let mut objects: BTreeMap<String, Object> = spec
            .objects
            .iter()
            .map(|(name, object)| {
                let role = if inputs.contains(name) {
                    Role::Request
                } else if outputs.contains(name) {
                    Role::Response
                } else {
                    Role::Data(object.usage)
                };
                let idents =
                    naming::disambiguate(object.members.iter().map(|m| m.name.as_str()), &["new"]);
                let fields = object
                    .members
                    .iter()
                    .zip(idents)
                    .map(|(m, ident)| resolve_field(name, m, ident, role))
                    .collect();
                let doc = docs::to_markdown(&object.document);
                (
                    name.to_owned(),
                    Object {
                        name: name.to_owned(),
                        role,
                        doc,
                        fields,
                    },
                )
            })
            .collect();
        box_cycles(&mut objects);
        for (name, paging) in
            paging::resolve(spec, &objects, &overrides.paging).map_err(SpecError::Invalid)?
        {
            if let Some(action) = actions.get_mut(&name) {
                action.paging = Some(paging);
            }
        }

        let waiters = match &overrides.waiters {
            Some(text) => crate::waiters::resolve(text, spec).map_err(SpecError::Invalid)?,
            None => Vec::new(),
        };
        Ok(Service {
            name: spec.metadata.service_short_name.clone(),
            version: spec.metadata.api_version.clone(),
            actions,
            objects,
            waiters,
        })
    }
}

/// Decides the Rust type of one member.
///
/// A member is a plain `T` when the spec promises a value on every side the object travels:
/// `required` for requests; `required`, or `output_required` without `value_allowed_null`, for
/// output-only objects. Objects that may be sent (`in`, `both`, no usage) keep `Option<T>` for
/// everything not `required`, so an unset field is omitted from the request instead of being
/// sent as `""` or `0`.
fn resolve_field(object: &str, member: &spec::Member, ident: String, role: Role) -> Field {
    let required = member.required == Some(true);
    let promised_output =
        member.output_required == Some(true) && member.value_allowed_null != Some(true);
    let always_present = match role {
        Role::Request
        | Role::Data(Some(Usage::In))
        | Role::Data(Some(Usage::Both))
        | Role::Data(None) => required,
        // Every API 3.0 response carries RequestId, whether or not the spec flags it.
        Role::Response if member.name == "RequestId" => true,
        Role::Response | Role::Data(Some(Usage::Out)) => required || promised_output,
    };
    let value = match member.member.as_str() {
        "string" => ValueType::String,
        "int64" => ValueType::Int64,
        "uint64" => ValueType::UInt64,
        "float" => ValueType::Float,
        "bool" => ValueType::Bool,
        "datetime_iso" => ValueType::DateTime,
        "datetime" => ValueType::LocalDateTime,
        "date" => ValueType::Date,
        "binary" => ValueType::Binary,
        object => ValueType::Object(object.to_owned()),
    };
    let ty = if member.kind == "list" {
        FieldType::List(value)
    } else {
        FieldType::One(value)
    };
    Field {
        wire_name: member.name.clone(),
        ident,
        ty,
        always_present,
        constructor_arg: required,
        boxed: false,
        deprecated: member.disabled == Some(true),
        sensitive: naming::is_sensitive(object, &member.name),
        url: naming::is_url(&member.name) && member.member == "string",
        doc: docs::to_markdown(&member.document),
    }
}

/// Boxes every direct object reference that lies on a cycle, so recursive types have a size.
/// References through a list need no box: `Vec` already adds the indirection.
fn box_cycles(objects: &mut BTreeMap<String, Object>) {
    let direct_edges = |object: &Object| -> Vec<String> {
        object
            .fields
            .iter()
            .filter_map(|f| match &f.ty {
                FieldType::One(ValueType::Object(target)) => Some(target.clone()),
                _ => None,
            })
            .collect()
    };
    let edges: BTreeMap<String, Vec<String>> = objects
        .iter()
        .map(|(name, object)| (name.clone(), direct_edges(object)))
        .collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if seen.insert(node.clone()) {
                stack.extend(edges.get(&node).into_iter().flatten().cloned());
            }
        }
        false
    };
    for (name, object) in objects.iter_mut() {
        for field in &mut object.fields {
            if let FieldType::One(ValueType::Object(target)) = &field.ty {
                field.boxed = reaches(target, name);
            }
        }
    }
}
