//! A batch staged as typed columns (Arrow IPC) for a Parquet dataset: its records are read and
//! checked once, when pushed, and a roll only encodes them. (Staged as JSON Lines instead, a
//! record was read three times on its way in: to split the body, to check it, and to roll it.)
//!
//! The file is an Arrow IPC stream in the columns of the record type, one record batch per
//! partition the records go to, in the order of first appearance; the schema's metadata lists
//! the partitions and their row counts, in the same order.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader};
use std::marker::PhantomData;
use std::path::Path;

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::Schema;
use serde::de::{DeserializeSeed, Deserializer as _, SeqAccess, Visitor};
use time::OffsetDateTime;

use crate::columns::Table;
use crate::dataset::Partition;
use crate::encode::{schema, Batch, EncodeError};
use crate::members::{self, FromRaw, LineSeed, RawLine};
use crate::receive::shape::MAX_RECORDS;

/// The schema metadata key listing a staged file's partitions.
const PARTITIONS: &str = "teo.partitions";
/// Largest partition list read back (a batch has at most [`MAX_HOURS`] partitions).
const MAX_PARTITIONS_TEXT: usize = 1 << 20;
/// Hours one pushed batch may span. A real-time batch holds minutes of logs; each hour costs
/// a set of column builders, so a body of records from a million different hours would
/// otherwise cost gigabytes.
pub(crate) const MAX_HOURS: usize = 64;

/// Records gathered into column builders, one per partition.
pub(crate) struct Partitioned<T: Table> {
    /// The partitions in order of first appearance, each with its UTC hour (none for records
    /// without a time), and their rows.
    parts: Vec<(Option<i64>, Partition, Batch<T>)>,
    /// Where each hour's part is.
    index: HashMap<Option<i64>, usize>,
    /// The part the last record went to: records come in runs of one hour.
    last: usize,
}

impl<T: Table> Partitioned<T> {
    pub(crate) fn new() -> Self {
        Partitioned {
            parts: Vec::new(),
            index: HashMap::new(),
            last: 0,
        }
    }

    /// Adds `record` to its partition's rows.
    pub(crate) fn push(&mut self, record: &T) {
        self.part(record.time()).push(record);
    }

