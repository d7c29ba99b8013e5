//! Temporary credentials from STS (`sts` 2018-08-13): `AssumeRole` and
//! `AssumeRoleWithWebIdentity` (TKE OIDC).

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use serde_json::{json, Value};

use super::cache::CachedProvider;
use super::transport::{
    fetch_error, host_header, parse_endpoint, parse_json, unix_now, Fields, LazyHttp,
};
use super::{
    error_chain, injected_vars, process_vars, var, Credentials, CredentialsError,
    ProvideCredentials, ProvideFuture, Vars,
};
use crate::signing::{self, SigningInput};

/// The STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// The region sent to STS by [`AssumeRoleProvider`] unless configured otherwise.
pub const DEFAULT_STS_REGION: &str = "ap-guangzhou";
const STS_SERVICE: &str = "sts";
const STS_VERSION: &str = "2018-08-13";
const CONTENT_TYPE_JSON: &str = "application/json";
const DEFAULT_DURATION: Duration = Duration::from_secs(7200);
const REQUEST_CLIENT: &str = concat!("SDK_RUST_TEO_", env!("CARGO_PKG_VERSION"));

const ASSUME_ROLE: &str = "assume role";
const WEB_IDENTITY: &str = "tke oidc";

const TKE_REGION: &str = "TKE_REGION";
const TKE_PROVIDER_ID: &str = "TKE_PROVIDER_ID";
const TKE_TOKEN_FILE: &str = "TKE_WEB_IDENTITY_TOKEN_FILE";
const TKE_ROLE_ARN: &str = "TKE_ROLE_ARN";

// ---------------------------------------------------------------------------------------------
// The STS call both providers make
// ---------------------------------------------------------------------------------------------

/// Where STS is and how to reach it.
#[derive(Debug)]
struct Sts {
    endpoint: String,
    http: LazyHttp,
}

impl Sts {
    fn new(endpoint: String, connect_timeout: Duration, timeout: Duration) -> Sts {
        Sts {
            endpoint,
            http: LazyHttp::new(connect_timeout, timeout, false),
        }
    }

    /// Posts `body` as `action`, signed with `signer` (TC3, service `sts`) or, without one, with
    /// `Authorization: SKIP`; reads the credentials out of the answer.
    async fn call(
        &self,
        source_name: &'static str,
        action: &str,
        region: &str,
        body: &Value,
        signer: Option<&Credentials>,
    ) -> Result<Credentials, CredentialsError> {
        let url = parse_endpoint(source_name, &self.endpoint)?;
        let host = host_header(&url);
        let body = serde_json::to_vec(body)
            .map_err(|e| fetch_error(source_name, "encoding the request", e))?;
        let timestamp = unix_now();
        let authorization = match signer {
            Some(credentials) => signing::sign(
                credentials.secret_id(),
                credentials.secret_key(),
                &SigningInput {
                    service: STS_SERVICE,
                    method: "POST",
                    host: &host,
                    content_type: CONTENT_TYPE_JSON,
                    query: "",
                    payload: &body,
                    unsigned_payload: false,
                    timestamp,
                },
            )
            .map_err(|e| fetch_error(source_name, "signing the request", e))?
            .authorization()
            .to_owned(),
            None => "SKIP".to_owned(),
        };

        let header = |name: &str, text: &str| {
            HeaderValue::from_str(text).map_err(|_| CredentialsError::Invalid {
                source_name,
                reason: format!("the {name} cannot be sent as an HTTP header"),
            })
        };
        let mut headers = HeaderMap::new();
        headers.insert(HOST, header("host", &host)?);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
        let mut authorization = header("Authorization", &authorization)?;
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert("X-TC-Action", header("action", action)?);
        headers.insert("X-TC-Version", HeaderValue::from_static(STS_VERSION));
        headers.insert("X-TC-Timestamp", HeaderValue::from(timestamp));
        headers.insert(
            "X-TC-Region",
            header(&format!("region {region:?}"), region)?,
        );
        headers.insert(
            "X-TC-RequestClient",
            HeaderValue::from_static(REQUEST_CLIENT),
        );
        if let Some(token) = signer.and_then(Credentials::token) {
            let mut token = header("session token of the base credentials", token)?;
            token.set_sensitive(true);
            headers.insert("X-TC-Token", token);
        }

        let response = self
            .http
            .get(source_name)?
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                fetch_error(source_name, format!("STS {action} at {}", self.endpoint), e)
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| fetch_error(source_name, format!("reading STS's {action} answer"), e))?;
        read_answer(source_name, action, status.as_u16(), &bytes)
    }
}

