//! `teo logs`: EdgeOne's log packets, parsed by clap (the tccli grammar of `teo <Action>` stays
//! in [`crate::args`]; the spec has no action named `logs`).
//!
//! * `download` ([`download`]): every packet DownloadL4Logs / DownloadL7Logs lists for a time
//!   range, into a directory or a dataset; its options and their checks are [`args`], the time
//!   range [`range`], `--mock` [`mock`];
//! * `convert` ([`convert`]): packets on disk into a dataset;
//! * `summarize` ([`summarize`]): a report on packets or datasets;
//! * `receive` ([`receive`]): EdgeOne's real-time push into a dataset.
//!
//! Inside, dependencies run one way: download → mock → args → range; convert → args;
//! receive → args.

mod args;
mod convert;
mod download;
mod mock;
mod range;
mod receive;
mod summarize;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::failure::{printable, EXIT_USAGE};

/// `teo logs …`.
#[derive(Parser)]
#[command(
    name = "teo logs",
    bin_name = "teo logs",
    about = "EdgeOne logs: download packets (DownloadL4Logs / DownloadL7Logs), convert, summarize, receive the real-time push",
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
struct LogsCommand {
    #[command(subcommand)]
    command: Logs,
}

// Parsed once per run: the size of the download options does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Logs {
    /// Download every log packet of a time range into a directory; rerun to resume
    #[command(after_help = args::after_help(), override_usage = args::DOWNLOAD_USAGE)]
    Download(Box<args::DownloadArgs>),
    /// Convert log packets on disk into a Parquet, NDJSON or CSV dataset; rerun to resume
    #[command(after_help = convert::AFTER_HELP)]
    Convert(convert::ConvertArgs),
    /// Summarize log packets or datasets: a terminal table, JSON, or a self-contained HTML report
    #[command(after_help = summarize::AFTER_HELP)]
    Summarize(summarize::SummarizeArgs),
    /// Receive EdgeOne's real-time log push (custom_endpoint) into a dataset, each record once
    #[command(after_help = receive::AFTER_HELP)]
    Receive(Box<receive::ReceiveArgs>),
}

/// The clap parser of `teo logs …` (what [`run`] parses with), for `teo completions`.
pub(crate) fn command() -> clap::Command {
    LogsCommand::command()
}

/// Runs `teo logs` with the arguments after `logs`.
pub(crate) fn run(args: &[OsString]) -> ExitCode {
    let argv = std::iter::once(OsString::from("teo logs")).chain(args.iter().cloned());
    let command = match LogsCommand::try_parse_from(argv) {
        Ok(command) => command,
        Err(error) => return clap_exit(&error),
    };
    let outcome = match command.command {
        Logs::Download(download) => {
            // "Now" is read once, here: --since and --until count back from it.
            let range = args::check(&download)
                .and_then(|()| args::time_range(&download, time::OffsetDateTime::now_utc()));
            match range {
                Ok(range) => download::download(*download, range),
                Err(error) => return clap_exit(&error),
            }
        }
        Logs::Convert(convert) => return convert::run(convert),
        Logs::Summarize(args) => summarize::run(args),
        Logs::Receive(args) => return receive::run(*args),
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            let _ = writeln!(io::stderr(), "{}", printable(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// Prints a clap error (or help) and returns its status: 0 for help, 2 for usage errors.
pub(crate) fn clap_exit(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    if error.use_stderr() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `teo logs` subcommand added later (say `logs receive`) must be listed in `teo help`.
    #[test]
    fn every_logs_subcommand_is_a_listed_command() {
        let logs = command();
        let names: Vec<&str> = logs.get_subcommands().map(|c| c.get_name()).collect();
        assert!(names.len() >= 3, "{names:?}");
        for name in names {
            let usage = format!("teo logs {name} ");
            assert!(
                crate::help::COMMANDS
                    .iter()
                    .any(|[u, _]| u.starts_with(&usage)),
                "{usage:?} is not in teo help"
            );
        }
    }
}