    /// Adds the record whose raw members are `line` to its partition's rows (see
    /// [`Batch::push_raw`]: on an error, drop them all).
    pub(crate) fn push_raw(&mut self, line: &RawLine<'_>) -> Result<(), String>
    where
        T: FromRaw,
    {
        // The record's time, as `Table::time` gives it: the first partition date-time present.
        let mut time = None;
        for &slot in T::PARTITION_TIME {
            let field = &T::fields()[slot];
            if let Some(t) = members::time(line.slot(slot), field)? {
                time = t.into_date_time().instant();
                break;
            }
        }
        self.part(time).push_raw(line)
    }

    /// The rows of the partition of a record at `time`.
    fn part(&mut self, time: Option<OffsetDateTime>) -> &mut Batch<T> {
        // The partition is the record's UTC hour: found by the hour's number, named once.
        let hour = time.map(|t| t.unix_timestamp().div_euclid(3600));
        let index = match self.parts.get(self.last) {
            Some((h, _, _)) if *h == hour => self.last,
            _ => *self.index.entry(hour).or_insert_with(|| {
                self.parts.push((hour, Partition::of(time), Batch::new()));
                self.parts.len() - 1
            }),
        };
        self.last = index;
        &mut self.parts[index].2
    }

    /// How many hours (partitions) the rows span.
    pub(crate) fn hours(&self) -> usize {
        self.parts.len()
    }

    /// The rows of each partition, in order of first appearance.
    pub(crate) fn finish(self) -> Result<Vec<(Partition, RecordBatch)>, EncodeError> {
        self.parts
            .into_iter()
            .map(|(_, partition, mut rows)| Ok((partition, rows.finish()?)))
            .collect()
    }
}

/// A record of the JSON Lines `lines` that cannot be read, or that makes the batch span more
/// than [`MAX_HOURS`]: its number (from 1), why, and the refusal's label.
pub(crate) struct BadRecord {
    pub(crate) record: usize,
    pub(crate) reason: String,
    pub(crate) label: &'static str,
}

fn too_many_hours(record: usize) -> BadRecord {
    BadRecord {
        record,
        reason: format!(
            "the batch spans more than {MAX_HOURS} hours (a real-time batch holds minutes)"
        ),
        label: "too_many_hours",
    }
}

/// The records of `lines` (JSON Lines, as the body's shape gives them) as a staged file's
/// bytes; the first record that cannot be read as a `T` fails them all.
pub(crate) fn stage_bytes<T: Table>(lines: &[u8]) -> Result<Vec<u8>, BadRecord> {
    let mut rows = Partitioned::<T>::new();
    for (i, line) in crate::receive::shape::each_line(lines).enumerate() {
        let typed = T::from_line(line).map_err(|reason| BadRecord {
            record: i + 1,
            reason,
            label: "bad_member",
        })?;
        rows.push(&typed);
        if rows.hours() > MAX_HOURS {
            return Err(too_many_hours(i + 1));
        }
    }
    let internal = |e: EncodeError| BadRecord {
        record: 0,
        reason: format!("cannot put the records in columns: {e}"),
        label: "internal",
    };
    let parts = rows.finish().map_err(internal)?;
    write(&parts).map_err(internal)
}

/// The records of a body in the default shapes (a JSON array of objects, or objects one after
/// another) as a staged file's bytes, and how many: each record read once, as the body is
/// scanned. `None` when the body is anything else or has any fault: the careful way (split into
/// lines, then each read) then reads it, and names the fault and the record.
pub(crate) fn stage_body<T: Table + FromRaw>(body: &[u8]) -> Option<(Vec<u8>, usize)> {
    let text = std::str::from_utf8(body).ok()?;
    let mut rows = Partitioned::<T>::new();
    let mut count = 0;
    let mut de = serde_json::Deserializer::from_str(text);
    if text.trim_start().starts_with('[') {
        de.deserialize_seq(Array {
            rows: &mut rows,
            count: &mut count,
        })
        .ok()?;
    } else {
        while de.end().is_err() {
            let line = LineSeed::<T>(PhantomData).deserialize(&mut de).ok()?;
            count += 1;
            if count > MAX_RECORDS {
                return None;
            }
            rows.push_raw(&line).ok()?;
            if rows.hours() > MAX_HOURS {
                return None;
            }
        }
    }
    de.end().ok()?;
    let parts = rows.finish().ok()?;
    Some((write(&parts).ok()?, count))
}

/// The records of a JSON array, each read as it is met.
struct Array<'a, T: Table> {
    rows: &'a mut Partitioned<T>,
    count: &'a mut usize,
}

impl<'de, T: Table + FromRaw> Visitor<'de> for Array<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(line) = seq.next_element_seed(LineSeed::<T>(PhantomData))? {
            *self.count += 1;
            if *self.count > MAX_RECORDS {
                return Err(serde::de::Error::custom("too many records"));
            }
            self.rows
                .push_raw(&line)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

/// The staged file's bytes for `parts`.
fn write(parts: &[(Partition, RecordBatch)]) -> Result<Vec<u8>, EncodeError> {
    let listed: Vec<(&str, &str, usize)> = parts
        .iter()
        .map(|(p, rows)| (p.date.as_str(), p.hour.as_str(), rows.num_rows()))
        .collect();
    let text = serde_json::to_string(&listed).map_err(|e| EncodeError::Io(e.into()))?;
    let Some((_, first)) = parts.first() else {
        return Ok(Vec::new());
    };
    let mut metadata = first.schema().metadata().clone();
    metadata.insert(PARTITIONS.to_owned(), text);
    let schema = Schema::new_with_metadata(first.schema().fields().clone(), metadata);
    // Room for all of it at once: growing the buffer as it fills would copy it again and again.
    let room = parts
        .iter()
        .map(|(_, rows)| rows.get_array_memory_size())
        .sum::<usize>();
    let mut writer = StreamWriter::try_new(Vec::with_capacity(room + (64 << 10)), &schema)?;
    for (_, rows) in parts {
        writer.write(&rows.clone().with_schema(schema.clone().into())?)?;
    }
    Ok(writer.into_inner()?)
}

/// The partitions and rows of the staged file at `path`, in `T`'s columns. A file that is not
/// what [`stage_bytes`] writes for `T` is an `InvalidData` error (a batch with no records is an
/// empty file: no rows).
pub(crate) fn read<T: Table>(path: &Path) -> io::Result<Vec<(Partition, RecordBatch)>> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(Vec::new());
    }
    let reader = StreamReader::try_new(BufReader::with_capacity(256 << 10, file), None)
        .map_err(|e| invalid(format!("not a staged batch: {e}")))?;
    let expected = schema::<T>();
    if reader.schema().fields() != expected.fields() {
        return Err(invalid(format!(
            "its columns are not those of {} records (staged by another version?)",
            T::KIND
        )));
    }
    let listed: Vec<(String, String, usize)> = reader
        .schema()
        .metadata()
        .get(PARTITIONS)
        .filter(|text| text.len() <= MAX_PARTITIONS_TEXT)
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| invalid("no list of partitions".into()))?;
    let mut listed = listed.into_iter();
    let mut out = Vec::new();
    for rows in reader {
        let rows = rows.map_err(|e| invalid(format!("unreadable rows: {e}")))?;
        let (date, hour, count) = listed
            .next()
            .ok_or_else(|| invalid("more row batches than partitions".into()))?;
        let partition = Partition::parse(&date, &hour)
            .ok_or_else(|| invalid("a partition that is no date and hour".into()))?;
        if rows.num_rows() != count {
            return Err(invalid("a row count other than listed".into()));
        }
        let rows = RecordBatch::try_new(expected.clone(), rows.columns().to_vec())
            .map_err(|e| invalid(format!("unreadable rows: {e}")))?;
        out.push((partition, rows));
    }
    if listed.next().is_some() {
        return Err(invalid("fewer row batches than partitions".into()));
    }
    Ok(out)
}

