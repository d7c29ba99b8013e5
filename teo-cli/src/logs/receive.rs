//! `teo logs receive`: an HTTP(S) endpoint for EdgeOne's real-time log push (a
//! `custom_endpoint` task), landing records once in a dataset by [`teo_logs::receive`].

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::receive::{
    BodyFormat, Events, Limits, LogFormat, OriginAuth, Receiver, ReceiverConfig, Refusal,
    RollError, RollReport,
};
use teo_logs::{staging, Dataset, Format, Kind};

use super::args;
use crate::failure::{printable, with_causes, EXIT_FAILED, EXIT_USAGE};
use crate::stdout;

/// The environment variable read for the task's AccessKey unless --access-key-file is given.
pub(crate) const ACCESS_KEY_ENV: &str = "TEO_RECEIVE_ACCESS_KEY";
/// Largest access key file read.
const MAX_KEY_FILE: u64 = 4 << 10;

pub(crate) const AFTER_HELP: &str = "\
Point a real-time log delivery task of type custom_endpoint (CreateRealtimeLogDeliveryTask,
CustomEndpoint.Url) at this endpoint. Each POST is answered 200 only once its batch is synced
to the staging directory; every --roll seconds (or --roll-size MiB pushed) the staged batches
are written to
  OUT/kind=<l7|l4|function>/zone=<ZONE>/date=<YYYY-MM-DD>/hour=<HH>/rt-<roll>-<part>.<parquet|ndjson|csv>
A batch pushed again (after a lost answer, to this or another receiver writing to the same
OUT) is written once: each batch is claimed under OUT/_teo_received/ before it is written.
Keep the staging directory across restarts: a receiver killed mid-roll finishes it at start.

Origin authentication: give the task's AccessId with --access-id and its AccessKey in the
environment variable TEO_RECEIVE_ACCESS_KEY or a file only you can read (--access-key-file);
never on the command line. Without them, unsigned pushes are taken only with --no-auth.

Answers: 200 stored; 400 unreadable (the record and reason); 401/403 authentication; 413 too
large; 503 with Retry-After when staging is full or failing. GET /metrics (Prometheus) and
GET /healthz are served on the same address. Ctrl-C or SIGTERM stops taking pushes, rolls what
is staged and exits.

Example:
  TEO_RECEIVE_ACCESS_KEY=... teo logs receive --listen 0.0.0.0:8443 --tls-cert cert.pem \\
    --tls-key key.pem --access-id my-id --out dataset --zone zone-demo";

