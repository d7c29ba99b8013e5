//! Digests of downloaded packets, for a directory whose files must prove they are the ones this
//! program downloaded — a staging directory, where a packet waits to be uploaded and a rerun
//! would otherwise take any file of the listed size as that packet. Size is no identity: the
//! SHA-256 of each packet is recorded beside it when it is downloaded (`.<file>.sha256`, 0600,
//! written like the packet: a hidden exclusive file renamed into place), and a packet found
//! later is complete only when its content still has that digest. The record sits in the same
//! directory, so it catches a packet changed, cut short or replaced since — by a crash, a disk,
//! a process of the same user — while keeping other users out is the directory's privacy (see
//! `teo_logs::staging`).

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tc_runtime::fs::{write_all_atomic, PRIVATE_MODE};

/// Longest digest file read: 64 hex digits and a newline.
const MAX_DIGEST_FILE: u64 = 65;

/// Where the digest of the packet at `packet` is recorded.
pub fn digest_path(packet: &Path) -> PathBuf {
    let name = packet
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    packet.with_file_name(format!(".{name}.sha256"))
}

/// The SHA-256 of the (packet) file at `path`, as lowercase hex: what a packet is known by.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 256 << 10];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Hasher(hasher).hex())
}

/// A packet's SHA-256 taken as its bytes go by.
#[derive(Default)]
pub(super) struct Hasher(Sha256);

impl Hasher {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest as lowercase hex.
    pub(super) fn hex(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Records `digest` (hex) as that of the (complete, renamed) packet at `packet`, owner-only,
/// atomically and durably ([`write_all_atomic`]).
pub(super) fn record(packet: &Path, digest: &str) -> io::Result<()> {
    // The caller names the path: the operating system's error as it came.
    write_all_atomic(
        digest_path(packet),
        format!("{digest}\n").as_bytes(),
        PRIVATE_MODE,
    )
    .map_err(|e| e.source)
}

/// Whether the packet at `packet` has the digest recorded for it. No record (or one that is
/// a link, too long or unreadable) is no match.
pub(super) fn matches(packet: &Path) -> bool {
    let target = digest_path(packet);
    let recorded = match std::fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_DIGEST_FILE => {
            std::fs::read_to_string(&target)
        }
        _ => return false,
    };
    let Ok(recorded) = recorded else {
        return false;
    };
    sha256_file(packet).is_ok_and(|actual| actual == recorded.trim_end())
}

/// Removes the packet at `packet` and its digest (best effort: gone already is fine).
pub fn remove_with_digest(packet: &Path) -> io::Result<()> {
    let removed = match std::fs::remove_file(packet) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    let _ = std::fs::remove_file(digest_path(packet));
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_matches_only_its_recorded_digest() {
        let dir = std::env::temp_dir().join(format!("teo-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let packet = dir.join("p.log.gz");
        std::fs::write(&packet, b"the packet").unwrap();
        assert!(!matches(&packet), "no record yet");
        record(&packet, &sha256_file(&packet).unwrap()).unwrap();
        assert!(matches(&packet));
        assert_eq!(digest_path(&packet), dir.join(".p.log.gz.sha256"));
        // Same size, other bytes: not the packet downloaded.
        std::fs::write(&packet, b"forged!!!!").unwrap();
        assert!(!matches(&packet));
        // A record that is no digest file is no match either.
        std::fs::write(digest_path(&packet), vec![b'0'; 100]).unwrap();
        assert!(!matches(&packet));
        remove_with_digest(&packet).unwrap();
        assert!(!packet.exists() && !digest_path(&packet).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
