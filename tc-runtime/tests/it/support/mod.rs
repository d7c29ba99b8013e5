//! What the runtime's tests share: EdgeOne's service descriptor and teo-client's generated
//! client in small, so the tests call through the runtime exactly as generated code does.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use tc_runtime::{ClientBuilder, Error, ProvideCredentials, RetryPolicy, RetrySafety, Service};
use teo_models::{DownloadL4LogsRequest, DownloadL4LogsResponse};

/// EdgeOne as its generated code describes it (the retry safety of the actions called here).
pub static TEO: Service = Service {
    name: "teo",
    version: "2022-09-01",
    endpoint: "https://teo.intl.tencentcloudapi.com",
    mainland_endpoint: "https://teo.tencentcloudapi.com",
    retry_safety: &[
        ("DescribeZones", RetrySafety::ReadOnly),
        ("DownloadL4Logs", RetrySafety::ReadOnly),
        ("ModifyL4Proxy", RetrySafety::Unsafe),
    ],
};

/// teo-client's generated client in small: the runtime's client and two of its methods, each
/// what the generator writes.
#[derive(Clone, Debug)]
pub struct Client(tc_runtime::Client);

impl From<tc_runtime::Client> for Client {
    fn from(runtime: tc_runtime::Client) -> Client {
        Client(runtime)
    }
}

impl Client {
    pub fn builder(credentials: impl ProvideCredentials + 'static) -> ClientBuilder<Client> {
        ClientBuilder::new(&TEO, credentials)
    }

    pub fn with_timeout(&self, timeout: Duration) -> Client {
        Client(self.0.with_timeout(timeout))
    }

    pub fn with_total_timeout(&self, timeout: Duration) -> Client {
        Client(self.0.with_total_timeout(timeout))
    }

    pub fn with_retry(&self, retry: RetryPolicy) -> Client {
        Client(self.0.with_retry(retry))
    }

    pub async fn download_l4_logs(
        &self,
        input: DownloadL4LogsRequest,
    ) -> Result<DownloadL4LogsResponse, Error> {
        self.0.send("DownloadL4Logs", &input).await
    }

    pub async fn call(&self, action: &str, input: Value) -> Result<Value, Error> {
        let info = teo_models::action(action).ok_or_else(|| Error::unknown_action(action))?;
        self.0.call(Some(info), action, input).await
    }
}
