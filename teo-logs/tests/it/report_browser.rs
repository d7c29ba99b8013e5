//! The HTML report in a real browser: headless Chromium loads the page written for mock data,
//! its DOM has every chart with the expected marks and the key figures, and its screenshot is
//! not blank (the bar colours cover a fair area).
//!
//! Chromium is `/usr/bin/chromium` (or `$CHROMIUM`). Without it the test says so in one line
//! and passes, unless `TEO_REQUIRE_TOOLS=1` (as in CI), when it fails.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use serde_json::json;
use teo_logs::summary::SummarizeOptions;
use teo_logs::{render_html, render_json, summarize};
use teo_mock::logs::{LogKind, LogStore};

use crate::support;
use support::temp_dir;

const TIMEOUT: Duration = Duration::from_secs(60);

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs Chromium headless with `args` after the common flags, killed after [`TIMEOUT`];
/// returns its stdout.
fn run_chromium(chromium: &Path, profile: &Path, args: &[String]) -> Vec<u8> {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1280,2400")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over {TIMEOUT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    assert!(
        status.success(),
        "chromium failed ({status}): {}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

/// The mock's L7 packets of three hours, one hostile line, and L4 lines with the documented
/// members: a page with every chart.
fn inputs(dir: &Path) {
    let store = LogStore::new();
    let request = json!({
        "StartTime": "2024-05-01T10:00:00Z",
        "EndTime": "2024-05-01T16:00:00Z",
        "ZoneIds": ["zone-2o3h21ed8bpu"],
        "Domains": ["www.example.com", "img.example.com"],
    });
    let listing = store
        .list(LogKind::L7, &request, "http://127.0.0.1:1")
        .unwrap();
    fs::create_dir_all(dir.join("l7")).unwrap();
    for entry in listing["Data"].as_array().unwrap() {
        let file = entry["Url"].as_str().unwrap().rsplit('/').next().unwrap();
        let name = format!(
            "{}_{}.log.gz",
            entry["LogPacketName"].as_str().unwrap(),
            entry["Area"].as_str().unwrap()
        );
        fs::write(dir.join("l7").join(name), store.packet(file).unwrap()).unwrap();
    }
    fs::write(
        dir.join("l7/hostile.log"),
        json!({"RequestTime": "2024-05-01T12:30:00Z",
               "RequestHost": "<script>alert(1)</script>\"'&", "RequestUrl": "/<img src=x>",
               "EdgeResponseStatusCode": 200, "EdgeResponseBytes": 1, "EdgeResponseTime": 5,
               "EdgeCacheStatus": "HIT"})
        .to_string(),
    )
    .unwrap();
    fs::create_dir_all(dir.join("l4")).unwrap();
    let mut gz = GzEncoder::new(
        File::create(dir.join("l4/20240501-10-sid-1_mainland.log.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    let reasons = [
        "-",
        "down: channel_eof_exception",
        "up: net_exception_reset",
    ];
    for i in 0..600u64 {
        let hour = 10 + i % 6;
        let line = json!({
            "ServiceID": "sid-1", "SessionID": format!("s{}", i % 150),
            "LogTimeStamp": format!("2024-05-01T{hour:02}:{:02}:00Z", i % 60),
            "DisconnetReason": reasons[(i % 3) as usize],
            "ClientRealIP": format!("198.51.100.{}", i % 20), "ClientRegion": "US",
            "ForwardPort": 443, "SentBytes": 1000 + i * 50_000, "ReceivedBytes": 500 + i * 7_000,
        });
        writeln!(gz, "{line}").unwrap();
    }
    gz.finish().unwrap();
}

/// The `<svg id=…>` element's text in the DOM.
fn svg<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no svg#{id}"));
    let end = dom[start..].find("</svg>").expect("the svg ends") + start;
    &dom[start..end]
}

/// The `data-value`s of the marks starting with `tag` (e.g. `<rect class="bar"`).
fn values(svg: &str, tag: &str) -> Vec<f64> {
    svg.match_indices(tag)
        .map(|(at, _)| {
            let rest = &svg[at..];
            let v = rest.find("data-value=\"").expect("data-value") + 12;
            let end = rest[v..].find('"').unwrap() + v;
            rest[v..end].parse().unwrap()
        })
        .collect()
}

/// Pixels within 2 of `rgb` in each channel.
fn pixels_of(png: &[u8], rgb: (u8, u8, u8)) -> (usize, usize, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a size that fits memory")
    ];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let near = |a: u8, b: u8| a.abs_diff(b) <= 2;
    let count = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| near(p[0], rgb.0) && near(p[1], rgb.1) && near(p[2], rgb.2))
        .count();
    (count, info.width as usize, info.height as usize)
}

fn rgb(hex: &str) -> (u8, u8, u8) {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
    ((n >> 16) as u8, (n >> 8) as u8, n as u8)
}

