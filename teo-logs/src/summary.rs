//! Summaries of log records: totals, top keys, status classes, cache hits, figures per hour and
//! response-time percentiles (L7); bytes, sessions, top clients, ports, regions and disconnect
//! reasons (L4). Rendered as a terminal table ([`render_text`]), one self-contained HTML page
//! ([`render_html`]) or JSON ([`render_json`]).
//!
//! # Limits
//!
//! A [`Summary`] is fed one record at a time ([`Summary::add_l7`], [`Summary::add_l4`]) and
//! summaries merge ([`Summary::merge`]), so files are summarized on several threads
//! ([`summarize`]). Memory is bounded whatever the input:
//!
//! - top keys: at most [`Options::key_capacity`] keys per table (each cut to
//!   [`Options::max_key_bytes`]); exact below that, Space-Saving above it with its error
//!   reported ([`topn`]); [`summarize`]'s threads share that capacity;
//! - response times: a histogram exact below 1024 ms and within 1/1024 above ([`histogram`]);
//! - sessions: exact up to 200,000, then HyperLogLog within 0.81 % ([`distinct`]);
//! - hours: the earliest 4,464 hours (186 days) ([`hours`]);
//! - status codes: a counter per code 100–599, "other" for the rest;
//! - bad lines and failed files: counted, the first few kept.
//!
//! # Definitions
//!
//! - *bytes* (L7) is `EdgeResponseBytes`; L4 bytes are `SentBytes` + `ReceivedBytes`. Absent
//!   and negative values add nothing.
//! - A record's *time* is `RequestTime` (L7), or `LogTimeStamp` and else `ConnectTimeStamp`
//!   (L4), the first that is a readable instant, to the millisecond; its *hour* is the UTC hour
//!   holding it. Records without one count in the totals and in no hour.
//! - *Status classes*: `1xx`–`5xx` for codes 100–599, `other` for any other code, `absent`.
//! - *Cache hit ratio*: records whose `EdgeCacheStatus` is `HIT` (compared ignoring ASCII case)
//!   over the records that have a cache status (any value: `HIT`, `MISS`, `EXPIRED`, `STALE`,
//!   `Dynamic`, … — only `HIT` counts as a hit); records without one are left out of both.
//!   The byte hit ratio weighs each record by its bytes.
//! - *Response time*: `EdgeResponseTime` in ms; percentiles are nearest-rank.

mod borrowed;
mod contain;
pub mod distinct;
pub mod histogram;
pub mod hours;
mod html;
mod json;
mod read;
mod text;
pub mod topn;

use std::path::PathBuf;

use crate::records::{L4Record, L7Record};

use crate::columns::epoch_millis;
use crate::Kind;
use distinct::Distinct;
use histogram::Histogram;
use hours::{Bucket, Hours};
use topn::{By, TopN};

pub use html::{
    escape, render_html, BYTES_COLOR, HIT_COLOR, REASON_COLOR, RECEIVED_COLOR, REQUESTS_COLOR,
    SENT_COLOR,
};
pub use json::render_json;
pub use read::{summarize, JsonReader, SummarizeOptions, SummaryError};
pub use text::render_text;

/// Bad lines and failed files kept with their details; more are only counted.
pub const KEPT_PROBLEMS: usize = 10;
/// Distinct cache statuses kept (there are a handful in practice).
const CACHE_STATUS_CAPACITY: usize = 1024;

/// Bounds of a summary's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Distinct keys a top table counts exactly; past it, Space-Saving with this many entries.
    pub key_capacity: usize,
    /// Keys (hosts, URLs, …) are cut to this many bytes.
    pub max_key_bytes: usize,
    /// Distinct L4 sessions counted exactly; past it, HyperLogLog ([`distinct`]).
    pub session_capacity: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            key_capacity: 100_000,
            max_key_bytes: 256,
            session_capacity: distinct::EXACT_LIMIT,
        }
    }
}

