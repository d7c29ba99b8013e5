//! The records of the mock's log packets: what EdgeOne writes into offline logs, field by
//! field (see the parent module for the mixes), drawn from the packet's seeded generator and
//! written straight into a string.

use std::sync::OnceLock;

use serde_json::Value;

use super::{hash, PacketId};
use crate::generated::log_fields::{FieldType, L4_FIELDS, L7_FIELDS};

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

    /// The L4 sessions with `records` records in the hour, and the records as
    /// `time in the hour (ms) << 32 | session index`, in time order.
    ///
    /// Sessions overlap the hour: they may have begun hours before it (their records here
    /// carry the old `ConnectTimeStamp`) or outlast it (their last record here is still
    /// connected). Each has a record every [`L4_PERIOD_MS`] after it connected and one when it
    /// ends; the last session drawn is cut short (ends at its last record kept) to give
    /// exactly `records`.
    pub(super) fn l4_sessions(
        &self,
        rng: &mut fastrand::Rng,
        records: usize,
    ) -> (Vec<Session>, Vec<u64>) {
        let mut sessions = Vec::new();
        let mut keys = Vec::with_capacity(records);
        while keys.len() < records {
            let rule = self.rules[rng.usize(..self.rules.len())];
            let traffic = L4_RULES[usize::from(rule)].traffic;
            // 1.5% never reach the origin: a short session closed by the edge.
            let failed = rng.u16(..1000) < 15;
            let duration = if failed {
                rng.i64(0..3_000)
            } else {
                traffic.duration(rng)
            };
            let connect = rng.i64(-duration..HOUR_MS);
            let reason = if failed {
                REASON_NO_ORIGIN
            } else if L4_RULES[usize::from(rule)].protocol == "UDP" {
                *UDP_REASONS.pick(rng)
            } else {
                *TCP_REASONS.pick(rng)
            };
            let seed = rng.u64(..);
            // Periodic records at connect + k × period, k ≥ 1, from the hour's start on.
            let first = if connect >= 0 {
                1
            } else {
                (-connect + L4_PERIOD_MS - 1) / L4_PERIOD_MS
            };
            let mut end = connect + duration;
            let ticks_end = end.min(HOUR_MS);
            let first_tick = connect + first * L4_PERIOD_MS;
            let ticks = if first_tick < ticks_end {
                (ticks_end - 1 - first_tick) / L4_PERIOD_MS + 1
            } else {
                0
            };
            let total = ticks + i64::from((0..HOUR_MS).contains(&end));
            if total == 0 {
                continue;
            }
            let room = (records - keys.len()) as i64;
            if total > room {
                // Cut short: it ends at its last record kept (a periodic one, as room ≤ ticks).
                end = first_tick + (room - 1) * L4_PERIOD_MS;
            }
            let index = sessions.len() as u64;
            sessions.push(Session {
                seed,
                connect: connect as i32,
                end: end as i32,
                rule,
                reason,
            });
            let mut tick = first_tick;
            while tick < end.min(HOUR_MS) {
                keys.push(((tick as u64) << 32) | index);
                tick += L4_PERIOD_MS;
            }
            if (0..HOUR_MS).contains(&end) {
                keys.push(((end as u64) << 32) | index);
            }
        }
        keys.sort_unstable();
        (sessions, keys)
    }

    /// The record of `session` at `t` ms into the hour (a periodic one, or its last when `t`
    /// is its end). What a session repeats in each record is drawn from its own seed.
    pub(super) fn l4_record(
        &self,
        rng: &mut fastrand::Rng,
        session: &Session,
        t: i64,
        out: &mut String,
    ) {
        let start = out.len();
        let rule = &L4_RULES[usize::from(session.rule)];
        let mut own = fastrand::Rng::with_seed(session.seed);
        let noise = Noise(own.u64(..));
        let network = self.networks.pick(&mut own);
        let connect = i64::from(session.connect);
        let end = i64::from(session.end);
        out.push_str("{\"ServiceID\":");
        out.push_str(&self.id_json);
        out.push_str(",\"SessionID\":\"");
        push_hex(out, own.u64(..));
        push_hex(out, own.u64(..));
        out.push_str("\",\"ConnectTimeStamp\":\"");
        push_timestamp(out, self.start_ms + connect);
        if t == end {
            out.push_str("\",\"DisconnetTimeStamp\":\"");
            push_timestamp(out, self.start_ms + end);
            out.push_str("\",\"DisconnetReason\":\"");
            out.push_str(REASONS[usize::from(session.reason)]);
            out.push('"');
        } else {
            out.push_str("\",\"DisconnetTimeStamp\":\"-\",\"DisconnetReason\":\"-\"");
        }
        out.push_str(",\"ClientRealIP\":\"");
        push_client_ip(out, &mut own, network);
        out.push('"');
        str_json(out, ",\"ClientRegion\":", noise.pick(0, network.region));
        let edge_ip = &self.edge_ips[own.usize(..self.edge_ips.len())];
        str_json(out, ",\"EdgeIP\":", noise.pick(1, edge_ip));
        str_json(out, ",\"ForwardProtocol\":", rule.protocol);
        out.push_str(",\"ForwardPort\":");
        if noise.hit(2) {
            out.push_str("-1");
        } else {
            push_u64(out, u64::from(rule.port));
        }
        // Bytes since the session's previous record (or since it connected).
        let previous = if t > connect {
            connect + (t - connect - 1) / L4_PERIOD_MS * L4_PERIOD_MS
        } else {
            connect
        };
        let (sent, received) = if session.reason == REASON_NO_ORIGIN {
            (0, rng.u64(0..600))
        } else if rule.traffic == Traffic::Dns {
            (own.u64(60..600), own.u64(40..120))
        } else {
            let (rate, ratio) = rule.traffic.rates(&mut own);
            let sent = rate * (t - previous) as f64 / 1000.0 * log_normal(rng, 1.0, 0.4);
            let setup = if previous == connect {
                rng.u64(200..4_000)
            } else {
                0
            };
            (sent as u64 + setup, (sent * ratio) as u64 + setup / 4)
        };
        out.push_str(",\"SentBytes\":");
        push_u64(out, sent);
        out.push_str(",\"ReceivedBytes\":");
        push_u64(out, received);
        // Mostly RFC 3339; one record in 50 has unix seconds instead ("string or integer").
        out.push_str(",\"LogTimeStamp\":");
        if rng.u8(..50) == 0 {
            push_i64(out, (self.start_ms + t).div_euclid(1000));
        } else {
            out.push('"');
            push_timestamp(out, self.start_ms + t);
            out.push('"');
        }
        close_record(out, start, L4_FIELDS, &L4_UNWRITTEN);
    }

    /// One L7 request at `offset_ms` into the hour. `parent` carries an edge function's
    /// request to the sub-requests that follow it.
    pub(super) fn l7_record(
        &self,
        rng: &mut fastrand::Rng,
        offset_ms: u32,
        parent: &mut Parent,
        out: &mut String,
    ) {
        use Resource::*;
        let start = out.len();
        let noise = Noise(rng.u64(..));
        let subrequest = parent.take();
        let agent = AGENTS.pick(rng);
        let resource = match subrequest {
            Some(_) => Api,
            None => *agent.client.resources().pick(rng),
        };
        let method = *resource.methods().pick(rng);
        let path = resource.paths().pick(rng);
        let path_number = path.number(rng);
        let query = resource.queries().pick(rng);
        let query_number = query.number(rng);
        let network = self.networks.pick(rng);
        let protocol = if resource == WebSocket {
            "WebSocket"
        } else {
            *agent.client.protocols().pick(rng)
        };
        // RemotePort: the EdgeOne node's port the client connected to (so EdgeOne's current L7
        // field table; real-time logs add a separate ClientPort for the client's own): HTTPS
        // mostly (HTTP/3 always), plain HTTP some.
        let remote_port: u16 = match rng.u8(..100) {
            _ if protocol == "HTTP/3" => 443,
            0..=89 => 443,
            90..=98 => 80,
            _ => 8443,
        };
        let security = {
            let per_mille = match (resource, agent.client) {
                (Probe, _) => 600,
                (_, Client::Tool) => 120,
                (_, Client::Bot) => 40,
                (_, Client::App) => 10,
                _ => 15,
            };
            (rng.u16(..1000) < per_mille).then(|| {
                if resource == Probe {
                    PROBE_SECURITY.pick(rng)
                } else {
                    SECURITY.pick(rng)
                }
            })
        };

        // Status code, range, cache status and body.
        let ranged = match resource {
            Video => path.is_mp4() && rng.u8(..100) < 85,
            Download => rng.u8(..100) < 12,
            _ => false,
        };
        let mut status = if method == "OPTIONS" {
            if rng.u8(..20) == 0 {
                404
            } else {
                204
            }
        } else {
            *resource.statuses().pick(rng)
        };
        if ranged && status == 200 {
            status = 206;
        }
        if method == "POST" && status == 200 && resource == Api && rng.u8(..10) == 0 {
            status = 201;
        }
        let mut page = None;
        if let Some(flagged) = security {
            match flagged.action {
                "Deny" | "BlockIP" => (status, page) = (403, Some(rng.u64(1_800..4_200))),
                "ReturnCustomPage" => (status, page) = (403, Some(rng.u64(2_000..12_000))),
                "Redirect" => (status, page) = (302, Some(rng.u64(0..180))),
                "JSChallenge" | "ManagedChallenge" => {
                    (status, page) = (200, Some(rng.u64(6_000..14_000)))
                }
                _ => {}
            }
        }
        let cache = if page.is_some() || matches!(status, 101 | 201 | 204) {
            "Dynamic"
        } else {
            match resource {
                Api | Probe | WebSocket if rng.u8(..100) < 94 => "Dynamic",
                Api | Probe | WebSocket => "MISS",
                _ if !matches!(method, "GET" | "HEAD") => "Dynamic",
                _ => match status {
                    499..=599 => {
                        if rng.u8(..10) < 7 {
                            "MISS"
                        } else {
                            "Dynamic"
                        }
                    }
                    301 | 302 => {
                        if rng.u8(..10) < 6 {
                            "Dynamic"
                        } else {
                            "HIT"
                        }
                    }
                    304 => {
                        if rng.u8(..100) < 85 {
                            "HIT"
                        } else {
                            "MISS"
                        }
                    }
                    404 => {
                        if rng.u8(..10) < 6 {
                            "MISS"
                        } else {
                            "HIT"
                        }
                    }
                    _ if resource == Page => *PAGE_CACHE.pick(rng),
                    _ => *STATIC_CACHE.pick(rng),
                },
            }
        };
        let full = resource.body(rng, path);
        let mut range = None;
        let mut body = match (status, page) {
            (_, Some(page)) => page,
            (206, _) if resource == Download => {
                // A resumed download: from where it stopped to the end.
                let start = rng.u64(1..full.max(2));
                range = Some((start, None));
                full - start.min(full)
            }
            (206, _) => {
                let chunk = rng.u64(262_144..4_194_304);
                let start = chunk * rng.u64(0..(full / chunk).max(1));
                let end = rng.u8(..10) < 7;
                range = Some((start, end.then_some(start + chunk - 1)));
                chunk
            }
            (101 | 200 | 201, _) => full,
            (204 | 304, _) => 0,
            (301 | 302, _) => rng.u64(0..180),
            (404, _) => rng.u64(150..3_500),
            (400..=429, _) => rng.u64(80..1_500),
            // The client gave up: part of the body, if any.
            (499, _) => (full as f64 * rng.f64() * 0.5) as u64,
            _ => rng.u64(150..600),
        };
        if method == "HEAD" {
            body = 0;
        }
        // RequestStatus, as documented: 0 not ended (a WebSocket logged while open, a long
        // transfer), 1 ended normally, 2 ended abnormally (the client left: 499 or a transfer
        // cut short; some origin failures). Mostly 1.
        let aborted = matches!(status, 200 | 206)
            && matches!(resource, Video | Download)
            && rng.u16(..1000) < 8;
        if aborted {
            body = (body as f64 * rng.f64()) as u64;
        }
        let request_status = match status {
            101 => *WEBSOCKET_STATUS.pick(rng),
            499 => 2,
            _ if aborted => 2,
            502 | 504 if rng.u8(..4) == 0 => 2,
            200 | 206 if matches!(resource, Video | Download) && rng.u16(..500) == 0 => 0,
            _ => 1,
        };

        // Sizes and times.
        let compressed = matches!(protocol, "HTTP/2.0" | "HTTP/3");
        let new_connection = rng.u8(..5) == 0;
        let tls = remote_port != 80 && new_connection;
        let mut request_bytes = agent.client.request_headers(rng);
        if compressed {
            request_bytes = request_bytes * 3 / 5;
        }
        if tls {
            request_bytes += rng.u64(250..600);
        }
        if matches!(method, "POST" | "PUT" | "PATCH") {
            request_bytes += (log_normal(rng, 700.0, 1.3) as u64).min(10 << 20);
        }
        let headers = if compressed {
            rng.u64(60..320)
        } else {
            rng.u64(180..680)
        };
        let response_bytes = body + headers + if tls { rng.u64(2_800..4_600) } else { 0 };
        // Time to first byte by where the answer came from (log-normal: HIT ~6 ms median,
        // MISS ~160 ms with a tail into seconds), plus the body's transfer.
        let first_byte = match status {
            499 => log_normal(rng, 2_500.0, 0.8),
            504 => 30_000.0 + rng.f64() * 30_000.0,
            502 => log_normal(rng, 40.0, 1.5),
            _ => match cache {
                "HIT" => log_normal(rng, 6.0, 1.0),
                "STALE" => log_normal(rng, 8.0, 1.0),
                "EXPIRED" => log_normal(rng, 140.0, 1.0),
                "MISS" => log_normal(rng, 160.0, 1.1),
                _ => log_normal(rng, 90.0, 1.2),
            },
        };
        let throughput = log_normal(rng, self.throughput(), 0.8);
        let response_time = if resource == WebSocket && status == 101 {
            log_normal(rng, 60_000.0, 1.2)
        } else {
            first_byte + body as f64 / throughput * 1000.0
        };
        let response_time = (response_time as i64).clamp(0, 600_000);
        let internal_share = match cache {
            "HIT" | "STALE" if status != 499 => rng.u64(50..=100),
            _ => rng.u64(3..=35),
        };
        let internal_time = response_time * internal_share as i64 / 100;
        let id = (rng.u64(..), rng.u64(..));

        // The record, members in the documented order.
        out.push_str("{\"RequestID\":\"");
        push_hex(out, id.0);
        push_hex(out, id.1);
        out.push_str("\",\"ClientIP\":\"");
        push_client_ip(out, rng, network);
        out.push('"');
        str_json(out, ",\"ClientRegion\":", noise.pick(0, network.region));
        let state = if network.region == "CN" {
            noise.pick(1, CN_STATES.pick(rng))
        } else {
            "-" // documented for mainland China only
        };
        str_json(out, ",\"ClientState\":", state);
        let isp = network.isps[rng.usize(..network.isps.len())];
        str_json(out, ",\"ClientISP\":", noise.pick(2, isp));
        out.push_str(",\"RequestTime\":");
        self.time(offset_ms, out);
        out.push_str(",\"RequestStatus\":");
        push_u64(out, request_status);
        out.push_str(",\"RequestHost\":");
        out.push_str(&self.id_json);
        int_json(out, ",\"RequestBytes\":", noise.number(3, request_bytes));
        str_json(out, ",\"RequestMethod\":", method);
        out.push_str(",\"RequestUrl\":\"");
        path.write(path_number, out);
        out.push_str("\",\"RequestUrlQueryString\":\"");
        query.write_query(
            query_number,
            self.start_ms / 1000 + i64::from(offset_ms / 1000),
            out,
        );
        out.push('"');
        str_json(out, ",\"RequestUA\":", noise.pick(4, agent.ua));
        out.push_str(",\"RequestRange\":\"");
        match range {
            None => out.push('-'),
            Some((start, end)) => {
                out.push_str("bytes=");
                push_u64(out, start);
                out.push('-');
                if let Some(end) = end {
                    push_u64(out, end);
                }
            }
        }
        out.push_str("\",\"RequestReferer\":\"");
        self.referer(rng, agent.client, resource, subrequest.is_some(), out);
        out.push_str("\",\"RequestProtocol\":\"");
        out.push_str(protocol);
        // RemotePort drifts: "-" for about 3%, the number as text for about 3%.
        out.push_str("\",\"RemotePort\":");
        if noise.hit(5) {
            out.push_str("\"-\"");
        } else if noise.hit(6) {
            out.push('"');
            push_u64(out, u64::from(remote_port));
            out.push('"');
        } else {
            push_u64(out, u64::from(remote_port));
        }
        str_json(out, ",\"EdgeCacheStatus\":", cache);
        out.push_str(",\"EdgeResponseStatusCode\":");
        push_u64(out, status);
        out.push_str(",\"EdgeResponseBytes\":");
        push_u64(out, response_bytes);
        int_json(out, ",\"EdgeResponseBodyBytes\":", noise.number(7, body));
        int_json(
            out,
            ",\"EdgeResponseTime\":",
            noise.number(8, response_time as u64),
        );
        int_json(
            out,
            ",\"EdgeInternalTime\":",
            noise.number(9, internal_time as u64),
        );
        let (node_ip, node_id) = &self.nodes[rng.usize(..self.nodes.len())];
        str_json(out, ",\"EdgeServerIP\":", noise.pick(10, node_ip));
        str_json(out, ",\"EdgeServerID\":", noise.pick(11, node_id));
        // Documented as a flag: 1 for a request an edge function made, else 0.
        out.push_str(",\"EdgeFunctionSubrequest\":");
        out.push(if subrequest.is_some() { '1' } else { '0' });
        out.push_str(",\"ContentID\":");
        match &self.content_id {
            Some(content) if matches!(resource, Video | Download) => {
                out.push('"');
                out.push_str(content);
                out.push('"');
            }
            _ => out.push_str(&self.zone_json),
        }
        out.push_str(",\"ParentRequestID\":\"");
        match subrequest {
            Some((high, low)) => {
                push_hex(out, high);
                push_hex(out, low);
            }
            None => out.push('-'),
        }
        out.push('"');
        match security {
            Some(flagged) => {
                str_json(out, ",\"SecurityAction\":", flagged.action);
                out.push_str(",\"SecurityRuleID\":\"");
                push_u64(out, flagged.rule_id(self.rule_seed));
                out.push('"');
                str_json(out, ",\"SecurityUserNote\":", flagged.note);
                str_json(out, ",\"SecurityModule\":", flagged.module);
            }
            None => out.push_str(
                ",\"SecurityAction\":\"-\",\"SecurityRuleID\":\"-\",\"SecurityUserNote\":\"-\",\"SecurityModule\":\"-\"",
            ),
        }
        close_record(out, start, L7_FIELDS, &L7_UNWRITTEN);
        // About one page or API request in 25 of a domain with an edge function makes one or
        // two sub-requests, logged next.
        if self.functions
            && subrequest.is_none()
            && matches!(resource, Page | Api)
            && rng.u8(..25) == 0
        {
            *parent = Parent {
                id,
                pending: rng.u8(1..=2),
            };
        }
    }

    /// The median client throughput, bytes/s.
    fn throughput(&self) -> f64 {
        if self.overseas {
            2_500_000.0
        } else {
            4_000_000.0
        }
    }

    /// `RequestReferer` (without quotes): none for bots, tools, apps and sub-requests, else
    /// mostly the site itself, and search engines or social sites for pages.
    fn referer(
        &self,
        rng: &mut fastrand::Rng,
        client: Client,
        resource: Resource,
        subrequest: bool,
        out: &mut String,
    ) {
        let browser = matches!(client, Client::Desktop | Client::Mobile);
        let page = resource == Resource::Page;
        // Pages: 30% direct, 30% from elsewhere, 40% from the site; other resources: the site.
        let draw = rng.u8(..100);
        let direct = draw < if page { 30 } else { 8 };
        if subrequest || !browser || resource == Resource::Probe || direct {
            out.push('-');
        } else if page && draw < 60 {
            let external: &[&str] = if self.overseas {
                &[
                    "https://www.google.com/",
                    "https://www.google.com/",
                    "https://www.google.com/",
                    "https://www.bing.com/",
                    "https://t.co/",
                    "https://m.facebook.com/",
                    "https://www.youtube.com/",
                ]
            } else {
                &[
                    "https://www.baidu.com/",
                    "https://www.baidu.com/",
                    "https://www.baidu.com/",
                    "https://cn.bing.com/",
                    "https://www.so.com/",
                    "https://weibo.com/",
                    "https://www.zhihu.com/",
                ]
            };
            out.push_str(external[rng.usize(..external.len())]);
        } else {
            out.push_str("https://");
            out.push_str(&self.id_text);
            if rng.bool() {
                out.push('/');
            } else {
                out.push_str("/product/");
                push_u64(out, zipf(rng, 5_000));
                out.push_str(".html");
            }
        }
    }
}

