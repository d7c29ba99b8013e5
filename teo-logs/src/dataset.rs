//! A Hive-partitioned dataset of log records in a directory:
//!
//! ```text
//! <root>/kind=l7/zone=<zone>/date=2024-05-01/hour=10/<packet>.parquet
//! <root>/_teo_converted/kind=l7/zone=<zone>/<packet>.parquet.done
//! ```
//!
//! - A record goes to the `date=`/`hour=` (UTC) of its own time (`RequestTime` for L7,
//!   `LogTimeStamp` for L4), so a query's `WHERE date = … AND hour = …` is exact even for a
//!   record that strays past its packet's hour; a record without a time goes to Hive's default
//!   partition (`__HIVE_DEFAULT_PARTITION__`, which engines read as null).
//! - Each packet becomes its own file in each partition it touches (usually one), named after
//!   the packet, so converting packets in parallel or again never clashes.
//! - A file is written under a hidden temporary name (`.<name>.<random>.part`, created
//!   exclusively: never through a planted link), synced and renamed: a file under its final
//!   name is always whole. Directories are created one by one and a symbolic link in their
//!   place is refused.
//! - Once every file of a packet is in place, a marker under `_teo_converted/` records it
//!   (engines skip `_`-prefixed directories): a rerun skips converted packets, and a packet
//!   interrupted half-way is converted again, replacing its files.
//! - Memory is bounded whatever the packet's size: records stream from the reader, and at most
//!   [`MAX_OPEN_PARTITIONS`] files are open per packet, each holding at most one row group.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use teo_client::logs::records::{
    BadLines, L4Record, L7Record, LogRecord, RecordError, Records, DEFAULT_MAX_LINE,
};
use time::OffsetDateTime;

use crate::columns::Table;
use crate::dest::{CreateError, Destination, OutFile};
use crate::encode::{EncodeError, Encoder};
use crate::{Format, Kind};

/// Files open at once while converting one packet. A packet's records normally share one hour;
/// when they spread over more, the least recently written file is closed and a later record
/// of its partition starts a new file (`<packet>-1.parquet`, …): bounded memory, nothing lost.
pub const MAX_OPEN_PARTITIONS: usize = 4;
/// Hive's name for a partition whose value is null.
pub const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";
/// Where markers of converted packets go.
const MARKERS: &str = "_teo_converted";
/// Longest file stem written (bytes), leaving room for suffixes and the temporary name.
const MAX_STEM: usize = 180;
/// Bad lines listed in a report; more are only counted.
const KEPT_BAD_LINES: usize = 20;

/// Why a packet could not be converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The input failed, or a bad line with [`BadLines::Fail`].
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error("{}: {source}", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: EncodeError,
    },
    #[error("{}: cannot tell L4 from L7 records (no line read as either); give the kind", path.display())]
    UnknownKind { path: PathBuf },
    /// A file or directory of the dataset could not be created (a planted link included).
    #[error(transparent)]
    Create(#[from] CreateError),
}

/// What converting one packet did.
#[derive(Debug, Clone, Default)]
pub struct ConvertReport {
    /// Records written.
    pub records: u64,
    /// Lines that could not be read (skipped).
    pub bad_lines: u64,
    /// The first bad lines, `file:line: reason`.
    pub bad: Vec<String>,
    /// The files written, relative to the dataset's root.
    pub files: Vec<PathBuf>,
    /// Bytes written into them.
    pub bytes_written: u64,
    /// The packet was converted by an earlier run; nothing was read.
    pub skipped: bool,
}

/// A dataset in a local directory or an object store, in one [`Format`].
#[derive(Debug, Clone)]
pub struct Dataset {
    dest: Destination,
    format: Format,
    bad_lines: BadLines,
    max_line: usize,
}

impl Dataset {
    /// A dataset rooted at `root` (created if missing).
    pub fn local(root: impl Into<PathBuf>, format: Format) -> Result<Dataset, ConvertError> {
        Dataset::new(Destination::Local(root.into()), format)
    }

    /// A dataset at `dest` (a local directory is created if missing).
    pub fn new(dest: Destination, format: Format) -> Result<Dataset, ConvertError> {
        dest.prepare().map_err(|source| ConvertError::Io {
            path: PathBuf::from(dest.display()),
            source,
        })?;
        Ok(Dataset {
            dest,
            format,
            bad_lines: BadLines::Skip,
            max_line: DEFAULT_MAX_LINE,
        })
    }

    /// What a bad line does: skipped and counted (the default) or the packet's failure.
    pub fn bad_lines(mut self, policy: BadLines) -> Self {
        self.bad_lines = policy;
        self
    }

