//! Outside tools some checks need, and the one rule for when they are missing: the check is
//! skipped with one line naming it and the tool — unless `TEO_REQUIRE_TOOLS=1` (set by
//! `.ci/run`), when the skip is a failure.
//!
//! What the tests can install themselves they install on first use: the Python engines
//! (DuckDB, pyarrow, moto) go into a virtual environment at `target/py`. Debian-package tools
//! (Chromium, zsh, fish, node) are only looked for.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The variable that turns every skip into a failure.
pub const REQUIRE_TOOLS: &str = "TEO_REQUIRE_TOOLS";

/// The pinned Python packages of the data tests: engines that read our datasets, and moto as a
/// local S3-compatible server.
pub const PYTHON_ENGINES: &[&str] = &["duckdb==2.0.1", "pyarrow==26.0.1", "moto[server]==5.2.5"];

/// Whether skips are failures (`TEO_REQUIRE_TOOLS=1`).
pub fn required() -> bool {
    std::env::var(REQUIRE_TOOLS).is_ok_and(|v| v == "1")
}

/// The check running on this thread: the test's name (libtest names each test's thread).
fn current_check() -> String {
    std::thread::current()
        .name()
        .map_or_else(|| "a check".to_owned(), str::to_owned)
}

/// Skips the current test for want of `tool`: one line on stderr naming both, or a failure
/// under `TEO_REQUIRE_TOOLS=1`.
pub fn skip(tool: &str) {
    skip_check(&current_check(), tool);
}

/// [`skip`] for a part of a test: `check` names it.
pub fn skip_check(check: &str, tool: &str) {
    assert!(
        !required(),
        "{REQUIRE_TOOLS}=1 but {tool} is missing, so {check} cannot run"
    );
    // Straight to stderr, not eprintln!: libtest captures that for passing tests, and a skip
    // must show in a plain `cargo test`.
    let line =
        format!("skipped: {check} — {tool} is missing ({REQUIRE_TOOLS}=1 makes this a failure)\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

/// Whether `program --version` runs.
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `program` when it runs; else the current test is skipped (see [`skip`]) and `None`.
pub fn require(program: &str) -> Option<PathBuf> {
    if runs(program) {
        Some(PathBuf::from(program))
    } else {
        skip(program);
        None
    }
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when the tests were built with one).
pub fn target_dir() -> PathBuf {
    match option_env!("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // This crate's directory is the workspace's test-support/.
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new(".."))
            .join("target"),
    }
}

/// A Python with the [`PYTHON_ENGINES`]: `TEO_PYTHON` when set, else the virtual environment
/// `target/py`, created and filled on first use (PyPI is needed once). When neither can be had,
/// the current test is skipped (see [`skip`]) and `None`.
pub fn python_engines() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(find_or_install_engines) {
        Ok(python) => Some(python.clone()),
        Err(why) => {
            skip(&format!("a Python with duckdb, pyarrow and moto ({why})"));
            None
        }
    }
}

/// Runs `script` (`python -c`) with `args` and returns what it printed; a failure fails the test
/// with Python's message.
pub fn run_python<S: AsRef<std::ffi::OsStr>>(python: &Path, script: &str, args: &[S]) -> Vec<u8> {
    let output = Command::new(python)
        .args(["-c", script])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn find_or_install_engines() -> Result<PathBuf, String> {
    if let Some(python) = std::env::var_os("TEO_PYTHON") {
        let python = PathBuf::from(python);
        return if has_engines(&python) {
            Ok(python)
        } else {
            Err(format!("TEO_PYTHON={} lacks them", python.display()))
        };
    }
    let venv = target_dir().join("py");
    // A venv made by hand or by an older `.ci/run` (no marker) is taken when it has them.
    install_venv(&venv, PYTHON_ENGINES, || {
        has_engines(&venv.join("bin/python"))
    })?;
    Ok(venv.join("bin/python"))
}

/// The official clients the mock is checked against: the Python SDK and tccli.
pub const OFFICIAL_CLIENTS: &[&str] = &[
    "tencentcloud-sdk-python-intl-en==3.1.193",
    "tccli-intl-en==3.1.193.1",
];

/// The virtual environment `target/tmp/official-clients-venv` with the [`OFFICIAL_CLIENTS`]
/// (`bin/python`, `bin/tccli`), installed on first use (PyPI is needed once). When it cannot be
/// had, the current test is skipped (see [`skip`]) and `None`.
pub fn official_clients() -> Option<PathBuf> {
    static VENV: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = VENV.get_or_init(|| {
        let venv = target_dir().join("tmp/official-clients-venv");
        install_venv(&venv, OFFICIAL_CLIENTS, || false)?;
        Ok(venv)
    });
    match found {
        Ok(venv) => Some(venv.clone()),
        Err(why) => {
            skip(&format!("the official Python SDK and tccli ({why})"));
            None
        }
    }
}

/// Makes `venv` hold `packages`, once: test processes that get here at the same time wait on a
/// lock file beside it (cargo test runs each crate's tests as its own process) while one
/// installs; the others then find it done. `installed.txt` in the venv records what it holds;
/// `ready` may accept a venv without it.
fn install_venv(venv: &Path, packages: &[&str], ready: impl Fn() -> bool) -> Result<(), String> {
    let parent = venv.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let _lock = Lock::exclusive(&venv.with_extension("lock"))?;
    let marker = venv.join("installed.txt");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return Ok(());
    }
    if !ready() {
        let line = format!(
            "installing {} into {} (once)\n",
            packages.join(" "),
            venv.display()
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        let _ = std::fs::remove_dir_all(venv);
        run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(packages))?;
    }
    std::fs::write(&marker, wanted).map_err(|e| format!("{}: {e}", marker.display()))
}

fn has_engines(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import duckdb, pyarrow, moto"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `command`; its stderr's last line is the error when it fails.
fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{:?}: {e}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
    Err(format!(
        "{:?} failed: {}",
        command.get_program(),
        last.unwrap_or("no message")
    ))
}

/// An exclusive `flock` on a file, released when dropped (and by the kernel if the process
/// dies, so a crashed install never blocks the next run).
struct Lock(#[allow(dead_code)] std::fs::File);

impl Lock {
    fn exclusive(path: &Path) -> Result<Lock, String> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock on a descriptor this File owns for the call's duration.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                let error = std::io::Error::last_os_error();
                return Err(format!("locking {}: {error}", path.display()));
            }
        }
        Ok(Lock(file))
    }
}

/// The command running moto's S3 server (from the Python engines at `python`) on
/// 127.0.0.1:`port`, serving one request at a time. Why not `moto_server`: moto checks a
/// conditional put (`If-None-Match: *`) and then writes, so on its threaded server two puts of
/// one name at once can both succeed — which S3 itself never lets happen, and which the
/// receivers' batch claims rely on.
pub fn moto_server(python: &Path, port: u16) -> Command {
    const ONE_AT_A_TIME: &str = "\
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)
";
    let mut command = Command::new(python);
    command
        .args(["-c", ONE_AT_A_TIME, &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}
