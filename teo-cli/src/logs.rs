//! `teo logs download`: every log packet DownloadL4Logs / DownloadL7Logs lists for a time range,
//! fetched into a directory by [`teo_client::logs`], with a progress bar on a terminal and one
//! line per finished packet otherwise. `--mock` runs against an in-process teo-mock.
//!
//! This subcommand is parsed by clap; the tccli grammar of `teo <Action>` stays in [`crate::args`]
//! (the spec has no action named `logs`).

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use teo_client::logs::{
    DownloadError, Downloader, Event, LogListing, Progress, Summary, DEFAULT_CONCURRENCY,
    DEFAULT_STALL_TIMEOUT,
};
use teo_client::models::{DateTime, DownloadL4LogsRequest, DownloadL7LogsRequest};
use teo_client::{Client, Credentials};
use teo_logs::dest::{Destination, StoreOptions};
use teo_logs::encode::CsvCells;
use teo_logs::export::{export, ExportReport, Target};
use teo_logs::{staging, Dataset};

use crate::credentials::Source;
use crate::failure::{self as run, Failure, EXIT_FAILED, EXIT_USAGE};
use crate::options::GlobalOptions;
use crate::range::{Range, RangeArgs};

/// Exit status after Ctrl-C, as shells report a SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

const AFTER_HELP: &str = "\
Each packet becomes <LogPacketName>_<Area>.log.gz in DIR (<…>.log, JSON lines, with
--decompress; a short suffix keeps packets that would share a name apart), written to a
hidden temporary file and renamed once complete and checked.
A rerun of the same command skips the files already complete, so it resumes an interrupted
or partly failed run.

Progress goes to stderr (a bar on a terminal, else one line per packet and per retry); the
summary to stdout.

Credentials: --secretId/--secretKey (+ --token), else --profile, else TENCENTCLOUD_SECRET_ID
and TENCENTCLOUD_SECRET_KEY, else the default profile, TKE OIDC or the CVM role (as `teo help`).

Exit status: 0 every listed packet is on disk; 1 a packet or the run failed (the error is
printed); 2 the command line is invalid (nothing was sent); 130 interrupted (Ctrl-C).

The time range is --start/--end (RFC 3339), or counted back from now with --since (the
end is now, or --until): --since 6h, --since 2d --until 1d, --since 90m. The range they
resolve to is printed (UTC) on stderr before anything is downloaded.

Options not given on the command line come from the environment, then the tccli profile
(--profile, else $TCCLI_PROFILE, else default): its teo.endpoint, region, language and
request-client, as for `teo <Action>`.

Example, without an account:
  teo logs download --mock --kind l4 --start 2024-05-01T00:00:00+08:00 \\
    --end 2024-05-01T06:00:00+08:00 --zone zone-demo --out edgeone-logs
  teo logs download --mock --kind l7 --since 6h --zone zone-demo --out edgeone-logs";

/// The two forms of the time range; clap's own usage line cannot say "one of".
const DOWNLOAD_USAGE: &str = "\
teo logs download [OPTIONS] --kind <KIND> --start <RFC3339> --end <RFC3339> --zone <ZONE> --out <DIR|URL>
       teo logs download [OPTIONS] --kind <KIND> --since <DURATION> [--until <DURATION>] --zone <ZONE> --out <DIR|URL>";

/// `teo logs …`.
#[derive(Parser)]
#[command(
    name = "teo logs",
    bin_name = "teo logs",
    about = "EdgeOne log packets (DownloadL4Logs / DownloadL7Logs): download and summarize",
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
    #[command(after_help = AFTER_HELP, override_usage = DOWNLOAD_USAGE)]
    Download(Box<DownloadArgs>),
    /// Convert log packets on disk into a Parquet, NDJSON or CSV dataset; rerun to resume
    #[command(after_help = crate::convert::AFTER_HELP)]
    Convert(crate::convert::ConvertArgs),
    /// Summarize log packets or datasets: a terminal table, JSON, or a self-contained HTML report
    #[command(after_help = crate::summarize::AFTER_HELP)]
    Summarize(crate::summarize::SummarizeArgs),
}

