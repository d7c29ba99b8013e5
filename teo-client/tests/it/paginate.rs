//! Paginators against real servers on 127.0.0.1: teo-mock (its stable paged data sets, its
//! DownloadL4Logs listings and its `repeat-page` fault) and small scripted servers (tc-test-support) that
//! misbehave in the ways `teo_client::paginate` guards against (a total that shrinks or grows,
//! an ignored `Offset`, a missing total, more items than asked for, an error mid-way).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};
use tc_test_support::{Answer, Request, TestServer};
use teo_client::models::{
    DateTime, DescribeHostsSettingRequest, DescribeOriginProtectionRequest,
    DescribeSecurityIPGroupContentRequest, DescribeZonesRequest, DescribeZonesResponse,
    DownloadL4LogsRequest, L4OfflineLog, Zone,
};
use teo_client::{Client, Credentials, Error, ErrorKind, RetryPolicy};
use teo_mock::answers::total_items;
use teo_mock::faults::{Fault, FaultPlan, Trigger};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

/// No stream in these tests may take longer: a paginator that loops fails instead of hanging.
const STREAM_LIMIT: Duration = Duration::from_secs(30);

/// Drains a stream (within [`STREAM_LIMIT`]), keeping every element, errors included.
async fn drain<T>(stream: impl Stream<Item = T>) -> Vec<T> {
    tokio::time::timeout(STREAM_LIMIT, stream.collect::<Vec<T>>())
        .await
        .expect("the stream ends")
}

/// The `Ok` elements before the first error, and every element from the first error on.
fn split<T>(results: Vec<Result<T, Error>>) -> (Vec<T>, Vec<Result<T, Error>>) {
    let mut ok = Vec::new();
    let mut iter = results.into_iter();
    for result in iter.by_ref() {
        match result {
            Ok(value) => ok.push(value),
            Err(error) => {
                let mut rest = vec![Err(error)];
                rest.extend(iter);
                return (ok, rest);
            }
        }
    }
    (ok, Vec::new())
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

// ---------------------------------------------------------------------------------------------
// Against teo-mock
// ---------------------------------------------------------------------------------------------

/// A zero-latency plan with this many uses counts the calls of an action (latency plans are
/// always evaluated and do not stop other faults from firing).
const COUNTER: u32 = 1_000_000;

fn counter(action: &str) -> FaultPlan {
    FaultPlan::count(action, Fault::Latency(Duration::ZERO), COUNTER)
}

/// Calls of `action` the mock answered since its counter was (re)installed.
fn calls(mock: &MockServer, action: &str) -> u32 {
    let plans = mock.faults().plans();
    let remaining = plans
        .iter()
        .find_map(
            |plan| match (plan.action.as_str(), plan.fault, plan.trigger) {
                (name, Fault::Latency(d), Trigger::Count(n)) if name == action && d.is_zero() => {
                    Some(n)
                }
                _ => None,
            },
        )
        .expect("the call counter is installed");
    COUNTER - remaining
}

/// Puts back fresh counters for `actions` (and nothing else).
fn reset_counters(mock: &MockServer, actions: &[&str]) {
    mock.faults()
        .set(actions.iter().map(|action| counter(action)));
}

async fn mock() -> MockServer {
    MockServer::start(MockConfig::default().rate_limit(None))
        .await
        .expect("mock starts")
}

fn mock_client(mock: &MockServer) -> Client {
    Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(mock.url())
        .timeout(Duration::from_secs(10))
        .retry(RetryPolicy::disabled())
        .rate_limit(None)
        .build()
        .expect("client")
}

/// Whole items as JSON text, to compare and deduplicate any item type.
fn json_texts<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    items
        .iter()
        .map(|item| serde_json::to_string(item).expect("items serialise"))
        .collect()
}