/// Turns an STS answer into credentials, or its error envelope into a `Fetch` error.
fn read_answer(
    source_name: &'static str,
    action: &str,
    status: u16,
    body: &[u8],
) -> Result<Credentials, CredentialsError> {
    let not_ok = || CredentialsError::Fetch {
        source_name,
        reason: format!(
            "STS {action} answered HTTP {status} ({} bytes, not an API answer)",
            body.len()
        ),
        source: None,
    };
    let answer = match parse_json(source_name, &format!("STS's {action} answer"), body) {
        Ok(answer) => answer,
        Err(_) if status != 200 => return Err(not_ok()),
        Err(e) => return Err(e),
    };
    let Some(response) = answer.get("Response").filter(|r| r.is_object()) else {
        return Err(if status != 200 {
            not_ok()
        } else {
            CredentialsError::Invalid {
                source_name,
                reason: format!("STS's {action} answer has no Response object"),
            }
        });
    };
    if let Some(error) = response.get("Error") {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
        return Err(CredentialsError::Fetch {
            source_name,
            reason: format!(
                "STS {action} failed: {}: {} (request id {})",
                text(error.get("Code")),
                text(error.get("Message")),
                text(response.get("RequestId")),
            ),
            source: None,
        });
    }
    if status != 200 {
        return Err(not_ok());
    }
    let Some(inner) = response.get("Credentials") else {
        return Err(CredentialsError::Invalid {
            source_name,
            reason: "the answer's Response.Credentials is missing".into(),
        });
    };
    let credentials = Fields {
        source_name,
        path: "Response.Credentials",
        object: inner,
    };
    let expiry = Fields {
        source_name,
        path: "Response",
        object: response,
    }
    .expiry()?;
    Ok(Credentials::new(
        credentials.string("TmpSecretId")?,
        credentials.string("TmpSecretKey")?,
    )
    .with_token(credentials.string("Token")?)
    .with_expiry(expiry))
}

fn duration_seconds(duration: Duration) -> u64 {
    duration.as_secs().max(1)
}

fn default_session_name() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("teo-rs-{millis}")
}

// ---------------------------------------------------------------------------------------------
// AssumeRole
// ---------------------------------------------------------------------------------------------

/// Temporary credentials of a CAM role, from STS `AssumeRole` signed with other ("base")
/// credentials.
///
/// Posts `{"RoleArn", "RoleSessionName", "DurationSeconds"}` to STS (`sts.tencentcloudapi.com`
/// by default) signed with TC3-HMAC-SHA256 for service `sts`, with `X-TC-Action: AssumeRole`,
/// `X-TC-Version: 2018-08-13`, `X-TC-Region` (default `ap-guangzhou`) and `X-TC-Token` when the
/// base credentials have one. The answer is cached and refreshed 5 minutes before it expires
/// (see [`CachedProvider`]); the base provider is asked at every refresh.
///
/// Errors: STS's error envelope is [`CredentialsError::Fetch`] with its code and message; so is
/// a failure of the base provider (its error is the source) or of the network; an answer
/// lacking a member is [`CredentialsError::Invalid`] naming it.
///
/// ```no_run
/// use std::sync::Arc;
/// use tc_runtime::credentials::{AssumeRoleProvider, EnvironmentProvider};
/// use tc_runtime::sts::Client; // any generated service client
///
/// let provider = AssumeRoleProvider::builder(
///     Arc::new(EnvironmentProvider::new()),
///     "qcs::cam::uin/100000000001:roleName/edgeone-admin",
///     "nightly-purge",
/// )
/// .duration(std::time::Duration::from_secs(3600))
/// .build();
/// let client = Client::builder(provider).build()?;
/// # Ok::<(), tc_runtime::Error>(())
/// ```
pub struct AssumeRoleProvider {
    cache: CachedProvider,
}

/// Configures an [`AssumeRoleProvider`].
#[derive(Debug, Clone)]
pub struct AssumeRoleProviderBuilder {
    base: Arc<dyn ProvideCredentials>,
    role_arn: String,
    role_session_name: String,
    duration: Duration,
    endpoint: String,
    region: String,
    connect_timeout: Duration,
    timeout: Duration,
    refresh_margin: Duration,
}