    /// The longest line read, in bytes (see [`Records::max_line`]).
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Converts the packet at `input` (`.log.gz` or `.log`; gzip told by its content) unless an
    /// earlier run did. `kind`: told from the first record when `None`. `zone`: the `zone=`
    /// partition, Hive's default (null) when `None`.
    pub fn convert_file(
        &self,
        input: impl AsRef<Path>,
        kind: Option<Kind>,
        zone: Option<&str>,
    ) -> Result<ConvertReport, ConvertError> {
        let input = input.as_ref();
        let kind = match kind {
            Some(kind) => kind,
            None => sniff_kind(input)?,
        };
        let stem = output_stem(input);
        if self.is_converted(kind, zone, &stem) {
            return Ok(ConvertReport {
                skipped: true,
                ..ConvertReport::default()
            });
        }
        match kind {
            Kind::L7 => self.convert(Records::<L7Record>::open(input)?, &stem, zone),
            Kind::L4 => self.convert(Records::<L4Record>::open(input)?, &stem, zone),
        }
    }

    /// Converts many packets, `threads` at once (a packet per thread; 0: one per core). The
    /// results come in the order of `inputs`.
    pub fn convert_files(
        &self,
        inputs: &[PathBuf],
        kind: Option<Kind>,
        zone: Option<&str>,
        threads: usize,
    ) -> Vec<Result<ConvertReport, ConvertError>> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<ConvertReport, ConvertError>>>> =
            Mutex::new(inputs.iter().map(|_| None).collect());
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        std::thread::scope(|scope| {
            for _ in 0..threads.min(inputs.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = inputs.get(i) else { break };
                    let result = self.convert_file(path, kind, zone);
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(result);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .zip(inputs)
            .map(|(result, path)| {
                result.unwrap_or_else(|| {
                    Err(ConvertError::Io {
                        path: path.clone(),
                        source: io::Error::other("the conversion thread panicked"),
                    })
                })
            })
            .collect()
    }

    /// Whether the packet named `stem` (see [`output_stem`]) is converted already (when that
    /// cannot be told, it is not: converting again only replaces its files). Blocks.
    pub fn is_converted(&self, kind: Kind, zone: Option<&str>, stem: &str) -> bool {
        let marker = self.marker(kind, zone, stem);
        matches!(self.dest.size(&marker), Ok(Some(_)))
    }

    fn marker(&self, kind: Kind, zone: Option<&str>, stem: &str) -> PathBuf {
        let mut path = PathBuf::from(MARKERS);
        path.push(format!("kind={kind}"));
        path.push(format!("zone={}", hive_value(zone)));
        path.push(format!("{stem}.{}.done", self.format.extension()));
        path
    }

    /// Converts the records of one packet, named `stem` in the dataset, into their partitions.
    pub fn convert<T: Table>(
        &self,
        records: Records<T>,
        stem: &str,
        zone: Option<&str>,
    ) -> Result<ConvertReport, ConvertError> {
        let kind = kind_of::<T>();
        let records = records.bad_lines(self.bad_lines).max_line(self.max_line);
        let mut run = Conversion::<T> {
            dataset: self,
            base: PathBuf::from(format!("kind={kind}")).join(format!("zone={}", hive_value(zone))),
            stem,
            open: Vec::new(),
            opened: Vec::new(),
            tick: 0,
            report: ConvertReport::default(),
        };
        let mut records = records;
        for item in records.by_ref() {
            let record = item?;
            run.push(&record)?;
        }
        run.report.bad_lines = records.bad_count();
        run.report.bad = records
            .bad()
            .iter()
            .take(KEPT_BAD_LINES)
            .map(|e| e.to_string())
            .collect();
        let mut report = run.finish()?;
        // The marker comes last: it says every file above is in place.
        let marker = self.marker(kind, zone, stem);
        let text = serde_json::json!({
            "records": report.records,
            "bad_lines": report.bad_lines,
            "files": report.files.iter().map(|f| f.to_string_lossy()).collect::<Vec<_>>(),
        })
        .to_string();
        let mut file = self.dest.create(&marker)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.commit())
            .map_err(|source| ConvertError::Io {
                path: self.dest.name(&marker),
                source,
            })?;
        report.skipped = false;
        Ok(report)
    }
}

fn kind_of<T: Table>() -> Kind {
    if T::KIND == Kind::L4.as_str() {
        Kind::L4
    } else {
        Kind::L7
    }
}

/// The partition a record goes to: `date=YYYY-MM-DD`, `hour=HH` (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Partition {
    date: String,
    hour: String,
}

impl Partition {
    fn of(time: Option<OffsetDateTime>) -> Partition {
        match time.map(|t| t.to_offset(time::UtcOffset::UTC)) {
            Some(t) => Partition {
                date: format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day()),
                hour: format!("{:02}", t.hour()),
            },
            None => Partition {
                date: HIVE_DEFAULT_PARTITION.to_owned(),
                hour: HIVE_DEFAULT_PARTITION.to_owned(),
            },
        }
    }
}

struct OpenFile<T: Table> {
    partition: Partition,
    relative: PathBuf,
    encoder: Encoder<T, Counted<OutFile>>,
    last_used: u64,
}

/// One packet's conversion in progress.
struct Conversion<'a, T: Table> {
    dataset: &'a Dataset,
    base: PathBuf,
    stem: &'a str,
    open: Vec<OpenFile<T>>,
    /// How many files each partition has had, for the names of reopened ones.
    opened: Vec<(Partition, u32)>,
    tick: u64,
    report: ConvertReport,
}