fn assert_unique<T: serde::Serialize>(items: &[T], what: &str) {
    let texts = json_texts(items);
    let distinct: HashSet<&String> = texts.iter().collect();
    assert_eq!(distinct.len(), texts.len(), "{what}: an item repeats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_zones_items_match_the_data_set_for_every_page_size() {
    const ACTION: &str = "DescribeZones";
    let mock = mock().await;
    let client = mock_client(&mock);
    let total = total_items(ACTION);
    assert!(
        (15..=100).contains(&total),
        "the data set spans several small pages and fits one default page: {total}"
    );

    // The whole list in one plain call, as the reference.
    let all = client
        .describe_zones(DescribeZonesRequest::new().limit(100))
        .await
        .expect("one page of everything");
    assert_eq!(all.total_count, total as i64);
    assert_eq!(all.zones.len() as u64, total);
    let reference = json_texts(&all.zones);

    for size in [1, 7, 10, total - 1, total, total + 1, 100] {
        reset_counters(&mock, &[ACTION]);
        let pages = drain(
            client
                .describe_zones_paginator(DescribeZonesRequest::new())
                .page_size(size)
                .pages(),
        )
        .await;
        let pages: Vec<DescribeZonesResponse> =
            pages.into_iter().map(|page| page.expect("page")).collect();
        let expected_pages = ceil_div(total, size);
        assert_eq!(pages.len() as u64, expected_pages, "page size {size}");
        // The total stops the stream: no request after the last page, even a full one.
        assert_eq!(
            u64::from(calls(&mock, ACTION)),
            expected_pages,
            "page size {size}"
        );
        for (index, page) in pages.iter().enumerate() {
            assert_eq!(page.total_count, total as i64);
            let expected_len = size.min(total - index as u64 * size);
            assert_eq!(page.zones.len() as u64, expected_len, "page size {size}");
        }

        reset_counters(&mock, &[ACTION]);
        let items = client
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(size)
            .collect_items()
            .await
            .expect("items");
        assert_eq!(items.len() as u64, total, "page size {size}");
        assert_unique(&items, ACTION);
        let ids: HashSet<&str> = items.iter().map(|zone| zone.zone_id.as_str()).collect();
        assert_eq!(ids.len() as u64, total, "ZoneIds are unique");
        assert_eq!(json_texts(&items), reference, "in order, page size {size}");
        assert_eq!(u64::from(calls(&mock, ACTION)), expected_pages);
    }

    // The default page size is the documented maximum, 100: one request for the whole list.
    reset_counters(&mock, &[ACTION]);
    let items: Vec<Zone> = drain(
        client
            .describe_zones_paginator(DescribeZonesRequest::new())
            .items(),
    )
    .await
    .into_iter()
    .map(|item| item.expect("item"))
    .collect();
    assert_eq!(json_texts(&items), reference);
    assert_eq!(calls(&mock, ACTION), 1);

    // A starting Offset is honoured; the request's Limit is the page size when none is given.
    reset_counters(&mock, &[ACTION]);
    let tail = client
        .describe_zones_paginator(DescribeZonesRequest::new().offset(5).limit(10))
        .collect_items()
        .await
        .expect("tail");
    assert_eq!(json_texts(&tail), reference[5..]);
    assert_eq!(u64::from(calls(&mock, ACTION)), ceil_div(total - 5, 10));

    // Client::paginate is the same paginator.
    let same = client
        .paginate(DescribeZonesRequest::new())
        .page_size(9)
        .collect_items()
        .await
        .expect("paginate");
    assert_eq!(json_texts(&same), reference);
    mock.shutdown().await;
}

fn l4_request() -> DownloadL4LogsRequest {
    // 2 days = 48 whole UTC hours, × 2 zones × 4 proxies = 384 packets.
    DownloadL4LogsRequest::new(
        DateTime::parse("2024-05-01T00:00:00Z").expect("time"),
        DateTime::parse("2024-05-03T00:00:00Z").expect("time"),
    )
    .zone_ids(["zone-a", "zone-b"])
    .proxy_ids(["sid-1", "sid-2", "sid-3", "sid-4"])
}

const L4_PACKETS: usize = 48 * 2 * 4;

/// Checks a full listing of [`l4_request`]: every packet once, in the mock's order (hour, then
/// zone, then proxy).
fn assert_l4_listing(packets: &[L4OfflineLog]) {
    assert_eq!(packets.len(), L4_PACKETS);
    let urls: HashSet<&str> = packets.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(urls.len(), L4_PACKETS, "every packet (URL) once");
    // A packet's name tells hour and proxy, not zone: each name is listed once per zone.
    let names: HashSet<(&str, &str)> = packets
        .iter()
        .map(|p| (p.log_packet_name.as_str(), p.url.as_str()))
        .collect();
    assert_eq!(names.len(), L4_PACKETS);
    let distinct_names: HashSet<&str> =
        packets.iter().map(|p| p.log_packet_name.as_str()).collect();
    assert_eq!(distinct_names.len(), L4_PACKETS / 2);
    let mut sorted: Vec<(i64, &str)> = packets
        .iter()
        .map(|p| (p.log_time, p.url.as_str()))
        .collect();
    sorted.sort();
    let listed: Vec<(i64, &str)> = packets
        .iter()
        .map(|p| (p.log_time, p.url.as_str()))
        .collect();
    assert_eq!(listed, sorted, "in listing order");
    let first = packets.first().expect("first");
    let last = packets.last().expect("last");
    assert_eq!(first.log_time, 1_714_521_600, "2024-05-01T00:00:00Z");
    assert_eq!(last.log_time, 1_714_521_600 + 47 * 3600);
    assert!(first
        .url
        .ends_with("/logs/l4_2024050100_zone-a_sid-1.log.gz"));
    assert!(last
        .url
        .ends_with("/logs/l4_2024050223_zone-b_sid-4.log.gz"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_l4_logs_pages_by_300_by_default() {
    const ACTION: &str = "DownloadL4Logs";
    let mock = mock().await;
    let client = mock_client(&mock);

    reset_counters(&mock, &[ACTION]);
    let pages: Vec<_> = drain(client.download_l4_logs_paginator(l4_request()).pages())
        .await
        .into_iter()
        .map(|page| page.expect("page"))
        .collect();
    let sizes: Vec<usize> = pages.iter().map(|page| page.data.len()).collect();
    assert_eq!(sizes, [300, 84]);
    assert!(pages
        .iter()
        .all(|page| page.total_count == L4_PACKETS as u64));
    assert_eq!(calls(&mock, ACTION), 2);
    let packets: Vec<L4OfflineLog> = pages.into_iter().flat_map(|page| page.data).collect();
    assert_l4_listing(&packets);

    for (size, requests) in [(100, 4), (128, 3), (384, 1), (1000, 1)] {
        reset_counters(&mock, &[ACTION]);
        let request = l4_request();
        let paginator = client.download_l4_logs_paginator(request).page_size(size);
        let result = paginator.collect_items().await;
        if size > 300 {
            // Past the action's maximum the mock rejects the Limit, like the service.
            match result {
                Err(e) if e.kind() == ErrorKind::Api => {
                    assert_eq!(e.code(), Some("InvalidParameterValue"))
                }
                other => panic!("page size {size}: {other:?}"),
            }
        } else {
            assert_l4_listing(&result.expect("packets"));
        }
        assert_eq!(calls(&mock, ACTION), requests, "page size {size}");
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_with_paging_overrides() {
    let mock = mock().await;
    let client = mock_client(&mock);

    // DescribeHostsSetting: the total is `TotalNumber`.
    const HOSTS: &str = "DescribeHostsSetting";
    let total = total_items(HOSTS);
    assert!(total > 10, "{HOSTS}: {total}");
    reset_counters(&mock, &[HOSTS]);
    let pages: Vec<_> = drain(
        client
            .describe_hosts_setting_paginator(DescribeHostsSettingRequest::new("zone-1"))
            .page_size(10)
            .pages(),
    )
    .await
    .into_iter()
    .map(|page| page.expect("page"))
    .collect();
    assert_eq!(pages.len() as u64, ceil_div(total, 10));
    assert!(pages.iter().all(|page| page.total_number == total as i64));
    assert_eq!(u64::from(calls(&mock, HOSTS)), ceil_div(total, 10));
    let hosts: Vec<_> = pages.into_iter().flat_map(|p| p.detail_hosts).collect();
    assert_eq!(hosts.len() as u64, total);
    assert_unique(&hosts, HOSTS);
    let reference = client
        .describe_hosts_setting(DescribeHostsSettingRequest::new("zone-1").limit(1000))
        .await
        .expect("everything at once");
    assert_eq!(json_texts(&hosts), json_texts(&reference.detail_hosts));
    // A page size equal to the total: the total, not an empty page, ends the stream.
    reset_counters(&mock, &[HOSTS]);
    let items = client
        .describe_hosts_setting_paginator(DescribeHostsSettingRequest::new("zone-1"))
        .page_size(total)
        .collect_items()
        .await
        .expect("items");
    assert_eq!(json_texts(&items), json_texts(&reference.detail_hosts));
    assert_eq!(calls(&mock, HOSTS), 1);

    // DescribeOriginProtection: no total at all; only an empty page ends the stream.
    const ORIGIN: &str = "DescribeOriginProtection";
    let total = total_items(ORIGIN);
    assert!(total > 5 && total % 5 != 0, "{ORIGIN}: {total}");
    let reference = client
        .describe_origin_protection(DescribeOriginProtectionRequest::new().limit(1000))
        .await
        .expect("everything at once")
        .origin_protection_info
        .expect("a list");
    assert_eq!(reference.len() as u64, total);
    // (page size, requests, pages yielded): the last page costs one more request, which comes
    // back empty and is not yielded.
    for (size, requests, pages) in [
        (5, ceil_div(total, 5) + 1, ceil_div(total, 5)),
        (total, 2, 1),
        (1000, 2, 1),
    ] {
        reset_counters(&mock, &[ORIGIN]);
        let yielded: Vec<_> = drain(
            client
                .describe_origin_protection_paginator(DescribeOriginProtectionRequest::new())
                .page_size(size)
                .pages(),
        )
        .await
        .into_iter()
        .map(|page| page.expect("page"))
        .collect();
        assert_eq!(yielded.len() as u64, pages, "page size {size}");
        assert_eq!(
            u64::from(calls(&mock, ORIGIN)),
            requests,
            "page size {size}"
        );
        let items: Vec<_> = yielded
            .into_iter()
            .flat_map(|page| page.origin_protection_info.unwrap_or_default())
            .collect();
        assert_eq!(
            json_texts(&items),
            json_texts(&reference),
            "page size {size}"
        );
    }

    // DescribeSecurityIPGroupContent: the items are strings, the total is `IPTotalCount`.
    const IPS: &str = "DescribeSecurityIPGroupContent";
    let total = total_items(IPS);
    assert!(total > 10, "{IPS}: {total}");
    reset_counters(&mock, &[IPS]);
    let ips: Vec<String> = client
        .describe_security_ip_group_content_paginator(DescribeSecurityIPGroupContentRequest::new(
            "zone-1", 7,
        ))
        .page_size(10)
        .collect_items()
        .await
        .expect("IPs");
    assert_eq!(ips.len() as u64, total);
    assert_eq!(u64::from(calls(&mock, IPS)), ceil_div(total, 10));
    let distinct: HashSet<&String> = ips.iter().collect();
    assert_eq!(distinct.len() as u64, total);
    let reference = client
        .describe_security_ip_group_content(
            DescribeSecurityIPGroupContentRequest::new("zone-1", 7).limit(1000),
        )
        .await
        .expect("everything at once");
    assert_eq!(reference.ip_total_count, Some(total as i64));
    assert_eq!(Some(ips), reference.ip_list);
    // The default page size (the documented 100000, more than the mock honours) takes one page.
    reset_counters(&mock, &[IPS]);
    let all = client
        .describe_security_ip_group_content_paginator(DescribeSecurityIPGroupContentRequest::new(
            "zone-1", 7,
        ))
        .collect_items()
        .await
        .expect("IPs");
    assert_eq!(all.len() as u64, total);
    assert_eq!(calls(&mock, IPS), 1);
    mock.shutdown().await;
}

/// teo-mock's `repeat-page` fault answers the first page whatever the `Offset`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_page_from_the_mock_is_fetched_again_or_ends_the_stream() {
    const ACTION: &str = "DownloadL4Logs";
    let mock = mock().await;
    let client = mock_client(&mock);

    // Once, on the second page: that page is fetched again and the listing is complete.
    reset_counters(&mock, &[ACTION]);
    let mut pages = Box::pin(client.download_l4_logs_paginator(l4_request()).pages());
    let first = pages.next().await.expect("a first page").expect("page 1");
    assert_eq!(first.data.len(), 300);
    mock.faults()
        .add(FaultPlan::count(ACTION, Fault::RepeatPage, 1));
    let rest: Vec<_> = drain(pages)
        .await
        .into_iter()
        .map(|page| page.expect("page"))
        .collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].data.len(), 84);
    assert_eq!(calls(&mock, ACTION), 3, "page 1, the repeat, page 2 again");
    assert!(
        !mock
            .faults()
            .plans()
            .iter()
            .any(|plan| plan.fault == Fault::RepeatPage),
        "the fault fired"
    );
    let packets: Vec<L4OfflineLog> = [first]
        .into_iter()
        .chain(rest)
        .flat_map(|page| page.data)
        .collect();
    assert_l4_listing(&packets);

    // A fault planned from the start fires on the first request, which asks for Offset 0
    // anyway: no effect.
    mock.faults().set([
        counter(ACTION),
        FaultPlan::count(ACTION, Fault::RepeatPage, 1),
    ]);
    let packets = client
        .download_l4_logs_paginator(l4_request())
        .collect_items()
        .await
        .expect("packets");
    assert_l4_listing(&packets);
    assert_eq!(calls(&mock, ACTION), 2);

    // Always: the first page, a repeat, two refetches, then Error::Paging; nothing twice.
    mock.faults().set([
        counter(ACTION),
        FaultPlan::probability(ACTION, Fault::RepeatPage, 1.0),
    ]);
    let results = drain(
        client
            .download_l4_logs_paginator(l4_request())
            .page_size(50)
            .items(),
    )
    .await;
    let (items, rest) = split(results);
    assert_eq!(items.len(), 50);
    assert_unique(&items, ACTION);
    assert_eq!(rest.len(), 1, "the error ends the stream");
    match &rest[0] {
        Err(e) if e.kind() == ErrorKind::Paging => {
            assert_eq!(e.action(), Some(ACTION));
            assert_eq!(e.paging_offset(), Some(50));
        }
        other => panic!("expected Error::Paging, got {other:?}"),
    }
    assert_eq!(calls(&mock, ACTION), 4);
    mock.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Against scripted servers
// ---------------------------------------------------------------------------------------------

/// One DescribeZones request as the scripted server saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Call {
    /// 0-based number of the request.
    n: usize,
    offset: u64,
    limit: Option<u64>,
}

type Script = dyn Fn(Call) -> Value + Send + Sync;

struct ServerState {
    script: Box<Script>,
    calls: Mutex<Vec<Call>>,
}

/// A server answering DescribeZones with `{"Response": script(call)}` (a `RequestId` is added
/// when the script leaves it out); other actions get an API error.
struct Scripted {
    server: TestServer,
    state: Arc<ServerState>,
}

impl Scripted {
    async fn start(script: impl Fn(Call) -> Value + Send + Sync + 'static) -> Scripted {
        let state = Arc::new(ServerState {
            script: Box::new(script),
            calls: Mutex::new(Vec::new()),
        });
        let answering = Arc::clone(&state);
        let server = TestServer::responding(move |request| answer(&answering, request));
        Scripted { server, state }
    }

    fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().expect("calls").clone()
    }

    fn offsets(&self) -> Vec<u64> {
        self.calls().iter().map(|call| call.offset).collect()
    }

    fn client(&self) -> Client {
        Client::builder(Credentials::new("AKIDSCRIPTED", "scripted-secret"))
            .endpoint(self.server.url())
            .timeout(Duration::from_secs(5))
            .retry(RetryPolicy::disabled())
            .rate_limit(None)
            .build()
            .expect("client")
    }
}

fn answer(state: &ServerState, request: &Request) -> Answer {
    let action = request.header("X-TC-Action").unwrap_or_default();
    let mut response = if action != "DescribeZones" {
        api_error("InvalidAction", &format!("no action {action:?} here"))
    } else {
        let request = request.json();
        let offset = request["Offset"].as_u64().unwrap_or(0);
        let limit = request["Limit"].as_u64();
        let call = {
            let mut calls = state.calls.lock().expect("calls");
            let call = Call {
                n: calls.len(),
                offset,
                limit,
            };
            calls.push(call);
            call
        };
        (state.script)(call)
    };
    if response.get("RequestId").is_none() {
        response["RequestId"] = json!("scripted");
    }
    Answer::json(&json!({ "Response": response }))
}

fn api_error(code: &str, message: &str) -> Value {
    json!({ "Error": { "Code": code, "Message": message }, "RequestId": "scripted-error" })
}

fn zone(index: u64) -> Value {
    json!({ "ZoneId": format!("zone-{index}"), "ZoneName": format!("z{index}.example") })
}

/// Items `offset..offset+count` of a list of `len` items.
fn slice(len: u64, offset: u64, count: u64) -> Vec<Value> {
    (offset.min(len)..offset.saturating_add(count).min(len))
        .map(zone)
        .collect()
}

/// A well-behaved page of a list of `len` items that reports `total`.
fn page(call: Call, len: u64, total: u64) -> Value {
    let limit = call.limit.unwrap_or(20);
    json!({ "TotalCount": total, "Zones": slice(len, call.offset, limit) })
}

fn ids(zones: &[Zone]) -> Vec<String> {
    zones.iter().map(|zone| zone.zone_id.clone()).collect()
}

fn expected_ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|index| format!("zone-{index}")).collect()
}

