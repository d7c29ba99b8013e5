//! The object store backend of [`Destination`](super::Destination): S3, GCS and Azure through
//! the `object_store` crate (the `object-store` feature, on by default).
//!
//! Conversion runs on blocking threads, so the store's async calls are driven from here with
//! the runtime handle given at construction.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::{Path as ObjectPath, PathPart};
use object_store::{ClientOptions, ObjectStore, RetryConfig, WriteMultipart};
use tokio::runtime::Handle;

use super::{has_secrets, shown_url, CreateError, DestinationError, StoreOptions};

/// Bytes per uploaded part: S3's minimum (but for the last part), keeping memory per upload low.
pub const PART_SIZE: usize = 5 << 20;
/// Parts of one file uploading at once.
const PARTS_IN_FLIGHT: usize = 2;

/// The object store's own error, for [`DestinationError::Store`].
pub type StoreError = object_store::Error;

/// An object store and the prefix under which files go.
#[derive(Clone)]
pub struct Store {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// `scheme://bucket/prefix`, for messages (no credentials are ever in it).
    url: String,
    handle: Handle,
}

/// The S3 endpoint given (the option, or an `endpoint` key of the configuration) and the
/// environment's (`object_store` reads both variables): refused when it carries credentials or a
/// query, which every store error would then print, or is no http(s) URL. The message shows the
/// URL without them, and a value that is no URL not at all (it may be anything, a key too).
fn check_endpoints(
    given: Option<&str>,
    config: &[(String, String)],
) -> Result<(), DestinationError> {
    let from_env = ["AWS_ENDPOINT", "AWS_ENDPOINT_URL"]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), std::env::var(name).ok()?)));
    let given = given.map(|url| ("--s3-endpoint".to_owned(), url.to_owned()));
    let configured = config
        .iter()
        .filter(|(key, _)| key.to_ascii_lowercase().contains("endpoint"))
        .map(|(key, value)| (format!("the {key} setting"), value.clone()));
    for (name, value) in given.into_iter().chain(configured).chain(from_env) {
        let shown = match url::Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                if !has_secrets(&url) {
                    continue;
                }
                shown_url(&value)
            }
            _ => "not an http:// or https:// URL; its value is not shown".to_owned(),
        };
        return Err(DestinationError::BadUrl {
            url: format!("{name} ({shown})"),
            reason: "an endpoint is an http:// or https:// URL without credentials or a \
                     query; credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
                .to_owned(),
        });
    }
    Ok(())
}

