//! The records of the mock's log packets: what EdgeOne writes into offline logs, field by
//! field (see the parent module for the mixes), drawn from the packet's seeded generator and
//! written straight into a string.

use std::sync::OnceLock;

use serde_json::Value;

use super::{hash, PacketId};
use crate::generated::log_fields::FieldType;

mod json;
mod l4;
mod l7;
mod networks;
mod random;
mod web;

use json::*;
use l4::*;
use networks::*;
use random::*;

pub(super) use l7::Parent;

/// Per-packet values shared by its records.
pub(super) struct RecordContext {
    /// `YYYY-MM-DDTHH:` of the hour, UTC.
    time_prefix: String,
    /// The hour's start in unix milliseconds.
    start_ms: i64,
    /// The proxy ID / domain as a JSON string (quoted, escaped), and its escaped text alone
    /// (for the same-site URLs of `RequestReferer`).
    id_json: String,
    id_text: String,
    /// The zone ID as a JSON string (`ContentID` without a content identifier).
    zone_json: String,
    overseas: bool,
    /// Client networks of the packet's area.
    networks: &'static Weighted<Network>,
    /// L7: the edge nodes serving the domain, `(EdgeServerIP, EdgeServerID)`.
    nodes: Vec<(String, String)>,
    /// L7: whether the domain runs an edge function (whose sub-requests are logged too).
    functions: bool,
    /// L7: the domain's content identifier (`eocontent-…`, for its media and downloads), if any.
    content_id: Option<String>,
    /// L7: seeds the zone's security rule IDs.
    rule_seed: u64,
    /// L4: the proxy's edge IPs and forwarding rules (indices into [`L4_RULES`]).
    edge_ips: Vec<String>,
    rules: Vec<u8>,
}

