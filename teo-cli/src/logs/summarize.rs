//! `teo logs summarize <PATH>...`: a summary of log packets or datasets ([`teo_logs::summarize`])
//! as a terminal table on stdout, JSON (`--json`), and/or one self-contained HTML page
//! (`--html FILE`, written to a temporary file beside it and renamed: never half-written, and
//! never written through a symbolic link at FILE).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use tc_runtime::fs::write_all_atomic;
use teo_logs::summary::{Options, SummarizeOptions};

use crate::failure::{printable, Failure, EXIT_FAILED};
use crate::output::terminal_safe_json;
use crate::stdout;

pub(crate) const AFTER_HELP: &str = "\
PATH: log packets as downloaded (.log.gz, .log), NDJSON (.ndjson, .jsonl, optionally .gz) or
Parquet (.parquet), or directories of them (a dataset of `teo-logs`, a download directory),
walked recursively without following symbolic links. Hidden files (.part: writes in progress)
and _teo_converted/ markers are skipped. Files are read in parallel.

L7: requests, bytes (EdgeResponseBytes), time range, status classes and codes, cache hit ratio
(HIT, ignoring case, over records with any EdgeCacheStatus), response-time p50/p95/p99 (exact
below 1024 ms, else within 0.1%), requests and bytes per hour (UTC), top hosts, URLs, client IPs
and regions. L4: records, sessions, bytes sent/received and per hour, top clients, ports and
regions by bytes, disconnect reasons.
Top tables hold 100,000 keys shared by the threads: exact while each thread meets at most
100,000 / threads distinct keys, then approximate with their error shown.

Bad lines are counted and listed (the first ones with file:line), not fatal. A Parquet file
that fails (corrupt data: corrupt Parquet) adds nothing and is named.

Exit status: 0 summarized; 1 a path or file could not be read (the summary of the rest is
still printed) or the report could not be written; 2 the command line is invalid.

Example:
  teo logs summarize edgeone-logs --html report.html";

#[derive(Args)]
pub(crate) struct SummarizeArgs {
    /// Log files or directories
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Read every file as this kind (default: detected from each file's records or metadata)
    #[arg(long, value_enum, ignore_case = true)]
    kind: Option<Kind>,
    /// Rows in each top table (1-1000)
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    top: u16,
    /// Also write the summary as one self-contained HTML page to FILE (replaced atomically)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Print the summary as JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Threads reading files (default: the CPUs available); they share the memory bounds
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    L4,
    L7,
}

/// Runs the subcommand: the exit status, or a failure before any summary.
pub(crate) fn run(args: SummarizeArgs) -> Result<ExitCode, Failure> {
    let options = SummarizeOptions {
        kind: args.kind.map(|k| match k {
            Kind::L4 => teo_logs::Kind::L4,
            Kind::L7 => teo_logs::Kind::L7,
        }),
        threads: args.threads.map_or(0, usize::from),
        summary: Options::default(),
        ..SummarizeOptions::default()
    };
    let summary = teo_logs::summarize(&args.paths, &options)
        .map_err(|e| Failure::failed(format!("cannot summarize: {e}")))?;
    let top = usize::from(args.top);
    if let Some(path) = &args.html {
        let page = teo_logs::render_html(&summary, top);
        write_atomically(path, page.as_bytes()).map_err(|e| {
            Failure::failed(format!(
                "cannot write the report {}: {e}",
                printable(&path.display().to_string())
            ))
        })?;
    }
    let text = if args.json {
        // URLs, hosts and user agents are the visitors' text: nothing in them may drive the
        // terminal (serde_json leaves C1 and bidi characters raw).
        let mut text = terminal_safe_json(&teo_logs::render_json(&summary, top), b"  ");
        text.push('\n');
        text
    } else {
        teo_logs::render_text(&summary, top)
    };
    stdout::write(&text).map_err(|e| Failure::failed(format!("cannot write the summary: {e}")))?;
    if let Some(path) = &args.html {
        let _ = writeln!(
            io::stderr(),
            "report written to {}",
            printable(&path.display().to_string())
        );
    }
    let (failed, count) = summary.failed();
    if count > 0 {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "{count} file(s) could not be read (to their end):");
        for error in failed {
            let _ = writeln!(stderr, "  {}", printable(&error.to_string()));
        }
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` through a new hidden file in the same directory
/// ([`AtomicFile`](tc_runtime::fs::AtomicFile): created exclusively, so never through a planted
/// link), synced, then renamed over `path` (a link there is replaced, not followed). Nothing is
/// left behind on failure. The report holds no more than the summary shows: readable as
/// `File::create` would make it.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a directory is in the way",
        ));
    }
    // The caller names the path: the operating system's error as it came.
    write_all_atomic(path, bytes, 0o666).map_err(|e| e.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_replaces_a_link_instead_of_writing_through_it() {
        let dir = std::env::temp_dir().join(format!("teo-cli-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("target.txt");
        fs::write(&target, "keep").unwrap();
        let report = dir.join("report.html");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &report).unwrap();
        write_atomically(&report, b"<!DOCTYPE html>").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&report).unwrap(), "<!DOCTYPE html>");
        assert!(!fs::symlink_metadata(&report)
            .unwrap()
            .file_type()
            .is_symlink());
        // Again over the file: replaced, nothing else left in the directory.
        write_atomically(&report, b"second").unwrap();
        assert_eq!(fs::read_to_string(&report).unwrap(), "second");
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["report.html", "target.txt"]);
        // A directory in the way is an error, and leaves nothing.
        let error = write_atomically(&dir, b"x").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        fs::remove_dir_all(&dir).unwrap();
    }
}