/// The period of the records of a long L4 connection: EdgeOne logs "periodically" and once
/// more when the connection ends, without naming the period; 5 minutes here.
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

const L4_PERIOD_MS: i64 = 300_000;
/// The longest L4 session drawn: 12 hours.
const L4_MAX_SESSION_MS: i64 = 12 * 3_600_000;
const HOUR_MS: i64 = 3_600_000;

/// An L4 connection (or UDP session) with records in the packet's hour.
#[derive(Debug, Clone, Copy)]
pub(super) struct Session {
    /// Seeds what every record of the session repeats (ID, client, edge IP, rates).
    seed: u64,
    /// Connect and disconnect times in ms from the hour's start: it may have connected hours
    /// before, and an end at or after the hour's end means still connected.
    connect: i32,
    end: i32,
    /// Indices into [`L4_RULES`] and [`REASONS`].
    rule: u8,
    reason: u8,
}

/// A forwarding rule of an L4 proxy.
struct Rule {
    protocol: &'static str,
    port: u16,
    traffic: Traffic,
}

/// How a forwarded service uses its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Traffic {
    /// Web and downloads: mostly short, bytes flow to the client.
    Bulk,
    /// Stream ingest (RTMP): long, bytes flow from the client.
    Ingest,
    /// SSH: long and light.
    Shell,
    /// Database connections (pooled: long).
    Database,
    /// Game traffic: steady, both ways.
    Game,
    /// DNS over UDP: one tiny exchange.
    Dns,
}

