//! One attempt at one packet, on the async side: wait for a download slot, send the request,
//! stream the body into a temporary file ([`AtomicFile`]) under the limits — the listed size
//! plus slack, the stall and attempt timeouts — digesting it as it arrives, then hand the file
//! to [`finish`](super::finish) on a blocking thread.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tc_runtime::fs::AtomicFile;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::digest;
use super::error::{fs_error, DownloadError};
use super::finish::{Finish, WRITE_BUFFER};
use super::limits::STALL_MIN_BYTES;
use super::options::Downloader;
use super::packet::{redact_url, Packet};
use super::progress::Event;
use super::run::{blocking, Run};

/// The clocks of one attempt, started once its download slot is taken: waiting for a slot is
/// not the server's fault.
struct Clocks<'a> {
    packet: &'a Packet,
    config: &'a Downloader,
    started: Instant,
    deadline: Instant,
}

impl<'a> Clocks<'a> {
    fn start(packet: &'a Packet, config: &'a Downloader) -> Clocks<'a> {
        let started = Instant::now();
        Clocks {
            packet,
            config,
            started,
            deadline: later(started, config.attempt_timeout),
        }
    }

    /// When the next bytes must have come, the stall window having opened at `window_start`.
    fn wait(&self, window_start: Instant) -> Instant {
        self.deadline
            .min(later(window_start, self.config.stall_timeout))
    }

    /// The error of a wait that ran out, `received` bytes in.
    fn expired(&self, received: u64) -> DownloadError {
        if Instant::now() >= self.deadline {
            DownloadError::Timeout {
                name: self.packet.name.clone(),
                after: self.config.attempt_timeout,
                received,
            }
        } else {
            DownloadError::Stalled {
                name: self.packet.name.clone(),
                after: self.config.stall_timeout,
                received,
            }
        }
    }
}

/// A body received whole into its temporary file.
struct Received {
    part: AtomicFile,
    bytes: u64,
    /// The digest of the bytes as they arrived, when one is recorded and the packet is kept as
    /// served.
    hasher: Option<digest::Hasher>,
}

impl Run {
    /// One attempt: stream to a temporary file, verify, (decompress), sync, rename. Returns the
    /// bytes written under the final name.
    pub(super) async fn attempt(
        &self,
        packet: &Packet,
        file_name: &str,
        target: &Path,
    ) -> Result<u64, DownloadError> {
        let config = &self.config;
        let slot = self
            .downloads
            .acquire()
            .await
            .map_err(|_| DownloadError::Cancelled)?;
        let clocks = Clocks::start(packet, config);
        let response = self.request(&clocks).await?;
        let received = self.receive(&clocks, response, file_name).await?;
        drop(slot);

        let finish = Finish {
            name: packet.name.clone(),
            expected: packet.size,
            decompress: config.decompress,
            decode_limit: config.decompressed_limit(received.bytes),
            target: target.to_owned(),
            digests: config.record_digests,
        };
        // Checking, decoding and syncing block; they run off the async threads.
        let finishing = self.finishing.start();
        blocking(move || {
            let _finishing = finishing;
            finish.run(received.part, received.bytes, received.hasher)
        })
        .await
    }

    /// Sends the request and checks the answer's status and declared length.
    async fn request(&self, clocks: &Clocks<'_>) -> Result<reqwest::Response, DownloadError> {
        let packet = clocks.packet;
        let url = redact_url(&packet.url);
        // No headers is no progress either.
        let response = tokio::time::timeout_at(
            clocks.wait(clocks.started),
            self.http.get(&packet.url).send(),
        )
        .await
        .map_err(|_| clocks.expired(0))?
        .map_err(transport(&url))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(DownloadError::HttpStatus {
                url,
                status: response.status().as_u16(),
            });
        }
        let limit = self.config.body_limit(packet.size);
        // A declared length past the limit fails before a byte is read.
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large(packet, limit));
        }
        Ok(response)
    }

    /// Streams the body into a new temporary file for `file_name`, through a fixed-size buffer.
    async fn receive(
        &self,
        clocks: &Clocks<'_>,
        mut response: reqwest::Response,
        file_name: &str,
    ) -> Result<Received, DownloadError> {
        let (config, tracker, packet) = (&self.config, &self.tracker, clocks.packet);
        let limit = config.body_limit(packet.size);
        let url = redact_url(&packet.url);
        // Created here, not through `tokio::fs` (a blocking thread): were this future dropped
        // while such a create was in flight, `part` would be dropped (and removed) before the
        // file existed, and the thread would then leave an orphan temporary file behind.
        let part = AtomicFile::create(config.dir.join(file_name)).map_err(fs_error)?;
        let cannot_write = |source| DownloadError::Io {
            path: part.temp_path().to_owned(),
            what: "cannot write",
            source,
        };
        // Written through a clone of its descriptor by the async runtime; `part` keeps the name,
        // and syncs and renames (or removes) it.
        let file = part.as_file().try_clone().map_err(cannot_write)?;
        let file = tokio::fs::File::from_std(file);
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut received = 0u64;
        // The digest of the bytes as they arrive (a packet kept as served): what is recorded
        // is what was received, without reading the file again.
        let mut hasher =
            (config.record_digests && !config.decompress).then(digest::Hasher::default);
        // Bytes since the stall clock last restarted, and when it did.
        let (mut window_bytes, mut window_start) = (0u64, clocks.started);
        loop {
            let chunk = tokio::time::timeout_at(clocks.wait(window_start), response.chunk())
                .await
                .map_err(|_| clocks.expired(received))?
                .map_err(transport(&url))?;
            let Some(chunk) = chunk else { break };
            let len = chunk.len() as u64;
            received = received.saturating_add(len);
            tracker.received.fetch_add(len, Ordering::Relaxed);
            tracker.report(&Event::Received { packet, bytes: len }, |t| {
                t.bytes_done = t.bytes_done.saturating_add(len)
            });
            // Checked before writing: nothing past the limit reaches the disk.
            if received > limit {
                return Err(too_large(packet, limit));
            }
            if let Some(hasher) = hasher.as_mut() {
                hasher.update(&chunk);
            }
            file.write_all(&chunk).await.map_err(cannot_write)?;
            window_bytes += len;
            if window_bytes >= STALL_MIN_BYTES {
                (window_bytes, window_start) = (0, Instant::now());
            }
        }
        file.flush().await.map_err(cannot_write)?;
        // Every write has landed once the clone is back from the runtime.
        drop(file.into_inner().into_std().await);
        Ok(Received {
            part,
            bytes: received,
            hasher,
        })
    }
}

/// A transport error of the request for `url` (redacted), without the URL reqwest adds.
fn transport(url: &str) -> impl Fn(reqwest::Error) -> DownloadError + '_ {
    move |source| DownloadError::Transport {
        url: url.to_owned(),
        source: source.without_url(),
    }
}

fn too_large(packet: &Packet, limit: u64) -> DownloadError {
    DownloadError::TooLarge {
        name: packet.name.clone(),
        limit,
        listed: packet.size,
    }
}

/// `at + by`, or a century on for a timeout too long to add (`Duration::MAX`: no limit).
fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .or_else(|| at.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(at)
}
