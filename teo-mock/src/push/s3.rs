//! The sink of an `s3` task: JSON Lines objects (gzip when `CompressType` is `gzip`) put into
//! `S3.Bucket` (`bucket` or `bucket/prefix`) at `S3.Endpoint` (plain http allowed, for local
//! servers) in `S3.Region`, with the keys `S3.AccessId`/`S3.AccessKey`, path-style.
//!
//! EdgeOne does not document its object names; the mock's are time-ordered and unique:
//! `<prefix>/<YYYYMMDD>/<HH>/<task>-<seq>.log[.gz]`, seq counting the task's objects.

use std::io::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::ObjectStore;
use serde_json::Value;
use time::OffsetDateTime;

use super::body;
use super::records::Record;

/// A task's bucket.
#[derive(Debug)]
pub(crate) struct S3Sink {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    task: String,
    gzip: bool,
    seq: u64,
}

impl S3Sink {
    /// The sink of a task's `S3` member; an error in words when it cannot be built.
    pub(crate) fn new(s3: &Value, task: &str) -> Result<S3Sink, String> {
        let text = |name: &str| s3.get(name).and_then(Value::as_str).unwrap_or("");
        let (bucket, prefix) = text("Bucket")
            .split_once('/')
            .map_or((text("Bucket"), ""), |(b, p)| (b, p.trim_matches('/')));
        let store = AmazonS3Builder::new()
            .with_endpoint(text("Endpoint"))
            .with_allow_http(true)
            .with_region(text("Region"))
            .with_bucket_name(bucket)
            .with_access_key_id(text("AccessId"))
            .with_secret_access_key(text("AccessKey"))
            .build()
            .map_err(|e| format!("S3: {e}"))?;
        Ok(S3Sink {
            store: Arc::new(store),
            prefix: prefix.to_owned(),
            task: task.to_owned(),
            gzip: text("CompressType") == "gzip",
            seq: 0,
        })
    }

    /// The object of a batch: its name (the next in turn) and bytes.
    pub(crate) fn object(&mut self, records: &[Record]) -> (String, Bytes) {
        self.seq += 1;
        let now = OffsetDateTime::now_utc();
        let name = format!(
            "{}{}{:04}{:02}{:02}/{:02}/{}-{:08}.log{}",
            self.prefix,
            if self.prefix.is_empty() { "" } else { "/" },
            now.year(),
            now.month() as u8,
            now.day(),
            now.hour(),
            self.task,
            self.seq,
            if self.gzip { ".gz" } else { "" }
        );
        let mut lines = String::new();
        for record in records {
            body::object(record, &mut lines);
            lines.push('\n');
        }
        let bytes = if self.gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = encoder.write_all(lines.as_bytes());
            encoder.finish().unwrap_or_default()
        } else {
            lines.into_bytes()
        };
        (name, Bytes::from(bytes))
    }

    /// Puts an object; the error in words.
    pub(crate) async fn put(&self, name: &str, bytes: Bytes) -> Result<(), String> {
        self.store
            .put(&Path::from(name), bytes.into())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
