//! Files into a [`Summary`]: paths (files, or directories walked recursively without following
//! symbolic links, to a bounded depth), each file read by its own reader — JSON lines straight
//! into borrowed members by [`super::borrowed`] (the rules of [`Records`], which
//! [`JsonReader::Records`] uses instead), Parquet through the Arrow reader with only the columns
//! a summary needs — on `available_parallelism` threads or as many as asked (a file per thread
//! at a time), the per-thread summaries merged.
//!
//! # Limits
//!
//! Threads share the key capacity: each reads into tables of `key_capacity / threads` keys, so
//! the tables in memory hold at most `key_capacity` keys in all (twice that while a Parquet file
//! is read into its own tables, and while the threads' tables are merged), whatever the thread
//! count. Tables stay exact while each thread meets at most `key_capacity / threads` distinct
//! keys in a table (so whenever the input holds at most that many); past it, each listed key
//! carries its Space-Saving error (see [`super::topn`]). Session counts share their exact
//! capacity the same way (then HyperLogLog, [`super::distinct`]).
//!
//! # Errors
//!
//! A Parquet file is read into a summary of its own, merged only once it was read to its end:
//! a file that fails (an error, or a panic of the Parquet reader on corrupt data, caught by
//! [`super::contain`]) adds nothing but its name to the failures. Its footer's metadata length
//! is checked before the reader sees it ([`MAX_PARQUET_METADATA`]); the reader then checks each
//! list in it (row groups, columns) against the bytes left, so no count in a hostile footer
//! makes it allocate more than about that much. JSON lines are counted as they are read: a
//! file that fails midway (corrupt gzip) keeps the records before the damage, and is named.
//!
//! # Files read
//!
//! Ignored while walking: hidden names (`.…`, which includes the `.part` files of writes in
//! progress), the markers' directory `_teo_converted/`, symbolic links, and files of other
//! extensions. Files read: `.log`, `.log.gz`, `.ndjson`, `.jsonl` (optionally `.gz`) and
//! `.parquet`. A file named on the command line is read whatever its name (Parquet by its
//! magic bytes, else JSON lines).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::records::{L4Record, L7Record, LogRecord, RecordError, Records, DEFAULT_MAX_LINE};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use teo_client::models::DateTime;

use super::borrowed::{parse, Line, Schema};
use super::contain::contain;
use super::{BadLine, L4Fields, L7Fields, Options, Summary};
use crate::columns::epoch_millis;
use crate::dataset::sniff_kind;
use crate::records::LineReader;
use crate::{ConvertError, Kind};

/// Directory levels walked below a path given.
pub const DEFAULT_MAX_DEPTH: usize = 16;
/// Most threads a summary reads with (the CLI's `--threads` stops there too).
pub const MAX_THREADS: usize = 1024;
/// Rows per Arrow batch read from Parquet.
const BATCH_ROWS: usize = 8192;
/// The most footer metadata a Parquet file may claim (teo writes a few KiB per row group).
pub const MAX_PARQUET_METADATA: u64 = 64 << 20;
/// The markers' directory of a dataset (see [`crate::dataset`]).
const MARKERS: &str = "_teo_converted";

/// How to summarize files.
#[derive(Debug, Clone)]
pub struct SummarizeOptions {
    /// Read every file as this kind; files under a `kind=` directory of the other kind are
    /// skipped. `None`: each file's kind is detected from its metadata, its `kind=` directory or
    /// its first records.
    pub kind: Option<Kind>,
    /// Threads (0: `available_parallelism`; at most 1024, and never more than the
    /// files). They share `summary.key_capacity` and `summary.session_capacity` (see the
    /// module's documentation), so more threads take no more memory.
    pub threads: usize,
    /// Directory levels walked below a path given.
    pub max_depth: usize,
    /// Bounds of the summary's tables.
    pub summary: Options,
    /// How JSON lines are read.
    pub json_reader: JsonReader,
}

/// How JSON lines (packets, NDJSON) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonReader {
    /// Straight into the members a summary needs, borrowed from the line: the same rules as
    /// `Records`, several times faster.
    #[default]
    Fast,
    /// Through `crate::records::Records` and typed records (the reference).
    Records,
}

impl Default for SummarizeOptions {
    fn default() -> Self {
        SummarizeOptions {
            kind: None,
            threads: 0,
            max_depth: DEFAULT_MAX_DEPTH,
            summary: Options::default(),
            json_reader: JsonReader::Fast,
        }
    }
}

