//! Where a dataset's files go: a local directory, or a prefix in an object store (`s3://`,
//! `gs://`, `az://`) through the `object_store` crate (the `object-store` feature, on by
//! default; without it a store URL is refused with the reason, see `no_store.rs`).
//!
//! Files are written a chunk at a time and become visible only when whole: locally a hidden
//! temporary file (`tc_runtime::fs::AtomicFile`: created exclusively, never through a link)
//! synced and renamed, the directories synced once per packet; in an object
//! store a multipart upload, completed at the end (aborted when the file is dropped before).
//! Memory per open file is bounded by the part size times the parts in flight.
//!
//! Credentials come from each store's standard environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT`;
//! `GOOGLE_SERVICE_ACCOUNT`…; `AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`…) and
//! are never printed: errors name the object's URL and the store's answer only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tc_runtime::fs::{sync_dir, AtomicFile, SealedFile};
use tokio::runtime::Handle;

#[cfg(not(feature = "object-store"))]
#[path = "no_store.rs"]
mod store;
#[cfg(feature = "object-store")]
mod store;

#[cfg(feature = "object-store")]
pub use store::PART_SIZE;
pub use store::{RemoteFile, Store};

/// Options of an object store destination beyond its environment.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// An S3-compatible endpoint (Tencent COS, MinIO, a local server): path-style requests,
    /// plain HTTP allowed when the URL says `http://`.
    pub s3_endpoint: Option<String>,
    /// Configuration over the environment's, under `object_store`'s key names
    /// (`aws_access_key_id`, `google_service_account`, `azure_storage_account_key`, …).
    pub config: Vec<(String, String)>,
}

/// A dataset's destination.
#[derive(Clone)]
pub enum Destination {
    /// A directory of the local file system.
    Local(PathBuf),
    /// A prefix in an object store (S3, GCS, Azure).
    Store(Store),
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Local(path) => f.debug_tuple("Local").field(path).finish(),
            Destination::Store(store) => f.debug_tuple("Store").field(&store.url()).finish(),
        }
    }
}

/// Why a destination cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DestinationError {
    /// The URL (or an endpoint in the configuration) is not usable: it does not parse, carries
    /// credentials or a query, or has an unknown scheme.
    #[error("{url}: {reason}")]
    BadUrl {
        /// The URL as shown in messages (see [`shown_url`]).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The object store could not be set up from the URL and configuration.
    #[error("{url}: {source}")]
    Store {
        /// The URL as shown in messages (see [`shown_url`]).
        url: String,
        /// The object store's error.
        #[source]
        source: store::StoreError,
    },
}

/// `text` for messages: a URL without its user info and query (said so), or its scheme alone
/// when it does not parse; a plain path as it is.
pub fn shown_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if has_secrets(&url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            format!("{url} (credentials or query hidden)")
        }
        // Shown as given: `url` would normalize a path (`c:/data`) it took for a URL.
        Ok(_) => text.to_owned(),
        Err(_) => match text.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://…"),
            None => text.to_owned(),
        },
    }
}

fn has_secrets(url: &url::Url) -> bool {
    !url.username().is_empty() || url.password().is_some() || url.query().is_some()
}

impl Destination {
    /// `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix` (also
    /// `azure://`, `abfs://`), `file:///path`, or a plain path. Store calls run on `handle`.
    pub fn parse(
        text: &str,
        options: &StoreOptions,
        handle: Handle,
    ) -> Result<Destination, DestinationError> {
        let Some((scheme, _)) = text.split_once("://") else {
            return Ok(Destination::Local(PathBuf::from(text)));
        };
        // Messages show the URL without what may be a secret (user info, a query).
        let shown = shown_url(text);
        let bad = |reason: &str| DestinationError::BadUrl {
            url: shown.clone(),
            reason: reason.to_owned(),
        };
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if has_secrets(&url) {
            // Credentials belong in the environment, where they are not printed with the URL.
            return Err(bad(
                "credentials or a query in the URL are not accepted; use the environment",
            ));
        }
        if scheme == "file" {
            let path = url.to_file_path().map_err(|()| bad("not a local path"))?;
            return Ok(Destination::Local(path));
        }
        Store::open(scheme, text, &url, &shown, options, handle).map(Destination::Store)
    }

    /// The destination for messages: the directory, or `scheme://bucket/prefix`.
    pub fn display(&self) -> String {
        match self {
            Destination::Local(path) => path.display().to_string(),
            Destination::Store(store) => store.url().to_owned(),
        }
    }

    /// `relative` under the destination, for messages.
    pub fn name(&self, relative: &Path) -> PathBuf {
        match self {
            Destination::Local(root) => root.join(relative),
            Destination::Store(store) => {
                PathBuf::from(format!("{}/{}", store.url(), relative.to_string_lossy()))
            }
        }
    }

    /// Makes the destination ready: a local directory is created (private: 0700).
    pub fn prepare(&self) -> io::Result<()> {
        match self {
            Destination::Local(root) => private_dir_builder().recursive(true).create(root),
            Destination::Store(_) => Ok(()),
        }
    }

