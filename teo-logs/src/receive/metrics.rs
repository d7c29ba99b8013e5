//! The receiver's counters, served at `/metrics` in Prometheus' text format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the roll-duration histogram's buckets.
const ROLL_BUCKETS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Counters shared by the HTTP side and the roller.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Batches stored (2xx), resends included.
    pub batches: AtomicU64,
    /// Of those, batches found staged already (a resend to this receiver).
    pub resends: AtomicU64,
    /// Records in the batches stored the first time.
    pub records: AtomicU64,
    /// Body bytes received, as sent (compressed).
    pub bytes_received: AtomicU64,
    /// Body bytes after decoding.
    pub bytes_decoded: AtomicU64,
    /// Batches left out of rolls: written already by another roll or receiver.
    pub duplicates: AtomicU64,
    /// Records written to the dataset.
    pub records_written: AtomicU64,
    /// Rolls that failed (their batches stay staged).
    pub roll_failures: AtomicU64,
    rejects: Mutex<BTreeMap<&'static str, u64>>,
    rolls: Mutex<Histogram>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; ROLL_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the metrics read from the staging directory at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct StagingGauges {
    /// Bytes staged, not yet written to the dataset.
    pub bytes: u64,
    /// The same batches' bytes as pushed (decoded): what `--roll-size` counts.
    pub pushed_bytes: u64,
    /// Batches staged.
    pub batches: u64,
    /// Seconds since the oldest staged batch was received (0 when none).
    pub oldest_age_seconds: u64,
}

impl Metrics {
    /// Counts a stored push of `wire` bytes holding `records` (a resend: staged before).
    pub fn count_accepted(&self, records: usize, resend: bool, wire: usize) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.bytes_received
            .fetch_add(wire as u64, Ordering::Relaxed);
        if resend {
            self.resends.fetch_add(1, Ordering::Relaxed);
        } else {
            self.records.fetch_add(records as u64, Ordering::Relaxed);
        }
    }

    /// Counts what a roll did: `records` written, `duplicates` batches left out.
    pub fn count_roll(&self, records: u64, duplicates: usize) {
        self.duplicates
            .fetch_add(duplicates as u64, Ordering::Relaxed);
        self.records_written.fetch_add(records, Ordering::Relaxed);
    }

    /// Counts decoded bytes.
    pub fn add_decoded(&self, bytes: usize) {
        self.bytes_decoded
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Counts a refused push under `reason`.
    pub fn reject(&self, reason: &'static str) {
        let mut rejects = self.rejects.lock().unwrap_or_else(|e| e.into_inner());
        *rejects.entry(reason).or_default() += 1;
    }

    /// Refused pushes counted under `reason`.
    pub fn rejects(&self, reason: &str) -> u64 {
        let rejects = self.rejects.lock().unwrap_or_else(|e| e.into_inner());
        rejects.get(reason).copied().unwrap_or(0)
    }

    /// Records how long a roll took.
    pub fn roll_took(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut rolls = self.rolls.lock().unwrap_or_else(|e| e.into_inner());
        for (count, bound) in rolls.counts.iter_mut().zip(ROLL_BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        rolls.count += 1;
        rolls.sum += seconds;
    }

    /// The text served at `/metrics`.
    pub fn render(&self, staging: StagingGauges) -> String {
        let mut out = String::with_capacity(4096);
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "teo_receive_batches_total",
            "Batches stored and answered 2xx, resends included.",
            get(&self.batches),
        );
        counter(
            "teo_receive_resends_total",
            "Batches found staged already (a resend to this receiver).",
            get(&self.resends),
        );
        counter(
            "teo_receive_records_total",
            "Records in batches stored the first time.",
            get(&self.records),
        );
        counter(
            "teo_receive_received_bytes_total",
            "Body bytes received as sent (compressed).",
            get(&self.bytes_received),
        );
        counter(
            "teo_receive_decoded_bytes_total",
            "Body bytes after decoding.",
            get(&self.bytes_decoded),
        );
        counter(
            "teo_receive_duplicate_batches_total",
            "Batches left out of a roll: written already by another roll or receiver.",
            get(&self.duplicates),
        );
        counter(
            "teo_receive_written_records_total",
            "Records written to the dataset.",
            get(&self.records_written),
        );
        counter(
            "teo_receive_roll_failures_total",
            "Rolls that failed; their batches stay staged.",
            get(&self.roll_failures),
        );
        let _ = writeln!(out, "# HELP teo_receive_rejected_total Pushes refused, by reason.\n# TYPE teo_receive_rejected_total counter");
        for (reason, count) in self
            .rejects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "teo_receive_rejected_total{{reason=\"{reason}\"}} {count}"
            );
        }
        let mut gauge = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            "teo_receive_staged_bytes",
            "Bytes staged, not yet in the dataset.",
            staging.bytes,
        );
        gauge(
            "teo_receive_staged_batches",
            "Batches staged, not yet in the dataset.",
            staging.batches,
        );
        gauge(
            "teo_receive_oldest_unflushed_seconds",
            "Age of the oldest staged batch.",
            staging.oldest_age_seconds,
        );
        let rolls = self.rolls.lock().unwrap_or_else(|e| e.into_inner());
        let name = "teo_receive_roll_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to write a roll into the dataset.\n# TYPE {name} histogram"
        );
        for (count, bound) in rolls.counts.iter().zip(ROLL_BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", rolls.count);
        let _ = writeln!(out, "{name}_sum {}", rolls.sum);
        let _ = writeln!(out, "{name}_count {}", rolls.count);
        out
    }
}