#[derive(Args)]
struct DownloadArgs {
    /// l4: L4 proxy logs (DownloadL4Logs); l7: L7 access logs (DownloadL7Logs)
    #[arg(long, value_enum, ignore_case = true)]
    kind: Kind,
    /// Start of the time range, RFC 3339: 2024-05-01T00:00:00+08:00 (or --since)
    #[arg(long, value_name = "RFC3339", value_parser = time, required_unless_present = "since")]
    start: Option<DateTime>,
    /// End of the time range, RFC 3339, after the start (or --until; with --since, default now)
    #[arg(long, value_name = "RFC3339", value_parser = time)]
    end: Option<DateTime>,
    /// Start this long before now instead of --start: 90m, 6h, 2d (minutes, hours, days)
    #[arg(long, value_name = "DURATION", value_parser = crate::range::ago,
          conflicts_with = "start")]
    since: Option<crate::range::Ago>,
    /// End this long before now instead of --end: 1h, 30m
    #[arg(long, value_name = "DURATION", value_parser = crate::range::ago,
          conflicts_with = "end")]
    until: Option<crate::range::Ago>,
    /// Zone ID; repeat the option or separate IDs with commas
    #[arg(long = "zone", value_name = "ZONE", required = true, value_delimiter = ',', value_parser = name)]
    zones: Vec<String>,
    /// Only these L4 proxies (--kind l4); repeatable or comma-separated. Default: all
    #[arg(long = "proxy", value_name = "ID", value_delimiter = ',', value_parser = name)]
    proxies: Vec<String>,
    /// Only these L7 domains (--kind l7); repeatable or comma-separated. Default: all
    #[arg(long = "domain", value_name = "DOMAIN", value_delimiter = ',', value_parser = name)]
    domains: Vec<String>,
    /// Directory for the files (created if missing), or an object store prefix:
    /// s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, file:///path
    #[arg(long, value_name = "DIR|URL", value_parser = name)]
    out: String,
    /// An S3-compatible endpoint for s3:// (Tencent COS, MinIO…), e.g.
    /// https://cos.ap-guangzhou.myqcloud.com; else AWS_ENDPOINT or AWS S3
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Packets downloaded at once (1-64)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Write the packets decompressed, as <name>.log (JSON lines); with --format gz only
    #[arg(long)]
    decompress: bool,
    /// gz: the packets as served; parquet, ndjson, csv: a Hive-partitioned dataset
    /// (kind=/zone=/date=/hour=) converted as packets arrive
    #[arg(long, value_enum, ignore_case = true, default_value = "gz")]
    format: OutputFormat,
    /// With a dataset --format or a URL --out: where packets wait to be stored; must be
    /// private to you (0700, yours, not a link) [default: OUT/.teo-staging, or
    /// ~/.cache/teo/staging/<hash of OUT> ($XDG_CACHE_HOME) for a URL]
    #[arg(long, value_name = "DIR")]
    staging: Option<PathBuf>,
    /// With --format csv: write every value exactly as sent. By default a text cell that
    /// starts with = + - @ or a tab/CR gets a leading ' so spreadsheets do not run it as a
    /// formula (visitors choose URLs and user agents)
    #[arg(long)]
    csv_raw: bool,
    /// Retry a packet that receives less than 1 KiB in this many seconds (1-3600)
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_STALL_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    stall_timeout: u64,
    /// Use a local mock EdgeOne (teo-mock, started in-process): no account or network needed
    #[arg(long, conflicts_with_all = ["endpoint", "secretId", "secretKey", "token", "profile"])]
    mock: bool,
    /// The global options of the table every `teo` command shares.
    #[command(flatten)]
    global: GlobalOptions,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    L4,
    L7,
}

impl From<Kind> for teo_logs::Kind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::L4 => teo_logs::Kind::L4,
            Kind::L7 => teo_logs::Kind::L7,
        }
    }
}