/// The TCP rules come first: [`L4_TCP_RULES`] of them.
const L4_RULES: [Rule; 14] = [
    rule("TCP", 443, Traffic::Bulk),
    rule("TCP", 80, Traffic::Bulk),
    rule("TCP", 8080, Traffic::Bulk),
    rule("TCP", 1935, Traffic::Ingest),
    rule("TCP", 22, Traffic::Shell),
    rule("TCP", 3306, Traffic::Database),
    rule("TCP", 6379, Traffic::Database),
    rule("TCP", 7000, Traffic::Game),
    rule("TCP", 25565, Traffic::Game),
    rule("UDP", 443, Traffic::Bulk),
    rule("UDP", 27015, Traffic::Game),
    rule("UDP", 7777, Traffic::Game),
    rule("UDP", 3478, Traffic::Game),
    rule("UDP", 53, Traffic::Dns),
];
const L4_TCP_RULES: u8 = 9;

const fn rule(protocol: &'static str, port: u16, traffic: Traffic) -> Rule {
    Rule {
        protocol,
        port,
        traffic,
    }
}

impl Traffic {
    /// How long a session lasts, in ms: short, medium (minutes) or long (20 min to 8 h) by
    /// a mix of the service.
    fn duration(self, rng: &mut fastrand::Rng) -> i64 {
        let (short, medium) = match self {
            Traffic::Bulk => (60, 30),
            Traffic::Ingest => (10, 60),
            Traffic::Shell => (30, 40),
            Traffic::Database => (20, 40),
            Traffic::Game => (20, 50),
            Traffic::Dns => return log_normal(rng, 40.0, 1.0) as i64,
        };
        let draw = rng.u8(..100);
        let ms = if draw < short {
            log_normal(rng, 8_000.0, 1.5)
        } else if draw < short + medium {
            log_normal(rng, 240_000.0, 1.0)
        } else {
            log_uniform(rng, 1_200_000.0, 28_800_000.0)
        };
        (ms as i64).clamp(0, L4_MAX_SESSION_MS)
    }