async fn zone_items(server: &Scripted, page_size: u64) -> Vec<Result<Zone, Error>> {
    drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(page_size)
            .items(),
    )
    .await
}

async fn all_zones(server: &Scripted, page_size: u64) -> Vec<Zone> {
    zone_items(server, page_size)
        .await
        .into_iter()
        .map(|item| item.expect("item"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_behaved_server_and_the_request_sent() {
    let server = Scripted::start(|call| page(call, 30, 30)).await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 7, 14, 21, 28]);
    assert!(server.calls().iter().all(|call| call.limit == Some(7)));

    // Without a page size: the documented maximum, 100, one request.
    let server = Scripted::start(|call| page(call, 30, 30)).await;
    let pages = drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 1);
    assert_eq!(
        server.calls(),
        [Call {
            n: 0,
            offset: 0,
            limit: Some(100)
        }]
    );

    // The page size wins over the request's Limit; the request's Offset is the start.
    let server = Scripted::start(|call| page(call, 30, 30)).await;
    let zones = server
        .client()
        .describe_zones_paginator(DescribeZonesRequest::new().offset(12).limit(3))
        .page_size(8)
        .collect_items()
        .await
        .expect("items");
    assert_eq!(ids(&zones), expected_ids(12..30));
    assert_eq!(server.offsets(), [12, 20, 28]);
    assert!(server.calls().iter().all(|call| call.limit == Some(8)));

    // The streams are Send + 'static: they run on another task.
    let server = Scripted::start(|call| page(call, 30, 30)).await;
    let items = server
        .client()
        .describe_zones_paginator(DescribeZonesRequest::new())
        .page_size(11)
        .items();
    let zones: Vec<Zone> = tokio::spawn(drain(items))
        .await
        .expect("the task")
        .into_iter()
        .map(|item| item.expect("item"))
        .collect();
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 11, 22]);
}

