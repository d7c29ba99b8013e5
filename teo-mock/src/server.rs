//! The HTTP server and the request pipeline.
//!
//! The accept loop and the HTTP/1 connections are driven here directly (hyper), because some
//! faults act on the connection itself: a reset closes the socket with RST, a truncated body
//! closes it mid-response.
//!
//! `POST /` goes through, in order (the stages are in `api`): body size limit → signature
//! ([`auth::verify`](crate::auth::verify)) → `X-TC-Version` → `X-TC-Action` present → rate
//! limiter → injected faults → [`validate::check_parsed`](crate::validate::check_parsed) →
//! the answer ([`LogStore::list`] for DownloadL4Logs / DownloadL7Logs,
//! [`answers::answer`](crate::answers::answer) otherwise). Every API answer, error or not, is
//! HTTP 200 with `{"Response": {…, "RequestId": …}}`. `GET /logs/<file>` serves the log packets
//! the DownloadL4Logs / DownloadL7Logs answers point at, after consulting the injected faults
//! under the pseudo-action [`LOG_PACKET_ACTION`] (no signature, version or rate limit there).
//! Listing and generating packets run on tokio's blocking pool, as large packets
//! ([`MockConfig::log_packet_bytes`]) take a while to generate.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use crate::auth::{Credential, Replays};
use crate::error::{codes, request_id, ApiError};
use crate::faults::{Fault, FaultInjector, FaultPlan, RateLimiter, LOG_PACKET_ACTION};
use crate::lifecycle::Lifecycle;
use crate::logs::{self, LogStore, DEFAULT_CACHE_BYTES, MAX_PACKET_BYTES};
use crate::push::{PushFaults, PushHub, PushLedger, PushSettings};
use crate::spec::Spec;

mod api;
use api::api;