impl AssumeRoleProvider {
    /// Assumes `role_arn` as session `role_session_name`, signing with `base`; defaults for the
    /// rest.
    pub fn new(
        base: Arc<dyn ProvideCredentials>,
        role_arn: impl Into<String>,
        role_session_name: impl Into<String>,
    ) -> AssumeRoleProvider {
        AssumeRoleProvider::builder(base, role_arn, role_session_name).build()
    }

    pub fn builder(
        base: Arc<dyn ProvideCredentials>,
        role_arn: impl Into<String>,
        role_session_name: impl Into<String>,
    ) -> AssumeRoleProviderBuilder {
        AssumeRoleProviderBuilder {
            base,
            role_arn: role_arn.into(),
            role_session_name: role_session_name.into(),
            duration: DEFAULT_DURATION,
            endpoint: DEFAULT_STS_ENDPOINT.to_owned(),
            region: DEFAULT_STS_REGION.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            refresh_margin: CachedProvider::DEFAULT_REFRESH_MARGIN,
        }
    }

    /// Forgets the cached credentials: the next call asks STS.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }
}

impl AssumeRoleProviderBuilder {
    /// How long the credentials last (`DurationSeconds`, default 7200 s; STS allows up to 43200).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Where STS is, e.g. `https://sts.tencentcloudapi.com` (the default) or
    /// `http://127.0.0.1:8080`. The `Host` signed and sent is this URL's `host[:port]`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Sent as `X-TC-Region` (default `ap-guangzhou`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Limit on connecting to STS (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on the whole STS request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Refresh once fewer than this remain before expiry (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    pub fn build(self) -> AssumeRoleProvider {
        let fetcher = AssumeRoleFetcher {
            base: self.base,
            role_arn: self.role_arn,
            role_session_name: self.role_session_name,
            duration: self.duration,
            region: self.region,
            sts: Sts::new(self.endpoint, self.connect_timeout, self.timeout),
        };
        AssumeRoleProvider {
            cache: CachedProvider::new(fetcher).with_refresh_margin(self.refresh_margin),
        }
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for AssumeRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AssumeRoleProvider")
            .field(&self.cache)
            .finish()
    }
}

#[derive(Debug)]
struct AssumeRoleFetcher {
    base: Arc<dyn ProvideCredentials>,
    role_arn: String,
    role_session_name: String,
    duration: Duration,
    region: String,
    sts: Sts,
}

impl AssumeRoleFetcher {
    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let base = self
            .base
            .provide_credentials()
            .await
            .map_err(|e| CredentialsError::Fetch {
                source_name: ASSUME_ROLE,
                reason: format!("base credentials: {}", error_chain(&e)),
                source: Some(Box::new(e)),
            })?;
        let body = json!({
            "RoleArn": self.role_arn,
            "RoleSessionName": self.role_session_name,
            "DurationSeconds": duration_seconds(self.duration),
        });
        let credentials = self
            .sts
            .call(ASSUME_ROLE, "AssumeRole", &self.region, &body, Some(&base))
            .await?;
        tracing::debug!(role_arn = %self.role_arn, expires_at = ?credentials.expires_at(), "assumed role");
        Ok(credentials)
    }
}

impl ProvideCredentials for AssumeRoleFetcher {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

// ---------------------------------------------------------------------------------------------
// AssumeRoleWithWebIdentity (TKE OIDC)
// ---------------------------------------------------------------------------------------------

/// Temporary credentials for a TKE pod, from STS `AssumeRoleWithWebIdentity` with the OIDC
/// token TKE mounts into the pod.
///
/// Configuration comes from the environment TKE sets — `TKE_REGION`, `TKE_PROVIDER_ID`,
/// `TKE_WEB_IDENTITY_TOKEN_FILE`, `TKE_ROLE_ARN` — read at every refresh (or through an
/// injected lookup, see [`WebIdentityProviderBuilder::vars`]), each overridable on the builder.
/// The token file is read again at every refresh (TKE rotates it).
///
/// The request is not signed (`Authorization: SKIP`): the body
/// `{"ProviderId", "WebIdentityToken", "RoleArn", "RoleSessionName", "DurationSeconds"}` is the
/// proof. `X-TC-Region` is `TKE_REGION`. The answer is cached and refreshed 5 minutes before it
/// expires (see [`CachedProvider`]).
///
/// Errors: none of the variables set is [`CredentialsError::NotFound`]; some but not all set,
/// or an unreadable or empty token file, is [`CredentialsError::Invalid`] naming what is
/// missing; STS's error envelope is [`CredentialsError::Fetch`] with its code and message.
pub struct WebIdentityProvider {
    cache: CachedProvider,
}

/// Configures a [`WebIdentityProvider`].
#[derive(Clone)]
pub struct WebIdentityProviderBuilder {
    vars: Vars,
    injected: bool,
    region: Option<String>,
    provider_id: Option<String>,
    token_file: Option<PathBuf>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    duration: Duration,
    endpoint: String,
    connect_timeout: Duration,
    timeout: Duration,
    refresh_margin: Duration,
}

impl WebIdentityProvider {
    /// Configured by the process environment.
    pub fn new() -> WebIdentityProvider {
        WebIdentityProvider::builder().build()
    }