    /// The bytes of the small file at `relative` (a marker), if one is there; more than `max`
    /// bytes is an error. Blocks.
    pub fn read_small(&self, relative: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
        let too_large = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: larger than {max} bytes", self.name(relative).display()),
            )
        };
        match self {
            Destination::Local(root) => {
                use std::io::Read;
                let path = root.join(relative);
                // Only a regular file is ours: a link (O_NOFOLLOW refuses it) or a FIFO
                // (O_NONBLOCK: opening it never waits) planted at the name is absent, as
                // `size` has it.
                let file = match open_no_follow(&path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    Err(e) if is_link_refused(&e) => return Ok(None),
                    Err(e) => return Err(e),
                };
                if !file.metadata()?.is_file() {
                    return Ok(None);
                }
                let mut bytes = Vec::new();
                file.take(max + 1).read_to_end(&mut bytes)?;
                if bytes.len() as u64 > max {
                    return Err(too_large());
                }
                Ok(Some(bytes))
            }
            Destination::Store(store) => store.read_small(relative, max, too_large),
        }
    }

    /// Writes the small file `relative` with `bytes` only if no file has that name:
    /// `Ok(false)` when one has, and it is left as it was. Exactly one of several writers
    /// racing for a name gets `Ok(true)`: locally through a hard link (which never replaces),
    /// in a store through a conditional put (`If-None-Match: *` on S3). Blocks.
    pub fn create_new(&self, relative: &Path, bytes: &[u8]) -> Result<bool, CreateError> {
        let taken = self.create_new_many(&[relative.to_owned()], bytes)?;
        Ok(taken.first().copied().unwrap_or(false))
    }

    /// [`Destination::create_new`] of many names with the same `bytes`, each taken only if
    /// free: whether each was taken now, in order. Locally one file gets every name (hard
    /// links: no file per name to create, sync and remove) and each directory is synced once;
    /// in a store, the conditional puts go 16 at a time. Blocks.
    pub fn create_new_many(
        &self,
        relatives: &[PathBuf],
        bytes: &[u8],
    ) -> Result<Vec<bool>, CreateError> {
        match self {
            Destination::Local(root) => create_new_many_local(root, relatives, bytes),
            Destination::Store(store) => store.create_new_many(relatives, bytes),
        }
    }

    /// The store, for a store destination.
    pub(crate) fn store(&self) -> Option<&Store> {
        match self {
            Destination::Local(_) => None,
            Destination::Store(store) => Some(store),
        }
    }

    /// Removes the file at `relative` (gone already is fine). Blocks.
    pub fn remove(&self, relative: &Path) -> io::Result<()> {
        let result = match self {
            Destination::Local(root) => fs::remove_file(root.join(relative)),
            Destination::Store(store) => store.remove(relative),
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Makes the names of files published in `dirs` (relative) durable: each directory is
    /// synced, so a crash after this cannot take a rename back. Nothing to do in a store.
    pub fn sync_dirs<'a>(&self, dirs: impl IntoIterator<Item = &'a Path>) -> io::Result<()> {
        if let Destination::Local(root) = self {
            let mut done = std::collections::HashSet::new();
            for dir in dirs {
                if done.insert(dir) {
                    sync_dir(&root.join(dir)).map_err(|e| e.source)?;
                }
            }
        }
        Ok(())
    }

    /// The size of the file at `relative`, if one is there (a regular file, locally: a link is
    /// no file). Blocks: call from a blocking thread.
    pub fn size(&self, relative: &Path) -> io::Result<Option<u64>> {
        match self {
            Destination::Local(root) => match fs::symlink_metadata(root.join(relative)) {
                Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            Destination::Store(store) => store.size(relative),
        }
    }

    /// A new file at `relative`, visible only once [`OutFile::commit`] returns. Blocks: call
    /// from a blocking thread.
    pub fn create(&self, relative: &Path) -> Result<OutFile, CreateError> {
        match self {
            Destination::Local(root) => {
                let dir = relative.parent().unwrap_or(Path::new(""));
                ensure_dir(root, dir)?;
                let path = root.join(relative);
                LocalFile::create(path.clone())
                    .map(OutFile::Local)
                    .map_err(|source| CreateError::Io { path, source })
            }
            Destination::Store(store) => store.create(relative).map(OutFile::Store),
        }
    }
}

/// Why a file could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// Creating the file or one of its directories failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory being created.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A symbolic link stands where a directory is wanted; nothing is written through it.
    #[error("{}: a symbolic link where a directory is wanted; refusing to write through it", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// Something other than a directory stands where a directory is wanted.
    #[error("{}: not a directory", path.display())]
    NotADirectory {
        /// What stands there.
        path: PathBuf,
    },
}

/// A file being written; see [`Destination::create`].
pub enum OutFile {
    /// A local file, written under a hidden temporary name until committed.
    Local(LocalFile),
    /// An upload to an object store, visible once completed.
    Store(RemoteFile),
}