/// The members of an L7 record a summary reads; `None` is absent (or a sentinel).
#[derive(Debug, Clone, Copy, Default)]
pub struct L7Fields<'a> {
    /// `RequestTime`, epoch milliseconds.
    pub time_ms: Option<i64>,
    /// `RequestHost`: the Host header.
    pub host: Option<&'a str>,
    /// `RequestUrl`: the path, without the query.
    pub url: Option<&'a str>,
    /// `ClientIP`: the client's address.
    pub client_ip: Option<&'a str>,
    /// `ClientRegion`: the client's country or region, ISO 3166 alpha-2 (`CN`).
    pub region: Option<&'a str>,
    /// `EdgeCacheStatus` (`HIT`, `MISS`, …): whether the edge served the request from its cache.
    pub cache_status: Option<&'a str>,
    /// `EdgeResponseStatusCode`: the HTTP status code the edge answered with.
    pub status: Option<i64>,
    /// `EdgeResponseBytes`: bytes the edge sent to the client.
    pub bytes: Option<i64>,
    /// `EdgeResponseTime`, in milliseconds.
    pub response_time: Option<i64>,
}

impl<'a> From<&'a L7Record> for L7Fields<'a> {
    fn from(r: &'a L7Record) -> Self {
        L7Fields {
            time_ms: r
                .request_time
                .as_ref()
                .and_then(|t| t.instant())
                .and_then(epoch_millis),
            host: r.request_host.as_deref(),
            url: r.request_url.as_deref(),
            client_ip: r.client_ip.as_deref(),
            region: r.client_region.as_deref(),
            cache_status: r.edge_cache_status.as_deref(),
            status: r.edge_response_status_code,
            bytes: r.edge_response_bytes,
            response_time: r.edge_response_time,
        }
    }
}

/// The members of an L4 record a summary reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct L4Fields<'a> {
    /// `LogTimeStamp`, else `ConnectTimeStamp`, epoch milliseconds.
    pub time_ms: Option<i64>,
    /// `SessionID`: shared by every record of one connection.
    pub session_id: Option<&'a str>,
    /// `ClientRealIP`: the client's address.
    pub client_ip: Option<&'a str>,
    /// `ClientRegion`: the client's country or region, ISO 3166 alpha-2 (`CN`).
    pub region: Option<&'a str>,
    /// `ForwardPort`: the origin port the connection was forwarded to.
    pub port: Option<i64>,
    /// `DisconnetReason`; `None` while the connection is still open.
    pub disconnect_reason: Option<&'a str>,
    /// `SentBytes`: bytes sent to the client in the record's interval.
    pub sent: Option<i64>,
    /// `ReceivedBytes`: bytes received from the client in the record's interval.
    pub received: Option<i64>,
}

impl<'a> From<&'a L4Record> for L4Fields<'a> {
    fn from(r: &'a L4Record) -> Self {
        let ms = |t: &Option<teo_client::models::DateTime>| {
            t.as_ref().and_then(|t| t.instant()).and_then(epoch_millis)
        };
        L4Fields {
            time_ms: ms(&r.log_time_stamp).or_else(|| ms(&r.connect_time_stamp)),
            session_id: r.session_id.as_deref(),
            client_ip: r.client_real_ip.as_deref(),
            region: r.client_region.as_deref(),
            port: r.forward_port,
            disconnect_reason: r.disconnect_reason.as_deref(),
            sent: r.sent_bytes,
            received: r.received_bytes,
        }
    }
}

/// A byte count: absent and negative values add nothing.
fn nonneg(n: Option<i64>) -> u64 {
    n.map_or(0, |n| u64::try_from(n).unwrap_or(0))
}

/// The earliest and latest record times (epoch ms), and how many records had none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// The earliest record time, epoch milliseconds; `None` when no record had a time.
    pub first_ms: Option<i64>,
    /// The latest record time, epoch milliseconds; `None` when no record had a time.
    pub last_ms: Option<i64>,
    /// Records without a readable time (counted in totals, in no hour).
    pub without_time: u64,
}