/// (a) The list shrinks to 14 items while paging by 7: the second page (items 7..14, full)
/// reaches the new total and ends the stream; no third request, no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shrinking_total_ends_the_stream_at_the_new_total() {
    let server = Scripted::start(|call| match call.n {
        0 => page(call, 30, 30),
        _ => page(call, 14, 14),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..14));
    assert_eq!(server.offsets(), [0, 7]);

    // Shrinking below the offset already reached: the next page is empty and ends the stream.
    let server = Scripted::start(|call| match call.n {
        0 | 1 => page(call, 30, 30),
        _ => page(call, 10, 10),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..14));
    assert_eq!(server.offsets(), [0, 7, 14]);
}

/// (b) The list grows from 20 to 30 items on the third page: followed to 30, then stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_growing_total_is_followed() {
    let server = Scripted::start(|call| match call.n {
        0 | 1 => page(call, 20, 20),
        _ => page(call, 30, 30),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 7, 14, 21, 28]);

    // Growing on what would have been the last page (offset 14 of 20 → total 21).
    let server = Scripted::start(|call| match call.n {
        0 | 1 => page(call, 20, 20),
        _ => page(call, 21, 21),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..21));
    assert_eq!(server.offsets(), [0, 7, 14]);
}

/// (c) A server that ignores Offset: the first page, one repeat, two refetches, then
/// `Error::Paging`; the stream yields the first page's items once and ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_offset_ends_with_a_paging_error() {
    let server = Scripted::start(|call| page(Call { offset: 0, ..call }, 30, 30)).await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..7));
    assert_eq!(rest.len(), 1, "the error is the last element");
    match &rest[0] {
        Err(e) if e.kind() == ErrorKind::Paging => {
            assert_eq!(e.action(), Some("DescribeZones"));
            assert_eq!(e.paging_offset(), Some(7));
            assert!(e.to_string().contains("3 times"), "{e}");
        }
        other => panic!("expected Error::Paging, got {other:?}"),
    }
    assert_eq!(server.offsets(), [0, 7, 7, 7]);

    // Without a total (and with a full first page) the guard is the same.
    let server =
        Scripted::start(|call| json!({ "Zones": slice(30, 0, call.limit.unwrap_or(20)) })).await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..7));
    assert!(matches!(&rest[..], [Err(e)] if e.paging_offset() == Some(7)));
    assert_eq!(server.offsets(), [0, 7, 7, 7]);

    // Serving an earlier page that is not the first is caught the same way.
    let server = Scripted::start(|call| match call.offset {
        14 => page(Call { offset: 7, ..call }, 30, 30),
        _ => page(call, 30, 30),
    })
    .await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..14));
    assert!(matches!(&rest[..], [Err(e)] if e.paging_offset() == Some(14)));
    assert_eq!(server.offsets(), [0, 7, 14, 14, 14]);
}

