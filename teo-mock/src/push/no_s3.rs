//! The sink of an `s3` task when the `object-store` feature is off: such a task is not pushed,
//! its ledger saying why, so `S3Sink` has no values.

use bytes::Bytes;
use serde_json::Value;

use super::records::Record;

/// A task's bucket: none can be opened in this build.
#[derive(Debug)]
pub(crate) enum S3Sink {}

impl S3Sink {
    /// Refuses: this build has no object store support.
    pub(crate) fn new(_s3: &Value, _task: &str) -> Result<S3Sink, String> {
        Err("not pushed: this teo-mock was built without the `object-store` feature".to_owned())
    }

    pub(crate) fn object(&mut self, _records: &[Record]) -> (String, Bytes) {
        match *self {}
    }

    pub(crate) async fn put(&self, _name: &str, _bytes: Bytes) -> Result<(), String> {
        match *self {}
    }
}
