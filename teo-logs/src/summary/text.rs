//! The terminal table, and the formatting every renderer shares: human bytes, thousands,
//! UTC times, and values from the logs made safe to show (control and bidirectional
//! characters escaped, long values cut with `…`).

use std::fmt::Write as _;

use super::histogram::{EXACT_BELOW, RELATIVE_ERROR};
use super::topn::{By, TopEntry, TopN};
use super::{L4Summary, L7Summary, Summary, TimeRange, STATUS_CLASSES};
use crate::summary::hours::HOUR_MS;

/// Characters of a value shown in a terminal cell.
const CELL_CHARS: usize = 60;
/// Hours listed one per row; more are listed per day.
const HOUR_ROWS: usize = 72;

/// `n` with thousands separators: `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units: `512 B`, `1.5 KiB`, `12.3 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else if value >= 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// A ratio as a percentage with one decimal.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

fn parts(ms: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
}

/// An instant (epoch ms) as RFC 3339 UTC with milliseconds.
pub(crate) fn utc(ms: i64) -> String {
    match parts(ms) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        None => format!("{ms} ms"),
    }
}

/// An hour since the epoch as `YYYY-MM-DDTHH` (UTC).
pub(crate) fn hour_label(hour: i64) -> String {
    match hour.checked_mul(HOUR_MS).and_then(parts) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour()
        ),
        None => format!("hour {hour}"),
    }
}

/// `value` safe to print: control characters (C0, DEL, C1), bidirectional overrides and
/// other invisible format characters written as escapes (`\n`, `\u{202e}`), and at most
/// `max_chars` characters, the last one `…` when cut. `truncated`: the key was cut already.
pub(crate) fn clean(value: &str, max_chars: usize, truncated: bool) -> String {
    let max = max_chars.max(1);
    let mut out = String::with_capacity(value.len().min(max * 4));
    // (bytes, characters) of `out` after each piece, to cut between pieces.
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut chars = 0;
    let mut cut = truncated;
    for c in value.chars() {
        let before = out.len();
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
        // Escapes are ASCII; other pieces are one character.
        let width = if c.is_control() || is_invisible(c) {
            out.len() - before
        } else {
            1
        };
        chars += width;
        ends.push((out.len(), chars));
        if chars > max {
            cut = true;
            break;
        }
    }
    if cut {
        let keep = ends
            .iter()
            .rev()
            .find(|(_, n)| *n < max)
            .map_or(0, |(bytes, _)| *bytes);
        out.truncate(keep);
        out.push('…');
    }
    out
}

