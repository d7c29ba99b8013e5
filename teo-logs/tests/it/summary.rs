//! Summaries of real inputs: the mock's L7 packets as downloaded, and the same packets converted
//! to Parquet and NDJSON datasets, give identical summaries, whose figures match sums computed
//! here from the raw JSON lines. L4 packets with the documented members, bad lines, failing
//! files, ignored files, hostile values and the bounded-memory mode.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use serde_json::{json, Value};
use teo_logs::summary::histogram::exact_percentile;
use teo_logs::summary::{Options, SummarizeOptions};
use teo_logs::ConvertOptions;
use teo_logs::{render_html, render_json, render_text, summarize, Dataset, Format, Kind};
use teo_mock::logs::LogKind;

use crate::support;
use support::{lines_of, temp_dir, write_packets};

const ZONE: &str = "zone-2o3h21ed8bpu";

/// The mock's L7 packets of three hours and two domains, as downloaded.
fn mock_packets(dir: &Path) -> Vec<PathBuf> {
    let request = json!({
        "StartTime": "2024-05-01T10:00:00Z",
        "EndTime": "2024-05-01T13:00:00Z",
        "ZoneIds": [ZONE],
        "Domains": ["www.example.com", "img.example.com"],
    });
    write_packets(LogKind::L7, &request, dir)
}

fn gzip_lines(path: &Path, lines: &[String]) {
    let mut gz = GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
    for line in lines {
        writeln!(gz, "{line}").unwrap();
    }
    gz.finish().unwrap();
}

fn convert(packets: &[PathBuf], root: &Path, format: Format) {
    let dataset = Dataset::local(root, format).unwrap();
    for packet in packets {
        let report = dataset
            .convert_file(packet, ConvertOptions::default().zone(ZONE))
            .unwrap();
        assert_eq!(report.bad_lines, 0);
    }
}

/// The summary without the part that names files (which differ between inputs).
fn figures(summary: &teo_logs::Summary) -> Value {
    let mut value = render_json(summary, 1000);
    value.as_object_mut().unwrap().remove("files");
    value
}

/// Figures computed here, from the raw lines, without the library.
struct Expected {
    requests: u64,
    bytes: u64,
    hours: BTreeMap<String, (u64, u64)>,
    classes: BTreeMap<&'static str, u64>,
    hits: u64,
    with_cache_status: u64,
    hosts: HashMap<String, (u64, u64)>,
    times: Vec<u64>,
}

fn expected(lines: &[Value]) -> Expected {
    let mut e = Expected {
        requests: 0,
        bytes: 0,
        hours: BTreeMap::new(),
        classes: BTreeMap::new(),
        hits: 0,
        with_cache_status: 0,
        hosts: HashMap::new(),
        times: Vec::new(),
    };
    for line in lines {
        e.requests += 1;
        let bytes = line["EdgeResponseBytes"].as_u64().unwrap();
        e.bytes += bytes;
        let time = line["RequestTime"].as_str().unwrap();
        // The mock writes UTC times: the hour is the text's first 13 characters.
        let hour = e.hours.entry(time[..13].to_owned()).or_default();
        hour.0 += 1;
        hour.1 += bytes;
        let class = match line["EdgeResponseStatusCode"].as_u64().unwrap() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            500..=599 => "5xx",
            _ => "other",
        };
        *e.classes.entry(class).or_default() += 1;
        // Sentinels ("-", -1) are absent values.
        if let Some(status) = line["EdgeCacheStatus"]
            .as_str()
            .filter(|s| *s != "-" && !s.is_empty())
        {
            e.with_cache_status += 1;
            if status.eq_ignore_ascii_case("hit") {
                e.hits += 1;
            }
        }
        let host = e
            .hosts
            .entry(line["RequestHost"].as_str().unwrap().to_owned())
            .or_default();
        host.0 += 1;
        host.1 += bytes;
        if let Some(time) = line["EdgeResponseTime"].as_i64().filter(|t| *t >= 0) {
            e.times.push(time as u64);
        }
    }
    e.times.sort_unstable();
    e
}