/// `--format` of `teo logs download`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Gz,
    Parquet,
    Ndjson,
    Csv,
}

impl OutputFormat {
    fn dataset(self) -> Option<teo_logs::Format> {
        match self {
            OutputFormat::Gz => None,
            OutputFormat::Parquet => Some(teo_logs::Format::Parquet),
            OutputFormat::Ndjson => Some(teo_logs::Format::Ndjson),
            OutputFormat::Csv => Some(teo_logs::Format::Csv),
        }
    }
}

fn time(text: &str) -> Result<DateTime, String> {
    DateTime::parse(text).map_err(|e| {
        format!(
            "expected an RFC 3339 date-time such as 2024-05-01T00:00:00+08:00 ({})",
            e.reason
        )
    })
}

pub(crate) fn name(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("an empty name".into()),
        name => Ok(name.to_owned()),
    }
}

/// The clap parser of `teo logs …` (what [`run`] parses with), for `teo completions`.
pub(crate) fn command() -> clap::Command {
    LogsCommand::command()
}

/// Runs `teo logs` with the arguments after `logs`.
pub fn run(args: &[OsString]) -> ExitCode {
    let argv = std::iter::once(OsString::from("teo logs")).chain(args.iter().cloned());
    let command = match LogsCommand::try_parse_from(argv) {
        Ok(command) => command,
        Err(error) => return clap_exit(&error),
    };
    let outcome = match command.command {
        Logs::Download(download) => {
            // "Now" is read once, here: --since and --until count back from it.
            let range = check(&download)
                .and_then(|()| time_range(&download, time::OffsetDateTime::now_utc()));
            match range {
                Ok(range) => self::download(*download, range),
                Err(error) => return clap_exit(&error),
            }
        }
        Logs::Convert(convert) => return crate::convert::run(convert),
        Logs::Summarize(args) => crate::summarize::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            let _ = writeln!(
                io::stderr(),
                "{}",
                crate::failure::printable(&failure.message)
            );
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

/// The checks clap cannot express: options of the other kind, the order of the times.
fn check(args: &DownloadArgs) -> Result<(), clap::Error> {
    let problem = match args.kind {
        Kind::L7 if !args.proxies.is_empty() => Some(
            "--proxy is for --kind l4 (L4 proxy IDs); L7 logs are selected with --domain".into(),
        ),
        Kind::L4 if !args.domains.is_empty() => {
            Some("--domain is for --kind l7 (L7 domains); L4 logs are selected with --proxy".into())
        }
        _ if args.decompress && args.format != OutputFormat::Gz => Some(
            "--decompress is for --format gz; a dataset --format reads the packets itself".into(),
        ),
        _ if args.staging.is_some()
            && args.format == OutputFormat::Gz
            && !args.out.contains("://") =>
        {
            Some("--staging is for a dataset --format or an object store --out".into())
        }
        _ if args.csv_raw && args.format != OutputFormat::Csv => {
            Some("--csv-raw is for --format csv".into())
        }
        _ if args.s3_endpoint.is_some() && !args.out.starts_with("s3://") => {
            Some("--s3-endpoint is for an --out of s3://bucket/prefix".into())
        }
        _ => None,
    };
    match problem {
        None => Ok(()),
        Some(message) => Err(download_error(message)),
    }
}

/// A usage error of `teo logs download`, printed as clap prints its own.
fn download_error(message: String) -> clap::Error {
    let mut command = LogsCommand::command();
    command.build();
    match command.find_subcommand_mut("download") {
        Some(download) => download.error(ErrorKind::ArgumentConflict, message),
        None => clap::Error::raw(ErrorKind::ArgumentConflict, message),
    }
}

/// The time range of `args` at `now`, or the usage error saying why there is none.
fn time_range(args: &DownloadArgs, now: time::OffsetDateTime) -> Result<Range, clap::Error> {
    let range = RangeArgs {
        start: args.start.clone(),
        end: args.end.clone(),
        since: args.since,
        until: args.until,
    };
    crate::range::resolve(&range, now).map_err(download_error)
}

/// The run: credentials, client (or mock), download, summary. `Err` for failures before or
/// instead of a summary.
fn download(args: DownloadArgs, range: Range) -> Result<ExitCode, Failure> {
    // The options and credentials resolve as for `teo <Action>` (flag > environment > named
    // profile > default profile); --mock needs no profile and ignores it.
    let (options, credentials) = if args.mock {
        let mock_keys = Source::Flags(Credentials::new(
            teo_mock::server::DEFAULT_SECRET_ID,
            teo_mock::server::DEFAULT_SECRET_KEY,
        ));
        (args.global.clone(), mock_keys)
    } else {
        let resolved = crate::resolve::resolve(&args.global)?;
        (resolved.options, resolved.credentials)
    };
    // Before anything is sent, so the user sees which hours a relative range became (an
    // absolute one is what they typed).
    if args.since.is_some() || args.until.is_some() {
        let _ = writeln!(io::stderr(), "time range: {}", range.describe());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let mut options = options;
        let mock = if args.mock {
            let mock = teo_mock::MockServer::start(teo_mock::MockConfig::default())
                .await
                .map_err(|e| Failure::failed(format!("cannot start the local mock: {e}")))?;
            let _ = writeln!(
                io::stderr(),
                "Using a local mock EdgeOne (teo-mock) at {}: synthetic logs, no account needed.",
                mock.url()
            );
            options.endpoint = Some(mock.url());
            Some(mock)
        } else {
            None
        };
        let client = run::client(&options, credentials)?;
        let display = Display::new(io::stderr().is_terminal());
        let outcome = tokio::select! {
            outcome = fetch(&client, &args, &range, display.clone()) => Some(outcome),
            _ = tokio::signal::ctrl_c() => None,
        };
        display.finish();
        if let Some(mock) = mock {
            mock.shutdown().await;
        }
        match outcome {
            Some(Ok(outcome)) => report(&outcome, &args),
            Some(Err(DownloadError::Listing(error))) => {
                let failure = run::client_failure(error);
                Err(Failure {
                    code: failure.code,
                    message: format!("cannot list the log packets: {}", failure.message),
                })
            }
            Some(Err(error)) => Err(Failure::failed(format!(
                "error: {}",
                run::with_causes(&error)
            ))),
            None => Err(Failure {
                code: EXIT_INTERRUPTED,
                message: "interrupted: the packets already downloaded are kept; rerun the same \
                          command to resume"
                    .into(),
            }),
        }
    })
}

/// What a download produced: packets in a directory, or a dataset (one export per zone).
enum Outcome {
    Packets(Summary),
    Dataset(Vec<(String, ExportReport)>),
}

async fn fetch(
    client: &Client,
    args: &DownloadArgs,
    range: &Range,
    display: Display,
) -> Result<Outcome, DownloadError> {
    let zones = unique(&args.zones);
    let store_options = StoreOptions {
        s3_endpoint: args.s3_endpoint.clone(),
        ..StoreOptions::default()
    };
    // Messages name the destination without what may be a secret in it.
    let shown = PathBuf::from(teo_logs::dest::shown_url(&args.out));
    let dest = Destination::parse(&args.out, &store_options, tokio::runtime::Handle::current())
        .map_err(|e| DownloadError::Io {
            path: shown.clone(),
            what: "cannot use the destination",
            source: std::io::Error::other(e.to_string()),
        })?;
    let format = args.format.dataset();
    let local = match &dest {
        Destination::Local(dir) => Some(dir.clone()),
        Destination::Store(_) => None,
    };
    if let (None, Some(dir)) = (format, &local) {
        return match args.kind {
            Kind::L4 => {
                run_download(client, l4_request(args, range, zones), args, dir, display).await
            }
            Kind::L7 => {
                run_download(client, l7_request(args, range, zones), args, dir, display).await
            }
        }
        .map(Outcome::Packets);
    }
    let csv_cells = if args.csv_raw {
        CsvCells::Raw
    } else {
        CsvCells::Neutralized
    };
    let dataset = match format {
        Some(format) => Some(
            Dataset::new(dest.clone(), format)
                .map_err(|e| DownloadError::Io {
                    path: shown.clone(),
                    what: "cannot create the dataset",
                    source: std::io::Error::other(e.to_string()),
                })?
                .csv_cells(csv_cells),
        ),
        None => None,
    };
    let staging = match (&args.staging, &local) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => dir.join(".teo-staging"),
        // Private to the user, and the same for every run to this destination, so a rerun
        // finds what an interrupted one left.
        (None, None) => staging::default_dir(&args.out)
            .map_err(|e| e.into_download_error(std::path::Path::new("--staging")))?,
    };
    // One listing per zone: a listing's entries do not say their zone, and the dataset is
    // partitioned by it.
    let per_zone: Vec<Option<String>> = if dataset.is_some() {
        zones.iter().cloned().map(Some).collect()
    } else {
        vec![None]
    };
    let mut exports = Vec::new();
    for zone in per_zone {
        let downloader = Downloader::new(&staging)
            .concurrency(usize::from(args.concurrency))
            .stall_timeout(Duration::from_secs(args.stall_timeout));
        let display = display.clone();
        let progress = move |event: &Event<'_>, progress: &Progress| display.event(event, progress);
        let target = match &dataset {
            Some(dataset) => Target::Dataset {
                dataset: dataset.clone(),
                kind: args.kind.into(),
                zone: zone.clone(),
            },
            None => Target::Packets(dest.clone()),
        };
        let listed = zone.clone().map_or_else(|| zones.clone(), |z| vec![z]);
        let summary = match args.kind {
            Kind::L4 => {
                export(
                    client,
                    l4_request(args, range, listed),
                    &target,
                    downloader,
                    progress,
                )
                .await?
            }
            Kind::L7 => {
                export(
                    client,
                    l7_request(args, range, listed),
                    &target,
                    downloader,
                    progress,
                )
                .await?
            }
        };
        exports.push((zone.unwrap_or_else(|| zones.join(",")), summary));
    }
    // Empty once every packet is stored; kept (with what failed) otherwise.
    let _ = std::fs::remove_dir(&staging);
    Ok(Outcome::Dataset(exports))
}