impl TimeRange {
    fn add(&mut self, ms: Option<i64>) {
        match ms {
            Some(ms) => {
                self.first_ms = Some(self.first_ms.map_or(ms, |f| f.min(ms)));
                self.last_ms = Some(self.last_ms.map_or(ms, |l| l.max(ms)));
            }
            None => self.without_time += 1,
        }
    }

    fn merge(&mut self, other: &TimeRange) {
        if let Some(f) = other.first_ms {
            self.add(Some(f));
        }
        if let Some(l) = other.last_ms {
            self.add(Some(l));
        }
        self.without_time += other.without_time;
    }
}

/// Status classes in order: `1xx`…`5xx`, `other`, `absent`.
pub const STATUS_CLASSES: [&str; 7] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other", "absent"];

/// Requests per status class and per code 100–599.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct StatusCounts {
    classes: [u64; 7],
    /// Index `code - 100`; allocated on the first code.
    codes: Vec<u64>,
}

impl StatusCounts {
    fn add(&mut self, code: Option<i64>) {
        match code {
            None => self.classes[6] += 1,
            Some(c @ 100..=599) => {
                self.classes[(c / 100 - 1) as usize] += 1;
                if self.codes.is_empty() {
                    self.codes = vec![0; 500];
                }
                self.codes[(c - 100) as usize] += 1;
            }
            Some(_) => self.classes[5] += 1,
        }
    }

    fn merge(&mut self, other: &StatusCounts) {
        for (a, b) in self.classes.iter_mut().zip(other.classes) {
            *a += b;
        }
        if self.codes.is_empty() {
            self.codes.clone_from(&other.codes);
        } else {
            for (a, b) in self.codes.iter_mut().zip(&other.codes) {
                *a += b;
            }
        }
    }

    /// Codes by requests, most first (ties by code).
    fn top(&self, n: usize) -> Vec<(u16, u64)> {
        let mut codes: Vec<(u16, u64)> = self
            .codes
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(i, &c)| (i as u16 + 100, c))
            .collect();
        codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        codes.truncate(n);
        codes
    }
}

/// What an hour of L7 records counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L7Hour {
    /// Records whose time falls in this hour.
    pub requests: u64,
    /// Their `EdgeResponseBytes` (absent and negative values add nothing).
    pub bytes: u64,
    /// Records with a cache status, and of them hits.
    pub cache_known: u64,
    /// Records of this hour whose cache status is `HIT` (ignoring ASCII case).
    pub cache_hits: u64,
}

impl Bucket for L7Hour {
    fn merge(&mut self, o: &Self) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.cache_known += o.cache_known;
        self.cache_hits += o.cache_hits;
    }
}

/// What an hour of L4 records counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L4Hour {
    /// Records whose time falls in this hour.
    pub records: u64,
    /// Their `SentBytes`.
    pub sent: u64,
    /// Their `ReceivedBytes`.
    pub received: u64,
}

impl Bucket for L4Hour {
    fn merge(&mut self, o: &Self) {
        self.records += o.records;
        self.sent = self.sent.saturating_add(o.sent);
        self.received = self.received.saturating_add(o.received);
    }
}

/// The summary of L7 (access log) records.
#[derive(Debug, Clone)]
pub struct L7Summary {
    requests: u64,
    bytes: u64,
    time: TimeRange,
    hosts: TopN,
    urls: TopN,
    client_ips: TopN,
    regions: TopN,
    cache_statuses: TopN,
    status: StatusCounts,
    cache_known: u64,
    cache_hits: u64,
    cache_known_bytes: u64,
    cache_hit_bytes: u64,
    hours: Hours<L7Hour>,
    latency: Histogram,
    /// Scratch space for upper-casing cache statuses without allocating per record.
    scratch: String,
}

