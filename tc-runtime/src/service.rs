//! What the runtime needs to know of one service, provided by its generated code.

use crate::retry::RetrySafety;

/// A Tencent Cloud service and API version: generated (`SERVICE` in each service's client code)
/// from its spec; the runtime signs, addresses and retries calls by it.
#[derive(Debug)]
pub struct Service {
    /// Short name: the signing scope and the first label of the endpoint host (`teo`, `sts`).
    pub name: &'static str,
    /// The API version every request is sent with (`X-TC-Version`), e.g. `2022-09-01`.
    pub version: &'static str,
    /// The international endpoint, the default (`https://teo.intl.tencentcloudapi.com`).
    pub endpoint: &'static str,
    /// The mainland China endpoint (`https://teo.tencentcloudapi.com`).
    pub mainland_endpoint: &'static str,
    /// Each action's retry safety, sorted by action name (decided by the generator).
    pub retry_safety: &'static [(&'static str, RetrySafety)],
}

impl Service {
    /// The generated retry safety of `action`; [`RetrySafety::Unsafe`] for an action the table
    /// does not know (one newer than the generated code, called through `call`).
    pub fn retry_safety(&self, action: &str) -> RetrySafety {
        self.retry_safety
            .binary_search_by(|(name, _)| (*name).cmp(action))
            .ok()
            .and_then(|i| self.retry_safety.get(i))
            .map_or(RetrySafety::Unsafe, |(_, safety)| *safety)
    }
}
