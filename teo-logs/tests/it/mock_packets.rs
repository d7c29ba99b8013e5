//! The records inside the mock's log packets, as EdgeOne sends them: every one reads through
//! the SDK's typed reader (`teo_logs::records`) with only documented members, and over
//! thousands of records the mixes look like real traffic (status classes, cache hits, long
//! response-time tail, sentinels, drifted types, L4 sessions spanning several records).

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Cursor, Read};

use flate2::read::GzDecoder;
use serde_json::{json, Map, Value};
use teo_logs::records::{L4Record, L7Record, LogRecord, Records};
use teo_mock::logs::{LogKind, LogStore};

const BASE: &str = "http://127.0.0.1:1";
const MIB: u64 = 1 << 20;

/// A listed packet: its proxy or domain, area and gzip bytes.
struct Packet {
    id: String,
    area: String,
    bytes: Vec<u8>,
}

/// The packets of `hours` hours from 2024-05-01T10:00Z for each of `ids`, in one zone of each
/// area.
fn packets(store: &LogStore, kind: LogKind, ids: &[&str], hours: u32) -> Vec<Packet> {
    let (ids_member, id_field) = match kind {
        LogKind::L4 => ("ProxyIds", "ProxyId"),
        LogKind::L7 => ("Domains", "Domain"),
    };
    let listing = store
        .list(
            kind,
            &json!({
                "StartTime": "2024-05-01T10:00:00Z",
                "EndTime": format!("2024-05-01T{}:00:00Z", 10 + hours),
                "ZoneIds": zones_of_both_areas(),
                ids_member: ids,
                "Limit": 300,
            }),
            BASE,
        )
        .unwrap();
    let packets: Vec<Packet> = listing["Data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let url = entry["Url"].as_str().unwrap();
            let name = url.strip_prefix(&format!("{BASE}/logs/")).unwrap();
            Packet {
                id: entry[id_field].as_str().unwrap().to_owned(),
                area: entry["Area"].as_str().unwrap().to_owned(),
                bytes: store.packet(name).unwrap().to_vec(),
            }
        })
        .collect();
    assert_eq!(packets.len(), ids.len() * hours as usize * 2);
    packets
}