impl<T: Table> Conversion<'_, T> {
    fn push(&mut self, record: &T) -> Result<(), ConvertError> {
        self.tick += 1;
        let partition = Partition::of(record.time());
        let index = match self.open.iter().position(|f| f.partition == partition) {
            Some(index) => index,
            None => self.open_file(partition)?,
        };
        let file = &mut self.open[index];
        file.last_used = self.tick;
        file.encoder
            .push(record)
            .map_err(|source| ConvertError::Encode {
                path: self.dataset.dest.name(&file.relative),
                source,
            })?;
        self.report.records += 1;
        Ok(())
    }

    fn open_file(&mut self, partition: Partition) -> Result<usize, ConvertError> {
        if self.open.len() >= MAX_OPEN_PARTITIONS {
            let oldest = self
                .open
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| f.last_used)
                .map_or(0, |(i, _)| i);
            let file = self.open.swap_remove(oldest);
            self.close(file)?;
        }
        let count = match self.opened.iter_mut().find(|(p, _)| *p == partition) {
            Some((_, n)) => {
                *n += 1;
                *n - 1
            }
            None => {
                self.opened.push((partition.clone(), 1));
                0
            }
        };
        let ext = self.dataset.format.extension();
        let name = match count {
            0 => format!("{}.{ext}", self.stem),
            n => format!("{}-{n}.{ext}", self.stem),
        };
        let relative = self
            .base
            .join(format!("date={}", partition.date))
            .join(format!("hour={}", partition.hour))
            .join(name);
        let file = self.dataset.dest.create(&relative)?;
        let encoder = Encoder::new(self.dataset.format, Counted::new(file)).map_err(|source| {
            ConvertError::Encode {
                path: self.dataset.dest.name(&relative),
                source,
            }
        })?;
        self.open.push(OpenFile {
            partition,
            relative,
            encoder,
            last_used: self.tick,
        });
        Ok(self.open.len() - 1)
    }

    fn close(&mut self, file: OpenFile<T>) -> Result<(), ConvertError> {
        let path = self.dataset.dest.name(&file.relative);
        let counted = file
            .encoder
            .finish()
            .map_err(|source| ConvertError::Encode {
                path: path.clone(),
                source,
            })?;
        self.report.bytes_written += counted.bytes;
        counted
            .inner
            .commit()
            .map_err(|source| ConvertError::Io { path, source })?;
        self.report.files.push(file.relative);
        Ok(())
    }

    fn finish(mut self) -> Result<ConvertReport, ConvertError> {
        let open = std::mem::take(&mut self.open);
        for file in open {
            self.close(file)?;
        }
        self.report.files.sort();
        Ok(self.report)
    }
}

/// A writer that counts the bytes through it.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W> Counted<W> {
    fn new(inner: W) -> Self {
        Counted { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A partition value as a path segment: Hive's escaping (`%XX`) of every byte outside
/// `[A-Za-z0-9._-]`, and of a leading `.` (never `.`, `..` or hidden); Hive's default
/// partition for `None` or empty.
pub fn hive_value(value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return HIVE_DEFAULT_PARTITION.to_owned();
    };
    let mut out = String::with_capacity(value.len());
    for (i, b) in value.bytes().enumerate() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => out.push(b as char),
            b'.' if i > 0 => out.push('.'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The name a packet's files get: its file name without `.gz`, `.log`, `.ndjson`, `.jsonl` or
/// `.json`, every byte outside `[A-Za-z0-9._-]` replaced by `_`, never hidden, at most 180
/// bytes (a longer one is cut and ends with a hash of the whole).
pub fn output_stem(input: &Path) -> String {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for suffix in [".gz", ".log", ".ndjson", ".jsonl", ".json"] {
        stem = stem.strip_suffix(suffix).unwrap_or(stem);
    }
    let mut safe: String = stem
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        safe.insert(0, '_');
    }
    if safe.len() > MAX_STEM {
        let hash = safe.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        safe.truncate(MAX_STEM - 17);
        safe.push_str(&format!("-{hash:016x}"));
    }
    safe
}

/// Which kind of records a line holds, by the members only that kind has (`None`: neither).
struct Probe(Option<Kind>);

impl LogRecord for Probe {
    fn from_members(members: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let has = |names: &[&str]| names.iter().any(|n| members.contains_key(*n));
        Ok(Probe(
            if has(&[
                "RequestTime",
                "RequestHost",
                "RequestID",
                "EdgeResponseStatusCode",
            ]) {
                Some(Kind::L7)
            } else if has(&["ServiceID", "ConnectTimeStamp", "LogTimeStamp", "SessionID"]) {
                Some(Kind::L4)
            } else {
                None
            },
        ))
    }
}

/// The kind of the first record that tells, among a packet's first 100 objects (lines that
/// are no JSON object are passed over).
pub fn sniff_kind(input: &Path) -> Result<Kind, ConvertError> {
    for probe in Records::<Probe>::open(input)?.take(100) {
        if let Probe(Some(kind)) = probe? {
            return Ok(kind);
        }
    }
    Err(ConvertError::UnknownKind {
        path: input.to_owned(),
    })
}
