//! Log packets in an object store as the input of a conversion: what EdgeOne's real-time push
//! to S3 (`TaskType s3`) leaves in a bucket, or any prefix of packets.
//!
//! The push's object names are not documented, so nothing here depends on them: every object
//! under the prefix is a packet (but for names with a segment starting with `.` or `_`, which
//! are hidden or ours), gzip is told by its first bytes, the content is JSON Lines. An object
//! is known in the dataset by its key below the prefix (`/` read as `_`), recorded in its
//! marker with its content's hash, so a rerun downloads only objects not converted yet, and
//! two objects of the same file name in different directories are two packets.
//!
//! Each new object is downloaded into a private staging directory (see [`crate::staging`]),
//! converted, and removed; at most [`MAX_OBJECT_BYTES`] each, so a store that streams without
//! end fills no disk.

use std::io;
use std::path::{Path, PathBuf};

use crate::dataset::{ConvertError, ConvertOptions, ConvertReport, Dataset};
use crate::destination::Destination;
use crate::Kind;

/// Largest object downloaded (bytes): far above an hour of one domain's logs.
pub const MAX_OBJECT_BYTES: u64 = 64 << 30;
/// Objects listed under one prefix at most; a longer listing is an error (give a narrower
/// prefix), never a silently partial conversion.
pub const MAX_OBJECTS: usize = 1_000_000;

/// An object under the input prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputObject {
    /// Its key below the prefix (`2024/08/12/part-0001.log.gz`).
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
}

impl InputObject {
    /// The packet name it is known by in the dataset: its key with `/` read as `_`.
    pub fn packet_name(&self) -> String {
        self.key.replace('/', "_")
    }
}

/// What converting one object did.
#[derive(Debug)]
pub struct ObjectOutcome {
    /// The object.
    pub object: InputObject,
    /// The conversion's report (`skipped` when converted before: not even downloaded), or why
    /// it failed.
    pub result: Result<ConvertReport, ConvertError>,
}

/// The objects under `input`'s prefix (a store), sorted by key. Blocks.
pub fn list(input: &Destination) -> io::Result<Vec<InputObject>> {
    let store = input.store().ok_or_else(not_a_store)?;
    // Names with a segment starting with `.` or `_` are hidden or ours.
    let hidden = |key: &str| {
        key.split('/')
            .any(|s| s.starts_with('.') || s.starts_with('_'))
    };
    let mut objects: Vec<InputObject> = store
        .list(hidden, MAX_OBJECTS)?
        .into_iter()
        .map(|(key, size)| InputObject { key, size })
        .collect();
    objects.sort();
    Ok(objects)
}

/// Downloads `object` of `input` into the new file `to` (0600, never through a link). Blocks.
pub fn download(input: &Destination, object: &InputObject, to: &Path) -> io::Result<()> {
    let store = input.store().ok_or_else(not_a_store)?;
    let mut file = tc_runtime::fs::AtomicFile::create(to)?;
    store.download(&object.key, &mut file, MAX_OBJECT_BYTES)?;
    file.commit()?;
    Ok(())
}

fn not_a_store() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not an object store URL")
}

impl Dataset {
    /// Converts every object under `input` (a store prefix) not converted before, a few at a
    /// time: downloaded into `staging` (a private directory), converted with `options`
    /// (`threads` objects at once), removed. Without a kind in `options`, each object's is
    /// detected. Blocks.
    pub fn convert_objects(
        &self,
        input: &Destination,
        staging: &Path,
        options: ConvertOptions,
    ) -> io::Result<Vec<ObjectOutcome>> {
        crate::staging::prepare(staging).map_err(|e| io::Error::other(e.to_string()))?;
        let objects = list(input)?;
        let zone = options.zone.as_deref();
        let converted = |name: &str| match options.kind {
            Some(kind) => self.holds_packet(kind, zone, name),
            None => [Kind::L7, Kind::L4]
                .iter()
                .any(|&k| self.holds_packet(k, zone, name)),
        };
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let mut outcomes = Vec::new();
        let mut pending: Vec<(InputObject, PathBuf)> = Vec::new();
        for object in objects {
            if converted(&object.packet_name()) {
                outcomes.push(ObjectOutcome {
                    object,
                    result: Ok(ConvertReport {
                        skipped: true,
                        ..ConvertReport::default()
                    }),
                });
                continue;
            }
            let path = staging.join(object.packet_name());
            match download(input, &object, &path) {
                Ok(()) => pending.push((object, path)),
                Err(source) => outcomes.push(ObjectOutcome {
                    result: Err(ConvertError::Io {
                        path: input.name(Path::new(&object.key)),
                        source,
                    }),
                    object,
                }),
            }
            if pending.len() == threads {
                outcomes.extend(self.convert_pending(std::mem::take(&mut pending), &options));
            }
        }
        outcomes.extend(self.convert_pending(pending, &options));
        outcomes.sort_by(|a, b| a.object.cmp(&b.object));
        Ok(outcomes)
    }

    fn convert_pending(
        &self,
        pending: Vec<(InputObject, PathBuf)>,
        options: &ConvertOptions,
    ) -> Vec<ObjectOutcome> {
        let paths: Vec<PathBuf> = pending.iter().map(|(_, p)| p.clone()).collect();
        let results = self.convert_files(&paths, options.clone());
        pending
            .into_iter()
            .zip(results)
            .map(|((object, path), result)| {
                let _ = std::fs::remove_file(&path);
                ObjectOutcome { object, result }
            })
            .collect()
    }
}
