//! moto's S3 server on 127.0.0.1 for the tests of every crate that talks to a bucket.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::tools;

/// A moto S3 server on 127.0.0.1 (from the Python engines of [`tools`], one request at a time:
/// see [`tools::moto_server`]), stopped on drop.
pub struct Moto {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Moto {
    /// Starts one; `None` (the test skipped, or failed under `TEO_REQUIRE_TOOLS=1`) without
    /// moto.
    pub fn start() -> Option<Moto> {
        let python = tools::python_engines()?;
        let server = python.with_file_name("moto_server");
        if !server.exists() {
            tools::skip(&format!("moto_server ({})", server.display()));
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = tools::moto_server(&python, port)
            .spawn()
            .expect("moto's server starts");
        let moto = Moto { child, port };
        // An outside process: its start is waited for by polling (nothing to be told by).
        let deadline = Instant::now() + Duration::from_secs(60);
        while moto.request("GET", "/") != Some(200) {
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id (a test stops and continues it: the store down for a while).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Creates the bucket `name`.
    pub fn create_bucket(&self, name: &str) {
        assert_eq!(self.request("PUT", &format!("/{name}")), Some(200));
    }

    /// Puts `body` at `/bucket/key`.
    pub fn put_object(&self, path: &str, body: &[u8]) {
        assert_eq!(
            self.request_with("PUT", path, body),
            Some(200),
            "PUT {path}"
        );
    }

    /// The status of a bare request (moto checks no signatures by default).
    pub fn request(&self, method: &str, path: &str) -> Option<u16> {
        self.request_with(method, path, b"")
    }

    fn request_with(&self, method: &str, path: &str, body: &[u8]) -> Option<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        )
        .ok()?;
        stream.write_all(body).ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).ok()?;
        std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
