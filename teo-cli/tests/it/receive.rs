//! `teo logs receive` killed at exact points (a batch staged but its answer lost, a batch
//! claimed, a roll's files written, its manifest marked) and with SIGKILL, then restarted with
//! the same staging directory: every record is in the dataset exactly once.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::temp_dir;

const TEO: &str = env!("CARGO_BIN_EXE_teo");

/// A running `teo logs receive` and the address it printed.
struct Running {
    child: Child,
    addr: SocketAddr,
    _stdout: BufReader<ChildStdout>,
}

fn start(dir: &Path, crash: Option<&str>) -> Running {
    let mut command = Command::new(TEO);
    command
        .args([
            "logs",
            "receive",
            "--no-auth",
            "--listen",
            "127.0.0.1:0",
            "--format",
            "ndjson",
        ])
        .arg("--out")
        .arg(dir.join("dataset"))
        .arg("--staging")
        .arg(dir.join("staging"))
        .args(["--roll", "86400"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match crash {
        Some(point) => command.env("TEO_RECEIVE_CRASH_AFTER", point),
        None => command.env_remove("TEO_RECEIVE_CRASH_AFTER"),
    };
    let mut child = command.spawn().expect("teo runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    Running {
        child,
        addr,
        _stdout: stdout,
    }
}

/// POSTs `body`; the status, or `None` when the connection ended without an answer.
fn post(addr: SocketAddr, body: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /logs HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

/// Stops the receiver with SIGTERM (it rolls what is staged) and waits; the exit status.
fn stop(mut running: Running) -> std::process::ExitStatus {
    let pid = running.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    running.child.wait().unwrap()
}

fn kill(mut running: Running) {
    running.child.kill().unwrap();
    running.child.wait().unwrap();
}

fn batch(n: usize) -> Vec<u8> {
    let records: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "RequestID": format!("b{n}-r{i}"),
                "RequestTime": format!("2024-08-12T{:02}:00:00Z", n % 24),
                "EdgeResponseBytes": 100 * n + i,
            })
        })
        .collect();
    serde_json::to_vec(&records).unwrap()
}

/// How often each RequestID is in the dataset.
fn counts(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for file in crate::support::files_in(&dir.join("dataset")) {
        if file.extension().is_some_and(|e| e == "ndjson") {
            for record in crate::support::lines_of(&file) {
                *out.entry(record["RequestID"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    out
}

fn all_once(dir: &Path, batches: usize) {
    let counts = counts(dir);
    assert_eq!(counts.len(), batches * 3, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "doubled: {counts:?}");
}

#[test]
fn a_receiver_killed_at_each_step_loses_and_doubles_nothing() {
    for point in ["staged:2", "claimed:2", "written:1", "marked:1"] {
        let dir = temp_dir(&format!("receive-crash-{}", point.replace(':', "-")));
        let running = start(&dir, Some(point));
        let addr = running.addr;
        let mut unanswered = Vec::new();
        for n in 0..4 {
            match post(addr, &batch(n)) {
                Some(200) => {}
                Some(other) => panic!("{point}: batch {n} answered {other}"),
                // Died with the batch staged and its answer lost: the pusher resends it.
                None => {
                    unanswered.push(n);
                    break;
                }
            }
        }
        let status = if point.starts_with("staged") {
            let mut running = running;
            running.child.wait().unwrap()
        } else {
            // The roll at shutdown meets the crash point.
            stop(running)
        };
        assert!(!status.success(), "{point}: the receiver did not crash");
        let running = start(&dir, None);
        for n in unanswered.iter().copied().chain(2..4) {
            assert_eq!(
                post(running.addr, &batch(n)),
                Some(200),
                "{point}: resending {n}"
            );
        }
        // A batch written before the crash, resent anyway.
        assert_eq!(post(running.addr, &batch(0)), Some(200));
        assert!(stop(running).success(), "{point}");
        all_once(&dir, 4);
        assert!(
            crate::support::files_in(&dir.join("staging/batches")).is_empty()
                && crate::support::files_in(&dir.join("staging/rolls")).is_empty(),
            "{point}: staging left {:?}",
            crate::support::files_in(&dir.join("staging"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn sigkill_between_pushes_and_a_restart_keeps_every_answered_batch() {
    let dir = temp_dir("receive-sigkill");
    let running = start(&dir, None);
    for n in 0..3 {
        assert_eq!(post(running.addr, &batch(n)), Some(200));
    }
    // SIGKILL: no shutdown, no final roll; the answered batches are only in staging.
    kill(running);
    let running = start(&dir, None);
    for n in 2..5 {
        assert_eq!(post(running.addr, &batch(n)), Some(200));
    }
    assert!(stop(running).success());
    all_once(&dir, 5);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The AccessKey comes from the environment or a file only the user can read — never the
/// command line — and is never printed; without keys, unsigned pushes need --no-auth.
#[test]
fn the_access_key_comes_from_a_private_file_or_the_environment() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("receive-key");
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(TEO);
        command
            .args(["logs", "receive", "--listen", "127.0.0.1:0", "--out"])
            .arg(dir.join("dataset"))
            .args(args)
            .env_remove("TEO_RECEIVE_ACCESS_KEY");
        if let Some(key) = env {
            command.env("TEO_RECEIVE_ACCESS_KEY", key);
        }
        let output = command.output().unwrap();
        let text = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!text.contains("s3cr3t-key"), "{text}");
        (output.status.code(), text)
    };
    let (code, text) = run(&[], None);
    assert_eq!(code, Some(2));
    assert!(text.contains("--no-auth"), "{text}");
    let (code, text) = run(&["--access-id", "id1"], None);
    assert_eq!(code, Some(2));
    assert!(text.contains("TEO_RECEIVE_ACCESS_KEY"), "{text}");
    let key = dir.join("key");
    std::fs::write(&key, "s3cr3t-key\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, text) = run(
        &[
            "--access-id",
            "id1",
            "--access-key-file",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, Some(2));
    assert!(
        text.contains("readable by group or others (mode 644)"),
        "{text}"
    );
    let link = dir.join("link");
    std::os::unix::fs::symlink(&key, &link).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _) = run(
        &[
            "--access-id",
            "id1",
            "--access-key-file",
            link.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, Some(2), "a link is not followed");
    // A key file readable by its owner only, or the environment: the receiver starts (and is
    // stopped by a bad --log-format here, after the key was read).
    for (args, env) in [
        (
            vec![
                "--access-id",
                "id1",
                "--access-key-file",
                key.to_str().unwrap(),
            ],
            None,
        ),
        (vec!["--access-id", "id1"], Some("s3cr3t-key")),
    ] {
        let mut args = args;
        args.extend(["--log-format", "{\"FormatType\":\"xml\"}"]);
        let (code, text) = run(&args, env);
        assert_eq!(code, Some(2));
        assert!(text.contains("FormatType \"xml\""), "{text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
