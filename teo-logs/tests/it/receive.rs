//! `teo_logs::receive` over real HTTP on 127.0.0.1 into real datasets: every body shape and
//! authentication case, the limits, and exactly-once across resends, rolls and two receivers.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tc_runtime::clock::ManualClock;
use teo_logs::receive::auth::auth_hash;
use teo_logs::receive::{BodyFormat, LogFormat, OriginAuth, Receiver, ReceiverConfig};
use teo_logs::{Dataset, Format, Kind};

use crate::support::temp_dir;

/// A receiver on 127.0.0.1 rolling only when told, writing NDJSON (read back as records).
async fn receiver(dir: &Path, staging: &str, tune: impl FnOnce(&mut ReceiverConfig)) -> Receiver {
    receiver_into(dir, staging, Format::Ndjson, tune).await
}

/// A receiver on 127.0.0.1 rolling only when told, writing `format`.
async fn receiver_into(
    dir: &Path,
    staging: &str,
    format: Format,
    tune: impl FnOnce(&mut ReceiverConfig),
) -> Receiver {
    let mut config = ReceiverConfig::new(dir.join(staging));
    config.roll_every = Duration::from_secs(86_400);
    config.roll_bytes = u64::MAX;
    config.zone = Some("zone-rt".into());
    tune(&mut config);
    let dataset = Dataset::local(dir.join("dataset"), format).unwrap();
    Receiver::start(config, dataset).await.unwrap()
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

async fn post(
    receiver: &Receiver,
    path_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let url = format!("http://{}{path_query}", receiver.addr());
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        retry_after,
        body,
    }
}

/// Every record in the dataset (NDJSON or Parquet), by RequestID (or SessionID), with how
/// often each occurs.
fn dataset_records(dir: &Path) -> BTreeMap<String, (usize, Value)> {
    let mut out: BTreeMap<String, (usize, Value)> = BTreeMap::new();
    for file in crate::support::files_in(&dir.join("dataset")) {
        let records = match file.extension().and_then(|e| e.to_str()) {
            Some("ndjson") => crate::support::lines_of(&file),
            Some("parquet") => parquet_rows(&file),
            _ => continue,
        };
        {
            for record in records {
                let id = record
                    .get("RequestID")
                    .or_else(|| record.get("SessionID"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned();
                let entry = out.entry(id).or_insert((0, record));
                entry.0 += 1;
            }
        }
    }
    out
}

/// Every row of a Parquet file the dataset wrote, as the JSON object its NDJSON line would be:
/// the columns that are not null (date-times as RFC 3339 text with seconds), then the members
/// of `extra`. So one check reads both formats.
fn parquet_rows(path: &Path) -> Vec<serde_json::Value> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMillisecondType};
    use arrow_schema::DataType;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(path).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for row in 0..batch.num_rows() {
            let mut object = serde_json::Map::new();
            let mut extra = None;
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                if column.is_null(row) {
                    continue;
                }
                let value = match field.data_type() {
                    DataType::Utf8 => serde_json::Value::from(column.as_string::<i32>().value(row)),
                    DataType::Int64 => {
                        serde_json::Value::from(column.as_primitive::<Int64Type>().value(row))
                    }
                    DataType::Timestamp(..) => {
                        let millis = column.as_primitive::<TimestampMillisecondType>().value(row);
                        let t = time::OffsetDateTime::from_unix_timestamp(millis / 1000).unwrap();
                        let format = time::macros::format_description!(
                            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
                        );
                        serde_json::Value::from(t.format(&format).unwrap())
                    }
                    other => panic!("{}: a column of {other}", field.name()),
                };
                if field.name() == teo_logs::columns::EXTRA {
                    extra = Some(value);
                } else {
                    object.insert(field.name().clone(), value);
                }
            }
            if let Some(serde_json::Value::String(text)) = extra {
                let members: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&text).unwrap();
                object.extend(members);
            }
            rows.push(serde_json::Value::Object(object));
        }
    }
    rows
}