/// (d) One repeated page, then a server that behaves: the page is fetched again, every item
/// comes once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_repeated_once_is_fetched_again() {
    let server = Scripted::start(|call| match call.n {
        1 => page(Call { offset: 0, ..call }, 30, 30),
        _ => page(call, 30, 30),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 7, 7, 14, 21, 28]);

    // Twice in a row is still within the two refetches.
    let server = Scripted::start(|call| match call.n {
        2 | 3 => page(Call { offset: 0, ..call }, 30, 30),
        _ => page(call, 30, 30),
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 7, 14, 14, 14, 21, 28]);
}

/// (e) No TotalCount in the answers (read as 0) while items keep coming: only an empty page
/// ends the stream (a short one may be the server's page cap), and it costs one request more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_total_stops_on_an_empty_page() {
    let server = Scripted::start(
        |call| json!({ "Zones": slice(20, call.offset, call.limit.unwrap_or(20)) }),
    )
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..20));
    assert_eq!(server.offsets(), [0, 7, 14, 20]);

    let server = Scripted::start(|call| {
        json!({ "TotalCount": 0, "Zones": slice(21, call.offset, call.limit.unwrap_or(20)) })
    })
    .await;
    let pages = drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(7)
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 3, "the empty fourth page is not yielded");
    let zones: Vec<Zone> = pages
        .into_iter()
        .flat_map(|page| page.expect("page").zones)
        .collect();
    assert_eq!(ids(&zones), expected_ids(0..21));
    assert_eq!(server.offsets(), [0, 7, 14, 21]);

    // A total reported once and then left out is kept.
    let server = Scripted::start(|call| match call.n {
        0 => page(call, 30, 30),
        _ => json!({ "Zones": slice(30, call.offset, call.limit.unwrap_or(20)) }),
    })
    .await;
    let zones = all_zones(&server, 10).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 10, 20]);
}

