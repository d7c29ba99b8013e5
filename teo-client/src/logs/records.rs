//! The records inside EdgeOne's offline log packets, typed: [`L7Record`] (one per request, from
//! `DownloadL7Logs` packets) and [`L4Record`] (one per connection interval, `DownloadL4Logs`).
//!
//! A packet is gzip'd JSON Lines. [`Records`] reads one from any [`BufRead`] (or a `.log` /
//! `.log.gz` file through [`Records::open`]) a line at a time, so memory stays bounded by the
//! longest line allowed ([`Records::max_line`], 1 MiB by default) whatever the packet's size.
//!
//! Reading follows what the service really sends:
//! - every member under its exact wire name, the service's misspellings included
//!   (`DisconnetTimeStamp`, `DisconnetReason`);
//! - sentinels are absent values: `"-"` and `""` for any member, `-1` for integers;
//! - integers that arrive as text (`"RemotePort": "443"`) or as integral floats are read as
//!   integers; a value that is no integer at all makes the line bad (see below);
//! - date-times keep their text and parse it when it is RFC 3339 ([`DateTime`]); a number of
//!   seconds is read as a Unix time;
//! - members the type does not know are kept in `extra`, in order — new fields appear over time.
//!
//! A line that is not a JSON object, or whose known members cannot be read, is a bad line: by
//! default it is counted and kept for the report ([`Records::bad_lines`], the first 100 with
//! their file and line number) and reading goes on; with [`BadLines::Fail`] it ends the reading
//! as an error.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};
use teo_models::DateTime;

/// The longest line read unless configured otherwise: 1 MiB. Real records are under 4 KiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;
/// How many bad lines are kept for the report; more are only counted.
const KEPT_BAD_LINES: usize = 100;

/// One request served by EdgeOne (L7 offline logs). `None` is a member the record left out or
/// sent as a sentinel.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct L7Record {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    /// ISO 3166 alpha-2.
    pub client_region: Option<String>,
    pub client_state: Option<String>,
    pub client_isp: Option<String>,
    pub request_time: Option<DateTime>,
    /// 0, 1 or 2: how far the request got.
    pub request_status: Option<i64>,
    pub request_host: Option<String>,
    pub request_bytes: Option<i64>,
    pub request_method: Option<String>,
    /// The path, without the query.
    pub request_url: Option<String>,
    pub request_url_query_string: Option<String>,
    pub request_ua: Option<String>,
    pub request_range: Option<String>,
    pub request_referer: Option<String>,
    pub request_protocol: Option<String>,
    pub remote_port: Option<i64>,
    /// `HIT`, `MISS`, `Dynamic`, … (compare case-insensitively).
    pub edge_cache_status: Option<String>,
    pub edge_response_status_code: Option<i64>,
    pub edge_response_bytes: Option<i64>,
    pub edge_response_body_bytes: Option<i64>,
    /// Milliseconds from the request to the last byte.
    pub edge_response_time: Option<i64>,
    /// Milliseconds spent inside EdgeOne.
    pub edge_internal_time: Option<i64>,
    pub edge_server_ip: Option<String>,
    pub edge_server_id: Option<String>,
    pub edge_function_subrequest: Option<i64>,
    pub content_id: Option<String>,
    pub parent_request_id: Option<String>,
    pub security_action: Option<String>,
    pub security_rule_id: Option<String>,
    pub security_user_note: Option<String>,
    pub security_module: Option<String>,
    /// Members this version does not know, as sent.
    pub extra: Map<String, Value>,
}

/// One interval of an L4 proxy connection (L4 offline logs).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct L4Record {
    pub service_id: Option<String>,
    pub session_id: Option<String>,
    pub connect_time_stamp: Option<DateTime>,
    /// `DisconnetTimeStamp` on the wire (the service's spelling); `None` while connected.
    pub disconnect_time_stamp: Option<DateTime>,
    /// `DisconnetReason` on the wire, e.g. `down: channel_eof_exception`.
    pub disconnect_reason: Option<String>,
    pub client_real_ip: Option<String>,
    pub client_region: Option<String>,
    pub edge_ip: Option<String>,
    /// `TCP` or `UDP`.
    pub forward_protocol: Option<String>,
    pub forward_port: Option<i64>,
    pub sent_bytes: Option<i64>,
    pub received_bytes: Option<i64>,
    /// The interval's end.
    pub log_time_stamp: Option<DateTime>,
    pub extra: Map<String, Value>,
}

