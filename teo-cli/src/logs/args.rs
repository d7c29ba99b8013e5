//! The options of `teo logs download` (parsed by clap, the global ones built from
//! [`crate::options`]'s table), the checks clap cannot express, and the time range they give
//! ([`super::range`]).

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, ValueEnum};
use teo_client::logs::{DEFAULT_CONCURRENCY, DEFAULT_STALL_TIMEOUT};
use teo_client::models::DateTime;

use super::range::{self, Ago, Range, RangeArgs};
use super::LogsCommand;
use crate::options::GlobalOptions;

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
request-client, as for `teo <Action>`.";

/// The examples: with the `mock` feature, runs that need no account.
#[cfg(feature = "mock")]
const EXAMPLES: &str = "

Example, without an account:
  teo logs download --mock --kind l4 --start 2024-05-01T00:00:00+08:00 \\
    --end 2024-05-01T06:00:00+08:00 --zone zone-demo --out edgeone-logs
  teo logs download --mock --kind l7 --since 6h --zone zone-demo --out edgeone-logs";
#[cfg(not(feature = "mock"))]
const EXAMPLES: &str = "

Example:
  teo logs download --kind l7 --since 6h --zone zone-1 --out edgeone-logs";

/// What `teo logs download --help` prints after the options.
pub(super) fn after_help() -> String {
    format!("{AFTER_HELP}{EXAMPLES}")
}

/// The two forms of the time range; clap's own usage line cannot say "one of".
pub(super) const DOWNLOAD_USAGE: &str = "\
teo logs download [OPTIONS] --kind <KIND> --start <RFC3339> --end <RFC3339> --zone <ZONE> --out <DIR|URL>
       teo logs download [OPTIONS] --kind <KIND> --since <DURATION> [--until <DURATION>] --zone <ZONE> --out <DIR|URL>";

#[derive(Args)]
pub(super) struct DownloadArgs {
    /// l4: L4 proxy logs (DownloadL4Logs); l7: L7 access logs (DownloadL7Logs)
    #[arg(long, value_enum, ignore_case = true)]
    pub(super) kind: Kind,
    /// Start of the time range, RFC 3339: 2024-05-01T00:00:00+08:00 (or --since)
    #[arg(long, value_name = "RFC3339", value_parser = time, required_unless_present = "since")]
    pub(super) start: Option<DateTime>,
    /// End of the time range, RFC 3339, after the start (or --until; with --since, default now)
    #[arg(long, value_name = "RFC3339", value_parser = time)]
    pub(super) end: Option<DateTime>,
    /// Start this long before now instead of --start: 90m, 6h, 2d (minutes, hours, days)
    #[arg(long, value_name = "DURATION", value_parser = range::ago,
          conflicts_with = "start")]
    pub(super) since: Option<Ago>,
    /// End this long before now instead of --end: 1h, 30m
    #[arg(long, value_name = "DURATION", value_parser = range::ago,
          conflicts_with = "end")]
    pub(super) until: Option<Ago>,
    /// Zone ID; repeat the option or separate IDs with commas
    #[arg(long = "zone", value_name = "ZONE", required = true, value_delimiter = ',', value_parser = name)]
    pub(super) zones: Vec<String>,
    /// Only these L4 proxies (--kind l4); repeatable or comma-separated. Default: all
    #[arg(long = "proxy", value_name = "ID", value_delimiter = ',', value_parser = name)]
    pub(super) proxies: Vec<String>,
    /// Only these L7 domains (--kind l7); repeatable or comma-separated. Default: all
    #[arg(long = "domain", value_name = "DOMAIN", value_delimiter = ',', value_parser = name)]
    pub(super) domains: Vec<String>,
    /// Directory for the files (created if missing), or an object store prefix:
    /// s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, file:///path
    #[arg(long, value_name = "DIR|URL", value_parser = name)]
    pub(super) out: String,
    /// An S3-compatible endpoint for s3:// (Tencent COS, MinIO…), e.g.
    /// https://cos.ap-guangzhou.myqcloud.com; else AWS_ENDPOINT or AWS S3
    #[arg(long, value_name = "URL")]
    pub(super) s3_endpoint: Option<String>,
    /// Packets downloaded at once (1-64)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(super) concurrency: u16,
    /// Write the packets decompressed, as <name>.log (JSON lines); with --format gz only
    #[arg(long)]
    pub(super) decompress: bool,
    /// gz: the packets as served; parquet, ndjson, csv: a Hive-partitioned dataset
    /// (kind=/zone=/date=/hour=) converted as packets arrive
    #[arg(long, value_enum, ignore_case = true, default_value = "gz")]
    pub(super) format: OutputFormat,
    /// With a dataset --format or a URL --out: where packets wait to be stored; must be
    /// private to you (0700, yours, not a link) [default: OUT/.teo-staging, or
    /// ~/.cache/teo/staging/<hash of OUT> ($XDG_CACHE_HOME) for a URL]
    #[arg(long, value_name = "DIR")]
    pub(super) staging: Option<PathBuf>,
    /// With --format csv: write every value exactly as sent. By default a text cell that
    /// starts with = + - @ or a tab/CR gets a leading ' so spreadsheets do not run it as a
    /// formula (visitors choose URLs and user agents)
    #[arg(long)]
    pub(super) csv_raw: bool,
    /// Retry a packet that receives less than 1 KiB in this many seconds (1-3600)
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_STALL_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(super) stall_timeout: u64,
    /// Use a local mock EdgeOne (teo-mock, started in-process): no account or network needed
    #[cfg(feature = "mock")]
    #[arg(long, conflicts_with_all = ["endpoint", "secretId", "secretKey", "token", "profile"])]
    pub(super) mock: bool,
    /// The global options of the table every `teo` command shares.
    #[command(flatten)]
    pub(super) global: GlobalOptions,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Kind {
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
pub(super) enum OutputFormat {
    Gz,
    Parquet,
    Ndjson,
    Csv,
}

impl OutputFormat {
    pub(super) fn dataset(self) -> Option<teo_logs::Format> {
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

pub(super) fn name(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("an empty name".into()),
        name => Ok(name.to_owned()),
    }
}

/// The checks clap cannot express: options of the other kind, the order of the times.
pub(super) fn check(args: &DownloadArgs) -> Result<(), clap::Error> {
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
pub(super) fn time_range(
    args: &DownloadArgs,
    now: time::OffsetDateTime,
) -> Result<Range, clap::Error> {
    let range = RangeArgs {
        start: args.start.clone(),
        end: args.end.clone(),
        since: args.since,
        until: args.until,
    };
    range::resolve(&range, now).map_err(download_error)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::Logs;
    use super::*;

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
        assert!(!args.decompress);
        #[cfg(feature = "mock")]
        assert!(!args.mock);
        let args = parse(&with(&["--zone", "z", "--stall-timeout", "5"])).unwrap();
        assert_eq!(args.stall_timeout, 5);
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
        #[cfg(feature = "mock")]
        {
            let mock_key = message(&with(&["--zone", "z", "--mock", "--secretKey", "k"]));
            assert!(mock_key.contains("--mock"), "{mock_key}");
            assert!(!mock_key.contains(" k "), "{mock_key}");
        }
    }
}
