//! Where downloaded packets wait before they are stored in a dataset or an object store.
//!
//! A staged packet holds the site's visitors' addresses and requests, and what is staged is
//! uploaded by a later run: a directory another local user can read or write would leak the
//! logs and let that user swap a packet for forged bytes. So the directory is private — created
//! 0700 (its files are 0600), refused when it is a symbolic link, owned by another user, or
//! open to group or others, or when a directory above it belongs to another user (root aside)
//! or lets others rename it away (writable by group or others without the sticky bit) — and
//! every packet in it is checked against the SHA-256 recorded when it was downloaded
//! ([`teo_client::logs::Downloader::record_digests`]) before it is used: that catches a packet
//! changed or cut short since, while the directory's privacy is what keeps others out.
//!
//! The default for an object store `--out` is in the user's cache directory
//! (`$XDG_CACHE_HOME/teo/staging/<hash of the destination>`, else `~/.cache/teo/staging/…`):
//! never a name in a shared directory such as `/tmp` that another user could create first.

use std::io;
use std::path::{Path, PathBuf};

/// Why a staging directory cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StagingError {
    /// Creating, inspecting or locating the directory failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The directory.
        path: PathBuf,
        /// What was being done, for the message.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The directory is not private: a link or no directory, owned by another user, open to
    /// group or others, or in a parent others could rename it out of.
    #[error("{}: the staging directory {reason}; refusing to stage log packets there (give a private directory with --staging, or remove it)", path.display())]
    NotPrivate {
        /// The directory.
        path: PathBuf,
        /// What makes it unsafe, for the message.
        reason: String,
    },
    /// No directory was given and neither `XDG_CACHE_HOME` nor `HOME` is set.
    #[error(
        "no directory for staging: neither XDG_CACHE_HOME nor HOME is set; give one with --staging"
    )]
    NoCacheDir,
}

impl StagingError {
    /// What is wrong, without the directory's name (for messages that name it already).
    pub fn reason(&self) -> String {
        match self {
            StagingError::Io { what, source, .. } => format!("{what}: {source}"),
            StagingError::NotPrivate { reason, .. } => format!(
                "the directory {reason}; give a private directory with --staging, or remove it"
            ),
            StagingError::NoCacheDir => self.to_string(),
        }
    }

    /// The directory concerned, if there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            StagingError::Io { path, .. } | StagingError::NotPrivate { path, .. } => Some(path),
            StagingError::NoCacheDir => None,
        }
    }

    /// As a download's error: the directory (`staging` when none is concerned) and the reason.
    pub fn into_download_error(self, staging: &Path) -> teo_client::logs::DownloadError {
        teo_client::logs::DownloadError::Io {
            path: self.path().unwrap_or(staging).to_owned(),
            what: "refusing to stage log packets here",
            source: io::Error::other(self.reason()),
        }
    }
}

/// The default staging directory for the destination `out` (its text, as given): the same for
/// every run to that destination, so a rerun finds what an interrupted one left.
pub fn default_dir(out: &str) -> Result<PathBuf, StagingError> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|home| home.join(".cache"))
        })
        .ok_or(StagingError::NoCacheDir)?;
    Ok(cache
        .join("teo")
        .join("staging")
        .join(format!("{:016x}", crate::dataset::fnv1a(out.as_bytes()))))
}

/// Creates `dir` if missing (each missing level 0700) and checks that it is private to this
/// user: a directory, not a link, owned by the effective user, with no permission for group
/// or others, in a parent that others cannot rename it out of.
pub fn prepare(dir: &Path) -> Result<(), StagingError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StagingError::Io {
        path: dir.to_owned(),
        what: "cannot create the staging directory",
        source,
    })?;
    check_private(dir)
}

/// The checks of [`prepare`] on an existing directory.
pub fn check_private(dir: &Path) -> Result<(), StagingError> {
    let refuse = |reason: String| StagingError::NotPrivate {
        path: dir.to_owned(),
        reason,
    };
    let meta = std::fs::symlink_metadata(dir).map_err(|source| StagingError::Io {
        path: dir.to_owned(),
        what: "cannot read the staging directory",
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(refuse("is a symbolic link".into()));
    }
    if !meta.is_dir() {
        return Err(refuse("is not a directory".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(refuse(format!(
                "is owned by user id {}, not by this user ({me})",
                meta.uid()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(refuse(format!(
                "is open to group or others (mode {:o}; it must be 0700)",
                meta.mode() & 0o7777
            )));
        }
        // Another user who may write a directory above this one could move it away and put
        // their own in its place between our check and our use: every directory above must be
        // this user's or root's, and writable by no one else unless the sticky bit keeps each
        // user to their own entries (as in /tmp).
        let absolute = std::path::absolute(dir).map_err(|source| StagingError::Io {
            path: dir.to_owned(),
            what: "cannot tell where the staging directory is",
            source,
        })?;
        for above in absolute.ancestors().skip(1) {
            let meta = std::fs::metadata(above).map_err(|source| StagingError::Io {
                path: above.to_owned(),
                what: "cannot check a directory above the staging directory",
                source,
            })?;
            let sticky = meta.mode() & 0o1000 != 0;
            if meta.uid() != me && meta.uid() != 0 {
                return Err(refuse(format!(
                    "is in {}, which belongs to user id {}",
                    above.display(),
                    meta.uid()
                )));
            }
            if meta.mode() & 0o022 != 0 && !sticky {
                return Err(refuse(format!(
                    "is in {}, which group or others may write (without the sticky bit)",
                    above.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("teo-staging-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    #[test]
    fn a_new_directory_is_private_and_an_open_or_linked_one_is_refused() {
        let root = temp("modes");
        let staging = root.join("a/b/staging");
        prepare(&staging).unwrap();
        for dir in [root.join("a"), root.join("a/b"), staging.clone()] {
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
        std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = prepare(&staging).unwrap_err().to_string();
        assert!(
            error.contains("open to group or others (mode 777"),
            "{error}"
        );
        assert!(error.contains(&staging.display().to_string()), "{error}");

        let link = root.join("link");
        std::os::unix::fs::symlink(root.join("a"), &link).unwrap();
        let error = prepare(&link).unwrap_err().to_string();
        assert!(error.contains("is a symbolic link"), "{error}");

        let open_parent = root.join("open");
        std::fs::create_dir(&open_parent).unwrap();
        std::fs::set_permissions(&open_parent, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = prepare(&open_parent.join("staging"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("which group or others may write"), "{error}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_default_is_in_the_users_cache() {
        let dir = default_dir("s3://bucket/logs").unwrap();
        assert!(
            dir.to_string_lossy().contains("/teo/staging/"),
            "{}",
            dir.display()
        );
        assert_ne!(dir, default_dir("s3://bucket/other").unwrap());
        assert!(!dir.starts_with(std::env::temp_dir()) || std::env::var_os("HOME").is_none());
    }
}
