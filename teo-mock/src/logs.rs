//! DownloadL4Logs / DownloadL7Logs: hourly gzip packets of synthetic JSON-lines records, listed
//! by the API and served by the mock itself.
//!
//! # Listings and packets
//!
//! A listing enumerates one packet per whole UTC hour overlapping `[StartTime, EndTime)`, per
//! zone, per L4 proxy (or L7 domain), ordered by hour, then zone, then proxy / domain. Nothing
//! is stored per request: a packet is fully identified by its file name
//! (`l4_2024050110_zone-mock_sid-mock.log.gz`), and its content is generated deterministically
//! from that name (records from a `fastrand` generator seeded with a stable hash of the name),
//! so the same packet always has the same bytes across requests and runs, and `Size` is the
//! exact length of the file served at `Url`. Packets hold 50–400 records each (or, with
//! [`LogStore::packet_bytes`], as many as it takes to reach a minimum file size, for benchmarks)
//! and are gzip files with stored (uncompressed) deflate blocks, so listing only needs each
//! packet's text length (see the private `gzip` function for why). Sizes and served files are cached in the
//! [`LogStore`], with bounds.
//!
//! # Records
//!
//! Records carry exactly the members EdgeOne documents for offline logs, under their wire
//! names (the service's `DisconnetTimeStamp` / `DisconnetReason` included), in its shapes:
//! - L7, one record per request (`RequestID` … `SecurityModule`): clients from the zone's area
//!   (mainland zones ~93% `CN` with `ClientState` as ISO 3166-2 and Chinese ISP names, overseas
//!   zones a world mix with AS numbers; ~20% IPv6), browsers, crawlers, tools and apps
//!   (`RequestUA`), pages, assets, APIs, video with `Range`/206, downloads, scanners; status
//!   codes ~80% 200 with 206/3xx/4xx and a little 499/5xx; `EdgeCacheStatus` `HIT` (about half),
//!   `MISS`, `Dynamic`, some `EXPIRED`/`STALE`; `EdgeResponseTime` log-normal by cache status
//!   (median ~40 ms, p99 in seconds); edge-function sub-requests linked by `ParentRequestID`;
//!   security actions on 2–3% (`Deny` → 403).
//! - L4, one record per connection per 5-minute interval and one when it ends (`ServiceID`
//!   … `LogTimeStamp`): sessions share `SessionID`, client and `ConnectTimeStamp` across their
//!   records, may have connected hours before the hour or still be connected after it
//!   (`DisconnetTimeStamp`/`DisconnetReason` `"-"`), and end with a documented
//!   `direction: reason`; `LogTimeStamp` is unix seconds in ~2% of records.
//! - Sentinels as EdgeOne writes them, in ~3% of each field that can lack a value (`"-"`, `-1`;
//!   `RemotePort` also `"-"` or digits as text), never in `RequestHost`, `RequestTime`,
//!   `EdgeResponseStatusCode`, `EdgeResponseBytes`, `ServiceID`, `SentBytes`, `ReceivedBytes`
//!   or `LogTimeStamp`.
//!
//! Records are written straight into one string (no per-record allocation or serde), at about
//! a million per second per core in release builds.
//!
//! # File names
//!
//! File names use only `[A-Za-z0-9.-]`, `_` (the field separator) and `~` (escape): any other
//! byte of a zone, proxy or domain is written `~XX` (uppercase hex), so names survive URL
//! paths untouched and parse back unambiguously.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

use hyper::body::Bytes;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

use crate::error::{codes, ApiError};

mod records;

use records::{Parent, RecordContext};

/// Which log family a request or packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// DownloadL4Logs: L4 proxy logs, one packet per proxy (`ProxyIds`).
    L4,
    /// DownloadL7Logs: L7 access logs, one packet per domain (`Domains`).
    L7,
}

impl LogKind {
    /// The kind an action lists: `DownloadL4Logs` or `DownloadL7Logs`, else None.
    pub fn from_action(action: &str) -> Option<LogKind> {
        match action {
            "DownloadL4Logs" => Some(LogKind::L4),
            "DownloadL7Logs" => Some(LogKind::L7),
            _ => None,
        }
    }

