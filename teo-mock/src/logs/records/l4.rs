//! L4 records: sessions of the proxy's connections and one record per interval, with the forwarding rules and disconnect reasons they are drawn from.

use super::json::*;
use super::networks::*;
use super::random::*;
use super::{close_record, RecordContext, L4_UNWRITTEN};
use crate::generated::log_fields::L4_FIELDS;

impl RecordContext {
    /// The L4 sessions with `records` records in the hour, and the records as
    /// `time in the hour (ms) << 32 | session index`, in time order.
    ///
    /// Sessions overlap the hour: they may have begun hours before it (their records here
    /// carry the old `ConnectTimeStamp`) or outlast it (their last record here is still
    /// connected). Each has a record every [`L4_PERIOD_MS`] after it connected and one when it
    /// ends; the last session drawn is cut short (ends at its last record kept) to give
    /// exactly `records`.
    pub(crate) fn l4_sessions(
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
    pub(crate) fn l4_record(
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
}

/// The period of the records of a long L4 connection: EdgeOne logs "periodically" and once
/// more when the connection ends, without naming the period; 5 minutes here.
pub(crate) const L4_PERIOD_MS: i64 = 300_000;
/// The longest L4 session drawn: 12 hours.
pub(crate) const L4_MAX_SESSION_MS: i64 = 12 * 3_600_000;
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// An L4 connection (or UDP session) with records in the packet's hour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    /// Seeds what every record of the session repeats (ID, client, edge IP, rates).
    pub(crate) seed: u64,
    /// Connect and disconnect times in ms from the hour's start: it may have connected hours
    /// before, and an end at or after the hour's end means still connected.
    pub(crate) connect: i32,
    pub(crate) end: i32,
    /// Indices into [`L4_RULES`] and [`REASONS`].
    pub(crate) rule: u8,
    pub(crate) reason: u8,
}

/// A forwarding rule of an L4 proxy.
pub(crate) struct Rule {
    pub(crate) protocol: &'static str,
    pub(crate) port: u16,
    pub(crate) traffic: Traffic,
}

/// How a forwarded service uses its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Traffic {
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
pub(crate) const L4_RULES: [Rule; 14] = [
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
pub(crate) const L4_TCP_RULES: u8 = 9;

pub(crate) const fn rule(protocol: &'static str, port: u16, traffic: Traffic) -> Rule {
    Rule {
        protocol,
        port,
        traffic,
    }
}

impl Traffic {
    /// How long a session lasts, in ms: short, medium (minutes) or long (20 min to 8 h) by
    /// a mix of the service.
    pub(crate) fn duration(self, rng: &mut fastrand::Rng) -> i64 {
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
    pub(crate) fn rates(self, rng: &mut fastrand::Rng) -> (f64, f64) {
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
pub(crate) const REASONS: [&str; 10] = [
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
pub(crate) const REASON_NO_ORIGIN: u8 = 0;
pub(crate) static TCP_REASONS: Weighted<u8> = Weighted::new(&[
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
pub(crate) static UDP_REASONS: Weighted<u8> = Weighted::new(&[(80, 7), (8, 8), (7, 9), (5, 6)]);
