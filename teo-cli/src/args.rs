//! Command-line parsing: the arguments after the program name → an [`Invocation`] or a
//! [`ParseError`]. Pure but for reading `--cli-input-json file://…`, which goes through the
//! function the caller passes, so everything here is unit-tested without I/O.
//!
//! The grammar is tccli's: `teo <Action> [--<Param> <value>]... [--cli-input-json <JSON |
//! file://path>]`, with the global options allowed anywhere. `--name=value` works too.

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value};
use tc_spec::model::{Action, Field, FieldType, ValueType};
use tc_spec::Service;
use teo_client::models::{Date, DateTime, LocalDateTime};

use crate::help;
pub(crate) use crate::options::{GlobalOptions, GLOBAL_OPTIONS};
use crate::output::Output;
use crate::spec;
use crate::suggest::closest;

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// List the actions (`teo`, `teo help`, `teo --help`).
    Help,
    /// `teo --version`: teo's own version and the API's.
    Version,
    /// Describe one action's parameters (`teo <Action> help`, `teo help <Action>`).
    ActionHelp(String),
    /// Print a JSON template of an action's request (`--generate-cli-skeleton`).
    Skeleton(String),
    /// Call an action with this request (not yet checked for required members: the client
    /// does that, against the typed request).
    Call {
        action: String,
        request: Map<String, Value>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Invocation {
    pub command: Command,
    pub options: GlobalOptions,
    pub call: CallOptions,
}

/// How `teo <Action>` calls and prints, beyond the connection ([`GlobalOptions`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CallOptions {
    /// `--output`; `None`: the profile's `output`, else JSON.
    pub output: Option<Output>,
    /// `--filter`: a JMESPath expression, checked to compile.
    pub filter: Option<String>,
    pub waiter: Option<Waiter>,
    /// `--cli-unfold-argument`: dotted parameter names.
    pub unfold: bool,
    pub all_pages: bool,
    /// `--dry-run` or `--dry-run=signed`.
    pub dry_run: Option<DryRun>,
    /// `--detail` with help.
    pub detail: bool,
}

/// `--dry-run`: print the request instead of sending it, signed with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DryRun {
    /// `--dry-run`: placeholder credentials, so none are fetched — no STS `AssumeRole` for
    /// `--role-arn`, no metadata service for `--use-cvm-role`, nothing on the network at all.
    Placeholder,
    /// `--dry-run=signed`: the credentials a call would sign with, fetched as a call would.
    Signed,
}

/// `--waiter '{"expr": …, "to": …, "timeout": 180, "interval": 5}'`: call again every
/// `interval` until the JMESPath `expr` of the response equals `to`, for at most `timeout`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Waiter {
    pub expr: String,
    pub to: Value,
    pub timeout: std::time::Duration,
    pub interval: std::time::Duration,
}

/// The API versions this build calls.
pub(crate) const API_VERSIONS: &[&str] = &["2022-09-01"];