    /// Configured by `vars` (name → value) instead of the process environment.
    pub fn from_vars(
        vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> WebIdentityProvider {
        WebIdentityProvider::builder().vars(vars).build()
    }

    pub fn builder() -> WebIdentityProviderBuilder {
        WebIdentityProviderBuilder {
            vars: process_vars(),
            injected: false,
            region: None,
            provider_id: None,
            token_file: None,
            role_arn: None,
            role_session_name: None,
            duration: DEFAULT_DURATION,
            endpoint: DEFAULT_STS_ENDPOINT.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            refresh_margin: CachedProvider::DEFAULT_REFRESH_MARGIN,
        }
    }

    /// Forgets the cached credentials: the next call asks STS.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }
}

impl Default for WebIdentityProvider {
    fn default() -> Self {
        WebIdentityProvider::new()
    }
}

impl WebIdentityProviderBuilder {
    /// Reads the `TKE_*` variables through `vars` instead of the process environment.
    pub fn vars(mut self, vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.vars = injected_vars(vars);
        self.injected = true;
        self
    }

    pub(crate) fn shared_vars(mut self, vars: Vars, injected: bool) -> Self {
        self.vars = vars;
        self.injected = injected;
        self
    }

    /// Instead of `TKE_REGION`: the region sent as `X-TC-Region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Instead of `TKE_PROVIDER_ID`: the identity provider's name.
    pub fn provider_id(mut self, provider_id: impl Into<String>) -> Self {
        self.provider_id = Some(provider_id.into());
        self
    }

    /// Instead of `TKE_WEB_IDENTITY_TOKEN_FILE`: the file holding the OIDC token.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// Instead of `TKE_ROLE_ARN`: the role to assume.
    pub fn role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The session name (default `teo-rs-<Unix milliseconds>`, new at each refresh).
    pub fn role_session_name(mut self, name: impl Into<String>) -> Self {
        self.role_session_name = Some(name.into());
        self
    }

    /// How long the credentials last (`DurationSeconds`, default 7200 s).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Where STS is (default `https://sts.tencentcloudapi.com`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Limit on connecting to STS (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on the whole STS request (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Refresh once fewer than this remain before expiry (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    pub fn build(self) -> WebIdentityProvider {
        let fetcher = WebIdentityFetcher {
            vars: self.vars,
            injected: self.injected,
            region: self.region,
            provider_id: self.provider_id,
            token_file: self.token_file,
            role_arn: self.role_arn,
            role_session_name: self.role_session_name,
            duration: self.duration,
            sts: Sts::new(self.endpoint, self.connect_timeout, self.timeout),
        };
        WebIdentityProvider {
            cache: CachedProvider::new(fetcher).with_refresh_margin(self.refresh_margin),
        }
    }
}

impl fmt::Debug for WebIdentityProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityProviderBuilder")
            .field("vars", &vars_label(self.injected))
            .field("region", &self.region)
            .field("provider_id", &self.provider_id)
            .field("token_file", &self.token_file)
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("duration", &self.duration)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl ProvideCredentials for WebIdentityProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for WebIdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebIdentityProvider")
            .field(&self.cache)
            .finish()
    }
}

fn vars_label(injected: bool) -> &'static str {
    if injected {
        "injected"
    } else {
        "process environment"
    }
}

struct WebIdentityFetcher {
    vars: Vars,
    injected: bool,
    region: Option<String>,
    provider_id: Option<String>,
    token_file: Option<PathBuf>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    duration: Duration,
    sts: Sts,
}

impl fmt::Debug for WebIdentityFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityFetcher")
            .field("vars", &vars_label(self.injected))
            .field("region", &self.region)
            .field("provider_id", &self.provider_id)
            .field("token_file", &self.token_file)
            .field("role_arn", &self.role_arn)
            .field("sts", &self.sts)
            .finish_non_exhaustive()
    }
}

