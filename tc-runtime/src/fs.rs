//! Files that appear whole or not at all: [`AtomicFile`], the one "write a hidden temporary
//! file beside the target, sync it, rename it over the target, sync the directory" of the
//! workspace (profile files, downloaded log packets and their digests, datasets, reports).
//!
//! # Why each step
//!
//! - The temporary sits in the target's own directory, so the rename stays within one file
//!   system and is atomic: the name holds the old file or the new one, never a part.
//! - Its name is `.<name>.<16 random hex>.part` (leading dots of `name` dropped): hidden, so
//!   readers walking the directory skip it; unpredictable, so nobody can plant something at it
//!   in advance; one scheme everywhere, so one sweep recognises the leftovers of a killed
//!   process.
//! - It is created exclusively (`O_CREAT | O_EXCL`, and `O_NOFOLLOW` on unix): an existing file
//!   or a symbolic link at the name — even a dangling one — makes creation fail (and another
//!   name is drawn), so nothing planted there is ever written through and two writers never
//!   share a temporary. Owner-only (0600) unless the caller asks for another mode.
//! - [`AtomicFile::commit`] flushes, syncs the file, renames it over the target and syncs the
//!   directory, so after it returns the new content survives a crash under the target's name.
//!   The rename replaces whatever entry is at the target: a symbolic link there is replaced
//!   itself, never followed (what it pointed to is untouched). Callers that must refuse a link
//!   at the target (a profile file) check that themselves.
//! - Dropped before its commit, the temporary is removed: a failed or abandoned write leaves
//!   nothing behind (a killed process can; see [`is_temporary_of`]).
//!
//! # Errors
//!
//! Errors of creating and committing are [`FsError`]s naming the path and the step; writes
//! through [`std::io::Write`] return the operating system's error untouched (its raw code tells
//! a full disk apart), the caller knowing which file it writes.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The mode of a new temporary file unless the caller gives another: owner-only.
pub const PRIVATE_MODE: u32 = 0o600;
/// How a temporary file's name ends.
pub const TEMP_SUFFIX: &str = ".part";
/// Names drawn before creation gives up: only a race or an attack takes a random name.
const ATTEMPTS: usize = 8;

/// A failed step of an [`AtomicFile`] (or [`sync_dir`]) on `path`. Displays as `<path>: <what>:
/// <source>`; `source` is the operating system's error as it came.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}: {source}", path.display())]
pub struct FsError {
    /// The file or directory the step was about (the target, the temporary or the directory).
    pub path: PathBuf,
    /// The step: `cannot create a temporary file for`, `cannot sync`, …
    pub what: &'static str,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl FsError {
    fn new<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(io::Error) -> FsError + 'a {
        move |source| FsError {
            path: path.to_owned(),
            what,
            source,
        }
    }
}

impl From<FsError> for io::Error {
    /// Keeps the error's kind; the message names the path.
    fn from(error: FsError) -> io::Error {
        io::Error::new(error.source.kind(), error)
    }
}

/// A file being written under a hidden temporary name beside `path`; see the [module](self).
/// Becomes `path` on [`commit`](Self::commit); removed when dropped before.
pub struct AtomicFile {
    // Declared before `temp`, so closed before the name is removed (which Windows requires).
    file: File,
    temp: TempName,
    target: PathBuf,
}

