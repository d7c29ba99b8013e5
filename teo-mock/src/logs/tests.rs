//! The log store's listings and packets: names, sizes, time order, members, errors.

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
    let before = json!({"StartTime": "2024-05-01T10:00:00Z", "EndTime": "2024-05-01T09:00:00Z"});
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
    let month =
        json!({"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-06-01T00:00:00Z", "Limit": 1});
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
        eprintln!(
            "{kind:?}: listing 300 packets ({bytes} gzip bytes): cold {cold:?}, cached {warm:?}"
        );
    }
}
