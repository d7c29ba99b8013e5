//! The summary as JSON, for scripts. Values from the logs are as counted (cut to the key
//! bound, with `truncated`), not escaped: JSON escapes what it must.

use serde_json::{json, Map, Value};

use super::histogram::{EXACT_BELOW, RELATIVE_ERROR};
use super::text::{hour_label, utc};
use super::topn::{By, TopN};
use super::{L4Summary, L7Summary, Summary, TimeRange, STATUS_CLASSES};

fn range(r: &TimeRange) -> Value {
    json!({
        "first": r.first_ms.map(utc),
        "last": r.last_ms.map(utc),
        "records_without_time": r.without_time,
    })
}

fn ratio(part: u64, whole: u64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        json!(part as f64 / whole as f64)
    }
}

pub(crate) fn top(table: &TopN, n: usize) -> Value {
    let (records, bytes) = table.absent();
    json!({
        "by": match table.by() { By::Records => "records", By::Bytes => "bytes" },
        "distinct": table.len(),
        "approximate": table.is_approximate(),
        "max_error": table.max_error(),
        "unlisted_at_most": table.floor(),
        "absent": {"records": records, "bytes": bytes},
        "entries": table.top(n).into_iter().map(|e| json!({
            "key": e.key,
            "truncated": e.truncated,
            "records": e.records,
            "bytes": e.bytes,
            "error": e.error,
        })).collect::<Vec<_>>(),
    })
}

fn l7(s: &L7Summary, n: usize) -> Value {
    let classes: Map<String, Value> = STATUS_CLASSES
        .iter()
        .zip(s.status.classes)
        .map(|(c, v)| ((*c).to_owned(), json!(v)))
        .collect();
    let h = &s.latency;
    let overflow = s.hours.overflow();
    json!({
        "requests": s.requests,
        "bytes": s.bytes,
        "time_range": range(&s.time),
        "status_classes": classes,
        "status_codes": s.status.top(n).into_iter()
            .map(|(code, requests)| json!({"code": code, "requests": requests}))
            .collect::<Vec<_>>(),
        "cache": {
            "definition": "HIT (ignoring ASCII case) over records with any EdgeCacheStatus",
            "with_status": s.cache_known,
            "hits": s.cache_hits,
            "hit_ratio": ratio(s.cache_hits, s.cache_known),
            "byte_hit_ratio": ratio(s.cache_hit_bytes, s.cache_known_bytes),
            "statuses": top(&s.cache_statuses, n),
        },
        "response_time_ms": {
            "count": h.count(),
            "min": h.min(),
            "max": h.max(),
            "mean": h.mean(),
            "p50": h.percentile(500),
            "p95": h.percentile(950),
            "p99": h.percentile(990),
            "exact_below": EXACT_BELOW,
            "relative_error": RELATIVE_ERROR,
        },
        "top": {
            "hosts": top(&s.hosts, n),
            "urls": top(&s.urls, n),
            "client_ips": top(&s.client_ips, n),
            "regions": top(&s.regions, n),
        },
        "hours": s.hours.iter().map(|(hour, b)| json!({
            "hour": hour_label(hour),
            "requests": b.requests,
            "bytes": b.bytes,
            "cache_with_status": b.cache_known,
            "cache_hits": b.cache_hits,
        })).collect::<Vec<_>>(),
        "hours_overflow": {"requests": overflow.requests, "bytes": overflow.bytes},
    })
}

fn l4(s: &L4Summary, n: usize) -> Value {
    let overflow = s.hours.overflow();
    json!({
        "records": s.records,
        "sessions": {
            "count": s.sessions.count(),
            "exact": s.sessions.is_exact(),
            "standard_error": if s.sessions.is_exact() { 0.0 } else { super::distinct::STANDARD_ERROR },
            "records_without_session": s.records_without_session,
        },
        "sent_bytes": s.sent,
        "received_bytes": s.received,
        "time_range": range(&s.time),
        "top": {
            "clients": top(&s.clients, n),
            "ports": top(&s.ports, n),
            "regions": top(&s.regions, n),
            "disconnect_reasons": top(&s.reasons, n),
        },
        "hours": s.hours.iter().map(|(hour, b)| json!({
            "hour": hour_label(hour),
            "records": b.records,
            "sent_bytes": b.sent,
            "received_bytes": b.received,
        })).collect::<Vec<_>>(),
        "hours_overflow": {"records": overflow.records, "sent_bytes": overflow.sent, "received_bytes": overflow.received},
    })
}

/// The summary as a JSON value, `top` entries per top table.
pub fn render_json(summary: &Summary, top: usize) -> Value {
    let (bad, bad_count) = summary.bad();
    let (failed, failed_count) = summary.failed();
    json!({
        "files": {
            "read": summary.files(),
            "failed": failed_count,
            "errors": failed.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        },
        "bad_lines": {
            "count": bad_count,
            "first": bad.iter().map(|b| json!({
                "file": b.file.display().to_string(),
                "line": b.line,
                "reason": b.reason,
            })).collect::<Vec<_>>(),
        },
        "l7": summary.l7().map(|s| l7(s, top)),
        "l4": summary.l4().map(|s| l4(s, top)),
    })
}
