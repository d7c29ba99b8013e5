//! Tests of tccli's argument grammar: values, flattened and JSON parameters, errors.

use std::time::Duration;

use serde_json::json;
use teo_client::Language;

use super::*;

fn service() -> &'static Service {
    spec::service().unwrap()
}

fn no_files(path: &str) -> std::io::Result<String> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("no file {path}"),
    ))
}

fn parse_with(args: &[&str], read_file: ReadFile<'_>) -> Result<Invocation, ParseError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    parse(&args, service(), read_file)
}

fn run(args: &[&str]) -> Result<Invocation, ParseError> {
    parse_with(args, &no_files)
}

fn request(args: &[&str]) -> Map<String, Value> {
    match run(args).unwrap().command {
        Command::Call { request, .. } => request,
        other => panic!("not a call: {other:?}"),
    }
}

#[test]
fn call_with_typed_parameters() {
    let invocation = run(&[
        "DownloadL4Logs",
        "--StartTime",
        "2024-05-01T00:00:00+08:00",
        "--EndTime",
        "2024-05-01T03:00:00+08:00",
        "--ZoneIds",
        r#"["zone-1", "zone-2"]"#,
        "--Limit",
        "300",
        "--Offset=-0",
    ])
    .unwrap();
    assert_eq!(
        invocation.command,
        Command::Call {
            action: "DownloadL4Logs".into(),
            request: json!({
                "StartTime": "2024-05-01T00:00:00+08:00",
                "EndTime": "2024-05-01T03:00:00+08:00",
                "ZoneIds": ["zone-1", "zone-2"],
                "Limit": 300,
                "Offset": 0,
            })
            .as_object()
            .unwrap()
            .clone(),
        }
    );
    assert_eq!(invocation.options, GlobalOptions::default());
}

#[test]
fn string_values_are_taken_verbatim() {
    // A string parameter that looks like a number or JSON stays a string.
    let request = request(&["DescribeZones", "--Order", "123", "--Direction", "[x]"]);
    assert_eq!(request["Order"], json!("123"));
    assert_eq!(request["Direction"], json!("[x]"));
}

#[test]
fn negative_numbers_are_values_not_options() {
    let request = request(&["DescribeZones", "--Offset", "-1"]);
    assert_eq!(request["Offset"], json!(-1));
}

