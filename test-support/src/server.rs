//! A scripted HTTP/1.1 server on 127.0.0.1 for tests: it records every request (method, target,
//! headers, body) and answers from a queue of [`Answer`]s, then from a responder function when
//! the test gives one. Answers can misbehave the ways the code under test must survive — a body
//! that ends early, stalls, never ends, or is announced larger than any limit; no answer at all —
//! and can be held until a number of requests have arrived or the test opens a [`Gate`]: driven
//! by what the server received, never by timing.
//!
//! It runs on plain threads (one per connection), so it serves synchronous tests and tests on
//! any Tokio runtime alike, and stops — closing every connection — when dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The HTTP method as sent (`POST`, `GET`, `HEAD`).
    pub method: String,
    /// The request target as sent: the path and the query (`/a/b?x=1`), or an absolute URL
    /// when sent to a proxy.
    pub target: String,
    /// The header lines in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it came chunked.
    pub body: Vec<u8>,
    /// 0 for the first request the server received, then 1, 2, …
    pub index: usize,
}

impl Request {
    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query, without the `?`.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is none).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The function that answers when the queue is empty.
pub type Responder = dyn Fn(&Request) -> Answer + Send + Sync;

/// One scripted answer: a status, headers and a body, sent as soon as the request is read
/// unless held.
#[derive(Clone, Debug)]
pub struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    hold: Hold,
    close: bool,
}

#[derive(Clone, Debug)]
enum Body {
    /// These bytes, with their `Content-Length`.
    Bytes(Vec<u8>),
    /// `Content-Length: announced`, then only `sent`, then the connection closes.
    EndsEarly { announced: u64, sent: Vec<u8> },
    /// The head (`Content-Length: announced`, or chunked), `sent`, then nothing more until the
    /// client goes away or the server stops.
    Stalls {
        announced: Option<u64>,
        sent: Vec<u8>,
    },
    /// Chunks of `chunk` bytes of `fill` until the client goes away; under `Content-Length:
    /// announced`, or chunked.
    Endless {
        announced: Option<u64>,
        chunk: usize,
        fill: u8,
    },
    /// Chunked: `bytes` bytes of `x` every `every`, without end. The one paced body, for tests
    /// of what a slow sender does to deadlines.
    Trickle { bytes: usize, every: Duration },
    /// Nothing at all, not even the head, until the client goes away or the server stops.
    Silent,
}

#[derive(Clone, Debug)]
enum Hold {
    No,
    /// Until the server has received that many requests in all.
    UntilRequests(usize),
    /// Until the gate is opened.
    Gate(Gate),
}

impl Answer {
    /// `status` with an empty body.
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            hold: Hold::No,
            close: false,
        }
    }

    /// 200 with `value` as `application/json`.
    pub fn json(value: &serde_json::Value) -> Answer {
        Answer::status(200)
            .header("Content-Type", "application/json")
            .body(value.to_string())
    }

    /// `status` with `text` as `text/plain`.
    pub fn text(status: u16, text: impl Into<String>) -> Answer {
        Answer::status(status)
            .header("Content-Type", "text/plain")
            .body(text.into())
    }

    /// An answer that never comes: the connection stays open and silent until the client gives
    /// up (a timeout) or the server stops.
    pub fn silent() -> Answer {
        Answer {
            body: Body::Silent,
            ..Answer::status(200)
        }
    }

    /// Another header (sent as given, after the status line, in order).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Answer {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// This body, with its `Content-Length` (unless a header sets one).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Answer {
        self.body = Body::Bytes(body.into());
        self
    }

    /// Announces `announced` bytes, sends only `sent`, and closes the connection.
    pub fn ending_early(mut self, announced: u64, sent: impl Into<Vec<u8>>) -> Answer {
        self.body = Body::EndsEarly {
            announced,
            sent: sent.into(),
        };
        self
    }

    /// Sends the head (`Content-Length: announced`, or chunked when `None`) and `sent`, then
    /// nothing until the client goes away or the server stops.
    pub fn stalling(mut self, announced: Option<u64>, sent: impl Into<Vec<u8>>) -> Answer {
        self.body = Body::Stalls {
            announced,
            sent: sent.into(),
        };
        self
    }

    /// A body that never ends: chunks of `chunk` bytes of `fill`, chunked when `announced` is
    /// `None`, else under `Content-Length: announced` (an oversized answer). The bytes written
    /// are counted ([`TestServer::written`]).
    pub fn endless(mut self, announced: Option<u64>, chunk: usize, fill: u8) -> Answer {
        self.body = Body::Endless {
            announced,
            chunk,
            fill,
        };
        self
    }

    /// A chunked body of `bytes` bytes every `every`, without end: for tests of deadlines
    /// against a slow sender (the only answer paced by time).
    pub fn trickling(mut self, bytes: usize, every: Duration) -> Answer {
        self.body = Body::Trickle { bytes, every };
        self
    }

    /// Held until the server has received `requests` requests in all (this one included).
    pub fn held_until(mut self, requests: usize) -> Answer {
        self.hold = Hold::UntilRequests(requests);
        self
    }

    /// Held until `gate` is opened.
    pub fn held_by(mut self, gate: &Gate) -> Answer {
        self.hold = Hold::Gate(gate.clone());
        self
    }

    /// Closes the connection after this answer (`Connection: close`).
    pub fn closing(mut self) -> Answer {
        self.close = true;
        self
    }
}

