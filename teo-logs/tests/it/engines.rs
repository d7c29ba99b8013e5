//! The datasets as real engines read them: DuckDB (the `duckdb` Python package) loads the
//! Parquet dataset with Hive partitioning and the NDJSON dataset, and its figures must equal
//! those computed here from the packets' raw JSON lines; pyarrow reads the Parquet schema.
//!
//! Python comes from `target/py` (made by `.ci/run`), see `support`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::summary::SummarizeOptions;
use teo_logs::ConvertOptions;
use teo_logs::{summarize, Dataset, Format, Kind};
use teo_mock::logs::LogKind;

use crate::support;

use support::{python, temp_dir};
use tc_test_support::tools::run_python;

/// The mock's L7 packets for two zones over three hours, written as downloaded; with the zone
/// of each.
fn packets(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for zone in ["zone-2o3h21ed8bpu", "zone-39quuimqg8r6"] {
        let request = json!({
            "StartTime": "2024-05-01T09:00:00Z",
            "EndTime": "2024-05-01T12:00:00Z",
            "ZoneIds": [zone],
            "Domains": [format!("www.{zone}.example"), format!("img.{zone}.example")],
            "Limit": 300,
        });
        let paths = support::write_packets(LogKind::L7, &request, &dir.join(zone));
        out.extend(paths.into_iter().map(|p| (zone.to_owned(), p)));
    }
    out
}

/// Figures computed from the raw lines: rows, sum of EdgeResponseBytes, rows per status code,
/// rows per zone.
fn figures_from_lines(packets: &[(String, PathBuf)]) -> Value {
    let mut rows = 0u64;
    let mut bytes = 0i64;
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut zones: BTreeMap<String, u64> = BTreeMap::new();
    for (zone, path) in packets {
        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(File::open(path).unwrap()));
        for line in reader.lines() {
            let record: Value = serde_json::from_str(&line.unwrap()).unwrap();
            rows += 1;
            bytes += record["EdgeResponseBytes"].as_i64().unwrap();
            let status = record["EdgeResponseStatusCode"].as_i64().unwrap();
            *statuses.entry(status.to_string()).or_default() += 1;
            *zones.entry(zone.clone()).or_default() += 1;
        }
    }
    json!({"rows": rows, "bytes": bytes, "statuses": statuses, "zones": zones})
}

const DUCKDB_SCRIPT: &str = r#"
import json, sys, duckdb, pyarrow.parquet as pq, glob
parquet_root, ndjson_root = sys.argv[1], sys.argv[2]
con = duckdb.connect()
def figures(source):
    rows, total = con.execute(f"SELECT count(*), sum(EdgeResponseBytes) FROM {source}").fetchone()
    statuses = dict(con.execute(f"SELECT CAST(EdgeResponseStatusCode AS VARCHAR), count(*) FROM {source} GROUP BY 1").fetchall())
    zones = dict(con.execute(f"SELECT zone, count(*) FROM {source} GROUP BY 1").fetchall())
    hours = con.execute(f"SELECT DISTINCT CAST(date AS VARCHAR) || ' ' || CAST(hour AS VARCHAR) FROM {source} ORDER BY 1").fetchall()
    return {"rows": rows, "bytes": int(total), "statuses": statuses, "zones": zones, "hours": [h[0] for h in hours]}
parquet = figures(f"read_parquet('{parquet_root}/kind=l7/**/*.parquet', hive_partitioning = true)")
ndjson = figures(f"read_json_auto('{ndjson_root}/kind=l7/**/*.ndjson', hive_partitioning = true)")
types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet_root}/kind=l7/**/*.parquet', hive_partitioning = true)").fetchall()}
first = sorted(glob.glob(f"{parquet_root}/kind=l7/**/*.parquet", recursive=True))[0]
schema = pq.read_schema(first)
meta = pq.ParquetFile(first).metadata
column_encodings = {}
for i in range(meta.num_columns):
    col = meta.row_group(0).column(i)
    column_encodings[col.path_in_schema] = {"compression": col.compression, "encodings": list(col.encodings)}
print(json.dumps({
    "parquet": parquet, "ndjson": ndjson, "duckdb_types": types,
    "arrow_schema": {f.name: str(f.type) for f in schema},
    "row_groups": meta.num_row_groups, "columns": column_encodings,
}))
"#;