/// Why a path or file could not be summarized; each names its path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    /// Opening, reading or walking the path failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Reading the records failed (corrupt gzip data, an I/O error) after some were read.
    #[error("{}: {source}", path.display())]
    Records {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: RecordError,
    },
    /// The Parquet reader returned an error.
    #[error("{}: Parquet: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A column to be read is compressed with a codec this build does not decompress (the
    /// Parquet reader would only say "disabled feature").
    #[error("{}: column {column} is compressed with {codec}, which this teo does not read ({})", path.display(), codec_hint(codec))]
    Codec {
        /// The file.
        path: PathBuf,
        /// The column's path in the file's schema.
        column: String,
        /// The codec's name: `gzip`, `lz4`, `brotli`, `zstd`, …
        codec: &'static str,
    },
    /// A column could not be read as Arrow data.
    #[error("{}: Arrow: {source}", path.display())]
    Arrow {
        /// The file.
        path: PathBuf,
        /// Arrow's error.
        #[source]
        source: arrow_schema::ArrowError,
    },
    /// The Parquet reader panicked on the file's data.
    #[error("{}: corrupt Parquet: the reader failed ({reason})", path.display())]
    CorruptParquet {
        /// The file.
        path: PathBuf,
        /// The panic's message.
        reason: String,
    },
    /// The footer claims more metadata than `MAX_PARQUET_METADATA` (64 MiB): not read.
    #[error("{}: corrupt Parquet: its footer claims {claimed} bytes of metadata, more than the {max} read", path.display())]
    ParquetFooter {
        /// The file.
        path: PathBuf,
        /// Metadata length the footer claims, in bytes.
        claimed: u64,
        /// The most that is read, in bytes.
        max: u64,
    },
    /// A column a summary reads has a type it cannot read.
    #[error("{}: column {column} is {found}, not a type a summary reads", path.display())]
    ColumnType {
        /// The file.
        path: PathBuf,
        /// The column's name (a record member's wire name).
        column: &'static str,
        /// The column's type in the file.
        found: String,
    },
    /// No kind was given and the file's columns or lines are neither L4 nor L7 records.
    #[error("{}: cannot tell L4 from L7 records; give the kind", path.display())]
    UnknownKind {
        /// The file.
        path: PathBuf,
    },
    /// The file holds records of another kind than the one given.
    #[error("{}: holds {found} records, not {wanted}", path.display())]
    KindMismatch {
        /// The file.
        path: PathBuf,
        /// The kind its records are.
        found: Kind,
        /// The kind that was asked for.
        wanted: Kind,
    },
    /// The file holds records of a kind summaries do not cover (L4 and L7 only).
    #[error("{}: {kind} records are not summarized (l4 and l7 are)", path.display())]
    NotSummarized {
        /// The file.
        path: PathBuf,
        /// Its records' kind.
        kind: Kind,
    },
    /// A directory below the path given is nested deeper than [`SummarizeOptions::max_depth`].
    #[error("{}: more than {max_depth} directory levels deep; not read", path.display())]
    TooDeep {
        /// The directory not read.
        path: PathBuf,
        /// The limit, in directory levels.
        max_depth: usize,
    },
    /// A directory given holds no file a summary reads.
    #[error("{}: no log files (.log, .log.gz, .ndjson, .jsonl, .parquet) found", path.display())]
    NoInput {
        /// The directory.
        path: PathBuf,
    },
    /// A reading thread could not be started.
    #[error("cannot start a thread: {source}")]
    Thread {
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

impl SummaryError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            SummaryError::Io { path, .. }
            | SummaryError::Records { path, .. }
            | SummaryError::Parquet { path, .. }
            | SummaryError::Codec { path, .. }
            | SummaryError::Arrow { path, .. }
            | SummaryError::CorruptParquet { path, .. }
            | SummaryError::ParquetFooter { path, .. }
            | SummaryError::ColumnType { path, .. }
            | SummaryError::UnknownKind { path }
            | SummaryError::KindMismatch { path, .. }
            | SummaryError::NotSummarized { path, .. }
            | SummaryError::TooDeep { path, .. }
            | SummaryError::NoInput { path } => path,
            SummaryError::Thread { .. } => Path::new(""),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    JsonLines,
    Parquet,
    /// Named on the command line with another extension: detected by its first bytes.
    Sniff,
}

/// The format a file's name says, if it is one summarized.
fn format_of(name: &str) -> Option<Format> {
    let name = name.to_ascii_lowercase();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".parquet") {
        Some(Format::Parquet)
    } else if base.ends_with(".log") || base.ends_with(".ndjson") || base.ends_with(".jsonl") {
        Some(Format::JsonLines)
    } else {
        None
    }
}

fn kind_of_name(name: &str) -> Option<Kind> {
    match name {
        "kind=l7" => Some(Kind::L7),
        "kind=l4" => Some(Kind::L4),
        _ => None,
    }
}