/// The SecretId the mock accepts by default.
pub const DEFAULT_SECRET_ID: &str = "AKIDMOCKMOCKMOCKMOCKMOCKMOCKMOCKMOCK";
/// The SecretKey of [`DEFAULT_SECRET_ID`].
pub const DEFAULT_SECRET_KEY: &str = "mock-secret-key";
/// The only API version the mock answers (`X-TC-Version`).
pub const API_VERSION: &str = "2022-09-01";
/// Calls a second allowed per action unless configured otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 100;
/// The largest request body accepted unless configured otherwise (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// How long a client may take to send a request's headers unless configured otherwise.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body unless configured otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once unless configured otherwise; more are closed on arrival.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Records a second a delivery task pushes unless configured otherwise.
pub const DEFAULT_PUSH_RATE: u32 = 100;
/// Records per POST (or object) unless configured otherwise.
pub const DEFAULT_PUSH_BATCH: usize = 100;
/// The first wait before resending a batch unless configured otherwise.
pub const DEFAULT_PUSH_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait before resending a batch (`Retry-After` included) unless configured
/// otherwise.
pub const DEFAULT_PUSH_BACKOFF_CAP: Duration = Duration::from_secs(10);
/// How long a push request may take before it counts as unanswered.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long in-flight requests may take to finish on [`MockServer::shutdown`] before their
/// connections are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// How long a truncated response waits between its partial body and closing the connection, so
/// the partial bytes reach the client first.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(20);
/// The page a proxy answers with when the API behind it is down.
const BAD_GATEWAY_PAGE: &str =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// How the mock behaves. `MockConfig::default()` listens on `127.0.0.1:0` (a free port), accepts
/// the built-in credentials, verifies signatures, limits each action to 100 calls a second,
/// injects no faults, serves log packets of 50–400 records and caches up to 64 MiB of them.
/// Fields are public; the methods of the same names chain.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Where to listen; port 0 picks a free one ([`MockServer::addr`] tells which).
    pub bind: SocketAddr,
    /// The credentials whose signatures are accepted (with the session token each requires).
    pub credentials: Vec<Credential>,
    /// Whether the TC3 signature of each request is checked.
    pub verify_signature: bool,
    /// Calls a second allowed per action (`RequestLimitExceeded` beyond); `None` for no limit.
    pub rate_limit: Option<u32>,
    /// The largest request body accepted, in bytes (`RequestSizeLimitExceeded` beyond).
    pub body_limit: usize,
    /// Faults to inject, in order (see [`crate::faults`]); more can be added while running.
    pub faults: Vec<FaultPlan>,
    /// The `X-TC-Version` requests must carry (`NoSuchVersion` otherwise).
    pub api_version: String,
    /// `Some(n)`: every log packet is extended with more deterministic records until its gzip
    /// file has at least `n` bytes (for benchmarks; at most [`MAX_PACKET_BYTES`], 1 GiB, else
    /// [`MockServer::start`] fails). The listed `Size` is always the exact served length.
    pub log_packet_bytes: Option<u64>,
    /// The bound, in bytes, of the cache of served log packets (default 64 MiB); the oldest
    /// are evicted beyond it and regenerated when asked for again.
    pub log_cache_bytes: usize,
    /// How long a client may take to send a request's headers (10 s); the connection is closed
    /// beyond it, so a half-sent request cannot hold a connection forever.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body (30 s); beyond it the request gets
    /// an `InvalidParameter` as an API error and the connection is closed.
    pub body_timeout: Duration,
    /// Connections served at once (512); a connection beyond is closed on arrival.
    pub max_connections: usize,
    /// How long created purge/prefetch tasks, sites, acceleration domains and verifications
    /// take to finish (3 s; see [`crate::lifecycle`]).
    pub task_duration: Duration,
    /// Records a second each real-time log delivery task pushes (100; see [`crate::push`]).
    pub push_rate: u32,
    /// Records per POST or object (100).
    pub push_batch: usize,
    /// `Some(n)`: a task stops pushing once `n` records are acknowledged (tests use it);
    /// `None`: it pushes until deleted.
    pub push_total: Option<u64>,
    /// The first wait before a batch is resent (200 ms), doubled at each attempt…
    pub push_backoff: Duration,
    /// …up to this (10 s), which also bounds a `Retry-After`.
    pub push_backoff_cap: Duration,
    /// How long a push request may take before it counts as unanswered (10 s).
    pub push_timeout: Duration,
    /// Extra receivers: batches go in turn to a task's URL and these, as behind a load
    /// balancer (a resend goes to the next one).
    pub push_targets: Vec<String>,
    /// Faults of the push, armed by count ([`crate::push::faults`]); shared with
    /// [`MockServer::push_faults`].
    pub push_faults: PushFaults,
    /// Push to any host; by default only to loopback and private addresses.
    pub push_anywhere: bool,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            credentials: vec![Credential::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)],
            verify_signature: true,
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            body_limit: DEFAULT_BODY_LIMIT,
            faults: Vec::new(),
            api_version: API_VERSION.to_owned(),
            log_packet_bytes: None,
            log_cache_bytes: DEFAULT_CACHE_BYTES,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            task_duration: Duration::from_secs(3),
            push_rate: DEFAULT_PUSH_RATE,
            push_batch: DEFAULT_PUSH_BATCH,
            push_total: None,
            push_backoff: DEFAULT_PUSH_BACKOFF,
            push_backoff_cap: DEFAULT_PUSH_BACKOFF_CAP,
            push_timeout: DEFAULT_PUSH_TIMEOUT,
            push_targets: Vec::new(),
            push_faults: PushFaults::default(),
            push_anywhere: false,
        }
    }
}

impl MockConfig {
    /// Sets [`MockConfig::bind`].
    pub fn bind(mut self, addr: SocketAddr) -> MockConfig {
        self.bind = addr;
        self
    }

    /// Sets the port of `bind` (0: any free port).
    pub fn port(mut self, port: u16) -> MockConfig {
        self.bind.set_port(port);
        self
    }

