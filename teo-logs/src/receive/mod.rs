//! Receiving EdgeOne's real-time log push (`CustomEndpoint` tasks) into a dataset, exactly once.
//!
//! ```text
//! EdgeOne ──POST──▶ server ─▶ ingest: auth → limits → decode → shape → members ─▶ staging (synced) ─▶ 2xx
//!                                                                                  │
//!                                        roller (every --roll s or MiB) ◀──────────┘
//!                                          claims in the dataset → rt-<roll>-<part>.parquet files
//! ```
//!
//! - A 2xx means the batch is in the receiver's staging directory, synced ([`stage`]).
//! - Every `roll` seconds, or once as many bytes are staged, staged batches are written into the
//!   dataset (same layout and formats as `convert`), engine-sized files rather than one per
//!   push ([`roll`]).
//! - **Exactly once.** A batch is known by the BLAKE3 hash of its decoded body. A resend to the
//!   same receiver finds its staged file; a resend that reaches another receiver (behind a load
//!   balancer) is staged there too, but only one roll can claim the batch in the shared
//!   dataset (a create-if-absent: a hard link locally, `If-None-Match: *` in S3), and only the
//!   claiming roll writes it. A roll's steps are recorded in a manifest and can each be
//!   repeated, so a receiver killed at any point finishes its rolls when restarted with the
//!   same staging directory: nothing lost, nothing doubled. Two receivers never write the
//!   same file name (roll ids carry 64 random bits).
//! - Refusals are typed: 401/403 authentication ([`auth`]), 400 unparseable (the record and
//!   reason, never the body), 413 too large (decoded size bounded too), 503 with `Retry-After`
//!   when staging is full or failing.

pub mod auth;
#[doc(hidden)]
pub mod crash;
pub mod decode;
pub mod ingest;
pub mod metrics;
pub mod roll;
mod server;
pub mod shape;
pub mod stage;
mod typed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tc_runtime::clock::Clock;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::dataset::Dataset;
use crate::staging::StagingError;
use crate::Kind;
pub use auth::OriginAuth;
pub use ingest::{Accepted, Ingest, Limits, Refusal};
pub use metrics::Metrics;
pub use roll::{RollError, RollReport, Roller};
pub use shape::{BodyFormat, LogFormat};
pub use stage::Staging;

/// What a receiver tells as it runs, for a program to show (the `teo` CLI prints a line each to
/// stderr). Every method has a default that does nothing.
pub trait Events: Send + Sync + std::fmt::Debug {
    /// A push from `peer` was refused (its reason never quotes the body or a key).
    fn refused(&self, peer: SocketAddr, refusal: &Refusal) {
        let _ = (peer, refusal);
    }
    /// A roll wrote batches into the dataset.
    fn rolled(&self, report: &RollReport) {
        let _ = report;
    }
    /// A roll failed; its batches stay staged and are tried again.
    fn roll_failed(&self, error: &RollError) {
        let _ = error;
    }
}

/// [`Events`] that tell nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Events for Quiet {}

/// How a receiver runs.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// PEM certificate chain and private key: HTTPS when given.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The private staging directory (the receiver's durable state: keep it across restarts).
    pub staging: PathBuf,
    /// The task's origin authentication; `None` accepts unsigned pushes.
    pub auth: Option<OriginAuth>,
    /// The task's `LogFormat` and `Fields`.
    pub format: BodyFormat,
    /// The records' kind (from the task's `LogType`).
    pub kind: Kind,
    /// The `zone=` partition.
    pub zone: Option<String>,
    /// Limits on pushes and staging.
    pub limits: Limits,
    /// Roll staged batches into the dataset this often…
    pub roll_every: Duration,
    /// …or once this many bytes are staged.
    pub roll_bytes: u64,
    /// Connections open at once, at most.
    pub max_connections: usize,
    /// Pushes read and stored at once, at most (each holds its body in memory).
    pub concurrent_pushes: usize,
    /// The time authentication is checked against.
    pub clock: Arc<dyn Clock>,
    /// Where refusals and rolls are told.
    pub events: Arc<dyn Events>,
    /// For durability tests only: abort the process at this point (see [`crash`]).
    #[doc(hidden)]
    pub crash: Option<Arc<crash::CrashPoint>>,
}

impl ReceiverConfig {
    /// Defaults: 127.0.0.1:0, no TLS, no auth, default shapes, L7, rolls every 60 s or 128 MiB.
    pub fn new(staging: impl Into<PathBuf>) -> ReceiverConfig {
        ReceiverConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            staging: staging.into(),
            auth: None,
            format: BodyFormat::default_shapes(),
            kind: Kind::L7,
            zone: None,
            limits: Limits::default(),
            roll_every: Duration::from_secs(60),
            roll_bytes: 128 << 20,
            max_connections: 512,
            concurrent_pushes: 4,
            clock: tc_runtime::clock::system(),
            events: Arc::new(Quiet),
            crash: None,
        }
    }
}

