//! The summary as one self-contained HTML page: inline CSS, inline SVG charts, no script and no
//! external resource (a Content-Security-Policy says so to the browser too). Every value from
//! the logs or the file system is made printable ([`clean`]) and HTML-escaped ([`escape`]).
//!
//! Charts have stable ids, and their marks classes and `data-*` attributes, for tests and
//! scripts: `svg#requests-over-time` and `svg#bytes-over-time` (`rect.bar[data-hour][data-value]`),
//! `svg#status-classes` (`rect.bar[data-class][data-value]`), `svg#cache-hit-ratio`
//! (`circle.point[data-hour][data-value]`, the hit ratio of the hour); for L4
//! `svg#l4-bytes-over-time` (`rect.bar.sent` / `rect.bar.received`) and `svg#disconnect-reasons`
//! (`rect.bar[data-reason][data-value]`). Key figures are `.figure[id][data-value]`.

use std::fmt::Write as _;

use super::histogram::{EXACT_BELOW, RELATIVE_ERROR};
use super::text::{clean, hour_label, human_bytes, percent, thousands, top_note, utc};
use super::topn::{By, TopN};
use super::{L4Summary, L7Summary, Summary, TimeRange, STATUS_CLASSES};

/// Bars of requests (L7). The bar colours are public because tests look for them in
/// screenshots.
pub const REQUESTS_COLOR: &str = "#2f6fdf";
/// Bars of bytes (L7).
pub const BYTES_COLOR: &str = "#14a38b";
/// Bars of the cache hit ratio.
pub const HIT_COLOR: &str = "#e07b00";
/// Bars of bytes sent to clients (L4).
pub const SENT_COLOR: &str = "#6c4fd1";
/// Bars of bytes received from clients (L4).
pub const RECEIVED_COLOR: &str = "#f08c2e";
/// Bars of disconnect reasons (L4).
pub const REASON_COLOR: &str = "#c2477a";
const CLASS_COLORS: [&str; 7] = [
    "#8e9aaf", "#2e9e5b", "#3f8fd2", "#e0a100", "#d64545", "#7a5cc2", "#b8bec9",
];

/// Characters of a key shown in a table cell (the full key, escaped, is in its title).
const CELL_CHARS: usize = 100;