/// A latch a test opens to release the answers held by it.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// A closed gate: answers held by it wait until [`Gate::open`].
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Releases every answer held by this gate, now and later.
    pub fn open(&self) {
        let (open, changed) = &*self.0;
        *lock(open) = true;
        changed.notify_all();
    }

    /// Waits until opened or until the server stops.
    fn wait(&self, stopping: &AtomicBool) {
        let (open, changed) = &*self.0;
        let mut is_open = lock(open);
        // The timeout only notices a stopped server; opening the gate wakes the wait at once.
        while !*is_open && !stopping.load(Ordering::SeqCst) {
            is_open = changed
                .wait_timeout(is_open, Duration::from_millis(50))
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
    }
}

/// A mutex's guard, also after a panicking test thread poisoned it (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct State {
    queue: VecDeque<Answer>,
    requests: Vec<Request>,
    connections: usize,
    /// Answers whose sending ended: written in full, or cut off by the client.
    ended: usize,
    written: u64,
    /// Every accepted connection, to close them on drop.
    streams: Vec<TcpStream>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled on every request received and on stop.
    changed: Condvar,
    responder: Option<Box<Responder>>,
    stopping: AtomicBool,
}

/// The server; stops when dropped.
pub struct TestServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl TestServer {
    /// A server on 127.0.0.1 answering from its queue ([`TestServer::push`]); a request the
    /// queue has no answer for gets a 500 saying so.
    pub fn start() -> TestServer {
        TestServer::launch("127.0.0.1:0", None).expect("tc-test-support: bind 127.0.0.1:0")
    }

    /// A server answering these, in order.
    pub fn scripted(answers: impl IntoIterator<Item = Answer>) -> TestServer {
        let server = TestServer::start();
        for answer in answers {
            server.push(answer);
        }
        server
    }

    /// A server answering from its queue first, then with `responder`.
    pub fn responding(
        responder: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::launch("127.0.0.1:0", Some(Box::new(responder)))
            .expect("tc-test-support: bind 127.0.0.1:0")
    }

    /// [`TestServer::responding`] on another address (`[::1]:0`); an error when it cannot be
    /// bound (no IPv6 loopback).
    pub fn bind(
        addr: &str,
        responder: impl Fn(&Request) -> Answer + Send + Sync + 'static,
    ) -> std::io::Result<TestServer> {
        TestServer::launch(addr, Some(Box::new(responder)))
    }