/// Why the command line cannot be used. Each message names the option or value at fault.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParseError {
    UnknownAction {
        name: String,
        suggestion: Option<String>,
    },
    UnknownParameter {
        action: String,
        name: String,
        suggestion: Option<String>,
    },
    /// A top-level member of `--cli-input-json` the action's request does not have.
    UnknownMember {
        action: String,
        name: String,
        suggestion: Option<String>,
    },
    MissingValue {
        option: String,
    },
    InvalidValue {
        option: String,
        expected: String,
        reason: String,
    },
    Duplicate {
        option: String,
    },
    /// A flag (`--help`) given a value with `=`.
    UnexpectedValue {
        option: String,
    },
    UnexpectedArgument {
        argument: String,
    },
    /// Parameters or `--cli-input-json` without an action to apply them to.
    MissingAction,
    /// `teo --option … logs …`: the `logs` subcommand must come first.
    LogsNotFirst,
    CliInputJson {
        reason: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let did_you_mean = |f: &mut fmt::Formatter<'_>, prefix: &str, s: &Option<String>| match s {
            Some(s) => write!(f, " Did you mean {prefix}{s}?"),
            None => Ok(()),
        };
        match self {
            ParseError::UnknownAction { name, suggestion } => {
                write!(f, "Unknown action {name}.")?;
                did_you_mean(f, "", suggestion)?;
                if suggestion.is_none() {
                    write!(f, " Run `teo help` for the list of actions.")?;
                }
                Ok(())
            }
            ParseError::UnknownParameter {
                action,
                name,
                suggestion,
            } => {
                write!(f, "Unknown parameter --{name} for {action}.")?;
                did_you_mean(f, "--", suggestion)?;
                if suggestion.is_none() {
                    write!(f, " Run `teo {action} help` for its parameters.")?;
                }
                Ok(())
            }
            ParseError::UnknownMember {
                action,
                name,
                suggestion,
            } => {
                write!(f, "Unknown member {name} in --cli-input-json for {action}.")?;
                did_you_mean(f, "", suggestion)?;
                if suggestion.is_none() {
                    write!(f, " Run `teo {action} help` for its parameters.")?;
                }
                Ok(())
            }
            ParseError::MissingValue { option } => write!(f, "{option} needs a value."),
            ParseError::InvalidValue {
                option,
                expected,
                reason,
            } => write!(f, "Invalid value for {option} ({expected}): {reason}."),
            ParseError::Duplicate { option } => write!(f, "{option} is given more than once."),
            ParseError::UnexpectedValue { option } => write!(f, "{option} takes no value."),
            ParseError::UnexpectedArgument { argument } => write!(
                f,
                "Unexpected argument {argument:?}: parameters are given as --<Param> <value>."
            ),
            ParseError::MissingAction => write!(
                f,
                "No action given. Usage: teo <Action> [--<Param> <value>]...; run `teo help` for the list of actions."
            ),
            ParseError::CliInputJson { reason } => write!(f, "--cli-input-json: {reason}."),
            ParseError::LogsNotFirst => write!(
                f,
                "`logs` must come first, options after it: teo logs download --kind l4|l7 ... \
                 (see `teo logs download --help`)."
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// Reads the file of `--cli-input-json file://path`.
pub(crate) type ReadFile<'a> = &'a dyn Fn(&str) -> std::io::Result<String>;

/// Parses the arguments after the program name.
pub(crate) fn parse(
    args: &[String],
    service: &Service,
    read_file: ReadFile<'_>,
) -> Result<Invocation, ParseError> {
    let raw = split(args)?;
    let options = raw.options;
    let call = raw.call;
    let mut positionals = raw.positionals.iter();
    let first = positionals.next();
    let second = positionals.next();
    if let Some(extra) = positionals.next() {
        return Err(ParseError::UnexpectedArgument {
            argument: extra.clone(),
        });
    }
    let command = match (first.map(String::as_str), second.map(String::as_str)) {
        (None, _) if raw.show_version => Command::Version,
        (None, _) if raw.params.is_empty() && raw.cli_input_json.is_none() => Command::Help,
        (None, _) if raw.help => Command::Help,
        (None, _) => return Err(ParseError::MissingAction),
        (Some("logs"), _) => return Err(ParseError::LogsNotFirst),
        (Some("help"), None) => Command::Help,
        (Some("help"), Some(name)) => Command::ActionHelp(find_action(service, name)?.name.clone()),
        (Some(name), Some("help")) => Command::ActionHelp(find_action(service, name)?.name.clone()),
        (Some(_), Some(extra)) => {
            return Err(ParseError::UnexpectedArgument {
                argument: extra.to_owned(),
            })
        }
        (Some(name), None) => {
            let action = find_action(service, name)?;
            if raw.help {
                Command::ActionHelp(action.name.clone())
            } else if raw.skeleton {
                Command::Skeleton(action.name.clone())
            } else {
                let request = build_request(
                    service,
                    action,
                    raw.cli_input_json.as_deref(),
                    &raw.params,
                    call.unfold,
                    read_file,
                )?;
                Command::Call {
                    action: action.name.clone(),
                    request,
                }
            }
        }
    };
    Ok(Invocation {
        command,
        options,
        call,
    })
}

/// The arguments sorted into global options, parameters (not yet checked) and positionals.
#[derive(Default)]
struct RawArgs {
    options: GlobalOptions,
    /// `(name without --, value)` in the order given.
    params: Vec<(String, String)>,
    cli_input_json: Option<String>,
    help: bool,
    skeleton: bool,
    /// `--version` without a value.
    show_version: bool,
    call: CallOptions,
    positionals: Vec<String>,
}

fn split(args: &[String]) -> Result<RawArgs, ParseError> {
    let mut raw = RawArgs::default();
    let mut seen = HashSet::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "-h" {
            raw.help = true;
            continue;
        }
        let Some(option) = arg.strip_prefix("--").filter(|o| !o.is_empty()) else {
            raw.positionals.push(arg.clone());
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (option, None),
        };
        let flag = format!("--{name}");
        if matches!(name, "help" | "generate-cli-skeleton") {
            if inline.is_some() {
                return Err(ParseError::UnexpectedValue { option: flag });
            }
            match name {
                "help" => raw.help = true,
                _ => raw.skeleton = true,
            }
            continue;
        }
        if !seen.insert(flag.clone()) {
            return Err(ParseError::Duplicate { option: flag });
        }
        // A flag with one optional value, given only with `=` (a following word stays an
        // argument, as for any flag).
        if name == "dry-run" {
            raw.call.dry_run = Some(match inline.as_deref() {
                None => DryRun::Placeholder,
                Some("signed") => DryRun::Signed,
                Some(other) => {
                    return Err(ParseError::InvalidValue {
                        option: flag,
                        expected: "nothing, or =signed".into(),
                        reason: format!("{other:?}"),
                    })
                }
            });
            continue;
        }
        if crate::options::is_flag(name) {
            if inline.is_some() {
                return Err(ParseError::UnexpectedValue { option: flag });
            }
            match name {
                "cli-unfold-argument" => raw.call.unfold = true,
                "all-pages" => raw.call.all_pages = true,
                "detail" => raw.call.detail = true,
                other => {
                    raw.options.set_flag(other);
                }
            }
            continue;
        }
        // `teo --version` alone asks for teo's version; with a value it is the API version.
        if name == "version"
            && inline.is_none()
            && args
                .as_slice()
                .first()
                .is_none_or(|next| next.starts_with("--"))
        {
            raw.show_version = true;
            continue;
        }
        // A value is the next argument unless that is another `--option` (so a value that
        // starts with `--` needs `--name=value`; `-1` is fine).
        let value = match inline {
            Some(value) => value,
            None => match args.as_slice().first() {
                Some(next) if !next.starts_with("--") => {
                    args.next();
                    next.clone()
                }
                _ => return Err(ParseError::MissingValue { option: flag }),
            },
        };
        let invalid = |expected: &str, reason: String| ParseError::InvalidValue {
            option: flag.clone(),
            expected: expected.to_owned(),
            reason,
        };
        match name {
            "cli-input-json" => raw.cli_input_json = Some(value),
            "output" => {
                raw.call.output = Some(
                    Output::parse(&value)
                        .ok_or_else(|| invalid("json, table or text", format!("{value:?}")))?,
                )
            }
            "filter" => {
                crate::expression::check(&value)
                    .map_err(|e| invalid("a JMESPath expression", e))?;
                raw.call.filter = Some(value);
            }
            "waiter" => {
                raw.call.waiter = Some(waiter(&value).map_err(|reason| {
                    invalid(
                        r#"JSON like {"expr": "Tasks[0].Status", "to": "success"}"#,
                        reason,
                    )
                })?)
            }
            "version" => {
                if !API_VERSIONS.contains(&value.as_str()) {
                    return Err(invalid(
                        "an API version",
                        format!("{value:?}; available versions: {}", API_VERSIONS.join(" ")),
                    ));
                }
            }
            _ => {
                let set = raw.options.set(name, value).map_err(|(expected, reason)| {
                    ParseError::InvalidValue {
                        option: flag.clone(),
                        expected: expected.into(),
                        reason,
                    }
                })?;
                if let Some(value) = set {
                    raw.params.push((name.to_owned(), value));
                }
            }
        }
    }
    Ok(raw)
}

/// A Python literal of dicts, lists, strings (either quote, backslash escapes), numbers,
/// `True`/`False`/`None` as JSON — read, never evaluated; None for anything else.
fn python_literal(text: &str) -> Option<Value> {
    let mut json = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let mut literal = String::new();
                loop {
                    match chars.next()? {
                        '\\' => match chars.next()? {
                            'n' => literal.push('\n'),
                            't' => literal.push('\t'),
                            other => literal.push(other),
                        },
                        end if end == c => break,
                        other => literal.push(other),
                    }
                }
                json.push_str(&Value::String(literal).to_string());
            }
            c if c.is_ascii_alphabetic() => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek().filter(|n| n.is_ascii_alphanumeric()) {
                    word.push(next);
                    chars.next();
                }
                json.push_str(match word.as_str() {
                    "True" => "true",
                    "False" => "false",
                    "None" => "null",
                    _ => return None,
                });
            }
            '{' | '}' | '[' | ']' | ':' | ',' | '-' | '+' | '.' | ' ' | '\t' | '\n' => json.push(c),
            c if c.is_ascii_digit() => json.push(c),
            _ => return None,
        }
    }
    serde_json::from_str(&json).ok()
}