impl L7Summary {
    /// An empty summary whose tables are bounded by `options`.
    pub fn new(options: Options) -> L7Summary {
        let table = |by| TopN::new(by, options.key_capacity, options.max_key_bytes);
        L7Summary {
            requests: 0,
            bytes: 0,
            time: TimeRange::default(),
            hosts: table(By::Records),
            urls: table(By::Records),
            client_ips: table(By::Records),
            regions: table(By::Records),
            cache_statuses: TopN::new(
                By::Records,
                CACHE_STATUS_CAPACITY.min(options.key_capacity),
                64,
            ),
            status: StatusCounts::default(),
            cache_known: 0,
            cache_hits: 0,
            cache_known_bytes: 0,
            cache_hit_bytes: 0,
            hours: Hours::default(),
            latency: Histogram::new(),
            scratch: String::new(),
        }
    }

    /// Counts one record in every table.
    pub fn add(&mut self, r: &L7Fields<'_>) {
        let bytes = nonneg(r.bytes);
        self.requests += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.time.add(r.time_ms);
        self.hosts.add(r.host, bytes);
        self.urls.add(r.url, bytes);
        self.client_ips.add(r.client_ip, bytes);
        self.regions.add(r.region, bytes);
        self.status.add(r.status);
        let mut hit = false;
        match r.cache_status {
            Some(status) => {
                hit = status.eq_ignore_ascii_case("HIT");
                self.cache_known += 1;
                self.cache_known_bytes = self.cache_known_bytes.saturating_add(bytes);
                if hit {
                    self.cache_hits += 1;
                    self.cache_hit_bytes = self.cache_hit_bytes.saturating_add(bytes);
                }
                let (status, _) = topn::cut(status, 64);
                self.scratch.clear();
                self.scratch.push_str(status);
                self.scratch.make_ascii_uppercase();
                self.cache_statuses.add(Some(&self.scratch), bytes);
            }
            None => self.cache_statuses.add(None, bytes),
        }
        if let Some(ms) = r.time_ms {
            let hour = self.hours.at(ms);
            hour.requests += 1;
            hour.bytes = hour.bytes.saturating_add(bytes);
            if r.cache_status.is_some() {
                hour.cache_known += 1;
                hour.cache_hits += u64::from(hit);
            }
        }
        if let Some(t) = r.response_time.and_then(|t| u64::try_from(t).ok()) {
            self.latency.add(t);
        }
    }

    /// Adds another summary's counts to this one (as if its records had been added here).
    pub fn merge(&mut self, o: L7Summary) {
        self.requests += o.requests;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.time.merge(&o.time);
        self.hosts.merge(o.hosts);
        self.urls.merge(o.urls);
        self.client_ips.merge(o.client_ips);
        self.regions.merge(o.regions);
        self.cache_statuses.merge(o.cache_statuses);
        self.status.merge(&o.status);
        self.cache_known += o.cache_known;
        self.cache_hits += o.cache_hits;
        self.cache_known_bytes = self.cache_known_bytes.saturating_add(o.cache_known_bytes);
        self.cache_hit_bytes = self.cache_hit_bytes.saturating_add(o.cache_hit_bytes);
        self.hours.merge(&o.hours);
        self.latency.merge(&o.latency);
    }

    /// Records counted.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Total `EdgeResponseBytes`.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The earliest and latest `RequestTime`, and how many records had none.
    pub fn time_range(&self) -> TimeRange {
        self.time
    }

    /// Requests per class, in the order of [`STATUS_CLASSES`].
    pub fn status_classes(&self) -> [u64; 7] {
        self.status.classes
    }

    /// Status codes 100–599 by requests, most first.
    pub fn status_codes(&self, n: usize) -> Vec<(u16, u64)> {
        self.status.top(n)
    }

    /// Hits over records with a cache status (`None` without any).
    pub fn cache_hit_ratio(&self) -> Option<f64> {
        (self.cache_known > 0).then(|| self.cache_hits as f64 / self.cache_known as f64)
    }

    /// (records with a cache status, hits among them).
    pub fn cache_counts(&self) -> (u64, u64) {
        (self.cache_known, self.cache_hits)
    }

    /// Hit bytes over the bytes of records with a cache status (`None` when those add up to 0).
    pub fn byte_hit_ratio(&self) -> Option<f64> {
        (self.cache_known_bytes > 0)
            .then(|| self.cache_hit_bytes as f64 / self.cache_known_bytes as f64)
    }

