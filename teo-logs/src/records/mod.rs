//! The records inside EdgeOne's offline log packets, typed: [`L7Record`] (one per request, from
//! `DownloadL7Logs` packets) and [`L4Record`] (one per connection interval, `DownloadL4Logs`),
//! generated with their fields' rules from `api-spec/teo/log-fields.json`.
//!
//! A packet is gzip'd JSON Lines. [`Records`] reads one from any [`BufRead`] (or a `.log` /
//! `.log.gz` file through [`Records::open`]) a line at a time, so memory stays bounded by the
//! longest line allowed ([`Records::max_line`], 1 MiB by default) whatever the packet's size.
//!
//! Reading follows what the service really sends (one set of member rules, shared with the
//! summaries' reader):
//! - every member under its exact wire name, the service's misspellings included
//!   (`DisconnetTimeStamp`, `DisconnetReason`);
//! - sentinels are absent values: `"-"` and `""` for any member, `-1` for integers;
//! - integers that arrive as text (`"RemotePort": "443"`) or as integral floats are read as
//!   integers; a value that is no integer at all makes the line bad (see below);
//! - date-times keep their text and parse it when it is RFC 3339 ([`DateTime`](teo_client::models::DateTime)); a number of
//!   seconds is read as a Unix time;
//! - members the type does not know are kept in `extra`, in order — new fields appear over time.
//!
//! A line that is not a JSON object, or whose known members cannot be read, is a bad line: by
//! default it is counted and kept for the report ([`Records::bad_lines`], the first 100 with
//! their file and line number) and reading goes on; with [`BadLines::Fail`] it ends the reading
//! as an error.

mod lines;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

pub use crate::generated::records::{FunctionRecord, L4Record, L7Record};
pub use crate::members::{Encodings, Field, LogRecord, Sentinels};
pub use lines::{LineReader, NumberedLine};

/// The longest line read unless configured otherwise: 1 MiB. Real records are under 4 KiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;
/// How many bad lines are kept for the report; more are only counted.
const KEPT_BAD_LINES: usize = 100;

/// What a bad line does to the reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadLines {
    /// Counted and kept for the report; the rest is read.
    #[default]
    Skip,
    /// Ends the reading with the line's error.
    Fail,
}

/// A line that could not be read, or the input failing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The line is not a JSON object, longer than the limit, or a member cannot be read.
    #[error("{}:{line}: {reason}", source_name(.file))]
    BadLine {
        /// The file read; `None` for a reader without a name (shown as `<input>`).
        file: Option<PathBuf>,
        /// The line's number, counting from 1.
        line: u64,
        /// Why it could not be read.
        reason: String,
    },
    /// Reading the input failed (including corrupt gzip data).
    #[error("{}: {source}", source_name(.file))]
    Io {
        /// The file read; `None` for a reader without a name (shown as `<input>`).
        file: Option<PathBuf>,
        /// The error of the read (corrupt gzip data included).
        #[source]
        source: io::Error,
    },
}

fn source_name(file: &Option<PathBuf>) -> String {
    file.as_ref()
        .map_or_else(|| "<input>".to_owned(), |f| f.display().to_string())
}

/// The records of one packet, read a line at a time. An iterator of `Result<T, RecordError>`:
/// with [`BadLines::Skip`] it yields only records and ends with `Err` only when the input
/// fails; with [`BadLines::Fail`] the first bad line is its last item.
pub struct Records<T> {
    lines: LineReader,
    file: Option<PathBuf>,
    bad_lines: BadLines,
    bad: Vec<RecordError>,
    bad_count: u64,
    done: bool,
    _record: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for Records<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("file", &self.file)
            .field("line", &self.lines.line)
            .field("bad_count", &self.bad_count)
            .finish()
    }
}

impl<T: LogRecord> Records<T> {
    /// Reads JSON Lines from `input` (already decompressed).
    pub fn new(input: impl BufRead + Send + 'static) -> Records<T> {
        Records::over(LineReader::new(input, DEFAULT_MAX_LINE))
    }

    fn over(lines: LineReader) -> Records<T> {
        Records {
            lines,
            file: None,
            bad_lines: BadLines::Skip,
            bad: Vec::new(),
            bad_count: 0,
            done: false,
            _record: PhantomData,
        }
    }

    /// Reads a packet file: gzip (by its magic bytes, whatever its name) or plain JSON Lines.
    pub fn open(path: impl AsRef<Path>) -> Result<Records<T>, RecordError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| RecordError::Io {
            file: Some(path.to_owned()),
            source,
        })?;
        let mut records = from_reader(file);
        records.file = Some(path.to_owned());
        Ok(records)
    }

    /// The longest line accepted, in bytes; a longer one is a bad line (read past, never held).
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.lines.max_line = bytes;
        self
    }

    /// What a bad line does: skipped and counted (the default), or the end of the reading.
    pub fn bad_lines(mut self, policy: BadLines) -> Self {
        self.bad_lines = policy;
        self
    }

    /// The bad lines met so far (the first 100), with their file and line number.
    pub fn bad(&self) -> &[RecordError] {
        &self.bad
    }

    /// How many bad lines were met so far.
    pub fn bad_count(&self) -> u64 {
        self.bad_count
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.lines.line
    }

    fn bad_line(&mut self, reason: String) -> Option<Result<T, RecordError>> {
        let error = RecordError::BadLine {
            file: self.file.clone(),
            line: self.lines.line,
            reason,
        };
        self.bad_count += 1;
        match self.bad_lines {
            BadLines::Fail => {
                self.done = true;
                Some(Err(error))
            }
            BadLines::Skip => {
                if self.bad.len() < KEPT_BAD_LINES {
                    self.bad.push(error);
                }
                None
            }
        }
    }
}

impl<T: LogRecord> Iterator for Records<T> {
    type Item = Result<T, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let parsed = match self.lines.next_line() {
                Ok(Some((_, None))) => Err(format!("longer than {} bytes", self.lines.max_line)),
                Ok(Some((_, Some([])))) => continue,
                Ok(Some((_, Some(text)))) => T::from_line(text),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(source) => {
                    self.done = true;
                    return Some(Err(RecordError::Io {
                        file: self.file.clone(),
                        source,
                    }));
                }
            };
            match parsed {
                Ok(record) => return Some(Ok(record)),
                Err(reason) => {
                    if let Some(item) = self.bad_line(reason) {
                        return Some(item);
                    }
                }
            }
        }
        None
    }
}

/// The records of a packet from any reader, decompressed when it starts with the gzip magic
/// bytes (an HTTP body, a file already open, bytes in memory).
pub fn from_reader<T: LogRecord>(input: impl Read + Send + 'static) -> Records<T> {
    Records::over(LineReader::from_reader(input, DEFAULT_MAX_LINE))
}