/// A record type of a log packet: how a line's members become it.
pub trait LogRecord: Sized {
    /// Reads a record from the members of one line; members it takes are removed, the rest
    /// go to `extra`. Errors name the member.
    fn from_members(members: Map<String, Value>) -> Result<Self, String>;

    /// Reads a record from one line of JSON. The default parses the line into a map first;
    /// the record types of this module read their members straight from the text.
    fn from_line(line: &[u8]) -> Result<Self, String> {
        serde_json::from_slice::<Map<String, Value>>(line)
            .map_err(|e| format!("not a JSON object: {e}"))
            .and_then(Self::from_members)
    }
}

/// A record type's wire names, in the order its fields are read, and the lookup from a name.
struct Names {
    names: &'static [&'static str],
    index: fn(&str) -> Option<usize>,
}

/// Declares a record type's wire names: the list and a `match` from a name to its position
/// (a line's keys are looked up without allocating).
macro_rules! names {
    ($table:ident: $($name:literal),+ $(,)?) => {
        static $table: Names = Names {
            names: &[$($name),+],
            index: |key| {
                let mut i = 0usize;
                $(
                    if key == $name {
                        return Some(i);
                    }
                    i += 1;
                )+
                let _ = i;
                None
            },
        };
    };
}

names!(L7_NAMES:
    "RequestID", "ClientIP", "ClientRegion", "ClientState", "ClientISP", "RequestTime",
    "RequestStatus", "RequestHost", "RequestBytes", "RequestMethod", "RequestUrl",
    "RequestUrlQueryString", "RequestUA", "RequestRange", "RequestReferer", "RequestProtocol",
    "RemotePort", "EdgeCacheStatus", "EdgeResponseStatusCode", "EdgeResponseBytes",
    "EdgeResponseBodyBytes", "EdgeResponseTime", "EdgeInternalTime", "EdgeServerIP",
    "EdgeServerID", "EdgeFunctionSubrequest", "ContentID", "ParentRequestID", "SecurityAction",
    "SecurityRuleID", "SecurityUserNote", "SecurityModule",
);

names!(L4_NAMES:
    "ServiceID", "SessionID", "ConnectTimeStamp", "DisconnetTimeStamp", "DisconnetReason",
    "ClientRealIP", "ClientRegion", "EdgeIP", "ForwardProtocol", "ForwardPort", "SentBytes",
    "ReceivedBytes", "LogTimeStamp",
);

/// A line's members sorted into the record type's fields (by position) and the rest, then taken
/// field by field in order, reading sentinels as absent.
struct Members {
    names: &'static Names,
    slots: Vec<Option<Value>>,
    extra: Map<String, Value>,
    next: usize,
}

impl Members {
    fn new(names: &'static Names) -> Members {
        Members {
            names,
            slots: vec![None; names.names.len()],
            extra: Map::new(),
            next: 0,
        }
    }

    fn from_map(names: &'static Names, members: Map<String, Value>) -> Members {
        let mut m = Members::new(names);
        for (key, value) in members {
            m.put(key.as_str(), || key.clone(), value);
        }
        m
    }

    /// Reads a line's object straight into the slots (a later duplicate key wins, as in a map).
    fn from_line(names: &'static Names, line: &[u8]) -> Result<Members, String> {
        use serde::de::DeserializeSeed;
        // One UTF-8 check of the whole line (fast on ASCII) instead of one per string.
        let line = std::str::from_utf8(line).map_err(|e| format!("not a JSON object: {e}"))?;
        let mut deserializer = serde_json::Deserializer::from_str(line);
        let members = LineSeed(names)
            .deserialize(&mut deserializer)
            .and_then(|m| deserializer.end().map(|()| m))
            .map_err(|e| format!("not a JSON object: {e}"))?;
        Ok(members)
    }

    fn put(&mut self, key: &str, owned: impl FnOnce() -> String, value: Value) {
        self.put_after(key, owned, value, usize::MAX);
    }

    /// [`Members::put`], trying position `hint` first: lines name their members in the same
    /// order record after record, so the member after the previous one is usually the next.
    /// Returns the position taken.
    fn put_after(
        &mut self,
        key: &str,
        owned: impl FnOnce() -> String,
        value: Value,
        hint: usize,
    ) -> Option<usize> {
        let index = match self.names.names.get(hint) {
            Some(name) if *name == key => Some(hint),
            _ => (self.names.index)(key),
        };
        match index {
            Some(i) => self.slots[i] = Some(value),
            None => {
                self.extra.insert(owned(), value);
            }
        }
        index
    }