/// `text` with `& < > " '` as entities: safe in element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A value from the logs: printable, cut, escaped.
fn shown(text: &str, max_chars: usize, truncated: bool) -> String {
    escape(&clean(text, max_chars, truncated))
}

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0; background: #f4f6f9; color: #1d2330; }
header { background: #1d2330; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 20px; font-weight: 600; }
header p { margin: 4px 0 0; color: #c5cbd6; }
main { padding: 4px 32px 40px; max-width: 1240px; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 14px; margin: 0 0 8px; }
section.panel { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 14px 18px; margin: 12px 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin: 12px 0; }
.figure { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 10px 14px; }
.figure .label { color: #5b6577; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.figure .value { font-size: 22px; font-weight: 650; overflow-wrap: anywhere; }
.figure .note { color: #5b6577; font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart text { font-size: 11px; fill: #5b6577; }
svg.chart .grid { stroke: #e3e6eb; stroke-width: 1; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eceef2; text-align: left; vertical-align: top; }
th { color: #5b6577; font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
td.absent { color: #7b8494; font-style: italic; }
p.note { color: #5b6577; font-size: 12px; margin: 6px 0 0; }
p.range { color: #3d4657; margin: 0 0 4px; font-variant-numeric: tabular-nums; }
ul.problems { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; }
footer { color: #5b6577; font-size: 12px; padding: 0 32px 32px; max-width: 1240px; }
"#;

/// The summary as one HTML page, `top` rows per top table.
pub fn render_html(summary: &Summary, top: usize) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // No script, no fetch: even a value that escaped escaping could do nothing.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; img-src data:\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>EdgeOne log summary</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<header><h1>EdgeOne log summary</h1>");
    let (bad, bad_count) = summary.bad();
    let (failed, failed_count) = summary.failed();
    let _ = write!(
        out,
        "<p>{} files read · {} failed · {} bad lines skipped</p></header>\n<main>\n",
        thousands(summary.files()),
        thousands(failed_count),
        thousands(bad_count)
    );
    // Figures and charts of both kinds first, then the tables.
    if let Some(l7) = summary.l7() {
        l7_html(&mut out, l7);
    }
    if let Some(l4) = summary.l4() {
        l4_html(&mut out, l4, top);
    }
    if let Some(l7) = summary.l7() {
        l7_details(&mut out, l7, top);
    }
    if let Some(l4) = summary.l4() {
        l4_details(&mut out, l4, top);
    }
    if summary.l7().is_none() && summary.l4().is_none() {
        out.push_str("<section class=\"panel\"><p>No records.</p></section>\n");
    }
    if !bad.is_empty() || !failed.is_empty() {
        out.push_str("<h2>Problems</h2>\n<section class=\"panel\" id=\"problems\">\n");
        if !bad.is_empty() {
            let _ = write!(
                out,
                "<h3>Bad lines ({} in all; the first ones)</h3>\n<ul class=\"problems\">\n",
                thousands(bad_count)
            );
            for b in bad {
                let _ = writeln!(
                    out,
                    "<li>{}:{}: {}</li>",
                    shown(&b.file.display().to_string(), 300, false),
                    b.line,
                    shown(&b.reason, 300, false)
                );
            }
            out.push_str("</ul>\n");
        }
        if !failed.is_empty() {
            let _ = write!(
                out,
                "<h3>Files that failed ({} in all; the first ones)</h3>\n<ul class=\"problems\">\n",
                thousands(failed_count)
            );
            for f in failed {
                let _ = writeln!(out, "<li>{}</li>", shown(&f.to_string(), 400, false));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n<footer>");
    let _ = write!(
        out,
        "<p>Times are UTC. Bytes are binary units (1 KiB = 1024 B). Cache hit ratio: records whose \
         EdgeCacheStatus is HIT (ignoring case) over records with any cache status (MISS, \
         EXPIRED, Dynamic… count as not hit; records without one are left out). Response-time \
         percentiles are nearest-rank, exact below {EXACT_BELOW} ms and within {:.2}% above. Top \
         tables are exact unless marked approximate (Space-Saving: each figure may be over-counted \
         by at most its error).</p>",
        RELATIVE_ERROR * 100.0
    );
    out.push_str("</footer>\n</body>\n</html>\n");
    out
}

fn figure(out: &mut String, id: &str, label: &str, value: &str, data: &str, note: &str) {
    let _ = writeln!(
        out,
        "<div class=\"figure\" id=\"{id}\" data-value=\"{}\"><div class=\"label\">{}</div>\
         <div class=\"value\">{}</div><div class=\"note\">{}</div></div>",
        escape(data),
        escape(label),
        escape(value),
        escape(note)
    );
}

fn time_range(out: &mut String, id: &str, r: &TimeRange) {
    let text = match (r.first_ms, r.last_ms) {
        (Some(a), Some(b)) => format!("{} – {} (UTC)", utc(a), utc(b)),
        _ => "No record has a time.".into(),
    };
    let _ = writeln!(out, "<p class=\"range\" id=\"{id}\">{}</p>", escape(&text));
}

// --- charts -----------------------------------------------------------------------------------

const W: f64 = 560.0;
const H: f64 = 230.0;
const LEFT: f64 = 62.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

/// A "nice" axis maximum at or above `max`: 1, 2 or 5 × 10^k.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let exp = max.log10().floor();
    let base = 10f64.powf(exp);
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * base >= max {
            return m * base;
        }
    }
    10.0 * base
}

/// A "nice" axis maximum for bytes: 1, 2 or 5 × a power of 1024 (× 10^k below 1024).
fn nice_bytes(max: f64) -> f64 {
    let mut unit = 1.0;
    while max / unit >= 1000.0 && unit < 1024f64.powi(6) {
        unit *= 1024.0;
    }
    nice_max(max / unit) * unit
}

/// Short x label of an hour: `05-01 10h`.
fn short_hour(label: &str) -> String {
    match (label.get(5..10), label.get(11..13)) {
        (Some(day), Some(hour)) => format!("{day} {hour}h"),
        _ => label.to_owned(),
    }
}

fn svg_open(out: &mut String, id: &str, title: &str, height: f64) {
    let _ = writeln!(
        out,
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {W} {height}\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title),
        escape(title)
    );
}

/// Horizontal grid lines and y labels for `[0, max]`.
fn y_axis(out: &mut String, max: f64, format: &dyn Fn(f64) -> String) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&format(v))
        );
    }
}

/// x labels under at most 7 of `labels`' slots.
fn x_labels(out: &mut String, labels: &[String]) {
    let n = labels.len();
    if n == 0 {
        return;
    }
    let slot = (W - LEFT - RIGHT) / n as f64;
    let step = n.div_ceil(6).max(1);
    for (i, label) in labels.iter().enumerate() {
        // Every `step`-th slot, and the last one when it is not too close to the one before.
        let show = i % step == 0 || (i == n - 1 && (n - 1) % step > step / 2);
        if !show {
            continue;
        }
        let x = LEFT + slot * (i as f64 + 0.5);
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM + 16.0,
            escape(&short_hour(label))
        );
    }
}

/// A chart of one bar per hour.
struct HourBars<'a> {
    id: &'a str,
    title: &'a str,
    color: &'a str,
    /// The axis maximum for the largest value.
    axis: fn(f64) -> f64,
    /// A y label.
    format: &'a dyn Fn(f64) -> String,
    /// A bar's tooltip.
    describe: &'a dyn Fn(u64) -> String,
}

/// One bar per hour: `(hour label, value)`.
fn hour_bars(out: &mut String, chart: &HourBars<'_>, bars: &[(String, u64)]) {
    let HourBars {
        id,
        title,
        color,
        axis,
        format,
        describe,
    } = *chart;
    svg_open(out, id, title, H);
    let max = axis(bars.iter().map(|b| b.1).max().unwrap_or(0) as f64);
    y_axis(out, max, format);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let width = (slot * 0.8).max(0.5);
    for (i, (label, value)) in bars.iter().enumerate() {
        let h = plot_h * (*value as f64 / max);
        let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
        let y = TOP + plot_h - h;
        let _ = writeln!(
            out,
            "<rect class=\"bar\" data-hour=\"{}\" data-value=\"{value}\" x=\"{x:.2}\" y=\"{y:.2}\" \
             width=\"{width:.2}\" height=\"{h:.2}\" fill=\"{color}\"><title>{}: {}</title></rect>",
            escape(label),
            escape(label),
            escape(&describe(*value))
        );
    }
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    x_labels(out, &labels);
    out.push_str("</svg>\n");
}

/// Horizontal bars: `(label, value, data attribute value, colour)`.
fn horizontal_bars(
    out: &mut String,
    id: &str,
    title: &str,
    attribute: &str,
    rows: &[(String, u64, String, &str)],
    total: u64,
) {
    let row_h = 24.0;
    let height = (rows.len() as f64 * row_h + 16.0).max(40.0);
    svg_open(out, id, title, height);
    let label_w = 190.0;
    let value_w = 120.0;
    let plot_w = W - label_w - value_w;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    for (i, (label, value, data, color)) in rows.iter().enumerate() {
        let y = 8.0 + i as f64 * row_h;
        let w = plot_w * (*value as f64 / max);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" data-{attribute}=\"{}\" data-value=\"{value}\" x=\"{label_w}\" y=\"{y:.1}\" \
             width=\"{w:.2}\" height=\"{:.1}\" fill=\"{color}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{} ({})</text>",
            label_w - 8.0,
            y + row_h * 0.55,
            shown(label, 30, false),
            escape(data),
            row_h - 8.0,
            shown(label, 200, false),
            thousands(*value),
            label_w + w + 6.0,
            y + row_h * 0.55,
            thousands(*value),
            percent(*value, total)
        );
    }
    out.push_str("</svg>\n");
}

/// Points per hour of a ratio in [0, 1], joined by a line.
fn ratio_points(out: &mut String, id: &str, title: &str, color: &str, points: &[(String, f64)]) {
    svg_open(out, id, title, H);
    y_axis(out, 1.0, &|v| format!("{:.0}%", v * 100.0));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / points.len().max(1) as f64;
    let xy = |i: usize, r: f64| {
        (
            LEFT + slot * (i as f64 + 0.5),
            TOP + plot_h - plot_h * r.clamp(0.0, 1.0),
        )
    };
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, r))| {
                let (x, y) = xy(i, *r);
                format!("{x:.2},{y:.2}")
            })
            .collect();
        let _ = writeln!(
            out,
            "<polyline class=\"line\" points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>",
            path.join(" ")
        );
    }
    let radius = if points.len() > 60 { 1.5 } else { 3.5 };
    for (i, (label, r)) in points.iter().enumerate() {
        let (x, y) = xy(i, *r);
        let _ = writeln!(
            out,
            "<circle class=\"point\" data-hour=\"{}\" data-value=\"{r:.4}\" cx=\"{x:.2}\" cy=\"{y:.2}\" \
             r=\"{radius}\" fill=\"{color}\"><title>{}: {:.1}%</title></circle>",
            escape(label),
            escape(label),
            r * 100.0
        );
    }
    let labels: Vec<String> = points.iter().map(|p| p.0.clone()).collect();
    x_labels(out, &labels);
    out.push_str("</svg>\n");
}