/// The records of a batch staged as JSON Lines (by a receiver writing a text format before),
/// in columns: how a Parquet roll reads it. Lines that cannot be read are counted in `bad`.
pub(crate) fn read_lines<T: Table>(
    path: &Path,
    bad: &mut u64,
) -> io::Result<Vec<(Partition, RecordBatch)>> {
    let mut records = crate::records::Records::<T>::open(path).map_err(io::Error::other)?;
    let mut rows = Partitioned::<T>::new();
    for record in records.by_ref() {
        match record {
            Ok(record) => rows.push(&record),
            Err(crate::records::RecordError::BadLine { .. }) => {}
            Err(e) => return Err(io::Error::other(e)),
        }
    }
    *bad += records.bad_count();
    rows.finish().map_err(io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::L7Record;

    fn lines() -> Vec<u8> {
        [
            r#"{"RequestTime":"2024-05-01T10:00:01Z","RequestID":"a","EdgeResponseBytes":10}"#,
            r#"{"RequestTime":"2024-05-01T11:00:01Z","RequestID":"b","EdgeResponseBytes":20}"#,
            r#"{"RequestTime":"2024-05-01T10:59:59Z","RequestID":"c","Unknown":[1,2]}"#,
            r#"{"RequestID":"d"}"#,
        ]
        .join("\n")
        .into_bytes()
    }

    fn staged(lines: &[u8]) -> Vec<u8> {
        stage_bytes::<L7Record>(lines).unwrap_or_else(|e| panic!("{}", e.reason))
    }

    /// Staged and read back: the partitions in order of first appearance, each with its rows,
    /// in the record type's columns.
    #[test]
    fn staged_columns_read_back_by_partition() {
        let dir = std::env::temp_dir().join(format!("teo-typed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("batch.arrow");
        std::fs::write(&path, staged(&lines())).unwrap();
        let parts = read::<L7Record>(&path).unwrap();
        let seen: Vec<(String, String, usize)> = parts
            .iter()
            .map(|(p, rows)| (p.date.clone(), p.hour.clone(), rows.num_rows()))
            .collect();
        let default = crate::dataset::HIVE_DEFAULT_PARTITION.to_owned();
        assert_eq!(
            seen,
            [
                ("2024-05-01".into(), "10".into(), 2),
                ("2024-05-01".into(), "11".into(), 1),
                (default.clone(), default, 1),
            ]
        );
        assert_eq!(parts[0].1.schema(), schema::<L7Record>());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Bodies of the default shapes are read in one pass (an array, or objects one after
    /// another, or none); any other body, or any fault, is left to the careful way.
    #[test]
    fn one_pass_reads_well_formed_default_shapes_only() {
        // (The fixture's array member would send it the careful way: see below.) Escapes,
        // sentinels and a date-time that is no instant: read alike both ways.
        let mut lines = String::from_utf8(lines()).unwrap().replace("[1,2]", "12");
        lines.push_str(concat!(
            "\n",
            r#"{"RequestTime":"yesterday","RequestUA":"a\"b\u00e9","ClientIP":"-","Extra":null}"#
        ));
        let array = format!("[{}]", lines.replace('\n', ","));
        for (body, records) in [(array.as_str(), 5), (&lines, 5), ("", 0), (" [ ] ", 0)] {
            let staged = stage_body::<L7Record>(body.as_bytes()).map(|(_, n)| n);
            assert_eq!(staged, Some(records), "{body:?}");
        }
        // The same records in one pass and line by line: the same file.
        let (one_pass, _) = stage_body::<L7Record>(array.as_bytes()).unwrap();
        assert_eq!(one_pass, staged(lines.as_bytes()));
        for body in [
            r#"[{"RequestID":"a","Tags":{"deep":[1]}}]"#,
            r#"[{"EdgeResponseBytes":"lots"}]"#,
            r#"[{"RequestID":"a"}] trailing"#,
            r#"[{"RequestID":"a"},]"#,
            r#"[1]"#,
            r#"{"RequestID":"a"} 7"#,
            "\u{a0}[]",
        ] {
            assert!(stage_body::<L7Record>(body.as_bytes()).is_none(), "{body}");
        }
    }

    /// A batch spanning more hours than a real-time batch could is refused at the record that
    /// goes past the limit, either way it is read (each hour costs a set of column builders).
    #[test]
    fn a_batch_over_too_many_hours_is_refused() {
        let record = |h: usize| {
            let t = time::OffsetDateTime::UNIX_EPOCH + time::Duration::hours(h as i64);
            let t = t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            format!(r#"{{"RequestTime":"{t}","RequestID":"r{h}"}}"#)
        };
        let within: Vec<String> = (0..MAX_HOURS).map(record).collect();
        assert!(stage_body::<L7Record>(within.join("\n").as_bytes()).is_some());
        let over: Vec<String> = (0..=MAX_HOURS).map(record).collect();
        let body = over.join("\n");
        assert!(stage_body::<L7Record>(body.as_bytes()).is_none());
        let error = stage_bytes::<L7Record>(body.as_bytes()).err().unwrap();
        assert_eq!(
            (error.record, error.label),
            (MAX_HOURS + 1, "too_many_hours")
        );
    }

    /// A record with a member of the wrong type fails the batch, naming the record.
    #[test]
    fn a_bad_member_names_its_record() {
        let mut bad = lines();
        bad.extend_from_slice(b"\n{\"EdgeResponseBytes\":\"lots\"}\n");
        let error = stage_bytes::<L7Record>(&bad).err().unwrap();
        assert_eq!(error.record, 5);
        assert!(
            error.reason.contains("EdgeResponseBytes"),
            "{}",
            error.reason
        );
    }

    /// `bytes` with every `from` replaced by `to`, of the same length.
    fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        let mut i = 0;
        while i + from.len() <= out.len() {
            if &out[i..i + from.len()] == from {
                out[i..i + to.len()].copy_from_slice(to);
            }
            i += 1;
        }
        out
    }

    /// A file that is not a staged batch of this record type, or whose partition list was
    /// tampered with, is an error, never a panic.
    #[test]
    fn crafted_files_are_refused() {
        let dir = std::env::temp_dir().join(format!("teo-typed-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("batch.arrow");
        let good = staged(&lines());
        for (bytes, said) in [
            (b"{\"not\":\"arrow\"}".to_vec(), "not a staged batch"),
            (good[..good.len() / 2].to_vec(), "unreadable rows"),
            (
                replaced(&good, b"2024-05-01", b"../../../x"),
                "a partition that is no date and hour",
            ),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            let error = read::<L7Record>(&path).err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains(said)),
                "{error:?}"
            );
        }
        std::fs::write(&path, &good).unwrap();
        let error = read::<crate::records::L4Record>(&path).err().unwrap();
        assert!(error.to_string().contains("not those of l4"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