    /// The kind's tag in file names.
    fn tag(self) -> &'static str {
        match self {
            LogKind::L4 => "l4",
            LogKind::L7 => "l7",
        }
    }

    fn from_tag(tag: &str) -> Option<LogKind> {
        match tag {
            "l4" => Some(LogKind::L4),
            "l7" => Some(LogKind::L7),
            _ => None,
        }
    }

    /// The request member listing proxies / domains.
    fn ids_member(self) -> &'static str {
        match self {
            LogKind::L4 => "ProxyIds",
            LogKind::L7 => "Domains",
        }
    }

    /// The response member naming a packet's proxy / domain.
    fn id_field(self) -> &'static str {
        match self {
            LogKind::L4 => "ProxyId",
            LogKind::L7 => "Domain",
        }
    }

    /// The proxy / domain listed for each zone when the request names none.
    fn default_id(self) -> &'static str {
        match self {
            LogKind::L4 => "sid-mock",
            LogKind::L7 => "www.example.com",
        }
    }
}

/// The zone listed when the request has no (or an empty) `ZoneIds`.
pub const DEFAULT_ZONE: &str = "zone-mock";
/// `Limit` when the request has none.
pub const DEFAULT_LIMIT: i64 = 20;
/// The largest accepted `Limit`.
pub const MAX_LIMIT: i64 = 300;
/// The longest accepted `[StartTime, EndTime)` range.
pub const MAX_RANGE: time::Duration = time::Duration::days(31);
/// The longest accepted zone ID, proxy ID or domain, in bytes.
pub const MAX_ID_LEN: usize = 255;

const HOUR_SECS: i64 = 3600;
const HOUR_NANOS: i128 = 3_600_000_000_000;
/// Accepted times: from 1970-01-01T00:00:00Z (inclusive)…
const MIN_TIME: OffsetDateTime = time::macros::datetime!(1970-01-01 0:00 UTC);
/// …to 9999-01-01T00:00:00Z (exclusive), which keeps every derived time formattable.
const MAX_TIME: OffsetDateTime = time::macros::datetime!(9999-01-01 0:00 UTC);

/// The default bound of the served-bytes cache ([`LogStore::cache_bytes`]): 64 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;
/// The largest accepted [`LogStore::packet_bytes`]: 1 GiB.
pub const MAX_PACKET_BYTES: u64 = 1 << 30;
/// Cache bounds: packets kept (besides their bytes, [`LogStore::cache_bytes`]), and known sizes
/// (cleared when full; both are regenerated on demand).
const CACHE_MAX_ENTRIES: usize = 4096;
const SIZE_CACHE_MAX_ENTRIES: usize = 1 << 16;

/// Deterministic synthetic log packets.
///
/// Listing and downloading are stateless (a packet is identified by its file name); the store
/// only caches listed sizes and served files, both bounded and regenerated on demand. Listing
/// 300 packets takes ~0.7 s cold in an unoptimised build (each packet's text is generated to
/// learn its length) and milliseconds when cached. With [`LogStore::packet_bytes`], listing costs
/// about the generation of the packets' text: 64 packets of 8 MiB list in ~0.55 s cold in a
/// release build (one thread) and ~0.2 ms cached; serving them all cold takes ~0.9 s more (the
/// `listing_64_big_packets` test, run with `--release -- --ignored`).
#[derive(Debug)]
pub struct LogStore {
    cache: Mutex<Cache>,
    /// Each packet has at least this many gzip bytes (more records); None: 50–400 records.
    packet_bytes: Option<u64>,
    /// The bound of the served-bytes cache.
    cache_bytes: usize,
}

