//! The object store backend when the `object-store` feature is off: a store URL is refused
//! with the reason, so `Store` and `RemoteFile` have no values and their methods are never
//! reached. (Builds for local datasets only, such as the README's first command, leave the
//! `object_store` crate and its dependencies out.)

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tokio::runtime::Handle;

use super::{CreateError, DestinationError, StoreOptions};

/// Stands for the object store's error, which this build never meets.
#[derive(Debug, thiserror::Error)]
#[error("object stores are not built in")]
pub struct StoreError;

/// An object store: none can be opened in this build.
#[derive(Clone)]
pub enum Store {}

impl Store {
    /// Refuses `scheme://…`: this build has no object store support.
    pub(super) fn open(
        scheme: &str,
        _text: &str,
        _url: &url::Url,
        shown: &str,
        _options: &StoreOptions,
        _handle: Handle,
    ) -> Result<Store, DestinationError> {
        let reason = match scheme {
            "s3" | "s3a" | "gs" | "az" | "azure" | "abfs" | "abfss" | "adl" => format!(
                "{scheme}:// needs object store support, which this build leaves out \
                 (build with the `object-store` feature, on by default)"
            ),
            _ => "unknown scheme (file:// or a path; s3://, gs://, az:// need the \
                  `object-store` feature)"
                .to_owned(),
        };
        Err(DestinationError::BadUrl {
            url: shown.to_owned(),
            reason,
        })
    }

    pub(super) fn url(&self) -> &str {
        match *self {}
    }

    pub(super) fn read_small(
        &self,
        _relative: &Path,
        _max: u64,
        _too_large: impl Fn() -> io::Error,
    ) -> io::Result<Option<Vec<u8>>> {
        match *self {}
    }

    pub(super) fn create_new_many(
        &self,
        _relatives: &[PathBuf],
        _bytes: &[u8],
    ) -> Result<Vec<bool>, CreateError> {
        match *self {}
    }

    pub(super) fn remove(&self, _relative: &Path) -> io::Result<()> {
        match *self {}
    }

    pub(super) fn size(&self, _relative: &Path) -> io::Result<Option<u64>> {
        match *self {}
    }

    pub(super) fn create(&self, _relative: &Path) -> Result<RemoteFile, CreateError> {
        match *self {}
    }

    pub(crate) fn list(
        &self,
        _hidden: impl Fn(&str) -> bool,
        _max: usize,
    ) -> io::Result<Vec<(String, u64)>> {
        match *self {}
    }

    pub(crate) fn download(&self, _key: &str, _to: &mut impl Write, _max: u64) -> io::Result<()> {
        match *self {}
    }
}

/// An upload: none can be started in this build.
pub enum RemoteFile {}

impl RemoteFile {
    pub(super) fn commit(self) -> io::Result<()> {
        match self {}
    }
}

impl Write for RemoteFile {
    fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
        match *self {}
    }

    fn flush(&mut self) -> io::Result<()> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Destination, StoreOptions};

    /// Run by `cargo test -p teo-logs --no-default-features` (CI does): a store URL is an error
    /// that names the feature, and local paths work as ever.
    #[test]
    fn a_store_url_is_refused_naming_the_feature() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let parse = |text: &str| {
            Destination::parse(text, &StoreOptions::default(), runtime.handle().clone())
        };
        for url in [
            "s3://bucket/logs",
            "gs://bucket/logs",
            "az://container/logs",
        ] {
            let error = parse(url).err().unwrap().to_string();
            assert!(
                error.starts_with(url) && error.contains("`object-store` feature"),
                "{error}"
            );
        }
        let error = parse("ftp://host/logs").err().unwrap().to_string();
        assert!(error.contains("unknown scheme"), "{error}");
        assert!(matches!(parse("logs"), Ok(Destination::Local(_))));
        assert!(matches!(
            parse("file:///tmp/logs"),
            Ok(Destination::Local(_))
        ));
    }
}
