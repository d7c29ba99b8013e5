//! Typed L7 and L4 records read from real packet files: sentinels, drifted integers, the
//! service's misspelled names, unknown fields, bad lines with their file and line number, and
//! lines too long to hold.

use std::io::Write;
use std::path::PathBuf;

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::json;
use teo_logs::records::{BadLines, L4Record, L7Record, RecordError, Records};

fn dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("records-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn gz(path: &PathBuf, text: &str) {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(path, encoder.finish().expect("gzip")).expect("write");
}

const L7_LINE: &str = r#"{"RequestID":"r-1","ClientIP":"203.0.113.9","ClientRegion":"CN","RequestTime":"2024-05-01T10:00:01+08:00","RequestStatus":2,"RequestHost":"www.example.com","RequestBytes":512,"RequestMethod":"GET","RequestUrl":"/index.html","RequestUrlQueryString":"-","RequestUA":"curl/8.0","RequestRange":"-","RequestReferer":"-","RequestProtocol":"HTTP/2.0","RemotePort":"51234","EdgeCacheStatus":"HIT","EdgeResponseStatusCode":200,"EdgeResponseBytes":"10240","EdgeResponseBodyBytes":10000,"EdgeResponseTime":12,"EdgeInternalTime":-1,"EdgeServerIP":"198.51.100.1","EdgeServerID":"node-1","SecurityAction":"-","NewField2025":{"x":1}}"#;

#[test]
fn l7_records_read_with_sentinels_drift_and_unknown_fields() {
    let dir = dir("l7");
    let path = dir.join("20240501-10_mainland.log.gz");
    gz(&path, &format!("{L7_LINE}\n{L7_LINE}\r\n\n"));
    let mut records = Records::<L7Record>::open(&path).expect("opens");
    let all: Vec<L7Record> = records.by_ref().collect::<Result<_, _>>().expect("reads");
    assert_eq!(all.len(), 2);
    assert_eq!(records.bad_count(), 0);
    let r = &all[0];
    assert_eq!(r.request_id.as_deref(), Some("r-1"));
    assert_eq!(r.remote_port, Some(51234), "an integer sent as text");
    assert_eq!(r.edge_response_bytes, Some(10240));
    assert_eq!(r.edge_internal_time, None, "-1 is absent");
    assert_eq!(r.request_url_query_string, None, "\"-\" is absent");
    assert_eq!(r.security_action, None);
    assert_eq!(r.edge_cache_status.as_deref(), Some("HIT"));
    let when = r
        .request_time
        .as_ref()
        .and_then(|t| t.instant())
        .expect("parsed");
    assert_eq!(when.unix_timestamp(), 1_714_528_801);
    assert_eq!(
        r.extra.get("NewField2025"),
        Some(&json!({"x": 1})),
        "unknown fields kept"
    );
    assert_eq!(r.extra.len(), 1);
}

#[test]
fn l4_records_use_the_services_spelling() {
    let line = json!({
        "ServiceID": "sid-1", "SessionID": "s-9",
        "ConnectTimeStamp": "2024-05-01T10:00:00Z", "DisconnetTimeStamp": "-",
        "DisconnetReason": "down: channel_eof_exception", "ClientRealIP": "2001:db8::1",
        "ClientRegion": "SG", "EdgeIP": "198.51.100.7", "ForwardProtocol": "TCP",
        "ForwardPort": 443, "SentBytes": 1.0e3, "ReceivedBytes": "-1", "LogTimeStamp": 1714557600
    });
    let records: Vec<L4Record> =
        teo_logs::records::from_reader(std::io::Cursor::new(format!("{line}\n").into_bytes()))
            .collect::<Result<_, _>>()
            .expect("reads");
    let r = &records[0];
    assert_eq!(r.disconnect_time_stamp, None, "still connected");
    assert_eq!(
        r.disconnect_reason.as_deref(),
        Some("down: channel_eof_exception")
    );
    assert_eq!(r.sent_bytes, Some(1000), "an integral float");
    assert_eq!(r.received_bytes, None, "\"-1\" is the integer sentinel");
    assert_eq!(r.forward_port, Some(443));
    let logged = r
        .log_time_stamp
        .as_ref()
        .and_then(|t| t.instant())
        .expect("unix seconds");
    assert_eq!(logged.unix_timestamp(), 1_714_557_600);
    assert!(r.extra.is_empty());
}

#[test]
fn bad_lines_are_counted_with_file_and_line_or_end_the_reading() {
    let dir = dir("bad");
    let path = dir.join("packet.log");
    let text = format!(
        "{L7_LINE}\nnot json\n{{\"RequestID\":\"r-3\",\"EdgeResponseStatusCode\":\"abc\"}}\n[1,2]\n{L7_LINE}\n"
    );
    std::fs::write(&path, text).expect("write");

    let mut records = Records::<L7Record>::open(&path).expect("opens");
    let read: Vec<L7Record> = records.by_ref().collect::<Result<_, _>>().expect("skips");
    assert_eq!(read.len(), 2, "the good lines around the bad ones");
    assert_eq!(records.bad_count(), 3);
    let messages: Vec<String> = records.bad().iter().map(ToString::to_string).collect();
    let name = path.display().to_string();
    assert!(
        messages[0].starts_with(&format!("{name}:2: not a JSON object")),
        "{messages:?}"
    );
    assert_eq!(
        messages[1],
        format!("{name}:3: EdgeResponseStatusCode: \"abc\" is not an integer")
    );
    assert!(
        messages[2].starts_with(&format!("{name}:4: not a JSON object")),
        "{messages:?}"
    );

    let mut strict = Records::<L7Record>::open(&path)
        .expect("opens")
        .bad_lines(BadLines::Fail);
    assert!(strict.next().expect("first").is_ok());
    match strict.next() {
        Some(Err(RecordError::BadLine { line: 2, .. })) => {}
        other => panic!("expected line 2 to end the reading, got {other:?}"),
    }
    assert!(strict.next().is_none());
}