impl Default for LogStore {
    fn default() -> LogStore {
        LogStore {
            cache: Mutex::default(),
            packet_bytes: None,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

#[derive(Debug, Default)]
struct Cache {
    /// File name → gzip bytes.
    bytes: HashMap<String, Bytes>,
    /// Insertion order of `bytes`, for eviction.
    order: VecDeque<String>,
    /// Sum of the lengths in `bytes`.
    total: usize,
    /// File name → the packet's record count and text length (which give its gzip length).
    sizes: HashMap<String, Layout>,
}

/// How many records a packet has and how long its text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    records: usize,
    text_len: usize,
}

impl Layout {
    /// The length of the packet's gzip file.
    fn gzip_len(self) -> u64 {
        gzip_len(self.text_len) as u64
    }
}

impl Cache {
    /// Caches `bytes` under `name`, first evicting the oldest entries to stay within
    /// `max_entries` and `max_bytes` (an entry larger than `max_bytes` alone is still kept).
    /// Returns the cached bytes: the existing entry if `name` was already cached.
    fn insert(&mut self, name: &str, bytes: Bytes, max_entries: usize, max_bytes: usize) -> Bytes {
        if let Some(existing) = self.bytes.get(name) {
            return existing.clone();
        }
        while self.order.len() >= max_entries.max(1)
            || (!self.order.is_empty() && self.total + bytes.len() > max_bytes)
        {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(old_bytes) = self.bytes.remove(&old) {
                self.total -= old_bytes.len();
            }
        }
        self.total += bytes.len();
        self.order.push_back(name.to_owned());
        self.bytes.insert(name.to_owned(), bytes.clone());
        bytes
    }
}

impl LogStore {
    /// An empty store: packets of 50–400 records, a served-bytes cache of 64 MiB.
    pub fn new() -> LogStore {
        LogStore::default()
    }

    /// `Some(n)`: every packet is extended with more (deterministic) records until its gzip file
    /// has at least `n` bytes (at most [`MAX_PACKET_BYTES`]; larger values are clamped), for
    /// benchmarks. The listed `Size` stays the exact served length. `None` (the default): each
    /// packet has its own 50–400 records. A packet already that large is unchanged.
    pub fn packet_bytes(mut self, min_bytes: Option<u64>) -> LogStore {
        self.packet_bytes = min_bytes.map(|n| n.min(MAX_PACKET_BYTES));
        self
    }

    /// Bounds the cache of served packet bytes (default [`DEFAULT_CACHE_BYTES`]); the oldest
    /// packets are evicted beyond it (and regenerated when asked for again). A single packet
    /// larger than the bound is still cached, alone.
    pub fn cache_bytes(mut self, max_bytes: usize) -> LogStore {
        self.cache_bytes = max_bytes;
        self
    }

    /// The `Response` object (without RequestId) for a validated DownloadL4Logs/DownloadL7Logs request.
    /// `base_url` is the mock's own base URL, e.g. "http://127.0.0.1:PORT"; packet URLs point back at it.
    ///
    /// Returns `{"TotalCount": n, "Data": [...]}` with the packets `[Offset, Offset+Limit)` of
    /// the full ordered listing. Errors: MissingParameter for a missing StartTime / EndTime,
    /// InvalidParameter for a member of the wrong type, InvalidParameterValue for an
    /// unparseable time, EndTime before StartTime (equal times are an empty range, as in the
    /// official example), a range over 31 days, a time outside
    /// 1970–9998, Limit outside 0..=300, a negative Offset, or an empty / overlong ID.
    pub fn list(&self, kind: LogKind, request: &Value, base_url: &str) -> Result<Value, ApiError> {
        let start = time_member(request, "StartTime")?;
        let end = time_member(request, "EndTime")?;
        if end < start {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!(
                    "EndTime must not be before StartTime (StartTime {}, EndTime {}).",
                    fmt_time(start),
                    fmt_time(end)
                ),
            ));
        }
        if end - start > MAX_RANGE {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!(
                    "EndTime must be at most 31 days after StartTime (StartTime {}, EndTime {}).",
                    fmt_time(start),
                    fmt_time(end)
                ),
            ));
        }
        let limit = int_member(request, "Limit", DEFAULT_LIMIT)?;
        if !(0..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("Limit must be between 0 and {MAX_LIMIT}, got {limit}."),
            ));
        }
        let offset = int_member(request, "Offset", 0)?;
        if offset < 0 {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("Offset must not be negative, got {offset}."),
            ));
        }
        let zones = id_list(request, "ZoneIds", DEFAULT_ZONE)?;
        let ids = id_list(request, kind.ids_member(), kind.default_id())?;

        // Hours (as indices since the epoch) overlapping [start, end): the first contains
        // `start`, the last contains the instant just before `end`.
        let first_hour = start.unix_timestamp_nanos().div_euclid(HOUR_NANOS);
        let last_hour = (end.unix_timestamp_nanos() - 1).div_euclid(HOUR_NANOS);
        let hours = (last_hour - first_hour + 1) as u64;
        let per_hour = (zones.len() * ids.len()) as u64;
        let total = hours * per_hour;

        let offset = offset as u64;
        let stop = total.min(offset.saturating_add(limit as u64));
        let base_url = base_url.trim_end_matches('/');
        let mut data = Vec::new();
        for index in offset..stop {
            let hour = first_hour as i64 + (index / per_hour) as i64;
            let zone = &zones[((index % per_hour) / ids.len() as u64) as usize];
            let id = &ids[(index % ids.len() as u64) as usize];
            let packet = PacketId::new(kind, hour * HOUR_SECS, zone.clone(), id.clone())
                .ok_or_else(|| {
                    ApiError::new(codes::INTERNAL_ERROR, "A log packet time is out of range.")
                })?;
            let size = self.layout(&packet).gzip_len();
            data.push(packet.entry(base_url, size));
        }
        Ok(json!({ "TotalCount": total, "Data": data }))
    }

    /// The gzip bytes of a packet, by the file name in its URL path (`/logs/<name>`), or None.
    ///
    /// `file_name` is the last segment of a listed `Url`, `.log.gz` included. Any string is
    /// accepted: one that is not the canonical name of a packet gives None.
    ///
    /// Cached bytes are shared, not copied: serving a cached packet costs no copy of it.
    pub fn packet(&self, file_name: &str) -> Option<Bytes> {
        let packet = PacketId::parse(file_name)?;
        if let Some(bytes) = self.cached(file_name) {
            return Some(bytes);
        }
        // Generated outside the lock; a concurrent duplicate generation yields identical bytes.
        let layout = self.layout(&packet);
        let bytes = Bytes::from(packet.generate(layout));
        Some(self.lock().insert(
            &packet.file_name,
            bytes,
            CACHE_MAX_ENTRIES,
            self.cache_bytes,
        ))
    }

    /// The bytes of a packet if they are in the cache (no generation): a cheap check before
    /// moving the generation of a large packet off the async runtime.
    pub fn cached(&self, file_name: &str) -> Option<Bytes> {
        self.lock().bytes.get(file_name).cloned()
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves at worst a missing entry (regenerated on
        // demand) or a stale `total` (which only changes when eviction happens), so poisoning
        // is ignored.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A packet's record count and text length, which give its exact gzip length (cached;
    /// computing them takes generating the packet's text, not its gzip bytes).
    fn layout(&self, packet: &PacketId) -> Layout {
        if let Some(&layout) = self.lock().sizes.get(&packet.file_name) {
            return layout;
        }
        let layout = packet.layout(self.packet_bytes);
        let mut cache = self.lock();
        if cache.sizes.len() >= SIZE_CACHE_MAX_ENTRIES {
            cache.sizes.clear();
        }
        cache.sizes.insert(packet.file_name.clone(), layout);
        layout
    }
}

/// A byte count as written on the command line: plain bytes (`1048576`, `100B`), binary
/// multiples `KiB`, `MiB`, `GiB` (also `K`, `M`, `G`), or decimal ones `KB`, `MB`, `GB`; case
/// does not matter and a space may precede the unit (`8MiB`, `512 KiB`, `1.5MiB`). Fractions
/// are rounded down to whole bytes.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "size {text:?} has an unknown unit (expected bytes, KiB, MiB, GiB, KB, MB or GB)"
            ))
        }
    };
    let invalid = || format!("size {text:?} is not a number of bytes like 8MiB or 512KiB");
    if number.is_empty() {
        return Err(invalid());
    }
    if let Ok(whole) = number.parse::<u64>() {
        return whole.checked_mul(scale).ok_or_else(invalid);
    }
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n * (scale as f64) < u64::MAX as f64 => {
            Ok((n * scale as f64) as u64)
        }
        _ => Err(invalid()),
    }
}

