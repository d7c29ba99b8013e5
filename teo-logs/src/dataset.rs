//! A Hive-partitioned dataset of log records in a directory:
//!
//! ```text
//! <root>/kind=l7/zone=<zone>/date=2024-05-01/hour=10/<packet>.parquet
//! <root>/_teo_converted/kind=l7/zone=<zone>/<packet>.parquet.done
//! ```
//!
//! # Rules
//!
//! - A record goes to the `date=`/`hour=` (UTC) of its own time (`RequestTime` for L7,
//!   `LogTimeStamp` for L4), so a query's `WHERE date = … AND hour = …` is exact even for a
//!   record that strays past its packet's hour; a record without a time goes to Hive's default
//!   partition (`__HIVE_DEFAULT_PARTITION__`, which engines read as null).
//! - Each packet becomes its own file in each partition it touches (usually one), named after
//!   the packet, so converting packets in parallel or again never clashes. A packet is known by
//!   its content (SHA-256), recorded in its marker: another packet whose name reads the same
//!   (`a/pkt one.log.gz`, `b/pkt_one.log`) gets its own name, `<name>~<hash>`, and is converted;
//!   the same packet found again (a copy in another directory) is converted once.
//! - A file is written under a hidden temporary name (`.<name>.<random>.part`, created
//!   exclusively: never through a planted link), synced and renamed: a file under its final
//!   name is always whole. Directories are created one by one and a symbolic link in their
//!   place is refused.
//! - A packet's files appear together: each stays under its hidden name (synced) until the whole
//!   packet is read, then all are renamed and their directories synced. A packet that fails
//!   leaves nothing under a final name (in an object store, where an upload is visible once
//!   complete, the files it completed are deleted again). Then a marker under
//!   `_teo_converted/` records it (engines skip `_`-prefixed directories): a rerun skips
//!   converted packets, and a packet interrupted half-way is converted again, replacing its
//!   files.
//! - Memory is bounded whatever the packet's size: records stream from the reader, and at most
//!   [`MAX_OPEN_PARTITIONS`] files are open per packet, each holding at most one row group.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::records::{BadLines, LogRecord, RecordError, Records, DEFAULT_MAX_LINE};
use arrow_array::RecordBatch;
use time::OffsetDateTime;

use crate::columns::Table;
use crate::destination::{CreateError, Destination, OutFile, Sealed};
use crate::encode::{CsvCells, EncodeError, Encoder};
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
/// Longest partition value written (bytes, escaped): a zone id is short, but a path segment
/// may not pass 255 bytes; a longer value is cut and ends with a hash of the whole.
const MAX_PARTITION_VALUE: usize = 200;
/// Largest marker read back (they hold a few hundred bytes).
const MAX_MARKER: u64 = 64 << 10;

/// Why a packet could not be converted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// Reading the packet or a marker, or writing the dataset failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory the operation was on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The input failed, or a bad line with [`BadLines::Fail`].
    #[error(transparent)]
    Records(#[from] RecordError),
    /// Writing a dataset file in its format failed.
    #[error("{}: {source}", path.display())]
    Encode {
        /// The dataset file being written.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: EncodeError,
    },
    /// No kind was given and no line of the packet reads as an L4 or an L7 record.
    #[error("{}: cannot tell L4 from L7 records (no line read as either); give the kind", path.display())]
    UnknownKind {
        /// The packet.
        path: PathBuf,
    },
    /// A file or directory of the dataset could not be created (a planted link included).
    #[error(transparent)]
    Create(#[from] CreateError),
    /// The packet failed, and some of the files it had completed in an object store could not
    /// be deleted again: they are named, for the user to remove.
    #[error("{source}; its files could not all be removed again: {}", list(left))]
    LeftBehind {
        /// Why the packet failed.
        #[source]
        source: Box<ConvertError>,
        /// The files still in the store.
        left: Vec<PathBuf>,
    },
    /// Every name this packet could take is held by other packets (a hash collision).
    #[error("{}: every name for this packet is taken by another packet's marker", path.display())]
    NoName {
        /// The packet.
        path: PathBuf,
    },
}

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// How packets are converted: [`Dataset::convert_file`], [`Dataset::convert_files`],
/// [`Dataset::convert`].
///
/// ```
/// # use teo_logs::{dataset::ConvertOptions, Kind};
/// let options = ConvertOptions::default().kind(Kind::L7).zone("zone-2o3h21ed8bpu");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConvertOptions {
    /// The packets' kind; detected from the first record that tells when `None`.
    pub kind: Option<Kind>,
    /// The `zone=` partition; Hive's default (null) when `None`.
    pub zone: Option<String>,
    /// Packets converted at once by [`Dataset::convert_files`]; 0: one per core.
    pub threads: usize,
}