fn l4_request(args: &DownloadArgs, range: &Range, zones: Vec<String>) -> DownloadL4LogsRequest {
    let request =
        DownloadL4LogsRequest::new(range.start.clone(), range.end.clone()).zone_ids(zones);
    if args.proxies.is_empty() {
        request
    } else {
        request.proxy_ids(unique(&args.proxies))
    }
}

fn l7_request(args: &DownloadArgs, range: &Range, zones: Vec<String>) -> DownloadL7LogsRequest {
    let request =
        DownloadL7LogsRequest::new(range.start.clone(), range.end.clone()).zone_ids(zones);
    if args.domains.is_empty() {
        request
    } else {
        request.domains(unique(&args.domains))
    }
}

async fn run_download<R: LogListing>(
    client: &Client,
    request: R,
    args: &DownloadArgs,
    dir: &std::path::Path,
    display: Display,
) -> Result<Summary, DownloadError> {
    let downloader = Downloader::new(dir)
        .concurrency(usize::from(args.concurrency))
        .decompress(args.decompress)
        .stall_timeout(Duration::from_secs(args.stall_timeout))
        .on_progress(move |event, progress| display.event(event, progress));
    client.download_logs(request, &downloader).await
}

/// The names in order, each once.
fn unique(names: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .filter(|n| seen.insert(n.as_str()))
        .cloned()
        .collect()
}

