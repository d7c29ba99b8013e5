//! The real-time path end to end (issue 21, item 7): the SDK creates custom_endpoint tasks on
//! teo-mock pointing at `teo logs receive`; the mock pushes records in every body shape while
//! the test injects faults — a receiver SIGKILLed and restarted, the S3 server stopped for a
//! while, lost 200s, duplicates, replayed keys, batches alternating between two receivers —
//! and DuckDB then reads exactly the records the mock's ledger says were acknowledged, none
//! twice.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use teo_client::{Client, Credentials};
use teo_mock::push::PushLedger;
use teo_mock::{MockConfig, MockServer};

use crate::support;

const TEO: &str = env!("CARGO_BIN_EXE_teo");
const ACCESS_ID: &str = "rt-access-id";
const ACCESS_KEY: &str = "rt-access-key-never-printed";
const S3_SECRET: &str = "rt-s3-secret-never-printed";
const FIELDS: [&str; 8] = [
    "RequestID",
    "RequestTime",
    "ClientIP",
    "RequestHost",
    "RequestUrl",
    "RequestUA",
    "EdgeResponseStatusCode",
    "EdgeResponseBytes",
];

/// A `teo logs receive` process and the address it listens on.
struct Receiver {
    child: Child,
    addr: SocketAddr,
    args: Vec<String>,
}

impl Receiver {
    fn start(args: Vec<String>, listen: &str) -> Receiver {
        let mut command = Command::new(TEO);
        command
            .args(["logs", "receive", "--listen", listen])
            .args(&args)
            .env("TEO_RECEIVE_ACCESS_KEY", ACCESS_KEY)
            .env("AWS_ACCESS_KEY_ID", "AKIDRT")
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET)
            .env("AWS_REGION", "us-east-1")
            .env_remove("TEO_RECEIVE_CRASH_AFTER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("teo runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .parse()
            .unwrap();
        Receiver { child, addr, args }
    }

    fn url(&self) -> String {
        format!("http://{}/edgeone/logs", self.addr)
    }

    /// SIGKILL: no shutdown, no last roll.
    fn kill(mut self) -> (Vec<String>, SocketAddr) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        (self.args, self.addr)
    }

    /// SIGTERM: the receiver rolls what is staged and exits 0.
    fn stop(mut self) {
        signal("-TERM", self.child.id());
        assert!(self.child.wait().unwrap().success());
    }
}

