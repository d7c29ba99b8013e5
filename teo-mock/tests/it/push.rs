//! Real-time log delivery (issue 21, item 6): tasks created through the SDK make the mock push
//! to receivers on 127.0.0.1 (tc-test-support's scripted server); every body shape, header,
//! signature, resend and fault is read back by the test and matched against the mock's
//! ledger. Nothing sleeps: the tests await the ledger's notifications (with a timeout as a
//! safety net).

use std::io::Read as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tc_test_support::{Answer, Request, TestServer};
use teo_client::{Client, Credentials};
use teo_mock::push::auth::auth_key;
use teo_mock::push::PushLedger;
use teo_mock::{MockConfig, MockServer};

const FIELDS: [&str; 6] = [
    "RequestTime",
    "RequestID",
    "RequestHost",
    "EdgeResponseStatusCode",
    "RequestUA",
    "RequestUrl",
];

/// A mock that pushes fast, in batches of 10, `total` records per task, resending quickly.
fn config(total: u64) -> MockConfig {
    MockConfig::default()
        .rate_limit(None)
        .push_rate(100_000)
        .push_batch(10)
        .push_total(Some(total))
        .push_backoff(Duration::from_millis(10), Duration::from_secs(5))
}

async fn start(config: MockConfig) -> (MockServer, Client) {
    let mock = MockServer::start(config).await.expect("mock starts");
    let client = Client::builder(Credentials::new(
        teo_mock::server::DEFAULT_SECRET_ID,
        teo_mock::server::DEFAULT_SECRET_KEY,
    ))
    .endpoint(mock.url())
    .build()
    .expect("client");
    (mock, client)
}

/// A custom_endpoint task of `zone-push` for `url`, with `extra` members merged in.
fn task(url: &str, extra: Value) -> Value {
    let mut request = json!({
        "ZoneId": "zone-push",
        "TaskName": "push-test",
        "TaskType": "custom_endpoint",
        "LogType": "l7-access-logs",
        "Area": "mainland",
        "EntityList": ["www.push.example"],
        "Fields": FIELDS,
        "CustomEndpoint": {"Url": url},
    });
    for (name, value) in extra.as_object().expect("an object") {
        request[name] = value.clone();
    }
    request
}

async fn create(client: &Client, request: Value) -> String {
    let answer = client
        .call("CreateRealtimeLogDeliveryTask", request)
        .await
        .expect("CreateRealtimeLogDeliveryTask answers");
    answer["TaskId"].as_str().expect("a TaskId").to_owned()
}

/// The ledger once `until` holds (60 s at most).
async fn wait(mock: &MockServer, task: &str, until: impl Fn(&PushLedger) -> bool) -> PushLedger {
    match tokio::time::timeout(Duration::from_secs(60), mock.push_wait(task, until)).await {
        Ok(Some(ledger)) => ledger,
        Ok(None) => panic!("no task {task}"),
        Err(_) => panic!("timed out; ledger: {:?}", mock.push_ledger(task)),
    }
}

async fn acknowledged(mock: &MockServer, task: &str, records: u64) -> PushLedger {
    let ledger = wait(mock, task, |l| l.acknowledged >= records && l.finished).await;
    assert_eq!(ledger.acknowledged, records);
    assert_eq!(ledger.records.len() as u64, records);
    ledger
}

fn body(request: &Request) -> Vec<u8> {
    match request.header("content-encoding") {
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(request.body.as_slice())
                .read_to_end(&mut out)
                .expect("gzip body");
            out
        }
        _ => request.body.clone(),
    }
}

/// A value as the text formats write it.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The ledger's records as rows of texts in `FIELDS` order.
fn rows(ledger: &PushLedger) -> Vec<Vec<String>> {
    ledger
        .records
        .iter()
        .map(|r| FIELDS.iter().map(|f| text(&r[*f])).collect())
        .collect()
}

/// Minimal CSV: `delimiter`-separated, `"` quoting with doubled quotes, records on lines.
fn parse_csv(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) if c == delimiter => row.push(std::mem::take(&mut field)),
            (false, c) => field.push(c),
        }
    }
    row.push(field);
    rows.push(row);
    rows
}