    /// A session's bytes sent to the client per second (at most 50 Mbit/s), and bytes
    /// received per byte sent.
    fn rates(self, rng: &mut fastrand::Rng) -> (f64, f64) {
        let (rate, ratio) = match self {
            Traffic::Bulk => (log_normal(rng, 80_000.0, 1.3), 0.02 + rng.f64() * 0.13),
            Traffic::Ingest => (log_normal(rng, 2_000.0, 0.8), 20.0 + rng.f64() * 100.0),
            Traffic::Shell => (log_normal(rng, 300.0, 1.5), 0.2 + rng.f64() * 0.8),
            Traffic::Database => (log_normal(rng, 30_000.0, 1.5), 0.05 + rng.f64() * 0.45),
            Traffic::Game | Traffic::Dns => (log_normal(rng, 6_000.0, 0.7), 0.4 + rng.f64() * 0.8),
        };
        (rate.min(6_250_000.0), ratio)
    }
}

/// `DisconnetReason` values, `direction: reason` as documented (up: towards the origin,
/// down: towards the client).
const REASONS: [&str; 10] = [
    "up: create_peer_channel_exception",
    "down: channel_eof_exception",
    "up: channel_eof_exception",
    "down: net_exception_peer_close",
    "up: net_exception_peer_close",
    "down: net_exception_peer_error",
    "up: net_exception_peer_error",
    "down: net_exception_timeout",
    "up: net_exception_timeout",
    "down: net_exception_closed",
];
/// The session never reached the origin.
const REASON_NO_ORIGIN: u8 = 0;
static TCP_REASONS: Weighted<u8> = Weighted::new(&[
    (38, 1),
    (22, 2),
    (12, 3),
    (6, 4),
    (8, 5),
    (3, 6),
    (6, 7),
    (2, 8),
    (3, 9),
]);
/// UDP sessions mostly end by idling out.
static UDP_REASONS: Weighted<u8> = Weighted::new(&[(80, 7), (8, 8), (7, 9), (5, 6)]);

/// L7: the request whose edge function's sub-requests come next.
#[derive(Debug, Default)]
pub(super) struct Parent {
    id: (u64, u64),
    pending: u8,
}

impl Parent {
    /// The parent's request ID if a sub-request is due.
    fn take(&mut self) -> Option<(u64, u64)> {
        (self.pending > 0).then(|| {
            self.pending -= 1;
            self.id
        })
    }
}

/// Which fields of a record carry a sentinel: 5 bits per field, a sentinel when they are all
/// 0, so each field independently about 3.1% (1 in 32) of the time.
#[derive(Clone, Copy)]
struct Noise(u64);

impl Noise {
    fn hit(self, field: u32) -> bool {
        (self.0 >> (5 * field)) & 31 == 0
    }

    /// `"-"` or `value`.
    fn pick(self, field: u32, value: &str) -> &str {
        if self.hit(field) {
            "-"
        } else {
            value
        }
    }

    /// -1 or `value`.
    fn number(self, field: u32, value: u64) -> i64 {
        if self.hit(field) {
            -1
        } else {
            value.min(i64::MAX as u64) as i64
        }
    }
}

/// Values drawn with integer weights.
struct Weighted<T: 'static> {
    items: &'static [(u32, T)],
    total: u32,
}

impl<T: 'static> Weighted<T> {
    const fn new(items: &'static [(u32, T)]) -> Weighted<T> {
        let mut total = 0;
        let mut i = 0;
        while i < items.len() {
            total += items[i].0;
            i += 1;
        }
        assert!(total > 0);
        Weighted { items, total }
    }

    fn pick(&self, rng: &mut fastrand::Rng) -> &'static T {
        let mut draw = rng.u32(..self.total);
        for (weight, item) in self.items {
            if draw < *weight {
                return item;
            }
            draw -= weight;
        }
        &self.items[self.items.len() - 1].1
    }
}

/// A standard normal draw, approximated by four uniforms (Irwin–Hall): cheap, and bounded at
/// ±3.46 σ, which keeps the long tails finite.
fn normal(rng: &mut fastrand::Rng) -> f64 {
    (rng.f64() + rng.f64() + rng.f64() + rng.f64() - 2.0) * 1.732_050_807_568_877_2
}

/// A log-normal draw with this median.
fn log_normal(rng: &mut fastrand::Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A draw between `low` and `high`, uniform in log scale.
fn log_uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    low * (high / low).powf(rng.f64())
}

/// 1..=max, favouring small numbers (popular items).
fn zipf(rng: &mut fastrand::Rng, max: u64) -> u64 {
    let u = rng.f64();
    1 + ((max - 1) as f64 * u * u * u) as u64
}

/// `key` (`,"Name":`) and `value` as a JSON string; `value` needs no escaping.
fn str_json(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('"');
    out.push_str(value);
    out.push('"');
}

fn int_json(out: &mut String, key: &str, value: i64) {
    out.push_str(key);
    push_i64(out, value);
}

/// `n` in decimal.
fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[(n % 100) as usize]);
        n /= 100;
    }
    if n >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[n as usize]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    push_ascii(out, &digits[i..]);
}

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// ASCII bytes (digits, hex) as text: one copy, no per-character pushes.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// "00" to "99".
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// 16 lowercase hex digits.
fn push_hex(out: &mut String, n: u64) {
    let mut digits = [0u8; 16];
    for (i, digit) in digits.iter_mut().enumerate() {
        *digit = HEX_DIGITS[(n >> (60 - 4 * i)) as usize & 15];
    }
    push_ascii(out, &digits);
}