    /// `RequestHost` by requests.
    pub fn hosts(&self) -> &TopN {
        &self.hosts
    }

    /// `RequestUrl` by requests.
    pub fn urls(&self) -> &TopN {
        &self.urls
    }

    /// `ClientIP` by requests.
    pub fn client_ips(&self) -> &TopN {
        &self.client_ips
    }

    /// `ClientRegion` by requests.
    pub fn regions(&self) -> &TopN {
        &self.regions
    }

    /// `EdgeCacheStatus` (upper-cased) by requests.
    pub fn cache_statuses(&self) -> &TopN {
        &self.cache_statuses
    }

    /// Requests, bytes and cache hits per UTC hour.
    pub fn hours(&self) -> &Hours<L7Hour> {
        &self.hours
    }

    /// `EdgeResponseTime` (ms).
    pub fn response_time(&self) -> &Histogram {
        &self.latency
    }
}

/// The summary of L4 (proxy) records.
#[derive(Debug, Clone)]
pub struct L4Summary {
    records: u64,
    sent: u64,
    received: u64,
    time: TimeRange,
    sessions: Distinct,
    records_without_session: u64,
    clients: TopN,
    ports: TopN,
    regions: TopN,
    reasons: TopN,
    hours: Hours<L4Hour>,
}

impl L4Summary {
    /// An empty summary whose tables are bounded by `options`.
    pub fn new(options: Options) -> L4Summary {
        let table = |by| TopN::new(by, options.key_capacity, options.max_key_bytes);
        L4Summary {
            records: 0,
            sent: 0,
            received: 0,
            time: TimeRange::default(),
            sessions: Distinct::with_limit(options.session_capacity),
            records_without_session: 0,
            clients: table(By::Bytes),
            ports: table(By::Bytes),
            regions: table(By::Bytes),
            reasons: table(By::Records),
            hours: Hours::default(),
        }
    }

    /// Counts one record in every table.
    pub fn add(&mut self, r: &L4Fields<'_>) {
        let sent = nonneg(r.sent);
        let received = nonneg(r.received);
        let bytes = sent.saturating_add(received);
        self.records += 1;
        self.sent = self.sent.saturating_add(sent);
        self.received = self.received.saturating_add(received);
        self.time.add(r.time_ms);
        match r.session_id {
            Some(id) => self.sessions.add(id),
            None => self.records_without_session += 1,
        }
        self.clients.add(r.client_ip, bytes);
        self.regions.add(r.region, bytes);
        match r.port {
            Some(port) => {
                let mut buf = [0u8; 24];
                self.ports.add(Some(format_int(port, &mut buf)), bytes);
            }
            None => self.ports.add(None, bytes),
        }
        self.reasons.add(r.disconnect_reason, bytes);
        if let Some(ms) = r.time_ms {
            let hour = self.hours.at(ms);
            hour.records += 1;
            hour.sent = hour.sent.saturating_add(sent);
            hour.received = hour.received.saturating_add(received);
        }
    }

    /// Adds another summary's counts to this one (as if its records had been added here).
    pub fn merge(&mut self, o: L4Summary) {
        self.records += o.records;
        self.sent = self.sent.saturating_add(o.sent);
        self.received = self.received.saturating_add(o.received);
        self.time.merge(&o.time);
        self.sessions.merge(o.sessions);
        self.records_without_session += o.records_without_session;
        self.clients.merge(o.clients);
        self.ports.merge(o.ports);
        self.regions.merge(o.regions);
        self.reasons.merge(o.reasons);
        self.hours.merge(&o.hours);
    }

    /// Records counted (one connection has several: one per 5-minute interval).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Total `SentBytes`.
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Total `ReceivedBytes`.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The earliest and latest record time (`LogTimeStamp`, else `ConnectTimeStamp`), and how
    /// many records had neither.
    pub fn time_range(&self) -> TimeRange {
        self.time
    }

    /// Distinct `SessionID`s.
    pub fn sessions(&self) -> &Distinct {
        &self.sessions
    }