impl Store {
    /// The store of `text` (`scheme://bucket/prefix`, parsed as `url`, shown as `shown`).
    pub(super) fn open(
        scheme: &str,
        text: &str,
        url: &url::Url,
        shown: &str,
        options: &StoreOptions,
        handle: Handle,
    ) -> Result<Store, DestinationError> {
        let bad = |reason: &str| DestinationError::BadUrl {
            url: shown.to_owned(),
            reason: reason.to_owned(),
        };
        let retry = RetryConfig {
            max_retries: 6,
            retry_timeout: Duration::from_secs(180),
            ..RetryConfig::default()
        };
        let client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(10))
            .with_timeout(Duration::from_secs(300));
        let store_error = |source| DestinationError::Store {
            url: shown.to_owned(),
            source,
        };
        // Each builder has its own key type; the names are `object_store`'s.
        macro_rules! configure {
            ($builder:expr) => {{
                let mut builder = $builder;
                for (key, value) in &options.config {
                    builder = builder.with_config(key.parse().map_err(store_error)?, value);
                }
                builder
            }};
        }
        // Every store's builder takes the same retry and client options last.
        macro_rules! build {
            ($builder:expr, $client:expr) => {
                Arc::new(
                    $builder
                        .with_retry(retry)
                        .with_client_options($client)
                        .build()
                        .map_err(store_error)?,
                )
            };
        }
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" | "s3a" => {
                check_endpoints(options.s3_endpoint.as_deref(), &options.config)?;
                let mut builder = configure!(AmazonS3Builder::from_env().with_url(text));
                let mut client = client;
                if let Some(endpoint) = &options.s3_endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                    if endpoint.starts_with("http://") {
                        client = client.with_allow_http(true);
                    }
                }
                build!(builder, client)
            }
            "gs" => build!(
                configure!(GoogleCloudStorageBuilder::from_env().with_url(text)),
                client
            ),
            "az" | "azure" | "abfs" | "abfss" | "adl" => build!(
                configure!(MicrosoftAzureBuilder::from_env().with_url(text)),
                client
            ),
            _ => {
                return Err(bad(
                    "unknown scheme (s3://, gs://, az://, file:// or a path)",
                ))
            }
        };
        let prefix = ObjectPath::parse(url.path()).map_err(|e| bad(&e.to_string()))?;
        let url = format!(
            "{scheme}://{}/{}",
            url.host_str().unwrap_or(""),
            prefix.as_ref()
        );
        Ok(Store {
            store,
            prefix,
            url: url.trim_end_matches('/').to_owned(),
            handle,
        })
    }

    /// `scheme://bucket/prefix`, for messages.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    fn name(&self, relative: &Path) -> PathBuf {
        PathBuf::from(format!("{}/{}", self.url, relative.to_string_lossy()))
    }

    fn path(&self, relative: &Path) -> io::Result<ObjectPath> {
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        for component in relative.components() {
            match component {
                std::path::Component::Normal(part) => {
                    parts.push(part.to_string_lossy().into_owned())
                }
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{}: not a plain relative path", relative.display()),
                    ))
                }
            }
        }
        Ok(ObjectPath::from_iter(parts))
    }

    /// The bytes of the object at `relative`, if there is one; `too_large` when it has more
    /// than `max`. Blocks.
    pub(super) fn read_small(
        &self,
        relative: &Path,
        max: u64,
        too_large: impl Fn() -> io::Error,
    ) -> io::Result<Option<Vec<u8>>> {
        let path = self.path(relative)?;
        let result = match self.handle.block_on(self.store.get(&path)) {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(io::Error::other(e)),
        };
        if result.meta.size > max {
            return Err(too_large());
        }
        let bytes = self
            .handle
            .block_on(result.bytes())
            .map_err(io::Error::other)?;
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
        Ok(Some(bytes.to_vec()))
    }

    /// Conditional puts (`If-None-Match: *` on S3) of `bytes` under each name, 16 at a time:
    /// whether each was taken now. Blocks.
    pub(super) fn create_new_many(
        &self,
        relatives: &[PathBuf],
        bytes: &[u8],
    ) -> Result<Vec<bool>, CreateError> {
        let puts = relatives.iter().map(|relative| async move {
            let io_error = |source: io::Error| CreateError::Io {
                path: self.name(relative),
                source,
            };
            let path = self.path(relative).map_err(io_error)?;
            let options = object_store::PutOptions {
                mode: object_store::PutMode::Create,
                ..object_store::PutOptions::default()
            };
            let put = self.store.put_opts(&path, bytes.to_vec().into(), options);
            match put.await {
                Ok(_) => Ok(true),
                Err(object_store::Error::AlreadyExists { .. })
                | Err(object_store::Error::Precondition { .. }) => Ok(false),
                Err(e) => Err(io_error(io::Error::other(e))),
            }
        });
        let all = futures_util::stream::iter(puts)
            .buffered(16)
            .collect::<Vec<_>>();
        self.handle.block_on(all).into_iter().collect()
    }

    /// Deletes the object at `relative` (gone already is fine). Blocks.
    pub(super) fn remove(&self, relative: &Path) -> io::Result<()> {
        let path = self.path(relative)?;
        match self.handle.block_on(self.store.delete(&path)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    /// The size of the object at `relative`, if there is one. Blocks.
    pub(super) fn size(&self, relative: &Path) -> io::Result<Option<u64>> {
        let path = self.path(relative)?;
        match self.handle.block_on(self.store.head(&path)) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    /// A multipart upload to `relative`. Blocks.
    pub(super) fn create(&self, relative: &Path) -> Result<RemoteFile, CreateError> {
        let io_error = |source| CreateError::Io {
            path: self.name(relative),
            source,
        };
        let path = self.path(relative).map_err(io_error)?;
        let upload = self
            .handle
            .block_on(self.store.put_multipart(&path))
            .map_err(|source| io_error(io::Error::other(source)))?;
        Ok(RemoteFile {
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)),
            handle: self.handle.clone(),
        })
    }

    /// Every object under the prefix but those `hidden` says to skip: its key below the
    /// prefix and its size, in the store's order; more than `max` is an error. Blocks.
    pub(crate) fn list(
        &self,
        hidden: impl Fn(&str) -> bool,
        max: usize,
    ) -> io::Result<Vec<(String, u64)>> {
        let base = self.prefix.as_ref().trim_end_matches('/').len();
        self.handle.block_on(async {
            let mut listing = self.store.list(Some(&self.prefix));
            let mut out = Vec::new();
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(io::Error::other)?;
                let key = meta.location.as_ref();
                let key = key
                    .get(base..)
                    .unwrap_or(key)
                    .trim_start_matches('/')
                    .to_owned();
                if key.is_empty() || hidden(&key) {
                    continue;
                }
                if out.len() == max {
                    return Err(io::Error::other(format!(
                        "more than {max} objects under the prefix; give a narrower one"
                    )));
                }
                out.push((key, meta.size));
            }
            Ok(out)
        })
    }

    /// Streams the object `key` (below the prefix) into `to`; more than `max` bytes is an
    /// error. Blocks.
    pub(crate) fn download(&self, key: &str, to: &mut impl Write, max: u64) -> io::Result<()> {
        let location = ObjectPath::from_iter(
            self.prefix
                .parts()
                .chain(key.split('/').map(PathPart::from)),
        );
        self.handle.block_on(async {
            let mut stream = self
                .store
                .get(&location)
                .await
                .map_err(io::Error::other)?
                .into_stream();
            let mut written = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(io::Error::other)?;
                written += chunk.len() as u64;
                if written > max {
                    return Err(io::Error::other(format!("{key}: larger than {max} bytes")));
                }
                to.write_all(&chunk)?;
            }
            Ok(())
        })
    }
}

/// A multipart upload in progress.
pub struct RemoteFile {
    writer: Option<WriteMultipart>,
    handle: Handle,
}

impl RemoteFile {
    /// Completes the upload: the object becomes visible, whole.
    pub(super) fn commit(mut self) -> io::Result<()> {
        let Some(writer) = self.writer.take() else {
            return Err(io::Error::other("upload already ended"));
        };
        let _enter = self.handle.enter();
        self.handle
            .block_on(writer.finish())
            .map(drop)
            .map_err(io::Error::other)
    }
}

impl Write for RemoteFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(io::Error::other("upload already ended"));
        };
        // Parts upload on the runtime; wait while too many are in flight (memory bound).
        let _enter = self.handle.enter();
        self.handle
            .block_on(writer.wait_for_capacity(PARTS_IN_FLIGHT))
            .map_err(io::Error::other)?;
        writer.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RemoteFile {
    fn drop(&mut self) {
        // Not committed: the upload is abandoned, and nothing becomes visible.
        if let Some(writer) = self.writer.take() {
            self.handle.spawn(async move {
                let _ = writer.abort().await;
            });
        }
    }
}