/// Bidirectional overrides and other invisible format characters: shown escaped.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Rows under a header, columns padded to their widest cell (counted in characters).
fn table(out: &mut String, header: &[&str], align: &[Align], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::from("  ");
        for (i, cell) in cells.enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                text.push_str("  ");
            }
            match align.get(i).copied().unwrap_or(Align::Left) {
                Align::Left => {
                    text.push_str(cell);
                    text.extend(std::iter::repeat_n(' ', pad));
                }
                Align::Right => {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                }
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(out, &mut header.iter().copied());
    let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
    line(out, &mut rule.iter().map(String::as_str));
    for row in rows {
        line(out, &mut row.iter().map(String::as_str));
    }
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

fn range_text(range: &TimeRange) -> String {
    match (range.first_ms, range.last_ms) {
        (Some(first), Some(last)) => format!("{} … {}", utc(first), utc(last)),
        _ => "–".into(),
    }
}

/// A note on how exact a top table is.
pub(crate) fn top_note(table: &TopN) -> String {
    if table.is_approximate() {
        format!(
            "approximate (Space-Saving over {} keys): each figure may be over by its error, \
             at most {}; a key not listed has at most {}",
            thousands(table.capacity() as u64),
            thousands(table.max_error()),
            thousands(table.floor())
        )
    } else {
        "exact".into()
    }
}

fn top_table(out: &mut String, title: &str, column: &str, table: &TopN, n: usize, absent: &str) {
    let (total_records, total_bytes) = table.totals();
    let entries = table.top(n);
    let approximate = table.is_approximate();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let row = |rank: String, key: String, e: &TopEntry| {
        let mut row = vec![
            rank,
            key,
            thousands(e.records),
            percent(e.records, total_records),
            human_bytes(e.bytes),
            percent(e.bytes, total_bytes),
        ];
        if approximate {
            row.push(format!("±{}", thousands(e.error)));
        }
        row
    };
    for (i, e) in entries.iter().enumerate() {
        rows.push(row(
            (i + 1).to_string(),
            clean(&e.key, CELL_CHARS, e.truncated),
            e,
        ));
    }
    let (absent_records, absent_bytes) = table.absent();
    if absent_records > 0 {
        let e = TopEntry {
            key: String::new(),
            truncated: false,
            records: absent_records,
            bytes: absent_bytes,
            error: 0,
        };
        rows.push(row("–".into(), absent.into(), &e));
    }
    let by = match table.by() {
        By::Records => "by records",
        By::Bytes => "by bytes",
    };
    heading(
        out,
        &format!(
            "{title} ({by}; {} distinct{}; {})",
            thousands(table.len() as u64),
            if approximate { " listed" } else { "" },
            top_note(table)
        ),
    );
    if rows.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let mut header = vec!["#", column, "records", "share", "bytes", "share"];
    let mut align = vec![
        Align::Right,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    if approximate {
        header.push("error");
        align.push(Align::Right);
    }
    table_rows(out, &header, &align, &rows);
}

fn table_rows(out: &mut String, header: &[&str], align: &[Align], rows: &[Vec<String>]) {
    table(out, header, align, rows);
}

/// Rows of figures per hour, or per day when there are many hours.
fn per_time<B>(
    hours: &[(i64, B)],
    add: impl Fn(&mut B, &B),
    zero: impl Fn() -> B,
) -> (bool, Vec<(String, B)>) {
    if hours.len() <= HOUR_ROWS {
        return (
            false,
            hours
                .iter()
                .map(|(h, b)| {
                    let mut z = zero();
                    add(&mut z, b);
                    (hour_label(*h), z)
                })
                .collect(),
        );
    }
    let mut days: Vec<(String, B)> = Vec::new();
    for (h, b) in hours {
        let label = hour_label(*h);
        let day = label.get(..10).unwrap_or(&label).to_owned();
        match days.last_mut() {
            Some((d, acc)) if *d == day => add(acc, b),
            _ => {
                let mut z = zero();
                add(&mut z, b);
                days.push((day, z));
            }
        }
    }
    (true, days)
}

fn l7_text(out: &mut String, s: &L7Summary, top: usize) {
    let _ = writeln!(out, "\nL7 access logs");
    l7_figures(out, s);
    l7_statuses(out, s, top);
    top_table(
        out,
        "Cache statuses",
        "status",
        &s.cache_statuses,
        top,
        "(none)",
    );
    top_table(out, "Top hosts", "host", &s.hosts, top, "(absent)");
    top_table(out, "Top URLs", "URL", &s.urls, top, "(absent)");
    top_table(
        out,
        "Top client IPs",
        "client IP",
        &s.client_ips,
        top,
        "(absent)",
    );
    top_table(out, "Top regions", "region", &s.regions, top, "(absent)");
    l7_per_time(out, s);
}

/// The headline figures: requests, bytes, time range, cache hit ratio, response times.
fn l7_figures(out: &mut String, s: &L7Summary) {
    let rows = vec![
        vec!["requests".into(), thousands(s.requests)],
        vec![
            "bytes (EdgeResponseBytes)".into(),
            format!("{} ({} B)", human_bytes(s.bytes), thousands(s.bytes)),
        ],
        vec!["time range (UTC)".into(), range_text(&s.time)],
        vec![
            "records without a time".into(),
            thousands(s.time.without_time),
        ],
        vec![
            "cache hit ratio".into(),
            match s.cache_hit_ratio() {
                Some(r) => format!(
                    "{:.1}% ({} HIT of {} records with a cache status; by bytes {})",
                    r * 100.0,
                    thousands(s.cache_hits),
                    thousands(s.cache_known),
                    percent(s.cache_hit_bytes, s.cache_known_bytes)
                ),
                None => "– (no record has a cache status)".into(),
            },
        ],
        vec!["response time p50/p95/p99".into(), latency_text(s)],
        vec![
            "".into(),
            format!(
                "(nearest-rank; exact below {EXACT_BELOW} ms, else within {:.2}%)",
                RELATIVE_ERROR * 100.0
            ),
        ],
    ];
    table(
        out,
        &["figure", "value"],
        &[Align::Left, Align::Left],
        &rows,
    );
}

/// Status classes and the top status codes.
fn l7_statuses(out: &mut String, s: &L7Summary, top: usize) {
    heading(out, "Status classes");
    let rows: Vec<Vec<String>> = STATUS_CLASSES
        .iter()
        .zip(s.status.classes)
        .map(|(class, n)| vec![(*class).to_owned(), thousands(n), percent(n, s.requests)])
        .collect();
    table(
        out,
        &["class", "requests", "share"],
        &[Align::Left, Align::Right, Align::Right],
        &rows,
    );
    heading(out, "Top status codes");
    let rows: Vec<Vec<String>> = s
        .status
        .top(top)
        .into_iter()
        .map(|(code, n)| vec![code.to_string(), thousands(n), percent(n, s.requests)])
        .collect();
    if rows.is_empty() {
        out.push_str("  (none)\n");
    } else {
        table(
            out,
            &["code", "requests", "share"],
            &[Align::Left, Align::Right, Align::Right],
            &rows,
        );
    }
}

/// Requests, bytes and hit ratio per hour (per day when the hours are many).
fn l7_per_time(out: &mut String, s: &L7Summary) {
    let hours: Vec<(i64, super::L7Hour)> = s.hours.iter().map(|(h, b)| (h, *b)).collect();
    let (daily, rows) = per_time(
        &hours,
        |a, b| {
            a.requests += b.requests;
            a.bytes = a.bytes.saturating_add(b.bytes);
            a.cache_known += b.cache_known;
            a.cache_hits += b.cache_hits;
        },
        super::L7Hour::default,
    );
    heading(
        out,
        if daily {
            "Requests per day (UTC)"
        } else {
            "Requests per hour (UTC)"
        },
    );
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(label, b)| {
            vec![
                label,
                thousands(b.requests),
                human_bytes(b.bytes),
                percent(b.cache_hits, b.cache_known),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("  (no record has a time)\n");
    } else {
        table(
            out,
            &[
                if daily { "day" } else { "hour" },
                "requests",
                "bytes",
                "hit ratio",
            ],
            &[Align::Left, Align::Right, Align::Right, Align::Right],
            &rows,
        );
    }
    let overflow = s.hours.overflow();
    if overflow.requests > 0 {
        let _ = writeln!(
            out,
            "  + {} requests in hours past the first {} (not listed)",
            thousands(overflow.requests),
            super::hours::MAX_HOURS
        );
    }
}

pub(crate) fn latency_text(s: &L7Summary) -> String {
    let h = &s.latency;
    match (h.percentile(500), h.percentile(950), h.percentile(990)) {
        (Some(p50), Some(p95), Some(p99)) => format!(
            "{} / {} / {} ms (max {}; over {} records)",
            thousands(p50),
            thousands(p95),
            thousands(p99),
            thousands(h.max().unwrap_or(0)),
            thousands(h.count()),
        ),
        _ => "– (no record has EdgeResponseTime)".into(),
    }
}

fn l4_text(out: &mut String, s: &L4Summary, top: usize) {
    let _ = writeln!(out, "\nL4 proxy logs");
    let sessions = if s.sessions.is_exact() {
        thousands(s.sessions.count())
    } else {
        format!(
            "≈ {} (HyperLogLog, standard error {:.2}%)",
            thousands(s.sessions.count()),
            super::distinct::STANDARD_ERROR * 100.0
        )
    };
    let rows = vec![
        vec!["records".into(), thousands(s.records)],
        vec!["sessions (SessionID)".into(), sessions],
        vec![
            "records without SessionID".into(),
            thousands(s.records_without_session),
        ],
        vec![
            "bytes sent (SentBytes)".into(),
            format!("{} ({} B)", human_bytes(s.sent), thousands(s.sent)),
        ],
        vec![
            "bytes received (ReceivedBytes)".into(),
            format!("{} ({} B)", human_bytes(s.received), thousands(s.received)),
        ],
        vec!["time range (UTC)".into(), range_text(&s.time)],
        vec![
            "records without a time".into(),
            thousands(s.time.without_time),
        ],
    ];
    table(
        out,
        &["figure", "value"],
        &[Align::Left, Align::Left],
        &rows,
    );
    top_table(
        out,
        "Top clients",
        "ClientRealIP",
        &s.clients,
        top,
        "(absent)",
    );
    top_table(out, "Top forward ports", "port", &s.ports, top, "(absent)");
    top_table(out, "Top regions", "region", &s.regions, top, "(absent)");
    top_table(
        out,
        "Disconnect reasons",
        "reason",
        &s.reasons,
        top,
        "(still connected)",
    );
    let hours: Vec<(i64, super::L4Hour)> = s.hours.iter().map(|(h, b)| (h, *b)).collect();
    let (daily, rows) = per_time(
        &hours,
        |a, b| {
            a.records += b.records;
            a.sent = a.sent.saturating_add(b.sent);
            a.received = a.received.saturating_add(b.received);
        },
        super::L4Hour::default,
    );
    heading(
        out,
        if daily {
            "Bytes per day (UTC)"
        } else {
            "Bytes per hour (UTC)"
        },
    );
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(label, b)| {
            vec![
                label,
                thousands(b.records),
                human_bytes(b.sent),
                human_bytes(b.received),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("  (no record has a time)\n");
    } else {
        table(
            out,
            &[
                if daily { "day" } else { "hour" },
                "records",
                "sent",
                "received",
            ],
            &[Align::Left, Align::Right, Align::Right, Align::Right],
            &rows,
        );
    }
    let overflow = s.hours.overflow();
    if overflow.records > 0 {
        let _ = writeln!(
            out,
            "  + {} records in hours past the first {} (not listed)",
            thousands(overflow.records),
            super::hours::MAX_HOURS
        );
    }
}

/// The summary as a terminal table, `top` rows per top table.
pub fn render_text(summary: &Summary, top: usize) -> String {
    let mut out = String::new();
    let (bad, bad_count) = summary.bad();
    let (failed, failed_count) = summary.failed();
    let _ = writeln!(
        out,
        "EdgeOne log summary: {} files read, {} failed, {} bad lines skipped",
        thousands(summary.files()),
        thousands(failed_count),
        thousands(bad_count)
    );
    if let Some(l7) = summary.l7() {
        l7_text(&mut out, l7, top);
    }
    if let Some(l4) = summary.l4() {
        l4_text(&mut out, l4, top);
    }
    if summary.l7().is_none() && summary.l4().is_none() {
        out.push_str("\nNo records.\n");
    }
    if !bad.is_empty() {
        heading(&mut out, "Bad lines (first ones)");
        for b in bad {
            let _ = writeln!(
                out,
                "  {}:{}: {}",
                clean(&b.file.display().to_string(), 200, false),
                b.line,
                clean(&b.reason, 200, false)
            );
        }
    }
    if !failed.is_empty() {
        heading(&mut out, "Files that failed (first ones)");
        for f in failed {
            let _ = writeln!(out, "  {}", clean(&f.to_string(), 300, false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(12 * 1024 * 1024 + 300_000), "12.3 MiB");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
        assert_eq!(utc(1_714_557_600_123), "2024-05-01T10:00:00.123Z");
        assert_eq!(hour_label(1_714_557_600_000 / HOUR_MS), "2024-05-01T10");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "–");
    }

    #[test]
    fn values_are_escaped_and_cut() {
        assert_eq!(clean("a\nb\x1b[31m", 40, false), "a\\nb\\u{1b}[31m");
        assert_eq!(clean("\u{202e}evil", 40, false), "\\u{202e}evil");
        assert_eq!(clean("abcdef", 4, false), "abc…");
        assert_eq!(clean("abcd", 4, false), "abcd");
        assert_eq!(clean("abc", 10, true), "abc…");
        assert_eq!(clean("ééééé", 3, false).chars().count(), 3);
        // A cut never splits an escape in a way that leaves a raw control character.
        let cut = clean("ab\u{7}cdef", 5, false);
        assert!(!cut.chars().any(|c| c.is_control()), "{cut}");
    }
}