fn panel(out: &mut String, title: &str, body: impl FnOnce(&mut String)) {
    let _ = writeln!(out, "<section class=\"panel\"><h3>{}</h3>", escape(title));
    body(out);
    out.push_str("</section>\n");
}

/// A top table; `id` names it, rows carry their key in `data-key`.
fn top_table(
    out: &mut String,
    id: &str,
    title: &str,
    column: &str,
    table: &TopN,
    n: usize,
    absent: &str,
) {
    let (total_records, total_bytes) = table.totals();
    let approximate = table.is_approximate();
    let by = match table.by() {
        By::Records => "by records",
        By::Bytes => "by bytes",
    };
    let _ = write!(
        out,
        "<section class=\"panel\"><h3>{} <small>({by})</small></h3>\n<table id=\"{id}\"><thead><tr>\
         <th class=\"num\">#</th><th>{}</th><th class=\"num\">records</th><th class=\"num\">share</th>\
         <th class=\"num\">bytes</th><th class=\"num\">share</th>{}</tr></thead><tbody>\n",
        escape(title),
        escape(column),
        if approximate { "<th class=\"num\">± error</th>" } else { "" }
    );
    let entries = table.top(n);
    for (i, e) in entries.iter().enumerate() {
        let _ = write!(
            out,
            "<tr data-key=\"{}\"><td class=\"num\">{}</td><td class=\"key\" title=\"{}\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\" title=\"{} B\">{}</td>\
             <td class=\"num\">{}</td>",
            shown(&e.key, 300, e.truncated),
            i + 1,
            shown(&e.key, 300, e.truncated),
            shown(&e.key, CELL_CHARS, e.truncated),
            thousands(e.records),
            percent(e.records, total_records),
            thousands(e.bytes),
            human_bytes(e.bytes),
            percent(e.bytes, total_bytes),
        );
        if approximate {
            let _ = write!(out, "<td class=\"num\">{}</td>", thousands(e.error));
        }
        out.push_str("</tr>\n");
    }
    let (absent_records, absent_bytes) = table.absent();
    if absent_records > 0 {
        let _ = writeln!(
            out,
            "<tr class=\"absent\"><td class=\"num\">–</td><td class=\"absent\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>{}</tr>",
            escape(absent),
            thousands(absent_records),
            percent(absent_records, total_records),
            human_bytes(absent_bytes),
            percent(absent_bytes, total_bytes),
            if approximate { "<td></td>" } else { "" }
        );
    }
    if entries.is_empty() && absent_records == 0 {
        out.push_str("<tr><td colspan=\"6\">(none)</td></tr>\n");
    }
    let _ = write!(
        out,
        "</tbody></table>\n<p class=\"note\">{} distinct · {}</p></section>\n",
        thousands(table.len() as u64),
        escape(&top_note(table))
    );
}

