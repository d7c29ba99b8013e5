//! L7 records: one request, drawn as a client of the packet's area would make it (agent, resource, method, status, cache status, sizes, times, security) and written member by member.

use super::json::*;
use super::networks::*;
use super::random::*;
use super::web::*;
use super::{close_record, RecordContext, L7_UNWRITTEN};
use crate::generated::log_fields::L7_FIELDS;

impl RecordContext {
    /// One L7 request at `offset_ms` into the hour. `parent` carries an edge function's
    /// request to the sub-requests that follow it. Drawn in steps (the request, its answer,
    /// its sizes and times), then written; the draws happen in one fixed order, so a packet's
    /// records are the same on every run.
    pub(crate) fn l7_record(
        &self,
        rng: &mut fastrand::Rng,
        offset_ms: u32,
        parent: &mut Parent,
        out: &mut String,
    ) {
        use Resource::*;
        let start = out.len();
        let request = self.draw_request(rng, parent);
        let answer = draw_answer(rng, &request);
        let costs = self.draw_costs(rng, &request, &answer);
        self.write_request(rng, offset_ms, &request, &answer, &costs, out);
        self.write_answer(rng, &request, &answer, &costs, out);
        let Request {
            resource,
            subrequest,
            ..
        } = request;
        let Costs { id, .. } = costs;
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

    /// Who asks for what, how, and whether security acts on it.
    fn draw_request(&self, rng: &mut fastrand::Rng, parent: &mut Parent) -> Request {
        use Resource::*;
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

        Request {
            noise,
            subrequest,
            agent,
            resource,
            method,
            path,
            path_number,
            query,
            query_number,
            network,
            protocol,
            remote_port,
            security,
        }
    }

    /// Sizes and times of the request and its answer.
    fn draw_costs(&self, rng: &mut fastrand::Rng, request: &Request, answer: &Answer) -> Costs {
        use Resource::*;
        let Request {
            agent,
            resource,
            method,
            protocol,
            remote_port,
            ..
        } = *request;
        let Answer {
            status,
            cache,
            body,
            ..
        } = *answer;
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

        Costs {
            request_bytes,
            response_bytes,
            response_time,
            internal_time,
            id,
        }
    }

    /// The record's members from `RequestID` to `RemotePort`, in the documented order.
    fn write_request(
        &self,
        rng: &mut fastrand::Rng,
        offset_ms: u32,
        request: &Request,
        answer: &Answer,
        costs: &Costs,
        out: &mut String,
    ) {
        let Request {
            noise,
            subrequest,
            agent,
            resource,
            method,
            path,
            path_number,
            query,
            query_number,
            network,
            protocol,
            remote_port,
            ..
        } = *request;
        let Answer {
            range,
            request_status,
            ..
        } = *answer;
        let Costs {
            request_bytes, id, ..
        } = *costs;
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
    }

    /// The record's members from `EdgeCacheStatus` to `SecurityModule`.
    fn write_answer(
        &self,
        rng: &mut fastrand::Rng,
        request: &Request,
        answer: &Answer,
        costs: &Costs,
        out: &mut String,
    ) {
        use Resource::*;
        let Request {
            noise,
            subrequest,
            resource,
            security,
            ..
        } = *request;
        let Answer {
            status,
            cache,
            body,
            ..
        } = *answer;
        let Costs {
            response_bytes,
            response_time,
            internal_time,
            ..
        } = *costs;
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
    }

    /// The median client throughput, bytes/s.
    pub(crate) fn throughput(&self) -> f64 {
        if self.overseas {
            2_500_000.0
        } else {
            4_000_000.0
        }
    }

    /// `RequestReferer` (without quotes): none for bots, tools, apps and sub-requests, else
    /// mostly the site itself, and search engines or social sites for pages.
    pub(crate) fn referer(
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

/// L7: the request whose edge function's sub-requests come next.
#[derive(Debug, Default)]
pub(crate) struct Parent {
    pub(crate) id: (u64, u64),
    pub(crate) pending: u8,
}

impl Parent {
    /// The parent's request ID if a sub-request is due.
    pub(crate) fn take(&mut self) -> Option<(u64, u64)> {
        (self.pending > 0).then(|| {
            self.pending -= 1;
            self.id
        })
    }
}

/// What an L7 request is: drawn first, read by every later step.
#[derive(Clone, Copy)]
pub(crate) struct Request {
    noise: Noise,
    subrequest: Option<(u64, u64)>,
    agent: &'static Agent,
    resource: Resource,
    method: &'static str,
    path: &'static Template,
    path_number: u64,
    query: &'static Template,
    query_number: u64,
    network: &'static Network,
    protocol: &'static str,
    remote_port: u16,
    security: Option<&'static SecurityHit>,
}

/// What EdgeOne answered.
#[derive(Clone, Copy)]
pub(crate) struct Answer {
    status: u64,
    /// `RequestRange`: the first byte and, when the client named it, the last.
    range: Option<(u64, Option<u64>)>,
    cache: &'static str,
    body: u64,
    request_status: u64,
}

/// Sizes and times, and the request's ID.
#[derive(Clone, Copy)]
pub(crate) struct Costs {
    request_bytes: u64,
    response_bytes: u64,
    response_time: i64,
    internal_time: i64,
    id: (u64, u64),
}

/// Status code, range, cache status and body of the answer to `request`.
fn draw_answer(rng: &mut fastrand::Rng, request: &Request) -> Answer {
    use Resource::*;
    let Request {
        resource,
        method,
        path,
        security,
        ..
    } = *request;
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
    let cache = cache_status(rng, resource, method, status, page);
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
    let aborted =
        matches!(status, 200 | 206) && matches!(resource, Video | Download) && rng.u16(..1000) < 8;
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

    Answer {
        status,
        range,
        cache,
        body,
        request_status,
    }
}

/// `EdgeCacheStatus` of an answer: `Dynamic` for what is never cached, else by resource and
/// status as EdgeOne reports it.
fn cache_status(
    rng: &mut fastrand::Rng,
    resource: Resource,
    method: &str,
    status: u64,
    page: Option<u64>,
) -> &'static str {
    use Resource::*;
    if page.is_some() || matches!(status, 101 | 201 | 204) {
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
                _ if resource == Page => PAGE_CACHE.pick(rng),
                _ => STATIC_CACHE.pick(rng),
            },
        }
    }
}