/// The kind a `kind=l4|l7` directory on the path says (the nearest one).
fn kind_of_path(path: &Path) -> Option<Kind> {
    path.components().rev().skip(1).find_map(|c| match c {
        Component::Normal(name) => kind_of_name(name.to_str()?),
        _ => None,
    })
}

struct Input {
    path: PathBuf,
    format: Format,
}

/// The files to read under the paths given; problems met on the way (a directory too deep or
/// unreadable) go to `problems`.
fn collect(
    paths: &[PathBuf],
    options: &SummarizeOptions,
    problems: &mut Vec<SummaryError>,
) -> Result<Vec<Input>, SummaryError> {
    let mut files = Vec::new();
    for path in paths {
        // A path given is followed even when it is a link: the user named it.
        let meta = fs::metadata(path).map_err(|source| SummaryError::Io {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, 0, options, &mut files, problems);
            if files.len() == before && problems.is_empty() {
                return Err(SummaryError::NoInput { path: path.clone() });
            }
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(Input {
                path: path.clone(),
                format: format_of(&name).unwrap_or(Format::Sniff),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

fn walk(
    dir: &Path,
    depth: usize,
    options: &SummarizeOptions,
    files: &mut Vec<Input>,
    problems: &mut Vec<SummaryError>,
) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            problems.push(SummaryError::Io {
                path: dir.to_owned(),
                source,
            });
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                problems.push(SummaryError::Io {
                    path: dir.to_owned(),
                    source,
                });
                continue;
            }
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == MARKERS {
            continue;
        }
        let path = entry.path();
        // The entry's own type: a symbolic link is never followed.
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            // A dataset's partition of the other kind than the one asked for.
            if let (Some(wanted), Some(found)) = (options.kind, kind_of_name(&name)) {
                if wanted != found {
                    continue;
                }
            }
            if depth + 1 > options.max_depth {
                problems.push(SummaryError::TooDeep {
                    path,
                    max_depth: options.max_depth,
                });
                continue;
            }
            walk(&path, depth + 1, options, files, problems);
        } else if file_type.is_file() {
            if let Some(format) = format_of(&name) {
                files.push(Input { path, format });
            }
        }
    }
}

/// Summarizes the files at `paths` (see the module's documentation). Problems with single files
/// (a corrupt file, an unreadable directory inside) are kept in the summary
/// ([`Summary::failed`]); a path given that cannot be read, or a directory with no log file,
/// is an error.
pub fn summarize(
    paths: &[impl AsRef<Path>],
    options: &SummarizeOptions,
) -> Result<Summary, SummaryError> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_owned()).collect();
    let mut problems = Vec::new();
    let files = collect(&paths, options, &mut problems)?;
    // A count asked for is taken as it is (up to 1024): more threads than cores can help on
    // slow storage, and memory no longer depends on it.
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n.min(MAX_THREADS),
    }
    .min(files.len())
    .max(1);
    // The threads share the key capacity: memory does not grow with their number.
    let share = Options {
        key_capacity: (options.summary.key_capacity / threads).max(1),
        session_capacity: (options.summary.session_capacity / threads).max(1),
        ..options.summary
    };
    let next = AtomicUsize::new(0);
    let work = || {
        let mut summary = Summary::new(share);
        while let Some(input) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
            read_file(input, options, &mut summary);
        }
        summary
    };
    let mut summary = if threads == 1 {
        work()
    } else {
        std::thread::scope(|scope| -> Result<Summary, SummaryError> {
            let mut handles = Vec::with_capacity(threads);
            for i in 0..threads {
                let handle = std::thread::Builder::new()
                    .name(format!("summarize-{i}"))
                    .spawn_scoped(scope, work)
                    .map_err(|source| SummaryError::Thread { source })?;
                handles.push(handle);
            }
            let mut merged = Summary::new(options.summary);
            for handle in handles {
                match handle.join() {
                    Ok(part) => {
                        // Into tables of the whole capacity, not a thread's share.
                        if part.l7().is_some() {
                            merged.touch(Kind::L7);
                        }
                        if part.l4().is_some() {
                            merged.touch(Kind::L4);
                        }
                        merged.merge(part)
                    }
                    // A bug, not the input: let it show as the panic it is.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok(merged)
        })?
    };
    for problem in problems {
        summary.file_failed(problem);
    }
    Ok(summary)
}

/// Reads one file into `summary`; its failure is recorded there.
fn read_file(input: &Input, options: &SummarizeOptions, summary: &mut Summary) {
    summary.file_read();
    let path = &input.path;
    let format = match input.format {
        Format::Sniff => match is_parquet(path) {
            Ok(true) => Format::Parquet,
            Ok(false) => Format::JsonLines,
            Err(error) => return summary.file_failed(error),
        },
        format => format,
    };
    let result = match format {
        Format::Parquet => read_parquet_whole(path, options.kind, summary),
        _ => read_json_lines(path, options.kind, options.json_reader, summary),
    };
    if let Err(error) = result {
        summary.file_failed(error);
    }
}

fn is_parquet(path: &Path) -> Result<bool, SummaryError> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path).map_err(|source| SummaryError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut got = 0;
    while got < 4 {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(SummaryError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        }
    }
    Ok(got == 4 && &magic == b"PAR1")
}

