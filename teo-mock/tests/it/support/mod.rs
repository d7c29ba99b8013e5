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

pub use tc_test_support::Moto;
