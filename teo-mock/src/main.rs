//! `teo-mock`: runs the EdgeOne mock endpoint until Ctrl-C or SIGTERM.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use teo_mock::faults::parse_duration;
use teo_mock::faults::FaultPlan;
use teo_mock::logs::{parse_byte_size, DEFAULT_CACHE_BYTES, MAX_PACKET_BYTES};
use teo_mock::server::{
    DEFAULT_BODY_LIMIT, DEFAULT_PUSH_BATCH, DEFAULT_PUSH_RATE, DEFAULT_RATE_LIMIT,
    DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY,
};
use teo_mock::{Credential, MockConfig, MockServer};

/// A local EdgeOne (teo 2022-09-01) endpoint: verifies TC3 signatures, validates requests
/// against the spec, answers from the official examples, and injects faults.
#[derive(Debug, Parser)]
#[command(name = "teo-mock", version)]
struct Args {
    /// Port to listen on (0: any free port; the one chosen is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Address to listen on: an IP, or IP:PORT (then --port is not needed).
    #[arg(long, default_value = "127.0.0.1", value_parser = parse_bind)]
    bind: SocketAddr,

    /// A credential to accept, repeatable (default: the built-in pair). With TOKEN, requests
    /// must carry it as X-TC-Token.
    // Parsed after clap, so that a malformed value, which may hold a secret, is not echoed.
    #[arg(long = "credential", value_name = "ID:KEY[:TOKEN]")]
    credentials: Vec<String>,

    /// Accept any signature (or none).
    #[arg(long)]
    no_verify_signature: bool,

    /// Do not limit the call rate.
    #[arg(long, conflicts_with = "rate_limit")]
    no_rate_limit: bool,

    /// Calls a second allowed per action; beyond it RequestLimitExceeded.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RATE_LIMIT)]
    rate_limit: u32,

    /// Largest request body accepted, in bytes; beyond it RequestSizeLimitExceeded.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,

    /// A fault to inject, repeatable: ACTION (or *, or LogPacket for log packet downloads) :
    /// request-limit-exceeded | internal-error | bad-gateway | reset | truncate | bad-json |
    /// corrupt | repeat-page | latency=200ms : a probability 0.0-1.0 or count=N.
    /// E.g. DescribeZones:internal-error:0.5, '*:reset:count=3', DescribeZones:latency=200ms:1.0,
    /// LogPacket:corrupt:count=2, DownloadL4Logs:repeat-page:count=1
    #[arg(long = "fault", value_name = "ACTION:FAULT:TRIGGER")]
    faults: Vec<FaultPlan>,

    /// Make every log packet at least SIZE (gzip bytes) with more records, for benchmarks:
    /// bytes, or with a unit, e.g. 8MiB, 512KiB (at most 1GiB). Listed sizes stay exact.
    #[arg(long, value_name = "SIZE", value_parser = parse_packet_size)]
    log_packet_size: Option<u64>,

    /// Bound of the cache of served log packets, e.g. 64MiB (the default) or 1GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_cache_size)]
    log_cache_size: Option<usize>,

    /// How long created purge/prefetch tasks, sites, acceleration domains and verifications
    /// take to reach their final status, e.g. 3s (the default) or 500ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    task_duration: Option<std::time::Duration>,

    /// Records a second each real-time log delivery task pushes (tasks created with
    /// CreateRealtimeLogDeliveryTask, TaskType custom_endpoint or s3).
    #[arg(long, value_name = "RECORDS", default_value_t = DEFAULT_PUSH_RATE)]
    push_rate: u32,

    /// Records per POST (or S3 object).
    #[arg(long, value_name = "RECORDS", default_value_t = DEFAULT_PUSH_BATCH)]
    push_batch: usize,

    /// A task stops pushing once this many records are acknowledged (default: never).
    #[arg(long, value_name = "N")]
    push_total: Option<u64>,

    /// First wait before a batch is resent after a non-2xx answer or a failed connection,
    /// doubled at each attempt, e.g. 200ms (the default).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    push_backoff: Option<std::time::Duration>,

    /// Longest wait before a resend (a Retry-After is bounded by it too), e.g. 10s (the
    /// default).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    push_backoff_cap: Option<std::time::Duration>,

    /// An extra receiver, repeatable: batches go in turn to a task's URL and these.
    #[arg(long = "push-target", value_name = "URL")]
    push_targets: Vec<String>,