/// Every body shape, parsed back, gives exactly the ledger's records; the first request of
/// each task is its test object, and members come in the order of `Fields`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_shape_gives_back_the_ledger() {
    let receiver = TestServer::responding(|_| Answer::status(200));
    let (mock, client) = start(config(25)).await;
    let shapes = [
        ("none", Value::Null),
        ("json", json!({"FormatType": "json"})),
        (
            "json-array",
            json!({"FormatType": "json", "BatchPrefix": "[", "BatchSuffix": "]",
                   "RecordDelimiter": ",", "FieldDelimiter": ","}),
        ),
        (
            "csv-comma",
            json!({"FormatType": "csv", "FieldDelimiter": ","}),
        ),
        (
            "csv-tab",
            json!({"FormatType": "csv", "FieldDelimiter": "\t"}),
        ),
        (
            "csv-semicolon",
            json!({"FormatType": "csv", "FieldDelimiter": ";"}),
        ),
        (
            "template",
            json!({"FormatType": "template", "BatchPrefix": "<<", "BatchSuffix": ">>",
                   "RecordTemplate": FIELDS.map(|f| format!("${{{f}}}")).join("\u{1f}")}),
        ),
    ];
    let mut tasks = Vec::new();
    for (name, format) in &shapes {
        let url = format!("{}/{name}", receiver.url());
        let extra = if format.is_null() {
            json!({})
        } else {
            json!({"LogFormat": format})
        };
        tasks.push(create(&client, task(&url, extra)).await);
    }
    for ((name, _), id) in shapes.iter().zip(&tasks) {
        let ledger = acknowledged(&mock, id, 25).await;
        assert_eq!(ledger.batches, 3);
        let requests: Vec<Request> = receiver
            .requests()
            .into_iter()
            .filter(|r| r.path() == format!("/{name}"))
            .collect();
        assert_eq!(requests.len(), 4, "{name}: the test object and 3 batches");
        // The test object: one JSON object of the task's kind, its fields only.
        let test = requests[0].json();
        assert!(
            test["RequestID"].as_str().unwrap().starts_with("test-"),
            "{test}"
        );
        assert_eq!(test.as_object().unwrap().len(), FIELDS.len());
        assert_eq!(ledger.test_objects, vec![test]);
        let mut parsed: Vec<Vec<String>> = Vec::new();
        for request in &requests[1..] {
            let text = String::from_utf8(body(request)).unwrap();
            let objects = |values: Vec<Value>| -> Vec<Vec<String>> {
                values
                    .iter()
                    .map(|r| FIELDS.iter().map(|f| self::text(&r[*f])).collect())
                    .collect()
            };
            parsed.extend(match *name {
                "none" | "json-array" => {
                    // Members in the order of Fields.
                    let first = text.find('{').unwrap();
                    let positions: Vec<usize> = FIELDS
                        .iter()
                        .map(|f| first + text[first..].find(&format!("\"{f}\"")).unwrap())
                        .collect();
                    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{name}: {text}");
                    objects(serde_json::from_str(&text).expect("a JSON array"))
                }
                "json" => objects(
                    text.lines()
                        .map(|line| serde_json::from_str(line).expect("a JSON line"))
                        .collect(),
                ),
                "template" => text
                    .strip_prefix("<<")
                    .and_then(|t| t.strip_suffix(">>"))
                    .expect("batch prefix and suffix")
                    .split('\n')
                    .map(|line| line.split('\u{1f}').map(str::to_owned).collect())
                    .collect(),
                csv => parse_csv(
                    &text,
                    match csv {
                        "csv-tab" => '\t',
                        "csv-semicolon" => ';',
                        _ => ',',
                    },
                ),
            });
        }
        assert_eq!(parsed, rows(&ledger), "{name}");
        let ids: std::collections::HashSet<&str> = ledger
            .records
            .iter()
            .map(|r| r["RequestID"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 25, "{name}: unique RequestIDs");
        assert!(ledger
            .records
            .iter()
            .all(|r| r.as_object().unwrap().len() == FIELDS.len()
                && r["RequestHost"] == "www.push.example"));
    }
    mock.shutdown().await;
}

