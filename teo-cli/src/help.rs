//! Help texts and request templates, rendered from the spec model.

use std::fmt::Write as _;

use crate::options::GLOBAL_OPTIONS;
use crate::output::Json;
use crate::spec;
use tc_spec::model::{Action, FieldType, ValueType};
use tc_spec::Service;

/// `string`, `int64`, `list of string`, `object L7OfflineLog`, `datetime (RFC 3339)`.
pub(crate) fn type_name(ty: &FieldType) -> String {
    match ty {
        FieldType::One(value) => value_type_name(value),
        FieldType::List(value) => format!("list of {}", value_type_name(value)),
    }
}

pub(crate) fn value_type_name(value: &ValueType) -> String {
    match value {
        ValueType::String => "string".into(),
        ValueType::Int64 => "int64".into(),
        ValueType::UInt64 => "uint64".into(),
        ValueType::Float => "float".into(),
        ValueType::Bool => "bool".into(),
        ValueType::DateTime => "datetime (RFC 3339)".into(),
        ValueType::LocalDateTime => "datetime (YYYY-MM-DD hh:mm:ss)".into(),
        ValueType::Date => "date (YYYY-MM-DD)".into(),
        ValueType::Binary => "binary".into(),
        ValueType::Object(name) => format!("object {name}"),
    }
}

/// Every command of `teo`, one line each in `teo help`: its usage and what it does.
pub(crate) const COMMANDS: &[[&str; 2]] = &[
    [
        "teo <Action> [--<Param> <value>]... [options]",
        "Call an API action (the actions are listed below)",
    ],
    [
        "teo <Action> help [--detail]",
        "The action's parameters, their types and docs",
    ],
    ["teo help", "This text (also `teo --help`)"],
    [
        "teo --version",
        "teo's version and the API version it calls",
    ],
    [
        "teo logs download --kind l4|l7 ...",
        "Download the log packets of a time range (--since 6h, or --start/--end)",
    ],
    [
        "teo logs convert <INPUT>... --out <DIR>",
        "Convert packets on disk into a Parquet, NDJSON or CSV dataset",
    ],
    [
        "teo logs summarize <PATH>...",
        "Summarize packets or datasets: a table, JSON or an HTML report",
    ],
    [
        "teo logs receive --out <DIR|URL> ...",
        "Receive EdgeOne's real-time log push into a dataset, each record once",
    ],
    [
        "teo configure [list|get|set|remove|...]",
        "Read and write the tccli profiles calls use (~/.tccli)",
    ],
    [
        "teo completions bash|zsh|fish",
        "Print the tab-completion script of a shell",
    ],
];

/// `teo help`: every command, every action with its title, the global options.
pub(crate) fn overview(service: &Service) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "teo: command line for Tencent Cloud EdgeOne ({} {})",
        service.name, service.version
    );
    out.push_str("\nCommands:\n");
    let rows: Vec<[String; 2]> = COMMANDS
        .iter()
        .map(|[usage, what]| [(*usage).to_owned(), (*what).to_owned()])
        .collect();
    table(&mut out, &rows);
    out.push_str(
        "
Each `teo logs …`, `teo configure` and `teo completions` command takes --help.

Values: strings as they are; numbers and true/false as text; lists and objects as JSON
(--ZoneIds '[\"zone-1\"]'); date-times in RFC 3339 (2024-05-01T00:00:00+08:00).
The response is printed as JSON without its Response wrapper.

Actions:
",
    );
    let rows: Vec<[String; 2]> = service
        .actions
        .values()
        .map(|a| [a.name.clone(), a.title.clone()])
        .collect();
    table(&mut out, &rows);
    out.push_str("\nOptions (anywhere on the line):\n");
    let rows: Vec<[String; 2]> = GLOBAL_OPTIONS
        .iter()
        .map(|o| {
            let name = match o.value {
                "" => o.name.to_owned(),
                value => format!("{} {value}", o.name),
            };
            [name, o.help.to_owned()]
        })
        .collect();
    table(&mut out, &rows);
    out.push_str(
        "
Credentials: --secretId/--secretKey (+ --token), else the --profile, else TENCENTCLOUD_SECRET_ID,
TENCENTCLOUD_SECRET_KEY and TENCENTCLOUD_SESSION_TOKEN, else the profile $TENCENTCLOUD_PROFILE or
default, else TKE OIDC or the CVM instance role.
Exit status: 0 success; 1 the API answered an error or the call failed; 2 the command line,
the request or the configuration is invalid.
",
    );
    out
}