/// (f) More items than `Limit`: all are taken and the offset moves by the number received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_items_than_the_limit_are_all_taken() {
    let server = Scripted::start(|call| {
        let limit = call.limit.unwrap_or(20);
        json!({ "TotalCount": 30, "Zones": slice(30, call.offset, limit * 2) })
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 14, 28]);

    // The same without a total: the empty page after the list ends it.
    let server = Scripted::start(|call| {
        let limit = call.limit.unwrap_or(20);
        json!({ "Zones": slice(30, call.offset, limit * 2) })
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 14, 28, 30]);
}

/// Fewer items than `Limit` (a server whose largest page is smaller than the documented one):
/// with a total the paginator goes on until the total; without one, until an empty page — the
/// short pages do not truncate the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_capping_the_limit() {
    let server = Scripted::start(|call| {
        json!({ "TotalCount": 30, "Zones": slice(30, call.offset, call.limit.unwrap_or(20).min(5)) })
    })
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 5, 10, 15, 20, 25]);

    let server = Scripted::start(
        |call| json!({ "Zones": slice(30, call.offset, call.limit.unwrap_or(20).min(5)) }),
    )
    .await;
    let zones = all_zones(&server, 7).await;
    assert_eq!(ids(&zones), expected_ids(0..30));
    assert_eq!(server.offsets(), [0, 5, 10, 15, 20, 25, 30]);
}