/// `--waiter`: JSON (tccli evaluates it as Python; here it is only ever data). `timeout` and
/// `interval` in seconds default to 180 and 5; the interval is at most the timeout.
fn waiter(text: &str) -> Result<Waiter, String> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        // tccli's own documentation writes it as a Python dict: `{'expr': …, 'to': …}`.
        Err(e) => python_literal(text).ok_or(format!("not JSON: {e}"))?,
    };
    let Value::Object(members) = value else {
        return Err("not a JSON object".to_owned());
    };
    if let Some(unknown) = members
        .keys()
        .find(|k| !["expr", "to", "timeout", "interval"].contains(&k.as_str()))
    {
        return Err(format!("unknown member {unknown:?}"));
    }
    let expr = members
        .get("expr")
        .and_then(Value::as_str)
        .ok_or("`expr` (a JMESPath string) must be defined")?;
    crate::expression::check(expr).map_err(|e| format!("`expr`: {e}"))?;
    let to = members
        .get("to")
        .cloned()
        .ok_or("`to` (the value to wait for) must be defined")?;
    let seconds = |name: &str, default: f64| match members.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
            .ok_or(format!(
                "`{name}` must be a number of seconds in (0, 86400]"
            )),
    };
    let timeout = seconds("timeout", 180.0)?;
    let interval = seconds("interval", 5.0)?.min(timeout);
    Ok(Waiter {
        expr: expr.to_owned(),
        to,
        timeout: std::time::Duration::from_secs_f64(timeout),
        interval: std::time::Duration::from_secs_f64(interval),
    })
}