/// gzip with Content-Encoding, the task's headers over the defaults with `${batchSize}`, and
/// the auth_key signature (fresh in each request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_headers_and_auth_key() {
    let receiver = TestServer::responding(|_| Answer::status(204));
    let (mock, client) = start(config(25)).await;
    let url = format!("{}/access_log/post", receiver.url());
    let endpoint = json!({"CustomEndpoint": {
        "Url": url, "CompressType": "gzip", "AccessId": "my-id", "AccessKey": "YourKey",
        "Headers": [{"Name": "X-Batch", "Value": "n=${batchSize}"},
                    {"Name": "User-Agent", "Value": "edgeone-like"}]}});
    let id = create(&client, task(&url, endpoint)).await;
    let ledger = acknowledged(&mock, &id, 25).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut keys = std::collections::HashSet::new();
    let mut sizes = Vec::new();
    for request in &requests {
        assert_eq!(request.path(), "/access_log/post");
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("user-agent"), Some("edgeone-like"));
        let query: Vec<(String, String)> =
            form_urlencoded::parse(request.query().unwrap().as_bytes())
                .into_owned()
                .collect();
        assert_eq!(query[0], ("access_key".into(), "my-id".into()));
        assert_eq!(query[1].0, "auth_key");
        let auth = &query[1].1;
        let mut parts = auth.splitn(3, '-');
        let timestamp: i64 = parts.next().unwrap().parse().unwrap();
        let rand: u64 = parts.next().unwrap().parse().unwrap();
        assert!((now - timestamp).abs() < 300, "{auth}");
        assert_eq!(
            *auth,
            auth_key("/access_log/post", timestamp, rand, "YourKey")
        );
        // Checked independently of the mock's code too.
        let md5 = format!(
            "{:x}",
            <md5::Md5 as md5::Digest>::digest(
                format!("/access_log/post-{timestamp}-{rand}-YourKey").as_bytes()
            )
        );
        assert!(auth.ends_with(&md5));
        assert!(keys.insert(auth.clone()), "auth_key reused: {auth}");
        let body = body(request);
        let n = request
            .header("x-batch")
            .unwrap()
            .strip_prefix("n=")
            .unwrap();
        match serde_json::from_slice::<Value>(&body).unwrap() {
            Value::Array(records) => {
                assert_eq!(n, records.len().to_string());
                sizes.push(records.len());
            }
            Value::Object(_) => assert_eq!(n, "1", "the test object"),
            other => panic!("{other}"),
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(ledger.posts, 4);
    assert_eq!(ledger.resends, 0);
    // The documented vector.
    assert_eq!(
        auth_key("/access_log/post", 1_571_587_200, 0, "YourKey"),
        "1571587200-0-d8079ca27f0db9157de64061e7264b8e"
    );
    mock.shutdown().await;
}

/// `Sample` pushes that permille of the traffic; an empty `Fields` pushes every member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_and_all_fields() {
    let receiver = TestServer::responding(|_| Answer::status(200));
    let (mock, client) = start(config(40)).await;
    let id = create(
        &client,
        task(receiver.url(), json!({"Sample": 250, "Fields": []})),
    )
    .await;
    let ledger = acknowledged(&mock, &id, 40).await;
    assert_eq!(ledger.produced, 160);
    let first = ledger.records[0].as_object().unwrap();
    assert!(first.len() >= 30, "every L7 member: {first:?}");
    mock.shutdown().await;
}