fn signal(which: &str, pid: u32) {
    assert!(Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

fn receive_args(out: &str, staging: &Path, extra: &[&str], endpoint: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--out", out, "--format", "parquet", "--zone", "zone-rt", "--roll", "1",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(["--staging".to_owned(), staging.display().to_string()]);
    if let Some(endpoint) = endpoint {
        args.extend(["--s3-endpoint".to_owned(), endpoint.to_owned()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

async fn mock_with(config: MockConfig) -> (MockServer, Client) {
    let mock = MockServer::start(config).await.expect("mock starts");
    let client = Client::builder(Credentials::new(
        teo_mock::server::DEFAULT_SECRET_ID,
        teo_mock::server::DEFAULT_SECRET_KEY,
    ))
    .endpoint(mock.url())
    .build()
    .unwrap();
    (mock, client)
}

async fn create(client: &Client, url: &str, extra: Value) -> String {
    let mut request = json!({
        "ZoneId": "zone-rt",
        "TaskName": "realtime-e2e",
        "TaskType": "custom_endpoint",
        "LogType": "l7-access-logs",
        "Area": "overseas",
        "EntityList": ["www.rt.example"],
        "Fields": FIELDS,
        "CustomEndpoint": {
            "Url": url,
            "AccessId": ACCESS_ID,
            "AccessKey": ACCESS_KEY,
            "CompressType": "gzip",
            "Headers": [{"Name": "BatchSize", "Value": "${batchSize}"}],
        },
    });
    for (name, value) in extra.as_object().unwrap() {
        request[name] = value.clone();
    }
    let answer = client
        .call("CreateRealtimeLogDeliveryTask", request)
        .await
        .expect("CreateRealtimeLogDeliveryTask answers");
    answer["TaskId"].as_str().unwrap().to_owned()
}

async fn wait(mock: &MockServer, task: &str, until: impl Fn(&PushLedger) -> bool) -> PushLedger {
    match tokio::time::timeout(Duration::from_secs(120), mock.push_wait(task, until)).await {
        Ok(Some(ledger)) => ledger,
        Ok(None) => panic!("no task {task}"),
        Err(_) => panic!(
            "timed out; ledger: {:?}",
            mock.push_ledger(task).map(|mut l| {
                l.records.clear();
                l
            })
        ),
    }
}

/// What DuckDB reads of a Parquet dataset (local directory or `s3://` prefix): rows,
/// distinct request ids, the sum of EdgeResponseBytes, and the ids.
fn duckdb(dataset: &str, endpoint: Option<&str>) -> Value {
    let python = support::python().expect("DuckDB (target/py)");
    let script = r#"
import json, sys, duckdb, pyarrow.dataset as ds, pyarrow.fs as pafs
root, endpoint = sys.argv[1], sys.argv[2]
fs = None
if endpoint:
    fs = pafs.S3FileSystem(access_key="AKIDRT", secret_key=sys.argv[3], region="us-east-1",
                           endpoint_override=endpoint, scheme="http")
logs = ds.dataset(root + "/kind=l7", filesystem=fs, format="parquet", partitioning="hive")
con = duckdb.connect()
con.register("logs", logs)
rows, ids, total = con.execute("SELECT count(*), count(DISTINCT RequestID), sum(EdgeResponseBytes) FROM logs").fetchone()
all_ids = [r[0] for r in con.execute("SELECT RequestID FROM logs ORDER BY 1").fetchall()]
print(json.dumps({"rows": rows, "ids": ids, "bytes": int(total or 0), "all": all_ids}))
"#;
    let stdout = tc_test_support::tools::run_python(
        &python,
        script,
        &[dataset, endpoint.unwrap_or(""), S3_SECRET],
    );
    serde_json::from_slice(&stdout).unwrap()
}

/// The ledger's records and test objects as DuckDB should read them.
fn expected(ledgers: &[PushLedger]) -> Value {
    let records: Vec<&Value> = ledgers
        .iter()
        .flat_map(|l| l.records.iter().chain(&l.test_objects))
        .collect();
    let mut ids: Vec<String> = records
        .iter()
        .map(|r| match &r["RequestID"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    ids.sort();
    let bytes: i64 = records
        .iter()
        .filter_map(|r| r["EdgeResponseBytes"].as_i64().filter(|b| *b >= 0))
        .sum();
    json!({"rows": ids.len(), "ids": ids.len(), "bytes": bytes, "all": ids})
}

fn summary(figures: &Value) -> String {
    format!(
        "rows {} distinct ids {} bytes {}",
        figures["rows"], figures["ids"], figures["bytes"]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_records_land_in_duckdb_once_under_every_fault() {
    let Some(moto) = tokio::task::spawn_blocking(support::Moto::start)
        .await
        .unwrap()
    else {
        return;
    };
    moto.create_bucket("realtime");
    let dir = support::temp_dir("realtime-e2e");
    let endpoint = moto.endpoint();
    let auth = ["--access-id", ACCESS_ID];
    let out = "s3://realtime/edgeone";
    // Two receivers behind a "load balancer" (the mock sends batches to each in turn), one bucket.
    let a = Receiver::start(
        receive_args(out, &dir.join("staging-a"), &auth, Some(&endpoint)),
        "127.0.0.1:0",
    );
    let b = Receiver::start(
        receive_args(out, &dir.join("staging-b"), &auth, Some(&endpoint)),
        "127.0.0.1:0",
    );
    const N: u64 = 6000;
    let (mock, client) = mock_with(
        MockConfig::default()
            .rate_limit(None)
            .push_rate(20_000)
            .push_batch(100)
            .push_total(Some(N))
            .push_backoff(Duration::from_millis(20), Duration::from_millis(500))
            .push_target(b.url()),
    )
    .await;
    // Lost 200s, duplicates and replayed keys, armed by count.
    mock.push_faults().lose_ok(4).duplicate(4).replay(3);
    let task = create(&client, &a.url(), json!({})).await;

    // A third in: receiver a is killed (SIGKILL); once a push to it has failed (and gone to b
    // instead), it is started again on its address with its staging directory.
    let before = wait(&mock, &task, |l| l.acknowledged >= N / 3)
        .await
        .failures;
    let (args, addr) = a.kill();
    wait(&mock, &task, |l| l.failures > before).await;
    let a = Receiver::start(args, &addr.to_string());
    // Two thirds in: the S3 server stops (SIGSTOP) while pushes go on; staging answers them.
    wait(&mock, &task, |l| l.acknowledged >= N / 2).await;
    signal("-STOP", moto.pid());
    wait(&mock, &task, |l| l.acknowledged >= 2 * N / 3).await;
    signal("-CONT", moto.pid());
    let ledger = wait(&mock, &task, |l| l.finished && l.acknowledged >= N).await;
    assert_eq!(ledger.acknowledged, N);
    assert!(
        ledger.resends > 0 && ledger.failures > 0,
        "{:?}",
        ledger.statuses
    );
    a.stop();
    b.stop();
    let got = duckdb("realtime/edgeone", Some(&endpoint));
    let want = expected(std::slice::from_ref(&ledger));
    println!(
        "default shape, gzip, auth, faults: pushed {} acknowledged {} (+{} test objects), {} POSTs, {} resends, {} without an answer, statuses {:?}; DuckDB: {}",
        ledger.produced,
        ledger.acknowledged,
        ledger.test_objects.len(),
        ledger.posts,
        ledger.resends,
        ledger.failures,
        ledger.statuses,
        summary(&got)
    );
    assert_eq!(got["rows"], got["ids"], "duplicates in the dataset");
    assert_eq!(got, want);

    // Every LogFormat, each task with its own receiver writing to a local dataset.
    let shapes = [
        (
            "json",
            json!({"FormatType": "json", "BatchPrefix": "[", "BatchSuffix": "]", "RecordDelimiter": ","}),
        ),
        (
            "csv",
            json!({"FormatType": "csv", "FieldDelimiter": "\t", "RecordDelimiter": "\n"}),
        ),
        (
            "template",
            json!({"FormatType": "template", "RecordTemplate": "${RequestID}|${RequestTime}|${ClientIP}|${RequestHost}|${RequestUrl}|${RequestUA}|${EdgeResponseStatusCode}|${EdgeResponseBytes}", "RecordDelimiter": "\n"}),
        ),
    ];
    mock.shutdown().await;
    // A mock of its own: no faults, no second receiver.
    let (mock, client) = mock_with(
        MockConfig::default()
            .rate_limit(None)
            .push_rate(20_000)
            .push_batch(100)
            .push_total(Some(N / 3))
            .push_backoff(Duration::from_millis(20), Duration::from_millis(500)),
    )
    .await;
    for (name, format) in shapes {
        let out = dir.join(format!("dataset-{name}"));
        let extra = [
            "--access-id",
            ACCESS_ID,
            "--log-format",
            &format.to_string(),
            "--fields",
            &FIELDS.join(","),
        ];
        let receiver = Receiver::start(
            receive_args(
                out.to_str().unwrap(),
                &dir.join(format!("staging-{name}")),
                &extra,
                None,
            ),
            "127.0.0.1:0",
        );
        let task = create(
            &client,
            &receiver.url(),
            json!({"LogFormat": format, "TaskName": name}),
        )
        .await;
        let ledger = wait(&mock, &task, |l| l.finished && l.acknowledged >= N / 3).await;
        receiver.stop();
        let got = duckdb(out.to_str().unwrap(), None);
        println!(
            "{name}: acknowledged {}; DuckDB: {}",
            ledger.acknowledged,
            summary(&got)
        );
        assert_eq!(got, expected(std::slice::from_ref(&ledger)), "{name}");
    }
    mock.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `teo logs receive --mock N`: the one-command demo — an in-process mock's task pushes N
/// records, signed, and the receiver stops once they are in the dataset.
#[test]
fn receive_with_a_mock_lands_what_the_mock_pushed() {
    let dir = support::temp_dir("realtime-mock");
    let out = dir.join("realtime-logs");
    let output = Command::new(TEO)
        .args([
            "logs",
            "receive",
            "--mock",
            "3000",
            "--listen",
            "127.0.0.1:0",
            "--format",
            "ndjson",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("pushed 3000 records (+1 test object)"),
        "{stderr}"
    );
    let records: usize = crate::support::files_in(&out.join("kind=l7"))
        .iter()
        .map(|f| support::lines_of(f).len())
        .sum();
    assert_eq!(records, 3001);
    std::fs::remove_dir_all(&dir).unwrap();
}