    /// Replaces the accepted credentials.
    pub fn credentials(mut self, credentials: impl IntoIterator<Item = Credential>) -> MockConfig {
        self.credentials = credentials.into_iter().collect();
        self
    }

    /// Accepts one more credential besides the configured ones.
    pub fn add_credential(mut self, credential: Credential) -> MockConfig {
        self.credentials.push(credential);
        self
    }

    /// Sets [`MockConfig::verify_signature`].
    pub fn verify_signature(mut self, on: bool) -> MockConfig {
        self.verify_signature = on;
        self
    }

    /// `Some(n)`: n calls a second per action; `None`: no rate limit.
    pub fn rate_limit(mut self, per_second: Option<u32>) -> MockConfig {
        self.rate_limit = per_second;
        self
    }

    /// Sets [`MockConfig::body_limit`], in bytes.
    pub fn body_limit(mut self, bytes: usize) -> MockConfig {
        self.body_limit = bytes;
        self
    }

    /// Sets [`MockConfig::header_timeout`].
    pub fn header_timeout(mut self, timeout: Duration) -> MockConfig {
        self.header_timeout = timeout;
        self
    }

    /// Sets [`MockConfig::body_timeout`].
    pub fn body_timeout(mut self, timeout: Duration) -> MockConfig {
        self.body_timeout = timeout;
        self
    }

    /// Sets [`MockConfig::max_connections`].
    pub fn max_connections(mut self, connections: usize) -> MockConfig {
        self.max_connections = connections;
        self
    }

    /// Adds a fault plan.
    pub fn fault(mut self, plan: FaultPlan) -> MockConfig {
        self.faults.push(plan);
        self
    }

    /// Sets [`MockConfig::api_version`], the `X-TC-Version` requests must carry.
    pub fn api_version(mut self, version: impl Into<String>) -> MockConfig {
        self.api_version = version.into();
        self
    }

    /// `Some(n)`: log packets of at least `n` gzip bytes each (see the field); `None`: their own
    /// 50–400 records.
    pub fn log_packet_bytes(mut self, min_bytes: Option<u64>) -> MockConfig {
        self.log_packet_bytes = min_bytes;
        self
    }

    /// How long created tasks and objects take to finish.
    pub fn task_duration(mut self, duration: Duration) -> MockConfig {
        self.task_duration = duration;
        self
    }

    /// Sets [`MockConfig::push_rate`], records a second per task.
    pub fn push_rate(mut self, per_second: u32) -> MockConfig {
        self.push_rate = per_second;
        self
    }

    /// Sets [`MockConfig::push_batch`], records per POST.
    pub fn push_batch(mut self, records: usize) -> MockConfig {
        self.push_batch = records;
        self
    }

    /// Sets [`MockConfig::push_total`].
    pub fn push_total(mut self, records: Option<u64>) -> MockConfig {
        self.push_total = records;
        self
    }

    /// Sets [`MockConfig::push_backoff`] and [`MockConfig::push_backoff_cap`].
    pub fn push_backoff(mut self, base: Duration, cap: Duration) -> MockConfig {
        self.push_backoff = base;
        self.push_backoff_cap = cap;
        self
    }

    /// Sets [`MockConfig::push_timeout`].
    pub fn push_timeout(mut self, timeout: Duration) -> MockConfig {
        self.push_timeout = timeout;
        self
    }

    /// Adds an extra receiver URL ([`MockConfig::push_targets`]).
    pub fn push_target(mut self, url: impl Into<String>) -> MockConfig {
        self.push_targets.push(url.into());
        self
    }

    /// Sets [`MockConfig::push_anywhere`].
    pub fn push_anywhere(mut self, on: bool) -> MockConfig {
        self.push_anywhere = on;
        self
    }

    /// Bounds the cache of served log packets, in bytes.
    pub fn log_cache_bytes(mut self, max_bytes: usize) -> MockConfig {
        self.log_cache_bytes = max_bytes;
        self
    }
}

