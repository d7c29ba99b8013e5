//! Every field of `api-spec/teo/log-fields.json` flows from a packet into Parquet, NDJSON and
//! CSV and back, under its wire name with its value — read from the JSON itself, not from the
//! code generated from it. So a field added to the JSON (and `cargo xtask regenerate`, which CI
//! checks is fresh) needs no other edit: this test covers it the moment it is declared.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow_array::{Array, Int64Array, StringArray, TimestampMillisecondArray};
use flate2::write::GzEncoder;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Map, Value};
use teo_logs::records::{L4Record, L7Record, Records};
use teo_logs::ConvertOptions;
use teo_logs::{Dataset, Format, Kind, Table};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::support;
use support::temp_dir;

/// One declared field: its wire name and type.
struct Declared {
    wire: String,
    kind: String,
}

/// The fields of `kind` as the JSON declares them, in order.
fn declared(kind: &str) -> Vec<Declared> {
    let spec: Value = serde_json::from_str(teo_api_spec::LOG_FIELDS_JSON).unwrap();
    spec["kinds"][kind]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no kind {kind}"))
        .iter()
        .map(|f| Declared {
            wire: f["wire"].as_str().unwrap().to_owned(),
            kind: f["type"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// The value field number `i` gets in line `line`: distinct per field and line, and in each
/// field's encodings (integers as numbers on even lines, as text on odd ones).
fn sent(field: &Declared, i: usize, line: usize) -> Value {
    match field.kind.as_str() {
        "integer" if line.is_multiple_of(2) => json!(1000 * line + i),
        "integer" => json!((1000 * line + i).to_string()),
        "timestamp" => json!(format!("2024-05-01T10:{:02}:{:02}Z", line, i % 60)),
        _ => json!(format!("v{line}-{}", field.wire)),
    }
}

/// What a reader of the output should find: text as text, integers as integers, date-times as
/// epoch milliseconds.
fn expected(field: &Declared, i: usize, line: usize) -> Value {
    match (field.kind.as_str(), sent(field, i, line)) {
        ("integer", _) => json!(1000 * line + i),
        ("timestamp", Value::String(text)) => json!(millis(&text)),
        (_, value) => value,
    }
}

fn millis(text: &str) -> i64 {
    (OffsetDateTime::parse(text, &Rfc3339)
        .unwrap()
        .unix_timestamp_nanos()
        / 1_000_000) as i64
}

const LINES: usize = 3;

/// A packet of `LINES` records of `kind` with every declared field and one unknown member.
fn packet(dir: &Path, kind: &str, fields: &[Declared]) -> PathBuf {
    let path = dir.join(format!("{kind}.log.gz"));
    let mut gz = GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::fast());
    for line in 0..LINES {
        let mut record = Map::new();
        for (i, field) in fields.iter().enumerate() {
            record.insert(field.wire.clone(), sent(field, i, line));
        }
        record.insert("NotYetDeclared".into(), json!(line));
        writeln!(gz, "{}", Value::Object(record)).unwrap();
    }
    gz.finish().unwrap();
    path
}

/// Each output row as wire name → value (text, integer or epoch ms), `extra` included.
fn rows(format: Format, path: &Path) -> Vec<Map<String, Value>> {
    match format {
        Format::Ndjson => fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let mut row: Map<String, Value> = serde_json::from_str(l).unwrap();
                for value in row.values_mut() {
                    if let Some(ms) = value
                        .as_str()
                        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
                    {
                        *value = json!((ms.unix_timestamp_nanos() / 1_000_000) as i64);
                    }
                }
                row
            })
            .collect(),
        Format::Csv => {
            let mut reader = csv::Reader::from_path(path).unwrap();
            let header: Vec<String> = reader
                .headers()
                .unwrap()
                .iter()
                .map(str::to_owned)
                .collect();
            reader
                .records()
                .map(|r| {
                    header
                        .iter()
                        .zip(r.unwrap().iter())
                        .map(|(name, cell)| {
                            let value = if let Ok(n) = cell.parse::<i64>() {
                                json!(n)
                            } else if let Ok(t) = OffsetDateTime::parse(cell, &Rfc3339) {
                                json!((t.unix_timestamp_nanos() / 1_000_000) as i64)
                            } else {
                                json!(cell)
                            };
                            (name.clone(), value)
                        })
                        .collect()
                })
                .collect()
        }
        Format::Parquet => {
            let mut rows = Vec::new();
            let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
                .unwrap()
                .build()
                .unwrap();
            for batch in reader {
                let batch = batch.unwrap();
                let schema = batch.schema();
                for row in 0..batch.num_rows() {
                    let mut out = Map::new();
                    for (c, field) in schema.fields().iter().enumerate() {
                        let column = batch.column(c);
                        if column.is_null(row) {
                            continue;
                        }
                        let any = column.as_any();
                        let value = if let Some(a) = any.downcast_ref::<StringArray>() {
                            json!(a.value(row))
                        } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                            json!(a.value(row))
                        } else if let Some(a) = any.downcast_ref::<TimestampMillisecondArray>() {
                            json!(a.value(row))
                        } else {
                            panic!("{}: unexpected type {}", field.name(), column.data_type())
                        };
                        out.insert(field.name().clone(), value);
                    }
                    rows.push(out);
                }
            }
            rows
        }
    }
}

