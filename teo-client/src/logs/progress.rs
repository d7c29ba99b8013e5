//! What a run reports as it goes: an [`Event`] per step of a packet, with running totals
//! ([`Progress`]), to the callback of [`Downloader::on_progress`](super::Downloader::on_progress).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::DownloadError;
use super::packet::Packet;

/// What happened to one packet; reported to the progress callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The listing is complete: the totals are known.
    Listed,
    /// A packet's file (at `path`) was already complete.
    Skipped {
        /// The packet as listed.
        packet: &'a Packet,
        /// Its file.
        path: &'a Path,
    },
    /// Bytes of a packet arrived.
    Received {
        /// The packet as listed.
        packet: &'a Packet,
        /// The length of the chunk that just arrived, in bytes.
        bytes: u64,
    },
    /// An attempt failed and will be retried after `delay`.
    Retrying {
        /// The packet as listed.
        packet: &'a Packet,
        /// Its file.
        path: &'a Path,
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// The pause before the next attempt.
        delay: Duration,
        /// Why the attempt failed.
        error: &'a DownloadError,
    },
    /// A packet is complete under its final name.
    Downloaded {
        /// The packet as listed.
        packet: &'a Packet,
        /// Its file.
        path: &'a Path,
    },
    /// A packet failed for good; nothing is at `path`.
    Failed {
        /// The packet as listed.
        packet: &'a Packet,
        /// Where it would have been written.
        path: &'a Path,
        /// Why its last attempt failed.
        error: &'a DownloadError,
    },
}

/// Running totals, passed with every [`Event`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Packets listed (after de-duplication).
    pub packets: u64,
    /// Sum of the listed sizes.
    pub bytes: u64,
    /// Packets downloaded so far.
    pub downloaded: u64,
    /// Packets found already complete.
    pub skipped: u64,
    /// Packets that failed for good.
    pub failed: u64,
    /// Bytes received, retries included, plus the sizes of skipped packets.
    pub bytes_done: u64,
}

impl Progress {
    /// Packets finished one way or another.
    pub fn packets_done(&self) -> u64 {
        self.downloaded + self.skipped + self.failed
    }
}

pub(super) type ProgressFn = dyn Fn(&Event<'_>, &Progress) + Send + Sync;

/// The totals behind the progress callback.
pub(super) struct Tracker {
    pub(super) callback: Option<Arc<ProgressFn>>,
    pub(super) totals: Mutex<Progress>,
    /// Bytes received over the network (`Progress::bytes_done` also counts skipped packets).
    pub(super) received: AtomicU64,
}

impl Tracker {
    pub(super) fn report(&self, event: &Event<'_>, update: impl FnOnce(&mut Progress)) {
        let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
        update(&mut totals);
        let snapshot = *totals;
        drop(totals);
        if let Some(callback) = &self.callback {
            callback(event, &snapshot);
        }
    }

    pub(super) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}