/// What every connection of a server shares.
struct Shared {
    spec: Spec,
    credentials: Vec<Credential>,
    verify_signature: bool,
    limiter: Option<RateLimiter>,
    body_limit: usize,
    header_timeout: Duration,
    body_timeout: Duration,
    /// One permit per connection served ([`MockConfig::max_connections`]).
    connections: Arc<Semaphore>,
    api_version: String,
    faults: FaultInjector,
    logs: LogStore,
    base_url: String,
    /// v1 requests already accepted (their Nonce may not come again).
    replays: Replays,
    lifecycle: Lifecycle,
    push: Arc<PushHub>,
}

/// A running mock. Dropping it stops the server too (without waiting); [`MockServer::shutdown`]
/// stops it and waits until the port is free.
pub struct MockServer {
    addr: SocketAddr,
    url: String,
    faults: FaultInjector,
    push: Arc<PushHub>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn embedded_spec() -> io::Result<Spec> {
    static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();
    SPEC.get_or_init(Spec::embedded)
        .clone()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("embedded spec: {e}")))
}

impl MockServer {
    /// Binds `config.bind` and serves on the current tokio runtime until [`shutdown`] or drop.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] when `config.log_packet_bytes` exceeds
    /// [`MAX_PACKET_BYTES`], or with the error of binding.
    ///
    /// [`shutdown`]: MockServer::shutdown
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        if let Some(bytes) = config.log_packet_bytes.filter(|&b| b > MAX_PACKET_BYTES) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("log packet size {bytes} exceeds the maximum of {MAX_PACKET_BYTES} bytes"),
            ));
        }
        let spec = embedded_spec()?;
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let url = base_url(addr);
        let faults = FaultInjector::new(config.faults);
        let push = Arc::new(PushHub::new(
            PushSettings {
                rate: config.push_rate,
                batch: config.push_batch,
                total: config.push_total,
                backoff: config.push_backoff,
                backoff_cap: config.push_backoff_cap,
                timeout: config.push_timeout,
                targets: config.push_targets,
                faults: config.push_faults,
            },
            config.push_anywhere,
        ));
        let shared = Arc::new(Shared {
            spec,
            credentials: config.credentials,
            verify_signature: config.verify_signature,
            limiter: config.rate_limit.map(RateLimiter::new),
            body_limit: config.body_limit,
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            connections: Arc::new(Semaphore::new(config.max_connections)),
            api_version: config.api_version,
            faults: faults.clone(),
            logs: LogStore::new()
                .packet_bytes(config.log_packet_bytes)
                .cache_bytes(config.log_cache_bytes),
            base_url: url.clone(),
            replays: Replays::default(),
            lifecycle: Lifecycle::new(config.task_duration),
            push: Arc::clone(&push),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared, shutdown_rx));
        tracing::info!(%addr, "teo-mock listening");
        Ok(MockServer {
            addr,
            url,
            faults,
            push,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: the endpoint to give the SDK.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The address the server listens on (its real port when `bind` asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's fault plans: add or clear plans while it runs.
    pub fn faults(&self) -> &FaultInjector {
        &self.faults
    }

    /// The faults of the real-time log push ([`crate::push::faults`]): arm them while it runs.
    pub fn push_faults(&self) -> &PushFaults {
        self.push.faults()
    }

    /// The real-time log delivery tasks created and not deleted, oldest first.
    pub fn push_tasks(&self) -> Vec<String> {
        self.push.task_ids()
    }

    /// What a delivery task pushed so far (also after it was deleted); None for an unknown
    /// task.
    pub fn push_ledger(&self, task_id: &str) -> Option<PushLedger> {
        self.push.ledger(task_id)
    }

    /// Waits until `until` holds of a task's ledger (woken by each change, never polling) and
    /// returns it; None for an unknown task. Bound it with a timeout.
    pub async fn push_wait(
        &self,
        task_id: &str,
        until: impl Fn(&PushLedger) -> bool,
    ) -> Option<PushLedger> {
        self.push.wait(task_id, until).await
    }

    /// Stops accepting, lets in-flight requests finish (up to 2 s), closes every connection and
    /// waits for the server task: the port is free when this returns.
    pub async fn shutdown(mut self) {
        self.push.stop_all();
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.push.stop_all();
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            // Dropping the task's JoinSet aborts every connection task too.
            task.abort();
        }
    }
}

/// The URL clients reach `addr` at (a wildcard bind is reached on loopback).
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match shared.connections.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let serve = serve_connection(stream, shared.clone(), shutdown.clone());
                        connections.spawn(async move {
                            serve.await;
                            drop(permit);
                        });
                    }
                    // At the cap: close at once rather than queue, so the client fails fast
                    // and the mock's memory and descriptors stay bounded.
                    Err(_) => {
                        tracing::warn!(%peer, "connection limit reached; closing a new connection");
                        drop(stream);
                    }
                },
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // A dropped sender also means stop.
            _ = stopped(&mut shutdown) => break,
            // Reap finished connection tasks as they end.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_millis(500), all_closed)
        .await
        .is_err()
    {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Resolves once shutdown is asked for (or the server handle is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Per-connection control the request handler needs for connection-level faults.
struct Connection {
    /// A second handle on the connection's socket, to set SO_LINGER 0 before a reset.
    socket: Option<socket2::Socket>,
    /// Tells the connection task to drop the connection at once.
    abort: Notify,
}

impl Connection {
    /// Arms a reset: with linger 0, closing the socket sends RST instead of FIN.
    fn reset(&self) {
        if let Some(socket) = &self.socket {
            if let Err(e) = socket.set_linger(Some(Duration::ZERO)) {
                tracing::warn!(error = %e, "cannot set SO_LINGER for a reset");
            }
        }
        self.abort.notify_one();
    }
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let connection = Arc::new(Connection {
        socket: socket2::SockRef::from(&stream).try_clone().ok(),
        abort: Notify::new(),
    });
    let header_timeout = shared.header_timeout;
    let service = {
        let connection = connection.clone();
        service_fn(move |request| handle(shared.clone(), connection.clone(), request))
    };
    let conn = http1::Builder::new()
        .keep_alive(true)
        // A client that never finishes its headers loses the connection.
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        // Returning drops the connection and both socket handles: with linger 0, an RST.
        _ = connection.abort.notified() => {}
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                _ = tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()) => {}
                _ = connection.abort.notified() => {}
            }
        }
    }
}

