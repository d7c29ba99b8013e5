//! What the official-client tests share.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `command`, which must succeed (its output is shown when it does not).
pub fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A moto S3 server on 127.0.0.1 (from the Python engines of tc-test-support's `tools`, as
/// teo-logs' tests start it), stopped on drop; None (the test skipped) without it.
pub struct Moto {
    child: std::process::Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Option<Moto> {
        use std::time::{Duration, Instant};
        let python = tc_test_support::tools::python_engines()?;
        let server = python.with_file_name("moto_server");
        if !server.exists() {
            tc_test_support::tools::skip(&format!("moto_server ({})", server.display()));
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let child = tc_test_support::tools::moto_server(&python, port)
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

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn create_bucket(&self, name: &str) {
        assert_eq!(self.request("PUT", &format!("/{name}")), Some(200));
    }

    /// The status of a bare request (moto checks no signatures by default).
    fn request(&self, method: &str, path: &str) -> Option<u16> {
        use std::io::{Read as _, Write as _};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .ok()?;
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