/// A required RFC 3339 time member.
fn time_member(request: &Value, name: &str) -> Result<OffsetDateTime, ApiError> {
    let text = match request.get(name) {
        None | Some(Value::Null) => {
            return Err(ApiError::new(
                codes::MISSING_PARAMETER,
                format!("The parameter `{name}` is missing."),
            ))
        }
        Some(Value::String(text)) => text,
        Some(_) => {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!("{name} must be a string (an RFC 3339 time)."),
            ))
        }
    };
    let time = OffsetDateTime::parse(text, &Rfc3339).map_err(|error| {
        ApiError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("{name} `{text}` is not a valid RFC 3339 time ({error})."),
        )
    })?;
    if time < MIN_TIME || time >= MAX_TIME {
        return Err(ApiError::new(
            codes::INVALID_PARAMETER_VALUE,
            format!("{name} `{text}` is outside the supported range (1970-01-01 to 9998-12-31)."),
        ));
    }
    Ok(time)
}

/// An optional integer member.
fn int_member(request: &Value, name: &str, default: i64) -> Result<i64, ApiError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(value) => Ok(value),
            None if number.is_u64() => Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("{name} is out of range, got {number}."),
            )),
            None => Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!("{name} must be an integer, got {number}."),
            )),
        },
        Some(_) => Err(ApiError::new(
            codes::INVALID_PARAMETER,
            format!("{name} must be an integer."),
        )),
    }
}

