//! The blocking end of a packet's attempt: check the received file against the listed size,
//! decode it when decompressing (under the ratio and size limits), sync and rename it into
//! place ([`AtomicFile::commit`]), and record its digest.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use tc_runtime::fs::AtomicFile;

use super::digest;
use super::error::{fs_error, DownloadError};

/// Bytes gathered before each write to the temporary file (when streaming and when decoding).
pub(super) const WRITE_BUFFER: usize = 256 << 10;

/// What the end of one attempt needs to know.
pub(super) struct Finish {
    /// The packet's `LogPacketName`, for errors.
    pub(super) name: String,
    /// The listed size.
    pub(super) expected: Option<u64>,
    pub(super) decompress: bool,
    /// The bytes the packet may decode to.
    pub(super) decode_limit: u64,
    pub(super) target: PathBuf,
    /// Whether the digest is recorded beside the packet.
    pub(super) digests: bool,
}

impl Finish {
    /// Checks, (decodes,) commits `part`, `received` bytes long, and records its digest (from
    /// `hasher` when it saw the bytes kept). Returns the bytes written under the final name.
    pub(super) fn run(
        self,
        part: AtomicFile,
        received: u64,
        hasher: Option<digest::Hasher>,
    ) -> Result<u64, DownloadError> {
        let Finish {
            name,
            expected,
            decompress,
            decode_limit,
            target,
            digests,
        } = self;
        if let Some(expected) = expected {
            if !matches_size(part.temp_path(), received, expected, decode_limit) {
                return Err(DownloadError::SizeMismatch {
                    name,
                    expected,
                    received,
                });
            }
        }
        // Synced, renamed over the target (a link there replaced, not followed), the
        // directory synced: the name survives a crash and always holds a whole file.
        let written = if decompress {
            let mut out = AtomicFile::create(&target).map_err(fs_error)?;
            let written = gunzip_into(part.temp_path(), &mut out, &name, decode_limit)?;
            drop(part);
            out.commit().map_err(fs_error)?;
            written
        } else {
            part.commit().map_err(fs_error)?;
            received
        };
        if digests {
            // Decompressed, the file is not the bytes received: hashed as written.
            let digest = match hasher {
                Some(hasher) => Ok(hasher.hex()),
                None => digest::sha256_file(&target),
            };
            digest
                .and_then(|digest| digest::record(&target, &digest))
                .map_err(|source| DownloadError::Io {
                    path: target.clone(),
                    what: "cannot record the digest of",
                    source,
                })?;
        }
        Ok(written)
    }
}

/// Decodes the gzip file at `from` into `output` (not yet synced); returns the decoded length.
/// Stops with [`DownloadError::DecompressedTooLarge`] past `limit` bytes.
fn gunzip_into(
    from: &Path,
    output: &mut AtomicFile,
    name: &str,
    limit: u64,
) -> Result<u64, DownloadError> {
    let to = &output.temp_path().to_owned();
    let io = |path: &Path, what| {
        let path = path.to_owned();
        move |source| DownloadError::Io { path, what, source }
    };
    let input = std::fs::File::open(from).map_err(io(from, "cannot read"))?;
    let compressed = input.metadata().map_err(io(from, "cannot read"))?.len();
    let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    let mut writer = io::BufWriter::with_capacity(WRITE_BUFFER, output);
    let mut buffer = vec![0; 64 << 10];
    let mut written = 0u64;
    loop {
        let n = match decoder.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(DownloadError::Corrupt {
                    name: name.to_owned(),
                    reason: e.to_string(),
                })
            }
        };
        written = written.saturating_add(n as u64);
        // Checked before writing: the disk never holds more than the limit.
        if written > limit {
            return Err(DownloadError::DecompressedTooLarge {
                name: name.to_owned(),
                limit,
                compressed,
            });
        }
        writer
            .write_all(&buffer[..n])
            .map_err(io(to, "cannot write"))?;
    }
    writer.into_inner().map_err(|e| DownloadError::Io {
        path: to.to_owned(),
        what: "cannot write",
        source: e.into_error(),
    })?;
    Ok(written)
}

/// Whether the packet file at `path`, `len` bytes long, has the listed size: its length, or —
/// as DownloadL7Logs documents `Size` as the "original" size — its decompressed length. Decodes
/// at most `expected + 1` bytes (enough to tell) and never past `decode_limit`.
pub(super) fn matches_size(path: &Path, len: u64, expected: u64, decode_limit: u64) -> bool {
    if len == expected {
        return true;
    }
    if expected > decode_limit {
        return false;
    }
    let Ok(input) = std::fs::File::open(path) else {
        return false;
    };
    let decoder = flate2::read::MultiGzDecoder::new(io::BufReader::new(input));
    io::copy(
        &mut decoder.take(expected.saturating_add(1)),
        &mut io::sink(),
    )
    .is_ok_and(|decoded| decoded == expected)
}
