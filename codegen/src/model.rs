//! The intermediate model: a validated spec with Rust names, Rust types and presence rules
//! resolved, in a deterministic order. Emitters read only this.

use std::collections::{BTreeMap, BTreeSet};

use crate::paging::{self, Overrides, Paging};
use crate::spec::{self, Spec, Usage};
use crate::validate::{self, Diagnostic};
use crate::{docs, naming};

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
}

#[derive(Debug, Clone)]
pub struct Action {
    /// `DownloadL4Logs`
    pub name: String,
    /// `download_l4_logs`
    pub method: String,
    /// "Downloads L4 logs"
    pub title: String,
    pub doc: Vec<String>,
    pub input: String,
    pub output: String,
    /// How the action pages through a list, if it does (see [`paging`]).
    pub paging: Option<Paging>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The input of an action: only ever written by callers, so it is read strictly.
    Request,
    /// The output of an action.
    Response,
    /// A data object nested in requests and/or responses.
    Data(Option<Usage>),
}

impl Role {
    /// Objects that can arrive from the server are read tolerantly: missing fields and `null`
    /// take the default, unknown fields are ignored.
    pub fn is_tolerant(self) -> bool {
        self != Role::Request
    }
}

#[derive(Debug, Clone)]
pub struct Object {
    pub name: String,
    pub role: Role,
    pub doc: Vec<String>,
    /// In spec order.
    pub fields: Vec<Field>,
}

impl Object {
    /// Members a caller must supply, in spec order: the constructor's parameters.
    pub fn required_inputs(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.constructor_arg)
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    /// `ZoneIds`
    pub wire_name: String,
    /// `zone_ids`, `r#type`
    pub ident: String,
    pub ty: FieldType,
    /// `false`: the Rust type is `Option<T>` and `None` is omitted on the wire.
    pub always_present: bool,
    /// Part of the constructor (`required` on the input side).
    pub constructor_arg: bool,
    /// A direct (non-list) reference on a cycle of object references: stored as `Box<T>`.
    pub boxed: bool,
    pub deprecated: bool,
    /// Holds a secret (see [`naming::is_sensitive`]): redacted in `Debug` output.
    pub sensitive: bool,
    pub doc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    One(ValueType),
    List(ValueType),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    String,
    Int64,
    UInt64,
    Float,
    Bool,
    DateTime,
    Object(String),
}

/// A spec the generator cannot use.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("the spec is not valid JSON for the api.json format: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the paging overrides (paging.json) are not valid: {0}")]
    Overrides(serde_json::Error),
    #[error("the spec has {} problem(s):\n{}", .0.len(), .0.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

impl Service {
    /// Parses, validates and resolves `api.json` text, with no paging overrides.
    pub fn from_json(text: &str) -> Result<Service, SpecError> {
        Service::from_spec(&spec::parse(text)?, &Overrides::default())
    }

    /// Parses, validates and resolves `api.json` text and the text of its paging overrides
    /// file ([`paging::OVERRIDES_FILE`]), if it has one.
    pub fn from_json_with(
        text: &str,
        paging_overrides: Option<&str>,
    ) -> Result<Service, SpecError> {
        let overrides = match paging_overrides {
            Some(text) => Overrides::from_json(text).map_err(SpecError::Overrides)?,
            None => Overrides::default(),
        };
        Service::from_spec(&spec::parse(text)?, &overrides)
    }

    pub fn from_spec(spec: &Spec, overrides: &Overrides) -> Result<Service, SpecError> {
        let problems = validate::check(spec);
        if !problems.is_empty() {
            return Err(SpecError::Invalid(problems));
        }
        let inputs: BTreeSet<&str> = spec.actions.iter().map(|(_, a)| a.input.as_str()).collect();
        let outputs: BTreeSet<&str> = spec
            .actions
            .iter()
            .map(|(_, a)| a.output.as_str())
            .collect();

        let mut actions: BTreeMap<String, Action> = spec
            .actions
            .iter()
            .map(|(name, action)| {
                let resolved = Action {
                    name: name.to_owned(),
                    method: naming::field_ident(name),
                    title: action.name.clone(),
                    doc: docs::to_markdown(&action.document),
                    input: action.input.clone(),
                    output: action.output.clone(),
                    paging: None,
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
                let fields = object
                    .members
                    .iter()
                    .map(|m| resolve_field(m, role))
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
            paging::resolve(spec, &objects, overrides).map_err(SpecError::Invalid)?
        {
            if let Some(action) = actions.get_mut(&name) {
                action.paging = Some(paging);
            }
        }

        Ok(Service {
            name: spec.metadata.service_short_name.clone(),
            version: spec.metadata.api_version.clone(),
            actions,
            objects,
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
fn resolve_field(member: &spec::Member, role: Role) -> Field {
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
        object => ValueType::Object(object.to_owned()),
    };
    let ty = if member.kind == "list" {
        FieldType::List(value)
    } else {
        FieldType::One(value)
    };
    Field {
        wire_name: member.name.clone(),
        ident: naming::field_ident(&member.name),
        ty,
        always_present,
        constructor_arg: required,
        boxed: false,
        deprecated: member.disabled == Some(true),
        sensitive: naming::is_sensitive(&member.name),
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