/// An optional list of IDs, sorted and deduplicated; `[default]` when absent or empty.
fn id_list(request: &Value, name: &str, default: &str) -> Result<Vec<String>, ApiError> {
    let items = match request.get(name) {
        None | Some(Value::Null) => return Ok(vec![default.to_owned()]),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!("{name} must be a list of strings."),
            ))
        }
    };
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(id) = item.as_str() else {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                format!("{name}[{i}] must be a string."),
            ));
        };
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER_VALUE,
                format!("{name}[{i}] must be 1 to {MAX_ID_LEN} bytes long."),
            ));
        }
        ids.push(id.to_owned());
    }
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        ids.push(default.to_owned());
    }
    Ok(ids)
}

/// A time for messages (RFC 3339 when representable).
fn fmt_time(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_else(|_| time.to_string())
}

/// The identity of one packet: everything its content derives from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PacketId {
    kind: LogKind,
    /// The hour's start, UTC.
    start: OffsetDateTime,
    zone: String,
    /// Proxy ID (L4) or domain (L7).
    id: String,
    /// The canonical file name, `.log.gz` included.
    file_name: String,
}

impl PacketId {
    /// `hour_start` is whole-hour unix seconds within the supported range, or None.
    fn new(kind: LogKind, hour_start: i64, zone: String, id: String) -> Option<PacketId> {
        if hour_start.rem_euclid(HOUR_SECS) != 0 {
            return None;
        }
        let start = OffsetDateTime::from_unix_timestamp(hour_start).ok()?;
        if start < MIN_TIME || start >= MAX_TIME {
            return None;
        }
        if zone.is_empty() || zone.len() > MAX_ID_LEN || id.is_empty() || id.len() > MAX_ID_LEN {
            return None;
        }
        let mut file_name = format!(
            "{}_{:04}{:02}{:02}{:02}_",
            kind.tag(),
            start.year(),
            start.month() as u8,
            start.day(),
            start.hour()
        );
        escape_into(&zone, &mut file_name);
        file_name.push('_');
        escape_into(&id, &mut file_name);
        file_name.push_str(".log.gz");
        Some(PacketId {
            kind,
            start,
            zone,
            id,
            file_name,
        })
    }