/// A response body: whole, or cut short (then the connection is closed with an error).
struct MockBody {
    data: Option<Bytes>,
    /// For a truncated body: the pause after the partial data, then the error that closes the
    /// connection.
    abort_after: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl MockBody {
    fn full(data: impl Into<Bytes>) -> MockBody {
        MockBody {
            data: Some(data.into()),
            abort_after: None,
        }
    }

    fn truncated(partial: Bytes) -> MockBody {
        MockBody {
            data: Some(partial),
            abort_after: Some(Box::pin(tokio::time::sleep(TRUNCATE_PAUSE))),
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(data) = self.data.take() {
            if !data.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
        }
        match self.abort_after.as_mut() {
            None => Poll::Ready(None),
            Some(pause) => match pause.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    self.abort_after = None;
                    Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "response truncated by fault injection",
                    ))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.abort_after.is_none() && self.data.as_ref().is_none_or(|d| d.is_empty())
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.abort_after, &self.data) {
            // Unknown, so hyper sends the Content-Length header set by hand.
            (Some(_), _) => SizeHint::default(),
            (None, Some(data)) => SizeHint::with_exact(data.len() as u64),
            (None, None) => SizeHint::with_exact(0),
        }
    }
}

fn response(status: StatusCode, content_type: &'static str, body: MockBody) -> Response<MockBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_response(value: &Value) -> Response<MockBody> {
    response(
        StatusCode::OK,
        "application/json",
        MockBody::full(value.to_string()),
    )
}