/// (g) An API error on the second page: the first page, the error, the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_mid_way_ends_the_stream_after_it() {
    let script = |call: Call| match call.n {
        1 => api_error("InternalError", "scripted failure"),
        _ => page(call, 30, 30),
    };
    let server = Scripted::start(script).await;
    let pages = drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(7)
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 2);
    let first = pages[0].as_ref().expect("page 1");
    assert_eq!(ids(&first.zones), expected_ids(0..7));
    match &pages[1] {
        Err(e) if e.kind() == ErrorKind::Api => {
            assert_eq!(e.action(), Some("DescribeZones"));
            assert_eq!(e.code(), Some("InternalError"));
            assert_eq!(e.request_id(), Some("scripted-error"));
        }
        other => panic!("expected the API error, got {other:?}"),
    }
    assert_eq!(
        server.offsets(),
        [0, 7],
        "not retried, nothing after the error"
    );

    let server = Scripted::start(script).await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..7));
    assert!(matches!(&rest[..], [Err(e)] if e.code() == Some("InternalError")));
    assert_eq!(server.offsets(), [0, 7]);

    // collect_items gives the error alone.
    let server = Scripted::start(script).await;
    let error = server
        .client()
        .describe_zones_paginator(DescribeZonesRequest::new())
        .page_size(7)
        .collect_items()
        .await
        .expect_err("the error");
    assert_eq!(error.code(), Some("InternalError"));
    assert_eq!(server.offsets(), [0, 7]);
}