    /// The packet a file name denotes, if it is the canonical name of one.
    fn parse(file_name: &str) -> Option<PacketId> {
        // Kind, hour, separators and suffix, plus two fully escaped IDs.
        if file_name.len() > 32 + 2 * 3 * MAX_ID_LEN {
            return None;
        }
        let stem = file_name.strip_suffix(".log.gz")?;
        let mut parts = stem.split('_');
        let kind = LogKind::from_tag(parts.next()?)?;
        let hour = parts.next()?;
        let zone = unescape(parts.next()?)?;
        let id = unescape(parts.next()?)?;
        if parts.next().is_some() || hour.len() != 10 || !hour.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| hour.get(range)?.parse::<u16>().ok();
        let year = i32::from(number(0..4)?);
        let month = Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
        let day = u8::try_from(number(6..8)?).ok()?;
        let hour_of_day = number(8..10)?;
        if hour_of_day >= 24 {
            return None;
        }
        let date = Date::from_calendar_date(year, month, day).ok()?;
        let hour_start =
            date.midnight().assume_utc().unix_timestamp() + i64::from(hour_of_day) * HOUR_SECS;
        let packet = PacketId::new(kind, hour_start, zone, id)?;
        (packet.file_name == file_name).then_some(packet)
    }

    /// `LogPacketName`: `YYYYMMDD-HH-<proxy or domain>` (UTC), as in the API's examples.
    fn packet_name(&self) -> String {
        let s = self.start;
        format!(
            "{:04}{:02}{:02}-{:02}-{}",
            s.year(),
            s.month() as u8,
            s.day(),
            s.hour(),
            self.id
        )
    }