/// `teo <Action> help`: the action's docs and its parameters (name, type, required or optional,
/// first line of the doc).
pub(crate) fn action(service: &Service, action: &Action) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", action.name, action.title);
    if !action.doc.is_empty() {
        out.push('\n');
        for line in &action.doc {
            let _ = writeln!(out, "{line}");
        }
    }
    let fields = spec::input(service, action).map_or(&[][..], |o| o.fields.as_slice());
    let mut usage = format!("teo {}", action.name);
    for field in fields.iter().filter(|f| f.constructor_arg) {
        let _ = write!(usage, " --{} <{}>", field.wire_name, short_type(&field.ty));
    }
    if fields.iter().any(|f| !f.constructor_arg) {
        usage.push_str(" [--<Param> <value>]...");
    }
    let _ = writeln!(out, "\nUsage: {usage}");
    if fields.is_empty() {
        out.push_str("\nThis action takes no parameters.\n");
        return out;
    }
    out.push_str("\nParameters:\n");
    let rows: Vec<[String; 4]> = fields
        .iter()
        .map(|field| {
            let presence = match (field.constructor_arg, field.deprecated) {
                (true, _) => "required",
                (false, false) => "optional",
                (false, true) => "optional, deprecated",
            };
            [
                format!("--{}", field.wire_name),
                type_name(&field.ty),
                presence.to_owned(),
                field.doc.first().cloned().unwrap_or_default(),
            ]
        })
        .collect();
    table(&mut out, &rows);
    let _ = writeln!(
        out,
        "\nLists and objects are JSON. `teo {} --generate-cli-skeleton` prints the whole request as a\n\
         JSON template for --cli-input-json.",
        action.name
    );
    out
}

/// `teo <Action> help --detail`: the action's help, then every object its request nests (each
/// once, in the order first reached), with its members described like the parameters.
pub(crate) fn action_detail(service: &Service, action: &Action) -> String {
    let mut out = self::action(service, action);
    let mut queue: std::collections::VecDeque<&str> = std::collections::VecDeque::new();
    let mut seen = std::collections::HashSet::new();
    let nested = |ty: &FieldType| match ty {
        FieldType::One(ValueType::Object(name)) | FieldType::List(ValueType::Object(name)) => {
            Some(name.clone())
        }
        _ => None,
    };
    let fields = spec::input(service, action).map_or(&[][..], |o| o.fields.as_slice());
    for name in fields.iter().filter_map(|f| nested(&f.ty)) {
        if seen.insert(name.clone()) {
            queue.push_back(service.objects.get_key_value(&name).map_or("", |(k, _)| k));
        }
    }
    while let Some(name) = queue.pop_front() {
        let Some(object) = service.objects.get(name) else {
            continue;
        };
        let _ = writeln!(out, "\nObject {name}:");
        let rows: Vec<[String; 4]> = object
            .fields
            .iter()
            .map(|field| {
                let presence = if field.constructor_arg {
                    "required"
                } else {
                    "optional"
                };
                [
                    field.wire_name.clone(),
                    type_name(&field.ty),
                    presence.to_owned(),
                    field.doc.first().cloned().unwrap_or_default(),
                ]
            })
            .collect();
        table(&mut out, &rows);
        for field in &object.fields {
            if let Some(inner) = nested(&field.ty) {
                if seen.insert(inner.clone()) {
                    if let Some((key, _)) = service.objects.get_key_value(&inner) {
                        queue.push_back(key);
                    }
                }
            }
        }
    }
    out
}

/// The type in a usage line: `datetime`, `list of string`.
fn short_type(ty: &FieldType) -> String {
    match ty {
        FieldType::One(ValueType::DateTime) => "datetime".into(),
        other => type_name(other),
    }
}

/// Left-aligned columns, two spaces apart, indented by two; the last column is not padded.
fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// A JSON template of the action's request: every member, in spec order, with a placeholder of
/// its type (`""`, `0`, `false`, one-item lists, nested objects; a recursive reference is `{}`).
/// Deprecated members are left out.
pub(crate) fn skeleton(service: &Service, action: &Action) -> Json {
    let mut stack = Vec::new();
    object_skeleton(service, &action.input, &mut stack)
}