/// A 500 and a dropped connection: the same bytes are sent again until a 2xx, with a fresh
/// auth_key; a `Retry-After` is waited for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resends_after_500_dropped_connection_and_retry_after() {
    // These first, then 200s.
    let receiver = TestServer::responding(|_| Answer::status(200));
    for answer in [
        Answer::status(200),
        Answer::status(500),
        Answer::status(200).ending_early(100, b"cut".to_vec()),
        Answer::status(503).header("Retry-After", "1"),
    ] {
        receiver.push(answer);
    }
    let (mock, client) = start(config(10)).await;
    let endpoint =
        json!({"CustomEndpoint": {"Url": receiver.url(), "AccessId": "a", "AccessKey": "k"}});
    let started = Instant::now();
    let id = create(&client, task(receiver.url(), endpoint)).await;
    let ledger = acknowledged(&mock, &id, 10).await;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 waited"
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 5);
    for request in &requests[2..] {
        assert_eq!(request.body, requests[1].body, "the very same bytes");
    }
    let keys: std::collections::HashSet<_> = requests.iter().map(|r| r.query().unwrap()).collect();
    assert_eq!(keys.len(), 5, "a fresh auth_key each time");
    assert_eq!(ledger.statuses.get(&500), Some(&1));
    assert_eq!(ledger.statuses.get(&503), Some(&1));
    assert_eq!(ledger.failures, 1);
    assert_eq!(ledger.resends, 3);
    assert_eq!(ledger.posts, 5);
    mock.shutdown().await;
}

/// The faults, each on one batch: a lost 200 (resent, fresh auth_key), a duplicate (sent
/// twice, fresh auth_key), a replay (the very same request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_200_duplicate_and_replay() {
    for fault in ["lost", "duplicate", "replay"] {
        let receiver = TestServer::responding(|_| Answer::status(200));
        let (mock, client) = start(config(20)).await;
        // On the second batch.
        match fault {
            "lost" => mock.push_faults().lose_ok(1),
            "duplicate" => mock.push_faults().duplicate(1),
            _ => mock.push_faults().replay(1),
        }
        .after(1);
        let endpoint =
            json!({"CustomEndpoint": {"Url": receiver.url(), "AccessId": "a", "AccessKey": "k"}});
        let id = create(&client, task(receiver.url(), endpoint)).await;
        let ledger = acknowledged(&mock, &id, 20).await;
        let requests = receiver.requests();
        // The test object, the first batch, the second batch twice.
        assert_eq!(requests.len(), 4, "{fault}");
        assert_eq!(requests[2].body, requests[3].body, "{fault}");
        assert_ne!(requests[1].body, requests[2].body, "{fault}");
        let same_key = requests[2].query() == requests[3].query();
        assert_eq!(same_key, fault == "replay", "{fault}");
        assert_eq!(ledger.resends, 1, "{fault}");
        assert_eq!(ledger.posts, 4, "{fault}");
        assert_eq!(ledger.batches, 2, "{fault}");
        // Counted once in the ledger.
        let batch: Vec<Value> = serde_json::from_slice(&requests[2].body).unwrap();
        assert_eq!(ledger.records[10..], batch[..], "{fault}");
        mock.shutdown().await;
    }
}

/// Extra receivers: batches go round-robin to the task's URL and the others, and a resend
/// (here after a lost 200 on the second batch) goes to the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alternating_receivers() {
    let a = TestServer::responding(|_| Answer::status(200));
    let b = TestServer::responding(|_| Answer::status(200));
    let (mock, client) = start(config(40).push_target(b.url())).await;
    mock.push_faults().lose_ok(1).after(1);
    let id = create(&client, task(a.url(), json!({}))).await;
    let ledger = acknowledged(&mock, &id, 40).await;
    let (a, b) = (a.requests(), b.requests());
    // a: the test object, batch 1, batch 2 again, batch 4; b: batch 2, batch 3.
    assert_eq!(
        (a.len(), b.len()),
        (4, 2),
        "the test object to the task's URL, then turns"
    );
    assert_eq!(
        a[2].body, b[0].body,
        "the resend went to the other receiver"
    );
    let mut pushed: Vec<Value> = Vec::new();
    for request in a[1..].iter().chain(&b) {
        pushed.extend(serde_json::from_slice::<Vec<Value>>(&request.body).unwrap());
    }
    let key = |r: &Value| r["RequestID"].as_str().unwrap().to_owned();
    let mut pushed: Vec<String> = pushed.iter().map(key).collect();
    pushed.sort();
    pushed.dedup();
    let mut expected: Vec<String> = ledger.records.iter().map(key).collect();
    expected.sort();
    assert_eq!(pushed, expected);
    assert_eq!(ledger.resends, 1);
    mock.shutdown().await;
}