#[derive(Args)]
pub(crate) struct ReceiveArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:8443 (port 0: any free port, printed at start)
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The dataset's directory (created if missing), or s3://bucket/prefix, gs://…, az://…
    #[arg(long, value_name = "DIR|URL", value_parser = args::name)]
    out: String,
    /// An S3-compatible endpoint for s3:// (Tencent COS, MinIO…)
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// The dataset's file format
    #[arg(long, value_enum, ignore_case = true, default_value = "parquet")]
    format: ReceiveFormat,
    /// The task's LogType: l7-access-logs (and the older domain, web-rateLiming, web-rule,
    /// web-bot) are L7 records, application L4 records, function edge function records
    #[arg(long, value_name = "TYPE", default_value = "l7-access-logs", value_parser = log_type)]
    log_type: Kind,
    /// The zone= partition of the records
    #[arg(long, value_name = "ZONE", value_parser = args::name)]
    zone: Option<String>,
    /// The task's LogFormat, as the API takes it, e.g. '{"FormatType":"csv","FieldDelimiter":","}'
    #[arg(long, value_name = "JSON")]
    log_format: Option<String>,
    /// The task's Fields, in order (needed with a csv LogFormat)
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    fields: Vec<String>,
    /// The task's CustomEndpoint.AccessId (its AccessKey: TEO_RECEIVE_ACCESS_KEY or --access-key-file)
    #[arg(long, value_name = "ID", value_parser = args::name)]
    access_id: Option<String>,
    /// A file holding the task's AccessKey, readable by you only (0600)
    #[arg(long, value_name = "FILE", requires = "access_id")]
    access_key_file: Option<PathBuf>,
    /// Take pushes without origin authentication
    #[arg(long, conflicts_with_all = ["access_id", "access_key_file"])]
    no_auth: bool,
    /// PEM certificate chain: serve HTTPS
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where batches are staged until rolled (private: 0700, yours) [default: OUT/.teo-receive,
    /// or ~/.cache/teo/staging/<hash> for a URL]
    #[arg(long, value_name = "DIR")]
    staging: Option<PathBuf>,
    /// Roll staged batches into the dataset every this many seconds (1-86400)…
    #[arg(long = "roll", value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    roll: u64,
    /// …or once this many MiB of logs are staged, counted as pushed (decoded) (1-4096)
    #[arg(long, value_name = "MIB", default_value_t = 128,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    roll_size: u64,
    /// Largest body taken, in MiB as sent (1-1024); decoded, 4 times that
    #[arg(long, value_name = "MIB", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    max_body: u64,
    /// Let a local mock EdgeOne (teo-mock, in-process) create a task pushing RECORDS records
    /// here, signed; stop once they are received: no account or network needed
    #[cfg(feature = "mock")]
    #[arg(long, value_name = "RECORDS", conflicts_with_all = ["access_id", "access_key_file", "no_auth"],
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    mock: Option<u64>,
    /// Most MiB staged; pushes are answered 503 beyond (16-1048576)
    #[arg(long, value_name = "MIB", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(16..=1_048_576))]
    max_staged: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReceiveFormat {
    Parquet,
    Ndjson,
    Csv,
}

fn log_type(text: &str) -> Result<Kind, String> {
    match text {
        "l7-access-logs" | "domain" | "web-rateLiming" | "web-rule" | "web-bot" => Ok(Kind::L7),
        "application" => Ok(Kind::L4),
        "function" => Ok(Kind::Function),
        "web-attack" => Err(
            "web-attack records are not received yet: their fields are not in the log fields spec \
             (l7-access-logs, domain, web-rateLiming, web-rule, web-bot, application, function)"
                .into(),
        ),
        other => Err(format!(
            "unknown LogType {other:?} (l7-access-logs, domain, web-rateLiming, web-rule, web-bot, application, function)"
        )),
    }
}

pub(crate) fn run(args: ReceiveArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(EXIT_FAILED, &format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(receive(args))
}

async fn receive(args: ReceiveArgs) -> ExitCode {
    let config = match configure(&args) {
        Ok(config) => config,
        Err((code, message)) => return fail(code, &message),
    };
    let format = match args.format {
        ReceiveFormat::Parquet => Format::Parquet,
        ReceiveFormat::Ndjson => Format::Ndjson,
        ReceiveFormat::Csv => Format::Csv,
    };
    let store_options = StoreOptions {
        s3_endpoint: args.s3_endpoint.clone(),
        ..StoreOptions::default()
    };
    let dataset = Destination::parse(&args.out, &store_options, tokio::runtime::Handle::current())
        .map_err(|e| e.to_string())
        .and_then(|dest| Dataset::new(dest, format).map_err(|e| with_causes(&e)));
    let dataset = match dataset {
        Ok(dataset) => dataset,
        Err(message) => return fail(EXIT_FAILED, &message),
    };
    let shown = teo_logs::destination::shown_url(&args.out);
    let auth = config.auth.clone();
    let receiver = match Receiver::start(config, dataset).await {
        Ok(receiver) => receiver,
        Err(e) => return fail(EXIT_FAILED, &format!("cannot receive: {}", with_causes(&e))),
    };
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    // The first line tells scripts (and tests) the address when the port was 0.
    let _ = stdout::write(&format!(
        "listening on {scheme}://{} (dataset {})\n",
        receiver.addr(),
        printable(&shown)
    ));
    match (mock_records(&args), &auth) {
        (Some(records), Some(auth)) => {
            let url = format!("{scheme}://{}/edgeone", receiver.addr());
            let pushed = tokio::select! {
                pushed = super::mock::push(&url, records, config_zone(&args), auth) => pushed,
                () = stop_signal() => Ok(None),
            };
            match pushed {
                Ok(Some(line)) => {
                    let _ = writeln!(io::stderr(), "{}", printable(&line));
                }
                Ok(None) => {}
                Err(failure) => {
                    let _ = writeln!(io::stderr(), "{}", printable(&failure.message));
                }
            }
        }
        _ => stop_signal().await,
    }
    let _ = writeln!(io::stderr(), "stopping: rolling what is staged");
    let metrics = receiver.metrics();
    let (batches, records) = (
        metrics.batches.load(std::sync::atomic::Ordering::Relaxed),
        metrics.records.load(std::sync::atomic::Ordering::Relaxed),
    );
    match receiver.shutdown().await {
        Ok(rolls) => {
            let written: u64 = rolls.iter().map(|r| r.records).sum();
            let _ = stdout::write(&format!(
                "received {batches} batches ({records} records); the last roll wrote {written} records\n"
            ));
            ExitCode::SUCCESS
        }
        Err(e) => fail(
            EXIT_FAILED,
            &format!(
                "the last roll failed; the batches stay staged for the next start: {}",
                with_causes(&e)
            ),
        ),
    }
}

/// `--mock RECORDS`, when given (never without the `mock` feature).
fn mock_records(args: &ReceiveArgs) -> Option<u64> {
    #[cfg(feature = "mock")]
    return args.mock;
    #[cfg(not(feature = "mock"))]
    {
        let _ = args;
        None
    }
}

fn config_zone(args: &ReceiveArgs) -> String {
    args.zone.clone().unwrap_or_else(|| "zone-demo".to_owned())
}

/// Ctrl-C, or SIGTERM (how service managers stop a process).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn configure(args: &ReceiveArgs) -> Result<ReceiverConfig, (u8, String)> {
    let usage = |m: String| (EXIT_USAGE, m);
    let log_format = match &args.log_format {
        Some(text) => Some(
            serde_json::from_str::<LogFormat>(text)
                .map_err(|e| usage(format!("--log-format: not a LogFormat object: {e}")))?,
        ),
        None => None,
    };
    let fields: Vec<String> = args.fields.iter().map(|f| f.trim().to_owned()).collect();
    let format =
        BodyFormat::new(log_format, &fields).map_err(|e| usage(format!("--log-format: {e}")))?;
    let auth = match (&args.access_id, args.no_auth) {
        _ if mock_records(args).is_some() => Some(super::mock::push_auth()),
        (Some(id), _) => Some(OriginAuth::new(id.clone(), access_key(args)?)),
        (None, true) => None,
        (None, false) => {
            return Err(usage(
                "give the task's --access-id (its AccessKey in TEO_RECEIVE_ACCESS_KEY or --access-key-file), or --no-auth to take unsigned pushes".into(),
            ))
        }
    };
    let staging_dir = match &args.staging {
        Some(dir) => dir.clone(),
        None if !args.out.contains("://") => Path::new(&args.out).join(".teo-receive"),
        None => staging::default_dir(&format!("receive {}", args.out))
            .map_err(|e| usage(e.to_string()))?,
    };
    let mut config = ReceiverConfig::new(staging_dir);
    config.listen = args.listen;
    config.tls = args.tls_cert.clone().zip(args.tls_key.clone());
    config.auth = auth;
    config.format = format;
    config.kind = args.log_type;
    config.zone.clone_from(&args.zone);
    config.limits = Limits {
        body: (args.max_body << 20) as usize,
        decoded: (args.max_body << 22) as usize,
        staged: args.max_staged << 20,
        ..Limits::default()
    };
    config.roll_every = Duration::from_secs(args.roll);
    config.roll_bytes = args.roll_size << 20;
    config.events = std::sync::Arc::new(Stderr);
    // For the tests that kill a receiver at exact points (see teo_logs::receive::crash).
    if let Ok(point) = std::env::var("TEO_RECEIVE_CRASH_AFTER") {
        config.crash =
            Some(std::sync::Arc::new(point.parse().map_err(|e| {
                usage(format!("TEO_RECEIVE_CRASH_AFTER: {e}"))
            })?));
    }
    Ok(config)
}

/// The AccessKey: from --access-key-file (a regular file only this user can read, not a
/// link), else the environment. Never from the command line, where other users see it.
fn access_key(args: &ReceiveArgs) -> Result<String, (u8, String)> {
    let key = match &args.access_key_file {
        Some(path) => read_key_file(path).map_err(|m| (EXIT_USAGE, m))?,
        None => std::env::var(ACCESS_KEY_ENV).unwrap_or_default(),
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err((
            EXIT_USAGE,
            format!(
                "--access-id needs the task's AccessKey in {ACCESS_KEY_ENV} or --access-key-file"
            ),
        ));
    }
    Ok(key)
}

fn read_key_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let file = options
        .open(path)
        .map_err(|e| format!("--access-key-file {shown}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("--access-key-file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("--access-key-file {shown}: not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.mode() & 0o077 != 0 {
            return Err(format!(
                "--access-key-file {shown}: readable by group or others (mode {:o}); chmod 600 it",
                meta.mode() & 0o777
            ));
        }
    }
    let mut text = String::new();
    file.take(MAX_KEY_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("--access-key-file {shown}: {e}"))?;
    if text.len() as u64 > MAX_KEY_FILE {
        return Err(format!(
            "--access-key-file {shown}: larger than {MAX_KEY_FILE} bytes"
        ));
    }
    Ok(text)
}

/// A line on stderr per refused push and per roll; reasons come from pushers: escaped.
#[derive(Debug)]
struct Stderr;

impl Events for Stderr {
    fn refused(&self, peer: SocketAddr, refusal: &Refusal) {
        let line = format!(
            "refused a push from {peer}: {} {}",
            refusal.status, refusal.reason
        );
        let _ = writeln!(io::stderr(), "{}", printable(&line));
    }

    fn rolled(&self, report: &RollReport) {
        let line = format!(
            "roll {}: {} batches, {} records in {} files ({} batches written before, left out)",
            report.roll,
            report.batches,
            report.records,
            report.files.len(),
            report.duplicates
        );
        let _ = writeln!(io::stderr(), "{}", printable(&line));
    }

    fn roll_failed(&self, error: &RollError) {
        let line = format!(
            "roll failed (the batches stay staged; retrying): {}",
            with_causes(error)
        );
        let _ = writeln!(io::stderr(), "{}", printable(&line));
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "{}", printable(message));
    ExitCode::from(code)
}