    /// Push to any host (by default only to loopback and private addresses).
    #[arg(long)]
    push_anywhere: bool,

    /// A push fault, repeatable, armed by count: lost-200:N (the next N batches' 2xx answers
    /// are taken as lost and the batches resent), duplicate:N (sent twice), replay:N (sent
    /// again with the same auth_key), after:K (let K batches pass first).
    #[arg(long = "push-fault", value_name = "KIND:N")]
    push_faults: Vec<String>,
}

fn parse_packet_size(text: &str) -> Result<u64, String> {
    let bytes = parse_byte_size(text)?;
    if bytes > MAX_PACKET_BYTES {
        return Err(format!("{text} is over the maximum of 1GiB"));
    }
    Ok(bytes)
}

fn parse_cache_size(text: &str) -> Result<usize, String> {
    let bytes = parse_byte_size(text)?;
    usize::try_from(bytes).map_err(|_| format!("{text} does not fit this machine's memory"))
}

fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 0))
        .map_err(|_| format!("{text:?} is neither an IP address nor IP:PORT"))
}

fn parse_credential(text: &str) -> Result<Credential, String> {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(key), token) if !id.is_empty() && !key.is_empty() => {
            let credential = Credential::new(id, key);
            Ok(match token {
                Some(token) if !token.is_empty() => credential.with_token(token),
                _ => credential,
            })
        }
        // The value holds a secret: not echoed.
        _ => Err("expected ID:KEY or ID:KEY:TOKEN".into()),
    }
}

impl Args {
    fn config(self) -> Result<MockConfig, String> {
        let mut bind = self.bind;
        if self.port != 0 {
            bind.set_port(self.port);
        }
        let mut config = MockConfig::default()
            .bind(bind)
            .verify_signature(!self.no_verify_signature)
            .rate_limit((!self.no_rate_limit).then_some(self.rate_limit))
            .body_limit(self.body_limit)
            .log_packet_bytes(self.log_packet_size)
            .log_cache_bytes(self.log_cache_size.unwrap_or(DEFAULT_CACHE_BYTES));
        if let Some(duration) = self.task_duration {
            config = config.task_duration(duration);
        }
        config = config
            .push_rate(self.push_rate)
            .push_batch(self.push_batch)
            .push_total(self.push_total)
            .push_anywhere(self.push_anywhere);
        config.push_backoff = self.push_backoff.unwrap_or(config.push_backoff);
        config.push_backoff_cap = self.push_backoff_cap.unwrap_or(config.push_backoff_cap);
        config.push_targets = self.push_targets;
        for fault in &self.push_faults {
            config
                .push_faults
                .arm(fault)
                .map_err(|e| format!("invalid value for --push-fault: {e}"))?;
        }
        if !self.credentials.is_empty() {
            let credentials = self
                .credentials
                .iter()
                .map(|text| parse_credential(text))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("invalid value for --credential: {e}"))?;
            config = config.credentials(credentials);
        }
        config.faults = self.faults;
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Args::parse().config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("teo-mock: {e}");
            return ExitCode::from(2);
        }
    };
    let default_credentials = config.credentials.len() == 1
        && config.credentials[0].secret_id == DEFAULT_SECRET_ID
        && config.credentials[0].secret_key == DEFAULT_SECRET_KEY;
    let ids: Vec<String> = config
        .credentials
        .iter()
        .map(|c| c.secret_id.clone())
        .collect();
    let verify = config.verify_signature;
    let faults: Vec<String> = config.faults.iter().map(ToString::to_string).collect();
    let packet_bytes = config.log_packet_bytes;

    let mock = match MockServer::start(config).await {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("teo-mock: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "teo-mock listening on {}", mock.url());
    if default_credentials {
        let _ = writeln!(out, "SecretId:  {DEFAULT_SECRET_ID}");
        let _ = writeln!(out, "SecretKey: {DEFAULT_SECRET_KEY}");
    } else {
        let _ = writeln!(out, "accepting SecretIds: {}", ids.join(", "));
    }
    if !verify {
        let _ = writeln!(out, "signature verification is off");
    }
    for fault in faults {
        let _ = writeln!(out, "fault: {fault}");
    }
    if let Some(bytes) = packet_bytes {
        let _ = writeln!(out, "log packets: at least {bytes} bytes each");
    }
    let _ = out.flush();
    drop(out);

    wait_for_signal().await;
    mock.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_signal() {
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