/// One mainland and one overseas zone (the area derives from the zone ID).
fn zones_of_both_areas() -> Vec<String> {
    let listing = LogStore::new()
        .list(
            LogKind::L4,
            &json!({
                "StartTime": "2024-05-01T10:00:00Z",
                "EndTime": "2024-05-01T11:00:00Z",
                "ZoneIds": (0..20).map(|i| format!("zone-{i}")).collect::<Vec<_>>(),
            }),
            BASE,
        )
        .unwrap();
    let mut zones = Vec::new();
    for area in ["mainland", "overseas"] {
        let entry = listing["Data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["Area"] == area)
            .unwrap();
        let url = entry["Url"].as_str().unwrap();
        // l4_2024050110_<zone>_sid-mock.log.gz
        zones.push(
            url.rsplit('/')
                .next()
                .unwrap()
                .split('_')
                .nth(2)
                .unwrap()
                .to_owned(),
        );
    }
    zones
}

fn text(bytes: &[u8]) -> String {
    let mut text = String::new();
    GzDecoder::new(bytes).read_to_string(&mut text).unwrap();
    text
}

/// The packet's records through the typed reader, asserting no bad line.
fn typed<T: LogRecord>(packet: &Packet) -> Vec<T> {
    let input = BufReader::new(GzDecoder::new(Cursor::new(packet.bytes.clone())));
    let mut records = Records::<T>::new(input);
    let read: Vec<T> = records.by_ref().map(Result::unwrap).collect();
    assert_eq!(records.bad_count(), 0, "{:?}", records.bad());
    assert_eq!(read.len() as u64, records.lines());
    read
}

/// The packet's records as JSON objects (to see the wire types the typed reader hides).
fn raw(packet: &Packet) -> Vec<Map<String, Value>> {
    text(&packet.bytes)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn every_record_reads_as_a_typed_record_with_only_known_members() {
    let store = LogStore::new();
    let l7 = packets(
        &store,
        LogKind::L7,
        &["www.example.com", "api.example.org", "bücher.example"],
        3,
    );
    let mut areas = HashSet::new();
    let mut count = 0;
    for packet in &l7 {
        areas.insert(packet.area.clone());
        for record in typed::<L7Record>(packet) {
            assert!(
                record.extra.is_empty(),
                "unknown members: {:?}",
                record.extra
            );
            assert_eq!(record.request_host.as_deref(), Some(packet.id.as_str()));
            assert!(record.request_time.as_ref().unwrap().instant().is_some());
            assert_eq!(record.request_id.as_ref().unwrap().len(), 32);
            assert!(record.request_url.as_ref().unwrap().starts_with('/'));
            for (name, present) in [
                ("ClientIP", record.client_ip.is_some()),
                ("RequestMethod", record.request_method.is_some()),
                ("RequestProtocol", record.request_protocol.is_some()),
                ("RequestStatus", record.request_status.is_some()),
                ("EdgeCacheStatus", record.edge_cache_status.is_some()),
                (
                    "EdgeResponseStatusCode",
                    record.edge_response_status_code.is_some(),
                ),
                ("EdgeResponseBytes", record.edge_response_bytes.is_some()),
                (
                    "EdgeFunctionSubrequest",
                    record.edge_function_subrequest.is_some(),
                ),
                ("ContentID", record.content_id.is_some()),
            ] {
                assert!(present, "{name} missing: {record:?}");
            }
            count += 1;
        }
    }
    assert_eq!(areas.len(), 2);
    assert!(count > 1000, "{count}");

    let l4 = packets(&store, LogKind::L4, &["sid-1", "sid-2", "proxy-\"q\""], 3);
    let mut count = 0;
    for packet in &l4 {
        for record in typed::<L4Record>(packet) {
            assert!(
                record.extra.is_empty(),
                "unknown members: {:?}",
                record.extra
            );
            assert_eq!(record.service_id.as_deref(), Some(packet.id.as_str()));
            assert!(record.log_time_stamp.as_ref().unwrap().instant().is_some());
            assert!(record
                .connect_time_stamp
                .as_ref()
                .unwrap()
                .instant()
                .is_some());
            assert_eq!(record.session_id.as_ref().unwrap().len(), 32);
            assert!(record.client_real_ip.is_some());
            assert!(record.sent_bytes.unwrap() >= 0 && record.received_bytes.unwrap() >= 0);
            assert!(matches!(
                record.forward_protocol.as_deref(),
                Some("TCP" | "UDP")
            ));
            // Disconnected exactly when a reason is given.
            assert_eq!(
                record.disconnect_time_stamp.is_some(),
                record.disconnect_reason.is_some()
            );
            count += 1;
        }
    }
    assert!(count > 1000, "{count}");
}

/// The share of `records` for which `test` holds.
fn share<T>(records: &[T], test: impl Fn(&T) -> bool) -> f64 {
    records.iter().filter(|r| test(r)).count() as f64 / records.len() as f64
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn is_sentinel(value: &Value) -> bool {
    value == "-" || value == -1
}

#[test]
fn l7_mixes_look_like_real_traffic() {
    // Two areas × two hours × two domains, 1 MiB each: about 6 000 records.
    let store = LogStore::new().packet_bytes(Some(MIB / 2));
    let packets = packets(
        &store,
        LogKind::L7,
        &["www.example.com", "static.example.net"],
        2,
    );
    let mut all = Vec::new();
    let mut subrequests = 0;
    for packet in &packets {
        let records = raw(packet);
        // Sub-requests follow their parent, which is in the same packet.
        let mut ids = HashSet::new();
        for record in &records {
            let parent = record["ParentRequestID"].as_str().unwrap();
            assert_eq!(
                parent != "-",
                record["EdgeFunctionSubrequest"] == 1,
                "{record:?}"
            );
            if parent != "-" {
                assert!(ids.contains(parent), "parent {parent} not seen before");
                subrequests += 1;
            }
            ids.insert(record["RequestID"].as_str().unwrap().to_owned());
            // Never sentinels: what data tests sum and count.
            assert!(record["EdgeResponseStatusCode"].as_u64().unwrap() >= 100);
            assert!(record["EdgeResponseBytes"].is_u64());
            assert_eq!(record["RequestHost"], packet.id.as_str());
            assert!(record["RequestTime"].as_str().unwrap().ends_with('Z'));
        }
        let regions: Vec<&str> = records
            .iter()
            .filter_map(|r| r["ClientRegion"].as_str())
            .filter(|r| *r != "-")
            .collect();
        let cn = share(&regions, |r| *r == "CN");
        let distinct: HashSet<&&str> = regions.iter().collect();
        if packet.area == "mainland" {
            assert!(cn > 0.85, "mainland CN share {cn}");
        } else {
            assert!(cn < 0.10, "overseas CN share {cn}");
            assert!(distinct.len() >= 15, "overseas regions {distinct:?}");
        }
        all.extend(records);
    }
    let n = all.len();
    assert!(n > 4000, "{n} records");
    assert!(subrequests > 0, "edge function sub-requests");

    let status = |r: &Map<String, Value>| r["EdgeResponseStatusCode"].as_u64().unwrap();
    let ok = share(&all, |r| status(r) == 200);
    assert!((0.70..0.92).contains(&ok), "200: {ok}");
    for class in [2, 3, 4, 5] {
        let s = share(&all, |r| status(r) / 100 == class);
        assert!(s > 0.002, "{class}xx: {s}");
    }
    for code in [206, 301, 302, 304, 403, 404, 499, 500, 502, 503, 504] {
        assert!(all.iter().any(|r| status(r) == code), "no {code}");
    }
    // HIT (as sent: upper case) between 40% and 75% of requests; Dynamic and MISS common.
    let cache = |r: &Map<String, Value>| r["EdgeCacheStatus"].as_str().unwrap().to_owned();
    let hit = share(&all, |r| cache(r) == "HIT");
    assert!((0.40..0.75).contains(&hit), "HIT ratio {hit}");
    for status in ["MISS", "Dynamic", "EXPIRED", "STALE"] {
        assert!(all.iter().any(|r| cache(r) == status), "no {status}");
    }

    // Response times: a long tail, HIT much faster than MISS; internal ≤ total.
    let times = |filter: &dyn Fn(&Map<String, Value>) -> bool| {
        let mut times: Vec<i64> = all
            .iter()
            .filter(|r| filter(r))
            .filter_map(|r| r["EdgeResponseTime"].as_i64())
            .filter(|t| *t >= 0)
            .collect();
        times.sort_unstable();
        times
    };
    let every = times(&|_| true);
    let (p50, p99) = (percentile(&every, 0.5), percentile(&every, 0.99));
    assert!((5..=200).contains(&p50), "p50 {p50} ms");
    assert!(p99 >= 10 * p50 && p99 >= 1000, "p50 {p50} ms, p99 {p99} ms");
    let hit_median = percentile(&times(&|r| cache(r) == "HIT"), 0.5);
    let miss_median = percentile(&times(&|r| cache(r) == "MISS"), 0.5);
    assert!(
        hit_median * 5 < miss_median,
        "HIT {hit_median} ms, MISS {miss_median} ms"
    );

    // Sentinels: 1–5% in each field that carries them (ClientState: of clients in China).
    for (field, sentinel) in [
        ("ClientRegion", json!("-")),
        ("ClientISP", json!("-")),
        ("RequestBytes", json!(-1)),
        ("RequestUA", json!("-")),
        ("RemotePort", json!("-")),
        ("EdgeResponseBodyBytes", json!(-1)),
        ("EdgeResponseTime", json!(-1)),
        ("EdgeInternalTime", json!(-1)),
        ("EdgeServerIP", json!("-")),
        ("EdgeServerID", json!("-")),
    ] {
        let s = share(&all, |r| r[field] == sentinel);
        assert!((0.01..=0.05).contains(&s), "{field}: {s}");
    }
    let chinese: Vec<_> = all.iter().filter(|r| r["ClientRegion"] == "CN").collect();
    let s = share(&chinese, |r| r["ClientState"] == "-");
    assert!((0.01..=0.05).contains(&s), "ClientState: {s}");
    assert!(chinese
        .iter()
        .all(|r| r["ClientState"] == "-" || r["ClientState"].as_str().unwrap().starts_with("CN-")));
    // Across all sentinel-carrying fields.
    let cells = all.len() * 10;
    let sentinels: usize = all
        .iter()
        .map(|r| {
            [
                "ClientRegion",
                "ClientISP",
                "RequestBytes",
                "RequestUA",
                "RemotePort",
                "EdgeResponseBodyBytes",
                "EdgeResponseTime",
                "EdgeInternalTime",
                "EdgeServerIP",
                "EdgeServerID",
            ]
            .iter()
            .filter(|f| is_sentinel(&r[**f]))
            .count()
        })
        .sum();
    let overall = sentinels as f64 / cells as f64;
    assert!(
        (0.01..=0.05).contains(&overall),
        "sentinels overall {overall}"
    );

    // RemotePort drifts: numbers mostly, "-" and digits as text sometimes.
    let port_text = share(&all, |r| {
        r["RemotePort"]
            .as_str()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    });
    assert!(
        (0.01..=0.05).contains(&port_text),
        "RemotePort as text: {port_text}"
    );
    assert!(share(&all, |r| r["RemotePort"].is_u64()) > 0.9);

    // Methods, protocols, completion states.
    let method = |r: &Map<String, Value>| r["RequestMethod"].as_str().unwrap().to_owned();
    assert!(share(&all, |r| method(r) == "GET") > 0.75);
    for m in ["POST", "HEAD", "PUT", "OPTIONS"] {
        assert!(all.iter().any(|r| method(r) == m), "no {m}");
    }
    let protocol = |r: &Map<String, Value>| r["RequestProtocol"].as_str().unwrap().to_owned();
    for p in ["HTTP/1.1", "HTTP/2.0", "HTTP/3", "HTTP/1.0", "WebSocket"] {
        assert!(all.iter().any(|r| protocol(r) == p), "no {p}");
    }
    assert!(
        share(&all, |r| matches!(
            protocol(r).as_str(),
            "HTTP/1.0" | "WebSocket"
        )) < 0.03
    );
    let completed = share(&all, |r| r["RequestStatus"] == 1);
    assert!(completed > 0.9, "RequestStatus 1: {completed}");
    assert!(all.iter().any(|r| r["RequestStatus"] == 0));
    assert!(all.iter().any(|r| r["RequestStatus"] == 2));

    // Clients: IPv6 some, a mix of browsers, crawlers and tools.
    let v6 = share(&all, |r| r["ClientIP"].as_str().unwrap().contains(':'));
    assert!((0.05..0.35).contains(&v6), "IPv6 {v6}");
    let agents: HashSet<&str> = all.iter().filter_map(|r| r["RequestUA"].as_str()).collect();
    for needle in [
        "Googlebot",
        "curl/",
        "okhttp/",
        "iPhone",
        "Android",
        "Windows NT",
    ] {
        assert!(agents.iter().any(|a| a.contains(needle)), "no {needle} UA");
    }

    // URLs without queries; ranges with 206; security actions a few percent, Deny with 403.
    for record in &all {
        let query = record["RequestUrlQueryString"].as_str().unwrap();
        assert!(!query.starts_with('?') && !query.is_empty());
        let ranged = record["RequestRange"]
            .as_str()
            .unwrap()
            .starts_with("bytes=");
        assert_eq!(ranged, status(record) == 206, "{record:?}");
        if record["SecurityAction"] == "Deny" {
            assert_eq!(status(record), 403);
        }
        let flagged = record["SecurityAction"] != "-";
        for field in ["SecurityRuleID", "SecurityModule"] {
            assert_eq!(record[field] != "-", flagged, "{record:?}");
        }
    }
    assert!(share(&all, |r| r["RequestUrlQueryString"] == "-") > 0.5);
    let flagged = share(&all, |r| r["SecurityAction"] != "-");
    assert!((0.01..0.10).contains(&flagged), "security {flagged}");
    assert!(all.iter().any(|r| r["SecurityAction"] == "Deny"));
    eprintln!(
        "L7, {n} records: 200 {ok:.3}, HIT {hit:.3}, p50 {p50} ms, p99 {p99} ms (HIT median \
         {hit_median} ms, MISS {miss_median} ms), sentinels {overall:.4}, RemotePort as text \
         {port_text:.3}, IPv6 {v6:.3}, RequestStatus 1 {completed:.3}, security {flagged:.3}, \
         {subrequests} sub-requests"
    );
}

#[test]
fn l4_sessions_span_intervals_and_mixes_look_real() {
    let store = LogStore::new().packet_bytes(Some(MIB / 2));
    let packets = packets(&store, LogKind::L4, &["sid-1", "sid-2", "sid-3"], 2);
    let mut all = 0;
    let mut multi = 0;
    let mut open_at_end = 0;
    let mut from_earlier = 0;
    let mut sessions_total = 0;
    let mut reasons = HashSet::new();
    let mut protocols = HashSet::new();
    let mut seconds = 0;
    let mut sentinels = 0;
    for packet in &packets {
        let records = raw(packet);
        all += records.len();
        let hour_start = records[0]["LogTimeStamp"]
            .as_str()
            .map_or("", |t| &t[..13])
            .to_owned();
        let mut sessions: HashMap<String, Vec<&Map<String, Value>>> = HashMap::new();
        for record in &records {
            assert_eq!(record["ServiceID"], packet.id.as_str());
            assert!(record["SentBytes"].is_u64() && record["ReceivedBytes"].is_u64());
            match &record["LogTimeStamp"] {
                Value::Number(n) => {
                    assert!(n.is_u64());
                    seconds += 1;
                }
                Value::String(t) => assert!(t.ends_with('Z')),
                other => panic!("LogTimeStamp {other}"),
            }
            sentinels += ["ClientRegion", "EdgeIP", "ForwardPort"]
                .iter()
                .filter(|f| is_sentinel(&record[**f]))
                .count();
            protocols.insert(record["ForwardProtocol"].as_str().unwrap().to_owned());
            sessions
                .entry(record["SessionID"].as_str().unwrap().to_owned())
                .or_default()
                .push(record);
        }
        for records in sessions.values() {
            sessions_total += 1;
            let first = records[0];
            for record in records {
                // Shared by every record of a session.
                for field in [
                    "ClientRealIP",
                    "ConnectTimeStamp",
                    "ClientRegion",
                    "EdgeIP",
                    "ForwardPort",
                    "ForwardProtocol",
                ] {
                    assert_eq!(record[field], first[field], "{field}");
                }
            }
            // Only the last record of a session may be its disconnection.
            for record in &records[..records.len() - 1] {
                assert_eq!(record["DisconnetTimeStamp"], "-");
                assert_eq!(record["DisconnetReason"], "-");
            }
            let last = records[records.len() - 1];
            match last["DisconnetReason"].as_str().unwrap() {
                "-" => open_at_end += 1,
                reason => {
                    assert!(
                        reason.starts_with("up: ") || reason.starts_with("down: "),
                        "{reason}"
                    );
                    assert_eq!(last["DisconnetTimeStamp"].as_str().unwrap().len(), 24);
                    reasons.insert(reason.to_owned());
                }
            }
            if records.len() > 1 {
                multi += 1;
            }
            if !hour_start.is_empty()
                && first["ConnectTimeStamp"].as_str().unwrap()[..13] < *hour_start
            {
                from_earlier += 1;
            }
        }
    }
    assert!(all > 4000, "{all} records");
    assert!(
        multi * 20 > sessions_total,
        "{multi} of {sessions_total} sessions span intervals"
    );
    assert!(open_at_end > 10, "{open_at_end} sessions still connected");
    assert!(
        from_earlier > 10,
        "{from_earlier} sessions connected before the hour"
    );
    assert!(reasons.len() >= 5, "{reasons:?}");
    assert!(reasons.contains("down: channel_eof_exception"));
    assert!(reasons.contains("up: create_peer_channel_exception"));
    assert_eq!(protocols.len(), 2, "{protocols:?}");
    let seconds = seconds as f64 / all as f64;
    assert!(
        (0.005..0.05).contains(&seconds),
        "LogTimeStamp as seconds: {seconds}"
    );
    let sentinels = sentinels as f64 / (3 * all) as f64;
    assert!((0.01..=0.05).contains(&sentinels), "sentinels {sentinels}");
    eprintln!(
        "L4, {all} records, {sessions_total} sessions: {multi} over several intervals, \
         {open_at_end} still connected, {from_earlier} connected before the hour; LogTimeStamp \
         as seconds {seconds:.4}, sentinels {sentinels:.4}; reasons {reasons:?}"
    );
}