#[test]
fn overlong_lines_are_skipped_without_being_held_and_corrupt_gzip_is_an_error() {
    let dir = dir("long");
    let path = dir.join("long.log.gz");
    let long = format!("{{\"RequestID\":\"{}\"}}", "x".repeat(300_000));
    gz(&path, &format!("{L7_LINE}\n{long}\n{L7_LINE}"));
    let mut records = Records::<L7Record>::open(&path)
        .expect("opens")
        .max_line(64 * 1024);
    let read: Vec<L7Record> = records.by_ref().collect::<Result<_, _>>().expect("reads");
    assert_eq!(read.len(), 2, "the last line needs no newline");
    assert_eq!(records.bad_count(), 1);
    assert!(records.bad()[0]
        .to_string()
        .ends_with(":2: longer than 65536 bytes"));

    let corrupt = dir.join("corrupt.log.gz");
    let mut bytes = std::fs::read(&path).expect("read");
    let middle = bytes.len() / 2;
    bytes.truncate(middle);
    std::fs::write(&corrupt, bytes).expect("write");
    let last = Records::<L7Record>::open(&corrupt)
        .expect("opens")
        .last()
        .expect("an item");
    assert!(matches!(last, Err(RecordError::Io { .. })), "{last:?}");
}

/// The direct reading of a line (no map built) gives exactly what reading its map gives: the
/// same record, or the same error — for the mock's real-looking packets and for hostile lines
/// (duplicate keys, escaped names, drifted and wrong types, sentinels, nesting).
#[test]
fn reading_a_line_directly_equals_reading_its_map() {
    use teo_logs::records::LogRecord;
    fn same<T: LogRecord + PartialEq + std::fmt::Debug>(line: &str) {
        let direct = T::from_line(line.as_bytes());
        let via_map = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
            .map_err(|e| format!("not a JSON object: {e}"))
            .and_then(T::from_members);
        match (&direct, &via_map) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{line}"),
            (Err(a), Err(b)) => assert_eq!(a, b, "{line}"),
            _ => panic!("{line}: {direct:?} vs {via_map:?}"),
        }
    }
    let hostile = [
        L7_LINE,
        r#"{"RequestID":"a","RequestID":"b","Extra":1,"Extra":2}"#,
        r#"{"RemotePort":"x","RemotePort":443}"#,
        r#"{"RemotePort":443,"RemotePort":"x"}"#,
        r#"{"Request\u0049D":"escaped name","\u00e9":"é"}"#,
        r#"{"EdgeResponseBytes":1.0,"RequestBytes":1.5}"#,
        r#"{"EdgeResponseBytes":true}"#,
        r#"{"RequestTime":-1,"RequestHost":null,"ClientIP":["a"],"ClientRegion":{"x":1}}"#,
        r#"{"RequestTime":1714528800,"RequestStatus":"2"}"#,
        r#"{"RequestTime":"yesterday","EdgeInternalTime":"-1"}"#,
        r#"{"RequestTime":{"at":1}}"#,
        r#"{"EdgeResponseStatusCode":18446744073709551615}"#,
        r#"{"ServiceID":"sid","DisconnetTimeStamp":"-","LogTimeStamp":1714528800,"SentBytes":"9"}"#,
        r#"[1,2]"#,
        r#""text""#,
        r#"{"a":1} trailing"#,
        r#"{}"#,
    ];
    for line in hostile {
        same::<L7Record>(line);
        same::<L4Record>(line);
    }
    let store = teo_mock::logs::LogStore::new();
    for (kind, ids) in [
        (
            teo_mock::logs::LogKind::L7,
            json!({"Domains": ["www.example.com"]}),
        ),
        (teo_mock::logs::LogKind::L4, json!({"ProxyIds": ["sid-1"]})),
    ] {
        let mut request = json!({
            "StartTime": "2024-05-01T00:00:00Z",
            "EndTime": "2024-05-01T03:00:00Z",
            "ZoneIds": ["zone-a"],
        });
        request
            .as_object_mut()
            .unwrap()
            .extend(ids.as_object().unwrap().clone());
        let listing = store.list(kind, &request, "http://127.0.0.1:1").unwrap();
        for entry in listing["Data"].as_array().unwrap() {
            let file = entry["Url"].as_str().unwrap().rsplit('/').next().unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut flate2::read::MultiGzDecoder::new(&store.packet(file).unwrap()[..]),
                &mut text,
            )
            .unwrap();
            for line in text.lines() {
                same::<L7Record>(line);
                same::<L4Record>(line);
            }
        }
    }
}