impl ConvertOptions {
    /// The packets' kind, instead of detecting it.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The `zone=` partition.
    pub fn zone(mut self, zone: impl Into<String>) -> Self {
        self.zone = Some(zone.into());
        self
    }

    /// Packets converted at once (0: one per core).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
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
    csv_cells: CsvCells,
    /// Names being converted now, shared by clones: packets whose names read the same are
    /// converted one after the other, whichever thread converts them.
    converting: Arc<NameLocks>,
}

/// A lock per name in conversion (see [`Dataset::convert_file`]).
#[derive(Debug, Default)]
struct NameLocks(Mutex<HashMap<String, Arc<Mutex<()>>>>);

impl NameLocks {
    /// Runs `f` while no other conversion of `name` runs.
    fn with<T>(&self, name: String, f: impl FnOnce() -> T) -> T {
        let lock = {
            let mut names = self.0.lock().unwrap_or_else(|e| e.into_inner());
            names.entry(name.clone()).or_default().clone()
        };
        let result = {
            let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
            f()
        };
        let mut names = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Forgotten once no one else holds or waits for it: the map stays as small as the
        // conversions in flight.
        if Arc::strong_count(&lock) == 2 {
            names.remove(&name);
        }
        result
    }
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
            csv_cells: CsvCells::Neutralized,
            converting: Arc::default(),
        })
    }

    /// How CSV cells that a spreadsheet would run as a formula are written (see
    /// [`CsvCells`]); the default neutralizes them.
    pub fn csv_cells(mut self, cells: CsvCells) -> Self {
        self.csv_cells = cells;
        self
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

    /// Where the dataset's files and markers go.
    pub fn destination(&self) -> &Destination {
        &self.dest
    }

    /// The file format records are written in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Converts the packet at `input` (`.log.gz` or `.log`; gzip detected by its content) unless
    /// an earlier run did, with the kind and zone of `options`.
    pub fn convert_file(
        &self,
        input: impl AsRef<Path>,
        options: ConvertOptions,
    ) -> Result<ConvertReport, ConvertError> {
        self.convert_path(input.as_ref(), options.kind, options.zone.as_deref())
    }

    fn convert_path(
        &self,
        input: &Path,
        kind: Option<Kind>,
        zone: Option<&str>,
    ) -> Result<ConvertReport, ConvertError> {
        let kind = match kind {
            Some(kind) => kind,
            None => sniff_kind(input)?,
        };
        let source = Source::of(input)?;
        let stem = output_stem(input);
        // The name is chosen and taken (its marker written) under one lock: two packets whose
        // names read the same never both take the plain one.
        let lock = format!("{kind}/{}/{stem}", hive_value(zone));
        self.converting.with(lock, || {
            let name = match self.place(kind, zone, &stem, &source)? {
                Place::Converted => {
                    return Ok(ConvertReport {
                        skipped: true,
                        ..ConvertReport::default()
                    })
                }
                Place::Name(name) => name,
            };
            crate::with_record!(kind, T => self.write_packet(
                Records::<T>::open(input)?,
                &name,
                zone,
                Some(&source),
            ))
        })
    }

    /// The name a packet takes: its stem, unless a marker there records another packet; then
    /// the stem with a short hash of the content, then a longer one. A marker that records
    /// this packet (or, written by an older version, no packet) means it is converted.
    fn place(
        &self,
        kind: Kind,
        zone: Option<&str>,
        stem: &str,
        source: &Source,
    ) -> Result<Place, ConvertError> {
        let candidates = [
            stem.to_owned(),
            format!("{stem}~{}", &source.sha256[..12]),
            format!("{stem}~{}", &source.sha256[..24]),
        ];
        for name in candidates {
            let marker = self.marker(kind, zone, &name);
            let text = self
                .dest
                .read_small(&marker, MAX_MARKER)
                .map_err(|source| ConvertError::Io {
                    path: self.dest.name(&marker),
                    source,
                })?;
            let Some(text) = text else {
                return Ok(Place::Name(name));
            };
            let recorded = serde_json::from_slice::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.pointer("/input/sha256")?.as_str().map(str::to_owned));
            match recorded {
                Some(sha256) if sha256 != source.sha256 => continue,
                _ => return Ok(Place::Converted),
            }
        }
        Err(ConvertError::NoName {
            path: source.path.clone(),
        })
    }

    /// Converts many packets, [`ConvertOptions::threads`] at once (a packet per thread). The
    /// results come in the order of `inputs`. Packets whose names read the same are converted
    /// one after the other, in the order given, so each finds the others' markers and takes
    /// its own name.
    pub fn convert_files(
        &self,
        inputs: &[PathBuf],
        options: ConvertOptions,
    ) -> Vec<Result<ConvertReport, ConvertError>> {
        let (kind, zone, threads) = (options.kind, options.zone.as_deref(), options.threads);
        use std::sync::atomic::{AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<ConvertReport, ConvertError>>>> =
            Mutex::new(inputs.iter().map(|_| None).collect());
        let threads = match threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_stem = std::collections::HashMap::new();
        for (i, path) in inputs.iter().enumerate() {
            let group = *by_stem.entry(output_stem(path)).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[group].push(i);
        }
        std::thread::scope(|scope| {
            for _ in 0..threads.min(groups.len()) {
                scope.spawn(|| loop {
                    let g = next.fetch_add(1, Ordering::Relaxed);
                    let Some(group) = groups.get(g) else { break };
                    for &i in group {
                        let result = self.convert_path(&inputs[i], kind, zone);
                        if let Ok(mut results) = results.lock() {
                            results[i] = Some(result);
                        }
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

    /// Whether the packet whose file is called `file_name` is converted already, before it is
    /// read (a download skips it): the marker of its name says so and records a packet of
    /// that file name (or, written by an older version, none). A marker of another packet
    /// whose name reads the same is not this packet's: it is downloaded, and converted under
    /// its own name if its content differs. Blocks.
    pub fn holds_packet(&self, kind: Kind, zone: Option<&str>, file_name: &str) -> bool {
        let stem = output_stem(Path::new(file_name));
        let marker = self.marker(kind, zone, &stem);
        let Ok(Some(text)) = self.dest.read_small(&marker, MAX_MARKER) else {
            return false;
        };
        let recorded = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/input/name")?.as_str().map(str::to_owned));
        recorded.is_none_or(|name| name == file_name)
    }

    fn marker(&self, kind: Kind, zone: Option<&str>, stem: &str) -> PathBuf {
        let mut path = PathBuf::from(MARKERS);
        path.push(format!("kind={kind}"));
        path.push(format!("zone={}", hive_value(zone)));
        path.push(format!("{stem}.{}.done", self.format.extension()));
        path
    }

    /// Converts the records of one packet, named `stem` in the dataset, into their partitions.
    /// Its marker records no content: a later [`Dataset::convert_file`] of a packet with this
    /// name takes it as converted.
    /// The zone is `options`' (the kind is the record type's).
    pub fn convert<T: Table>(
        &self,
        records: Records<T>,
        stem: &str,
        options: ConvertOptions,
    ) -> Result<ConvertReport, ConvertError> {
        self.write_packet(records, stem, options.zone.as_deref(), None)
    }

    /// Writes `records` into their partitions as files named `name` (replacing files of that
    /// name), with no marker: for writers that record what they wrote in their own way (the
    /// real-time receiver claims each batch). The same records in the same order give the same
    /// files, so writing them again after a crash replaces what the first attempt left.
    pub fn write<T: Table>(
        &self,
        records: Records<T>,
        name: &str,
        zone: Option<&str>,
    ) -> Result<ConvertReport, ConvertError> {
        let mut records = records.bad_lines(self.bad_lines).max_line(self.max_line);
        let mut run = self.conversion::<T>(name, zone);
        let written = (|| {
            for item in records.by_ref() {
                let record = item?;
                run.push(&record)?;
            }
            run.seal_all()
        })();
        if let Err(error) = written {
            return Err(run.abandon(error));
        }
        run.report.bad_lines = records.bad_count();
        run.report.bad = records
            .bad()
            .iter()
            .take(KEPT_BAD_LINES)
            .map(|e| e.to_string())
            .collect();
        run.publish()
    }

    /// As [`Dataset::write`], from rows already in `T`'s columns and placed in their
    /// partitions (what the real-time receiver staged): Parquet datasets only.
    pub(crate) fn write_columns<T: Table>(
        &self,
        batches: impl Iterator<Item = Result<(Partition, RecordBatch), ConvertError>>,
        name: &str,
        zone: Option<&str>,
    ) -> Result<ConvertReport, ConvertError> {
        let mut run = self.conversion::<T>(name, zone);
        let written = (|| {
            for item in batches {
                let (partition, rows) = item?;
                run.push_columns(partition, &rows)?;
            }
            run.seal_all()
        })();
        if let Err(error) = written {
            return Err(run.abandon(error));
        }
        run.publish()
    }

    fn conversion<'a, T: Table>(&'a self, name: &'a str, zone: Option<&str>) -> Conversion<'a, T> {
        let kind = kind_of::<T>();
        Conversion::<T> {
            dataset: self,
            base: PathBuf::from(format!("kind={kind}")).join(format!("zone={}", hive_value(zone))),
            stem: name,
            open: Vec::new(),
            opened: Vec::new(),
            sealed: Vec::new(),
            tick: 0,
            report: ConvertReport::default(),
        }
    }

    fn write_packet<T: Table>(
        &self,
        records: Records<T>,
        name: &str,
        zone: Option<&str>,
        source: Option<&Source>,
    ) -> Result<ConvertReport, ConvertError> {
        let kind = kind_of::<T>();
        let mut report = self.write(records, name, zone)?;
        // The marker comes last: it says every file above is in place.
        let marker = self.marker(kind, zone, name);
        let text = serde_json::json!({
            "records": report.records,
            "bad_lines": report.bad_lines,
            "files": report.files.iter().map(|f| f.to_string_lossy()).collect::<Vec<_>>(),
            "input": source.map(|s| serde_json::json!({
                "name": s.path.file_name().map(|n| n.to_string_lossy()),
                "sha256": s.sha256,
            })),
        })
        .to_string();
        let marked = self
            .dest
            .create(&marker)
            .map_err(ConvertError::from)
            .and_then(|mut file| {
                file.write_all(text.as_bytes())
                    .and_then(|()| file.commit())
                    .and_then(|()| self.dest.sync_dirs(marker.parent()))
                    .map_err(|source| ConvertError::Io {
                        path: self.dest.name(&marker),
                        source,
                    })
            });
        if let Err(error) = marked {
            // Files without their marker would be read by engines and converted again.
            return Err(remove_all(&self.dest, &report.files, error));
        }
        report.skipped = false;
        Ok(report)
    }
}

/// Where a packet goes: converted already, or the name it takes.
enum Place {
    Converted,
    Name(String),
}

/// A packet file and its content's SHA-256 (hex): what its marker records.
struct Source {
    path: PathBuf,
    sha256: String,
}

impl Source {
    fn of(path: &Path) -> Result<Source, ConvertError> {
        let sha256 = teo_client::logs::sha256_file(path).map_err(|source| ConvertError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Source {
            path: path.to_owned(),
            sha256,
        })
    }
}

/// Removes the (visible) `files`; `error` is why, returned with any that could not be.
fn remove_all(dest: &Destination, files: &[PathBuf], error: ConvertError) -> ConvertError {
    let left: Vec<PathBuf> = files
        .iter()
        .filter(|f| dest.remove(f).is_err())
        .map(|f| dest.name(f))
        .collect();
    if left.is_empty() {
        error
    } else {
        ConvertError::LeftBehind {
            source: Box::new(error),
            left,
        }
    }
}

fn kind_of<T: Table>() -> Kind {
    T::KIND
}

/// The partition a record goes to: `date=YYYY-MM-DD`, `hour=HH` (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Partition {
    pub(crate) date: String,
    pub(crate) hour: String,
}

impl Partition {
    pub(crate) fn of(time: Option<OffsetDateTime>) -> Partition {
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

    /// A partition read back (from staging): only values [`Partition::of`] gives, as they
    /// become directory names.
    pub(crate) fn parse(date: &str, hour: &str) -> Option<Partition> {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let dated = date.len() == 10
            && date.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let ok = (dated && hour.len() == 2 && digits(hour))
            || (date == HIVE_DEFAULT_PARTITION && hour == HIVE_DEFAULT_PARTITION);
        ok.then(|| Partition {
            date: date.to_owned(),
            hour: hour.to_owned(),
        })
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
    /// Files closed, not yet under their names (locally): published together at the end.
    sealed: Vec<(PathBuf, Sealed)>,
    tick: u64,
    report: ConvertReport,
}

impl<T: Table> Conversion<'_, T> {
    fn push(&mut self, record: &T) -> Result<(), ConvertError> {
        let index = self.file_for(Partition::of(record.time()))?;
        let file = &mut self.open[index];
        file.encoder
            .push(record)
            .map_err(|source| ConvertError::Encode {
                path: self.dataset.dest.name(&file.relative),
                source,
            })?;
        self.report.records += 1;
        Ok(())
    }

    fn push_columns(
        &mut self,
        partition: Partition,
        rows: &RecordBatch,
    ) -> Result<(), ConvertError> {
        let index = self.file_for(partition)?;
        let file = &mut self.open[index];
        file.encoder
            .push_batch(rows)
            .map_err(|source| ConvertError::Encode {
                path: self.dataset.dest.name(&file.relative),
                source,
            })?;
        self.report.records += rows.num_rows() as u64;
        Ok(())
    }

    /// The open file of `partition` (opened now if need be), marked as used last.
    fn file_for(&mut self, partition: Partition) -> Result<usize, ConvertError> {
        self.tick += 1;
        let index = match self.open.iter().position(|f| f.partition == partition) {
            Some(index) => index,
            None => self.open_file(partition)?,
        };
        self.open[index].last_used = self.tick;
        Ok(index)
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
        // `~` never occurs in a stem (see `output_stem`): no other packet's name can meet it.
        let name = match count {
            0 => format!("{}.{ext}", self.stem),
            n => format!("{}~{n}.{ext}", self.stem),
        };
        let relative = self
            .base
            .join(format!("date={}", partition.date))
            .join(format!("hour={}", partition.hour))
            .join(name);
        let file = self.dataset.dest.create(&relative)?;
        let encoder = Encoder::with_csv_cells(
            self.dataset.format,
            Counted::new(file),
            self.dataset.csv_cells,
        )
        .map_err(|source| ConvertError::Encode {
            path: self.dataset.dest.name(&relative),
            source,
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
        let sealed = counted
            .inner
            .seal()
            .map_err(|source| ConvertError::Io { path, source })?;
        self.sealed.push((file.relative, sealed));
        Ok(())
    }

    /// Closes the files still open; none is published yet.
    fn seal_all(&mut self) -> Result<(), ConvertError> {
        let open = std::mem::take(&mut self.open);
        for file in open {
            self.close(file)?;
        }
        Ok(())
    }

    /// Gives every file its name and makes the names durable; on a failure, removes what was
    /// published (the rest is dropped with its hidden name).
    fn publish(mut self) -> Result<ConvertReport, ConvertError> {
        let sealed = std::mem::take(&mut self.sealed);
        let mut published = Vec::new();
        for (relative, file) in sealed {
            let visible = file.is_visible();
            match file.publish() {
                Ok(()) => published.push(relative),
                Err(source) => {
                    let error = ConvertError::Io {
                        path: self.dataset.dest.name(&relative),
                        source,
                    };
                    if visible {
                        published.push(relative);
                    }
                    return Err(remove_all(&self.dataset.dest, &published, error));
                }
            }
        }
        let dirs = published.iter().filter_map(|f| f.parent());
        if let Err(source) = self.dataset.dest.sync_dirs(dirs) {
            let error = ConvertError::Io {
                path: self.dataset.dest.name(&self.base),
                source,
            };
            return Err(remove_all(&self.dataset.dest, &published, error));
        }
        published.sort();
        self.report.files = published;
        Ok(self.report)
    }

    /// The packet failed with `error`: files open or sealed are dropped (a local one with its
    /// hidden name, an upload aborted), and uploads already complete are deleted.
    fn abandon(mut self, error: ConvertError) -> ConvertError {
        self.open.clear();
        let visible: Vec<PathBuf> = std::mem::take(&mut self.sealed)
            .into_iter()
            .filter(|(_, file)| file.is_visible())
            .map(|(relative, _)| relative)
            .collect();
        remove_all(&self.dataset.dest, &visible, error)
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
/// partition for `None` or empty. At most 200 bytes: a longer one is cut (never inside an
/// escape) and ends with `~` and a hash of the whole value (`~` is escaped in any value, so
/// a cut value never meets another).
pub fn hive_value(value: Option<&str>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return HIVE_DEFAULT_PARTITION.to_owned();
    };
    let mut out = String::with_capacity(value.len());
    let mut cut = None;
    for (i, b) in value.bytes().enumerate() {
        if out.len() <= MAX_PARTITION_VALUE - 17 {
            cut = Some(out.len());
        }
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => out.push(b as char),
            b'.' if i > 0 => out.push('.'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if out.len() > MAX_PARTITION_VALUE {
        out.truncate(cut.unwrap_or(0));
        out.push_str(&format!("~{:016x}", fnv1a(value.as_bytes())));
    }
    out
}

/// FNV-1a: a short, stable hash for names (cut to length, or of a destination).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The name a packet's files get: its file name without `.gz`, `.log`, `.ndjson`, `.jsonl` or
/// `.json`, every byte outside `[A-Za-z0-9._-]` replaced by `_`, never hidden, at most 180
/// bytes (a longer one is cut and ends with a hash of the whole). Packets whose names read the
/// same are told apart by their content when converted (see [`Dataset::convert_file`]).
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
        let hash = fnv1a(safe.as_bytes());
        safe.truncate(MAX_STEM - 17);
        safe.push_str(&format!("-{hash:016x}"));
    }
    safe
}

/// Which kind of records a line holds, by the members only that kind has (`None`: neither),
/// as the log fields spec declares them.
struct Probe(Option<Kind>);

impl LogRecord for Probe {
    fn from_members(members: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let declares =
            |kind: Kind, name: &str| crate::with_record!(kind, T => T::field_index(name).is_some());
        // A member only one kind declares tells the kind.
        let tells = |kind: Kind| {
            members.keys().any(|name| {
                declares(kind, name)
                    && Kind::ALL
                        .iter()
                        .all(|&other| other == kind || !declares(other, name))
            })
        };
        Ok(Probe(Kind::ALL.iter().copied().find(|&kind| tells(kind))))
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
