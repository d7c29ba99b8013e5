//! The entry point: `teo logs …`, `teo configure …` and `teo completions …` go to their
//! commands; everything else is tccli's grammar, `teo <Action> …` ([`crate::action`]).

use std::ffi::OsString;
use std::process::ExitCode;

use crate::{action, completions, configure, logs};

/// Runs `teo` with the arguments after the program name, printing to stdout and stderr.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    match args.first().and_then(|a| a.to_str()) {
        Some("logs") => logs::run(&args[1..]),
        Some("configure") => configure::run(&args[1..]),
        Some("completions") => completions::run(&args[1..]),
        Some("help") if args.get(1).is_some_and(|a| a == "logs") => {
            logs::run(&[OsString::from("--help")])
        }
        _ => action::run(args),
    }
}