/// The data files under `dir`.
fn data_files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found
}

fn flows_through_every_format<T: Table + std::fmt::Debug + PartialEq>(kind: &str, log_kind: Kind) {
    let fields = declared(kind);
    let dir = temp_dir(&format!("log-fields-{kind}"));
    let input = packet(&dir, kind, &fields);

    // The generated table is the JSON's list, in order.
    let columns: Vec<&str> = T::columns().iter().map(|c| c.name).collect();
    let wires: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
    assert_eq!(
        columns, wires,
        "regenerate: the columns are not the JSON's fields"
    );

    // Typed records: every field set, only the undeclared member left in `extra`.
    let records: Vec<T> = Records::<T>::open(&input)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), LINES);
    for record in &records {
        assert_eq!(
            record.extra().keys().collect::<Vec<_>>(),
            ["NotYetDeclared"]
        );
    }

    for format in [Format::Parquet, Format::Ndjson, Format::Csv] {
        let out = dir.join(format!("out-{format}"));
        let dataset = Dataset::local(&out, format).unwrap();
        let report = dataset
            .convert_file(&input, ConvertOptions::default().kind(log_kind))
            .unwrap();
        assert_eq!(report.records, LINES as u64, "{format}");
        let files = data_files(&out, format.extension());
        assert_eq!(files.len(), 1, "{format}: {files:?}");
        let rows = rows(format, &files[0]);
        assert_eq!(rows.len(), LINES, "{format}");
        for (line, row) in rows.iter().enumerate() {
            for (i, field) in fields.iter().enumerate() {
                assert_eq!(
                    row.get(&field.wire),
                    Some(&expected(field, i, line)),
                    "{format}: {} of line {line}",
                    field.wire
                );
            }
            // Unknown members: flat in NDJSON (as sent), one JSON text column elsewhere.
            if format == Format::Ndjson {
                assert_eq!(row.get("NotYetDeclared"), Some(&json!(line)));
            } else {
                let extra = row.get("extra").and_then(Value::as_str).unwrap_or_default();
                assert_eq!(extra, format!("{{\"NotYetDeclared\":{line}}}"), "{format}");
            }
        }

        // And back: the NDJSON output reads into the same records.
        if format == Format::Ndjson {
            let back: Vec<T> = Records::<T>::open(&files[0])
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(back.len(), records.len());
            for (back, record) in back.iter().zip(&records) {
                for c in T::columns() {
                    assert_eq!(
                        format!("{:?}", (c.get)(back)),
                        format!("{:?}", (c.get)(record)),
                        "{}",
                        c.name
                    );
                }
            }
        }
    }
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_declared_l7_field_flows_through_every_format_and_back() {
    flows_through_every_format::<L7Record>("l7", Kind::L7);
}

#[test]
fn every_declared_l4_field_flows_through_every_format_and_back() {
    flows_through_every_format::<L4Record>("l4", Kind::L4);
}