/// An IPv6 group: lowercase hex without leading zeros.
fn push_group(out: &mut String, group: u16) {
    let digits = [
        HEX_DIGITS[usize::from(group >> 12)],
        HEX_DIGITS[usize::from(group >> 8) & 15],
        HEX_DIGITS[usize::from(group >> 4) & 15],
        HEX_DIGITS[usize::from(group) & 15],
    ];
    let skip = (group.leading_zeros() / 4).min(3) as usize;
    push_ascii(out, &digits[skip..]);
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds (`2024-05-01T10:00:00.000Z`), for
/// years 0 to 9999.
fn push_timestamp(out: &mut String, unix_ms: i64) {
    let seconds = unix_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as usize;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as usize;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = (year_of_era + era * 400 + i64::from(month <= 2)).clamp(0, 9999) as usize;
    let ms = unix_ms.rem_euclid(1000) as usize;
    let mut text = *b"0000-00-00T00:00:00.000Z";
    for (at, value) in [
        (0, year / 100),
        (2, year % 100),
        (5, month),
        (8, day),
        (11, of_day / 3600),
        (14, of_day / 60 % 60),
        (17, of_day % 60),
    ] {
        text[at..at + 2].copy_from_slice(&DIGIT_PAIRS[value]);
    }
    text[20] = b'0' + (ms / 100) as u8;
    text[21..23].copy_from_slice(&DIGIT_PAIRS[ms % 100]);
    push_ascii(out, &text);
}

/// A client address of `network`: IPv4, or IPv6 for a share of clients (about 25% in
/// mainland China, 12% elsewhere).
fn push_client_ip(out: &mut String, rng: &mut fastrand::Rng, network: &Network) {
    if rng.u16(..1000) < network.v6_per_mille {
        push_group(out, network.v6[rng.usize(..network.v6.len())]);
        for _ in 0..7 {
            out.push(':');
            push_group(out, rng.u16(..));
        }
    } else {
        push_u64(out, u64::from(network.v4[rng.usize(..network.v4.len())]));
        for last in [false, false, true] {
            out.push('.');
            push_u64(
                out,
                u64::from(if last { rng.u8(1..255) } else { rng.u8(..) }),
            );
        }
    }
}

/// Where clients come from: a country or region (ISO 3166-1 alpha-2) and its ISPs.
struct Network {
    region: &'static str,
    /// `ClientISP`: the ISP's Chinese name in mainland China, else AS numbers (as documented).
    isps: &'static [&'static str],
    /// First octets of its IPv4 addresses, first groups of its IPv6 ones.
    v4: &'static [u8],
    v6: &'static [u16],
    v6_per_mille: u16,
}

const fn network(
    region: &'static str,
    isps: &'static [&'static str],
    v4: &'static [u8],
    v6: &'static [u16],
) -> Network {
    let cn = region.len() == 2 && region.as_bytes()[0] == b'C' && region.as_bytes()[1] == b'N';
    Network {
        region,
        isps,
        v4,
        v6,
        v6_per_mille: if cn { 250 } else { 120 },
    }
}

const CN_TELECOM: Network = network(
    "CN",
    &["中国电信"],
    &[
        14, 27, 58, 59, 60, 61, 101, 106, 113, 115, 116, 117, 118, 121, 125, 171, 180, 182, 183,
        218, 219, 220, 222,
    ],
    &[0x240e],
);
const CN_UNICOM: Network = network(
    "CN",
    &["中国联通"],
    &[27, 42, 60, 61, 110, 112, 113, 123, 124, 175, 202, 210, 221],
    &[0x2408],
);
const CN_MOBILE: Network = network(
    "CN",
    &["中国移动"],
    &[36, 39, 111, 112, 117, 120, 183, 223],
    &[0x2409],
);
const CN_EDU: Network = network(
    "CN",
    &["教育网"],
    &[58, 59, 202, 210, 211, 219, 222],
    &[0x2001],
);
const HK: Network = network(
    "HK",
    &["4760", "9269", "9304"],
    &[14, 42, 58, 112, 113, 118, 203, 218],
    &[0x2404, 0x2400],
);
const TW: Network = network(
    "TW",
    &["3462", "4780", "9924"],
    &[1, 36, 59, 61, 101, 111, 114, 118, 220],
    &[0x2001],
);
const US: Network = network(
    "US",
    &["7922", "701", "7018", "20115", "22773", "21928"],
    &[
        24, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 104, 107, 172, 174,
    ],
    &[0x2600, 0x2601, 0x2603, 0x2607],
);
const JP: Network = network(
    "JP",
    &["2516", "4713", "17676"],
    &[60, 106, 114, 118, 126, 133, 153, 180, 219],
    &[0x240b, 0x2400, 0x2001],
);
const SG: Network = network(
    "SG",
    &["7473", "9506", "4773"],
    &[8, 42, 101, 116, 118, 119, 175, 203],
    &[0x2406, 0x2400],
);
const KR: Network = network(
    "KR",
    &["4766", "9318", "3786"],
    &[1, 14, 39, 58, 112, 121, 175, 211, 220],
    &[0x2001, 0x2406],
);
const IN: Network = network(
    "IN",
    &["55836", "24560", "9829"],
    &[49, 103, 106, 117, 122, 157, 182, 223],
    &[0x2401, 0x2405, 0x2409],
);
const BR: Network = network(
    "BR",
    &["28573", "18881", "26599"],
    &[177, 179, 186, 187, 189, 191, 200, 201],
    &[0x2804, 0x2801],
);
const ID: Network = network(
    "ID",
    &["7713", "23693", "24203"],
    &[36, 103, 110, 112, 114, 180, 182, 202],
    &[0x2001, 0x2404],
);
const DE: Network = network(
    "DE",
    &["3320", "3209", "6805"],
    &[31, 37, 46, 77, 79, 84, 87, 91, 93],
    &[0x2003, 0x2a02, 0x2a01],
);
const GB: Network = network(
    "GB",
    &["2856", "5089", "5607"],
    &[2, 5, 31, 51, 81, 82, 86, 90, 92],
    &[0x2a00, 0x2a02, 0x2a01],
);
const VN: Network = network(
    "VN",
    &["7552", "45899", "18403"],
    &[1, 14, 27, 42, 113, 115, 116, 171],
    &[0x2402, 0x2405],
);
const PH: Network = network(
    "PH",
    &["9299", "132199"],
    &[49, 110, 112, 120, 122, 124, 136, 180],
    &[0x2001, 0x2400],
);
const TH: Network = network(
    "TH",
    &["23969", "7470", "131445"],
    &[1, 49, 58, 110, 124, 171, 182, 184],
    &[0x2405, 0x2001],
);
const FR: Network = network(
    "FR",
    &["3215", "12322", "5410"],
    &[2, 37, 78, 80, 82, 86, 90, 92],
    &[0x2a01, 0x2a02],
);
const CA: Network = network(
    "CA",
    &["812", "577", "852"],
    &[24, 70, 99, 142, 174, 184, 206],
    &[0x2607, 0x2605],
);
const MX: Network = network(
    "MX",
    &["8151", "13999"],
    &[148, 177, 187, 189, 201],
    &[0x2806],
);
const AU: Network = network(
    "AU",
    &["1221", "4804", "7545"],
    &[1, 49, 58, 101, 110, 120, 124, 203],
    &[0x2001, 0x2403],
);
const RU: Network = network(
    "RU",
    &["12389", "8359", "31213"],
    &[5, 31, 46, 77, 78, 85, 91, 95, 178],
    &[0x2a00, 0x2a02],
);
const TR: Network = network(
    "TR",
    &["9121", "16135"],
    &[78, 85, 88, 176, 178, 188, 212],
    &[0x2a02, 0x2a00],
);
const NL: Network = network(
    "NL",
    &["1136", "33915"],
    &[31, 77, 80, 82, 84, 86, 145, 217],
    &[0x2a02, 0x2001],
);
const MY: Network = network(
    "MY",
    &["4788", "9534"],
    &[1, 14, 42, 60, 113, 115, 175, 202],
    &[0x2001, 0x2402],
);
const ES: Network = network(
    "ES",
    &["3352", "12479"],
    &[2, 37, 79, 80, 83, 88, 90, 95],
    &[0x2a0c, 0x2a02],
);
const IT: Network = network(
    "IT",
    &["3269", "30722"],
    &[2, 5, 37, 79, 87, 93, 151],
    &[0x2a01, 0x2001],
);

/// Clients of mainland-area zones: about 93% in mainland China.
static MAINLAND_NETWORKS: Weighted<Network> = Weighted::new(&[
    (400, CN_TELECOM),
    (240, CN_UNICOM),
    (260, CN_MOBILE),
    (12, CN_EDU),
    (20, HK),
    (8, TW),
    (18, US),
    (10, JP),
    (10, SG),
    (7, KR),
]);