/// The summary on stdout; exit 0 when every packet is on disk (or in the dataset), 1 otherwise.
fn report(outcome: &Outcome, args: &DownloadArgs) -> Result<ExitCode, Failure> {
    let dir = args.out.clone();
    let (text, complete) = match outcome {
        Outcome::Packets(summary) => (summary_text(summary, &dir), summary.is_complete()),
        Outcome::Dataset(exports) => (
            export_text(exports, &dir),
            exports.iter().all(|(_, e)| e.is_complete()),
        ),
    };
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Failure::failed(format!("cannot write the summary: {e}"))),
    }
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// The summary of a download into a dataset, zone by zone.
fn export_text(exports: &[(String, ExportReport)], dir: &str) -> String {
    let mut lines = Vec::new();
    let mut complete = true;
    for (zone, e) in exports {
        complete &= e.is_complete();
        lines.push(format!("zone {zone}"));
        lines.push(format!("  packets     {}", e.listed));
        lines.push(format!("  stored      {}", e.stored));
        lines.push(format!(
            "  skipped     {}  (already there)",
            e.already_there
        ));
        lines.push(format!(
            "  records     {} ({} bad lines skipped)",
            e.records, e.bad_lines
        ));
        for bad in &e.bad {
            lines.push(format!("    {bad}"));
        }
        let failed = e.download.failed.len() + e.failed.len();
        lines.push(format!("  failed      {failed}"));
        for failure in &e.download.failed {
            lines.push(format!(
                "    {}: {}",
                failure.path.display(),
                run::with_causes(&failure.error)
            ));
        }
        for (path, error) in &e.failed {
            lines.push(format!(
                "    {}: {}",
                path.display(),
                run::with_causes(error)
            ));
        }
        lines.push(format!(
            "  written     {} ({} bytes)",
            HumanBytes(e.bytes_written),
            e.bytes_written
        ));
    }
    lines.push(if complete {
        format!("complete: every listed packet is in {dir}")
    } else {
        "incomplete: some packets failed; rerun the same command to fetch them".to_owned()
    });
    // Paths and reasons may hold a server's text: escaped, a line each.
    lines
        .iter()
        .map(|line| crate::failure::printable(line) + "\n")
        .collect()
}

