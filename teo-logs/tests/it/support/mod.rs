//! Real engines for the data tests, from the venv under `target/py` the tests install on first
//! use (tc-test-support's `tools`): Python with `duckdb` and `pyarrow`, and `moto` as a local
//! S3-compatible server.
//!
//! Without them a test says so in one line and passes, unless `TEO_REQUIRE_TOOLS=1` (set by
//! `.ci/run`), when it fails.
#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tc_test_support::tools;

/// A Python with duckdb, pyarrow and moto: `TEO_PYTHON`, else `target/py/bin/python`, installed
/// on first use.
pub fn python() -> Option<PathBuf> {
    tools::python_engines()
}

/// moto's S3 server ([`tc_test_support::Moto`]), with the `object_store` options to reach it.
pub struct Moto(tc_test_support::Moto);

impl std::ops::Deref for Moto {
    type Target = tc_test_support::Moto;
    fn deref(&self) -> &tc_test_support::Moto {
        &self.0
    }
}

impl Moto {
    pub fn start() -> Option<Moto> {
        tc_test_support::Moto::start().map(Moto)
    }

    /// `object_store` options for this server (path-style, plain HTTP, test keys).
    pub fn store_options(&self) -> teo_logs::destination::StoreOptions {
        teo_logs::destination::StoreOptions {
            s3_endpoint: Some(self.endpoint()),
            config: [
                ("aws_access_key_id", "AKIDTEST"),
                ("aws_secret_access_key", "test-secret-never-printed"),
                ("aws_region", "us-east-1"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        }
    }
}

/// An `s3s-fs` S3 server (Rust, built by `.ci/run` into `target/tools`) on 127.0.0.1, keeping
/// its objects as files under a fresh directory; it checks SigV4 signatures with
/// [`S3sFs::ACCESS_KEY`] / [`S3sFs::SECRET_KEY`]. Stopped and emptied on drop.
pub struct S3sFs {
    child: Child,
    pub port: u16,
    root: PathBuf,
}

impl S3sFs {
    pub const ACCESS_KEY: &'static str = "AKIDS3SFS";
    pub const SECRET_KEY: &'static str = "s3s-fs-secret";

    pub fn start() -> Option<S3sFs> {
        let server = std::env::var_os("TEO_S3S_FS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/bin/s3s-fs")
            });
        if !server.exists() {
            tools::skip("s3s-fs (target/tools/bin/s3s-fs, or TEO_S3S_FS)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .ok()?;
        let root = temp_dir("s3s-fs");
        let child = Command::new(server)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                Self::ACCESS_KEY,
                "--secret-key",
                Self::SECRET_KEY,
            ])
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(S3sFs { child, port, root })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    /// A bucket is a directory of the server's root.
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir_all(self.root.join(name)).unwrap();
    }
}

impl Drop for S3sFs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Every file under `dir` (recursively, links not followed), sorted; none when it is missing.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// A fresh directory under the system temp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "teo-logs-{name}-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The mock's packets that `request` lists, written into `dir` as a download names them
/// (`<LogPacketName>_<Area>.log.gz`); sorted.
pub fn write_packets(
    kind: teo_mock::logs::LogKind,
    request: &serde_json::Value,
    dir: &Path,
) -> Vec<PathBuf> {
    let store = teo_mock::logs::LogStore::new();
    let listing = store.list(kind, request, "http://127.0.0.1:1").unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let mut paths = Vec::new();
    for entry in listing["Data"].as_array().unwrap() {
        let file = entry["Url"].as_str().unwrap().rsplit('/').next().unwrap();
        let path = dir.join(format!(
            "{}_{}.log.gz",
            entry["LogPacketName"].as_str().unwrap(),
            entry["Area"].as_str().unwrap()
        ));
        std::fs::write(&path, store.packet(file).unwrap()).unwrap();
        paths.push(path);
    }
    paths.sort();
    paths
}

/// Every line of a JSON-lines file (gzip'd when named `.gz`) as JSON.
pub fn lines_of(path: &Path) -> Vec<serde_json::Value> {
    use std::io::BufRead;
    let reader: Box<dyn Read> = Box::new(std::fs::File::open(path).unwrap());
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        reader
    };
    std::io::BufReader::new(reader)
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}