    /// The zone's area, derived from the zone ID (about one zone in three is `overseas`).
    fn area(&self) -> &'static str {
        match hash(self.zone.as_bytes()) % 3 {
            0 => "overseas",
            _ => "mainland",
        }
    }

    /// The packet's entry in a listing.
    fn entry(&self, base_url: &str, size: u64) -> Value {
        let mut entry = Map::new();
        entry.insert(
            self.kind.id_field().to_owned(),
            Value::from(self.id.clone()),
        );
        entry.insert("Area".to_owned(), Value::from(self.area()));
        entry.insert("LogPacketName".to_owned(), Value::from(self.packet_name()));
        entry.insert(
            "Url".to_owned(),
            Value::from(format!("{base_url}/logs/{}", self.file_name)),
        );
        entry.insert(
            "LogTime".to_owned(),
            Value::from(self.start.unix_timestamp()),
        );
        entry.insert(
            "LogStartTime".to_owned(),
            Value::from(beijing_hour(self.start)),
        );
        entry.insert(
            "LogEndTime".to_owned(),
            Value::from(beijing_hour(self.start + time::Duration::HOUR)),
        );
        entry.insert("Size".to_owned(), Value::from(size));
        Value::Object(entry)
    }

    /// The packet's generator, seeded by its name, and its own record count (50–400), drawn
    /// first.
    fn rng(&self) -> (fastrand::Rng, usize) {
        let mut rng = fastrand::Rng::with_seed(hash(self.file_name.as_bytes()));
        let count = rng.usize(50..=400);
        (rng, count)
    }

    /// Calls `emit` with each of the packet's `records` records (JSON, without the newline) in
    /// time order, all within the hour. With the packet's own count these are its default
    /// records; with another count the whole hour is drawn anew (deterministically too).
    fn records(&self, records: usize, emit: impl FnMut(&str)) {
        let (rng, _) = self.rng();
        self.records_from(rng, records, emit);
    }

    /// [`PacketId::records`] drawn from `rng` instead of the packet's own generator.
    fn records_from(&self, mut rng: fastrand::Rng, records: usize, mut emit: impl FnMut(&str)) {
        let context = RecordContext::new(self);
        let mut record = String::with_capacity(2048);
        match self.kind {
            LogKind::L4 => {
                let (sessions, keys) = context.l4_sessions(&mut rng, records);
                for key in keys {
                    record.clear();
                    let session = &sessions[(key & 0xffff_ffff) as usize];
                    context.l4_record(&mut rng, session, (key >> 32) as i64, &mut record);
                    emit(&record);
                }
            }
            LogKind::L7 => {
                let mut offsets: Vec<u32> = (0..records).map(|_| rng.u32(0..3_600_000)).collect();
                offsets.sort_unstable();
                let mut parent = Parent::default();
                for offset_ms in offsets {
                    record.clear();
                    context.l7_record(&mut rng, offset_ms, &mut parent, &mut record);
                    emit(&record);
                }
            }
        }
    }

    /// The length of [`PacketId::text`] for `records` records, without building it.
    fn text_len(&self, records: usize) -> usize {
        let mut len = 0;
        self.records(records, |record| len += record.len() + 1);
        len
    }

    /// The packet's JSON-lines text with `layout.records` records.
    fn text(&self, layout: Layout) -> String {
        let mut text = String::with_capacity(layout.text_len);
        self.records(layout.records, |record| {
            text.push_str(record);
            text.push('\n');
        });
        text
    }

    /// How many records the packet has: its own 50–400, or with `min_bytes` the fewest (to
    /// within about 1%) that make its gzip file at least that long; and its text length.
    fn layout(&self, min_bytes: Option<u64>) -> Layout {
        let (_, own) = self.rng();
        let mut layout = Layout {
            records: own,
            text_len: self.text_len(own),
        };
        let Some(min_bytes) = min_bytes else {
            return layout;
        };
        let min_bytes = min_bytes.min(MAX_PACKET_BYTES);
        while layout.gzip_len() < min_bytes {
            // Scale by the shortfall with 1% to spare, so one more pass is rarely needed.
            let scale = min_bytes as f64 / layout.gzip_len() as f64 * 1.01;
            let records = ((layout.records as f64 * scale).ceil() as usize).max(layout.records + 1);
            layout = Layout {
                records,
                text_len: self.text_len(records),
            };
        }
        layout
    }

    /// The packet's gzip file, for the `layout` [`PacketId::layout`] gave.
    fn generate(&self, layout: Layout) -> Vec<u8> {
        gzip(self.text(layout).as_bytes())
    }
}

/// `count` records (JSON texts, time-ordered within the hour that starts at `hour_start`, unix
/// seconds) of `kind` for `zone` and the proxy / domain `id`, drawn from `seed`: the traffic
/// behind the mock's real-time log push ([`crate::push`]), which then gives them ids and times
/// of their own. None when the hour or the ids are out of range.
pub(crate) fn live_records(
    kind: LogKind,
    hour_start: i64,
    zone: &str,
    id: &str,
    seed: u64,
    count: usize,
) -> Option<Vec<String>> {
    let packet = PacketId::new(kind, hour_start, zone.to_owned(), id.to_owned())?;
    let mut records = Vec::with_capacity(count);
    packet.records_from(fastrand::Rng::with_seed(seed), count, |record| {
        records.push(record.to_owned())
    });
    Some(records)
}

/// The largest stored deflate block.
const STORED_BLOCK: usize = 0xffff;

/// A gzip file (RFC 1952) holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
///
/// Packets are not compressed: `flate2`'s compressor (miniz_oxide) runs at ~25 MB/s in
/// unoptimised builds, and a listing of 300 packets would need ~25 MB compressed just to learn
/// their sizes. Stored blocks make the size a function of the text length ([`gzip_len`]) and
/// the file any gzip reader accepts; the CRC is `flate2`'s.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(gzip_len(data.len()));
    // Magic, CM = deflate, no flags, MTIME 0 (reproducible), XFL 0, OS unknown.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let blocks = stored_blocks(data.len());
    for (i, block) in (0..blocks)
        .map(|i| &data[i * STORED_BLOCK..data.len().min((i + 1) * STORED_BLOCK)])
        .enumerate()
    {
        let len = block.len() as u16;
        out.push(u8::from(i + 1 == blocks)); // BFINAL on the last, BTYPE 00 (stored)
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes()); // ISIZE: the length mod 2^32
    out
}