/// Describe lists the tasks with their members; Modify changes them and posts a new test
/// object; Delete stops the pusher.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_modify_delete() {
    let receiver = TestServer::responding(|_| Answer::status(200));
    let (mock, client) = start(
        MockConfig::default()
            .rate_limit(None)
            .push_rate(2_000)
            .push_batch(10),
    )
    .await;
    let one = create(&client, task(receiver.url(), json!({"TaskName": "one"}))).await;
    let two = create(
        &client,
        task(
            receiver.url(),
            json!({"TaskName": "two", "LogType": "application",
            "EntityList": ["sid-1"], "Fields": ["ServiceID", "SessionID", "LogTimeStamp"]}),
        ),
    )
    .await;
    assert_eq!(mock.push_tasks(), [one.clone(), two.clone()]);
    let listed = client
        .call(
            "DescribeRealtimeLogDeliveryTasks",
            json!({"ZoneId": "zone-push"}),
        )
        .await
        .unwrap();
    assert_eq!(listed["TotalCount"], 2);
    let first = &listed["RealtimeLogDeliveryTasks"][0];
    assert_eq!(first["TaskId"], one.as_str());
    assert_eq!(first["TaskName"], "one");
    assert_eq!(first["TaskType"], "custom_endpoint");
    assert_eq!(first["Fields"], json!(FIELDS));
    assert_eq!(first["CustomEndpoint"]["Url"], receiver.url());
    assert_eq!(first["DeliveryStatus"], "enabled");
    let filtered = client
        .call(
            "DescribeRealtimeLogDeliveryTasks",
            json!({"ZoneId": "zone-push", "Filters": [{"Name": "task-id", "Values": [two]}]}),
        )
        .await
        .unwrap();
    assert_eq!(filtered["TotalCount"], 1);
    assert_eq!(
        filtered["RealtimeLogDeliveryTasks"][0]["LogType"],
        "application"
    );
    let l4 = wait(&mock, &two, |l| l.acknowledged >= 10).await;
    assert_eq!(l4.records[0]["ServiceID"], "sid-1");

    // Modify: new fields and format, a new test object, then records in the new shape.
    wait(&mock, &one, |l| l.acknowledged >= 10).await;
    client
        .call(
            "ModifyRealtimeLogDeliveryTask",
            json!({"ZoneId": "zone-push", "TaskId": one, "Fields": ["RequestID", "RequestHost"],
                   "LogFormat": {"FormatType": "csv", "FieldDelimiter": ";"}}),
        )
        .await
        .unwrap();
    let before = mock.push_ledger(&one).unwrap().acknowledged;
    let after = wait(&mock, &one, |l| {
        l.test_objects.len() == 2 && l.acknowledged >= before + 20
    })
    .await;
    assert_eq!(
        after.test_objects[1]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["RequestHost", "RequestID"]
    );
    let last = after.records.last().unwrap();
    assert_eq!(last.as_object().unwrap().len(), 2);
    assert_eq!(after.starts, 2);
    assert!(
        !after.finished,
        "the first pusher's end does not end the second"
    );
    let listed = client
        .call(
            "DescribeRealtimeLogDeliveryTasks",
            json!({"ZoneId": "zone-push", "Filters": [{"Name": "task-id", "Values": [one]}]}),
        )
        .await
        .unwrap();
    assert_eq!(
        listed["RealtimeLogDeliveryTasks"][0]["LogFormat"]["FormatType"],
        "csv"
    );

    // Delete: the pusher ends; what the receiver got is what the ledger says was sent.
    for id in [&one, &two] {
        client
            .call(
                "DeleteRealtimeLogDeliveryTask",
                json!({"ZoneId": "zone-push", "TaskId": id}),
            )
            .await
            .unwrap();
    }
    let one_done = wait(&mock, &one, |l| l.finished).await;
    let two_done = wait(&mock, &two, |l| l.finished).await;
    assert!(mock.push_tasks().is_empty());
    // Every request sent got its answer before the pusher ended.
    receiver.wait_for_requests((one_done.posts + two_done.posts) as usize);
    assert!(receiver.request_count() as u64 <= one_done.posts + two_done.posts + 2);
    let listed = client
        .call(
            "DescribeRealtimeLogDeliveryTasks",
            json!({"ZoneId": "zone-push"}),
        )
        .await
        .unwrap();
    let ids: Vec<&Value> = listed["RealtimeLogDeliveryTasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["TaskId"])
        .collect();
    assert!(
        !ids.contains(&&json!(one)) && !ids.contains(&&json!(two)),
        "{listed}"
    );
    mock.shutdown().await;
}