fn l7_html(out: &mut String, s: &L7Summary) {
    out.push_str("<h2 id=\"l7\">L7 access logs</h2>\n");
    time_range(out, "l7-time-range", &s.time);
    let hit_value = l7_figures(out, s);
    l7_charts(out, s, &hit_value);
}

/// The headline figures of the l7 section.
fn l7_figures(out: &mut String, s: &L7Summary) -> String {
    out.push_str("<div class=\"figures\">\n");
    figure(
        out,
        "fig-requests",
        "Requests",
        &thousands(s.requests),
        &s.requests.to_string(),
        &format!("{} without a time", thousands(s.time.without_time)),
    );
    figure(
        out,
        "fig-bytes",
        "Bytes to clients",
        &human_bytes(s.bytes),
        &s.bytes.to_string(),
        &format!("{} B (EdgeResponseBytes)", thousands(s.bytes)),
    );
    let (hit_value, hit_data) = match s.cache_hit_ratio() {
        Some(r) => (format!("{:.1}%", r * 100.0), format!("{r:.6}")),
        None => ("–".to_owned(), String::new()),
    };
    figure(
        out,
        "fig-hit-ratio",
        "Cache hit ratio",
        &hit_value,
        &hit_data,
        &format!(
            "{} HIT of {} with a cache status; by bytes {}",
            thousands(s.cache_hits),
            thousands(s.cache_known),
            percent(s.cache_hit_bytes, s.cache_known_bytes)
        ),
    );
    let h = &s.latency;
    for (id, label, per_mille) in [
        ("fig-p50", "Response time p50", 500),
        ("fig-p95", "Response time p95", 950),
        ("fig-p99", "Response time p99", 990),
    ] {
        let (value, data) = match h.percentile(per_mille) {
            Some(v) => (format!("{} ms", thousands(v)), v.to_string()),
            None => ("–".to_owned(), String::new()),
        };
        figure(
            out,
            id,
            label,
            &value,
            &data,
            &format!("EdgeResponseTime over {} records", thousands(h.count())),
        );
    }
    let errors = s.status.classes[3] + s.status.classes[4];
    figure(
        out,
        "fig-errors",
        "4xx + 5xx",
        &percent(errors, s.requests),
        &errors.to_string(),
        &format!("{} requests", thousands(errors)),
    );
    out.push_str("</div>\n");
    hit_value
}

