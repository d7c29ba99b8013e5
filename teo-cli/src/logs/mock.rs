//! `teo logs download --mock` and `teo logs receive --mock`: a local EdgeOne (teo-mock) started
//! in-process, so the command runs without an account or network (for `receive`, the mock's
//! real-time push). Only with the `mock` feature (on by default); without it there is no
//! `--mock` option, and these say so by doing nothing.

#[cfg(feature = "mock")]
use std::io::{self, Write};

use super::args::DownloadArgs;
use crate::credentials::Source;
use crate::failure::Failure;
use crate::options::GlobalOptions;

/// The mock a download runs against, until [`Mock::stop`].
#[cfg(feature = "mock")]
pub(super) struct Mock(teo_mock::MockServer);

/// Without the `mock` feature there is never a mock: no value of this type exists.
#[cfg(not(feature = "mock"))]
pub(super) enum Mock {}

/// With `--mock`, the keys the mock accepts: signed with instead of any profile's.
#[cfg(feature = "mock")]
pub(super) fn credentials(args: &DownloadArgs) -> Option<Source> {
    args.mock.then(|| {
        Source::Flags(teo_client::Credentials::new(
            teo_mock::server::DEFAULT_SECRET_ID,
            teo_mock::server::DEFAULT_SECRET_KEY,
        ))
    })
}

#[cfg(not(feature = "mock"))]
pub(super) fn credentials(_: &DownloadArgs) -> Option<Source> {
    None
}

/// With `--mock`, starts the mock and points `options` at it.
#[cfg(feature = "mock")]
pub(super) async fn start(
    args: &DownloadArgs,
    mut options: GlobalOptions,
) -> Result<(GlobalOptions, Option<Mock>), Failure> {
    if !args.mock {
        return Ok((options, None));
    }
    let mock = teo_mock::MockServer::start(teo_mock::MockConfig::default())
        .await
        .map_err(|e| Failure::failed(format!("cannot start the local mock: {e}")))?;
    let _ = writeln!(
        io::stderr(),
        "Using a local mock EdgeOne (teo-mock) at {}: synthetic logs, no account needed.",
        mock.url()
    );
    options.endpoint = Some(mock.url());
    Ok((options, Some(Mock(mock))))
}

#[cfg(not(feature = "mock"))]
pub(super) async fn start(
    _: &DownloadArgs,
    options: GlobalOptions,
) -> Result<(GlobalOptions, Option<Mock>), Failure> {
    Ok((options, None))
}

impl Mock {
    pub(super) async fn stop(self) {
        #[cfg(feature = "mock")]
        self.0.shutdown().await;
        #[cfg(not(feature = "mock"))]
        match self {}
    }
}

/// The AccessId and AccessKey `receive --mock` checks the mock's pushes with: a fresh key each
/// run.
pub(super) fn push_auth() -> teo_logs::receive::OriginAuth {
    let key: String = (0..4)
        .map(|_| format!("{:016x}", fastrand::u64(..)))
        .collect();
    teo_logs::receive::OriginAuth::new("teo-mock-push", key)
}

/// Starts a mock that, through the SDK, gets a custom_endpoint task pushing `records` L7
/// records to `url` (signed with `auth`'s keys, gzip'd, JSON arrays), waits until they are
/// all acknowledged, and says what it pushed.
#[cfg(feature = "mock")]
pub(super) async fn push(
    url: &str,
    records: u64,
    zone: String,
    auth: &teo_logs::receive::OriginAuth,
) -> Result<Option<String>, Failure> {
    use std::time::Duration;
    let config = teo_mock::MockConfig::default()
        .rate_limit(None)
        .push_rate(50_000)
        .push_batch(500)
        .push_total(Some(records))
        .push_backoff(Duration::from_millis(100), Duration::from_secs(5));
    let mock = teo_mock::MockServer::start(config)
        .await
        .map_err(|e| Failure::failed(format!("cannot start the local mock: {e}")))?;
    let _ = writeln!(
        io::stderr(),
        "A local mock EdgeOne (teo-mock) at {} pushes {records} records here (synthetic logs, no account needed).",
        mock.url()
    );
    let client = teo_client::Client::builder(teo_client::Credentials::new(
        teo_mock::server::DEFAULT_SECRET_ID,
        teo_mock::server::DEFAULT_SECRET_KEY,
    ))
    .endpoint(mock.url())
    .build()
    .map_err(|e| Failure::failed(format!("cannot reach the local mock: {e}")))?;
    let request = serde_json::json!({
        "ZoneId": zone,
        "TaskName": "teo-logs-receive-demo",
        "TaskType": "custom_endpoint",
        "LogType": "l7-access-logs",
        "Area": "overseas",
        "EntityList": ["www.example.com"],
        "Fields": [],
        "CustomEndpoint": {
            "Url": url,
            "AccessId": auth.access_id(),
            "AccessKey": auth.access_key(),
            "CompressType": "gzip",
        },
    });
    let answer = client
        .call("CreateRealtimeLogDeliveryTask", request)
        .await
        .map_err(|e| Failure::failed(format!("CreateRealtimeLogDeliveryTask on the mock: {e}")))?;
    let task = answer["TaskId"].as_str().unwrap_or_default().to_owned();
    let ledger = mock
        .push_wait(&task, |l| l.finished && l.acknowledged >= records)
        .await;
    mock.shutdown().await;
    Ok(ledger.map(|l| {
        format!(
            "the mock's task {task} pushed {} records (+{} test object) in {} requests, {} resent",
            l.acknowledged,
            l.test_objects.len(),
            l.posts,
            l.resends
        )
    }))
}

#[cfg(not(feature = "mock"))]
pub(super) async fn push(
    _: &str,
    _: u64,
    _: String,
    _: &teo_logs::receive::OriginAuth,
) -> Result<Option<String>, Failure> {
    Ok(None)
}
