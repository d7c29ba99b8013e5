//! `teo logs download --mock`: a local EdgeOne (teo-mock) started in-process, so the command runs
//! without an account or network. Only with the `mock` feature (on by default); without it there
//! is no `--mock` option, and these say so by doing nothing.

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