impl WebIdentityFetcher {
    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let mut missing = Vec::new();
        let mut setting = |explicit: &Option<String>, name: &'static str| {
            let value = explicit.clone().or_else(|| var(&self.vars, name));
            if value.is_none() {
                missing.push(name);
            }
            value.map(|v| v.trim().to_owned())
        };
        let region = setting(&self.region, TKE_REGION);
        let provider_id = setting(&self.provider_id, TKE_PROVIDER_ID);
        let token_file = setting(
            &self
                .token_file
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned()),
            TKE_TOKEN_FILE,
        );
        let role_arn = setting(&self.role_arn, TKE_ROLE_ARN);
        let (Some(region), Some(provider_id), Some(token_file), Some(role_arn)) =
            (region, provider_id, token_file, role_arn)
        else {
            let reason = format!(
                "{} {} not set",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            );
            return Err(if missing.len() == 4 {
                CredentialsError::NotFound {
                    source_name: WEB_IDENTITY,
                    reason,
                }
            } else {
                CredentialsError::Invalid {
                    source_name: WEB_IDENTITY,
                    reason,
                }
            });
        };
        // Explicitly configured paths are used as given (not trimmed).
        let token_path = self
            .token_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(&token_file));
        let token =
            std::fs::read_to_string(&token_path).map_err(|e| CredentialsError::Invalid {
                source_name: WEB_IDENTITY,
                reason: format!(
                    "web identity token file {}: cannot be read: {e}",
                    token_path.display()
                ),
            })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Invalid {
                source_name: WEB_IDENTITY,
                reason: format!("web identity token file {} is empty", token_path.display()),
            });
        }
        let body = json!({
            "ProviderId": provider_id,
            "WebIdentityToken": token,
            "RoleArn": role_arn,
            "RoleSessionName": self.role_session_name.clone().unwrap_or_else(default_session_name),
            "DurationSeconds": duration_seconds(self.duration),
        });
        let credentials = self
            .sts
            .call(
                WEB_IDENTITY,
                "AssumeRoleWithWebIdentity",
                &region,
                &body,
                None,
            )
            .await?;
        tracing::debug!(role_arn = %role_arn, expires_at = ?credentials.expires_at(), "assumed role with web identity");
        Ok(credentials)
    }
}

impl ProvideCredentials for WebIdentityFetcher {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_names_code_and_message() {
        let body = br#"{"Response":{"Error":{"Code":"InvalidParameter.RoleArn","Message":"bad arn"},"RequestId":"r-1"}}"#;
        let err = read_answer(ASSUME_ROLE, "AssumeRole", 200, body).unwrap_err();
        assert!(matches!(err, CredentialsError::Fetch { .. }));
        assert_eq!(
            err.to_string(),
            "assume role: STS AssumeRole failed: InvalidParameter.RoleArn: bad arn (request id r-1)"
        );
        // The same envelope with an HTTP error status still gives the API error.
        let err = read_answer(ASSUME_ROLE, "AssumeRole", 500, body).unwrap_err();
        assert!(err.to_string().contains("InvalidParameter.RoleArn"));
    }

    #[test]
    fn non_api_answers() {
        let err =
            read_answer(ASSUME_ROLE, "AssumeRole", 502, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume role: STS AssumeRole answered HTTP 502 (24 bytes, not an API answer)"
        );
        let err = read_answer(ASSUME_ROLE, "AssumeRole", 200, b"{}").unwrap_err();
        assert!(matches!(err, CredentialsError::Invalid { .. }), "{err:?}");
    }

    #[test]
    fn good_answer_and_missing_member() {
        let body = br#"{"Response":{"Credentials":{"TmpSecretId":"AKIDtmp","TmpSecretKey":"tmpkey","Token":"tok"},"ExpiredTime":1543914376,"Expiration":"2018-12-04T09:06:16Z","RequestId":"r"}}"#;
        let c = read_answer(ASSUME_ROLE, "AssumeRole", 200, body).unwrap();
        assert_eq!(
            (c.secret_id(), c.secret_key(), c.token()),
            ("AKIDtmp", "tmpkey", Some("tok"))
        );
        assert_eq!(
            c.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(1_543_914_376))
        );

        let body = br#"{"Response":{"Credentials":{"TmpSecretId":"AKIDtmp","Token":"tok"},"ExpiredTime":1543914376}}"#;
        let err = read_answer(ASSUME_ROLE, "AssumeRole", 200, body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume role: the answer's Response.Credentials.TmpSecretKey is missing"
        );
    }
}