impl OutFile {
    /// Makes the file visible under its name, whole.
    pub fn commit(self) -> io::Result<()> {
        self.seal()?.publish()
    }

    /// Ends the file without showing it yet where that is possible: a local file is synced
    /// and stays under its hidden name until [`Sealed::publish`]; an upload has no hidden
    /// state once complete, so it is completed (visible) here and can only be
    /// [removed](Destination::remove) again. For the files of one packet that must appear
    /// together.
    pub fn seal(self) -> io::Result<Sealed> {
        match self {
            OutFile::Local(file) => file.0.seal().map(Sealed::Local).map_err(|e| e.source),
            OutFile::Store(file) => file.commit().map(|()| Sealed::Visible),
        }
    }
}

/// A whole file not necessarily visible yet; see [`OutFile::seal`]. Dropped before
/// [`Sealed::publish`], a local one is removed.
pub enum Sealed {
    /// A local file, whole and synced, still under its hidden name.
    Local(SealedFile),
    /// Completed in an object store: visible already.
    Visible,
}

impl Sealed {
    /// Whether the file is visible already (an upload), so a failure must remove it.
    pub fn is_visible(&self) -> bool {
        matches!(self, Sealed::Visible)
    }

    /// Gives the file its name (replacing whatever is there, a link itself rather than its
    /// target). The directory is not synced: see [`Destination::sync_dirs`].
    pub fn publish(self) -> io::Result<()> {
        match self {
            Sealed::Local(file) => file.rename().map_err(|e| e.source),
            Sealed::Visible => Ok(()),
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            OutFile::Local(file) => file.write(buf),
            OutFile::Store(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            OutFile::Local(file) => file.flush(),
            OutFile::Store(file) => file.flush(),
        }
    }
}

/// A file written under a hidden temporary name in its directory ([`AtomicFile`]: exclusive,
/// never through a link, private 0600 — records hold visitors' addresses) and renamed to its
/// own name when published; removed if dropped before.
pub struct LocalFile(AtomicFile);

impl LocalFile {
    fn create(path: PathBuf) -> io::Result<LocalFile> {
        // The caller names the path: the operating system's error as it came.
        AtomicFile::create(path)
            .map(LocalFile)
            .map_err(|e| e.source)
    }
}

impl Write for LocalFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Creates `root/relative` a directory at a time; a symbolic link or a file on the way is an
/// error (the root itself is the caller's to choose).
/// The local [`Destination::create_new_many`]: one sealed file linked under every free name;
/// a new one when a file has as many links as the file system allows.
fn create_new_many_local(
    root: &Path,
    relatives: &[PathBuf],
    bytes: &[u8],
) -> Result<Vec<bool>, CreateError> {
    let Some(first) = relatives.first() else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<&Path> = relatives
        .iter()
        .map(|r| r.parent().unwrap_or(Path::new("")))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        ensure_dir(root, dir)?;
    }
    let source = || -> Result<SealedFile, CreateError> {
        let path = root.join(first);
        let io_error = |source: io::Error| CreateError::Io {
            path: path.clone(),
            source,
        };
        let mut file = AtomicFile::create(&path).map_err(|e| io_error(e.into()))?;
        file.write_all(bytes).map_err(io_error)?;
        file.seal().map_err(|e| io_error(e.into()))
    };
    let mut file = source()?;
    let mut taken = Vec::with_capacity(relatives.len());
    for relative in relatives {
        let path = root.join(relative);
        let linked = match file.link_also(&path) {
            Err(e) if e.source.kind() == io::ErrorKind::TooManyLinks => {
                file = source()?;
                file.link_also(&path)
            }
            other => other,
        };
        taken.push(linked.map_err(|e| CreateError::Io {
            path,
            source: e.into(),
        })?);
    }
    for dir in dirs {
        sync_dir(&root.join(dir)).map_err(|e| CreateError::Io {
            path: root.join(dir),
            source: e.into(),
        })?;
    }
    Ok(taken)
}

fn ensure_dir(root: &Path, relative: &Path) -> Result<(), CreateError> {
    let mut path = root.to_path_buf();
    for part in relative.components() {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(CreateError::Symlink { path });
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(CreateError::NotADirectory { path }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match private_dir_builder().create(&path) {
                    Ok(()) => {}
                    // Another conversion made it meanwhile: look again.
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                            return Err(CreateError::NotADirectory { path });
                        }
                    }
                    Err(source) => return Err(CreateError::Io { path, source }),
                }
            }
            Err(source) => return Err(CreateError::Io { path, source }),
        }
    }
    Ok(())
}

/// Directories are private (0700): what a dataset holds is the site's visitors' data.
fn private_dir_builder() -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// Whether opening failed because `O_NOFOLLOW` met a symbolic link.
fn is_link_refused(error: &io::Error) -> bool {
    #[cfg(unix)]
    return error.raw_os_error() == Some(libc::ELOOP);
    #[cfg(not(unix))]
    return false;
}

/// Opens a file for reading, never through a symbolic link at its name, and without waiting
/// on a FIFO.
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    options.open(path)
}