    /// `ClientRealIP` by bytes (sent + received).
    pub fn clients(&self) -> &TopN {
        &self.clients
    }

    /// `ForwardPort` by bytes.
    pub fn ports(&self) -> &TopN {
        &self.ports
    }

    /// `ClientRegion` by bytes.
    pub fn regions(&self) -> &TopN {
        &self.regions
    }

    /// `DisconnetReason` by records; absent: still connected.
    pub fn disconnect_reasons(&self) -> &TopN {
        &self.reasons
    }

    /// Records, sent and received bytes per UTC hour.
    pub fn hours(&self) -> &Hours<L4Hour> {
        &self.hours
    }
}

/// `n` in decimal, in `buf`, without allocating.
fn format_int(n: i64, buf: &mut [u8; 24]) -> &str {
    let mut at = buf.len();
    let negative = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    // ASCII digits and '-' only.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BadLine {
    /// The file holding the line.
    pub file: PathBuf,
    /// Its line number, counting from 1.
    pub line: u64,
    /// Why it could not be read.
    pub reason: String,
}

/// Everything summarized: L7 and/or L4 records (a directory may hold both), the files read, bad
/// lines and failures.
#[derive(Debug)]
pub struct Summary {
    options: Options,
    l7: Option<L7Summary>,
    l4: Option<L4Summary>,
    files: u64,
    failed: Vec<SummaryError>,
    failed_count: u64,
    bad: Vec<BadLine>,
    bad_count: u64,
}

impl Summary {
    /// An empty summary whose tables are bounded by `options`.
    pub fn new(options: Options) -> Summary {
        Summary {
            options,
            l7: None,
            l4: None,
            files: 0,
            failed: Vec::new(),
            failed_count: 0,
            bad: Vec::new(),
            bad_count: 0,
        }
    }

    /// The bounds the summary was made with.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Counts one L7 record (the L7 part is made on the first).
    pub fn add_l7(&mut self, r: &L7Fields<'_>) {
        let options = self.options;
        self.l7
            .get_or_insert_with(|| L7Summary::new(options))
            .add(r);
    }

    /// Counts one L4 record (the L4 part is made on the first).
    pub fn add_l4(&mut self, r: &L4Fields<'_>) {
        let options = self.options;
        self.l4
            .get_or_insert_with(|| L4Summary::new(options))
            .add(r);
    }

    /// Counts one decoded L7 record: [`Summary::add_l7`] of the members it reads.
    pub fn add_l7_record(&mut self, r: &L7Record) {
        self.add_l7(&L7Fields::from(r));
    }

    /// Counts one decoded L4 record: [`Summary::add_l4`] of the members it reads.
    pub fn add_l4_record(&mut self, r: &L4Record) {
        self.add_l4(&L4Fields::from(r));
    }

    /// Makes the summary of `kind` present even without records (a file of that kind was read).
    pub fn touch(&mut self, kind: Kind) {
        let options = self.options;
        match kind {
            Kind::L7 => {
                self.l7.get_or_insert_with(|| L7Summary::new(options));
            }
            Kind::L4 => {
                self.l4.get_or_insert_with(|| L4Summary::new(options));
            }
            // Not summarized: refused where files are read.
            _ => {}
        }
    }

    /// Counts a file read (whether or not it failed midway).
    pub fn file_read(&mut self) {
        self.files += 1;
    }

    /// Records a file that could not be read (or not to its end).
    pub fn file_failed(&mut self, error: SummaryError) {
        self.failed_count += 1;
        self.failed.push(error);
        self.trim_failed();
    }

    /// Keeps the first failures by path, whatever order the threads met them in.
    fn trim_failed(&mut self) {
        self.failed.sort_by(|a, b| a.path().cmp(b.path()));
        self.failed.truncate(KEPT_PROBLEMS);
    }