    /// The next field's value, `name` being its wire name.
    fn take(&mut self, name: &str) -> Option<Value> {
        debug_assert_eq!(self.names.names.get(self.next).copied(), Some(name));
        let slot = self.slots.get_mut(self.next).and_then(Option::take);
        self.next += 1;
        match slot? {
            Value::Null => None,
            Value::String(s) if s.is_empty() || s == "-" => None,
            value => Some(value),
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    fn int(&mut self, name: &str) -> Result<Option<i64>, String> {
        let value = match self.take(name) {
            None => return Ok(None),
            Some(value) => value,
        };
        let n = match &value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(-1) => Ok(None),
            Some(n) => Ok(Some(n)),
            None => Err(format!("{name}: {value} is not an integer")),
        }
    }

    fn time(&mut self, name: &str) -> Result<Option<DateTime>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64() == Some(-1) => Ok(None),
            Some(Value::String(text)) => {
                let text = serde::de::value::StringDeserializer::<serde_json::Error>::new(text);
                serde::Deserialize::deserialize(text)
                    .map(Some)
                    .map_err(|e| format!("{name}: {e}"))
            }
            Some(value @ Value::Number(_)) => serde_json::from_value(value)
                .map(Some)
                .map_err(|e| format!("{name}: {e}")),
            Some(other) => Err(format!("{name}: {other} is not a date-time")),
        }
    }
}

/// Deserializes one line's object into [`Members`].
struct LineSeed(&'static Names);

impl<'de> serde::de::DeserializeSeed<'de> for LineSeed {
    type Value = Members;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Members, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for LineSeed {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As a map's own reading says it, so both readings report a line alike.
        f.write_str("a map")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Members::new(self.0);
        let mut hint = 0;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: Value = map.next_value()?;
            if let Some(i) = members.put_after(&key.0, || key.0.to_string(), value, hint) {
                hint = i + 1;
            }
        }
        Ok(members)
    }
}

/// A member name, borrowed from the line when it has no escapes.
struct Key<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl L7Record {
    fn from_slots(mut m: Members) -> Result<Self, String> {
        Ok(L7Record {
            request_id: m.text("RequestID"),
            client_ip: m.text("ClientIP"),
            client_region: m.text("ClientRegion"),
            client_state: m.text("ClientState"),
            client_isp: m.text("ClientISP"),
            request_time: m.time("RequestTime")?,
            request_status: m.int("RequestStatus")?,
            request_host: m.text("RequestHost"),
            request_bytes: m.int("RequestBytes")?,
            request_method: m.text("RequestMethod"),
            request_url: m.text("RequestUrl"),
            request_url_query_string: m.text("RequestUrlQueryString"),
            request_ua: m.text("RequestUA"),
            request_range: m.text("RequestRange"),
            request_referer: m.text("RequestReferer"),
            request_protocol: m.text("RequestProtocol"),
            remote_port: m.int("RemotePort")?,
            edge_cache_status: m.text("EdgeCacheStatus"),
            edge_response_status_code: m.int("EdgeResponseStatusCode")?,
            edge_response_bytes: m.int("EdgeResponseBytes")?,
            edge_response_body_bytes: m.int("EdgeResponseBodyBytes")?,
            edge_response_time: m.int("EdgeResponseTime")?,
            edge_internal_time: m.int("EdgeInternalTime")?,
            edge_server_ip: m.text("EdgeServerIP"),
            edge_server_id: m.text("EdgeServerID"),
            edge_function_subrequest: m.int("EdgeFunctionSubrequest")?,
            content_id: m.text("ContentID"),
            parent_request_id: m.text("ParentRequestID"),
            security_action: m.text("SecurityAction"),
            security_rule_id: m.text("SecurityRuleID"),
            security_user_note: m.text("SecurityUserNote"),
            security_module: m.text("SecurityModule"),
            extra: m.extra,
        })
    }
}

impl LogRecord for L7Record {
    fn from_members(members: Map<String, Value>) -> Result<Self, String> {
        Self::from_slots(Members::from_map(&L7_NAMES, members))
    }