/// HTTP 200 with the Content-Length of all of `body` but only about half of its bytes.
fn truncated_response(content_type: &'static str, body: Bytes) -> Response<MockBody> {
    let full_length = body.len();
    let partial = body.slice(..full_length / 2);
    let mut response = response(StatusCode::OK, content_type, MockBody::truncated(partial));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full_length));
    response
}

fn text_response(status: StatusCode, text: &'static str) -> Response<MockBody> {
    response(status, "text/plain; charset=utf-8", MockBody::full(text))
}

/// What the API pipeline produced.
enum Outcome {
    /// An answer in the API envelope (HTTP 200).
    Answer(Result<Value, ApiError>),
    /// The HTML 502 page.
    BadGateway,
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Close the connection with RST, answering nothing.
    Reset,
}

async fn handle(
    shared: Arc<Shared>,
    connection: Arc<Connection>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, Infallible> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    if matches!(parts.method, Method::POST | Method::GET) && path == "/" {
        let query = parts.uri.query().unwrap_or("");
        let method = parts.method.as_str();
        let mut action = String::new();
        let mut truncate = false;
        let outcome = api(
            &shared,
            &parts.method,
            &parts.headers,
            query,
            body,
            &mut action,
            &mut truncate,
        )
        .await;
        let (response, code) = match outcome {
            Outcome::Answer(answer) => {
                let request_id = request_id();
                let (envelope, code) = match answer {
                    Ok(mut response) => {
                        if let Value::Object(members) = &mut response {
                            members.insert("RequestId".into(), Value::String(request_id));
                        } else {
                            response = json!({ "RequestId": request_id });
                        }
                        (json!({ "Response": response }), "OK")
                    }
                    Err(error) => (error.envelope(&request_id), error.code),
                };
                if truncate {
                    (
                        truncated_response("application/json", Bytes::from(envelope.to_string())),
                        "truncated",
                    )
                } else {
                    (json_response(&envelope), code)
                }
            }
            Outcome::BadGateway => (
                response(
                    StatusCode::BAD_GATEWAY,
                    "text/html",
                    MockBody::full(BAD_GATEWAY_PAGE),
                ),
                "bad-gateway",
            ),
            Outcome::MalformedJson => {
                let envelope = json!({ "Response": { "RequestId": request_id() } }).to_string();
                let cut = envelope[..envelope.len() / 2].to_owned();
                (
                    response(StatusCode::OK, "application/json", MockBody::full(cut)),
                    "bad-json",
                )
            }
            Outcome::Reset => {
                log_request(method, &action, "reset", started);
                connection.reset();
                // The connection task drops this future with the connection.
                return std::future::pending().await;
            }
        };
        log_request(method, &action, code, started);
        return Ok(response);
    }
    if matches!(parts.method, Method::GET | Method::HEAD) {
        if let Some(file) = path.strip_prefix("/logs/") {
            let (response, code) =
                match log_packet(&shared, file, parts.method == Method::GET).await {
                    PacketOutcome::Respond(response, code) => (response, code),
                    PacketOutcome::Reset => {
                        log_request(parts.method.as_str(), file, "reset", started);
                        connection.reset();
                        // The connection task drops this future with the connection.
                        return std::future::pending().await;
                    }
                };
            log_request(parts.method.as_str(), file, code, started);
            return Ok(response);
        }
    }
    // Anything else still gets the API's envelope (HTTP 200, as every API failure), so a client
    // pointed at a wrong path or method reads a typed error instead of an HTML page.
    let error = if path == "/" {
        ApiError::new(
            codes::UNSUPPORTED_PROTOCOL,
            format!(
                "The HTTP method {} is not supported; send the request with POST or GET.",
                shown(parts.method.as_str())
            ),
        )
    } else {
        ApiError::new(
            codes::INVALID_ACTION,
            format!(
                "There is no API at the path {}: Tencent Cloud API 3.0 requests go to `/`, \
                 log packets are at /logs/<file>.",
                shown(path)
            ),
        )
    };
    log_request(parts.method.as_str(), "", error.code, started);
    Ok(json_response(&error.envelope(&request_id())))
}