fn find_action<'s>(service: &'s Service, name: &str) -> Result<&'s Action, ParseError> {
    service
        .actions
        .get(name)
        .ok_or_else(|| ParseError::UnknownAction {
            name: name.to_owned(),
            suggestion: closest(name, service.actions.keys().map(String::as_str))
                .map(str::to_owned),
        })
}

/// `--cli-input-json`, then each `--Param` over it.
fn build_request(
    service: &Service,
    action: &Action,
    cli_input_json: Option<&str>,
    params: &[(String, String)],
    unfold: bool,
    read_file: ReadFile<'_>,
) -> Result<Map<String, Value>, ParseError> {
    let fields: &[Field] = spec::input(service, action).map_or(&[], |o| o.fields.as_slice());
    let names = || fields.iter().map(|f| f.wire_name.as_str());
    let mut request = match cli_input_json {
        Some(text) => read_cli_input_json(text, read_file)?,
        None => Map::new(),
    };
    if let Some(unknown) = request.keys().find(|k| !names().any(|n| n == k.as_str())) {
        return Err(ParseError::UnknownMember {
            action: action.name.clone(),
            name: unknown.clone(),
            suggestion: closest(unknown, names()).map(str::to_owned),
        });
    }
    // `--cli-unfold-argument`: dotted names (`--Filters.0.Values.1 b`) rebuilt by the spec as an
    // API 3.0 query string is; the client's typed check then names any wrong member.
    let (dotted, params): (Vec<_>, Vec<_>) = params
        .iter()
        .cloned()
        .partition(|(name, _)| unfold && name.contains('.'));
    if !dotted.is_empty() {
        let input = spec::input(service, action);
        let members = tc_spec::flattened::unflatten(service, input, &dotted).map_err(|e| {
            ParseError::InvalidValue {
                option: "--cli-unfold-argument".into(),
                expected: "dotted parameters like --Filters.0.Name".into(),
                reason: e.0,
            }
        })?;
        for (name, value) in members {
            let Some(field) = fields.iter().find(|f| f.wire_name == name) else {
                return Err(ParseError::UnknownParameter {
                    action: action.name.clone(),
                    suggestion: closest(&name, names()).map(str::to_owned),
                    name,
                });
            };
            // The typed check below forgives unknown members of nested objects; a dotted
            // name is the user's typo, so it is named here.
            if let Some((path, suggestion)) = unknown_nested(service, &field.ty, &value, &name) {
                return Err(ParseError::UnknownParameter {
                    action: action.name.clone(),
                    name: path,
                    suggestion,
                });
            }
            request.insert(name, value);
        }
    }
    for (name, text) in &params {
        let Some(field) = fields.iter().find(|f| &f.wire_name == name) else {
            let globals = GLOBAL_OPTIONS.iter().map(|o| &o.name[2..]);
            return Err(ParseError::UnknownParameter {
                action: action.name.clone(),
                name: name.clone(),
                suggestion: closest(name, names().chain(globals)).map(str::to_owned),
            });
        };
        request.insert(name.clone(), parse_value(field, text)?);
    }
    Ok(request)
}

