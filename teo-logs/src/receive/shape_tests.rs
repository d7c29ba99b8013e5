use super::*;
use serde_json::json;

fn format(json: Value, fields: &[&str]) -> BodyFormat {
    let format: LogFormat = serde_json::from_value(json).unwrap();
    let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    BodyFormat::new(Some(format), &fields).unwrap()
}

fn records(format: &BodyFormat, body: &str) -> Vec<Value> {
    format
        .read(body.as_bytes())
        .unwrap()
        .into_iter()
        .map(Value::Object)
        .collect()
}

#[test]
fn default_shapes_array_lines_and_the_single_test_object() {
    let f = BodyFormat::default_shapes();
    let want = vec![json!({"A": 1}), json!({"A": "x,y"})];
    assert_eq!(records(&f, r#"[{"A":1},{"A":"x,y"}]"#), want);
    assert_eq!(records(&f, "{\"A\":1}\n{\"A\":\"x,y\"}\n"), want);
    assert_eq!(records(&f, "{\"A\":1}\r\n{\"A\":\"x,y\"}"), want);
    assert_eq!(records(&f, r#"{"A":1}{"A":"x,y"}"#), want);
    assert_eq!(records(&f, r#" {"A":1} "#), vec![json!({"A": 1})]);
    assert_eq!(records(&f, ""), Vec::<Value>::new());
    assert_eq!(records(&f, "[]"), Vec::<Value>::new());
}

#[test]
fn default_shapes_name_the_bad_record() {
    let f = BodyFormat::default_shapes();
    let e = f.read(b"{\"A\":1}\n[1]\n").unwrap_err();
    assert_eq!(e.record, 2);
    assert!(e.reason.contains("not a JSON object"), "{e}");
    let e = f.read(b"{\"A\":1}\n{\"A\":\n").unwrap_err();
    assert_eq!(e.record, 2);
    let e = f.read(b"[{\"A\":1},2]").unwrap_err();
    assert_eq!(e.record, 2);
    let e = f.read(b"{\"A\":\"\xff\"}").unwrap_err();
    assert!(e.reason.contains("UTF-8"), "{e}");
}

#[test]
fn json_format_with_the_documented_framing_and_other_framings() {
    let body = "{\"SecurityAction\":\"Deny\",\"RequestID\":\"1\"}\n{\"SecurityAction\":\"Deny\",\"RequestID\":\"2\"}";
    let f = format(
        json!({"FormatType": "json", "RecordPrefix": "{", "RecordSuffix": "}", "RecordDelimiter": "\n", "FieldDelimiter": ","}),
        &[],
    );
    let want = vec![
        json!({"SecurityAction": "Deny", "RequestID": "1"}),
        json!({"SecurityAction": "Deny", "RequestID": "2"}),
    ];
    assert_eq!(records(&f, body), want);
    let f = format(json!({"FormatType": "json"}), &[]);
    assert_eq!(records(&f, body), want);
    // Batch framing, a tab between fields and a comma between records, values holding both.
    let f = format(
        json!({"FormatType": "json", "BatchPrefix": "<<", "BatchSuffix": ">>", "RecordPrefix": "(", "RecordSuffix": ")", "RecordDelimiter": ",", "FieldDelimiter": "\t"}),
        &[],
    );
    let body = "<<(\"A\":\"a,\\t)b\"\t\"N\":5),(\"A\":\"c\"\t\"N\":-1)>>\n";
    assert_eq!(
        records(&f, body),
        vec![json!({"A": "a,\t)b", "N": 5}), json!({"A": "c", "N": -1})]
    );
    let e = f.read(b"(\"A\":1)>>").unwrap_err();
    assert!(e.reason.contains("BatchPrefix"), "{e}");
}

#[test]
fn csv_format_reads_values_in_field_order_with_quotes() {
    let fields = ["RequestTime", "ClientIP", "RequestUA"];
    let f = format(json!({"FormatType": "csv", "FieldDelimiter": ","}), &fields);
    let body =
        "2024-08-12T08:12:15Z,1.1.1.1,\"Mozilla, \"\"x\"\"\"\n2024-08-12T08:12:30Z,2.2.2.2,-\n";
    assert_eq!(
        records(&f, body),
        vec![
            json!({"RequestTime": "2024-08-12T08:12:15Z", "ClientIP": "1.1.1.1", "RequestUA": "Mozilla, \"x\""}),
            json!({"RequestTime": "2024-08-12T08:12:30Z", "ClientIP": "2.2.2.2", "RequestUA": "-"}),
        ]
    );
    // The same delimiter between fields and records: the field count ends a record.
    let f = format(
        json!({"FormatType": "csv", "FieldDelimiter": ";", "RecordDelimiter": ";"}),
        &fields[..2],
    );
    assert_eq!(
        records(&f, "t1;a;t2;b"),
        vec![
            json!({"RequestTime": "t1", "ClientIP": "a"}),
            json!({"RequestTime": "t2", "ClientIP": "b"})
        ]
    );
    let f = format(
        json!({"FormatType": "csv", "FieldDelimiter": "\t"}),
        &fields,
    );
    let e = f.read(b"t1\ta\n").unwrap_err();
    assert_eq!(e.record, 1);
    assert!(
        e.reason.contains("2 values where the task has 3 fields"),
        "{e}"
    );
    let none: LogFormat = serde_json::from_value(json!({"FormatType": "csv"})).unwrap();
    assert!(BodyFormat::new(Some(none), &[]).is_err());
}

#[test]
fn template_format_reads_placeholders_between_literals() {
    let f = format(
        json!({"FormatType": "template", "RecordTemplate": "${ClientIP} - [${RequestTime}] \"${RequestUrl}\" ${EdgeResponseStatusCode}", "RecordDelimiter": "\n"}),
        &[],
    );
    let body = "1.1.1.1 - [2024-08-12T08:12:15Z] \"/a b\" 200\n2.2.2.2 - [t] \"/\" 404";
    assert_eq!(
        records(&f, body),
        vec![
            json!({"ClientIP": "1.1.1.1", "RequestTime": "2024-08-12T08:12:15Z", "RequestUrl": "/a b", "EdgeResponseStatusCode": "200"}),
            json!({"ClientIP": "2.2.2.2", "RequestTime": "t", "RequestUrl": "/", "EdgeResponseStatusCode": "404"}),
        ]
    );
    for bad in ["${A}${B}", "${A", "", "x${}"] {
        let format: LogFormat =
            serde_json::from_value(json!({"FormatType": "template", "RecordTemplate": bad}))
                .unwrap();
        assert!(BodyFormat::new(Some(format), &[]).is_err(), "{bad}");
    }
}

#[test]
fn log_format_is_the_api_object_and_refuses_unknown_members() {
    assert!(
        serde_json::from_value::<LogFormat>(json!({"FormatType": "json", "Bogus": 1})).is_err()
    );
    let format: LogFormat = serde_json::from_value(json!({"FormatType": "xml"})).unwrap();
    assert!(BodyFormat::new(Some(format), &[]).is_err());
}

#[test]
fn errors_never_quote_the_body() {
    let f = format(json!({"FormatType": "json"}), &[]);
    let e = f
        .read(b"{\"A\":\"secret-visitor-data\" \"B\":1}")
        .unwrap_err();
    assert!(!e.to_string().contains("secret"), "{e}");
}

#[test]
fn the_test_object_is_read_whatever_the_log_format() {
    let object = r#"{"RequestID":"test-1","ClientIP":"1.1.1.1"}"#;
    for format in [
        json!({"FormatType": "json", "BatchPrefix": "[", "BatchSuffix": "]", "RecordDelimiter": ","}),
        json!({"FormatType": "csv", "FieldDelimiter": "\t"}),
        json!({"FormatType": "template", "RecordTemplate": "${RequestID} ${ClientIP}"}),
    ] {
        let f = self::format(format.clone(), &["RequestID", "ClientIP"]);
        assert_eq!(
            records(&f, object),
            vec![json!({"RequestID": "test-1", "ClientIP": "1.1.1.1"})],
            "{format}"
        );
    }
    // Anything else that the format cannot read stays an error.
    let f = self::format(json!({"FormatType": "json", "BatchPrefix": "["}), &[]);
    assert!(f.read(b"{\"A\":1}{\"A\":2}").is_err());
}