/// `file` with 4 consecutive bytes of its data inverted at the middle of the data: the same
/// length, but any gzip reader rejects it (the CRC no longer matches; CRC-32 detects every
/// error burst of up to 32 bits). For a file laid out as the mock writes packets, the bytes are
/// found by walking its stored blocks, so no block header is touched; for any other file (or
/// one with fewer than 4 data bytes) the 4 bytes in the middle of the file are inverted.
pub fn corrupt(file: &[u8]) -> Vec<u8> {
    let mut out = file.to_vec();
    let targets = match stored_data_ranges(file) {
        Some(ranges) if ranges.iter().map(|r| r.len()).sum::<usize>() >= 4 => {
            let data_len: usize = ranges.iter().map(|r| r.len()).sum();
            let middle = data_len / 2 - 2;
            (middle..middle + 4)
                .filter_map(|index| data_position(&ranges, index))
                .collect()
        }
        _ => {
            let middle = (file.len() / 2).saturating_sub(2);
            (middle..file.len().min(middle + 4)).collect::<Vec<_>>()
        }
    };
    for position in targets {
        if let Some(byte) = out.get_mut(position) {
            *byte = !*byte;
        }
    }
    out
}

/// The file offset of data byte `index`, given the data ranges of the file's blocks.
fn data_position(ranges: &[std::ops::Range<usize>], mut index: usize) -> Option<usize> {
    for range in ranges {
        if index < range.len() {
            return Some(range.start + index);
        }
        index -= range.len();
    }
    None
}

/// The file ranges holding the data of a gzip file made only of stored deflate blocks (as
/// [`gzip`] writes it), in order; None for any other layout.
fn stored_data_ranges(file: &[u8]) -> Option<Vec<std::ops::Range<usize>>> {
    // Header without optional fields (FLG 0), as [`gzip`] writes it.
    if file.get(..4)? != [0x1f, 0x8b, 8, 0] {
        return None;
    }
    let mut ranges = Vec::new();
    let mut pos = 10;
    loop {
        let header = *file.get(pos)?;
        if header & 0b110 != 0 {
            return None; // not a stored block
        }
        let len = usize::from(u16::from_le_bytes([
            *file.get(pos + 1)?,
            *file.get(pos + 2)?,
        ]));
        let start = pos + 5;
        if start + len > file.len() {
            return None;
        }
        ranges.push(start..start + len);
        pos = start + len;
        if header & 1 == 1 {
            return Some(ranges);
        }
    }
}

/// Stored blocks for `len` bytes (an empty input still needs one, final, block).
fn stored_blocks(len: usize) -> usize {
    len.div_ceil(STORED_BLOCK).max(1)
}

/// The length of [`gzip`]'s output for `len` bytes of data: header, 5 bytes per block, the
/// data, trailer.
fn gzip_len(len: usize) -> usize {
    10 + 5 * stored_blocks(len) + len + 8
}

/// An hour boundary as RFC 3339 in Beijing time (`+08:00`), as the API lists packet times.
fn beijing_hour(utc: OffsetDateTime) -> String {
    let t = utc + time::Duration::hours(8);
    format!(
        "{:04}-{:02}-{:02}T{:02}:00:00+08:00",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour()
    )
}

/// Writes `text` with every byte outside `[A-Za-z0-9.-]` as `~XX`.
fn escape_into(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "~{byte:02X}");
        }
    }
}

/// The inverse of [`escape_into`]; None for a malformed escape, a stray character or non-UTF-8.
fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'~' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            byte if byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' => {
                out.push(byte);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// FNV-1a, finished with a SplitMix64 step: stable across platforms, runs and Rust versions
/// (unlike `std`'s hasher), which keeps packet content reproducible.
fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests;