fn read_json_lines(
    path: &Path,
    kind: Option<Kind>,
    reader: JsonReader,
    summary: &mut Summary,
) -> Result<(), SummaryError> {
    let kind = match kind.or_else(|| kind_of_path(path)) {
        Some(kind) => kind,
        None => sniff_kind(path).map_err(|e| match e {
            ConvertError::Records(RecordError::Io { source, .. }) => SummaryError::Io {
                path: path.to_owned(),
                source,
            },
            _ => SummaryError::UnknownKind {
                path: path.to_owned(),
            },
        })?,
    };
    if !matches!(kind, Kind::L4 | Kind::L7) {
        return Err(SummaryError::NotSummarized {
            path: path.to_owned(),
            kind,
        });
    }
    summary.touch(kind);
    match (kind, reader) {
        (Kind::L7, JsonReader::Records) => {
            read_records::<L7Record>(path, summary, |s, r| s.add_l7_record(r))
        }
        (Kind::L4, JsonReader::Records) => {
            read_records::<L4Record>(path, summary, |s, r| s.add_l4_record(r))
        }
        (Kind::L7, JsonReader::Fast) => {
            let schema = Schema::of::<L7Record>();
            let [time, host, url, ip, region, cache, status, bytes, response_time] =
                L7_COLUMNS.map(|c| schema.slot(c));
            read_fast(path, &schema, summary, |s, line| {
                let host = line.text(host)?;
                let url = line.text(url)?;
                let ip = line.text(ip)?;
                let region = line.text(region)?;
                let cache = line.text(cache)?;
                s.add_l7(&L7Fields {
                    time_ms: line.time(time)?,
                    host: host.as_deref(),
                    url: url.as_deref(),
                    client_ip: ip.as_deref(),
                    region: region.as_deref(),
                    cache_status: cache.as_deref(),
                    status: line.int(status)?,
                    bytes: line.int(bytes)?,
                    response_time: line.int(response_time)?,
                });
                Ok(())
            })
        }
        (Kind::L4, JsonReader::Fast) => {
            let schema = Schema::of::<L4Record>();
            let [log_time, connect_time, session, ip, region, port, reason, sent, received] =
                L4_COLUMNS.map(|c| schema.slot(c));
            read_fast(path, &schema, summary, |s, line| {
                let session = line.text(session)?;
                let ip = line.text(ip)?;
                let region = line.text(region)?;
                let reason = line.text(reason)?;
                let time_ms = match line.time(log_time)? {
                    Some(ms) => Some(ms),
                    None => line.time(connect_time)?,
                };
                s.add_l4(&L4Fields {
                    time_ms,
                    session_id: session.as_deref(),
                    client_ip: ip.as_deref(),
                    region: region.as_deref(),
                    port: line.int(port)?,
                    disconnect_reason: reason.as_deref(),
                    sent: line.int(sent)?,
                    received: line.int(received)?,
                });
                Ok(())
            })
        }
        (other, _) => Err(SummaryError::NotSummarized {
            path: path.to_owned(),
            kind: other,
        }),
    }
}