/// (h) An empty list: the empty first page is yielded once, then the stream ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_first_page_is_yielded_once() {
    let server = Scripted::start(|call| page(call, 0, 0)).await;
    let pages = drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(7)
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 1);
    let first = pages[0].as_ref().expect("the empty page");
    assert_eq!(first.total_count, 0);
    assert!(first.zones.is_empty());
    assert_eq!(first.request_id, "scripted");
    assert_eq!(server.offsets(), [0]);

    let server = Scripted::start(|call| page(call, 0, 0)).await;
    assert!(zone_items(&server, 7).await.is_empty());
    assert_eq!(server.offsets(), [0]);

    // An empty page later on while the total promises more: the listing is incomplete, and
    // the stream says so instead of ending (see `an_empty_page_below_the_total_is_an_error`).
    let server = Scripted::start(|call| page(call, 10, 30)).await;
    let pages = drain(
        server
            .client()
            .describe_zones_paginator(DescribeZonesRequest::new())
            .page_size(7)
            .pages(),
    )
    .await;
    assert_eq!(pages.len(), 3);
    assert!(pages[..2].iter().all(Result::is_ok));
    assert!(matches!(&pages[2], Err(e) if e.paging_offset() == Some(10)));
    assert_eq!(server.offsets(), [0, 7, 10]);
}

/// (i) A page with a total but no items — an empty list, or no list member at all — while the
/// offset is below the total: `Error::Paging` naming the action and the offset, never a
/// listing that ends short as a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_page_below_the_total_is_an_error() {
    // No list member at all, on the first page: no item, one error.
    let server = Scripted::start(|_| json!({ "TotalCount": 30 })).await;
    let results = zone_items(&server, 7).await;
    assert_eq!(results.len(), 1, "{results:?}");
    match &results[0] {
        Err(e) if e.kind() == ErrorKind::Paging => {
            assert_eq!(e.action(), Some("DescribeZones"));
            assert_eq!(e.paging_offset(), Some(0));
            let message = e.to_string();
            assert!(
                message.contains("DescribeZones") && message.contains("offset 0"),
                "{message}"
            );
            assert!(message.contains("total is 30"), "{message}");
        }
        other => panic!("expected Error::Paging, got {other:?}"),
    }
    assert_eq!(server.offsets(), [0]);
    let error = server
        .client()
        .describe_zones_paginator(DescribeZonesRequest::new())
        .collect_items()
        .await
        .expect_err("collect_items fails too");
    assert_eq!(error.kind(), ErrorKind::Paging);

    // An empty list mid-way: the items before it, then the error at its offset.
    let server = Scripted::start(|call| match call.n {
        2 => json!({ "TotalCount": 30, "Zones": [] }),
        _ => page(call, 30, 30),
    })
    .await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..14));
    assert!(
        matches!(&rest[..], [Err(e)] if e.paging_offset() == Some(14)),
        "{rest:?}"
    );
    assert_eq!(server.offsets(), [0, 7, 14]);

    // The list member missing mid-way and the total left out too (read as 0): the total
    // reported earlier still promises more.
    let server = Scripted::start(|call| match call.n {
        1 => json!({}),
        _ => page(call, 30, 30),
    })
    .await;
    let (items, rest) = split(zone_items(&server, 7).await);
    assert_eq!(ids(&items), expected_ids(0..7));
    assert!(matches!(&rest[..], [Err(e)] if e.paging_offset() == Some(7)));

    // The page reports a total at or below the offset: the list shrank, an honest end.
    let server = Scripted::start(|call| match call.n {
        0 | 1 => page(call, 30, 30),
        _ => json!({ "TotalCount": 14 }),
    })
    .await;
    assert_eq!(ids(&all_zones(&server, 7).await), expected_ids(0..14));
}