    fn launch(addr: &str, responder: Option<Box<Responder>>) -> std::io::Result<TestServer> {
        let addr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            responder,
            stopping: AtomicBool::new(false),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || accept(listener, accepting));
        Ok(TestServer {
            url: format!("http://{addr}"),
            addr,
            shared,
        })
    }

    /// `http://127.0.0.1:<port>` (`http://[::1]:<port>`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the server listens on, with the port the system picked.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues an answer: the next request without one gets it.
    pub fn push(&self, answer: Answer) {
        lock(&self.shared.state).queue.push_back(answer);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.state).requests.clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.state).requests.len()
    }

    /// The one request received; fails the test when there were more or none.
    pub fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests.into_iter().next().expect("one request")
    }

    /// Blocks until `count` requests have been received.
    pub fn wait_for_requests(&self, count: usize) {
        let mut state = lock(&self.shared.state);
        while state.requests.len() < count {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Blocks until the sending of `count` answers has ended — an endless body ends only when
    /// the client closes the connection.
    pub fn wait_for_ended_answers(&self, count: usize) {
        let mut state = lock(&self.shared.state);
        while state.ended < count {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        lock(&self.shared.state).connections
    }

    /// The body bytes of [`Answer::endless`] answers written so far.
    pub fn written(&self) -> u64 {
        lock(&self.shared.state).written
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        for stream in &lock(&self.shared.state).streams {
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Wakes the accepting thread, which then sees the flag and ends.
        let _ = TcpStream::connect(self.addr);
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        {
            let mut state = lock(&shared.state);
            state.connections += 1;
            if let Ok(clone) = stream.try_clone() {
                state.streams.push(clone);
            }
        }
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || serve(stream, &shared));
    }
}

/// Serves one connection: request, answer, until either side closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(mut request) = read_request(&mut reader, &mut writer) {
        let close_requested = request
            .header("Connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let queued = {
            let mut state = lock(&shared.state);
            request.index = state.requests.len();
            state.requests.push(request.clone());
            shared.changed.notify_all();
            state.queue.pop_front()
        };
        let answer = match (queued, &shared.responder) {
            (Some(answer), _) => answer,
            (None, Some(responder)) => responder(&request),
            (None, None) => Answer::text(
                500,
                format!(
                    "tc-test-support: no answer scripted for request #{} ({} {})",
                    request.index, request.method, request.target
                ),
            ),
        };
        match &answer.hold {
            Hold::No => {}
            Hold::UntilRequests(count) => {
                let mut state = lock(&shared.state);
                while state.requests.len() < *count && !shared.stopping.load(Ordering::SeqCst) {
                    state = shared
                        .changed
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
            }
            Hold::Gate(gate) => gate.wait(&shared.stopping),
        }
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let keep = write_answer(&mut writer, reader.get_mut(), &answer, shared).unwrap_or(false);
        lock(&shared.state).ended += 1;
        shared.changed.notify_all();
        if !keep || close_requested || answer.close {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Reads one request; `None` when the client closed the connection or sent no HTTP.
fn read_request(reader: &mut BufReader<TcpStream>, writer: &mut TcpStream) -> Option<Request> {
    let mut line = String::new();
    // Blank lines before a request are allowed (RFC 9112 2.2).
    while line.trim().is_empty() {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
        index: 0,
    };
    if request
        .header("Expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    let chunked = request
        .header("Transfer-Encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = size.trim().split(';').next()?;
            let size = usize::from_str_radix(size, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                // Trailers are not expected; the zero chunk's CRLF ended the body.
                break;
            }
            request.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = request.header("Content-Length") {
        let length: usize = length.parse().ok()?;
        request.body = vec![0; length];
        reader.read_exact(&mut request.body).ok()?;
    }
    Some(request)
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes `answer`; `Ok(true)` when the connection can serve another request.
fn write_answer(
    writer: &mut TcpStream,
    reader: &mut TcpStream,
    answer: &Answer,
    shared: &Shared,
) -> std::io::Result<bool> {
    let has = |name: &str| {
        answer
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let framing = |announced: Option<u64>| match announced {
        Some(length) => format!("Content-Length: {length}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    match &answer.body {
        Body::Bytes(bytes) => {
            if !has("Content-Length") && !has("Transfer-Encoding") {
                head.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
            }
            if answer.close {
                head.push_str("Connection: close\r\n");
            }
            head.push_str("\r\n");
            let mut all = head.into_bytes();
            all.extend_from_slice(bytes);
            writer.write_all(&all)?;
            writer.flush()?;
            Ok(true)
        }
        Body::EndsEarly { announced, sent } => {
            head.push_str(&format!(
                "Content-Length: {announced}\r\nConnection: close\r\n\r\n"
            ));
            writer.write_all(head.as_bytes())?;
            writer.write_all(sent)?;
            writer.flush()?;
            Ok(false)
        }
        Body::Stalls { announced, sent } => {
            head.push_str(&framing(*announced));
            head.push_str("\r\n");
            writer.write_all(head.as_bytes())?;
            if announced.is_some() {
                writer.write_all(sent)?;
            } else if !sent.is_empty() {
                writer.write_all(format!("{:x}\r\n", sent.len()).as_bytes())?;
                writer.write_all(sent)?;
                writer.write_all(b"\r\n")?;
            }
            writer.flush()?;
            wait_for_close(reader);
            Ok(false)
        }
        Body::Endless {
            announced,
            chunk,
            fill,
        } => {
            head.push_str(&framing(*announced));
            head.push_str("\r\n");
            writer.write_all(head.as_bytes())?;
            let chunk = vec![*fill; *chunk];
            loop {
                if announced.is_none() {
                    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                    framed.extend_from_slice(&chunk);
                    framed.extend_from_slice(b"\r\n");
                    writer.write_all(&framed)?;
                } else {
                    writer.write_all(&chunk)?;
                }
                lock(&shared.state).written += chunk.len() as u64;
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(false);
                }
            }
        }
        Body::Trickle { bytes, every } => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            writer.write_all(head.as_bytes())?;
            let mut framed = format!("{bytes:x}\r\n").into_bytes();
            framed.extend(std::iter::repeat_n(b'x', *bytes));
            framed.extend_from_slice(b"\r\n");
            loop {
                std::thread::sleep(*every);
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(false);
                }
                writer.write_all(&framed)?;
            }
        }
        Body::Silent => {
            wait_for_close(reader);
            Ok(false)
        }
    }
}

/// Blocks until the client closes the connection or the server stops (which shuts it down).
fn wait_for_close(stream: &mut TcpStream) {
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}