fn summary_text(summary: &Summary, dir: &str) -> String {
    let mut lines = vec![
        format!("packets     {}", summary.packets),
        format!("downloaded  {}", summary.downloaded),
        format!("skipped     {}  (already complete)", summary.skipped),
        format!(
            "duplicates  {}  (listed more than once, fetched once)",
            summary.duplicates
        ),
        format!("failed      {}", summary.failed.len()),
    ];
    for failure in &summary.failed {
        lines.push(format!(
            "  {}: {}",
            failure.path.display(),
            run::with_causes(&failure.error)
        ));
    }
    lines.push(format!(
        "written     {} ({} bytes) to {dir}",
        HumanBytes(summary.bytes_written),
        summary.bytes_written
    ));
    lines.push(if summary.is_complete() {
        format!("complete: every listed packet is in {dir}")
    } else {
        format!(
            "incomplete: {} of {} packets failed; rerun the same command to fetch them",
            summary.failed.len(),
            summary.packets
        )
    });
    lines.join("\n") + "\n"
}

/// Progress on stderr: a bar on a terminal, else a line per finished packet and per retry.
#[derive(Clone)]
enum Display {
    Bar(ProgressBar),
    Lines,
}

impl Display {
    fn new(terminal: bool) -> Display {
        if !terminal {
            return Display::Lines;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.set_message("listing the log packets…");
        bar.enable_steady_tick(Duration::from_millis(120));
        Display::Bar(bar)
    }

    fn event(&self, event: &Event<'_>, progress: &Progress) {
        match self {
            Display::Bar(bar) => bar_event(bar, event, progress),
            Display::Lines => {
                if let Some(line) = line(event, progress) {
                    let _ = writeln!(io::stderr(), "{line}");
                }
            }
        }
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.abandon();
        }
    }
}

fn bar_event(bar: &ProgressBar, event: &Event<'_>, progress: &Progress) {
    match event {
        Event::Listed => {
            let template = "{wide_bar} {msg} packets  {binary_bytes}/{binary_total_bytes}  \
                            {binary_bytes_per_sec}  ETA {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_length(progress.bytes);
        }
        Event::Retrying { .. } | Event::Failed { .. } => {
            if let Some(line) = line(event, progress) {
                bar.println(line);
            }
        }
        _ => {}
    }
    bar.set_message(format!("{}/{}", progress.packets_done(), progress.packets));
    bar.set_position(progress.bytes_done.min(progress.bytes));
}