/// Edge function and web-attack records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_and_attack_records() {
    let receiver = TestServer::responding(|_| Answer::status(200));
    let (mock, client) = start(config(10)).await;
    let function = create(
        &client,
        task(
            receiver.url(),
            json!({"LogType": "function", "Fields": [],
            "EntityList": ["fn.push.example"]}),
        ),
    )
    .await;
    let attack = create(
        &client,
        task(receiver.url(), json!({"LogType": "web-attack", "Fields": ["RequestID", "SecurityAction", "SecurityModule"]})),
    )
    .await;
    let ledger = acknowledged(&mock, &function, 10).await;
    for record in &ledger.records {
        assert_eq!(record["RequestHost"], "fn.push.example");
        assert!(record["RequestID"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit()));
        assert!(record["EventTimestamp"].as_i64().unwrap() > 1_600_000_000_000);
        assert!(record["Logs"].is_array() && record["Exceptions"].is_array());
        assert!(["ok", "exception"].contains(&record["Outcome"].as_str().unwrap()));
        assert!(record["CpuTime"].as_i64().unwrap() <= record["WallTime"].as_i64().unwrap());
    }
    let ledger = acknowledged(&mock, &attack, 10).await;
    assert!(ledger.records.iter().all(|r| r["SecurityAction"] != "-"));
    mock.shutdown().await;
}

/// An s3 task puts JSON Lines objects (gzip) into the bucket under its prefix, time-ordered;
/// while the bucket is missing the puts fail and are retried, none lost. Against moto, when
/// the Python engines are there (else skipped, see tc-test-support's `tools`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_objects_into_a_local_bucket() {
    use object_store::ObjectStore as _;

    let Some(moto) = tokio::task::spawn_blocking(crate::support::Moto::start)
        .await
        .unwrap()
    else {
        return;
    };
    let (mock, client) = start(config(25)).await;
    let s3 = json!({"Endpoint": moto.endpoint(), "Region": "us-east-1",
        "Bucket": "edgeone/logs/EO", "AccessId": "AKIDTEST", "AccessKey": "secret",
        "CompressType": "gzip"});
    let mut request = task("", json!({"TaskType": "s3", "S3": s3}));
    request.as_object_mut().unwrap().remove("CustomEndpoint");
    let id = create(&client, request).await;
    // No bucket yet: the first put fails, and is retried once the bucket is there.
    wait(&mock, &id, |l| l.failures >= 1).await;
    moto.create_bucket("edgeone");
    let ledger = acknowledged(&mock, &id, 25).await;
    assert!(ledger.test_objects.is_empty());
    assert!(ledger.resends >= 1);
    let store = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(moto.endpoint())
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_bucket_name("edgeone")
        .with_access_key_id("AKIDTEST")
        .with_secret_access_key("secret")
        .build()
        .unwrap();
    let prefix = object_store::path::Path::from("logs/EO");
    let mut names = collect_list(&store, &prefix).await;
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let mut records = Vec::new();
    for name in &names {
        assert!(name.ends_with(".log.gz") && name.contains(&id), "{name}");
        let bytes = store
            .get(&name.as_str().into())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        records.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    assert_eq!(records, ledger.records);
    mock.shutdown().await;
}