fn l7(id: &str, hour: u32) -> Value {
    json!({
        "RequestID": id,
        "RequestTime": format!("2024-08-12T{hour:02}:12:15Z"),
        "ClientIP": "1.1.1.1",
        "EdgeResponseStatusCode": 200,
        "EdgeResponseBytes": 1000,
        "RequestUA": "Mozilla/5.0, \"quoted\"\tand tabbed",
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Into NDJSON, batches are staged as JSON Lines; into Parquet, as typed columns (the default
/// shapes read in one pass, the others line by line): the same records land either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_shape_lands_each_record_once() {
    body_shapes(Format::Ndjson).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_shape_lands_each_record_once_in_parquet() {
    body_shapes(Format::Parquet).await;
}

async fn body_shapes(format: Format) {
    let dir = temp_dir("receive-shapes");
    let mut records: Vec<Value> = (0..4).map(|i| l7(&format!("default-{i}"), 8 + i)).collect();
    // A member holding arrays: such a body is read line by line (nesting checked), not in
    // one pass.
    records[0]["Tags"] = json!({"a": [1, [2]]});
    let lines = |rs: &[Value]| {
        rs.iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    };
    // The default shapes, on one receiver.
    let rx = receiver_into(&dir, "staging-default", format, |c| c.auth = None).await;
    let array = serde_json::to_vec(&records[..2]).unwrap();
    assert_eq!(post(&rx, "/logs", &[], array).await.status, 200);
    let jsonl = lines(&records[2..3]) + "\n";
    assert_eq!(
        post(
            &rx,
            "/logs",
            &[("content-encoding", "gzip")],
            gzip(jsonl.as_bytes())
        )
        .await
        .status,
        200
    );
    // The single test object a task posts when saved; gzip told by its magic bytes alone.
    let single = gzip(records[3].to_string().as_bytes());
    let answer = post(&rx, "/", &[], single).await;
    assert_eq!(
        (answer.status, answer.body["records"].clone()),
        (200, json!(1))
    );
    let reports = rx.roll_now().await.unwrap();
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 4);
    rx.shutdown().await.unwrap();

    // Each LogFormat on its own receiver (one task each), into the same dataset.
    let fields = ["RequestID", "RequestTime", "ClientIP", "RequestUA"];
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"FormatType": "json", "RecordPrefix": "{", "RecordSuffix": "}", "RecordDelimiter": "\n", "FieldDelimiter": ","}),
            lines(&[l7("json-0", 1), l7("json-1", 2)]),
        ),
        (
            json!({"FormatType": "json", "BatchPrefix": "[", "BatchSuffix": "]", "RecordDelimiter": ",", "FieldDelimiter": "\t"}),
            format!(
                "[{}]",
                [l7("jsonb-0", 1), l7("jsonb-1", 2)]
                    .iter()
                    .map(|r| {
                        let pairs: Vec<String> = r.as_object().unwrap().iter().map(|(k, v)| format!("{}:{v}", json!(k))).collect();
                        format!("{{{}}}", pairs.join("\t"))
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
        (
            json!({"FormatType": "csv", "FieldDelimiter": ",", "RecordDelimiter": "\n"}),
            "csv-0,2024-08-12T03:00:00Z,1.1.1.1,\"Mozilla, \"\"q\"\"\"\ncsv-1,2024-08-12T04:00:00Z,2.2.2.2,-\n".into(),
        ),
        (
            json!({"FormatType": "csv", "FieldDelimiter": ";", "RecordDelimiter": "\t", "RecordPrefix": "<", "RecordSuffix": ">"}),
            "<csvt-0;2024-08-12T03:00:00Z;1.1.1.1;ua one><csvt-1;2024-08-12T04:00:00Z;2.2.2.2;ua two>".replace("><", ">\t<"),
        ),
        (
            json!({"FormatType": "template", "RecordTemplate": "${RequestID} ${ClientIP} [${RequestTime}] \"${RequestUA}\"", "RecordDelimiter": "\n"}),
            "tpl-0 1.1.1.1 [2024-08-12T05:00:00Z] \"curl/8\"\ntpl-1 2.2.2.2 [2024-08-12T06:00:00Z] \"a b\"".into(),
        ),
    ];
    for (i, (log_format, body)) in cases.iter().enumerate() {
        let log_format: LogFormat = serde_json::from_value(log_format.clone()).unwrap();
        let fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        let body_format = BodyFormat::new(Some(log_format), &fields).unwrap();
        let rx = receiver_into(&dir, &format!("staging-{i}"), format, |c| {
            c.format = body_format;
        })
        .await;
        let answer = post(&rx, "/logs", &[], body.clone().into_bytes()).await;
        assert_eq!(answer.status, 200, "case {i}: {}", answer.body);
        assert_eq!(answer.body["records"], json!(2), "case {i}");
        rx.shutdown().await.unwrap();
    }
    let stored = dataset_records(&dir);
    assert_eq!(stored.len(), 4 + 2 * cases.len(), "{:?}", stored.keys());
    assert!(stored.values().all(|(n, _)| *n == 1));
    assert_eq!(stored["default-0"].1, records[0]);
    assert_eq!(stored["default-1"].1, records[1]);
    assert_eq!(stored["json-1"].1, l7("json-1", 2));
    assert_eq!(stored["jsonb-0"].1, l7("jsonb-0", 1));
    assert_eq!(stored["csv-0"].1["RequestUA"], json!("Mozilla, \"q\""));
    assert_eq!(stored["csvt-1"].1["RequestUA"], json!("ua two"));
    assert_eq!(stored["tpl-1"].1["RequestUA"], json!("a b"));
    assert_eq!(
        stored["tpl-1"].1["RequestTime"],
        json!("2024-08-12T06:00:00Z")
    );
    // Records land in the hour of their own time.
    assert!(
        crate::support::files_in(&dir.join("dataset/kind=l7/zone=zone-rt/date=2024-08-12/hour=06"))
            .len()
            == 1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A batch staged by a receiver writing NDJSON (JSON Lines) is rolled into Parquet by a
/// receiver started on the same staging with Parquet; the other way round, a batch staged as
/// columns is kept, and the roll says to write it with Parquet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_outlives_a_change_of_format() {
    let dir = temp_dir("receive-switch");
    let rx = receiver(&dir, "staging", |_| {}).await;
    let body = serde_json::to_vec(&[l7("lines-0", 1), l7("lines-1", 2)]).unwrap();
    assert_eq!(post(&rx, "/logs", &[], body).await.status, 200);
    drop(rx);
    let rx = receiver_into(&dir, "staging", Format::Parquet, |_| {}).await;
    let reports = rx.roll_now().await.unwrap();
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 2);
    let body = serde_json::to_vec(&[l7("columns-0", 3)]).unwrap();
    assert_eq!(post(&rx, "/logs", &[], body).await.status, 200);
    drop(rx);

    let rx = receiver(&dir, "staging", |_| {}).await;
    let error = rx.roll_now().await.unwrap_err().to_string();
    assert!(error.contains("roll it with --format parquet"), "{error}");
    assert_eq!(
        rx.staging().list().unwrap().len(),
        1,
        "the batch stays staged"
    );
    drop(rx);
    let rx = receiver_into(&dir, "staging", Format::Parquet, |_| {}).await;
    rx.shutdown().await.unwrap();
    let stored = dataset_records(&dir);
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        ["columns-0", "lines-0", "lines-1"]
    );
    assert!(stored.values().all(|(n, _)| *n == 1));
    assert_eq!(stored["lines-1"].1, l7("lines-1", 2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A roll that fails after it claimed its batches (the dataset cannot be written) is finished
/// under its own id by the next roll: its claims are not taken for another roll's, and every
/// record lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roll_failing_after_its_claims_is_finished_by_the_next() {
    let dir = temp_dir("receive-roll-retry");
    let rx = receiver(&dir, "staging", |_| {}).await;
    for n in 0..3 {
        let body = serde_json::to_vec(&[l7(&format!("retry-{n}"), 4)]).unwrap();
        assert_eq!(post(&rx, "/logs", &[], body).await.status, 200);
    }
    // A file where the zone's directory goes: the claims are made, the files cannot be.
    let blocker = dir.join("dataset/kind=l7/zone=zone-rt");
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, b"in the way").unwrap();
    let error = rx.roll_now().await.unwrap_err();
    assert!(error.to_string().contains("zone=zone-rt"), "{error}");
    let claims = crate::support::files_in(&dir.join("dataset/_teo_received"));
    assert_eq!(claims.len(), 3, "{claims:?}");
    assert_eq!(rx.staging().list().unwrap().len(), 3, "still staged");

    std::fs::remove_file(&blocker).unwrap();
    let reports = rx.roll_now().await.unwrap();
    assert_eq!(
        reports.iter().map(|r| r.records).sum::<u64>(),
        3,
        "{reports:?}"
    );
    assert_eq!(reports.iter().map(|r| r.duplicates).sum::<usize>(), 0);
    rx.shutdown().await.unwrap();
    let stored = dataset_records(&dir);
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        ["retry-0", "retry-1", "retry-2"]
    );
    assert!(stored.values().all(|(n, _)| *n == 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Tells each roll into a channel.
#[derive(Debug)]
struct Rolled(std::sync::Mutex<std::sync::mpsc::Sender<teo_logs::receive::RollReport>>);

impl teo_logs::receive::Events for Rolled {
    fn rolled(&self, report: &teo_logs::receive::RollReport) {
        let _ = self.0.lock().unwrap().send(report.clone());
    }
}

/// Rolls are sized by the logs as pushed (decoded), not by how staging holds them (columns
/// take more room than one small record's JSON): a roll of two batches' worth takes two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolls_are_sized_by_the_logs_as_pushed() {
    let dir = temp_dir("receive-roll-size");
    let (tx, rolls) = std::sync::mpsc::channel();
    let body = |n: u32| serde_json::to_vec(&[l7(&format!("r-{n}"), 1)]).unwrap();
    let size = body(0).len() as u64;
    let rx = receiver_into(&dir, "staging", Format::Parquet, |c| {
        c.roll_bytes = 2 * size;
        c.events = Arc::new(Rolled(std::sync::Mutex::new(tx)));
    })
    .await;
    for n in 0..5 {
        assert_eq!(post(&rx, "/logs", &[], body(n)).await.status, 200);
    }
    let wait = || rolls.recv_timeout(Duration::from_secs(60)).unwrap();
    let first = wait();
    assert_eq!(first.batches, 2, "{first:?}");
    let mut rolled = first.batches;
    while rolled < 4 {
        let next = wait();
        assert!(next.batches <= 2, "{next:?}");
        rolled += next.batches;
    }
    rx.shutdown().await.unwrap();
    let stored = dataset_records(&dir);
    assert_eq!(stored.len(), 5, "{:?}", stored.keys());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_authentication_cases() {
    let dir = temp_dir("receive-auth");
    let now = 1_722_000_000_i64;
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(now as u64));
    let rx = receiver(&dir, "staging", |c| {
        c.auth = Some(OriginAuth::new("my-id", "my-secret-key"));
        c.clock = Arc::new(clock.clone());
    })
    .await;
    let signed = |path: &str, ts: i64, rand: &str| {
        let hash = auth_hash(path, &ts.to_string(), rand, "my-secret-key");
        format!("{path}?access_key=my-id&auth_key={ts}-{rand}-{hash}")
    };
    let body = |id: &str| serde_json::to_vec(&[l7(id, 1)]).unwrap();
    let cases: Vec<(&str, String, Vec<u8>, u16, &str)> = vec![
        ("good", signed("/logs", now, "7"), body("a1"), 200, ""),
        (
            "the same key and body again: a resend",
            signed("/logs", now, "7"),
            body("a1"),
            200,
            "",
        ),
        (
            "the same key with another body: a replay",
            signed("/logs", now, "7"),
            body("a2"),
            403,
            "auth_replayed",
        ),
        (
            "a fresh key for a resent body",
            signed("/logs", now - 200, "8"),
            body("a1"),
            200,
            "",
        ),
        (
            "no parameters",
            "/logs".into(),
            body("a3"),
            401,
            "auth_missing",
        ),
        (
            "not the documented form",
            "/logs?access_key=my-id&auth_key=abc".into(),
            body("a3"),
            401,
            "auth_malformed",
        ),
        (
            "another AccessId",
            signed("/logs", now, "9").replace("my-id", "other"),
            body("a3"),
            403,
            "auth_access_id",
        ),
        (
            "signed for another path",
            signed("/other", now, "9").replacen("/other", "/logs", 1),
            body("a3"),
            403,
            "auth_hash",
        ),
        (
            "301 s old",
            signed("/logs", now - 301, "9"),
            body("a3"),
            403,
            "auth_stale",
        ),
        (
            "301 s ahead",
            signed("/logs", now + 301, "9"),
            body("a3"),
            403,
            "auth_stale",
        ),
    ];
    for (what, path, body, status, label) in cases {
        let answer = post(&rx, &path, &[], body).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        if !label.is_empty() {
            assert_eq!(answer.body["error"], json!(label), "{what}");
            assert!(!answer.body.to_string().contains("my-secret-key"));
        }
    }
    assert_eq!(rx.metrics().rejects("auth_stale"), 2);
    rx.roll_now().await.unwrap();
    let stored = dataset_records(&dir);
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["a1"]);
    assert_eq!(stored["a1"].0, 1);
    rx.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_unreadable_bodies_get_typed_refusals() {
    let dir = temp_dir("receive-limits");
    let rx = receiver(&dir, "staging", |c| {
        c.limits.body = 64 << 10;
        c.limits.decoded = 256 << 10;
    })
    .await;
    let big = vec![b' '; 65 << 10];
    let answer = post(&rx, "/", &[], big).await;
    assert_eq!(
        (answer.status, answer.body["error"].clone()),
        (413, json!("too_large"))
    );
    // A gzip bomb: 32 KiB that would decode to 32 MiB.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![b' '; 32 << 20]).unwrap();
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 64 << 10);
    let answer = post(&rx, "/", &[("content-encoding", "gzip")], bomb).await;
    assert_eq!(
        (answer.status, answer.body["error"].clone()),
        (413, json!("too_large"))
    );
    let answer = post(
        &rx,
        "/",
        &[("content-encoding", "gzip")],
        b"not gzip".to_vec(),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["error"].clone()),
        (400, json!("gzip"))
    );
    let answer = post(
        &rx,
        "/",
        &[],
        b"{\"RequestID\":\"x\"}\n{\"RequestID\":".to_vec(),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .starts_with("record 2: "),
        "{}",
        answer.body
    );
    let answer = post(
        &rx,
        "/",
        &[],
        b"[{\"RequestID\":\"x\",\"EdgeResponseBytes\":\"lots\"}]".to_vec(),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["error"].clone()),
        (400, json!("bad_member"))
    );
    assert!(answer.body["message"]
        .as_str()
        .unwrap()
        .contains("EdgeResponseBytes"));
    assert_eq!(rx.metrics().rejects("too_large"), 2);
    assert_eq!(rx.staging().bytes(), 0, "nothing refused was staged");
    rx.shutdown().await.unwrap();

    // Staging full: 503 with Retry-After, and a 2xx again once a roll made room.
    let rx = receiver(&dir, "staging-full", |c| c.limits.staged = 1).await;
    assert_eq!(
        post(&rx, "/", &[], serde_json::to_vec(&[l7("f1", 1)]).unwrap())
            .await
            .status,
        200
    );
    let answer = post(&rx, "/", &[], serde_json::to_vec(&[l7("f2", 1)]).unwrap()).await;
    assert_eq!(
        (answer.status, answer.retry_after.as_deref()),
        (503, Some("5"))
    );
    rx.roll_now().await.unwrap();
    assert_eq!(
        post(&rx, "/", &[], serde_json::to_vec(&[l7("f2", 1)]).unwrap())
            .await
            .status,
        200
    );
    rx.shutdown().await.unwrap();
    assert_eq!(dataset_records(&dir).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_and_two_receivers_on_one_dataset_write_each_batch_once() {
    let dir = temp_dir("receive-once");
    let a = receiver(&dir, "staging-a", |_| {}).await;
    let b = receiver(&dir, "staging-b", |_| {}).await;
    let batch = |ids: &[&str]| {
        serde_json::to_vec(&ids.iter().map(|id| l7(id, 3)).collect::<Vec<_>>()).unwrap()
    };
    // x: its 200 was "lost", resent to the other receiver; y to a only; z to b, resent to b.
    assert_eq!(post(&a, "/", &[], batch(&["x1", "x2"])).await.status, 200);
    assert_eq!(post(&b, "/", &[], batch(&["x1", "x2"])).await.status, 200);
    assert_eq!(post(&a, "/", &[], batch(&["y1"])).await.status, 200);
    assert_eq!(post(&b, "/", &[], batch(&["z1"])).await.status, 200);
    let again = post(&b, "/", &[], batch(&["z1"])).await;
    assert_eq!(
        (again.status, again.body["resend"].clone()),
        (200, json!(true))
    );
    // Both roll at once.
    let (ra, rb) = tokio::join!(a.roll_now(), b.roll_now());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let duplicates: usize = ra.iter().chain(&rb).map(|r| r.duplicates).sum();
    assert_eq!(duplicates, 1, "{ra:?} {rb:?}");
    // x resent to a after a's roll: staged again, left out by the next roll.
    assert_eq!(post(&a, "/", &[], batch(&["x1", "x2"])).await.status, 200);
    let again = a.roll_now().await.unwrap();
    assert_eq!((again[0].batches, again[0].duplicates), (0, 1));
    let stored = dataset_records(&dir);
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["x1", "x2", "y1", "z1"]);
    assert!(stored.values().all(|(n, _)| *n == 1), "{stored:?}");
    assert_eq!(
        a.metrics()
            .duplicates
            .load(std::sync::atomic::Ordering::Relaxed)
            + b.metrics()
                .duplicates
                .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    // Each receiver's roll wrote its own files (`rt-<roll>-<part>`); no name is shared.
    let names: Vec<String> = crate::support::files_in(&dir.join("dataset/kind=l7"))
        .into_iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let rolls: std::collections::BTreeSet<&str> = names
        .iter()
        .map(|n| n.rsplit_once('-').unwrap().0)
        .collect();
    assert_eq!(rolls.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("rt-")), "{names:?}");
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_are_served() {
    let dir = temp_dir("receive-metrics");
    let rx = receiver(&dir, "staging", |_| {}).await;
    assert_eq!(
        post(
            &rx,
            "/",
            &[],
            serde_json::to_vec(&[l7("m1", 1), l7("m2", 1)]).unwrap()
        )
        .await
        .status,
        200
    );
    assert_eq!(post(&rx, "/", &[], b"[1]".to_vec()).await.status, 400);
    let get = |path: &str| {
        let url = format!("http://{}{path}", rx.addr());
        async move {
            let response = reqwest::get(url).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, text) = get("/metrics").await;
    assert_eq!(status, 200);
    for line in [
        "teo_receive_batches_total 1",
        "teo_receive_records_total 2",
        "teo_receive_rejected_total{reason=\"unparseable\"} 1",
        "teo_receive_staged_batches 1",
        "teo_receive_roll_seconds_count 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
    rx.roll_now().await.unwrap();
    let (_, text) = get("/metrics").await;
    assert!(
        text.lines()
            .any(|l| l == "teo_receive_written_records_total 2"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == "teo_receive_staged_batches 0"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "teo_receive_roll_seconds_count 1"),
        "{text}"
    );
    assert_eq!(get("/healthz").await.0, 200);
    rx.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staging_directory_others_can_write_is_refused() {
    let dir = temp_dir("receive-private");
    let staging = dir.join("open");
    std::fs::create_dir_all(&staging).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o777)).unwrap();
        let config = ReceiverConfig::new(&staging);
        let dataset = Dataset::local(dir.join("dataset"), Format::Ndjson).unwrap();
        let error = Receiver::start(config, dataset).await.unwrap_err();
        assert!(error.to_string().contains("staging directory"), "{error}");
    }
    let _ = Kind::L7;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A roll's claims, locally: one file under every name that was free (hard links), the
/// names taken already left as they were, a planted link refused.
#[test]
fn claims_take_each_free_name_once() {
    use std::path::PathBuf;
    use teo_logs::destination::Destination;
    let dir = temp_dir("receive-claims");
    let dest = Destination::Local(dir.clone());
    let names = |list: &[&str]| list.iter().map(PathBuf::from).collect::<Vec<_>>();
    let taken = dest
        .create_new_many(
            &names(&["c/aa/1.json", "c/aa/2.json", "c/bb/3.json"]),
            b"first",
        )
        .unwrap();
    assert_eq!(taken, [true, true, true]);
    let taken = dest
        .create_new_many(&names(&["c/aa/2.json", "c/cc/4.json"]), b"second")
        .unwrap();
    assert_eq!(taken, [false, true]);
    assert_eq!(std::fs::read(dir.join("c/aa/2.json")).unwrap(), b"first");
    assert_eq!(std::fs::read(dir.join("c/cc/4.json")).unwrap(), b"second");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let first = std::fs::metadata(dir.join("c/aa/1.json")).unwrap();
        assert_eq!(first.nlink(), 3, "one file under the three names");
        std::os::unix::fs::symlink(std::env::temp_dir(), dir.join("c/dd")).unwrap();
        let error = dest
            .create_new_many(&names(&["c/dd/5.json"]), b"x")
            .unwrap_err();
        assert!(error.to_string().contains("link"), "{error}");
    }
    // Only the claims (and the planted link): no temporary left beside them.
    let files = crate::support::files_in(&dir.join("c"));
    let claims = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"));
    assert_eq!(claims.count(), 4, "{files:?}");
    assert!(files.len() <= 5, "{files:?}");
    assert!(dest.create_new_many(&[], b"x").unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

const DUCKDB_RECEIVED: &str = r#"
import json, sys, duckdb, pyarrow.dataset as ds, pyarrow.fs as pafs
endpoint, root = sys.argv[1], sys.argv[2]
s3 = pafs.S3FileSystem(access_key="AKIDTEST", secret_key="test-secret-never-printed", region="us-east-1",
                       endpoint_override=endpoint, scheme="http")
logs = ds.dataset(root + "/kind=l7", filesystem=s3, format="parquet", partitioning="hive")
con = duckdb.connect()
con.register("logs", logs)
rows, ids, total = con.execute("SELECT count(*), count(DISTINCT RequestID), sum(EdgeResponseBytes) FROM logs").fetchone()
print(json.dumps({"rows": rows, "ids": ids, "bytes": int(total)}))
"#;

/// What DuckDB reads of the L7 dataset at `root` (`bucket/prefix`) on `moto`: rows, distinct
/// RequestIDs and the sum of EdgeResponseBytes.
fn duckdb_received(moto: &crate::support::Moto, root: &str) -> Value {
    let python = crate::support::python().unwrap();
    let stdout = tc_test_support::tools::run_python(
        &python,
        DUCKDB_RECEIVED,
        &[moto.endpoint().as_str(), root],
    );
    serde_json::from_slice(&stdout).unwrap()
}

/// The sum of EdgeResponseBytes over `batches` of `per` records, record `i` of batch `n`
/// holding `n * 1000 + i`.
fn bytes_of(batches: std::ops::Range<u64>, per: u64) -> u64 {
    batches
        .map(|n| (0..per).map(|i| n * 1000 + i).sum::<u64>())
        .sum()
}

/// Two receivers writing Parquet to one bucket of a local S3 server: batches resent to both
/// are claimed once through conditional puts, and DuckDB reads each record once.
#[test]
fn two_receivers_on_one_s3_bucket_write_each_batch_once() {
    let Some(moto) = crate::support::Moto::start() else {
        return;
    };
    moto.create_bucket("rtlogs");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = temp_dir("receive-s3");
    let options = moto.store_options();
    let batch = |n: u64| {
        let records: Vec<Value> = (0..50)
            .map(|i| json!({"RequestID": format!("s3-{n}-{i}"), "RequestTime": "2024-08-12T10:00:00Z", "EdgeResponseBytes": n * 1000 + i}))
            .collect();
        serde_json::to_vec(&records).unwrap()
    };
    runtime.block_on(async {
        let start = |staging: &str| {
            let dest = teo_logs::destination::Destination::parse(
                "s3://rtlogs/edgeone",
                &options,
                tokio::runtime::Handle::current(),
            )
            .unwrap();
            let mut config = ReceiverConfig::new(dir.join(staging));
            config.roll_every = Duration::from_secs(86_400);
            config.roll_bytes = u64::MAX;
            config.zone = Some("zone-rt".into());
            let dataset = Dataset::new(dest, Format::Parquet).unwrap();
            Receiver::start(config, dataset)
        };
        let a = start("a").await.unwrap();
        let b = start("b").await.unwrap();
        // Batches 0-5 go to a, 3-8 to b: 3, 4 and 5 are resends that reached the other one.
        for n in 0..6 {
            assert_eq!(post(&a, "/", &[], batch(n)).await.status, 200);
        }
        for n in 3..9 {
            assert_eq!(post(&b, "/", &[], batch(n)).await.status, 200);
        }
        let (ra, rb) = tokio::join!(a.roll_now(), b.roll_now());
        let reports: Vec<_> = ra.unwrap().into_iter().chain(rb.unwrap()).collect();
        assert_eq!(
            reports.iter().map(|r| r.duplicates).sum::<usize>(),
            3,
            "{reports:?}"
        );
        assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 9 * 50);
        a.shutdown().await.unwrap();
        b.shutdown().await.unwrap();
    });
    assert_eq!(
        duckdb_received(&moto, "rtlogs/edgeone"),
        json!({"rows": 450, "ids": 450, "bytes": bytes_of(0..9, 50)})
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Edge function logs (`LogType function`), typed from the log fields spec: the documentation's
/// example record, its millisecond timestamp placing it in its hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_function_records_are_typed_by_the_log_fields_spec() {
    let dir = temp_dir("receive-function");
    let rx = receiver(&dir, "staging", |c| c.kind = Kind::Function).await;
    let example = r#"{"WallTime": 125221, "RequestID": 8254903099116445190, "EventTimestamp": 1727251229247,
        "EdgeFunctionName": "testtracelog-zone-2rdnikn6zjck-251255070", "Outcome": "ok", "RequestHost": "www.example.com",
        "Exceptions": [], "Logs": [{"level": "INFO", "message": "test log from function", "timestamp": 1727251229247}], "CpuTime": 547}"#;
    let answer = post(&rx, "/", &[], example.as_bytes().to_vec()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let bad = post(
        &rx,
        "/",
        &[],
        br#"{"RequestID": "1", "CpuTime": "lots"}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"].clone()),
        (400, json!("bad_member"))
    );
    rx.shutdown().await.unwrap();
    let hour = dir.join("dataset/kind=function/zone=zone-rt/date=2024-09-25/hour=08");
    let files = crate::support::files_in(&hour);
    assert_eq!(
        files.len(),
        1,
        "{:?}",
        crate::support::files_in(&dir.join("dataset"))
    );
    let records = crate::support::lines_of(&files[0]);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["RequestID"], json!("8254903099116445190"));
    assert_eq!(record["CpuTime"], json!(547));
    assert_eq!(record["Outcome"], json!("ok"));
    let logs: Value = serde_json::from_str(record["Logs"].as_str().unwrap()).unwrap();
    assert_eq!(logs[0]["message"], json!("test log from function"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `head` then `chunks` on a raw connection, each after the previous is sent; the
/// status of the answer (None: no answer before the connection closed).
async fn raw_push(
    addr: std::net::SocketAddr,
    head: &str,
    chunks: Vec<Vec<u8>>,
    gate: Option<tokio::sync::oneshot::Receiver<()>>,
) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.write_all(head.as_bytes()).await.ok()?;
    for chunk in chunks {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
    }
    if let Some(gate) = gate {
        // Hold the connection open, the body unfinished, until the answer comes.
        let mut answer = Vec::new();
        let read = stream.read_to_end(&mut answer);
        tokio::select! {
            _ = read => {}
            _ = gate => {}
        }
        return std::str::from_utf8(&answer)
            .ok()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok();
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    std::str::from_utf8(&answer)
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_body_times_out_and_an_endless_chunked_one_is_cut_at_the_limit() {
    let dir = temp_dir("receive-hostile");
    let rx = receiver(&dir, "staging", |c| {
        c.limits.body = 64 << 10;
        c.limits.body_time = Duration::from_millis(300);
    })
    .await;
    // Announces 1000 bytes, sends 10 and stalls: 408 once the body time is up.
    let (_keep, gate) = tokio::sync::oneshot::channel::<()>();
    let head = format!(
        "POST /logs HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\n\r\n",
        rx.addr()
    );
    let status = raw_push(rx.addr(), &head, vec![b"[{\"Reque".to_vec()], Some(gate)).await;
    assert_eq!(status, Some(408));
    // Chunked, no length announced, past the limit: 413, nothing staged.
    let head = format!("POST /logs HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", rx.addr());
    let chunk = {
        let data = vec![b' '; 16 << 10];
        let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
        chunk.extend_from_slice(&data);
        chunk.extend_from_slice(b"\r\n");
        chunk
    };
    let status = raw_push(rx.addr(), &head, vec![chunk; 8], None).await;
    assert_eq!(status, Some(413));
    assert_eq!(rx.metrics().rejects("body_timeout"), 1);
    assert_eq!(rx.metrics().rejects("too_large"), 1);
    assert_eq!(rx.staging().bytes(), 0);
    rx.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// HTTPS from PEM files (a certificate for 127.0.0.1 signed by a CA, made by openssl): a push
/// over TLS is stored; plain HTTP to the same port gets no answer; a key that is no PEM stops
/// the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_from_pem_files() {
    // (`openssl version`: it has no `--version`.)
    let openssl = "openssl";
    let runs = std::process::Command::new(openssl).arg("version").output();
    if !runs.is_ok_and(|o| o.status.success()) {
        tc_test_support::tools::skip(openssl);
        return;
    }
    let dir = temp_dir("receive-tls");
    let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    // A CA, and a certificate for 127.0.0.1 it signs (webpki takes no CA as the server's).
    let steps = [
        format!(
            "req -x509 {ec} -days 1 -subj /CN=teo-test-ca -keyout {} -out {}",
            file("ca.key"),
            file("ca.pem")
        ),
        format!(
            "req {ec} -subj /CN=127.0.0.1 -keyout {} -out {}",
            file("key.pem"),
            file("csr")
        ),
        format!(
            "x509 -req -in {} -CA {} -CAkey {} -CAcreateserial -days 1 -extfile {} -out {}",
            file("csr"),
            file("ca.pem"),
            file("ca.key"),
            file("ext"),
            file("cert.pem")
        ),
    ];
    for step in steps {
        let made = std::process::Command::new(openssl)
            .args(step.split(' '))
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{step}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let rx = receiver(&dir, "staging", |c| {
        c.tls = Some((cert.clone(), key.clone()))
    })
    .await;
    let root = reqwest::Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap();
    let response = client
        .post(format!("https://{}/logs", rx.addr()))
        .body(serde_json::to_vec(&[l7("tls-1", 1)]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let plain = reqwest::Client::new()
        .post(format!("http://{}/logs", rx.addr()))
        .body("[]")
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    rx.roll_now().await.unwrap();
    assert_eq!(dataset_records(&dir).len(), 1);
    rx.shutdown().await.unwrap();
    std::fs::write(&key, "not a key").unwrap();
    let mut config = ReceiverConfig::new(dir.join("staging-2"));
    config.tls = Some((cert.clone(), key.clone()));
    let dataset = Dataset::local(dir.join("dataset"), Format::Ndjson).unwrap();
    let error = Receiver::start(config, dataset).await.unwrap_err();
    assert!(error.to_string().contains("key.pem"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The same batch pushed eight times at once (a pusher retrying while the first is being
/// stored) is staged once, counted once, written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_pushed_at_once_many_times_is_staged_once() {
    let dir = temp_dir("receive-race");
    let rx = receiver(&dir, "staging", |c| c.concurrent_pushes = 8).await;
    let body = serde_json::to_vec(
        &(0..200)
            .map(|i| l7(&format!("race-{i}"), 2))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let pushes = (0..8).map(|_| post(&rx, "/", &[], body.clone()));
    let answers = futures_util::future::join_all(pushes).await;
    assert!(answers.iter().all(|a| a.status == 200));
    let staged = rx.staging().bytes();
    let file = crate::support::files_in(&dir.join("staging/batches/l7"));
    assert_eq!(file.len(), 1);
    assert_eq!(staged, std::fs::metadata(&file[0]).unwrap().len());
    let reports = rx.roll_now().await.unwrap();
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 200);
    assert_eq!(rx.staging().bytes(), 0);
    assert!(dataset_records(&dir).values().all(|(n, _)| *n == 1));
    rx.shutdown().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Claims made ahead of a roll into an object store: made before the roll, for every batch
/// staged; a roller dropped after them (killed before its roll, its manifest left) is finished
/// by the next one on the same staging, which finds the claims its own and writes each record
/// once; batches another staging claimed ahead are duplicates there. DuckDB reads each once.
#[test]
fn claims_made_ahead_survive_a_kill_and_a_shared_batch_lands_once() {
    use teo_logs::receive::roll::claim_path;
    use teo_logs::receive::stage::{BatchRef, Encoding};
    use teo_logs::receive::{Roller, Staging};

    let Some(moto) = crate::support::Moto::start() else {
        return;
    };
    moto.create_bucket("ahead");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = temp_dir("receive-ahead");
    let options = moto.store_options();
    let dest = || {
        teo_logs::destination::Destination::parse(
            "s3://ahead/logs",
            &options,
            runtime.handle().clone(),
        )
        .unwrap()
    };
    let roller = |staging: &Arc<Staging>| {
        let dataset = Dataset::new(dest(), Format::Parquet).unwrap();
        Roller::new(staging.clone(), dataset, Some("zone-rt".into()))
    };
    let id = |n: u64| format!("{n:064x}");
    let stage = |staging: &Staging, batches: std::ops::Range<u64>| {
        for n in batches {
            let lines: String = (0..50)
                .map(|i| {
                    let record = json!({"RequestID": format!("ahead-{n}-{i}"), "RequestTime": "2024-08-12T10:00:00Z", "EdgeResponseBytes": n * 1000 + i});
                    format!("{record}\n")
                })
                .collect();
            let batch = BatchRef {
                kind: "l7".into(),
                id: id(n),
            };
            let size = lines.len() as u64;
            staging
                .stage(&batch, Encoding::Lines, lines.as_bytes(), size)
                .unwrap();
        }
    };

    {
        let staging = Arc::new(Staging::open(&dir.join("a")).unwrap());
        stage(&staging, 0..20);
        let a = roller(&staging);
        assert!(a.claims_are_requests());
        assert_eq!(
            a.claim_ahead(u64::MAX, 21).unwrap(),
            0,
            "fewer than asked for"
        );
        assert_eq!(a.claim_ahead(u64::MAX, 16).unwrap(), 20);
        assert_eq!(a.claim_ahead(u64::MAX, 1).unwrap(), 0, "all claimed");
        let store = dest();
        for n in 0..20 {
            assert!(store.size(&claim_path(&id(n))).unwrap().is_some(), "{n}");
        }
        // Dropped here: killed after its claims, before its roll.
    }

    // Another receiver's staging holds 10..30, of which 10..20 are a's.
    let staging = Arc::new(Staging::open(&dir.join("b")).unwrap());
    stage(&staging, 10..30);
    let b = roller(&staging);
    assert_eq!(b.claim_ahead(u64::MAX, 1).unwrap(), 20);
    let report = b.roll(u64::MAX).unwrap().unwrap();
    assert_eq!((report.batches, report.duplicates), (10, 10), "{report:?}");
    assert_eq!(report.records, 500);
    assert!(b.roll(u64::MAX).unwrap().is_none(), "nothing left staged");

    let staging = Arc::new(Staging::open(&dir.join("a")).unwrap());
    let reports = roller(&staging).recover().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!((reports[0].batches, reports[0].duplicates), (20, 0));
    assert_eq!(reports[0].records, 1000);

    assert_eq!(
        duckdb_received(&moto, "ahead/logs"),
        json!({"rows": 1500, "ids": 1500, "bytes": bytes_of(0..30, 50)})
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A roll that comes due takes the roll claimed ahead and fills it up to its size with batches
/// the claims have not reached; claims ahead stop at a roll's size.
#[test]
fn a_roll_takes_what_was_claimed_ahead_and_fills_up_to_its_size() {
    use teo_logs::receive::stage::{BatchRef, Encoding};
    use teo_logs::receive::{Roller, Staging};

    let dir = temp_dir("receive-ahead-size");
    let staging = Arc::new(Staging::open(&dir.join("staging")).unwrap());
    for n in 0..20u64 {
        let lines: String = (0..50)
            .map(|i| format!("{}\n", json!({"RequestID": format!("fill-{n}-{i}"), "RequestTime": "2024-08-12T10:00:00Z"})))
            .collect();
        let batch = BatchRef {
            kind: "l7".into(),
            id: format!("{n:064x}"),
        };
        // Each batch 1,000 bytes as pushed.
        staging
            .stage(&batch, Encoding::Lines, lines.as_bytes(), 1000)
            .unwrap();
    }
    let dataset = Dataset::local(dir.join("dataset"), Format::Ndjson).unwrap();
    let roller = Roller::new(staging, dataset, Some("zone-rt".into()));
    assert_eq!(roller.claim_ahead(5000, 1).unwrap(), 5);
    assert_eq!(roller.claim_ahead(5000, 1).unwrap(), 0, "the roll is full");
    let first = roller.roll(10_000).unwrap().unwrap();
    assert_eq!((first.batches, first.records), (10, 500), "{first:?}");
    assert_eq!(roller.claim_ahead(5000, 1).unwrap(), 5, "a new roll");
    let second = roller.roll(u64::MAX).unwrap().unwrap();
    assert_eq!((second.batches, second.records), (10, 500), "{second:?}");
    assert!(roller.roll(u64::MAX).unwrap().is_none());
    let records = dataset_records(&dir);
    assert_eq!(records.len(), 1000);
    assert!(records.values().all(|(n, _)| *n == 1), "each once");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A roll reads batches in the order they arrived, not of their ids: pushes that come in time
/// order over more hours than a roll keeps files open for give one file per hour and part.
#[test]
fn a_roll_takes_batches_in_the_order_they_arrived() {
    use teo_logs::receive::stage::{BatchRef, Encoding};
    use teo_logs::receive::{Roller, Staging};

    let dir = temp_dir("receive-arrival");
    let staging = Arc::new(Staging::open(&dir.join("staging")).unwrap());
    // 12 batches, two per hour over 6 hours (more than the 4 files a roll keeps open), their
    // ids in another order than their arrival.
    for n in 0..12u64 {
        let lines: String = (0..10)
            .map(|i| format!("{}\n", json!({"RequestID": format!("arrival-{n}-{i}"), "RequestTime": format!("2024-08-12T{:02}:00:00Z", n / 2)})))
            .collect();
        let batch = BatchRef {
            kind: "l7".into(),
            id: format!("{:064x}", (n * 7) % 12),
        };
        staging
            .stage(&batch, Encoding::Lines, lines.as_bytes(), 100)
            .unwrap();
    }
    let dataset = Dataset::local(dir.join("dataset"), Format::Ndjson).unwrap();
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let report = Roller::new(staging, dataset, Some("zone-rt".into()))
        .roll(u64::MAX)
        .unwrap()
        .unwrap();
    assert_eq!(report.records, 120);
    // Each part holds whole hours but where its share of the batches starts mid-hour.
    assert!(
        report.files.len() < 6 + parts,
        "{} files for 6 hours in {parts} parts: {:?}",
        report.files.len(),
        report.files
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