    /// Counts `count` bad lines, keeping `first` (the first of them) for the report.
    pub fn bad_lines(&mut self, count: u64, first: impl IntoIterator<Item = BadLine>) {
        self.bad_count += count;
        for mut bad in first.into_iter().take(KEPT_PROBLEMS) {
            // A reason may quote a hostile value: keep it short.
            if bad.reason.len() > 200 {
                let (cut, _) = topn::cut(&bad.reason, 200);
                bad.reason = format!("{cut}…");
            }
            self.bad.push(bad);
        }
        self.bad.sort();
        self.bad.truncate(KEPT_PROBLEMS);
    }

    /// Adds another summary to this one: counts add up, the kept failures and bad lines are the
    /// first of both (by path).
    pub fn merge(&mut self, other: Summary) {
        match (&mut self.l7, other.l7) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        match (&mut self.l4, other.l4) {
            (Some(a), Some(b)) => a.merge(b),
            (a @ None, b) => *a = b,
            _ => {}
        }
        self.files += other.files;
        self.failed_count += other.failed_count;
        self.failed.extend(other.failed);
        self.trim_failed();
        self.bad_count += other.bad_count;
        self.bad.extend(other.bad);
        self.bad.sort();
        self.bad.truncate(KEPT_PROBLEMS);
    }

    /// The L7 part; `None` when no L7 record or file was met.
    pub fn l7(&self) -> Option<&L7Summary> {
        self.l7.as_ref()
    }

    /// The L4 part; `None` when no L4 record or file was met.
    pub fn l4(&self) -> Option<&L4Summary> {
        self.l4.as_ref()
    }

    /// Files read.
    pub fn files(&self) -> u64 {
        self.files
    }

    /// The first files that failed (sorted by path), and how many did.
    pub fn failed(&self) -> (&[SummaryError], u64) {
        (&self.failed, self.failed_count)
    }

