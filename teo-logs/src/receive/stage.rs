//! The receiver's write-ahead staging: each accepted batch is a file, synced before the push
//! is answered, so a 2xx means the batch survives a crash of the process or the machine.
//!
//! ```text
//! <staging>/batches/<kind>/<BLAKE3 of the batch>.arrow   for Parquet: typed columns (`typed`)
//! <staging>/batches/<kind>/<BLAKE3 of the batch>.jsonl   for text: one JSON object per line
//! <staging>/rolls/<roll id>.json                         a roll in progress (see `roll`)
//! <staging>/spare/<n>                                    emptied files of rolled batches
//! ```
//!
//! The directory is private (0700, refused when others could write it: see
//! [`crate::staging::prepare`]): what is staged is written to the dataset later, so another user
//! able to swap a file could forge records. A batch is named by its content's hash, so a batch
//! pushed again finds its file and is not staged twice. Files appear whole (written under a
//! hidden name, synced, renamed, the directory synced); temporaries a killed process left are
//! removed at start.
//!
//! A rolled batch's file is emptied and kept as a spare, and the next batch is written into a
//! spare rather than a new file: ext4 without a journal, when asked for a new inode, first
//! skips every inode freed in the last 30 seconds, one by one, and with a file per push and
//! all of them removed at each roll that search took a tenth of the receiver's time.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use tc_runtime::fs::AtomicFile;

use crate::receive::metrics::StagingGauges;
use crate::staging::{prepare, StagingError};

/// A staged batch: its id (hex BLAKE3 of the batch as received, decoded) and kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchRef {
    /// `l7` or `l4`: the directory it is staged in.
    pub kind: String,
    /// Hex BLAKE3 of the decoded body.
    pub id: String,
}

/// How a batch's records are staged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Typed columns (an Arrow IPC stream), read and checked once when pushed: for Parquet
    /// datasets, which a roll then only encodes.
    Columns,
    /// JSON Lines as pushed: for the text formats, written from records.
    Lines,
}

impl Encoding {
    const ALL: [Encoding; 2] = [Encoding::Columns, Encoding::Lines];

    fn extension(self) -> &'static str {
        match self {
            Encoding::Columns => "arrow",
            Encoding::Lines => "jsonl",
        }
    }

    /// How the staged file at `path` holds its records, told by its name.
    pub fn of(path: &Path) -> Option<Encoding> {
        let extension = path.extension()?;
        Encoding::ALL
            .into_iter()
            .find(|e| extension == e.extension())
    }
}

/// Whether a batch was staged now or was there already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staged {
    /// Written and synced now.
    New,
    /// The same batch was staged before (a resend).
    Already,
}

/// The staging directory of one receiver.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    bytes: AtomicU64,
    /// When each staged batch arrived (its file's time after a restart): for the age of the
    /// oldest, which says whether rolls keep up; and its size as pushed.
    arrived: Mutex<BTreeMap<BatchRef, Arrival>>,
    /// Bytes of the staged batches as pushed (decoded): what rolls are sized by.
    pushed: AtomicU64,
    /// Emptied files to write new batches into, and the number the next one is named by.
    spares: Mutex<(Vec<PathBuf>, u64)>,
}

/// When a staged batch arrived, and its size as pushed (decoded; after a restart, its file's
/// size stands in).
#[derive(Debug, Clone, Copy)]
struct Arrival {
    at: SystemTime,
    pushed: u64,
}

/// Spare files kept at most (empty files: an inode each, no data).
const MAX_SPARES: usize = 4096;