/// Clients of overseas-area zones: the world, a fifth in the US, 3% in mainland China.
static OVERSEAS_NETWORKS: Weighted<Network> = Weighted::new(&[
    (200, US),
    (70, IN),
    (55, BR),
    (55, ID),
    (50, JP),
    (45, DE),
    (45, GB),
    (35, VN),
    (30, PH),
    (30, TH),
    (30, FR),
    (25, KR),
    (25, CA),
    (25, MX),
    (20, AU),
    (20, SG),
    (20, RU),
    (15, TR),
    (15, NL),
    (25, HK),
    (20, TW),
    (15, MY),
    (15, ES),
    (15, IT),
    (16, CN_TELECOM),
    (8, CN_UNICOM),
    (8, CN_MOBILE),
]);

/// `ClientState` of clients in mainland China: ISO 3166-2 codes, weighted by traffic.
static CN_STATES: Weighted<&str> = Weighted::new(&[
    (140, "CN-GD"),
    (80, "CN-JS"),
    (80, "CN-ZJ"),
    (70, "CN-SD"),
    (60, "CN-HA"),
    (60, "CN-SC"),
    (50, "CN-HB"),
    (50, "CN-HN"),
    (50, "CN-HE"),
    (45, "CN-FJ"),
    (50, "CN-BJ"),
    (50, "CN-SH"),
    (40, "CN-AH"),
    (35, "CN-SN"),
    (35, "CN-LN"),
    (35, "CN-CQ"),
    (35, "CN-GX"),
    (30, "CN-YN"),
    (30, "CN-JX"),
    (25, "CN-SX"),
    (20, "CN-TJ"),
    (25, "CN-GZ"),
    (20, "CN-HL"),
    (18, "CN-JL"),
    (15, "CN-NM"),
    (15, "CN-XJ"),
    (15, "CN-GS"),
    (10, "CN-HI"),
    (5, "CN-NX"),
    (4, "CN-QH"),
    (2, "CN-XZ"),
]);

/// Edge sites: name (for `EdgeServerID`) and the first two octets of their IPs.
const MAINLAND_SITES: &[(&str, [u8; 2])] = &[
    ("cn-gd-gz", [183, 60]),
    ("cn-sh", [101, 226]),
    ("cn-bj", [123, 125]),
    ("cn-js-nj", [180, 97]),
    ("cn-sc-cd", [171, 214]),
    ("cn-hb-wh", [111, 47]),
    ("cn-zj-hz", [115, 238]),
    ("cn-sn-xa", [113, 141]),
];
const OVERSEAS_SITES: &[(&str, [u8; 2])] = &[
    ("sg", [43, 152]),
    ("jp-tyo", [43, 153]),
    ("hk", [43, 154]),
    ("us-sjc", [43, 130]),
    ("us-iad", [43, 166]),
    ("de-fra", [43, 157]),
    ("br-gru", [43, 159]),
    ("in-bom", [43, 175]),
    ("kr-sel", [43, 155]),
    ("id-cgk", [43, 156]),
];

/// Who sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Desktop,
    Mobile,
    /// Crawlers.
    Bot,
    /// curl, scripts, HTTP libraries.
    Tool,
    /// Mobile apps calling APIs.
    App,
}

struct Agent {
    ua: &'static str,
    client: Client,
}

const fn agent(client: Client, ua: &'static str) -> Agent {
    Agent { ua, client }
}