#[test]
fn the_report_renders_in_chromium_with_every_chart() {
    let Some(chromium) = chromium() else {
        tc_test_support::tools::skip("chromium (/usr/bin/chromium, or CHROMIUM)");
        return;
    };
    let dir = temp_dir("browser");
    inputs(&dir.join("in"));
    let summary = summarize(&[dir.join("in")], &SummarizeOptions::default()).unwrap();
    let figures = render_json(&summary, 10);
    let page = dir.join("report.html");
    fs::write(&page, render_html(&summary, 10)).unwrap();
    let url = format!("file://{}", page.display());

    let dom = run_chromium(
        &chromium,
        &dir.join("profile-dom"),
        &["--dump-dom".into(), url.clone()],
    );
    let dom = String::from_utf8(dom).unwrap();
    assert!(dom.contains("EdgeOne log summary"), "{dom}");
    // No script ran or exists: the hostile host is text.
    assert!(!dom.contains("<script"), "a script element in the DOM");
    assert!(!dom.contains("<img"), "an img element in the DOM");
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let l7 = &figures["l7"];
    let hours = l7["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 6);
    let requests = values(svg(&dom, "requests-over-time"), "<rect class=\"bar\"");
    assert_eq!(requests.len(), hours.len());
    assert_eq!(
        requests.iter().sum::<f64>() as u64,
        l7["requests"].as_u64().unwrap()
    );
    let bytes = values(svg(&dom, "bytes-over-time"), "<rect class=\"bar\"");
    assert_eq!(bytes.len(), hours.len());
    assert_eq!(
        bytes.iter().sum::<f64>() as u64,
        l7["bytes"].as_u64().unwrap()
    );
    let classes = values(svg(&dom, "status-classes"), "<rect class=\"bar\"");
    assert_eq!(classes.len(), 7);
    assert_eq!(
        classes.iter().sum::<f64>() as u64,
        l7["requests"].as_u64().unwrap()
    );
    let points = values(svg(&dom, "cache-hit-ratio"), "<circle class=\"point\"");
    assert_eq!(points.len(), hours.len());
    assert!(points.iter().all(|r| (0.0..=1.0).contains(r)));
    let l4 = &figures["l4"];
    let l4_hours = l4["hours"].as_array().unwrap().len();
    assert_eq!(l4_hours, 6);
    let l4_bytes = svg(&dom, "l4-bytes-over-time");
    assert_eq!(values(l4_bytes, "<rect class=\"bar sent\"").len(), l4_hours);
    assert_eq!(
        values(l4_bytes, "<rect class=\"bar received\"").len(),
        l4_hours
    );
    let reasons = values(svg(&dom, "disconnect-reasons"), "<rect class=\"bar\"");
    // Two reasons and the still-connected records.
    assert_eq!(reasons.len(), 3);
    assert_eq!(reasons.iter().sum::<f64>() as u64, 600);

    // Key figures as shown.
    let thousands = |n: u64| {
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let total = l7["requests"].as_u64().unwrap();
    assert!(
        dom.contains(&format!(">{}</div>", thousands(total))),
        "requests {total}"
    );
    let p99 = l7["response_time_ms"]["p99"].as_u64().unwrap();
    assert!(
        dom.contains(&format!(">{} ms</div>", thousands(p99))),
        "p99 {p99}"
    );
    let ratio = l7["cache"]["hit_ratio"].as_f64().unwrap();
    assert!(
        dom.contains(&format!(">{:.1}%</div>", ratio * 100.0)),
        "hit ratio {ratio}"
    );

    // The screenshot: the requests and bytes bars cover a fair area.
    let shot = dir.join("report.png");
    run_chromium(
        &chromium,
        &dir.join("profile-shot"),
        &[format!("--screenshot={}", shot.display()), url],
    );
    let png = fs::read(&shot).unwrap();
    let (blue, width, height) = pixels_of(&png, rgb(teo_logs::summary::REQUESTS_COLOR));
    let (teal, _, _) = pixels_of(&png, rgb(teo_logs::summary::BYTES_COLOR));
    let (purple, _, _) = pixels_of(&png, rgb(teo_logs::summary::SENT_COLOR));
    println!(
        "screenshot {}x{height}: {blue} request-bar pixels, {teal} byte-bar pixels, {purple} sent-bar pixels; kept at {}",
        width,
        shot.display()
    );
    assert_eq!((width, height), (1280, 2400));
    assert!(blue > 5_000, "{blue} pixels of the request bars");
    assert!(teal > 5_000, "{teal} pixels of the byte bars");
    assert!(purple > 1_000, "{purple} pixels of the L4 sent bars");
    if std::env::var_os("TEO_KEEP_REPORT").is_none() {
        fs::remove_dir_all(&dir).unwrap();
    }
}