/// The charts of the l7 section.
fn l7_charts(out: &mut String, s: &L7Summary, hit_value: &str) {
    out.push_str("<div class=\"charts\">\n");

    let hours: Vec<(String, super::L7Hour)> =
        s.hours.iter().map(|(h, b)| (hour_label(h), *b)).collect();
    panel(out, "Requests per hour (UTC)", |out| {
        let bars: Vec<(String, u64)> = hours.iter().map(|(l, b)| (l.clone(), b.requests)).collect();
        let chart = HourBars {
            id: "requests-over-time",
            title: "Requests per hour",
            color: REQUESTS_COLOR,
            axis: nice_max,
            format: &|v| thousands(v.round() as u64),
            describe: &|v| format!("{} requests", thousands(v)),
        };
        hour_bars(out, &chart, &bars);
    });
    panel(out, "Bytes per hour (UTC)", |out| {
        let bars: Vec<(String, u64)> = hours.iter().map(|(l, b)| (l.clone(), b.bytes)).collect();
        let chart = HourBars {
            id: "bytes-over-time",
            title: "Bytes per hour",
            color: BYTES_COLOR,
            axis: nice_bytes,
            format: &|v| human_bytes(v.round() as u64),
            describe: &|v| format!("{} ({} B)", human_bytes(v), thousands(v)),
        };
        hour_bars(out, &chart, &bars);
    });
    panel(out, "Status classes", |out| {
        let rows: Vec<(String, u64, String, &str)> = STATUS_CLASSES
            .iter()
            .zip(s.status.classes)
            .zip(CLASS_COLORS)
            .map(|((class, n), color)| ((*class).to_owned(), n, (*class).to_owned(), color))
            .collect();
        horizontal_bars(
            out,
            "status-classes",
            "Requests by status class",
            "class",
            &rows,
            s.requests,
        );
    });
    panel(out, "Cache hit ratio per hour (UTC)", |out| {
        let points: Vec<(String, f64)> = hours
            .iter()
            .filter(|(_, b)| b.cache_known > 0)
            .map(|(l, b)| (l.clone(), b.cache_hits as f64 / b.cache_known as f64))
            .collect();
        ratio_points(
            out,
            "cache-hit-ratio",
            "Cache hit ratio per hour",
            HIT_COLOR,
            &points,
        );
        let _ = writeln!(
            out,
            "<p class=\"note\">Overall {} ({} HIT of {} records with a cache status).</p>",
            escape(hit_value),
            thousands(s.cache_hits),
            thousands(s.cache_known)
        );
    });
    out.push_str("</div>\n");
}

