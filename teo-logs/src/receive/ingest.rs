//! One push, from its bytes to a durable batch or a typed refusal. Blocking (it syncs files):
//! the server calls it on a blocking thread.
//!
//! Order of the checks: the authentication first (a stranger's body is not even decoded),
//! then room in staging, the decoded size, the replay rule, the shape, the records' members,
//! and last the synced write. Only a batch that is in staging, synced, is answered 2xx.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tc_runtime::clock::Clock;

use crate::columns::Table;
use crate::members::{self, Check, Layout};
use crate::receive::auth::{AuthError, OriginAuth, ReplayGuard};
use crate::receive::decode::{decode, DecodeError};
use crate::receive::metrics::Metrics;
use crate::receive::shape::BodyFormat;
use crate::receive::stage::{BatchRef, Encoding, Staged, Staging};
use crate::receive::typed;
use crate::Kind;

/// A push refused: the HTTP status, the reason (safe to log and to answer: it never quotes the
/// body or a key) and its metrics label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400, 401, 403, 413, 500 or 503.
    pub status: u16,
    /// Why, in a sentence.
    pub reason: String,
    /// The `reason` label of `teo_receive_rejected_total`.
    pub label: &'static str,
    /// Seconds to wait before pushing again (503).
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub(crate) fn new(status: u16, label: &'static str, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
            label,
            retry_after: None,
        }
    }
}

/// A push stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The batch's id (hex BLAKE3 of the decoded body).
    pub batch: String,
    /// Records in it.
    pub records: usize,
    /// It was staged before (a resend): nothing was written now.
    pub resend: bool,
}

/// Limits on one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a body as sent.
    pub body: usize,
    /// Bytes of a body decoded.
    pub decoded: usize,
    /// Bytes staged at most; pushes beyond are answered 503 until rolls catch up.
    pub staged: u64,
    /// Time to receive a body whole: a pusher that trickles is answered 408.
    pub body_time: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body: 16 << 20,
            decoded: 64 << 20,
            staged: 1 << 30,
            body_time: std::time::Duration::from_secs(120),
        }
    }
}

/// Seconds a pusher is asked to wait when staging is full or failing.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Takes pushes into staging.
#[derive(Debug)]
pub struct Ingest {
    pub(crate) auth: Option<OriginAuth>,
    pub(crate) replays: ReplayGuard,
    pub(crate) format: BodyFormat,
    pub(crate) kind: Kind,
    /// How batches are staged: as columns for a Parquet dataset.
    pub(crate) encoding: Encoding,
    pub(crate) staging: Arc<Staging>,
    pub(crate) limits: Limits,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) crash: Option<Arc<crate::receive::crash::CrashPoint>>,
}

impl Ingest {
    /// Stores the push of `body` to `path?query`, or says why not.
    pub fn push(
        &self,
        path: &str,
        query: Option<&str>,
        content_encoding: Option<&str>,
        body: &[u8],
    ) -> Result<Accepted, Refusal> {
        let result = self.store(path, query, content_encoding, body);
        match &result {
            Ok(accepted) => {
                self.metrics
                    .count_accepted(accepted.records, accepted.resend, body.len());
            }
            Err(refusal) => self.metrics.reject(refusal.label),
        }
        result
    }

