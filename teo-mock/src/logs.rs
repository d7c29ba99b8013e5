//! DownloadL4Logs / DownloadL7Logs: hourly gzip packets of synthetic JSON-lines records, listed
//! by the API and served by the mock itself.
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
    fn records(&self, records: usize, mut emit: impl FnMut(&str)) {
        let (mut rng, _) = self.rng();
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
mod tests {
    use std::io::Read as _;
    use std::time::Instant;

    use flate2::read::GzDecoder;

    use super::*;
    use crate::generated::log_fields::{FieldType, L4_FIELDS, L7_FIELDS};

    const BASE: &str = "http://127.0.0.1:8080";

    fn list(kind: LogKind, request: Value) -> Value {
        LogStore::new().list(kind, &request, BASE).unwrap()
    }

    fn data(response: &Value) -> &Vec<Value> {
        response["Data"].as_array().unwrap()
    }

    fn file_name(entry: &Value) -> &str {
        entry["Url"]
            .as_str()
            .unwrap()
            .strip_prefix(&format!("{BASE}/logs/"))
            .unwrap()
    }

    fn err(kind: LogKind, request: Value) -> ApiError {
        LogStore::new().list(kind, &request, BASE).unwrap_err()
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn three_hours_two_zones_one_proxy() {
        let response = list(
            LogKind::L4,
            json!({
                "StartTime": "2024-05-01T10:00:00Z",
                "EndTime": "2024-05-01T13:00:00Z",
                "ZoneIds": ["zone-b", "zone-a"],
                "ProxyIds": ["sid-1"],
            }),
        );
        assert_eq!(response["TotalCount"], 6);
        let data = data(&response);
        assert_eq!(data.len(), 6);
        let expected = [
            (10, "zone-a"),
            (10, "zone-b"),
            (11, "zone-a"),
            (11, "zone-b"),
            (12, "zone-a"),
            (12, "zone-b"),
        ];
        for (entry, (hour, zone)) in data.iter().zip(expected) {
            assert_eq!(entry["ProxyId"], "sid-1");
            assert!(entry.get("Domain").is_none());
            assert_eq!(entry["LogPacketName"], format!("20240501-{hour}-sid-1"));
            assert_eq!(
                entry["Url"],
                format!("{BASE}/logs/l4_20240501{hour}_{zone}_sid-1.log.gz")
            );
            assert_eq!(entry["LogTime"], 1_714_557_600 + (hour - 10) * 3600);
            assert_eq!(
                entry["LogStartTime"],
                format!("2024-05-01T{}:00:00+08:00", hour + 8)
            );
            assert_eq!(
                entry["LogEndTime"],
                format!("2024-05-01T{}:00:00+08:00", hour + 9)
            );
            assert!(["mainland", "overseas"].contains(&entry["Area"].as_str().unwrap()));
            assert!(entry["Size"].as_u64().unwrap() > 0);
        }
        assert_eq!(data[0]["Area"], data[2]["Area"], "a zone keeps its area");
    }

    #[test]
    fn paging() {
        let request = |limit: Option<i64>, offset: Option<i64>| {
            let mut request = json!({
                "StartTime": "2024-05-01T10:00:00Z",
                "EndTime": "2024-05-01T13:00:00Z",
                "ZoneIds": ["zone-a", "zone-b"],
                "ProxyIds": ["sid-1"],
            });
            if let Some(limit) = limit {
                request["Limit"] = json!(limit);
            }
            if let Some(offset) = offset {
                request["Offset"] = json!(offset);
            }
            request
        };
        let all = list(LogKind::L4, request(None, None));
        let page = list(LogKind::L4, request(Some(4), Some(4)));
        assert_eq!(page["TotalCount"], 6);
        assert_eq!(data(&page)[..], data(&all)[4..]);
        let first = list(LogKind::L4, request(Some(4), None));
        assert_eq!(data(&first)[..], data(&all)[..4]);
        let past = list(LogKind::L4, request(Some(4), Some(6)));
        assert_eq!(past["TotalCount"], 6);
        assert!(data(&past).is_empty());
        assert!(data(&list(LogKind::L4, request(Some(0), None))).is_empty());
    }

    #[test]
    fn default_limit_is_20() {
        // 2 days: 48 packets.
        let response = list(
            LogKind::L7,
            json!({"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-05-03T00:00:00Z"}),
        );
        assert_eq!(response["TotalCount"], 48);
        assert_eq!(data(&response).len(), 20);
    }

    #[test]
    fn defaults_for_zones_and_ids() {
        let request = json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T11:00:00Z", "ZoneIds": []});
        let l4 = list(LogKind::L4, request.clone());
        assert_eq!(l4["TotalCount"], 1);
        assert_eq!(data(&l4)[0]["ProxyId"], "sid-mock");
        assert_eq!(
            file_name(&data(&l4)[0]),
            "l4_2024050110_zone-mock_sid-mock.log.gz"
        );
        let l7 = list(LogKind::L7, request);
        assert_eq!(data(&l7)[0]["Domain"], "www.example.com");
        assert_eq!(data(&l7)[0]["LogPacketName"], "20240501-10-www.example.com");
        assert_eq!(
            file_name(&data(&l7)[0]),
            "l7_2024050110_zone-mock_www.example.com.log.gz"
        );
        // Two zones, no proxies: one default proxy per zone.
        let two = list(
            LogKind::L4,
            json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T11:00:00Z", "ZoneIds": ["z1", "z2"]}),
        );
        assert_eq!(two["TotalCount"], 2);
    }

    #[test]
    fn non_aligned_range_covers_overlapping_hours() {
        let response = list(
            LogKind::L7,
            json!({"StartTime": "2024-05-01T10:30:00Z", "EndTime": "2024-05-01T12:10:00Z", "Domains": ["a.example.com"]}),
        );
        assert_eq!(response["TotalCount"], 3);
        let names: Vec<_> = data(&response)
            .iter()
            .map(|e| e["LogPacketName"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "20240501-10-a.example.com",
                "20240501-11-a.example.com",
                "20240501-12-a.example.com"
            ]
        );
        // The same instants with an offset; an end exactly on an hour excludes that hour.
        let response = list(
            LogKind::L7,
            json!({"StartTime": "2024-05-01T18:30:00+08:00", "EndTime": "2024-05-01T21:00:00+08:00"}),
        );
        assert_eq!(response["TotalCount"], 3);
        assert_eq!(
            data(&response)[2]["LogPacketName"],
            "20240501-12-www.example.com"
        );
        // A range within one hour, and one crossing midnight UTC.
        let response = list(
            LogKind::L4,
            json!({"StartTime": "2024-05-01T10:05:00Z", "EndTime": "2024-05-01T10:06:00.5Z"}),
        );
        assert_eq!(response["TotalCount"], 1);
        let response = list(
            LogKind::L4,
            json!({"StartTime": "2024-12-31T23:59:59Z", "EndTime": "2025-01-01T00:00:00.001Z"}),
        );
        let names: Vec<_> = data(&response)
            .iter()
            .map(|e| e["LogPacketName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["20241231-23-sid-mock", "20250101-00-sid-mock"]);
    }

    /// Checks every listed packet: Size, gzip, JSON lines, the documented members (exactly),
    /// timestamps within the hour and in time order.
    fn check_packets(kind: LogKind, response: &Value, store: &LogStore) {
        for entry in data(response) {
            let bytes = store.packet(file_name(entry)).unwrap();
            assert_eq!(
                entry["Size"].as_u64().unwrap(),
                bytes.len() as u64,
                "{entry}"
            );
            let start = entry["LogTime"].as_i64().unwrap();
            let hour = OffsetDateTime::from_unix_timestamp(start).unwrap()
                ..OffsetDateTime::from_unix_timestamp(start + 3600).unwrap();
            let text = gunzip(&bytes);
            assert!(text.ends_with('\n'));
            let lines: Vec<&str> = text.lines().collect();
            assert!((50..=400).contains(&lines.len()), "{} records", lines.len());
            let mut previous = hour.start;
            for line in lines {
                let record: Map<String, Value> = serde_json::from_str(line).unwrap();
                let names: Vec<&str> = record.keys().map(String::as_str).collect();
                let (fields, time_field, id_field, id) = match kind {
                    LogKind::L4 => (
                        wire_names(L4_FIELDS),
                        "LogTimeStamp",
                        "ServiceID",
                        &entry["ProxyId"],
                    ),
                    LogKind::L7 => (
                        wire_names(L7_FIELDS),
                        "RequestTime",
                        "RequestHost",
                        &entry["Domain"],
                    ),
                };
                let mut sorted = names.clone();
                sorted.sort_unstable();
                let mut expected = fields.clone();
                expected.sort_unstable();
                assert_eq!(sorted, expected, "{line}");
                assert_eq!(&record[id_field], id);
                // LogTimeStamp is sometimes unix seconds: compare at whole seconds.
                let time = match &record[time_field] {
                    Value::Number(seconds) => {
                        OffsetDateTime::from_unix_timestamp(seconds.as_i64().unwrap()).unwrap()
                    }
                    text => OffsetDateTime::parse(text.as_str().unwrap(), &Rfc3339).unwrap(),
                };
                assert!(hour.contains(&time), "{time} outside {hour:?}");
                assert!(
                    time >= previous.replace_millisecond(0).unwrap(),
                    "records in time order: {line}"
                );
                previous = time;
                match kind {
                    LogKind::L4 => {
                        let stamp = |field: &str| {
                            record[field].as_str().filter(|t| *t != "-").map(|t| {
                                OffsetDateTime::parse(t, &Rfc3339)
                                    .unwrap_or_else(|e| panic!("{field} in {line}: {e}"))
                            })
                        };
                        let connect = stamp("ConnectTimeStamp").unwrap();
                        assert!(connect.replace_millisecond(0).unwrap() <= time, "{line}");
                        match stamp("DisconnetTimeStamp") {
                            Some(end) => {
                                assert!(hour.contains(&end) && connect <= end, "{line}");
                                assert!(end.replace_millisecond(0).unwrap() <= time, "{line}");
                                assert_ne!(record["DisconnetReason"], "-", "{line}");
                            }
                            None => assert_eq!(record["DisconnetReason"], "-", "{line}"),
                        }
                        for field in ["SessionID", "ClientRealIP", "ForwardProtocol"] {
                            assert!(record[field].is_string(), "{field} in {line}");
                        }
                        for field in ["SentBytes", "ReceivedBytes"] {
                            assert!(record[field].is_u64(), "{field} in {line}");
                        }
                        assert!(record["ForwardPort"].is_i64(), "{line}");
                    }
                    LogKind::L7 => {
                        let url = record["RequestUrl"].as_str().unwrap();
                        assert!(url.starts_with('/') && !url.contains('?'), "{line}");
                        assert!(record["ClientIP"].is_string());
                        assert!(record["EdgeResponseStatusCode"].is_u64());
                        let bytes = record["EdgeResponseBytes"].as_u64().unwrap();
                        let body = record["EdgeResponseBodyBytes"].as_i64().unwrap();
                        assert!(body <= bytes as i64, "{line}");
                        let total = record["EdgeResponseTime"].as_i64().unwrap();
                        let internal = record["EdgeInternalTime"].as_i64().unwrap();
                        assert!(total == -1 || internal <= total, "{line}");
                    }
                }
            }
        }
    }

    /// The members of each kind, from the log fields spec (generated).
    fn wire_names(fields: &[(&'static str, FieldType)]) -> Vec<&'static str> {
        fields.iter().map(|(name, _)| *name).collect()
    }

    #[test]
    fn sizes_match_served_bytes_and_content_is_valid() {
        let store = LogStore::new();
        let l4 = store
            .list(
                LogKind::L4,
                &json!({
                    "StartTime": "2024-05-01T10:30:00+08:00",
                    "EndTime": "2024-05-01T13:00:00+08:00",
                    "ZoneIds": ["zone-2m6jx63f6k3x", "zone_with under/score"],
                    "ProxyIds": ["sid-xs82kshs", "proxy-\"quoted\"\\"],
                    "Limit": 300,
                }),
                BASE,
            )
            .unwrap();
        assert_eq!(l4["TotalCount"], 12);
        check_packets(LogKind::L4, &l4, &store);
        let l7 = store
            .list(
                LogKind::L7,
                &json!({
                    "StartTime": "2024-02-28T23:00:00Z",
                    "EndTime": "2024-02-29T01:00:00Z",
                    "Domains": ["www.example.com", "bücher.example", "api.example.org"],
                    "Limit": 300,
                }),
                BASE,
            )
            .unwrap();
        assert_eq!(l7["TotalCount"], 6);
        check_packets(LogKind::L7, &l7, &store);
        // Names stay URL-safe and parse back.
        for entry in data(&l4).iter().chain(data(&l7)) {
            let name = file_name(entry);
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b)),
                "{name}"
            );
            assert_eq!(PacketId::parse(name).unwrap().file_name, name);
        }
        // The longest IDs, fully escaped, still list and download.
        let long = json!({
            "StartTime": "2024-05-01T10:00:00Z",
            "EndTime": "2024-05-01T11:00:00Z",
            "ZoneIds": ["_".repeat(MAX_ID_LEN)],
            "Domains": ["é".repeat(MAX_ID_LEN / 2)],
        });
        let long = store.list(LogKind::L7, &long, BASE).unwrap();
        assert_eq!(file_name(&data(&long)[0]).len(), 22 + 6 * MAX_ID_LEN - 3);
        check_packets(LogKind::L7, &long, &store);
        let odd = data(&l4)
            .iter()
            .find(|e| e["ProxyId"] == "proxy-\"quoted\"\\")
            .unwrap();
        assert_eq!(
            file_name(odd),
            "l4_2024050102_zone-2m6jx63f6k3x_proxy-~22quoted~22~5C.log.gz"
        );
        assert_eq!(odd["LogPacketName"], "20240501-02-proxy-\"quoted\"\\");
    }

    #[test]
    fn deterministic_across_stores() {
        let request = json!({
            "StartTime": "2024-05-01T10:00:00Z",
            "EndTime": "2024-05-01T16:00:00Z",
            "ZoneIds": ["zone-a", "zone-b"],
            "Domains": ["a.example.com", "b.example.com"],
            "Limit": 50,
        });
        let (one, two) = (LogStore::new(), LogStore::new());
        let first = one.list(LogKind::L7, &request, BASE).unwrap();
        let second = two.list(LogKind::L7, &request, BASE).unwrap();
        assert_eq!(first, second);
        assert_eq!(first, one.list(LogKind::L7, &request, BASE).unwrap());
        for entry in data(&first) {
            let name = file_name(entry);
            assert_eq!(one.packet(name).unwrap(), two.packet(name).unwrap());
            // Regenerated from the name alone (no cache).
            let packet = PacketId::parse(name).unwrap();
            assert_eq!(
                *one.packet(name).unwrap(),
                packet.generate(packet.layout(None))
            );
        }
        // Different packets differ.
        let names: Vec<_> = data(&first).iter().map(file_name).collect();
        assert_ne!(one.packet(names[0]), one.packet(names[1]));
    }

    #[test]
    fn errors() {
        let store = LogStore::new();
        let check = |kind, request: Value, code: &str, member: &str| {
            let error = store.list(kind, &request, BASE).unwrap_err();
            assert_eq!(error.code, code, "{request}: {error:?}");
            assert!(error.message.contains(member), "{request}: {error:?}");
        };
        let before =
            json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T09:00:00Z"});
        check(
            LogKind::L4,
            before,
            codes::INVALID_PARAMETER_VALUE,
            "EndTime",
        );
        // Equal instants (the official example does this) are an empty range.
        let equal =
            json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T18:00:00+08:00"});
        assert_eq!(
            store.list(LogKind::L7, &equal, BASE).unwrap()["TotalCount"],
            0
        );
        let long = json!({"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-06-01T00:00:01Z"});
        check(LogKind::L7, long, codes::INVALID_PARAMETER_VALUE, "EndTime");
        let month = json!({"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-06-01T00:00:00Z", "Limit": 1});
        assert_eq!(
            store.list(LogKind::L7, &month, BASE).unwrap()["TotalCount"],
            31 * 24
        );
        let times = json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T11:00:00Z"});
        let with = |member: &str, value: Value| {
            let mut request = times.clone();
            request[member] = value;
            request
        };
        check(
            LogKind::L4,
            with("Limit", json!(301)),
            codes::INVALID_PARAMETER_VALUE,
            "Limit",
        );
        check(
            LogKind::L4,
            with("Limit", json!(-1)),
            codes::INVALID_PARAMETER_VALUE,
            "Limit",
        );
        check(
            LogKind::L4,
            with("Limit", json!(u64::MAX)),
            codes::INVALID_PARAMETER_VALUE,
            "Limit",
        );
        check(
            LogKind::L4,
            with("Limit", json!(1.5)),
            codes::INVALID_PARAMETER,
            "Limit",
        );
        check(
            LogKind::L4,
            with("Offset", json!(-1)),
            codes::INVALID_PARAMETER_VALUE,
            "Offset",
        );
        assert_eq!(
            data(
                &store
                    .list(LogKind::L4, &with("Limit", json!(300)), BASE)
                    .unwrap()
            )
            .len(),
            1
        );
        check(
            LogKind::L4,
            with("StartTime", json!("yesterday")),
            codes::INVALID_PARAMETER_VALUE,
            "StartTime",
        );
        check(
            LogKind::L4,
            with("EndTime", json!("2024-05-01 11:00:00")),
            codes::INVALID_PARAMETER_VALUE,
            "EndTime",
        );
        check(
            LogKind::L4,
            with("StartTime", json!("1969-12-31T00:00:00Z")),
            codes::INVALID_PARAMETER_VALUE,
            "StartTime",
        );
        check(
            LogKind::L4,
            with("EndTime", json!("9999-12-31T23:59:59Z")),
            codes::INVALID_PARAMETER_VALUE,
            "EndTime",
        );
        check(
            LogKind::L4,
            with("StartTime", json!(5)),
            codes::INVALID_PARAMETER,
            "StartTime",
        );
        check(
            LogKind::L4,
            with("ZoneIds", json!([""])),
            codes::INVALID_PARAMETER_VALUE,
            "ZoneIds",
        );
        check(
            LogKind::L4,
            with("ProxyIds", json!([1])),
            codes::INVALID_PARAMETER,
            "ProxyIds",
        );
        check(
            LogKind::L7,
            with("Domains", json!("x")),
            codes::INVALID_PARAMETER,
            "Domains",
        );
        check(
            LogKind::L7,
            with("Domains", json!(["a".repeat(256)])),
            codes::INVALID_PARAMETER_VALUE,
            "Domains",
        );
        check(
            LogKind::L7,
            json!({"EndTime": "2024-05-01T11:00:00Z"}),
            codes::MISSING_PARAMETER,
            "StartTime",
        );
        assert_eq!(
            err(LogKind::L4, json!({"StartTime": "2024-05-01T10:00:00Z"})).code,
            codes::MISSING_PARAMETER
        );
    }

    #[test]
    fn garbage_file_names() {
        let store = LogStore::new();
        let valid = "l4_2024050110_zone-mock_sid-mock.log.gz";
        assert!(store.packet(valid).is_some());
        // Dots are plain characters: this is the packet of proxy `sid-mock.log.gz`.
        assert_eq!(
            PacketId::parse("l4_2024050110_zone-mock_sid-mock.log.gz.log.gz")
                .unwrap()
                .id,
            "sid-mock.log.gz"
        );
        for name in [
            "",
            "foo",
            ".log.gz",
            "../../etc/passwd",
            "l4_2024050110_zone-mock_sid-mock",
            "l4_2024050110_zone-mock_sid-mock.log",
            "l5_2024050110_zone-mock_sid-mock.log.gz",
            "L4_2024050110_zone-mock_sid-mock.log.gz",
            "l4_2024053210_zone-mock_sid-mock.log.gz",
            "l4_2023022910_zone-mock_sid-mock.log.gz",
            "l4_2024050124_zone-mock_sid-mock.log.gz",
            "l4_2024050110_zone-mock_sid-mock_x.log.gz",
            "l4_202405011_zone-mock_sid-mock.log.gz",
            "l4_+024050110_zone-mock_sid-mock.log.gz",
            "l4_19690101T0_zone-mock_sid-mock.log.gz",
            "l4_1969123123_zone-mock_sid-mock.log.gz",
            "l4_9999123123_zone-mock_sid-mock.log.gz",
            "l4_2024050110__sid-mock.log.gz",
            "l4_2024050110_zone-mock_.log.gz",
            "l4_2024050110_zone~2Dmock_sid-mock.log.gz",
            "l4_2024050110_zone~5fmock_sid-mock.log.gz",
            "l4_2024050110_zone~5_sid-mock.log.gz",
            "l4_2024050110_zone~_sid-mock.log.gz",
            "l4_2024050110_zone~+F_sid-mock.log.gz",
            "l4_2024050110_zone~FF_sid-mock.log.gz",
            "l4_2024050110_zone%2Dmock_sid-mock.log.gz",
            "l4_2024050110_zöne_sid-mock.log.gz",
            "l4_2024050110_zone mock_sid-mock.log.gz",
            "l4_2024050110_zone-mock_sid-mock.log.gz\0",
        ] {
            assert!(store.packet(name).is_none(), "{name:?}");
        }
        assert!(store
            .packet(&format!(
                "l4_2024050110_zone-mock_{}.log.gz",
                "a".repeat(100_000)
            ))
            .is_none());
        // No panic on any mutation of a valid name, and only canonical names are accepted.
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"~_.-0123456789abcdefABCDEFlgzZ%/\xc3";
        for _ in 0..5000 {
            let mut bytes = valid.as_bytes().to_vec();
            for _ in 0..rng.usize(1..4) {
                let i = rng.usize(..bytes.len());
                match rng.u8(..3) {
                    0 => bytes[i] = alphabet[rng.usize(..alphabet.len())],
                    1 => drop(bytes.remove(i)),
                    _ => bytes.insert(i, alphabet[rng.usize(..alphabet.len())]),
                }
            }
            let name = String::from_utf8_lossy(&bytes);
            if let Some(packet) = PacketId::parse(&name) {
                assert_eq!(packet.file_name, name);
                assert_eq!(
                    store.packet(&name).unwrap().len(),
                    packet.generate(packet.layout(None)).len()
                );
            }
        }
    }

    #[test]
    fn caches() {
        let store = LogStore::new();
        let request = json!({
            "StartTime": "2024-05-01T00:00:00Z",
            "EndTime": "2024-05-01T01:00:00Z",
            "ProxyIds": (0..30).map(|i| format!("sid-{i}")).collect::<Vec<_>>(),
        });
        let response = store.list(LogKind::L4, &request, BASE).unwrap();
        assert_eq!(store.lock().sizes.len(), 20);
        assert!(
            store.lock().bytes.is_empty(),
            "listing does not build files"
        );
        let name = file_name(&data(&response)[0]).to_owned();
        let first = store.packet(&name).unwrap();
        assert_eq!(
            first.as_ptr(),
            store.packet(&name).unwrap().as_ptr(),
            "served from the cache, not copied"
        );
        // Evicted files are regenerated identically.
        *store.lock() = Cache::default();
        assert_eq!(store.packet(&name).unwrap(), first);
        assert_eq!(store.list(LogKind::L4, &request, BASE).unwrap(), response);
    }

    #[test]
    fn cache_eviction() {
        let mut cache = Cache::default();
        let bytes = |n: usize| Bytes::from(vec![0; n]);
        for i in 0..10 {
            cache.insert(&format!("p{i}"), bytes(100), 4, 1000);
        }
        assert_eq!(cache.order, ["p6", "p7", "p8", "p9"]);
        assert_eq!(cache.total, 400);
        // An existing entry is returned as is.
        assert_eq!(cache.insert("p9", bytes(5), 4, 1000).len(), 100);
        // The byte bound evicts oldest first; an oversized entry is kept alone.
        cache.insert("big", bytes(800), 4, 1000);
        assert_eq!(cache.order, ["p8", "p9", "big"]);
        assert_eq!(cache.total, 1000);
        cache.insert("huge", bytes(5000), 4, 1000);
        assert_eq!(cache.order, ["huge"]);
        assert_eq!(cache.total, 5000);
        assert_eq!(cache.bytes.len(), 1);
    }

    #[test]
    fn kind_from_action() {
        assert_eq!(LogKind::from_action("DownloadL4Logs"), Some(LogKind::L4));
        assert_eq!(LogKind::from_action("DownloadL7Logs"), Some(LogKind::L7));
        assert_eq!(LogKind::from_action("DescribeZones"), None);
    }

    #[test]
    fn gzip_framing() {
        for len in [
            0,
            1,
            1000,
            STORED_BLOCK - 1,
            STORED_BLOCK,
            STORED_BLOCK + 1,
            3 * STORED_BLOCK + 17,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let file = gzip(&data);
            assert_eq!(file.len(), gzip_len(len), "{len}");
            let mut back = Vec::new();
            GzDecoder::new(&file[..]).read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "{len}");
        }
    }

    #[test]
    fn big_packets_reach_their_size_exactly_listed() {
        const MIB: u64 = 1 << 20;
        let request = json!({
            "StartTime": "2024-05-01T00:00:00Z",
            "EndTime": "2024-05-01T01:00:00Z",
            "ZoneIds": ["zone-a"],
            "Domains": ["a.example.com", "b.example.com"],
        });
        let store = LogStore::new().packet_bytes(Some(MIB));
        let listing = store.list(LogKind::L7, &request, BASE).unwrap();
        let small = LogStore::new().list(LogKind::L7, &request, BASE).unwrap();
        for (entry, small) in data(&listing).iter().zip(data(&small)) {
            let size = entry["Size"].as_u64().unwrap();
            assert!(size >= MIB, "{size}");
            assert!(size < MIB + MIB / 20, "close to the asked size: {size}");
            let name = file_name(entry);
            let bytes = store.packet(name).unwrap();
            assert_eq!(bytes.len() as u64, size);
            let text = gunzip(&bytes);
            let mut last = String::new();
            let mut records = 0;
            for line in text.lines() {
                let record: Value = serde_json::from_str(line).unwrap();
                let time = record["RequestTime"].as_str().unwrap().to_owned();
                assert!(time.starts_with("2024-05-01T00:"), "{time}");
                assert!(time >= last, "time order");
                last = time;
                records += 1;
            }
            assert!(records > 400, "{records}");
            // Deterministic: another store serves the same bytes.
            let again = LogStore::new().packet_bytes(Some(MIB));
            assert_eq!(again.packet(name).unwrap(), bytes);
            // The other listing fields are unchanged.
            let mut entry = entry.clone();
            entry["Size"] = small["Size"].clone();
            assert_eq!(&entry, small);
        }
        // A packet already that large keeps its own records.
        let tiny = LogStore::new().packet_bytes(Some(100));
        assert_eq!(tiny.list(LogKind::L7, &request, BASE).unwrap(), small);
        // Huge sizes are clamped.
        assert_eq!(
            LogStore::new().packet_bytes(Some(u64::MAX)).packet_bytes,
            Some(MAX_PACKET_BYTES)
        );
    }

    #[test]
    fn corrupt_keeps_the_length_and_breaks_the_crc() {
        let store = LogStore::new();
        let name = "l4_2024050110_zone-mock_sid-mock.log.gz";
        let good = store.packet(name).unwrap();
        let bad = corrupt(&good);
        assert_eq!(bad.len(), good.len());
        let differing: Vec<usize> = (0..good.len()).filter(|&i| good[i] != bad[i]).collect();
        assert_eq!(differing.len(), 4, "{differing:?}");
        assert!(differing[0] > good.len() / 3 && differing[3] < good.len() * 2 / 3);
        let mut text = Vec::new();
        assert!(GzDecoder::new(&bad[..]).read_to_end(&mut text).is_err());
        // Across block boundaries and for any length, decoding fails.
        for len in [4, 5, STORED_BLOCK, STORED_BLOCK + 1, 2 * STORED_BLOCK + 4] {
            let data: Vec<u8> = (0..len).map(|i| (i % 97) as u8).collect();
            let file = gzip(&data);
            let bad = corrupt(&file);
            assert_eq!(bad.len(), file.len());
            let mut back = Vec::new();
            assert!(
                GzDecoder::new(&bad[..]).read_to_end(&mut back).is_err(),
                "{len}"
            );
        }
        // Not our layout: the middle bytes are inverted anyway.
        assert_eq!(corrupt(b"abcdefgh"), b"ab\x9c\x9b\x9a\x99gh");
        assert_eq!(corrupt(b""), b"");
    }

    #[test]
    fn byte_sizes() {
        for (text, bytes) in [
            ("0", 0),
            ("1048576", 1 << 20),
            ("100B", 100),
            ("512KiB", 512 << 10),
            ("8MiB", 8 << 20),
            ("8mib", 8 << 20),
            ("8 MiB", 8 << 20),
            ("8M", 8 << 20),
            ("1GiB", 1 << 30),
            ("1.5MiB", 3 << 19),
            ("2MB", 2_000_000),
            ("3kb", 3_000),
        ] {
            assert_eq!(parse_byte_size(text), Ok(bytes), "{text}");
        }
        for bad in [
            "",
            "MiB",
            "-1",
            "8 TiB",
            "8MiBs",
            "1.2.3",
            "99999999999999999999GiB",
        ] {
            assert!(parse_byte_size(bad).is_err(), "{bad}");
        }
    }

    /// Run in release for the figure the README quotes:
    /// `cargo test --release -p teo-mock --lib listing_64_big_packets -- --ignored --nocapture`
    #[test]
    #[ignore = "slow in debug builds; a measurement, run in release"]
    fn listing_64_big_packets() {
        let request = json!({
            "StartTime": "2024-05-01T00:00:00Z",
            "EndTime": "2024-05-01T08:00:00Z",
            "ZoneIds": ["zone-a", "zone-b"],
            "ProxyIds": ["sid-1", "sid-2", "sid-3", "sid-4"],
            "Limit": 300,
        });
        let store = LogStore::new()
            .packet_bytes(Some(8 << 20))
            .cache_bytes(64 * (9 << 20));
        let started = Instant::now();
        let response = store.list(LogKind::L4, &request, BASE).unwrap();
        let cold = started.elapsed();
        assert_eq!(data(&response).len(), 64);
        let started = Instant::now();
        store.list(LogKind::L4, &request, BASE).unwrap();
        let warm = started.elapsed();
        let started = Instant::now();
        let mut total = 0;
        for entry in data(&response) {
            let bytes = store.packet(file_name(entry)).unwrap();
            assert_eq!(bytes.len() as u64, entry["Size"].as_u64().unwrap());
            total += bytes.len();
        }
        let generate = started.elapsed();
        eprintln!(
            "64 packets of >= 8 MiB ({total} bytes): listing cold {cold:?}, cached {warm:?}; \
             generating all {generate:?}"
        );
    }

    /// Records generated per second, text only (no gzip), one thread. Run in release:
    /// `cargo test --release -p teo-mock --lib generation_speed -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, run in release"]
    fn generation_speed() {
        // A zone of each area (the area derives from the zone ID).
        let zone = |area: &str| {
            (0..)
                .map(|i| format!("zone-{i}"))
                .find(|zone| {
                    PacketId::new(LogKind::L4, 0, zone.clone(), "x".to_owned())
                        .unwrap()
                        .area()
                        == area
                })
                .unwrap()
        };
        for (kind, id) in [(LogKind::L4, "sid-bench"), (LogKind::L7, "www.example.com")] {
            for zone in [zone("mainland"), zone("overseas")] {
                let packet = PacketId::new(kind, 1_714_557_600, zone, id.to_owned()).unwrap();
                let records = 1_000_000;
                let started = Instant::now();
                let len = packet.text_len(records);
                let elapsed = started.elapsed().as_secs_f64();
                eprintln!(
                    "{kind:?} {}: {records} records, {len} bytes ({} B/record) in {elapsed:.2} s: \
                     {:.2} M records/s, {:.0} MiB/s",
                    packet.area(),
                    len / records,
                    records as f64 / elapsed / 1e6,
                    len as f64 / elapsed / f64::from(1 << 20),
                );
            }
        }
    }

    #[test]
    fn listing_300_packets_is_fast() {
        for kind in [LogKind::L4, LogKind::L7] {
            let request = json!({
                "StartTime": "2024-05-01T00:00:00Z",
                "EndTime": "2024-05-03T12:00:00Z",
                "ZoneIds": ["zone-a", "zone-b"],
                kind.ids_member(): ["a.example.com", "b.example.com", "c.example.com"],
                "Limit": 300,
            });
            let store = LogStore::new();
            let started = Instant::now();
            let response = store.list(kind, &request, BASE).unwrap();
            let cold = started.elapsed();
            let started = Instant::now();
            store.list(kind, &request, BASE).unwrap();
            let warm = started.elapsed();
            assert_eq!(response["TotalCount"], 60 * 6);
            assert_eq!(data(&response).len(), 300);
            let bytes: u64 = data(&response)
                .iter()
                .map(|e| e["Size"].as_u64().unwrap())
                .sum();
            eprintln!("{kind:?}: listing 300 packets ({bytes} gzip bytes): cold {cold:?}, cached {warm:?}");
        }
    }
}