#[test]
fn duckdb_and_pyarrow_read_the_datasets_and_agree_with_the_raw_lines() {
    let Some(python) = python() else { return };
    let dir = temp_dir("duckdb");
    let packets = packets(&dir.join("packets"));
    let parquet = Dataset::local(dir.join("parquet"), Format::Parquet).unwrap();
    let ndjson = Dataset::local(dir.join("ndjson"), Format::Ndjson).unwrap();
    for (zone, path) in &packets {
        parquet
            .convert_file(path, ConvertOptions::default().kind(Kind::L7).zone(zone))
            .unwrap();
        ndjson
            .convert_file(path, ConvertOptions::default().zone(zone))
            .unwrap();
    }
    let expected = figures_from_lines(&packets);

    let stdout = run_python(
        &python,
        DUCKDB_SCRIPT,
        &[dir.join("parquet"), dir.join("ndjson")],
    );
    let result: Value = serde_json::from_slice(&stdout).unwrap();
    println!("raw lines: {expected}");
    println!("duckdb:    {}", result["parquet"]);
    for source in ["parquet", "ndjson"] {
        let got = &result[source];
        for figure in ["rows", "bytes", "statuses", "zones"] {
            assert_eq!(got[figure], expected[figure], "{source} {figure}");
        }
        // Three hours, as partitions DuckDB reads back as a date and an hour.
        assert_eq!(
            got["hours"],
            json!(["2024-05-01 09", "2024-05-01 10", "2024-05-01 11"]),
            "{source}"
        );
    }
    let types = &result["duckdb_types"];
    assert_eq!(types["RequestTime"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(types["EdgeResponseBytes"], "BIGINT");
    assert_eq!(types["date"], "DATE");
    // `hour=09`: DuckDB keeps the zero-padded text (it sorts as the hours do).
    assert_eq!(types["hour"], "VARCHAR");
    let schema = &result["arrow_schema"];
    assert_eq!(schema["RequestTime"], "timestamp[ms, tz=UTC]");
    assert_eq!(schema["EdgeResponseStatusCode"], "int64");
    assert_eq!(schema["RequestHost"], "string");
    assert_eq!(schema["extra"], "string");
    let method = &result["columns"]["RequestMethod"];
    assert_eq!(method["compression"], "ZSTD");
    assert!(
        method["encodings"]
            .as_array()
            .unwrap()
            .contains(&json!("RLE_DICTIONARY")),
        "{method}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// A dataset file that another tool rewrote with a codec teo does not read (gzip, by pyarrow)
/// fails alone, named with a column and the codec — not with the Parquet reader's "disabled
/// feature" — and the files beside it are summarized.
#[test]
fn a_file_compressed_with_a_codec_teo_does_not_read_is_named() {
    let Some(python) = python() else { return };
    let dir = temp_dir("codec");
    let packets = packets(&dir.join("packets"));
    let parquet = Dataset::local(dir.join("parquet"), Format::Parquet).unwrap();
    for (zone, path) in &packets {
        parquet
            .convert_file(path, ConvertOptions::default().kind(Kind::L7).zone(zone))
            .unwrap();
    }
    let files: Vec<PathBuf> = support::files_in(&dir.join("parquet"))
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .collect();
    let options = SummarizeOptions::default();
    let whole = summarize(&[dir.join("parquet")], &options).unwrap();
    assert_eq!(whole.failed().1, 0);
    let victim = files.first().expect("a Parquet file");
    let alone = summarize(&[victim], &options).unwrap();
    run_python(
        &python,
        "import sys, pyarrow.parquet as pq; \
         pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], compression='gzip')",
        &[victim, &dir.join("gzip.parquet")],
    );
    fs::rename(dir.join("gzip.parquet"), victim).unwrap();

    let summary = summarize(&[dir.join("parquet")], &options).unwrap();
    let (failed, count) = summary.failed();
    assert_eq!(count, 1);
    assert_eq!(failed[0].path(), victim.as_path());
    let message = failed[0].to_string();
    assert!(
        message.starts_with(&format!("{}: column ", victim.display()))
            && message.contains(" is compressed with gzip, which this teo does not read (it reads Parquet compressed with snappy"),
        "{message}"
    );
    let requests = |s: &teo_logs::summary::Summary| s.l7().map_or(0, |l7| l7.requests());
    assert_eq!(requests(&summary), requests(&whole) - requests(&alone));
    assert!(requests(&summary) > 0);
    fs::remove_dir_all(&dir).unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

const DUCKDB_S3_SCRIPT: &str = r#"
import json, sys, duckdb, pyarrow.dataset as ds, pyarrow.fs as pafs
endpoint, root = sys.argv[1], sys.argv[2]
s3 = pafs.S3FileSystem(access_key="AKIDTEST", secret_key="test-secret-never-printed", region="us-east-1",
                       endpoint_override=endpoint, scheme="http")
logs = ds.dataset(root + "/kind=l7", filesystem=s3, format="parquet", partitioning="hive")
con = duckdb.connect()
con.register("logs", logs)
rows, total = con.execute("SELECT count(*), sum(EdgeResponseBytes) FROM logs").fetchone()
statuses = dict(con.execute("SELECT CAST(EdgeResponseStatusCode AS VARCHAR), count(*) FROM logs GROUP BY 1").fetchall())
zones = dict(con.execute("SELECT zone, count(*) FROM logs GROUP BY 1").fetchall())
print(json.dumps({"rows": rows, "bytes": int(total), "statuses": statuses, "zones": zones,
                  "files": len(logs.files)}))
"#;

#[test]
fn a_dataset_on_a_local_s3_server_reads_back_in_duckdb_and_a_rerun_skips_it() {
    let Some(moto) = support::Moto::start() else {
        return;
    };
    moto.create_bucket("edgeone");
    let runtime = runtime();
    let dir = temp_dir("s3");
    let packets = packets(&dir.join("packets"));
    let dest = Destination::parse(
        "s3://edgeone/logs/dataset",
        &moto.store_options(),
        runtime.handle().clone(),
    )
    .unwrap();
    let dataset = Dataset::new(dest, Format::Parquet).unwrap();
    let mut files = 0;
    for (zone, path) in &packets {
        let report = dataset
            .convert_file(path, ConvertOptions::default().zone(zone))
            .unwrap();
        assert!(!report.skipped);
        files += report.files.len();
    }
    for (zone, path) in &packets {
        assert!(
            dataset
                .convert_file(path, ConvertOptions::default().zone(zone))
                .unwrap()
                .skipped
        );
    }

    let python = support::python().unwrap();
    let stdout = run_python(
        &python,
        DUCKDB_S3_SCRIPT,
        &[moto.endpoint().as_str(), "edgeone/logs/dataset"],
    );
    let got: Value = serde_json::from_slice(&stdout).unwrap();
    let expected = figures_from_lines(&packets);
    println!("raw lines: {expected}\nduckdb over s3: {got}");
    for figure in ["rows", "bytes", "statuses", "zones"] {
        assert_eq!(got[figure], expected[figure], "{figure}");
    }
    assert_eq!(got["files"], files);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_upload_is_invisible_until_complete_and_spans_parts() {
    let Some(moto) = support::Moto::start() else {
        return;
    };
    moto.create_bucket("parts");
    let runtime = runtime();
    let dest = Destination::parse(
        "s3://parts/p",
        &moto.store_options(),
        runtime.handle().clone(),
    )
    .unwrap();
    let chunk: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();

    // 20 MiB: three parts of 8 MiB at most; nothing there until the commit.
    let mut file = dest.create(Path::new("big.bin")).unwrap();
    for _ in 0..20 {
        file.write_all(&chunk).unwrap();
    }
    assert_eq!(dest.size(Path::new("big.bin")).unwrap(), None);
    file.commit().unwrap();
    assert_eq!(dest.size(Path::new("big.bin")).unwrap(), Some(20 << 20));

    // Dropped half-way (a failed conversion): never visible.
    let mut file = dest.create(Path::new("dropped.bin")).unwrap();
    for _ in 0..9 {
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(dest.size(Path::new("dropped.bin")).unwrap(), None);

    // Paths stay under the prefix.
    assert!(dest.create(Path::new("../escape.bin")).is_err());
    // Credentials in the URL are refused, and not echoed.
    let error = Destination::parse(
        "s3://AKID:topsecret@parts/p",
        &StoreOptions::default(),
        runtime.handle().clone(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("credentials"), "{error}");
}

#[test]
fn a_packet_that_fails_in_a_store_deletes_the_files_it_completed() {
    // An upload is visible once complete, so a packet over more hours than files kept open
    // completes some files before it fails on a late bad line: they must go again.
    let Some(moto) = support::Moto::start() else {
        return;
    };
    moto.create_bucket("failing");
    let runtime = runtime();
    let dir = temp_dir("s3-late-failure");
    let input = dir.join("spread.log");
    let mut lines: Vec<String> = (0..30)
        .map(|i| {
            format!(
                r#"{{"RequestID":"r{i}","RequestTime":"2024-05-01T{:02}:00:00Z","RequestHost":"h","EdgeResponseStatusCode":200}}"#,
                i % 6
            )
        })
        .collect();
    lines.push("{not json".to_owned());
    fs::write(&input, lines.join("\n")).unwrap();
    let dest = Destination::parse(
        "s3://failing/ds",
        &moto.store_options(),
        runtime.handle().clone(),
    )
    .unwrap();
    let dataset = Dataset::new(dest.clone(), Format::Ndjson)
        .unwrap()
        .bad_lines(teo_logs::records::BadLines::Fail);
    let error = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap_err();
    assert!(error.to_string().contains("spread.log"), "{error}");
    // Every name the packet's files could have had (six hours, reopened files numbered).
    for hour in 0..6 {
        for n in 0..10 {
            let name = if n == 0 {
                "spread.ndjson".to_owned()
            } else {
                format!("spread~{n}.ndjson")
            };
            let path = PathBuf::from(format!(
                "kind=l7/zone=z/date=2024-05-01/hour={hour:02}/{name}"
            ));
            assert_eq!(dest.size(&path).unwrap(), None, "{}", path.display());
        }
    }
    // Whole, the packet is there with its marker.
    let dataset = Dataset::new(dest.clone(), Format::Ndjson).unwrap();
    let report = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert_eq!(report.records, 30);
    for file in &report.files {
        assert!(dest.size(file).unwrap().is_some(), "{}", file.display());
    }
    fs::remove_dir_all(&dir).unwrap();
}