/// The dotted path of the first member of `value` (of type `ty`, at `path`) that its object in
/// the spec does not have, with the closest member name.
fn unknown_nested(
    service: &Service,
    ty: &FieldType,
    value: &Value,
    path: &str,
) -> Option<(String, Option<String>)> {
    let (FieldType::One(ValueType::Object(name)) | FieldType::List(ValueType::Object(name))) = ty
    else {
        return None;
    };
    let object = service.objects.get(name)?;
    let check = |member_path: &str, members: &Map<String, Value>| {
        for (key, inner) in members {
            let here = format!("{member_path}.{key}");
            let Some(field) = object.fields.iter().find(|f| &f.wire_name == key) else {
                let names = object.fields.iter().map(|f| f.wire_name.as_str());
                return Some((
                    here,
                    closest(key, names).map(|s| format!("{member_path}.{s}")),
                ));
            };
            if let Some(found) = unknown_nested(service, &field.ty, inner, &here) {
                return Some(found);
            }
        }
        None
    };
    match (ty, value) {
        (FieldType::One(_), Value::Object(members)) => check(path, members),
        (FieldType::List(_), Value::Array(items)) => {
            items.iter().enumerate().find_map(|(i, item)| {
                item.as_object()
                    .and_then(|members| check(&format!("{path}.{i}"), members))
            })
        }
        _ => None,
    }
}

fn read_cli_input_json(
    text: &str,
    read_file: ReadFile<'_>,
) -> Result<Map<String, Value>, ParseError> {
    let (json, origin) = match text.strip_prefix("file://") {
        Some(path) => {
            let json = read_file(path).map_err(|e| ParseError::CliInputJson {
                reason: format!("cannot read {path}: {e}"),
            })?;
            (json, format!("the JSON in {path}"))
        }
        None => (text.to_owned(), "the JSON".to_owned()),
    };
    match serde_json::from_str::<Value>(&json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ParseError::CliInputJson {
            reason: format!("{origin} must be an object, not {}", kind(&other)),
        }),
        Err(e) => Err(ParseError::CliInputJson {
            reason: format!("{origin} does not parse: {e}"),
        }),
    }
}

/// Converts the text of `--<field> <text>` to the JSON the request carries.
pub(crate) fn parse_value(field: &Field, text: &str) -> Result<Value, ParseError> {
    let invalid = |reason: String| ParseError::InvalidValue {
        option: format!("--{}", field.wire_name),
        expected: help::type_name(&field.ty),
        reason,
    };
    match &field.ty {
        FieldType::One(ValueType::Object(_)) => match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => Ok(value),
            Ok(other) => Err(invalid(format!(
                "expected a JSON object, got {}",
                kind(&other)
            ))),
            Err(e) => Err(invalid(format!(
                "not JSON ({e}); give an object like '{{\"Name\": \"value\"}}'"
            ))),
        },
        FieldType::One(value_type) => scalar(value_type, text).map_err(invalid),
        FieldType::List(value_type) => {
            let items = match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => items,
                Ok(other) => {
                    return Err(invalid(format!(
                        "expected a JSON list like '{}', got {}",
                        list_example(value_type),
                        kind(&other)
                    )))
                }
                Err(_) => {
                    return Err(invalid(format!(
                        "not a JSON list; give one like '{}'",
                        list_example(value_type)
                    )))
                }
            };
            for (i, item) in items.iter().enumerate() {
                if !fits(value_type, item) {
                    return Err(invalid(format!(
                        "item {i} is {}, not {}",
                        kind(item),
                        help::value_type_name(value_type)
                    )));
                }
            }
            Ok(Value::Array(items))
        }
    }
}