/// `RequestUA`: browsers (about 85%), crawlers, tools and apps.
static AGENTS: Weighted<Agent> = Weighted::new(&[
    (220, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15")),
    (60, agent(Client::Desktop, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")),
    (40, agent(Client::Desktop, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0")),
    (10, agent(Client::Desktop, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36")),
    (160, agent(Client::Mobile, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1")),
    (140, agent(Client::Mobile, "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36")),
    (50, agent(Client::Mobile, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN")),
    (30, agent(Client::Mobile, "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36")),
    (20, agent(Client::Mobile, "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")),
    (30, agent(Client::Bot, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")),
    (15, agent(Client::Bot, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")),
    (20, agent(Client::Bot, "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)")),
    (5, agent(Client::Bot, "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)")),
    (5, agent(Client::Bot, "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)")),
    (15, agent(Client::Tool, "curl/8.5.0")),
    (10, agent(Client::Tool, "python-requests/2.31.0")),
    (10, agent(Client::Tool, "Go-http-client/2.0")),
    (30, agent(Client::App, "okhttp/4.12.0")),
    (10, agent(Client::App, "Dalvik/2.1.0 (Linux; U; Android 12; M2012K11AC Build/SKQ1.211006.001)")),
]);

impl Client {
    fn resources(self) -> &'static Weighted<Resource> {
        match self {
            Client::Desktop | Client::Mobile => &BROWSER_RESOURCES,
            Client::Bot => &BOT_RESOURCES,
            Client::Tool => &TOOL_RESOURCES,
            Client::App => &APP_RESOURCES,
        }
    }

    /// `RequestProtocol`: browsers mostly HTTP/2 and HTTP/3, crawlers and tools HTTP/1.1, a
    /// little HTTP/1.0.
    fn protocols(self) -> &'static Weighted<&'static str> {
        static BROWSER: Weighted<&str> =
            Weighted::new(&[(58, "HTTP/2.0"), (19, "HTTP/3"), (23, "HTTP/1.1")]);
        static BOT: Weighted<&str> =
            Weighted::new(&[(75, "HTTP/1.1"), (22, "HTTP/2.0"), (3, "HTTP/1.0")]);
        static TOOL: Weighted<&str> =
            Weighted::new(&[(70, "HTTP/1.1"), (22, "HTTP/2.0"), (8, "HTTP/1.0")]);
        static APP: Weighted<&str> = Weighted::new(&[(70, "HTTP/2.0"), (30, "HTTP/1.1")]);
        match self {
            Client::Desktop | Client::Mobile => &BROWSER,
            Client::Bot => &BOT,
            Client::Tool => &TOOL,
            Client::App => &APP,
        }
    }

    /// Request header bytes (before HTTP/2 compression).
    fn request_headers(self, rng: &mut fastrand::Rng) -> u64 {
        match self {
            Client::Desktop | Client::Mobile => rng.u64(450..1_600),
            Client::Bot => rng.u64(180..400),
            Client::Tool => rng.u64(90..300),
            Client::App => rng.u64(250..900),
        }
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Page,
    /// Scripts and style sheets.
    Script,
    Image,
    Font,
    Api,
    Video,
    Download,
    /// favicon.ico, robots.txt, …
    Misc,
    /// Vulnerability scans (`/wp-login.php`, `/.env`).
    Probe,
    WebSocket,
}

static BROWSER_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (120, Resource::Page),
    (240, Resource::Script),
    (260, Resource::Image),
    (30, Resource::Font),
    (200, Resource::Api),
    (50, Resource::Video),
    (8, Resource::Download),
    (50, Resource::Misc),
    (5, Resource::Probe),
    (4, Resource::WebSocket),
]);
static BOT_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (60, Resource::Page),
    (15, Resource::Image),
    (20, Resource::Misc),
    (5, Resource::Script),
]);
static TOOL_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (55, Resource::Api),
    (10, Resource::Page),
    (10, Resource::Download),
    (25, Resource::Probe),
]);
static APP_RESOURCES: Weighted<Resource> = Weighted::new(&[
    (75, Resource::Api),
    (20, Resource::Image),
    (5, Resource::Video),
]);

/// A URL path (or query): `prefix`, then with a suffix a number (1..=max, popular ones
/// first; max 0: the request's unix time) and the suffix.
struct Template {
    prefix: &'static str,
    suffix: Option<&'static str>,
    max: u64,
}

const fn fixed(text: &'static str) -> Template {
    Template {
        prefix: text,
        suffix: None,
        max: 0,
    }
}

const fn numbered(prefix: &'static str, max: u64, suffix: &'static str) -> Template {
    Template {
        prefix,
        suffix: Some(suffix),
        max,
    }
}

impl Template {
    fn number(&self, rng: &mut fastrand::Rng) -> u64 {
        match self.suffix {
            Some(_) if self.max > 1 => zipf(rng, self.max),
            _ => 0,
        }
    }

    fn write(&self, number: u64, out: &mut String) {
        out.push_str(self.prefix);
        if let Some(suffix) = self.suffix {
            push_u64(out, number);
            out.push_str(suffix);
        }
    }

    /// As [`Template::write`], with `now` (unix seconds) for a time-stamped query.
    fn write_query(&self, number: u64, now: i64, out: &mut String) {
        match self.suffix {
            Some(suffix) if self.max == 0 => {
                out.push_str(self.prefix);
                push_i64(out, now);
                out.push_str(suffix);
            }
            _ => self.write(number, out),
        }
    }

    fn is_mp4(&self) -> bool {
        self.prefix.ends_with(".mp4") || self.suffix == Some(".mp4")
    }
}

impl Resource {
    fn methods(self) -> &'static Weighted<&'static str> {
        static CONTENT: Weighted<&str> = Weighted::new(&[(96, "GET"), (3, "HEAD"), (1, "OPTIONS")]);
        static API: Weighted<&str> = Weighted::new(&[
            (55, "GET"),
            (32, "POST"),
            (4, "PUT"),
            (2, "DELETE"),
            (6, "OPTIONS"),
            (1, "PATCH"),
        ]);
        static PROBE: Weighted<&str> = Weighted::new(&[(80, "GET"), (20, "POST")]);
        static WEBSOCKET: Weighted<&str> = Weighted::new(&[(1, "GET")]);
        match self {
            Resource::Api => &API,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
            _ => &CONTENT,
        }
    }

    fn paths(self) -> &'static Weighted<Template> {
        static PAGE: Weighted<Template> = Weighted::new(&[
            (30, fixed("/")),
            (5, fixed("/index.html")),
            (25, numbered("/product/", 5_000, ".html")),
            (15, numbered("/news/2024/", 900, ".html")),
            (8, numbered("/category/", 40, "")),
            (6, fixed("/search")),
            (3, fixed("/about")),
            (5, fixed("/login")),
            (3, fixed("/cart")),
        ]);
        static SCRIPT: Weighted<Template> = Weighted::new(&[
            (20, fixed("/static/js/app.3f9a1c2e.js")),
            (20, fixed("/static/js/chunk-vendors.8b7d6e4a.js")),
            (8, fixed("/static/js/chunk-2d0c1f.81c4a2b9.js")),
            (18, fixed("/static/css/app.5e8b9d1f.css")),
            (8, fixed("/static/css/chunk-vendors.0a7c3e11.css")),
            (10, fixed("/js/jquery-3.7.1.min.js")),
            (8, fixed("/assets/index-B4x9kQ2m.js")),
            (8, fixed("/assets/index-C1vR8pLs.css")),
        ]);
        static IMAGE: Weighted<Template> = Weighted::new(&[
            (15, fixed("/images/logo.png")),
            (8, fixed("/images/banner-2024.webp")),
            (7, fixed("/img/icons/sprite.svg")),
            (40, numbered("/images/products/", 5_000, ".jpg")),
            (20, numbered("/uploads/2024/05/", 3_000, ".png")),
            (10, numbered("/avatar/", 100_000, ".jpg")),
        ]);
        static FONT: Weighted<Template> = Weighted::new(&[
            (5, fixed("/fonts/inter-var.woff2")),
            (3, fixed("/fonts/iconfont.woff2")),
            (2, fixed("/fonts/NotoSansSC-Regular.woff2")),
        ]);
        static API: Weighted<Template> = Weighted::new(&[
            (20, fixed("/api/v1/items")),
            (20, numbered("/api/v1/items/", 5_000, "")),
            (10, fixed("/api/v1/user/profile")),
            (10, fixed("/api/v1/cart")),
            (8, fixed("/api/v2/search")),
            (8, fixed("/graphql")),
            (10, fixed("/api/v1/events")),
            (6, fixed("/api/v1/auth/login")),
            (8, numbered("/api/v1/orders/", 90_000, "")),
        ]);
        static VIDEO: Weighted<Template> = Weighted::new(&[
            (10, numbered("/video/", 300, "/index.m3u8")),
            (50, numbered("/video/hls/seg-", 2_000, ".ts")),
            (15, fixed("/media/intro.mp4")),
            (25, numbered("/media/", 300, ".mp4")),
        ]);
        static DOWNLOAD: Weighted<Template> = Weighted::new(&[
            (30, fixed("/downloads/app-release-3.2.1.apk")),
            (20, fixed("/downloads/setup-2.4.1.exe")),
            (30, numbered("/downloads/docs/manual-", 200, ".pdf")),
            (20, numbered("/dl/pkg-", 500, ".zip")),
        ]);
        static MISC: Weighted<Template> = Weighted::new(&[
            (40, fixed("/favicon.ico")),
            (10, fixed("/robots.txt")),
            (5, fixed("/sitemap.xml")),
            (5, fixed("/manifest.json")),
            (5, fixed("/apple-touch-icon.png")),
        ]);
        static PROBE: Weighted<Template> = Weighted::new(&[
            (20, fixed("/wp-login.php")),
            (20, fixed("/.env")),
            (10, fixed("/xmlrpc.php")),
            (10, fixed("/admin/config.php")),
            (15, fixed("/.git/config")),
            (10, fixed("/phpmyadmin/index.php")),
            (
                10,
                fixed("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"),
            ),
            (5, fixed("/cgi-bin/luci")),
        ]);
        static WEBSOCKET: Weighted<Template> = Weighted::new(&[
            (5, fixed("/ws")),
            (4, fixed("/socket.io/")),
            (1, fixed("/realtime")),
        ]);
        match self {
            Resource::Page => &PAGE,
            Resource::Script => &SCRIPT,
            Resource::Image => &IMAGE,
            Resource::Font => &FONT,
            Resource::Api => &API,
            Resource::Video => &VIDEO,
            Resource::Download => &DOWNLOAD,
            Resource::Misc => &MISC,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
        }
    }

    /// `RequestUrlQueryString`: `-` without a query.
    fn queries(self) -> &'static Weighted<Template> {
        static PAGE: Weighted<Template> = Weighted::new(&[
            (70, fixed("-")),
            (
                5,
                fixed("utm_source=google&utm_medium=cpc&utm_campaign=summer"),
            ),
            (4, fixed("from=timeline")),
            (8, numbered("page=", 50, "")),
            (5, numbered("id=", 5_000, "")),
            (3, fixed("lang=en")),
            (5, numbered("spm=a2c4g.11186623.0.0.", 99_999, "")),
        ]);
        static SCRIPT: Weighted<Template> =
            Weighted::new(&[(75, fixed("-")), (25, numbered("v=", 9_999, ""))]);
        static IMAGE: Weighted<Template> = Weighted::new(&[
            (75, fixed("-")),
            (10, fixed("imageMogr2/thumbnail/400x/format/webp")),
            (6, fixed("w=400&q=80")),
            (4, fixed("w=1200&q=80")),
            (5, fixed("imageView2/2/w/640")),
        ]);
        static API: Weighted<Template> = Weighted::new(&[
            (45, fixed("-")),
            (20, numbered("page=", 100, "&size=20")),
            (12, numbered("id=", 100_000, "")),
            (10, numbered("t=", 0, "")),
            (5, numbered("q=phone&page=", 10, "")),
            (8, fixed("fields=id,name,price")),
        ]);
        static VIDEO: Weighted<Template> = Weighted::new(&[
            (60, fixed("-")),
            (20, numbered("t=", 0, "")),
            (10, numbered("start=", 600, "")),
            (10, fixed("quality=720p")),
        ]);
        static RARE: Weighted<Template> =
            Weighted::new(&[(90, fixed("-")), (10, numbered("v=", 99, ""))]);
        static NONE: Weighted<Template> = Weighted::new(&[(1, fixed("-"))]);
        static PROBE: Weighted<Template> =
            Weighted::new(&[(90, fixed("-")), (10, fixed("id=1%27%20OR%20%271%27=%271"))]);
        static WEBSOCKET: Weighted<Template> =
            Weighted::new(&[(60, fixed("EIO=4&transport=websocket")), (40, fixed("-"))]);
        match self {
            Resource::Page => &PAGE,
            Resource::Script => &SCRIPT,
            Resource::Image => &IMAGE,
            Resource::Font | Resource::Download => &RARE,
            Resource::Api => &API,
            Resource::Video => &VIDEO,
            Resource::Misc => &NONE,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
        }
    }

    /// `EdgeResponseStatusCode` before methods, ranges and security: mostly 200, some 3xx,
    /// 4xx, and a little 499 and 5xx.
    fn statuses(self) -> &'static Weighted<u64> {
        static CONTENT: Weighted<u64> = Weighted::new(&[
            (900, 200),
            (55, 304),
            (14, 404),
            (3, 301),
            (3, 302),
            (3, 403),
            (5, 499),
            (1, 500),
            (3, 502),
            (1, 503),
            (2, 504),
        ]);
        static PAGE: Weighted<u64> = Weighted::new(&[
            (860, 200),
            (25, 301),
            (30, 302),
            (30, 304),
            (20, 404),
            (4, 403),
            (8, 499),
            (5, 500),
            (8, 502),
            (3, 503),
            (4, 504),
        ]);
        static API: Weighted<u64> = Weighted::new(&[
            (860, 200),
            (20, 204),
            (22, 400),
            (25, 401),
            (6, 403),
            (18, 404),
            (6, 429),
            (8, 499),
            (10, 500),
            (10, 502),
            (5, 503),
            (5, 504),
        ]);
        static MEDIA: Weighted<u64> = Weighted::new(&[
            (930, 200),
            (20, 304),
            (10, 404),
            (5, 403),
            (25, 499),
            (6, 502),
            (4, 504),
        ]);
        static MISC: Weighted<u64> =
            Weighted::new(&[(780, 200), (100, 304), (110, 404), (10, 301)]);
        static PROBE: Weighted<u64> =
            Weighted::new(&[(800, 404), (120, 403), (20, 301), (40, 200), (20, 500)]);
        static WEBSOCKET: Weighted<u64> =
            Weighted::new(&[(930, 101), (20, 400), (10, 403), (20, 502), (20, 504)]);
        match self {
            Resource::Page => &PAGE,
            Resource::Api => &API,
            Resource::Video | Resource::Download => &MEDIA,
            Resource::Misc => &MISC,
            Resource::Probe => &PROBE,
            Resource::WebSocket => &WEBSOCKET,
            Resource::Script | Resource::Image | Resource::Font => &CONTENT,
        }
    }

    /// The size of a full (200) response body.
    fn body(self, rng: &mut fastrand::Rng, path: &Template) -> u64 {
        let size = match self {
            Resource::Page => log_normal(rng, 28_000.0, 0.7),
            Resource::Script => log_normal(rng, 45_000.0, 1.2).min(3e6),
            Resource::Image => log_normal(rng, 35_000.0, 1.3).min(8e6),
            Resource::Font => 20_000.0 + rng.f64() * 160_000.0,
            Resource::Api => log_normal(rng, 1_200.0, 1.3).min(2e6),
            Resource::Video if path.suffix == Some("/index.m3u8") => 300.0 + rng.f64() * 1_700.0,
            Resource::Video if path.suffix == Some(".ts") => 400_000.0 + rng.f64() * 2.1e6,
            Resource::Video => log_uniform(rng, 2e6, 9e7),
            Resource::Download => log_normal(rng, 5e6, 1.2).min(5e8),
            Resource::Misc => 60.0 + rng.f64() * 15_000.0,
            Resource::Probe => 150.0 + rng.f64() * 3_000.0,
            Resource::WebSocket => log_normal(rng, 20_000.0, 1.5),
        };
        size as u64
    }
}

/// `EdgeCacheStatus` of cacheable content that was found (200).
static STATIC_CACHE: Weighted<&str> =
    Weighted::new(&[(84, "HIT"), (10, "MISS"), (4, "EXPIRED"), (2, "STALE")]);
static PAGE_CACHE: Weighted<&str> = Weighted::new(&[
    (50, "HIT"),
    (22, "MISS"),
    (20, "Dynamic"),
    (6, "EXPIRED"),
    (2, "STALE"),
]);
/// `RequestStatus` of WebSocket records: mostly logged while still open.
static WEBSOCKET_STATUS: Weighted<u64> = Weighted::new(&[(60, 0), (30, 1), (10, 2)]);

/// A security rule that acted on a request.
struct SecurityHit {
    module: &'static str,
    action: &'static str,
    note: &'static str,
    /// Tells the rule apart within the zone.
    rule: u64,
}

const fn hit(
    module: &'static str,
    action: &'static str,
    note: &'static str,
    rule: u64,
) -> SecurityHit {
    SecurityHit {
        module,
        action,
        note,
        rule,
    }
}

impl SecurityHit {
    /// `SecurityRuleID`: a 10-digit number, stable per zone and rule.
    fn rule_id(&self, zone_seed: u64) -> u64 {
        let mixed = (zone_seed ^ self.rule.wrapping_mul(0x9e37_79b9_7f4a_7c15)).rotate_left(17);
        1_000_000_000 + mixed % 9_000_000_000
    }
}

/// `SecurityAction`/`Module`/`UserNote` of flagged requests; notes are the rule owner's.
static SECURITY: Weighted<SecurityHit> = Weighted::new(&[
    (8, hit("CustomRule", "Deny", "block admin paths", 1)),
    (6, hit("CustomRule", "BlockIP", "banned ip list", 2)),
    (6, hit("CustomRule", "Allow", "office whitelist", 3)),
    (4, hit("CustomRule", "Redirect", "geo redirect", 4)),
    (
        3,
        hit("CustomRule", "ReturnCustomPage", "maintenance page", 5),
    ),
    (6, hit("CustomRule", "Monitor", "watch login", 6)),
    (14, hit("ManagedRule", "Monitor", "-", 7)),
    (8, hit("ManagedRule", "Deny", "-", 8)),
    (6, hit("RateLimitingRule", "Deny", "api 100 req/10s", 9)),
    (
        5,
        hit("RateLimitingRule", "JSChallenge", "burst protection", 10),
    ),
    (6, hit("RateLimitingRule", "Monitor", "api 100 req/10s", 9)),
    (10, hit("BotManagement", "JSChallenge", "-", 11)),
    (6, hit("BotManagement", "ManagedChallenge", "-", 12)),
    (8, hit("BotManagement", "Monitor", "-", 13)),
    (4, hit("BotManagement", "Deny", "拦截恶意爬虫", 14)),
]);
static PROBE_SECURITY: Weighted<SecurityHit> = Weighted::new(&[
    (60, hit("ManagedRule", "Deny", "-", 8)),
    (25, hit("ManagedRule", "Monitor", "-", 7)),
    (15, hit("CustomRule", "Deny", "block admin paths", 1)),
]);

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::super::{LogKind, MAX_TIME, MIN_TIME};
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