    fn from_line(line: &[u8]) -> Result<Self, String> {
        Self::from_slots(Members::from_line(&L7_NAMES, line)?)
    }
}

impl L4Record {
    fn from_slots(mut m: Members) -> Result<Self, String> {
        Ok(L4Record {
            service_id: m.text("ServiceID"),
            session_id: m.text("SessionID"),
            connect_time_stamp: m.time("ConnectTimeStamp")?,
            disconnect_time_stamp: m.time("DisconnetTimeStamp")?,
            disconnect_reason: m.text("DisconnetReason"),
            client_real_ip: m.text("ClientRealIP"),
            client_region: m.text("ClientRegion"),
            edge_ip: m.text("EdgeIP"),
            forward_protocol: m.text("ForwardProtocol"),
            forward_port: m.int("ForwardPort")?,
            sent_bytes: m.int("SentBytes")?,
            received_bytes: m.int("ReceivedBytes")?,
            log_time_stamp: m.time("LogTimeStamp")?,
            extra: m.extra,
        })
    }
}

impl LogRecord for L4Record {
    fn from_members(members: Map<String, Value>) -> Result<Self, String> {
        Self::from_slots(Members::from_map(&L4_NAMES, members))
    }

    fn from_line(line: &[u8]) -> Result<Self, String> {
        Self::from_slots(Members::from_line(&L4_NAMES, line)?)
    }
}

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
        file: Option<PathBuf>,
        line: u64,
        reason: String,
    },
    /// Reading the input failed (including corrupt gzip data).
    #[error("{}: {source}", source_name(.file))]
    Io {
        file: Option<PathBuf>,
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

/// A line's number (1-based) and its text trimmed of ASCII white space (maybe empty), `None`
/// when it is longer than the bound.
pub type NumberedLine<'a> = (u64, Option<&'a [u8]>);

/// The lines of JSON Lines input, a line at a time, each held only up to a length bound (a
/// longer one is read past, never held): what [`Records`] reads, for readers of other shapes.
pub struct LineReader {
    input: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    max_line: usize,
    line: u64,
}

impl LineReader {
    /// Lines of `input` (already decompressed), each at most `max_line` bytes.
    pub fn new(input: impl BufRead + Send + 'static, max_line: usize) -> LineReader {
        LineReader {
            input: Box::new(input),
            buf: Vec::new(),
            max_line,
            line: 0,
        }
    }

    /// Lines of `input`, decompressed when it starts with the gzip magic bytes.
    pub fn from_reader(input: impl Read + Send + 'static, max_line: usize) -> LineReader {
        let mut input = BufReader::with_capacity(READ_BUFFER, input);
        // A read error here shows again on the first line read.
        let gzip = input.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
        if gzip {
            let decoded = BufReader::with_capacity(READ_BUFFER, MultiGzDecoder::new(input));
            LineReader::new(decoded, max_line)
        } else {
            LineReader::new(input, max_line)
        }
    }

    /// Lines of a `.log`/`.log.gz` file (gzip told by its content).
    pub fn open(path: impl AsRef<Path>, max_line: usize) -> io::Result<LineReader> {
        Ok(LineReader::from_reader(File::open(path)?, max_line))
    }

    /// Lines read so far.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next line: `Ok(None)` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<NumberedLine<'_>>> {
        self.buf.clear();
        let mut any = false;
        let mut fits = true;
        loop {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (chunk, end) = match memchr::memchr(b'\n', available) {
                Some(at) => (&available[..at], Some(at + 1)),
                None => (available, None),
            };
            if fits && self.buf.len() + chunk.len() <= self.max_line {
                self.buf.extend_from_slice(chunk);
            } else {
                fits = false;
                self.buf.clear();
            }
            let consumed = end.unwrap_or(available.len());
            self.input.consume(consumed);
            if end.is_some() {
                break;
            }
        }
        self.line += 1;
        Ok(Some((self.line, fits.then(|| self.buf.trim_ascii()))))
    }
}

/// Bytes read from a file (and from its decompressor) at a time.
const READ_BUFFER: usize = 256 << 10;

/// The records of a packet from any reader, decompressed when it starts with the gzip magic
/// bytes (an HTTP body, a file already open, bytes in memory).
pub fn from_reader<T: LogRecord>(input: impl Read + Send + 'static) -> Records<T> {
    Records::over(LineReader::from_reader(input, DEFAULT_MAX_LINE))
}
