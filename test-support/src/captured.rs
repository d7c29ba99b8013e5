//! What a test logged through `tracing`, kept in memory, and the process of its own such a test
//! runs in.
//!
//! Why a process of its own: `tracing` caches per call site, for the whole process, whether
//! anyone listens. A subscriber set for one thread (`set_default`) makes the cache be rebuilt,
//! but a call site that another test's thread was registering at that moment can store "nobody
//! listens" after the rebuild, and its events are then lost for good (seen in CI: the `ok`
//! event of a call vanished while 80 other tests ran beside it). Alone in a process, the
//! subscriber exists before any call site is registered.

use std::process::Command;
use std::sync::{Arc, Mutex};

/// The variable naming the one test a child process runs.
const ALONE: &str = "TC_TEST_ALONE";

/// Whether the calling test runs alone in a process; when it does not, runs it so and checks it
/// passed. Put it first in a test that captures logs:
/// `if !tc_test_support::alone("tracing::calls_are_traced") { return; }` — the name as `cargo
/// test` lists it. The child's output is in the panic message when it fails.
pub fn alone(test: &str) -> bool {
    if std::env::var(ALONE).is_ok_and(|name| name == test) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = Command::new(exe)
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(ALONE, test)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} alone in a process: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    false
}

/// A `tracing` writer keeping everything in memory, for tests that look at what was logged.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Captures what this thread logs at `level` and above until the guard is dropped. Only in
    /// a test running [`alone`].
    pub fn at(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
        assert!(
            std::env::var_os(ALONE).is_some(),
            "a test capturing logs runs alone in its process: start it with tc_test_support::alone"
        );
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (captured, guard)
    }

    /// Captures what this thread logs at `warn` and above until the guard is dropped.
    pub fn warnings() -> (Captured, tracing::subscriber::DefaultGuard) {
        Self::at(tracing::Level::WARN)
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes).expect("UTF-8 logs")
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