/// The plain line for an event, if it gets one (not per chunk).
fn line(event: &Event<'_>, progress: &Progress) -> Option<String> {
    let count = format!("[{}/{}]", progress.packets_done(), progress.packets);
    Some(match event {
        Event::Listed => format!(
            "listed {} packets ({})",
            progress.packets,
            HumanBytes(progress.bytes)
        ),
        Event::Skipped { path, .. } => {
            format!("{count} skipped {}: already complete", path.display())
        }
        Event::Downloaded { packet, path } => match packet.size {
            Some(size) => format!(
                "{count} downloaded {} ({})",
                path.display(),
                HumanBytes(size)
            ),
            None => format!("{count} downloaded {}", path.display()),
        },
        Event::Failed { path, error, .. } => format!(
            "{count} failed {}: {}",
            path.display(),
            run::with_causes(*error)
        ),
        Event::Retrying {
            path,
            attempt,
            delay,
            error,
            ..
        } => format!(
            "retrying {} in {:.1}s: attempt {attempt} failed: {}",
            path.display(),
            delay.as_secs_f64(),
            run::with_causes(*error)
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use teo_client::logs::Packet;

    fn parse(args: &[&str]) -> Result<DownloadArgs, clap::Error> {
        let argv = ["teo logs", "download"].iter().chain(args);
        let Logs::Download(download) = LogsCommand::try_parse_from(argv)?.command else {
            panic!("not a download");
        };
        check(&download)?;
        time_range(&download, time::macros::datetime!(2024-05-01 12:00 UTC))?;
        Ok(*download)
    }

    const BASE: &[&str] = &[
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00+08:00",
        "--end",
        "2024-05-01T06:00:00+08:00",
        "--out",
        "logs",
    ];

    fn with(extra: &[&'static str]) -> Vec<&'static str> {
        BASE.iter().chain(extra).copied().collect()
    }

    #[test]
    fn zones_repeat_or_split_on_commas() {
        let args = parse(&with(&["--zone", "a,b", "--zone", "c", "--proxy", "p"])).unwrap();
        assert_eq!(args.zones, ["a", "b", "c"]);
        assert_eq!(args.proxies, ["p"]);
        assert_eq!(args.concurrency, 6);
        assert_eq!(args.stall_timeout, 30);
        assert!(!args.decompress && !args.mock);
        let args = parse(&with(&["--zone", "z", "--stall-timeout", "5"])).unwrap();
        assert_eq!(args.stall_timeout, 5);
        assert_eq!(unique(&["a".into(), "b".into(), "a".into()]), ["a", "b"]);
    }

    fn message(args: &[&str]) -> String {
        match parse(args) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(error) => {
                assert!(error.use_stderr(), "{error}");
                error.to_string()
            }
        }
    }

    #[test]
    fn usage_errors_name_the_option() {
        let bad_time = message(&[
            "--kind",
            "l4",
            "--start",
            "2024-05-01",
            "--end",
            "x",
            "--zone",
            "z",
            "--out",
            "d",
        ]);
        assert!(bad_time.contains("--start <RFC3339>"), "{bad_time}");
        assert!(bad_time.contains("2024-05-01T00:00:00+08:00"), "{bad_time}");
        let l7_proxy = message(&[
            "--kind",
            "l7",
            "--start",
            "2024-05-01T00:00:00Z",
            "--end",
            "2024-05-01T01:00:00Z",
            "--zone",
            "z",
            "--proxy",
            "p",
            "--out",
            "d",
        ]);
        assert!(l7_proxy.contains("--proxy is for --kind l4"), "{l7_proxy}");
        let l4_domain = message(&with(&["--zone", "z", "--domain", "www.example.com"]));
        assert!(
            l4_domain.contains("--domain is for --kind l7"),
            "{l4_domain}"
        );
        let order = message(&[
            "--kind",
            "l4",
            "--start",
            "2024-05-01T06:00:00+08:00",
            "--end",
            "2024-05-01T00:00:00+08:00",
            "--zone",
            "z",
            "--out",
            "d",
        ]);
        assert!(
            order.contains("--end 2024-05-01T00:00:00+08:00 is not after --start"),
            "{order}"
        );
        let zero = message(&with(&["--zone", "z", "--concurrency", "0"]));
        assert!(zero.contains("--concurrency <N>"), "{zero}");
        let stall = message(&with(&["--zone", "z", "--stall-timeout", "0"]));
        assert!(stall.contains("--stall-timeout <SECONDS>"), "{stall}");
        let no_zone = message(BASE);
        assert!(no_zone.contains("--zone <ZONE>"), "{no_zone}");
        let empty_zone = message(&with(&["--zone", "a,,b"]));
        assert!(empty_zone.contains("an empty name"), "{empty_zone}");
        let mock_key = message(&with(&["--zone", "z", "--mock", "--secretKey", "k"]));
        assert!(mock_key.contains("--mock"), "{mock_key}");
        assert!(!mock_key.contains(" k "), "{mock_key}");
    }

    fn packet() -> Packet {
        Packet {
            name: "20240501-10-sid-1".into(),
            url: "https://logs.example.com/p.log.gz?sign=secret".into(),
            size: Some(100),
            area: "mainland".into(),
            source: "sid-1".into(),
            start: DateTime::parse("2024-05-01T10:00:00Z").unwrap(),
            end: DateTime::parse("2024-05-01T11:00:00Z").unwrap(),
        }
    }

    #[test]
    fn a_line_per_finished_packet_and_retry() {
        let packet = packet();
        let progress = Progress {
            packets: 2,
            bytes: 200,
            downloaded: 1,
            failed: 1,
            ..Progress::default()
        };
        let error = DownloadError::HttpStatus {
            url: "https://logs.example.com/p.log.gz?…".into(),
            status: 503,
        };
        let path = std::path::Path::new("out/20240501-10-sid-1_mainland.log.gz");
        let failed = Event::Failed {
            packet: &packet,
            path,
            error: &error,
        };
        assert_eq!(
            line(&failed, &progress).unwrap(),
            "[2/2] failed out/20240501-10-sid-1_mainland.log.gz: https://logs.example.com/p.log.gz?…: HTTP status 503"
        );
        let retrying = Event::Retrying {
            packet: &packet,
            path,
            attempt: 1,
            delay: Duration::from_millis(250),
            error: &error,
        };
        assert!(line(&retrying, &progress).unwrap().starts_with(
            "retrying out/20240501-10-sid-1_mainland.log.gz in 0.2s: attempt 1 failed: "
        ));
        let received = Event::Received {
            packet: &packet,
            bytes: 10,
        };
        assert_eq!(line(&received, &progress), None);
    }

    #[test]
    fn the_bar_counts_bytes_and_packets() {
        let bar = ProgressBar::hidden();
        let mut progress = Progress {
            packets: 2,
            bytes: 200,
            ..Progress::default()
        };
        bar_event(&bar, &Event::Listed, &progress);
        assert_eq!(bar.length(), Some(200));
        let packet = packet();
        progress.bytes_done = 150;
        progress.downloaded = 1;
        let path = std::path::Path::new("out/x.log.gz");
        bar_event(
            &bar,
            &Event::Downloaded {
                packet: &packet,
                path,
            },
            &progress,
        );
        assert_eq!(bar.position(), 150);
        assert_eq!(bar.message(), "1/2");
    }

    #[test]
    fn summary_says_what_happened() {
        let summary = Summary {
            packets: 6,
            skipped: 6,
            ..Summary::default()
        };
        let text = summary_text(&summary, "edgeone-logs");
        assert!(text.contains("skipped     6  (already complete)"), "{text}");
        assert!(text.ends_with("complete: every listed packet is in edgeone-logs\n"));
    }
}