fn object_skeleton(service: &Service, name: &str, stack: &mut Vec<String>) -> Json {
    let object = match service.objects.get(name) {
        Some(object) if !stack.iter().any(|s| s == name) => object,
        _ => return Json::Object(Vec::new()),
    };
    stack.push(name.to_owned());
    let members = object
        .fields
        .iter()
        .filter(|f| !f.deprecated)
        .map(|f| {
            let value = match &f.ty {
                FieldType::One(value) => placeholder(service, value, stack),
                FieldType::List(value) => Json::Array(vec![placeholder(service, value, stack)]),
            };
            (f.wire_name.clone(), value)
        })
        .collect();
    stack.pop();
    Json::Object(members)
}

fn placeholder(service: &Service, value: &ValueType, stack: &mut Vec<String>) -> Json {
    match value {
        _ if value.is_text() => Json::String(String::new()),
        ValueType::Int64 | ValueType::UInt64 => Json::Number(0.into()),
        ValueType::Float => serde_json::Number::from_f64(0.0).map_or(Json::Null, Json::Number),
        ValueType::Bool => Json::Bool(false),
        ValueType::Object(name) => object_skeleton(service, name, stack),
        _ => Json::Null,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service() -> &'static Service {
        spec::service().unwrap()
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name(&FieldType::One(ValueType::String)), "string");
        assert_eq!(type_name(&FieldType::One(ValueType::Int64)), "int64");
        assert_eq!(
            type_name(&FieldType::List(ValueType::String)),
            "list of string"
        );
        assert_eq!(
            type_name(&FieldType::One(ValueType::Object("L7OfflineLog".into()))),
            "object L7OfflineLog"
        );
        assert_eq!(
            type_name(&FieldType::One(ValueType::DateTime)),
            "datetime (RFC 3339)"
        );
    }

    #[test]
    fn overview_lists_every_action_with_its_title() {
        let text = overview(service());
        for action in service().actions.values() {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(&action.name) && l.ends_with(&action.title)),
                "{} missing",
                action.name
            );
        }
        assert!(text.contains("  DownloadL4Logs"));
        assert!(text.contains("--cli-input-json <JSON | file://path>"));
        assert!(text.contains("  teo logs download --kind l4|l7 "));
    }

    #[test]
    fn action_help_lists_parameters() {
        let service = service();
        let text = action(service, &service.actions["DownloadL4Logs"]);
        assert!(
            text.starts_with("DownloadL4Logs: Downloads L4 logs\n"),
            "{text}"
        );
        assert!(text.contains(
            "Usage: teo DownloadL4Logs --StartTime <datetime> --EndTime <datetime> [--<Param> <value>]..."
        ));
        let row = |name: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(&format!("--{name} ")))
                .map(|l| {
                    l.split("  ")
                        .filter(|c| !c.is_empty())
                        .map(str::trim)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        assert_eq!(
            row("StartTime"),
            [
                "--StartTime",
                "datetime (RFC 3339)",
                "required",
                "The start time."
            ]
        );
        assert_eq!(
            row("ZoneIds")[..3],
            ["--ZoneIds", "list of string", "optional"]
        );
        assert_eq!(row("Limit")[..3], ["--Limit", "int64", "optional"]);
    }

    #[test]
    fn skeleton_has_every_member() {
        let service = service();
        assert_eq!(
            skeleton(service, &service.actions["DownloadL4Logs"]).to_pretty(),
            r#"{
    "StartTime": "",
    "EndTime": "",
    "ZoneIds": [
        ""
    ],
    "ProxyIds": [
        ""
    ],
    "Limit": 0,
    "Offset": 0
}"#
        );
        let zones: serde_json::Value =
            serde_json::from_str(&skeleton(service, &service.actions["DescribeZones"]).to_pretty())
                .unwrap();
        assert_eq!(zones["Filters"][0]["Values"], json!([""]));
        // Every action's template renders, recursive objects included.
        for action in service.actions.values() {
            assert!(matches!(skeleton(service, action), Json::Object(_)));
        }
    }
}