/// The names of the objects under `prefix`.
async fn collect_list(
    store: &dyn object_store::ObjectStore,
    prefix: &object_store::path::Path,
) -> Vec<String> {
    use futures_util::StreamExt as _;
    let mut stream = store.list(Some(prefix));
    let mut names = Vec::new();
    while let Some(meta) = stream.next().await {
        names.push(meta.unwrap().location.to_string());
    }
    names
}

/// A receiver that is down: the batch is retried (connection refused) and nothing more is
/// drawn meanwhile (backpressure: one pending batch); once a receiver listens on that port,
/// everything arrives, none lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_then_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mock, client) = start(config(30)).await;
    let url = format!("http://127.0.0.1:{port}/in");
    let id = create(&client, task(&url, json!({}))).await;
    let down = wait(&mock, &id, |l| l.failures >= 3).await;
    assert_eq!(
        down.produced, 0,
        "nothing drawn while the test object is not through"
    );
    let receiver = TestServer::bind(&format!("127.0.0.1:{port}"), |_| Answer::status(200)).unwrap();
    let ledger = acknowledged(&mock, &id, 30).await;
    assert_eq!(ledger.produced, 30);
    let requests = receiver.requests();
    let mut pushed = 0;
    for request in &requests[1..] {
        pushed += serde_json::from_slice::<Vec<Value>>(&request.body)
            .unwrap()
            .len();
    }
    assert_eq!(pushed, 30);
    assert!(ledger.last_error.unwrap().contains(&port.to_string()));
    mock.shutdown().await;
}

/// While a receiver answers 503, the mock holds one batch and draws no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backpressure_holds_one_batch() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let down = std::sync::Arc::new(AtomicBool::new(true));
    let is_down = std::sync::Arc::clone(&down);
    // The test object passes; batches get 503 while `down`.
    let receiver = TestServer::responding(move |request| {
        if request.index > 0 && is_down.load(Ordering::SeqCst) {
            Answer::status(503)
        } else {
            Answer::status(200)
        }
    });
    let (mock, client) = start(config(20)).await;
    let id = create(&client, task(receiver.url(), json!({}))).await;
    let held = wait(&mock, &id, |l| l.statuses.get(&503) >= Some(&5)).await;
    assert_eq!(held.produced, 10, "one batch drawn, held");
    assert_eq!(held.acknowledged, 0);
    down.store(false, Ordering::SeqCst);
    let ledger = acknowledged(&mock, &id, 20).await;
    assert!(ledger.resends >= 5);
    assert_eq!(ledger.produced, 20);
    mock.shutdown().await;
}

/// How fast the mock pushes (not a check; run with `-- --ignored --nocapture push::throughput`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement"]
async fn throughput() {
    let receiver = TestServer::responding(|_| Answer::status(200));
    for (fields, format, gzip) in [
        (json!(FIELDS), Value::Null, false),
        (json!([]), Value::Null, false),
        (json!([]), json!({"FormatType": "csv"}), true),
    ] {
        let (mock, client) = start(config(50_000).push_rate(10_000_000).push_batch(1000)).await;
        let mut endpoint = json!({"Url": receiver.url()});
        if gzip {
            endpoint["CompressType"] = json!("gzip");
        }
        let mut extra = json!({"Fields": fields, "CustomEndpoint": endpoint});
        if !format.is_null() {
            extra["LogFormat"] = format.clone();
        }
        let started = Instant::now();
        let id = create(&client, task(receiver.url(), extra)).await;
        acknowledged(&mock, &id, 50_000).await;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "fields {} format {format} gzip {gzip}: 50000 records in {seconds:.2} s = {:.0} records/s",
            fields.as_array().unwrap().len(),
            50_000.0 / seconds
        );
        mock.shutdown().await;
    }
}