impl Staging {
    /// Opens (creating) the private directory `dir`, removes temporaries left by a killed
    /// process, and counts what is staged.
    pub fn open(dir: &Path) -> Result<Staging, StagingError> {
        prepare(dir)?;
        let io = |what: &'static str| {
            move |source| StagingError::Io {
                path: dir.to_owned(),
                what,
                source,
            }
        };
        for sub in ["batches", "rolls", "spare"] {
            private_dir(&dir.join(sub)).map_err(io("cannot create a staging subdirectory"))?;
        }
        let staging = Staging {
            dir: dir.to_owned(),
            bytes: AtomicU64::new(0),
            arrived: Mutex::default(),
            pushed: AtomicU64::new(0),
            spares: Mutex::default(),
        };
        let mut bytes = 0;
        let mut arrived = BTreeMap::new();
        for batch in staging
            .list()
            .map_err(io("cannot list the staged batches"))?
        {
            let meta = fs::metadata(staging.path(&batch)).ok();
            let size = meta.as_ref().map_or(0, |m| m.len());
            bytes += size;
            let time = meta.and_then(|m| m.modified().ok());
            let at = time.unwrap_or_else(SystemTime::now);
            arrived.insert(batch, Arrival { at, pushed: size });
        }
        staging.bytes.store(bytes, Ordering::Relaxed);
        staging.pushed.store(bytes, Ordering::Relaxed);
        *staging.arrived.lock().unwrap_or_else(|e| e.into_inner()) = arrived;
        staging.adopt_spares();
        sweep_temporaries(&dir.join("rolls"));
        if let Ok(kinds) = fs::read_dir(dir.join("batches")) {
            for kind in kinds.flatten() {
                sweep_temporaries(&kind.path());
            }
        }
        Ok(staging)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes staged now (batches not yet written to the dataset).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Bytes and batches staged, and the age of the oldest at `now`.
    pub fn gauges(&self, now: SystemTime) -> StagingGauges {
        let arrived = self.arrived.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = arrived.values().map(|a| a.at).min();
        StagingGauges {
            bytes: self.bytes(),
            pushed_bytes: self.pushed_bytes(),
            batches: arrived.len() as u64,
            oldest_age_seconds: oldest
                .and_then(|t| now.duration_since(t).ok())
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// Where a staged batch is (staged either way; as columns when it is not staged).
    pub fn path(&self, batch: &BatchRef) -> PathBuf {
        let columns = self.file(batch, Encoding::Columns);
        let lines = self.file(batch, Encoding::Lines);
        if fs::symlink_metadata(&lines).is_ok() {
            lines
        } else {
            columns
        }
    }

    fn file(&self, batch: &BatchRef, encoding: Encoding) -> PathBuf {
        self.dir.join("batches").join(&batch.kind).join(format!(
            "{}.{}",
            batch.id,
            encoding.extension()
        ))
    }

    /// Whether `batch` is staged (either way).
    pub fn holds(&self, batch: &BatchRef) -> bool {
        Encoding::ALL
            .into_iter()
            .any(|e| fs::symlink_metadata(self.file(batch, e)).is_ok())
    }

    /// Bytes of the staged batches as pushed (decoded).
    pub fn pushed_bytes(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    /// The size of a staged batch as it was pushed (decoded), 0 when it is not staged.
    pub fn pushed_size(&self, batch: &BatchRef) -> u64 {
        let arrived = self.arrived.lock().unwrap_or_else(|e| e.into_inner());
        arrived.get(batch).map_or(0, |a| a.pushed)
    }

    /// Puts `batches` in the order they arrived (ties, and batches not staged here, by kind
    /// and id): a roll that takes them so reads their hours in turn, as the edge sent them,
    /// rather than jumping between hours in the order of their ids — which opens a file per
    /// visit once more hours are in play than a roll keeps open.
    pub fn sort_by_arrival(&self, batches: &mut [BatchRef]) {
        let arrived = self.arrived.lock().unwrap_or_else(|e| e.into_inner());
        batches.sort_by_cached_key(|b| (arrived.get(b).map(|a| a.at), b.clone()));
    }

    /// Stages `bytes` (the batch's records in `encoding`; `pushed` bytes as pushed, decoded) as
    /// `batch`, durably (file and directory synced), unless it is staged already. Blocks.
    pub fn stage(
        &self,
        batch: &BatchRef,
        encoding: Encoding,
        bytes: &[u8],
        pushed: u64,
    ) -> io::Result<Staged> {
        if self.holds(batch) {
            return Ok(Staged::Already);
        }
        let path = self.file(batch, encoding);
        if let Some(dir) = path.parent() {
            private_dir(dir)?;
        }
        let spare = self.take_spare();
        let reused = spare.and_then(|spare| AtomicFile::reuse(&spare, &path).ok());
        let mut file = match reused {
            Some(file) => file,
            None => AtomicFile::create(&path)?,
        };
        file.write_all(bytes)?;
        let size = file.as_file().metadata().map_or(0, |m| m.len());
        // Linked, not renamed: of two pushes of one batch at once, one stages it and the other
        // finds it staged (and it is counted once).
        if !file.seal()?.link_new()? {
            return Ok(Staged::Already);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
        self.pushed.fetch_add(pushed, Ordering::Relaxed);
        let at = SystemTime::now();
        self.arrived
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(batch.clone(), Arrival { at, pushed });
        Ok(Staged::New)
    }

    /// Every staged batch, in order of kind and id.
    pub fn list(&self) -> io::Result<Vec<BatchRef>> {
        let mut out = Vec::new();
        let kinds = match fs::read_dir(self.dir.join("batches")) {
            Ok(kinds) => kinds,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for kind in kinds {
            let kind = kind?;
            let Some(kind_name) = kind.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !kind.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(kind.path())? {
                let file = file?;
                let name = file.file_name();
                let Some(id) = name.to_str().and_then(|n| {
                    Encoding::ALL
                        .into_iter()
                        .find_map(|e| n.strip_suffix(e.extension())?.strip_suffix('.'))
                }) else {
                    continue;
                };
                if is_batch_id(id) && file.file_type()?.is_file() {
                    out.push(BatchRef {
                        kind: kind_name.clone(),
                        id: id.to_owned(),
                    });
                }
            }
        }
        out.sort();
        // Staged both ways (never by this code, but a hand could): one batch still.
        out.dedup();
        Ok(out)
    }

    /// Removes staged batches written to the dataset (gone already is fine), then syncs
    /// their directories. Their files are emptied and kept as spares (see the module).
    pub fn remove(&self, batches: &[BatchRef]) -> io::Result<()> {
        let mut dirs = std::collections::BTreeSet::new();
        let mut spared = false;
        for batch in batches {
            let path = self.path(batch);
            let size = fs::metadata(&path).map_or(0, |m| m.len());
            let gone = match self.retire(&path) {
                Ok(kept) => {
                    spared |= kept;
                    true
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            if gone {
                self.bytes
                    .fetch_sub(size.min(self.bytes()), Ordering::Relaxed);
            }
            if let Some(dir) = path.parent() {
                dirs.insert(dir.to_owned());
            }
            let arrival = self
                .arrived
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(batch);
            if let Some(arrival) = arrival {
                let pushed = arrival.pushed.min(self.pushed.load(Ordering::Relaxed));
                self.pushed.fetch_sub(pushed, Ordering::Relaxed);
            }
        }
        if spared {
            dirs.insert(self.dir.join("spare"));
        }
        for dir in dirs {
            tc_runtime::fs::sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Takes the staged file at `path` away: emptied and kept as a spare (true), or removed
    /// when there are spares enough.
    fn retire(&self, path: &Path) -> io::Result<bool> {
        let mut spares = self.spares.lock().unwrap_or_else(|e| e.into_inner());
        if spares.0.len() >= MAX_SPARES {
            drop(spares);
            fs::remove_file(path)?;
            return Ok(false);
        }
        let spare = self.dir.join("spare").join(spares.1.to_string());
        spares.1 += 1;
        fs::rename(path, &spare)?;
        // Emptied at once: what was rolled does not linger in staging.
        let emptied = open_no_follow(&spare).and_then(|f| f.set_len(0));
        if emptied.is_err() {
            fs::remove_file(&spare)?;
            return Ok(false);
        }
        spares.0.push(spare);
        Ok(true)
    }

    fn take_spare(&self) -> Option<PathBuf> {
        self.spares
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .pop()
    }

    /// The spares a previous process left: the empty regular files among them (anything else
    /// there is removed).
    fn adopt_spares(&self) {
        let dir = self.dir.join("spare");
        let mut spares = self.spares.lock().unwrap_or_else(|e| e.into_inner());
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let number = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok());
            let empty_file = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0);
            match number {
                Some(n) if empty_file && spares.0.len() < MAX_SPARES => {
                    spares.1 = spares.1.max(n + 1);
                    spares.0.push(path);
                }
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
    }
}

/// Opens `path` for writing, never through a symbolic link.
fn open_no_follow(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(path)
}

/// Whether `id` is a batch id: 64 lowercase hex digits.
pub fn is_batch_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Removes the hidden temporaries (`.<name>.<random>.part`) a killed writer left in `dir`.
fn sweep_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if tc_runtime::fs::temporary_target(&entry.file_name()).is_some() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(id: char) -> BatchRef {
        BatchRef {
            kind: "l7".into(),
            id: id.to_string().repeat(64),
        }
    }

    /// A rolled batch's file is emptied and written again for the next batch (the same inode),
    /// so staging asks the file system for no new file; what a spare held is gone at once.
    #[cfg(unix)]
    #[test]
    fn rolled_files_are_emptied_and_reused() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("teo-stage-spare-{}", fastrand::u64(..)));
        let staging = Staging::open(&dir).unwrap();
        let (a, b) = (batch('a'), batch('b'));
        staging
            .stage(&a, Encoding::Lines, b"{\"secret\":1}\n", 13)
            .unwrap();
        assert_eq!(staging.pushed_size(&a), 13);
        let inode = fs::metadata(staging.path(&a)).unwrap().ino();
        staging.remove(std::slice::from_ref(&a)).unwrap();
        let spares: Vec<_> = fs::read_dir(dir.join("spare")).unwrap().flatten().collect();
        assert_eq!(spares.len(), 1);
        assert_eq!(spares[0].metadata().unwrap().len(), 0, "emptied");
        assert_eq!(staging.bytes(), 0);

        let staged = staging.stage(&b, Encoding::Columns, b"new", 3).unwrap();
        assert_eq!(staged, Staged::New);
        let path = staging.path(&b);
        assert_eq!(fs::metadata(&path).unwrap().ino(), inode, "the same file");
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.join("spare")).unwrap().count(), 0);
        assert_eq!(staging.list().unwrap(), std::slice::from_ref(&b));

        // A spare left by an earlier process is taken back when empty; anything else there
        // (a link a hand put there, a file with data) is removed, never followed.
        staging.remove(std::slice::from_ref(&b)).unwrap();
        drop(staging);
        let outside = dir.join("outside");
        fs::write(&outside, b"keep").unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("spare/77")).unwrap();
        fs::write(dir.join("spare/78"), b"data").unwrap();
        let staging = Staging::open(&dir).unwrap();
        assert_eq!(fs::read_dir(dir.join("spare")).unwrap().count(), 1);
        staging.stage(&a, Encoding::Lines, b"again\n", 6).unwrap();
        assert_eq!(fs::metadata(staging.path(&a)).unwrap().ino(), inode);
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
        fs::remove_dir_all(&dir).unwrap();
    }
}