impl RecordContext {
    pub(super) fn new(packet: &PacketId) -> RecordContext {
        let s = packet.start;
        let overseas = packet.area() == "overseas";
        let id_json = Value::from(packet.id.as_str()).to_string();
        let id_text = id_json[1..id_json.len() - 1].to_owned();
        // What belongs to the domain / proxy in its zone, the same every hour.
        let mut rng =
            fastrand::Rng::with_seed(hash(format!("{}\n{}", packet.zone, packet.id).as_bytes()));
        let sites = if overseas {
            OVERSEAS_SITES
        } else {
            MAINLAND_SITES
        };
        let nodes = (0..8)
            .map(|_| {
                let (site, [a, b]) = sites[rng.usize(..sites.len())];
                (
                    format!("{a}.{b}.{}.{}", rng.u8(..), rng.u8(1..255)),
                    format!("{site}-edge-{:03}", rng.u16(1..400)),
                )
            })
            .collect();
        let functions = rng.u8(..10) < 6;
        let content_id = (rng.u8(..2) == 0).then(|| {
            let mut id = String::from("eocontent-");
            id.extend((0..12).map(|_| rng.alphanumeric().to_ascii_lowercase()));
            id
        });
        let prefixes: &[[u8; 2]] = if overseas {
            &[[43, 152], [43, 159], [43, 175], [101, 33]]
        } else {
            &[[119, 28], [175, 27], [162, 14], [81, 69]]
        };
        let edge_ips = (0..3)
            .map(|_| {
                let [a, b] = prefixes[rng.usize(..prefixes.len())];
                format!("{a}.{b}.{}.{}", rng.u8(..), rng.u8(1..255))
            })
            .collect();
        // One to three forwarding rules, the first a TCP one.
        let mut rules = vec![rng.u8(..L4_TCP_RULES)];
        for _ in 0..rng.usize(..3) {
            let rule = rng.u8(..L4_RULES.len() as u8);
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        RecordContext {
            time_prefix: format!(
                "{:04}-{:02}-{:02}T{:02}:",
                s.year(),
                s.month() as u8,
                s.day(),
                s.hour()
            ),
            start_ms: s.unix_timestamp() * 1000,
            id_json,
            id_text,
            zone_json: Value::from(packet.zone.as_str()).to_string(),
            overseas,
            networks: if overseas {
                &OVERSEAS_NETWORKS
            } else {
                &MAINLAND_NETWORKS
            },
            nodes,
            functions,
            content_id,
            rule_seed: hash(packet.zone.as_bytes()),
            edge_ips,
            rules,
        }
    }

    /// `offset_ms` into the hour as an RFC 3339 UTC time with milliseconds, quoted.
    pub(super) fn time(&self, offset_ms: u32, out: &mut String) {
        let offset_ms = offset_ms as usize;
        let mut text = *b"00:00.000Z\"";
        text[..2].copy_from_slice(&DIGIT_PAIRS[offset_ms / 60_000 % 60]);
        text[3..5].copy_from_slice(&DIGIT_PAIRS[offset_ms / 1000 % 60]);
        text[6] = b'0' + (offset_ms / 100 % 10) as u8;
        text[7..9].copy_from_slice(&DIGIT_PAIRS[offset_ms % 100]);
        out.push('"');
        out.push_str(&self.time_prefix);
        push_ascii(out, &text);
    }
}

/// The members of the log fields spec that the writer has no generator for (none, until a field
/// is added to the spec): found once, from the first record written.
static L4_UNWRITTEN: OnceLock<Vec<(&str, FieldType)>> = OnceLock::new();
static L7_UNWRITTEN: OnceLock<Vec<(&str, FieldType)>> = OnceLock::new();

/// Ends the record that starts at `start` in `out`. A member of the spec the writer does not
/// write yet is written absent (its type's sentinel), so a field added to the spec is in the
/// mock's packets at once; `logs::tests` check that every member is written.
fn close_record(
    out: &mut String,
    start: usize,
    fields: &'static [(&'static str, FieldType)],
    unwritten: &OnceLock<Vec<(&'static str, FieldType)>>,
) {
    let unwritten = unwritten.get_or_init(|| {
        let record = out.get(start..).unwrap_or_default();
        fields
            .iter()
            .filter(|(name, _)| !record.contains(&format!("\"{name}\":")))
            .copied()
            .collect()
    });
    for (name, kind) in unwritten {
        match kind {
            FieldType::Integer => int_json(out, &format!(",\"{name}\":"), -1),
            FieldType::Text | FieldType::Timestamp => str_json(out, &format!(",\"{name}\":"), "-"),
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::super::{LogKind, MAX_TIME, MIN_TIME};
    use super::web::*;
    use super::*;

    #[test]
    fn timestamps_match_the_time_crate() {
        let mut rng = fastrand::Rng::with_seed(3);
        let min = MIN_TIME.unix_timestamp() * 1000 - 86_400_000;
        let max = MAX_TIME.unix_timestamp() * 1000 - 1;
        let samples = (0..20_000).map(|_| rng.i64(min..max)).chain([
            min,
            max,
            0,
            -1,
            951_782_400_000,
            4_107_542_399_999,
        ]);
        for ms in samples {
            let mut out = String::new();
            push_timestamp(&mut out, ms);
            let expected = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .unwrap()
                .format(&time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
                ))
                .unwrap();
            assert_eq!(out, expected, "{ms}");
        }
        let packet = PacketId::new(LogKind::L7, 1_714_557_600, "z".into(), "d".into()).unwrap();
        let context = RecordContext::new(&packet);
        for offset in [0, 1, 999, 1_000, 59_999, 60_000, 754_321, 3_599_999]
            .into_iter()
            .chain((0..1000).map(|_| rng.u32(..3_600_000)))
        {
            let mut out = String::new();
            context.time(offset, &mut out);
            let expected = format!(
                "\"2024-05-01T10:{:02}:{:02}.{:03}Z\"",
                offset / 60_000,
                offset / 1000 % 60,
                offset % 1000
            );
            assert_eq!(out, expected);
        }
        for (n, text) in [
            (0, "0"),
            (9, "9"),
            (10, "10"),
            (99, "99"),
            (100, "100"),
            (12_345, "12345"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, text);
        }
        let mut out = String::new();
        push_i64(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string());
        for group in [0, 1, 0xf, 0x10, 0xabc, 0x240e, 0xffff] {
            let mut out = String::new();
            push_group(&mut out, group);
            assert_eq!(out, format!("{group:x}"));
        }
    }

    /// Every text the generator writes unescaped is valid inside a JSON string as is.
    #[test]
    fn table_texts_need_no_escaping() {
        fn plain(text: &str) {
            assert!(
                !text
                    .chars()
                    .any(|c| c == '"' || c == '\\' || c.is_control()),
                "{text:?}"
            );
        }
        let mut texts: Vec<&str> = Vec::new();
        for table in [&MAINLAND_NETWORKS, &OVERSEAS_NETWORKS] {
            for (_, network) in table.items {
                texts.push(network.region);
                texts.extend(network.isps);
            }
        }
        texts.extend(CN_STATES.items.iter().map(|(_, s)| *s));
        texts.extend(AGENTS.items.iter().map(|(_, a)| a.ua));
        texts.extend(REASONS);
        for table in [&SECURITY, &PROBE_SECURITY] {
            for (_, hit) in table.items {
                texts.extend([hit.module, hit.action, hit.note]);
            }
        }
        use Resource::*;
        for resource in [
            Page, Script, Image, Font, Api, Video, Download, Misc, Probe, WebSocket,
        ] {
            for table in [resource.paths(), resource.queries()] {
                for (_, template) in table.items {
                    texts.push(template.prefix);
                    texts.extend(template.suffix);
                }
            }
            texts.extend(resource.methods().items.iter().map(|(_, m)| *m));
        }
        for text in texts {
            plain(text);
        }
    }
}