fn scalar(value_type: &ValueType, text: &str) -> Result<Value, String> {
    match value_type {
        ValueType::String | ValueType::Binary => Ok(Value::String(text.to_owned())),
        ValueType::DateTime => match DateTime::parse(text) {
            Ok(_) => Ok(Value::String(text.to_owned())),
            Err(_) => Err(format!(
                "{text:?} is not an RFC 3339 date-time like 2024-05-01T00:00:00+08:00"
            )),
        },
        ValueType::LocalDateTime => match LocalDateTime::parse(text) {
            Ok(_) => Ok(Value::String(text.to_owned())),
            Err(e) => Err(format!("{text:?} is not a date-time like {}", e.expected)),
        },
        ValueType::Date => match Date::parse(text) {
            Ok(_) => Ok(Value::String(text.to_owned())),
            Err(e) => Err(format!("{text:?} is not a date like {}", e.expected)),
        },
        ValueType::Int64 => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not an integer")),
        ValueType::UInt64 => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| format!("{text:?} is not a non-negative integer")),
        ValueType::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("{text:?} is not a number")),
        ValueType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("{text:?} is not true or false")),
        },
        // Handled by the caller; kept total for safety.
        ValueType::Object(_) => serde_json::from_str(text).map_err(|e| e.to_string()),
    }
}

/// Whether a list item has the JSON shape of `value_type` (the client checks the rest).
fn fits(value_type: &ValueType, item: &Value) -> bool {
    match value_type {
        _ if value_type.is_text() => item.is_string(),
        ValueType::Int64 => item.is_i64(),
        ValueType::UInt64 => item.is_u64(),
        ValueType::Float => item.is_number(),
        ValueType::Bool => item.is_boolean(),
        ValueType::Object(_) => item.is_object(),
        _ => false,
    }
}

fn list_example(value_type: &ValueType) -> &'static str {
    match value_type {
        ValueType::String | ValueType::Binary => r#"["a", "b"]"#,
        ValueType::DateTime => r#"["2024-05-01T00:00:00+08:00"]"#,
        ValueType::LocalDateTime => r#"["2024-05-01 00:00:00"]"#,
        ValueType::Date => r#"["2024-05-01"]"#,
        ValueType::Int64 | ValueType::UInt64 => "[1, 2]",
        ValueType::Float => "[1.5, 2]",
        ValueType::Bool => "[true, false]",
        ValueType::Object(_) => r#"[{"Name": "value"}]"#,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod waiter_tests {
    use serde_json::json;

    use super::*;

    /// tccli documents `--waiter "{'expr':'…','to':'…'}"` (a Python dict it `eval`s): read here as
    /// data; anything that is not a plain literal is refused.
    #[test]
    fn python_dicts_are_read_never_run() {
        assert_eq!(
            python_literal(
                "{'expr': 'Tasks[0].Status', 'to': 'success', 'timeout': 60, 'interval': 2.5}"
            ),
            Some(
                json!({"expr": "Tasks[0].Status", "to": "success", "timeout": 60, "interval": 2.5})
            )
        );
        assert_eq!(
            python_literal(r#"{'to': True, "x": None, 'q': 'it\'s', 'l': [1, -2]}"#),
            Some(json!({"to": true, "x": null, "q": "it's", "l": [1, -2]}))
        );
        for code in [
            "__import__('os').system('id')",
            "{'expr': exec('x')}",
            "{'expr': 'a' + 'b'}",
            "{'expr': 'unterminated}",
            "lambda: 1",
        ] {
            assert_eq!(python_literal(code), None, "{code}");
        }
        let parsed = waiter("{'expr':'TotalCount','to':43}").unwrap();
        assert_eq!(
            (parsed.expr.as_str(), &parsed.to),
            ("TotalCount", &json!(43))
        );
        assert!(waiter("{'expr': 'TotalCount'}").is_err());
    }
}