/// Reads JSON lines with [`borrowed`](super::borrowed): each good line through `add`, bad lines counted.
fn read_fast(
    path: &Path,
    schema: &Schema,
    summary: &mut Summary,
    add: impl Fn(&mut Summary, &Line<'_>) -> Result<(), String>,
) -> Result<(), SummaryError> {
    let mut reader =
        LineReader::open(path, DEFAULT_MAX_LINE).map_err(|source| SummaryError::Io {
            path: path.to_owned(),
            source,
        })?;
    let mut bad = Vec::new();
    let mut bad_count = 0u64;
    let mut failure = None;
    loop {
        let (number, reason) = match reader.next_line() {
            Ok(None) => break,
            Ok(Some((number, None))) => (number, format!("longer than {DEFAULT_MAX_LINE} bytes")),
            Ok(Some((_, Some([])))) => continue,
            Ok(Some((number, Some(text)))) => {
                match parse(schema, text).and_then(|line| add(summary, &line)) {
                    Ok(()) => continue,
                    Err(reason) => (number, reason),
                }
            }
            Err(source) => {
                failure = Some(SummaryError::Records {
                    path: path.to_owned(),
                    source: RecordError::Io {
                        file: Some(path.to_owned()),
                        source,
                    },
                });
                break;
            }
        };
        bad_count += 1;
        if bad.len() < super::KEPT_PROBLEMS {
            bad.push(BadLine {
                file: path.to_owned(),
                line: number,
                reason,
            });
        }
    }
    summary.bad_lines(bad_count, bad);
    failure.map_or(Ok(()), Err)
}

fn read_records<T: LogRecord>(
    path: &Path,
    summary: &mut Summary,
    add: impl Fn(&mut Summary, &T),
) -> Result<(), SummaryError> {
    let mut records = Records::<T>::open(path).map_err(|source| SummaryError::Records {
        path: path.to_owned(),
        source,
    })?;
    let mut failure = None;
    for item in records.by_ref() {
        match item {
            Ok(record) => add(summary, &record),
            Err(source) => {
                failure = Some(SummaryError::Records {
                    path: path.to_owned(),
                    source,
                });
                break;
            }
        }
    }
    let first = records.bad().iter().filter_map(|e| match e {
        RecordError::BadLine { file, line, reason } => Some(BadLine {
            file: file.clone().unwrap_or_else(|| path.to_owned()),
            line: *line,
            reason: reason.clone(),
        }),
        _ => None,
    });
    summary.bad_lines(records.bad_count(), first);
    failure.map_or(Ok(()), Err)
}

/// The columns a summary reads from Parquet, by kind.
const L7_COLUMNS: [&str; 9] = [
    "RequestTime",
    "RequestHost",
    "RequestUrl",
    "ClientIP",
    "ClientRegion",
    "EdgeCacheStatus",
    "EdgeResponseStatusCode",
    "EdgeResponseBytes",
    "EdgeResponseTime",
];
const L4_COLUMNS: [&str; 9] = [
    "LogTimeStamp",
    "ConnectTimeStamp",
    "SessionID",
    "ClientRealIP",
    "ClientRegion",
    "ForwardPort",
    "DisconnetReason",
    "SentBytes",
    "ReceivedBytes",
];

/// Reads a Parquet file into a summary of its own, merged into `summary` only when the whole
/// file was read: a file that fails, or panics the reader, adds no record.
fn read_parquet_whole(
    path: &Path,
    wanted: Option<Kind>,
    summary: &mut Summary,
) -> Result<(), SummaryError> {
    let mut file_summary = Summary::new(summary.options());
    match contain(|| read_parquet(path, wanted, &mut file_summary)) {
        Ok(Ok(())) => {
            summary.merge(file_summary);
            Ok(())
        }
        Ok(Err(error)) => Err(error),
        Err(reason) => Err(SummaryError::CorruptParquet {
            path: path.to_owned(),
            reason,
        }),
    }
}

/// Fails a footer that claims more metadata than [`MAX_PARQUET_METADATA`], before the reader
/// allocates room for it. (A claim beyond the file's length the reader fails itself.)
fn check_footer(path: &Path, mut file: &File) -> Result<(), SummaryError> {
    let io_error = |source| SummaryError::Io {
        path: path.to_owned(),
        source,
    };
    let len = file.metadata().map_err(io_error)?.len();
    if len < 8 {
        return Ok(());
    }
    let mut footer = [0u8; 8];
    file.seek(SeekFrom::Start(len - 8)).map_err(io_error)?;
    file.read_exact(&mut footer).map_err(io_error)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let claimed = u64::from(u32::from_le_bytes([
        footer[0], footer[1], footer[2], footer[3],
    ]));
    if claimed > MAX_PARQUET_METADATA {
        return Err(SummaryError::ParquetFooter {
            path: path.to_owned(),
            claimed,
            max: MAX_PARQUET_METADATA,
        });
    }
    Ok(())
}

fn read_parquet(
    path: &Path,
    wanted: Option<Kind>,
    summary: &mut Summary,
) -> Result<(), SummaryError> {
    let parquet_error = |source| SummaryError::Parquet {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(|source| SummaryError::Io {
        path: path.to_owned(),
        source,
    })?;
    check_footer(path, &file)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let roots: Vec<String> = builder
        .parquet_schema()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    let has = |name: &str| roots.iter().any(|r| r == name);
    let written = match builder
        .schema()
        .metadata()
        .get("teo.kind")
        .map(String::as_str)
    {
        Some("l7") => Some(Kind::L7),
        Some("l4") => Some(Kind::L4),
        _ => kind_of_path(path),
    };
    let by_columns = if has("RequestTime") || has("EdgeResponseStatusCode") {
        Some(Kind::L7)
    } else if has("LogTimeStamp") || has("ConnectTimeStamp") || has("SessionID") {
        Some(Kind::L4)
    } else {
        None
    };
    let kind = match (wanted, written.or(by_columns)) {
        (Some(wanted), Some(found)) if wanted != found => {
            return Err(SummaryError::KindMismatch {
                path: path.to_owned(),
                found,
                wanted,
            })
        }
        (Some(kind), _) | (None, Some(kind)) => kind,
        (None, None) => {
            return Err(SummaryError::UnknownKind {
                path: path.to_owned(),
            })
        }
    };
    let columns: &[&str] = match kind {
        Kind::L7 => &L7_COLUMNS,
        Kind::L4 => &L4_COLUMNS,
        other => {
            return Err(SummaryError::NotSummarized {
                path: path.to_owned(),
                kind: other,
            })
        }
    };
    let indices: Vec<usize> = roots
        .iter()
        .enumerate()
        .filter(|(_, name)| columns.contains(&name.as_str()))
        .map(|(i, _)| i)
        .collect();
    if let Some((column, codec)) = unreadable_codec(&builder, &indices) {
        return Err(SummaryError::Codec {
            path: path.to_owned(),
            column,
            codec,
        });
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_error)?;
    summary.touch(kind);
    for batch in reader {
        let batch = batch.map_err(|source| SummaryError::Arrow {
            path: path.to_owned(),
            source,
        })?;
        match kind {
            Kind::L7 => add_l7_batch(path, &batch, summary)?,
            Kind::L4 => add_l4_batch(path, &batch, summary)?,
            // Refused above, before any batch.
            _ => {}
        }
    }
    Ok(())
}

/// The first column chunk of the columns to be read (`roots`, indices of root columns) that is
/// compressed with a codec this build cannot decompress: its column path and the codec's name.
fn unreadable_codec<T>(
    builder: &parquet::arrow::arrow_reader::ArrowReaderBuilder<T>,
    roots: &[usize],
) -> Option<(String, &'static str)> {
    let schema = builder.parquet_schema();
    builder
        .metadata()
        .row_groups()
        .iter()
        .flat_map(|group| group.columns().iter().enumerate())
        // A leaf the schema does not have cannot be read anyway: the reader reports it.
        .filter(|(leaf, _)| *leaf < schema.num_columns())
        .filter(|(leaf, _)| roots.contains(&schema.get_column_root_idx(*leaf)))
        .find_map(|(leaf, chunk)| {
            codec_name(chunk.compression())
                .map(|codec| (schema.column(leaf).path().string(), codec))
        })
}

/// The name of `codec` when this build cannot decompress it; `None` when it can: no
/// compression and snappy always, zstd with the `zstd` feature.
fn codec_name(codec: parquet::basic::Compression) -> Option<&'static str> {
    use parquet::basic::Compression;
    match codec {
        Compression::UNCOMPRESSED | Compression::SNAPPY => None,
        Compression::ZSTD(_) if cfg!(feature = "zstd") => None,
        Compression::ZSTD(_) => Some("zstd"),
        Compression::GZIP(_) => Some("gzip"),
        Compression::LZO => Some("lzo"),
        Compression::BROTLI(_) => Some("brotli"),
        Compression::LZ4 => Some("lz4"),
        Compression::LZ4_RAW => Some("lz4_raw"),
    }
}

/// What to do about a codec [`codec_name`] named.
fn codec_hint(codec: &str) -> &'static str {
    if codec == "zstd" {
        "it was built without the `zstd` feature, which the default build has"
    } else if cfg!(feature = "zstd") {
        "it reads Parquet compressed with snappy or zstd, or not compressed"
    } else {
        "it reads Parquet compressed with snappy, or not compressed"
    }
}