/// Client text quoted in a message: at most 200 characters, control characters escaped (the
/// JSON encoding escapes the rest).
fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(200)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    format!("`{out}`")
}

/// What a log packet request gets.
enum PacketOutcome {
    /// A response, and its code for the request log.
    Respond(Response<MockBody>, &'static str),
    /// Close the connection with RST, answering nothing.
    Reset,
}

/// `GET /logs/<file>` (with `faulty`, consulting the injector as [`LOG_PACKET_ACTION`]) or
/// `HEAD /logs/<file>` (never faulted).
async fn log_packet(shared: &Arc<Shared>, file: &str, faulty: bool) -> PacketOutcome {
    let decision = if faulty {
        shared.faults.decide(LOG_PACKET_ACTION)
    } else {
        Default::default()
    };
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let respond = |status, text: &'static str, code| {
        PacketOutcome::Respond(text_response(status, text), code)
    };
    match decision.fault {
        Some(Fault::ConnectionReset) => return PacketOutcome::Reset,
        Some(Fault::BadGateway) => {
            return PacketOutcome::Respond(
                response(
                    StatusCode::BAD_GATEWAY,
                    "text/html",
                    MockBody::full(BAD_GATEWAY_PAGE),
                ),
                "bad-gateway",
            )
        }
        Some(Fault::InternalError) => {
            return respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error (injected fault)\n",
                "500",
            )
        }
        Some(Fault::RequestLimitExceeded) => {
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "slow down: request rate exceeded (injected fault)\n",
                "503",
            )
        }
        None
        | Some(Fault::Latency(_))
        | Some(Fault::RepeatPage)
        | Some(Fault::TruncatedBody)
        | Some(Fault::Corrupt)
        | Some(Fault::MalformedJson) => {}
    }
    let Some(bytes) = packet_bytes(shared, file).await else {
        return respond(StatusCode::NOT_FOUND, "no such log packet\n", "404");
    };
    match decision.fault {
        Some(Fault::TruncatedBody) => {
            PacketOutcome::Respond(truncated_response("application/gzip", bytes), "truncated")
        }
        Some(Fault::Corrupt | Fault::MalformedJson) => PacketOutcome::Respond(
            response(
                StatusCode::OK,
                "application/gzip",
                MockBody::full(logs::corrupt(&bytes)),
            ),
            "corrupt",
        ),
        _ => PacketOutcome::Respond(
            response(StatusCode::OK, "application/gzip", MockBody::full(bytes)),
            "OK",
        ),
    }
}

/// A packet's bytes: from the cache, or generated on the blocking pool (a large packet takes a
/// while). None for a name that is no packet's, or if generating it panicked.
async fn packet_bytes(shared: &Arc<Shared>, file: &str) -> Option<Bytes> {
    if let Some(bytes) = shared.logs.cached(file) {
        return Some(bytes);
    }
    let shared = Arc::clone(shared);
    let file = file.to_owned();
    tokio::task::spawn_blocking(move || shared.logs.packet(&file))
        .await
        .ok()
        .flatten()
}

fn log_request(method: &str, action: &str, code: &str, started: Instant) {
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(method, action, code, latency_ms, "request");
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Runs a module's function, turning a panic into an InternalError answer: a request never
/// takes the connection down.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, ApiError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| panicked())
}

/// The answer when the mock panicked while answering.
fn panicked() -> ApiError {
    ApiError::new(
        codes::INTERNAL_ERROR,
        "The mock failed while answering this request.",
    )
}