/// Why a receiver cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The staging directory cannot be used.
    #[error(transparent)]
    Staging(#[from] StagingError),
    /// Finishing the rolls a killed receiver left failed.
    #[error("finishing interrupted rolls: {0}")]
    Recover(#[from] RollError),
    /// Listening or loading the TLS files failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A running receiver: the HTTP side on the current tokio runtime, the roller on its own thread.
pub struct Receiver {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    staging: Arc<Staging>,
    roller: Roller,
    events: Arc<dyn Events>,
    wake: Arc<Wake>,
    shutdown: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    claimer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Wakes the roller early (enough staged, a roll asked for, stop).
#[derive(Debug, Default)]
pub(crate) struct Wake {
    state: Mutex<WakeState>,
    cond: Condvar,
}

#[derive(Debug, Default)]
struct WakeState {
    stop: bool,
}

impl Wake {
    /// Wakes the roller to look again (enough is staged).
    fn nudge(&self) {
        // Under the lock: the roller is either waiting (and woken) or about to look.
        let _state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.cond.notify_all();
    }
}

impl Receiver {
    /// Opens staging, finishes interrupted rolls, binds, and starts serving and rolling.
    /// Call inside a tokio runtime (multi-threaded: rolls block their own thread only).
    pub async fn start(config: ReceiverConfig, dataset: Dataset) -> Result<Receiver, ReceiveError> {
        let staging = Arc::new(Staging::open(&config.staging)?);
        // Parquet is written from columns: a batch is read into them once, when pushed.
        let encoding = match dataset.format() {
            crate::Format::Parquet => stage::Encoding::Columns,
            crate::Format::Ndjson | crate::Format::Csv => stage::Encoding::Lines,
        };
        let mut roller = Roller::new(staging.clone(), dataset, config.zone.clone());
        roller.crash.clone_from(&config.crash);
        let recovering = roller.clone();
        let recovered = tokio::task::spawn_blocking(move || recovering.recover())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        let metrics = Arc::new(Metrics::default());
        for report in &recovered {
            metrics.count_roll(report.records, report.duplicates);
        }
        let tls = match &config.tls {
            Some((cert, key)) => Some(server::tls_acceptor(cert, key)?),
            None => None,
        };
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let ingest = Arc::new(Ingest {
            auth: config.auth,
            replays: auth::ReplayGuard::default(),
            format: config.format,
            kind: config.kind,
            encoding,
            staging: staging.clone(),
            limits: config.limits,
            metrics: metrics.clone(),
            clock: config.clock,
            crash: config.crash,
        });
        let wake = Arc::new(Wake::default());
        let shared = Arc::new(server::Shared {
            ingest,
            events: config.events.clone(),
            metrics: metrics.clone(),
            staging: staging.clone(),
            connections: Arc::new(Semaphore::new(config.max_connections.max(1))),
            pushes: Arc::new(Semaphore::new(config.concurrent_pushes.max(1))),
            tls,
            roller: wake.clone(),
            roll_bytes: config.roll_bytes,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let server = tokio::spawn(server::accept_loop(listener, shared, shutdown_rx));
        let thread = {
            let rolling = Rolling {
                roller: roller.clone(),
                metrics: metrics.clone(),
                events: config.events.clone(),
            };
            let (wake, staging) = (wake.clone(), staging.clone());
            let (every, bytes) = (config.roll_every, config.roll_bytes);
            std::thread::Builder::new()
                .name("teo-receive-roller".into())
                .spawn(move || roll_loop(&rolling, &wake, &staging, every, bytes))?
        };
        // Into an object store a claim is a request: they are made as batches arrive, not
        // all when a roll comes due (on disk a roll's claims are one file's links: no need).
        let claimer = if roller.claims_are_requests() {
            let rolling = Rolling {
                roller: roller.clone(),
                metrics: metrics.clone(),
                events: config.events.clone(),
            };
            let (wake, bytes) = (wake.clone(), config.roll_bytes);
            let thread = std::thread::Builder::new()
                .name("teo-receive-claimer".into())
                .spawn(move || claim_loop(&rolling, &wake, bytes))?;
            Some(thread)
        } else {
            None
        };
        tracing::info!(%addr, "receiving EdgeOne real-time logs");
        Ok(Receiver {
            addr,
            metrics,
            staging,
            roller,
            events: config.events,
            wake,
            shutdown,
            server: Some(server),
            thread: Some(thread),
            claimer,
        })
    }

    /// The address listened on (its real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters served at `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The staging directory.
    pub fn staging(&self) -> &Staging {
        &self.staging
    }

    /// Rolls everything staged now into the dataset, without waiting for the timer (tests, and
    /// the last roll at shutdown).
    pub async fn roll_now(&self) -> Result<Vec<RollReport>, RollError> {
        let rolling = Rolling {
            roller: self.roller.clone(),
            metrics: self.metrics.clone(),
            events: self.events.clone(),
        };
        tokio::task::spawn_blocking(move || {
            let mut reports = Vec::new();
            while let Some(report) = rolling.once(u64::MAX)? {
                reports.push(report);
            }
            Ok(reports)
        })
        .await
        .map_err(|e| RollError::Staging {
            path: PathBuf::new(),
            what: "the roll task failed",
            source: std::io::Error::other(e.to_string()),
        })?
    }

    /// Stops taking pushes (open ones finish), rolls what is staged, and stops the roller.
    pub async fn shutdown(mut self) -> Result<Vec<RollReport>, RollError> {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.stop_roller();
        self.roll_now().await
    }

    fn stop_roller(&mut self) {
        self.wake
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop = true;
        self.wake.cond.notify_all();
        for thread in [self.thread.take(), self.claimer.take()]
            .into_iter()
            .flatten()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.wake
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop = true;
        self.wake.cond.notify_all();
    }
}

/// What a roll needs besides the staging: the roller, and where it is counted and told.
struct Rolling {
    roller: Roller,
    metrics: Arc<Metrics>,
    events: Arc<dyn Events>,
}

impl Rolling {
    /// One roll of up to `bytes` staged bytes, counted and told; `None` when nothing is staged.
    fn once(&self, bytes: u64) -> Result<Option<RollReport>, RollError> {
        let _span = tracing::info_span!("roll").entered();
        let started = Instant::now();
        match self.roller.roll(bytes) {
            Ok(Some(report)) => {
                tracing::info!(roll = %report.roll, batches = report.batches, records = report.records, duplicates = report.duplicates, "rolled");
                self.metrics.roll_took(started.elapsed());
                self.metrics.count_roll(report.records, report.duplicates);
                self.events.rolled(&report);
                Ok(Some(report))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.metrics
                    .roll_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.events.roll_failed(&e);
                Err(e)
            }
        }
    }
}

/// Claims made ahead at once when pushes keep coming (fewer wait for a quiet tick).
const CLAIM_GROUP: usize = 16;

/// The claimer's thread ([`Roller::claim_ahead`]): claims a group of batches ahead of the roll
/// whenever as many are waiting, and whatever waits once pushes pause for a second; on a
/// failure, again after a pause that doubles up to a minute.
fn claim_loop(rolling: &Rolling, wake: &Wake, bytes: u64) {
    let tick = Duration::from_secs(1);
    let mut pause = Duration::ZERO;
    let mut not_before = Instant::now();
    let mut quiet = false;
    loop {
        if wake.state.lock().unwrap_or_else(|e| e.into_inner()).stop {
            return;
        }
        let now = Instant::now();
        if now >= not_before {
            let at_least = if quiet { 1 } else { CLAIM_GROUP };
            match rolling.roller.claim_ahead(bytes, at_least) {
                Ok(0) => pause = Duration::ZERO,
                Ok(_) => {
                    pause = Duration::ZERO;
                    quiet = false;
                    continue;
                }
                Err(e) => {
                    rolling
                        .metrics
                        .roll_failures
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    rolling.events.roll_failed(&e);
                    pause = (pause * 2).clamp(tick, Duration::from_secs(60));
                    not_before = Instant::now() + pause;
                }
            }
        }
        let state = wake.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.stop {
            return;
        }
        let wait = tick.max(not_before.saturating_duration_since(Instant::now()));
        let (state, waited) = wake
            .cond
            .wait_timeout(state, wait)
            .unwrap_or_else(|e| e.into_inner());
        drop(state);
        quiet = waited.timed_out();
    }
}

/// The roller's thread: a roll when the oldest staged batch is `every` old or `bytes` (as
/// pushed) are staged — looked at every second, when a push says so, and at once again after a
/// roll; on a failure, again after a pause that doubles up to a minute (pushes meanwhile do not
/// hurry it).
fn roll_loop(rolling: &Rolling, wake: &Wake, staging: &Staging, every: Duration, bytes: u64) {
    let tick = every
        .min(Duration::from_secs(1))
        .max(Duration::from_millis(10));
    let mut pause = Duration::ZERO;
    let mut not_before = Instant::now();
    loop {
        if wake.state.lock().unwrap_or_else(|e| e.into_inner()).stop {
            return;
        }
        let now = Instant::now();
        let due = now >= not_before && {
            let gauges = staging.gauges(std::time::SystemTime::now());
            gauges.pushed_bytes >= bytes
                || (gauges.batches > 0 && gauges.oldest_age_seconds >= every.as_secs())
        };
        if !due {
            let wait = tick.max(not_before.saturating_duration_since(now));
            let state = wake.state.lock().unwrap_or_else(|e| e.into_inner());
            if !state.stop {
                let _ = wake
                    .cond
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner());
            }
            continue;
        }
        pause = match rolling.once(bytes) {
            Ok(_) => Duration::ZERO,
            Err(_) => (pause * 2).clamp(Duration::from_secs(1), Duration::from_secs(60)),
        };
        not_before = Instant::now() + pause;
    }
}