    /// The first bad lines (by file and line), and how many there were.
    pub fn bad(&self) -> (&[BadLine], u64) {
        (&self.bad, self.bad_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: u64) -> (String, String, Option<i64>, Option<&'static str>) {
        let host = format!("h{}.example.com", i % 3);
        let url = format!("/p/{}", i % 17);
        let status = match i % 11 {
            0 => None,
            1 => Some(700),
            2 => Some(404),
            3 => Some(503),
            4 => Some(101),
            5 => Some(301),
            _ => Some(200),
        };
        let cache = match i % 5 {
            0 => None,
            1 | 2 => Some("hit"),
            3 => Some("HIT"),
            _ => Some("Miss"),
        };
        (host, url, status, cache)
    }

    fn feed(summary: &mut Summary, range: std::ops::Range<u64>) {
        let base = 1_714_557_600_000i64; // 2024-05-01T10:00:00Z
        for i in range {
            let (host, url, status, cache) = record(i);
            summary.add_l7(&L7Fields {
                time_ms: (i % 13 != 0).then(|| base + (i as i64 * 997_123) % (5 * 3_600_000)),
                host: Some(&host),
                url: Some(&url),
                client_ip: (i % 7 != 0).then_some("10.0.0.1"),
                region: Some(if i % 2 == 0 { "CN" } else { "US" }),
                cache_status: cache,
                status,
                bytes: Some(i as i64 * 10 - 50),
                response_time: Some((i * 37 % 5000) as i64),
            });
        }
    }

    #[test]
    fn figures_of_a_known_stream() {
        let mut s = Summary::new(Options::default());
        feed(&mut s, 0..1000);
        let l7 = s.l7().unwrap();
        assert_eq!(l7.requests(), 1000);
        // Bytes i*10-50: negative ones (i < 5) add nothing.
        let bytes: u64 = (5..1000u64).map(|i| i * 10 - 50).sum();
        assert_eq!(l7.bytes(), bytes);
        let mut classes = [0u64; 7];
        for i in 0..1000 {
            let c = match record(i).2 {
                None => 6,
                Some(c @ 100..=599) => (c / 100 - 1) as usize,
                Some(_) => 5,
            };
            classes[c] += 1;
        }
        assert_eq!(l7.status_classes(), classes);
        assert_eq!(l7.status_codes(1)[0].0, 200);
        let known = (0..1000).filter(|i| i % 5 != 0).count() as u64;
        let hits = (0..1000).filter(|i| matches!(i % 5, 1..=3)).count() as u64;
        assert_eq!(l7.cache_counts(), (known, hits));
        assert_eq!(l7.cache_hit_ratio(), Some(hits as f64 / known as f64));
        let statuses = l7.cache_statuses().top(5);
        assert_eq!(statuses[0].key, "HIT");
        assert_eq!(statuses[0].records, hits);
        assert_eq!(statuses[1].key, "MISS");
        // Per hour: five hours, summing to the records with a time.
        let hours: Vec<_> = l7.hours().iter().collect();
        assert_eq!(hours.len(), 5);
        let timed = (0..1000).filter(|i| i % 13 != 0).count() as u64;
        assert_eq!(hours.iter().map(|(_, h)| h.requests).sum::<u64>(), timed);
        assert_eq!(l7.time_range().without_time, 1000 - timed);
        assert_eq!(hours[0].0, 1_714_557_600_000 / 3_600_000);
        // Per-hour bytes sum to the total of records with a time.
        let timed_bytes: u64 = (5..1000u64)
            .filter(|i| i % 13 != 0)
            .map(|i| i * 10 - 50)
            .sum();
        assert_eq!(hours.iter().map(|(_, h)| h.bytes).sum::<u64>(), timed_bytes);
        assert_eq!(
            l7.client_ips().absent().0,
            (0..1000).filter(|i| i % 7 == 0).count() as u64
        );
        assert_eq!(l7.response_time().count(), 1000);
    }

    #[test]
    fn merge_equals_a_single_pass() {
        let mut one = Summary::new(Options::default());
        feed(&mut one, 0..3000);
        let mut parts: Vec<Summary> = (0..4).map(|_| Summary::new(Options::default())).collect();
        for (k, part) in parts.iter_mut().enumerate() {
            feed(part, (k as u64 * 750)..((k as u64 + 1) * 750));
        }
        let mut merged = Summary::new(Options::default());
        // Merge in another order than the input's.
        for part in parts.into_iter().rev() {
            merged.merge(part);
        }
        assert_eq!(render_json(&merged, 50), render_json(&one, 50));
    }

    #[test]
    fn l4_figures() {
        let mut s = Summary::new(Options::default());
        for i in 0..100i64 {
            let session = format!("s{}", i % 40);
            s.add_l4(&L4Fields {
                time_ms: Some(1_714_557_600_000 + i * 60_000),
                session_id: Some(&session),
                client_ip: Some(if i % 4 == 0 { "1.1.1.1" } else { "2.2.2.2" }),
                region: None,
                port: Some(if i % 2 == 0 { 443 } else { 22 }),
                disconnect_reason: (i % 3 == 0).then_some("down: channel_eof_exception"),
                sent: Some(i * 100),
                received: Some(i),
            });
        }
        let l4 = s.l4().unwrap();
        assert_eq!(l4.records(), 100);
        assert_eq!(l4.sessions().count(), 40);
        assert_eq!(l4.sent(), (0..100).map(|i| i * 100).sum::<i64>() as u64);
        assert_eq!(l4.received(), 4950);
        // By bytes: odd records (port 22) sent a little more.
        let ports = l4.ports().top(2);
        assert_eq!((ports[0].key.as_str(), ports[0].records), ("22", 50));
        assert_eq!(ports[1].key, "443");
        let reasons = l4.disconnect_reasons();
        assert_eq!(reasons.absent().0, 66);
        assert_eq!(reasons.top(1)[0].records, 34);
        let hours: Vec<_> = l4.hours().iter().collect();
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[0].1.records, 60);
    }

    #[test]
    fn integers_format_without_allocating() {
        let mut buf = [0u8; 24];
        assert_eq!(format_int(443, &mut buf), "443");
        assert_eq!(format_int(0, &mut buf), "0");
        assert_eq!(format_int(i64::MIN, &mut buf), "-9223372036854775808");
    }
}