impl fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicFile")
            .field("temp", &self.temp.0)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl AtomicFile {
    /// A new, empty, owner-only (0600) temporary file for `path`, in `path`'s directory.
    pub fn create(path: impl Into<PathBuf>) -> Result<AtomicFile, FsError> {
        AtomicFile::create_with_mode(path, PRIVATE_MODE)
    }

    /// [`create`](Self::create) with the permissions `mode` (unix; narrowed by the umask, as
    /// `open(2)` does; ignored elsewhere). `0o666` gives what `File::create` would.
    pub fn create_with_mode(path: impl Into<PathBuf>, mode: u32) -> Result<AtomicFile, FsError> {
        let target = path.into();
        let (temp, file) = create_exclusive(&target, mode)
            .map_err(FsError::new(&target, "cannot create a temporary file for"))?;
        Ok(AtomicFile {
            file,
            temp: TempName(temp),
            target,
        })
    }

    /// As [`create`](Self::create), taking the existing file `spare` (emptied) for the
    /// temporary instead of a new one: it is renamed beside `path` and opened truncated, never
    /// through a link. For writers that create and remove many files (a new file costs a new
    /// inode, which some file systems search long for right after many were freed).
    pub fn reuse(spare: &Path, path: impl Into<PathBuf>) -> Result<AtomicFile, FsError> {
        let target = path.into();
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
            .unwrap_or_default();
        let temp = parent(&target).join(format!(".{name}.{:016x}{TEMP_SUFFIX}", random_u64()));
        std::fs::rename(spare, &temp).map_err(FsError::new(spare, "cannot take the spare file"))?;
        let temp = TempName(temp);
        let mut options = OpenOptions::new();
        options.write(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        let file = options
            .open(&temp.0)
            .map_err(FsError::new(&target, "cannot reuse a spare file for"))?;
        Ok(AtomicFile { file, temp, target })
    }

    /// Where the file goes on commit.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Where the file is until then.
    pub fn temp_path(&self) -> &Path {
        &self.temp.0
    }

    /// The open temporary file: for `set_permissions`, `try_clone` (an async writer over a
    /// clone, say), reading back. What is written through it is part of the file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// Syncs and closes the file, still under its hidden name: whole on disk, not yet visible.
    /// For files that must appear together: seal each, then [`SealedFile::rename`] each, then
    /// [`sync_dir`] their directories once.
    pub fn seal(self) -> Result<SealedFile, FsError> {
        let AtomicFile {
            mut file,
            temp,
            target,
        } = self;
        file.flush()
            .and_then(|()| file.sync_all())
            .map_err(FsError::new(&temp.0, "cannot sync"))?;
        drop(file);
        Ok(SealedFile { temp, target })
    }

    /// Makes the file the target, durably: flush, sync the file, rename it over the target
    /// (replacing a symbolic link there, not following it), sync the directory. On an error
    /// before the rename the temporary is removed and the target is as it was; an error of the
    /// directory's sync comes after the rename (the new file is in place, its name may not
    /// survive a crash).
    pub fn commit(self) -> Result<(), FsError> {
        self.seal()?.commit()
    }

    /// Removes the temporary file now, saying whether that worked (dropping does the same
    /// silently).
    pub fn discard(self) -> Result<(), FsError> {
        let AtomicFile { file, temp, .. } = self;
        drop(file);
        let temp = temp.keep();
        std::fs::remove_file(&temp).map_err(FsError::new(&temp, "cannot remove"))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A whole, synced file under its hidden temporary name ([`AtomicFile::seal`]); removed when
/// dropped before it is renamed.
#[derive(Debug)]
pub struct SealedFile {
    temp: TempName,
    target: PathBuf,
}

impl SealedFile {
    /// Where the file goes.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Gives the file its name, replacing whatever entry is there (a symbolic link itself).
    /// The directory is not synced: call [`sync_dir`] once for a batch.
    pub fn rename(self) -> Result<(), FsError> {
        std::fs::rename(&self.temp.0, &self.target)
            .map_err(FsError::new(&self.target, "cannot rename into place"))?;
        self.temp.keep();
        Ok(())
    }

    /// Gives the file its name only if nothing has it (a hard link, which never replaces),
    /// then syncs the directory: `Ok(false)` when the name was taken, by a file or a link,
    /// and nothing changed. The way to take a name exactly once among processes.
    pub fn link_new(self) -> Result<bool, FsError> {
        let dir = parent(&self.target).to_owned();
        match std::fs::hard_link(&self.temp.0, &self.target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(FsError::new(&self.target, "cannot link into place")(e)),
        }
        // The temporary name goes when `self` drops; the target keeps the file.
        sync_dir(&dir)?;
        Ok(true)
    }

    /// Gives the file the further name `other` too, only if nothing has it (a hard link), and
    /// does not sync `other`'s directory: for one content under many names taken once each
    /// (sync each directory once after). `Ok(false)` when the name was taken.
    pub fn link_also(&self, other: &Path) -> Result<bool, FsError> {
        match std::fs::hard_link(&self.temp.0, other) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(FsError::new(other, "cannot link into place")(e)),
        }
    }

    /// [`rename`](Self::rename), then [`sync_dir`] of the target's directory.
    pub fn commit(self) -> Result<(), FsError> {
        let dir = parent(&self.target).to_owned();
        self.rename()?;
        sync_dir(&dir)
    }
}

/// The name of a temporary file, removed when dropped unless [kept](Self::keep).
#[derive(Debug)]
struct TempName(PathBuf);

impl TempName {
    /// The name, no longer removed on drop (renamed away, or removed by the caller).
    fn keep(mut self) -> PathBuf {
        std::mem::take(&mut self.0)
    }
}

impl Drop for TempName {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Makes the names created, renamed or removed in `dir` durable (`fsync` of the directory).
/// Nothing to do where directories cannot be synced (not unix).
pub fn sync_dir(dir: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(FsError::new(dir, "cannot sync the directory"))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to `path` atomically ([`AtomicFile`] with `mode`, committed).
pub fn write_all_atomic(path: impl Into<PathBuf>, bytes: &[u8], mode: u32) -> Result<(), FsError> {
    let mut file = AtomicFile::create_with_mode(path, mode)?;
    file.write_all(bytes)
        .map_err(FsError::new(&file.temp.0, "cannot write"))?;
    file.commit()
}

/// Whether `file_name` is the name of a temporary file of a file named `name` (this scheme,
/// `.<name>.<16 hex>.part`, or `.<name>.part`, that of earlier versions): for sweeping what a
/// killed process left.
pub fn is_temporary_of(file_name: &OsStr, name: &str) -> bool {
    temporary_target(file_name).is_some_and(|n| n == name.trim_start_matches('.'))
}

/// The name (leading dots dropped) whose temporary `file_name` is, if it is one.
pub fn temporary_target(file_name: &OsStr) -> Option<&str> {
    let inner = file_name
        .to_str()?
        .strip_prefix('.')?
        .strip_suffix(TEMP_SUFFIX)?;
    Some(match inner.rsplit_once('.') {
        Some((name, random))
            if random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            name
        }
        _ => inner,
    })
}

/// The directory of `path` (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Creates the temporary of `target` exclusively; see the [module](self).
fn create_exclusive(target: &Path, mode: u32) -> io::Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy();
    let name = name.trim_start_matches('.');
    let dir = parent(target);
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let temp = dir.join(format!(".{name}.{:016x}{TEMP_SUFFIX}", random_u64()));
        match open_exclusive(&temp, mode) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// Creates the file at `path` for writing, only if nothing (not even a dangling link) is there.
fn open_exclusive(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// 64 bits no one outside this process can predict: `RandomState` keys come from the operating
/// system's random source (and change with every call), so hashing nothing gives a fresh
/// random number.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::hash::RandomState::new().build_hasher().finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a temporary is opened with, at a link (to a file, or dangling) and at a file:
    /// refused, nothing written through, nothing created where the link points.
    #[cfg(unix)]
    #[test]
    fn a_link_or_a_file_at_the_temporary_name_is_refused() {
        let dir = std::env::temp_dir().join(format!("tc-fs-excl-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(".t.0000000000000000.part")).unwrap();
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join(".t.1111111111111111.part"))
            .unwrap();
        std::fs::write(dir.join(".t.2222222222222222.part"), "another writer's").unwrap();
        for digit in ['0', '1', '2'] {
            let name = format!(".t.{}.part", digit.to_string().repeat(16));
            let error = open_exclusive(&dir.join(&name), PRIVATE_MODE).expect_err(&name);
            assert_eq!(error.kind(), io::ErrorKind::AlreadyExists, "{name}");
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!dir.join("nowhere").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join(".t.2222222222222222.part")).unwrap(),
            "another writer's"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