/// A column read as text: sentinels (`""`, `"-"`) and nulls are absent.
enum TextColumn<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
    Missing,
}

impl<'a> TextColumn<'a> {
    fn of(path: &Path, batch: &'a RecordBatch, name: &'static str) -> Result<Self, SummaryError> {
        let Some(array) = batch.column_by_name(name) else {
            return Ok(TextColumn::Missing);
        };
        if let Some(a) = array.as_string_opt::<i32>() {
            Ok(TextColumn::Utf8(a))
        } else if let Some(a) = array.as_string_opt::<i64>() {
            Ok(TextColumn::LargeUtf8(a))
        } else if let Some(a) = array.as_string_view_opt() {
            Ok(TextColumn::View(a))
        } else if array.data_type() == &DataType::Null {
            Ok(TextColumn::Missing)
        } else {
            Err(column_type(path, name, array))
        }
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        let value = match self {
            TextColumn::Utf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            TextColumn::LargeUtf8(a) => (!a.is_null(i)).then(|| a.value(i)),
            TextColumn::View(a) => (!a.is_null(i)).then(|| a.value(i)),
            TextColumn::Missing => None,
        };
        value.filter(|v| !v.is_empty() && *v != "-")
    }
}

fn column_type(path: &Path, name: &'static str, array: &ArrayRef) -> SummaryError {
    SummaryError::ColumnType {
        path: path.to_owned(),
        column: name,
        found: array.data_type().to_string(),
    }
}