fn l7_details(out: &mut String, s: &L7Summary, top: usize) {
    out.push_str("<h2 id=\"l7-details\">L7 access logs: details</h2>\n<div class=\"tables\">\n");
    top_table(
        out,
        "top-hosts",
        "Top hosts",
        "host",
        &s.hosts,
        top,
        "(absent)",
    );
    top_table(out, "top-urls", "Top URLs", "URL", &s.urls, top, "(absent)");
    top_table(
        out,
        "top-client-ips",
        "Top client IPs",
        "client IP",
        &s.client_ips,
        top,
        "(absent)",
    );
    top_table(
        out,
        "top-regions",
        "Top regions",
        "region",
        &s.regions,
        top,
        "(absent)",
    );
    top_table(
        out,
        "cache-statuses",
        "Cache statuses",
        "status",
        &s.cache_statuses,
        top,
        "(none)",
    );
    panel(out, "Status codes", |out| {
        out.push_str(
            "<table id=\"status-codes\"><thead><tr><th>code</th><th class=\"num\">requests</th>\
             <th class=\"num\">share</th></tr></thead><tbody>\n",
        );
        for (code, n) in s.status.top(top) {
            let _ = writeln!(
                out,
                "<tr data-code=\"{code}\"><td>{code}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                thousands(n),
                percent(n, s.requests)
            );
        }
        let _ = write!(
            out,
            "</tbody></table>\n<p class=\"note\">Classes: {}.</p>\n",
            STATUS_CLASSES
                .iter()
                .zip(s.status.classes)
                .map(|(c, n)| format!("{c} {}", thousands(n)))
                .collect::<Vec<_>>()
                .join(" · ")
        );
    });
    out.push_str("</div>\n");
}

fn l4_html(out: &mut String, s: &L4Summary, top: usize) {
    out.push_str("<h2 id=\"l4\">L4 proxy logs</h2>\n");
    time_range(out, "l4-time-range", &s.time);
    l4_figures(out, s);
    l4_charts(out, s, top);
}

/// The headline figures of the l4 section.
fn l4_figures(out: &mut String, s: &L4Summary) {
    out.push_str("<div class=\"figures\">\n");
    figure(
        out,
        "fig-l4-records",
        "Records",
        &thousands(s.records),
        &s.records.to_string(),
        &format!("{} without a time", thousands(s.time.without_time)),
    );
    let sessions = s.sessions.count();
    figure(
        out,
        "fig-l4-sessions",
        "Sessions",
        &if s.sessions.is_exact() {
            thousands(sessions)
        } else {
            format!("≈ {}", thousands(sessions))
        },
        &sessions.to_string(),
        &if s.sessions.is_exact() {
            "distinct SessionID".to_owned()
        } else {
            format!(
                "distinct SessionID (HyperLogLog, ±{:.2}%)",
                super::distinct::STANDARD_ERROR * 100.0
            )
        },
    );
    figure(
        out,
        "fig-l4-sent",
        "Bytes sent",
        &human_bytes(s.sent),
        &s.sent.to_string(),
        &format!("{} B (SentBytes)", thousands(s.sent)),
    );
    figure(
        out,
        "fig-l4-received",
        "Bytes received",
        &human_bytes(s.received),
        &s.received.to_string(),
        &format!("{} B (ReceivedBytes)", thousands(s.received)),
    );
    out.push_str("</div>\n");
}

