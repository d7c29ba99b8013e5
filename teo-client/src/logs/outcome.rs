//! What a run ends with: its [`DownloadReport`], the packets that failed in it ([`FailedPacket`]), and what
//! became of each packet.

use std::path::PathBuf;

use super::error::DownloadError;
use super::packet::Packet;

/// The outcome of a run that could list and write: some packets may still have failed.
#[derive(Debug, Default)]
pub struct DownloadReport {
    /// Packets listed, after de-duplication.
    pub packets: u64,
    /// Listed entries dropped because another entry had the same URL path.
    pub duplicates: u64,
    /// Packets downloaded by this run.
    pub downloaded: u64,
    /// Packets already complete on disk, not downloaded again.
    pub skipped: u64,
    /// Bytes written by this run (decompressed bytes when decompressing).
    pub bytes_written: u64,
    /// Bytes received over the network, failed attempts included.
    pub bytes_received: u64,
    /// The packets that failed, with why.
    pub failed: Vec<FailedPacket>,
}

/// A packet that could not be downloaded.
#[derive(Debug)]
pub struct FailedPacket {
    /// The packet as listed.
    pub packet: Packet,
    /// Where it would have been written.
    pub path: PathBuf,
    /// Why its last attempt failed.
    pub error: DownloadError,
}

impl DownloadReport {
    /// Every listed packet is on disk.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

pub(super) enum Done {
    Skipped,
    Downloaded { written: u64 },
}