#[test]
fn packets_parquet_and_ndjson_give_the_same_summary_and_the_sums_of_the_lines() {
    let dir = temp_dir("three-inputs");
    let packets = mock_packets(&dir.join("packets"));
    assert!(packets.len() >= 6, "{packets:?}");
    convert(&packets, &dir.join("parquet"), Format::Parquet);
    convert(&packets, &dir.join("ndjson"), Format::Ndjson);

    let options = SummarizeOptions::default();
    let raw = summarize(&[dir.join("packets")], &options).unwrap();
    let parquet = summarize(&[dir.join("parquet")], &options).unwrap();
    let ndjson = summarize(&[dir.join("ndjson")], &options).unwrap();
    assert_eq!(raw.files(), packets.len() as u64);
    // One file per packet (each stays within its hour); the markers are not read.
    assert_eq!(parquet.files(), packets.len() as u64);
    assert_eq!(ndjson.files(), packets.len() as u64);
    for s in [&raw, &parquet, &ndjson] {
        assert_eq!(s.failed().1, 0, "{:?}", s.failed().0);
        assert_eq!(s.bad().1, 0);
    }
    let figures_raw = figures(&raw);
    assert_eq!(figures_raw, figures(&parquet), "packets vs Parquet");
    assert_eq!(figures_raw, figures(&ndjson), "packets vs NDJSON");
    assert!(raw.l4().is_none());

    // Against sums computed here from the lines.
    let lines: Vec<Value> = packets.iter().flat_map(|p| lines_of(p)).collect();
    let e = expected(&lines);
    let l7 = &figures_raw["l7"];
    assert_eq!(l7["requests"], e.requests);
    assert_eq!(l7["bytes"], e.bytes);
    let hours: BTreeMap<String, (u64, u64)> = l7["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["hour"].as_str().unwrap().to_owned(),
                (
                    h["requests"].as_u64().unwrap(),
                    h["bytes"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(hours, e.hours);
    assert_eq!(hours.len(), 3);
    for (class, n) in &e.classes {
        assert_eq!(l7["status_classes"][*class], *n, "{class}");
    }
    assert_eq!(l7["status_classes"]["absent"], 0);
    assert_eq!(l7["cache"]["hits"], e.hits);
    assert_eq!(l7["cache"]["with_status"], e.with_cache_status);
    let ratio = l7["cache"]["hit_ratio"].as_f64().unwrap();
    assert!((ratio - e.hits as f64 / e.with_cache_status as f64).abs() < 1e-12);
    let hosts = &l7["top"]["hosts"]["entries"];
    assert_eq!(hosts.as_array().unwrap().len(), e.hosts.len());
    for h in hosts.as_array().unwrap() {
        let (requests, bytes) = e.hosts[h["key"].as_str().unwrap()];
        assert_eq!(h["records"], requests);
        assert_eq!(h["bytes"], bytes);
        assert_eq!(h["error"], 0);
    }
    assert_eq!(l7["top"]["hosts"]["approximate"], false);
    // Percentiles against the exact ones: equal below 1024 ms, within 1/1024 above.
    for (name, per_mille) in [("p50", 500), ("p95", 950), ("p99", 990)] {
        let exact = exact_percentile(&e.times, per_mille).unwrap();
        let got = l7["response_time_ms"][name].as_u64().unwrap();
        if exact < 1024 {
            assert_eq!(got, exact, "{name}");
        } else {
            let error = (got as f64 - exact as f64).abs() / exact as f64;
            assert!(error <= 1.0 / 1024.0, "{name}: {got} vs {exact}");
        }
    }
    // The first and last times are the lines' own.
    let mut times: Vec<&str> = lines
        .iter()
        .map(|l| l["RequestTime"].as_str().unwrap())
        .collect();
    times.sort();
    assert_eq!(l7["time_range"]["first"], times[0]);
    assert_eq!(l7["time_range"]["last"], *times.last().unwrap());

    // One thread or several: the same.
    let one = summarize(
        &[dir.join("packets")],
        &SummarizeOptions {
            threads: 1,
            ..SummarizeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(figures(&one), figures_raw);
    // Single files, named one by one, add up to the directory.
    let single = summarize(&packets, &options).unwrap();
    assert_eq!(figures(&single), figures_raw);
    fs::remove_dir_all(&dir).unwrap();
}

/// L4 lines with the documented members (the mock writes other names for L4).
fn l4_lines(n: usize) -> Vec<String> {
    let reasons = [
        "-",
        "down: channel_eof_exception",
        "up: net_exception_connection_reset",
        "create_peer_channel_exception",
    ];
    (0..n)
        .map(|i| {
            let hour = 10 + i % 3;
            let region = ["CN", "US", "DE"][i % 3];
            let port = [443, 22, 53][i % 3];
            json!({
                "ServiceID": "sid-2m5b0s3ch7zq",
                "SessionID": format!("sess-{}", i % 97),
                "ConnectTimeStamp": format!("2024-05-01T{hour:02}:00:00Z"),
                "DisconnetTimeStamp": if i % 4 == 0 { "-".to_owned() } else { format!("2024-05-01T{hour:02}:30:00Z") },
                "DisconnetReason": reasons[i % 4],
                "ClientRealIP": format!("203.0.113.{}", i % 13),
                "ClientRegion": region,
                "EdgeIP": "43.152.0.1",
                "ForwardProtocol": if i % 5 == 0 { "UDP" } else { "TCP" },
                "ForwardPort": port,
                "SentBytes": (i * 1000) as i64,
                "ReceivedBytes": if i % 10 == 0 { json!(-1) } else { json!(i * 10) },
                "LogTimeStamp": format!("2024-05-01T{hour:02}:{:02}:00Z", i % 60),
            })
            .to_string()
        })
        .collect()
}

#[test]
fn l4_packets_and_their_datasets_agree_with_the_lines() {
    let dir = temp_dir("l4");
    fs::create_dir_all(dir.join("packets")).unwrap();
    let mut packets = Vec::new();
    for k in 0..3 {
        let path = dir.join(format!(
            "packets/20240501-1{k}-sid-2m5b0s3ch7zq_mainland.log.gz"
        ));
        gzip_lines(&path, &l4_lines(400 + k * 50));
        packets.push(path);
    }
    convert(&packets, &dir.join("parquet"), Format::Parquet);
    convert(&packets, &dir.join("ndjson"), Format::Ndjson);
    let options = SummarizeOptions::default();
    let raw = summarize(&[dir.join("packets")], &options).unwrap();
    let parquet = summarize(&[dir.join("parquet")], &options).unwrap();
    let ndjson = summarize(&[dir.join("ndjson")], &options).unwrap();
    assert_eq!(figures(&raw), figures(&parquet));
    assert_eq!(figures(&raw), figures(&ndjson));

    let lines: Vec<Value> = packets.iter().flat_map(|p| lines_of(p)).collect();
    let l4 = &figures(&raw)["l4"];
    assert_eq!(l4["records"], lines.len());
    let sent: i64 = lines.iter().map(|l| l["SentBytes"].as_i64().unwrap()).sum();
    let received: i64 = lines
        .iter()
        .map(|l| l["ReceivedBytes"].as_i64().unwrap())
        .filter(|&b| b >= 0)
        .sum();
    assert_eq!(l4["sent_bytes"], sent);
    assert_eq!(l4["received_bytes"], received);
    let sessions: std::collections::HashSet<&str> = lines
        .iter()
        .map(|l| l["SessionID"].as_str().unwrap())
        .collect();
    assert_eq!(l4["sessions"]["count"], sessions.len());
    assert_eq!(l4["sessions"]["exact"], true);
    let still = lines.iter().filter(|l| l["DisconnetReason"] == "-").count();
    assert_eq!(l4["top"]["disconnect_reasons"]["absent"]["records"], still);
    let reasons = l4["top"]["disconnect_reasons"]["entries"]
        .as_array()
        .unwrap();
    assert_eq!(reasons.len(), 3);
    for r in reasons {
        let n = lines
            .iter()
            .filter(|l| l["DisconnetReason"] == r["key"])
            .count();
        assert_eq!(r["records"], n);
    }
    // Clients by bytes (sent + received): the top one is the heaviest computed here.
    let mut clients: HashMap<&str, i64> = HashMap::new();
    for l in &lines {
        *clients
            .entry(l["ClientRealIP"].as_str().unwrap())
            .or_default() +=
            l["SentBytes"].as_i64().unwrap() + l["ReceivedBytes"].as_i64().unwrap().max(0);
    }
    let heaviest = clients
        .iter()
        .max_by_key(|(k, v)| (**v, std::cmp::Reverse(**k)))
        .unwrap();
    let top = &l4["top"]["clients"]["entries"][0];
    assert_eq!(top["key"], *heaviest.0);
    assert_eq!(top["bytes"], *heaviest.1);
    // Per hour (LogTimeStamp): three hours whose sent bytes add up.
    let hours = l4["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 3);
    assert_eq!(
        hours
            .iter()
            .map(|h| h["sent_bytes"].as_i64().unwrap())
            .sum::<i64>(),
        sent
    );
    assert_eq!(hours[0]["hour"], "2024-05-01T10");
    // Ports are keys as text.
    let ports: Vec<&str> = l4["top"]["ports"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(ports.len(), 3);
    assert!(ports.contains(&"443") && ports.contains(&"22"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_lines_are_counted_and_failing_files_reported_without_stopping() {
    let dir = temp_dir("bad");
    let good = r#"{"RequestTime":"2024-05-01T10:00:00Z","RequestHost":"a.example.com","EdgeResponseStatusCode":200,"EdgeResponseBytes":10}"#;
    fs::write(
        dir.join("p1.log"),
        format!("{good}\nnot json\n{good}\n{{\"RequestTime\":\"2024-05-01T10:00:01Z\",\"EdgeResponseBytes\":\"lots\"}}\n"),
    )
    .unwrap();
    // A gzip file cut short: its records up to the damage count, and the file is reported.
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..2000 {
        writeln!(gz, "{good}").unwrap();
    }
    let bytes = gz.finish().unwrap();
    fs::write(dir.join("p2.log.gz"), &bytes[..bytes.len() / 2]).unwrap();
    // Parquet that is not.
    fs::write(dir.join("p3.parquet"), b"PAR1 not really").unwrap();
    // Ignored: hidden in-progress files, markers, other extensions, links.
    fs::write(dir.join(".p4.log.abc.part"), "garbage\n").unwrap();
    fs::create_dir_all(dir.join("_teo_converted/kind=l7")).unwrap();
    fs::write(dir.join("_teo_converted/kind=l7/p1.log.done"), "{}").unwrap();
    fs::write(dir.join("notes.txt"), "hello").unwrap();
    let outside = temp_dir("outside");
    fs::write(outside.join("x.log"), format!("{good}\n")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, dir.join("linked")).unwrap();

    let summary = summarize(&[&dir], &SummarizeOptions::default()).unwrap();
    assert_eq!(summary.files(), 3);
    let (bad, bad_count) = summary.bad();
    assert_eq!(bad_count, 2);
    assert_eq!(bad[0].line, 2);
    assert!(bad[0].file.ends_with("p1.log"), "{bad:?}");
    assert!(bad[0].reason.contains("not a JSON object"), "{bad:?}");
    assert_eq!(bad[1].line, 4);
    assert!(bad[1].reason.contains("EdgeResponseBytes"), "{bad:?}");
    let (failed, failed_count) = summary.failed();
    assert_eq!(failed_count, 2, "{failed:?}");
    assert!(failed[0].to_string().contains("p2.log.gz"), "{}", failed[0]);
    assert!(
        failed[1].to_string().contains("p3.parquet"),
        "{}",
        failed[1]
    );
    let l7 = summary.l7().unwrap();
    // p1's two good lines and the readable start of p2.
    assert!(
        l7.requests() > 2 && l7.requests() < 2002,
        "{}",
        l7.requests()
    );
    let text = render_text(&summary, 10);
    assert!(text.contains("p1.log:2: not a JSON object"), "{text}");
    assert!(text.contains("2 bad lines skipped"), "{text}");

    // A path that does not exist is an error naming it; so is a directory without log files.
    let error = summarize(&[dir.join("missing")], &SummarizeOptions::default()).unwrap_err();
    assert!(error.to_string().contains("missing"), "{error}");
    let empty = temp_dir("empty");
    let error = summarize(&[&empty], &SummarizeOptions::default()).unwrap_err();
    assert!(error.to_string().contains("no log files"), "{error}");
    // The depth is bounded.
    let deep = temp_dir("deep");
    let mut at = deep.clone();
    for i in 0..4 {
        at = at.join(format!("d{i}"));
    }
    fs::create_dir_all(&at).unwrap();
    fs::write(at.join("p.log"), format!("{good}\n")).unwrap();
    fs::write(deep.join("top.log"), format!("{good}\n")).unwrap();
    let shallow = summarize(
        &[&deep],
        &SummarizeOptions {
            max_depth: 2,
            ..SummarizeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(shallow.files(), 1);
    assert!(shallow.failed().0[0]
        .to_string()
        .contains("directory levels"));
    for d in [&dir, &outside, &empty, &deep] {
        fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn hostile_values_are_escaped_in_every_rendering() {
    let dir = temp_dir("hostile");
    let script = "<script>alert(1)</script>\"'&";
    let long = format!("/{}", "a".repeat(5000));
    let lines = vec![
        json!({"RequestTime": "2024-05-01T10:00:00Z", "RequestHost": script, "RequestUrl": long,
               "ClientIP": "1.2.3.4\u{1b}[31m\n", "ClientRegion": "\u{202e}SU",
               "EdgeResponseStatusCode": 200, "EdgeResponseBytes": 100, "EdgeCacheStatus": "<b>HIT</b>"})
        .to_string(),
    ];
    gzip_lines(&dir.join("p.log.gz"), &lines);
    let summary = summarize(&[&dir], &SummarizeOptions::default()).unwrap();
    let html = render_html(&summary, 10);
    assert!(!html.contains("<script"), "a script element in the page");
    assert!(!html.contains("<b>"), "markup from the logs in the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    assert!(!html.contains(&"a".repeat(400)), "the long URL is cut");
    assert!(html.contains("1.2.3.4\\u{1b}[31m\\n"));
    assert!(html.contains("\\u{202e}SU"));
    assert!(!html.contains('\u{1b}') && !html.contains('\u{202e}'));
    assert!(html.contains("default-src 'none'"));
    let text = render_text(&summary, 10);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    assert!(text.contains("1.2.3.4\\u{1b}[31m\\n"), "{text}");
    assert!(text.contains('…'), "{text}");
    assert!(text.lines().all(|l| l.chars().count() < 200), "{text}");
    // JSON keeps the value (cut to the key bound) for scripts: JSON escapes it.
    let value = render_json(&summary, 10);
    assert_eq!(value["l7"]["top"]["hosts"]["entries"][0]["key"], script);
    let url = &value["l7"]["top"]["urls"]["entries"][0];
    assert_eq!(url["truncated"], true);
    assert_eq!(url["key"].as_str().unwrap().len(), 256);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn past_the_key_capacity_tables_are_approximate_within_their_reported_bound() {
    let dir = temp_dir("approx");
    let packets = mock_packets(&dir.join("packets"));
    let options = SummarizeOptions {
        summary: Options {
            key_capacity: 16,
            max_key_bytes: 256,
            ..Options::default()
        },
        ..SummarizeOptions::default()
    };
    let summary = summarize(&[dir.join("packets")], &options).unwrap();
    let value = render_json(&summary, 16);
    let table = &value["l7"]["top"]["client_ips"];
    // The threads share the 16 keys: each Space-Saving table had 16 / threads.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(packets.len()) as u64;
    assert_eq!(table["approximate"], true);
    let lines: Vec<Value> = packets.iter().flat_map(|p| lines_of(p)).collect();
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for l in &lines {
        *counts.entry(l["ClientIP"].as_str().unwrap()).or_default() += 1;
    }
    let n = lines.len() as u64;
    let bound = n * threads / 16;
    let floor = table["unlisted_at_most"].as_u64().unwrap();
    assert!(floor <= bound, "{floor} > {bound}");
    let entries = table["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 16);
    for e in entries {
        let truth = counts.get(e["key"].as_str().unwrap()).copied().unwrap_or(0);
        let (got, error) = (e["records"].as_u64().unwrap(), e["error"].as_u64().unwrap());
        assert!(truth <= got && got <= truth + error, "{e}: truth {truth}");
        assert!(error <= bound, "{e}: error > {bound}");
    }
    // The text and the page say so.
    assert!(render_text(&summary, 5).contains("approximate (Space-Saving over 16 keys)"));
    assert!(render_html(&summary, 5).contains("± error"));
    // Hosts (two) stay exact.
    assert_eq!(value["l7"]["top"]["hosts"]["approximate"], false);
    fs::remove_dir_all(&dir).unwrap();
}

/// L7 lines with `keys` distinct client IPs, `per_key` records each, over `files` files.
fn write_keyed(dir: &Path, keys: usize, per_key: usize, files: usize) {
    let mut lines = vec![Vec::new(); files];
    for k in 0..keys {
        for r in 0..per_key {
            lines[(k + r) % files].push(
                json!({"RequestTime": "2024-05-01T10:00:00Z", "ClientIP": format!("10.0.0.{k}"),
                       "EdgeResponseBytes": 1})
                .to_string(),
            );
        }
    }
    for (f, lines) in lines.iter().enumerate() {
        fs::write(dir.join(format!("p{f}.log")), lines.join("\n")).unwrap();
    }
}

#[test]
fn threads_share_the_key_capacity_and_stay_exact_below_their_share() {
    let dir = temp_dir("share");
    // Four threads whatever the cores (a count asked for is taken as it is).
    let threads = 4;
    let capacity = 8 * threads;
    let options = |threads| SummarizeOptions {
        threads,
        summary: Options {
            key_capacity: capacity,
            max_key_bytes: 256,
            ..Options::default()
        },
        ..SummarizeOptions::default()
    };
    // capacity / threads = 8 keys, 3 records each, spread over every file: exact on every
    // thread count.
    write_keyed(&dir, 8, 3, 8);
    for t in [1, threads] {
        let summary = summarize(&[&dir], &options(t)).unwrap();
        let ips = summary.l7().unwrap().client_ips();
        assert!(!ips.is_approximate(), "{t} threads");
        assert_eq!(ips.capacity(), capacity);
        let top = ips.top(100);
        assert_eq!(top.len(), 8);
        assert!(
            top.iter().all(|e| e.records == 3 && e.error == 0),
            "{top:?}"
        );
    }
    // 4 × capacity keys: every thread's table overflows; each listed figure is within its
    // error of the truth, and the errors within records × threads / capacity.
    fs::remove_dir_all(&dir).unwrap();
    fs::create_dir_all(&dir).unwrap();
    write_keyed(&dir, 4 * capacity, 5, 8);
    let n = (4 * capacity * 5) as u64;
    let summary = summarize(&[&dir], &options(threads)).unwrap();
    let ips = summary.l7().unwrap().client_ips();
    assert!(ips.is_approximate());
    assert!(ips.len() <= capacity);
    for e in ips.top(usize::MAX) {
        assert!(e.records >= 5 && e.records <= 5 + e.error, "{e:?}");
        assert!(e.error <= n * threads as u64 / capacity as u64, "{e:?}");
    }
    assert!(ips.floor() <= n * threads as u64 / capacity as u64);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kind_given_skips_the_other_kind_of_a_dataset() {
    let dir = temp_dir("kinds");
    let packets = mock_packets(&dir.join("packets"));
    convert(&packets[..2], &dir.join("ds"), Format::Parquet);
    let l4 = dir.join("l4.log.gz");
    gzip_lines(&l4, &l4_lines(50));
    Dataset::local(dir.join("ds"), Format::Parquet)
        .unwrap()
        .convert_file(&l4, ConvertOptions::default().kind(Kind::L4).zone(ZONE))
        .unwrap();
    let both = summarize(&[dir.join("ds")], &SummarizeOptions::default()).unwrap();
    assert!(both.l7().is_some() && both.l4().is_some());
    assert_eq!(both.l4().unwrap().records(), 50);
    let only = summarize(
        &[dir.join("ds")],
        &SummarizeOptions {
            kind: Some(Kind::L7),
            ..SummarizeOptions::default()
        },
    )
    .unwrap();
    assert!(only.l4().is_none());
    assert_eq!(only.l7().unwrap().requests(), both.l7().unwrap().requests());
    // A Parquet file of the other kind named directly is an error naming it.
    let l4_file = crate::support::files_in(&dir.join("ds/kind=l4"))[0].clone();
    let mismatch = summarize(
        &[&l4_file],
        &SummarizeOptions {
            kind: Some(Kind::L7),
            ..SummarizeOptions::default()
        },
    )
    .unwrap();
    assert!(mismatch.failed().0[0]
        .to_string()
        .contains("holds l4 records, not l7"));
    fs::remove_dir_all(&dir).unwrap();
}

/// The fast JSON-lines reader follows the typed reader (`Records`) line for line: the same
/// records, absent values, bad lines and reasons, on lines made to tell them apart.
#[test]
fn the_fast_reader_reads_as_the_typed_reader_does() {
    let dir = temp_dir("parity");
    let l7 = [
        r#"{"RequestTime":"2024-05-01T10:00:00.5Z","RequestHost":"a.example.com","RequestUrl":"/","ClientIP":"1.1.1.1","ClientRegion":"CN","EdgeCacheStatus":"hit","EdgeResponseStatusCode":200,"EdgeResponseBytes":100,"EdgeResponseTime":12}"#,
        r#"{"RequestTime":"-","RequestHost":"-","RequestUrl":"","ClientIP":null,"ClientRegion":"-","EdgeCacheStatus":"","EdgeResponseStatusCode":-1,"EdgeResponseBytes":"-","EdgeResponseTime":"-1"}"#,
        r#"{"RequestTime":"2024-05-01T12:00:00+08:00","EdgeResponseStatusCode":"404","EdgeResponseBytes":" 1024 ","EdgeResponseTime":2000.0,"RequestBytes":1e2}"#,
        r#"{"RequestTime":"2024-05-01T10:00:01Z","EdgeResponseBytes":"lots"}"#,
        r#"{"RequestTime":"2024-05-01T10:00:02Z","RemotePort":"abc"}"#,
        r#"{"RequestTime":"2024-05-01T10:00:03Z","RequestBytes":1.5}"#,
        r#"{"RequestTime":1714557600,"RequestHost":"unix-seconds"}"#,
        r#"{"RequestTime":"yesterday","RequestHost":"no-instant"}"#,
        r#"{"RequestTime":1.5}"#,
        r#"{"RequestTime":true}"#,
        r#"{"RequestTime":-1,"RequestHost":123,"RequestUrl":1e3,"ClientRegion":{"a": [1, 2]},"ClientIP":true}"#,
        r#"{"RequestTime":"2024-05-01T11:00:00Z","RequestUrl":"/a\"b\\c\u00e9\n","RequestHost":"first","RequestHost":"second"}"#,
        r#"{"Request\u0048ost":"escaped-key.example.com","RequestTime":"2024-05-01T11:00:00Z"}"#,
        "[1,2]",
        "\"x\"",
        "5",
        "not json",
        "",
        "   \t ",
        "{\"RequestHost\":\"crlf.example.com\",\"EdgeResponseBytes\":7}\r",
        r#"{"RequestHost":"x"} trailing"#,
        r#"{"Unknown":{"deep":[1,{"x":null}]},"RequestHost":"with-unknown","EdgeResponseStatusCode":700}"#,
        r#"{"EdgeResponseBytes":12345678901234567890}"#,
        r#"{"EdgeResponseBytes":9007199254740993,"RequestHost":"big"}"#,
        r#"{"EdgeResponseBytes":1e400}"#,
        r#"{"RequestHost":1e400}"#,
        r#"{"EdgeResponseStatusCode":[200]}"#,
        r#"{"EdgeResponseTime":{"ms":5}}"#,
        r#"{"RequestHost":"é.example.com","EdgeCacheStatus":"Dynamic","EdgeResponseTime":-5}"#,
    ];
    let mut text: Vec<String> = l7.iter().map(|s| s.to_string()).collect();
    text.push(format!("{{\"RequestHost\":\"{}\"}}", "x".repeat(1 << 20)));
    text.push(format!("{}{}", "[".repeat(200), "]".repeat(200)));
    text.push(format!(
        "{{\"Deep\":{}{}}}",
        "[".repeat(200),
        "]".repeat(200)
    ));
    text.push(r#"{"RequestHost":"last.example.com"}"#.to_owned());
    let mut bytes = text.join("\n").into_bytes();
    // Not UTF-8, in a member and in a key.
    bytes.extend_from_slice(b"\n{\"RequestHost\":\"bad\xff\"}\n{\"\xfe\":1}\n");
    fs::write(dir.join("l7.log"), bytes).unwrap();

    let l4 = [
        r#"{"ServiceID":"s","SessionID":"a","LogTimeStamp":"not a time","ConnectTimeStamp":"2024-05-01T10:00:00Z","ForwardPort":"443","SentBytes":10,"ReceivedBytes":"5"}"#,
        r#"{"ServiceID":"s","SessionID":"a","LogTimeStamp":"2024-05-01T11:00:00Z","DisconnetTimeStamp":"-","DisconnetReason":"-","SentBytes":-1}"#,
        r#"{"ServiceID":"s","SessionID":"b","DisconnetTimeStamp":[1],"SentBytes":1}"#,
        r#"{"ServiceID":"s","SessionID":"c","LogTimeStamp":1714560000,"DisconnetReason":"down: channel_eof_exception","ForwardPort":22.0}"#,
        r#"{"ServiceID":"s","ConnectTimeStamp":-1,"ForwardPort":"x"}"#,
    ];
    fs::write(dir.join("l4.log"), l4.join("\n")).unwrap();

    for file in ["l7.log", "l4.log"] {
        let run = |reader| {
            summarize(
                &[dir.join(file)],
                &SummarizeOptions {
                    json_reader: reader,
                    ..SummarizeOptions::default()
                },
            )
            .unwrap()
        };
        let fast = run(teo_logs::summary::JsonReader::Fast);
        let typed = run(teo_logs::summary::JsonReader::Records);
        assert!(fast.bad().1 >= 2, "{file}: {:?}", fast.bad());
        let (a, b) = (render_json(&fast, 1000), render_json(&typed, 1000));
        assert_eq!(a["bad_lines"], b["bad_lines"], "{file}: bad lines differ");
        assert_eq!(a, b, "{file}");
    }
    fs::remove_dir_all(&dir).unwrap();
}