/// A column read as integers: nulls and the sentinel -1 are absent.
enum IntColumn<'a> {
    I64(&'a arrow_array::Int64Array),
    I32(&'a arrow_array::Int32Array),
    U64(&'a arrow_array::UInt64Array),
    Text(TextColumn<'a>),
    Missing,
}

impl<'a> IntColumn<'a> {
    fn of(path: &Path, batch: &'a RecordBatch, name: &'static str) -> Result<Self, SummaryError> {
        let Some(array) = batch.column_by_name(name) else {
            return Ok(IntColumn::Missing);
        };
        Ok(if let Some(a) = array.as_primitive_opt::<Int64Type>() {
            IntColumn::I64(a)
        } else if let Some(a) = array.as_primitive_opt::<Int32Type>() {
            IntColumn::I32(a)
        } else if let Some(a) = array.as_primitive_opt::<UInt64Type>() {
            IntColumn::U64(a)
        } else if array.data_type() == &DataType::Null {
            IntColumn::Missing
        } else {
            match TextColumn::of(path, batch, name) {
                Ok(text) => IntColumn::Text(text),
                Err(_) => return Err(column_type(path, name, array)),
            }
        })
    }

    fn get(&self, i: usize) -> Option<i64> {
        let value = match self {
            IntColumn::I64(a) => (!a.is_null(i)).then(|| a.value(i)),
            IntColumn::I32(a) => (!a.is_null(i)).then(|| i64::from(a.value(i))),
            IntColumn::U64(a) => (!a.is_null(i)).then(|| i64::try_from(a.value(i)).ok())?,
            IntColumn::Text(t) => t.get(i).and_then(|s| s.trim().parse().ok()),
            IntColumn::Missing => None,
        };
        value.filter(|&v| v != -1)
    }
}

/// A column read as instants (epoch ms): timestamps of any unit, or RFC 3339 text.
enum TimeColumn<'a> {
    Millis(&'a arrow_array::TimestampMillisecondArray),
    Seconds(&'a arrow_array::TimestampSecondArray),
    Micros(&'a arrow_array::TimestampMicrosecondArray),
    Nanos(&'a arrow_array::TimestampNanosecondArray),
    Text(TextColumn<'a>),
    Missing,
}

impl<'a> TimeColumn<'a> {
    fn of(path: &Path, batch: &'a RecordBatch, name: &'static str) -> Result<Self, SummaryError> {
        let Some(array) = batch.column_by_name(name) else {
            return Ok(TimeColumn::Missing);
        };
        let wrong = || column_type(path, name, array);
        Ok(match array.data_type() {
            DataType::Timestamp(TimeUnit::Millisecond, _) => TimeColumn::Millis(
                array
                    .as_primitive_opt::<TimestampMillisecondType>()
                    .ok_or_else(wrong)?,
            ),
            DataType::Timestamp(TimeUnit::Second, _) => TimeColumn::Seconds(
                array
                    .as_primitive_opt::<TimestampSecondType>()
                    .ok_or_else(wrong)?,
            ),
            DataType::Timestamp(TimeUnit::Microsecond, _) => TimeColumn::Micros(
                array
                    .as_primitive_opt::<TimestampMicrosecondType>()
                    .ok_or_else(wrong)?,
            ),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => TimeColumn::Nanos(
                array
                    .as_primitive_opt::<TimestampNanosecondType>()
                    .ok_or_else(wrong)?,
            ),
            DataType::Null => TimeColumn::Missing,
            _ => TimeColumn::Text(TextColumn::of(path, batch, name).map_err(|_| wrong())?),
        })
    }

    fn get(&self, i: usize) -> Option<i64> {
        match self {
            TimeColumn::Millis(a) => (!a.is_null(i)).then(|| a.value(i)),
            TimeColumn::Seconds(a) => (!a.is_null(i))
                .then(|| a.value(i).checked_mul(1000))
                .flatten(),
            TimeColumn::Micros(a) => (!a.is_null(i)).then(|| a.value(i) / 1000),
            TimeColumn::Nanos(a) => (!a.is_null(i)).then(|| a.value(i) / 1_000_000),
            TimeColumn::Text(t) => t
                .get(i)
                .and_then(|s| DateTime::parse(s).ok())
                .and_then(|t| t.instant())
                .and_then(epoch_millis),
            TimeColumn::Missing => None,
        }
    }
}

fn add_l7_batch(
    path: &Path,
    batch: &RecordBatch,
    summary: &mut Summary,
) -> Result<(), SummaryError> {
    let time = TimeColumn::of(path, batch, "RequestTime")?;
    let host = TextColumn::of(path, batch, "RequestHost")?;
    let url = TextColumn::of(path, batch, "RequestUrl")?;
    let ip = TextColumn::of(path, batch, "ClientIP")?;
    let region = TextColumn::of(path, batch, "ClientRegion")?;
    let cache = TextColumn::of(path, batch, "EdgeCacheStatus")?;
    let status = IntColumn::of(path, batch, "EdgeResponseStatusCode")?;
    let bytes = IntColumn::of(path, batch, "EdgeResponseBytes")?;
    let response_time = IntColumn::of(path, batch, "EdgeResponseTime")?;
    for i in 0..batch.num_rows() {
        summary.add_l7(&L7Fields {
            time_ms: time.get(i),
            host: host.get(i),
            url: url.get(i),
            client_ip: ip.get(i),
            region: region.get(i),
            cache_status: cache.get(i),
            status: status.get(i),
            bytes: bytes.get(i),
            response_time: response_time.get(i),
        });
    }
    Ok(())
}

fn add_l4_batch(
    path: &Path,
    batch: &RecordBatch,
    summary: &mut Summary,
) -> Result<(), SummaryError> {
    let log_time = TimeColumn::of(path, batch, "LogTimeStamp")?;
    let connect_time = TimeColumn::of(path, batch, "ConnectTimeStamp")?;
    let session = TextColumn::of(path, batch, "SessionID")?;
    let ip = TextColumn::of(path, batch, "ClientRealIP")?;
    let region = TextColumn::of(path, batch, "ClientRegion")?;
    let port = IntColumn::of(path, batch, "ForwardPort")?;
    let reason = TextColumn::of(path, batch, "DisconnetReason")?;
    let sent = IntColumn::of(path, batch, "SentBytes")?;
    let received = IntColumn::of(path, batch, "ReceivedBytes")?;
    for i in 0..batch.num_rows() {
        summary.add_l4(&L4Fields {
            time_ms: log_time.get(i).or_else(|| connect_time.get(i)),
            session_id: session.get(i),
            client_ip: ip.get(i),
            region: region.get(i),
            port: port.get(i),
            disconnect_reason: reason.get(i),
            sent: sent.get(i),
            received: received.get(i),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snappy and no compression always; zstd with the feature, and without it the message
    /// names the feature; anything else names the codecs read.
    #[test]
    fn codecs_this_build_reads() {
        use parquet::basic::{Compression, GzipLevel, ZstdLevel};
        assert_eq!(codec_name(Compression::SNAPPY), None);
        assert_eq!(codec_name(Compression::UNCOMPRESSED), None);
        assert_eq!(
            codec_name(Compression::GZIP(GzipLevel::default())),
            Some("gzip")
        );
        assert_eq!(codec_name(Compression::LZ4_RAW), Some("lz4_raw"));
        assert!(codec_hint("gzip").contains("snappy"));
        let zstd = codec_name(Compression::ZSTD(ZstdLevel::default()));
        assert_eq!(zstd.is_none(), cfg!(feature = "zstd"));
        if let Some(zstd) = zstd {
            assert!(codec_hint(zstd).contains("`zstd` feature"));
        }
    }

    #[test]
    fn names_and_kinds() {
        assert_eq!(format_of("a.log.gz"), Some(Format::JsonLines));
        assert_eq!(format_of("a.LOG"), Some(Format::JsonLines));
        assert_eq!(format_of("a.ndjson"), Some(Format::JsonLines));
        assert_eq!(format_of("a.jsonl.gz"), Some(Format::JsonLines));
        assert_eq!(format_of("a.parquet"), Some(Format::Parquet));
        assert_eq!(format_of("a.csv"), None);
        assert_eq!(format_of("a.parquet.done"), None);
        assert_eq!(
            kind_of_path(Path::new(
                "d/kind=l4/zone=z/date=2024-05-01/hour=10/p.parquet"
            )),
            Some(Kind::L4)
        );
        assert_eq!(kind_of_path(Path::new("kind=l7")), None);
    }
}