    fn store(
        &self,
        path: &str,
        query: Option<&str>,
        content_encoding: Option<&str>,
        body: &[u8],
    ) -> Result<Accepted, Refusal> {
        let now = unix_seconds(self.clock.now());
        let key = match &self.auth {
            Some(auth) => Some(auth.check(path, query, now).map_err(auth_refusal)?),
            None => None,
        };
        if self.staging.bytes() >= self.limits.staged {
            return Err(Refusal {
                retry_after: Some(RETRY_AFTER_SECS),
                ..Refusal::new(
                    503,
                    "staging_full",
                    "staging is full; rolls into the dataset are behind or failing",
                )
            });
        }
        if body.len() > self.limits.body {
            return Err(Refusal::new(
                413,
                "too_large",
                format!("the body is larger than {} bytes", self.limits.body),
            ));
        }
        let batch = decode(body, content_encoding, self.limits.decoded).map_err(|e| match e {
            DecodeError::TooLarge { .. } => Refusal::new(413, "too_large", e.to_string()),
            DecodeError::Encoding(_) => Refusal::new(415, "encoding", e.to_string()),
            _ => Refusal::new(400, "gzip", e.to_string()),
        })?;
        self.metrics.add_decoded(batch.len());
        let pushed = batch.len() as u64;
        // BLAKE3, not SHA-256: as strong for a content id, and it reads the body about four
        // times as fast here (SHA-256 was a tenth of the receiver's CPU time).
        let id: [u8; 32] = *blake3::hash(&batch).as_bytes();
        if let Some(auth_key) = &key {
            self.replays
                .admit(auth_key, id, now)
                .map_err(auth_refusal)?;
        }
        let batch_ref = BatchRef {
            kind: self.kind.as_str().to_owned(),
            id: hex::encode(id),
        };
        if self.staging.holds(&batch_ref) {
            return Ok(Accepted {
                batch: batch_ref.id,
                records: 0,
                resend: true,
            });
        }
        if self.encoding == Encoding::Columns && self.format.is_default() {
            // Well-formed bodies of the default shapes are read in one pass; any other, or
            // any fault, goes the careful way below, which names the record and the fault.
            let staged = crate::with_record!(self.kind, T => typed::stage_body::<T>(&batch));
            if let Some((columns, records)) = staged {
                drop(batch);
                let staged = self
                    .staging
                    .stage(&batch_ref, Encoding::Columns, &columns, pushed);
                return self.staged(batch_ref, records, staged);
            }
        }
        let (lines, records) = self
            .format
            .to_lines(&batch)
            .map_err(|e| Refusal::new(400, "unparseable", e.to_string()))?;
        drop(batch);
        let staged = match self.encoding {
            Encoding::Columns => {
                let columns = crate::with_record!(self.kind, T => typed::stage_bytes::<T>(&lines))
                    .map_err(|e| match e.record {
                        0 => Refusal::new(500, e.label, e.reason),
                        n => Refusal::new(400, e.label, format!("record {n}: {}", e.reason)),
                    })?;
                drop(lines);
                self.staging
                    .stage(&batch_ref, Encoding::Columns, &columns, pushed)
            }
            Encoding::Lines => {
                self.check_members(&lines)?;
                self.staging
                    .stage(&batch_ref, Encoding::Lines, &lines, pushed)
            }
        };
        self.staged(batch_ref, records, staged)
    }

    /// The answer to a push whose staging ended as `staged`.
    fn staged(
        &self,
        batch: BatchRef,
        records: usize,
        staged: std::io::Result<Staged>,
    ) -> Result<Accepted, Refusal> {
        crate::receive::crash::reach(&self.crash, crate::receive::crash::Step::Staged);
        match staged {
            Ok(staged) => Ok(Accepted {
                batch: batch.id,
                records,
                resend: staged == Staged::Already,
            }),
            Err(e) => Err(Refusal {
                retry_after: Some(RETRY_AFTER_SECS),
                ..Refusal::new(
                    503,
                    "staging_failed",
                    format!("cannot stage the batch: {e}"),
                )
            }),
        }
    }

    /// Each record's known members must read as their types (the dataset's columns): a
    /// record that would be a bad line later is refused now, when the pusher can hear it.
    fn check_members(&self, lines: &[u8]) -> Result<(), Refusal> {
        let layout = crate::with_record!(self.kind, T => layout::<T>());
        for (i, line) in crate::receive::shape::each_line(lines).enumerate() {
            members::parse(layout, line, Check::AtParse)
                .map_err(|e| Refusal::new(400, "bad_member", format!("record {}: {e}", i + 1)))?;
        }
        Ok(())
    }
}

/// Where a record type's members are: what the borrowed check reads a line with.
fn layout<T: Table>() -> Layout {
    Layout {
        fields: T::fields(),
        index: T::field_index,
    }
}

fn auth_refusal(e: AuthError) -> Refusal {
    let status = match e {
        AuthError::Missing | AuthError::Malformed => 401,
        AuthError::Busy => 503,
        _ => 403,
    };
    Refusal {
        retry_after: (status == 503).then_some(RETRY_AFTER_SECS),
        ..Refusal::new(status, e.label(), e.to_string())
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