#[test]
fn integer_that_does_not_parse_names_the_parameter() {
    let err = run(&["DescribeZones", "--Limit", "ten"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid value for --Limit (int64): "ten" is not an integer."#
    );
}

/// A parameter of type `ty`, as the spec model describes one.
fn field(ty: FieldType) -> Field {
    Field {
        wire_name: "Param".into(),
        ident: "param".into(),
        ty,
        always_present: false,
        constructor_arg: false,
        boxed: false,
        deprecated: false,
        sensitive: false,
        url: false,
        doc: Vec::new(),
    }
}

#[test]
fn bool_float_uint_and_object_values() {
    let bool_field = field(FieldType::One(ValueType::Bool));
    assert_eq!(parse_value(&bool_field, "true").unwrap(), json!(true));
    assert_eq!(parse_value(&bool_field, "False").unwrap(), json!(false));
    assert_eq!(
        parse_value(&bool_field, "yes").unwrap_err().to_string(),
        r#"Invalid value for --Param (bool): "yes" is not true or false."#
    );
    let float_field = field(FieldType::One(ValueType::Float));
    assert_eq!(parse_value(&float_field, "0.25").unwrap(), json!(0.25));
    assert!(parse_value(&float_field, "NaN").is_err());
    assert!(parse_value(&float_field, "abc").is_err());
    let uint_field = field(FieldType::One(ValueType::UInt64));
    assert_eq!(parse_value(&uint_field, "7").unwrap(), json!(7));
    assert!(parse_value(&uint_field, "-7").is_err());
    let object_field = field(FieldType::One(ValueType::Object("L7OfflineLog".into())));
    assert_eq!(
        parse_value(&object_field, r#"{"A": 1}"#).unwrap(),
        json!({"A": 1})
    );
    let err = parse_value(&object_field, "[1]").unwrap_err().to_string();
    assert_eq!(
        err,
        "Invalid value for --Param (object L7OfflineLog): expected a JSON object, got a list."
    );
    let ints = field(FieldType::List(ValueType::Int64));
    assert_eq!(parse_value(&ints, "[1, -2]").unwrap(), json!([1, -2]));
    assert!(parse_value(&ints, r#"["1"]"#).is_err());
}

#[test]
fn lists_must_be_json_with_items_of_the_right_type() {
    let err = run(&[
        "DownloadL4Logs",
        "--StartTime",
        "2024-05-01T00:00:00Z",
        "--ZoneIds",
        "zone-1",
    ])
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid value for --ZoneIds (list of string): not a JSON list; give one like '["a", "b"]'."#
    );
    let err = run(&["DownloadL4Logs", "--ZoneIds", "[1]"]).unwrap_err();
    assert!(
        err.to_string().contains("item 0 is a number, not string"),
        "{err}"
    );
    let err = run(&["DownloadL4Logs", "--ZoneIds", r#"{"a": 1}"#]).unwrap_err();
    assert!(err.to_string().contains("got an object"), "{err}");
}

#[test]
fn datetime_is_checked_and_kept_as_text() {
    let request = request(&["DownloadL4Logs", "--StartTime", "2024-05-01T00:00:00Z"]);
    assert_eq!(request["StartTime"], json!("2024-05-01T00:00:00Z"));
    let err = run(&["DownloadL4Logs", "--StartTime", "2024-05-01"]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Invalid value for --StartTime (datetime (RFC 3339))"),
        "{err}"
    );
}

#[test]
fn cli_input_json_inline_and_overridden() {
    let request = request(&[
        "DownloadL4Logs",
        "--cli-input-json",
        r#"{"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-05-01T01:00:00Z", "Limit": 10}"#,
        "--Limit",
        "20",
    ]);
    assert_eq!(
        Value::Object(request),
        json!({"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-05-01T01:00:00Z", "Limit": 20})
    );
}

#[test]
fn cli_input_json_from_file() {
    let read = |path: &str| -> std::io::Result<String> {
        assert_eq!(path, "/tmp/req.json");
        Ok(r#"{"ZoneIds": ["zone-a"], "Offset": 5}"#.into())
    };
    let invocation = parse_with(
        &[
            "DownloadL4Logs",
            "--cli-input-json",
            "file:///tmp/req.json",
            "--Offset",
            "6",
        ],
        &read,
    )
    .unwrap();
    let Command::Call { request, .. } = invocation.command else {
        panic!("not a call");
    };
    assert_eq!(
        Value::Object(request),
        json!({"ZoneIds": ["zone-a"], "Offset": 6})
    );
}

#[test]
fn cli_input_json_problems() {
    let err = run(&["DownloadL4Logs", "--cli-input-json", "file:///nope.json"]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("--cli-input-json: cannot read /nope.json: no file"),
        "{err}"
    );
    let err = run(&["DownloadL4Logs", "--cli-input-json", "[1]"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--cli-input-json: the JSON must be an object, not a list."
    );
    let err = run(&["DownloadL4Logs", "--cli-input-json", "{"]).unwrap_err();
    assert!(err.to_string().contains("does not parse"), "{err}");
    let err = run(&["DownloadL4Logs", "--cli-input-json", r#"{"ZoneId": []}"#]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown member ZoneId in --cli-input-json for DownloadL4Logs. Did you mean ZoneIds?"
    );
}

#[test]
fn unknown_action_suggests_the_closest() {
    let err = run(&["DownloadL4Log"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown action DownloadL4Log. Did you mean DownloadL4Logs?"
    );
    let err = run(&["downloadl4logs", "--ZoneIds", "[]"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown action downloadl4logs. Did you mean DownloadL4Logs?"
    );
    let err = run(&["Frobnicate"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown action Frobnicate. Run `teo help` for the list of actions."
    );
}

#[test]
fn unknown_parameter_suggests_the_closest() {
    let err = run(&["DownloadL4Logs", "--ZoneId", r#"["z"]"#]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown parameter --ZoneId for DownloadL4Logs. Did you mean --ZoneIds?"
    );
    // Case-sensitive, like tccli, but the right case is suggested.
    let err = run(&["DownloadL4Logs", "--zoneids", r#"["z"]"#]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown parameter --zoneids for DownloadL4Logs. Did you mean --ZoneIds?"
    );
    // Global options are candidates too.
    let err = run(&["DownloadL4Logs", "--secretid", "x"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown parameter --secretid for DownloadL4Logs. Did you mean --secretId?"
    );
    let err = run(&["DownloadL4Logs", "--Frobnicate", "x"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown parameter --Frobnicate for DownloadL4Logs. Run `teo DownloadL4Logs help` for its parameters."
    );
}

#[test]
fn missing_values() {
    let err = run(&["DownloadL4Logs", "--StartTime"]).unwrap_err();
    assert_eq!(
        err,
        ParseError::MissingValue {
            option: "--StartTime".into()
        }
    );
    assert_eq!(err.to_string(), "--StartTime needs a value.");
    let err = run(&["DownloadL4Logs", "--StartTime", "--EndTime", "x"]).unwrap_err();
    assert_eq!(
        err,
        ParseError::MissingValue {
            option: "--StartTime".into()
        }
    );
    let err = run(&["DownloadL4Logs", "--endpoint"]).unwrap_err();
    assert_eq!(
        err,
        ParseError::MissingValue {
            option: "--endpoint".into()
        }
    );
    // `--name=` is an explicit empty value.
    let request = request(&["DescribeZones", "--Order="]);
    assert_eq!(request["Order"], json!(""));
}

#[test]
fn duplicates_and_stray_arguments() {
    let err = run(&["DescribeZones", "--Limit", "1", "--Limit", "2"]).unwrap_err();
    assert_eq!(err.to_string(), "--Limit is given more than once.");
    let err = run(&["DescribeZones", "extra"]).unwrap_err();
    assert_eq!(
        err,
        ParseError::UnexpectedArgument {
            argument: "extra".into()
        }
    );
    let err = run(&["--Limit", "1"]).unwrap_err();
    assert_eq!(err, ParseError::MissingAction);
    let err = run(&["DescribeZones", "--help=yes"]).unwrap_err();
    assert_eq!(err.to_string(), "--help takes no value.");
    // `teo logs …` is run before this parser sees it, unless options come first.
    let err = run(&["--endpoint", "x", "logs", "download"]).unwrap_err();
    assert_eq!(err, ParseError::LogsNotFirst);
}

#[test]
fn global_options_anywhere() {
    let invocation = run(&[
        "--endpoint",
        "http://127.0.0.1:1",
        "DescribeZones",
        "--Limit",
        "5",
        "--region=ap-guangzhou",
        "--language",
        "zh-CN",
        "--secretId",
        "id",
        "--secretKey",
        "key",
        "--token",
        "tok",
        "--profile",
        "work",
        "--timeout",
        "2.5",
    ])
    .unwrap();
    assert_eq!(
        invocation.options,
        GlobalOptions {
            endpoint: Some("http://127.0.0.1:1".into()),
            region: Some("ap-guangzhou".into()),
            language: Some(Language::ZhCn),
            secret_id: Some("id".into()),
            secret_key: Some("key".into()),
            token: Some("tok".into()),
            profile: Some("work".into()),
            timeout: Some(Duration::from_millis(2500)),
            ..GlobalOptions::default()
        }
    );
    assert_eq!(
        invocation.command,
        Command::Call {
            action: "DescribeZones".into(),
            request: json!({"Limit": 5}).as_object().unwrap().clone(),
        }
    );
    let debug = format!("{:?}", invocation.options);
    assert!(!debug.contains("key") || debug.contains("secret_key: Some(\"<redacted>\")"));
    assert!(!debug.contains("\"tok\""), "{debug}");
}

#[test]
fn dry_run_forms() {
    let dry = |args: &[&str]| run(args).map(|i| i.call.dry_run);
    assert_eq!(dry(&["DescribeZones"]), Ok(None));
    assert_eq!(
        dry(&["DescribeZones", "--dry-run"]),
        Ok(Some(DryRun::Placeholder))
    );
    assert_eq!(
        dry(&["--dry-run=signed", "DescribeZones"]),
        Ok(Some(DryRun::Signed))
    );
    let err = dry(&["DescribeZones", "--dry-run=yes"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid value for --dry-run (nothing, or =signed): "yes"."#
    );
    // Only with `=`: a following word is an argument, as after any flag.
    assert_eq!(
        dry(&["DescribeZones", "--dry-run", "signed"]),
        Err(ParseError::UnexpectedArgument {
            argument: "signed".into()
        })
    );
    let err = dry(&["DescribeZones", "--dry-run", "--dry-run=signed"]).unwrap_err();
    assert_eq!(err.to_string(), "--dry-run is given more than once.");
}

#[test]
fn bad_global_values() {
    let err = run(&["DescribeZones", "--language", "fr"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid value for --language (en-US or zh-CN): "fr" is not a supported language."#
    );
    assert!(run(&["DescribeZones", "--timeout", "0"]).is_err());
    assert!(run(&["DescribeZones", "--timeout", "soon"]).is_err());
}

#[test]
fn help_forms() {
    for args in [&[][..], &["help"], &["--help"], &["-h"]] {
        assert_eq!(run(args).unwrap().command, Command::Help, "{args:?}");
    }
    for args in [
        &["DownloadL4Logs", "help"][..],
        &["help", "DownloadL4Logs"],
        &["DownloadL4Logs", "--help"],
        &["--help", "DownloadL4Logs", "--ZoneIds", "not checked"],
    ] {
        assert_eq!(
            run(args).unwrap().command,
            Command::ActionHelp("DownloadL4Logs".into()),
            "{args:?}"
        );
    }
    assert!(matches!(
        run(&["DownloadL4Log", "help"]).unwrap_err(),
        ParseError::UnknownAction { .. }
    ));
    assert_eq!(
        run(&["DownloadL4Logs", "--generate-cli-skeleton"])
            .unwrap()
            .command,
        Command::Skeleton("DownloadL4Logs".into())
    );
}