/// The charts of the l4 section.
fn l4_charts(out: &mut String, s: &L4Summary, top: usize) {
    out.push_str("<div class=\"charts\">\n");
    panel(out, "Bytes per hour (UTC): sent and received", |out| {
        let hours: Vec<(String, super::L4Hour)> =
            s.hours.iter().map(|(h, b)| (hour_label(h), *b)).collect();
        svg_open(
            out,
            "l4-bytes-over-time",
            "Bytes per hour, sent and received",
            H,
        );
        let max = nice_bytes(
            hours
                .iter()
                .map(|(_, b)| b.sent.saturating_add(b.received))
                .max()
                .unwrap_or(0) as f64,
        );
        y_axis(out, max, &|v| human_bytes(v.round() as u64));
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let slot = plot_w / hours.len().max(1) as f64;
        let width = (slot * 0.8).max(0.5);
        for (i, (label, b)) in hours.iter().enumerate() {
            let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
            let sent_h = plot_h * (b.sent as f64 / max);
            let received_h = plot_h * (b.received as f64 / max);
            let base = TOP + plot_h;
            for (class, value, h, y, color) in [
                ("sent", b.sent, sent_h, base - sent_h, SENT_COLOR),
                (
                    "received",
                    b.received,
                    received_h,
                    base - sent_h - received_h,
                    RECEIVED_COLOR,
                ),
            ] {
                let _ = writeln!(
                    out,
                    "<rect class=\"bar {class}\" data-hour=\"{}\" data-value=\"{value}\" x=\"{x:.2}\" \
                     y=\"{y:.2}\" width=\"{width:.2}\" height=\"{h:.2}\" fill=\"{color}\">\
                     <title>{}: {} {class}</title></rect>",
                    escape(label),
                    escape(label),
                    human_bytes(value)
                );
            }
        }
        let labels: Vec<String> = hours.iter().map(|h| h.0.clone()).collect();
        x_labels(out, &labels);
        out.push_str("</svg>\n");
        let _ = writeln!(
            out,
            "<p class=\"note\"><span style=\"color:{SENT_COLOR}\">■</span> sent · \
             <span style=\"color:{RECEIVED_COLOR}\">■</span> received</p>"
        );
    });
    panel(out, "Disconnect reasons", |out| {
        let table = &s.reasons;
        let mut rows: Vec<(String, u64, String, &str)> = table
            .top(top)
            .into_iter()
            .map(|e| {
                let label = if e.truncated {
                    format!("{}…", e.key)
                } else {
                    e.key.clone()
                };
                (label.clone(), e.records, label, REASON_COLOR)
            })
            .collect();
        let (still, _) = table.absent();
        if still > 0 {
            rows.push((
                "(still connected)".into(),
                still,
                "(still connected)".into(),
                "#9aa3b2",
            ));
        }
        horizontal_bars(
            out,
            "disconnect-reasons",
            "Records by disconnect reason",
            "reason",
            &rows,
            s.records,
        );
    });
    out.push_str("</div>\n");
}

fn l4_details(out: &mut String, s: &L4Summary, top: usize) {
    out.push_str("<h2 id=\"l4-details\">L4 proxy logs: details</h2>\n<div class=\"tables\">\n");
    top_table(
        out,
        "l4-top-clients",
        "Top clients",
        "ClientRealIP",
        &s.clients,
        top,
        "(absent)",
    );
    top_table(
        out,
        "l4-top-ports",
        "Top forward ports",
        "port",
        &s.ports,
        top,
        "(absent)",
    );
    top_table(
        out,
        "l4-top-regions",
        "Top regions",
        "region",
        &s.regions,
        top,
        "(absent)",
    );
    top_table(
        out,
        "l4-disconnect-reasons",
        "Disconnect reasons",
        "reason",
        &s.reasons,
        top,
        "(still connected)",
    );
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<script>alert(1)</script>\"'&"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
        );
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(1234.0), 2000.0);
        assert_eq!(
            nice_bytes(3.0 * 1024.0 * 1024.0 * 1024.0),
            5.0 * 1024.0 * 1024.0 * 1024.0
        );
        assert_eq!(nice_bytes(700.0), 1000.0);
        assert_eq!(short_hour("2024-05-01T10"), "05-01 10h");
    }
}
