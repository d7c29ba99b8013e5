//! Temporary credentials from STS (`sts` 2018-08-13): `AssumeRole` and
//! `AssumeRoleWithWebIdentity` (TKE OIDC).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cache::CachedProvider;
use super::transport::{
    fetch_error, from_unix, parse_endpoint, read_small_file, FileError, MAX_FILE_SIZE,
};
use super::{
    error_chain, injected_vars, process_vars, var, Credentials, CredentialsError,
    ProvideCredentials, ProvideFuture, Vars,
};
use crate::clock::{self, Clock};
use crate::redact::Shown;
use crate::sts;
use crate::{Error, ErrorKind, RetryPolicy};

/// The STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// The region sent to STS by [`AssumeRoleProvider`] unless configured otherwise.
pub const DEFAULT_STS_REGION: &str = "ap-guangzhou";
/// The largest STS answer read unless configured otherwise: 64 KiB. An answer with
/// credentials is about 2 KiB.
pub const DEFAULT_STS_MAX_RESPONSE_SIZE: u64 = 64 << 10;
const DEFAULT_DURATION: Duration = Duration::from_secs(7200);

const ASSUME_ROLE: &str = "assume role";
const WEB_IDENTITY: &str = "tke oidc";

const TKE_REGION: &str = "TKE_REGION";
const TKE_PROVIDER_ID: &str = "TKE_PROVIDER_ID";
const TKE_TOKEN_FILE: &str = "TKE_WEB_IDENTITY_TOKEN_FILE";
const TKE_ROLE_ARN: &str = "TKE_ROLE_ARN";

// ---------------------------------------------------------------------------------------------
// The STS calls both providers make: the generated STS client, through this runtime
// ---------------------------------------------------------------------------------------------

/// Where STS is and how to reach it.
#[derive(Debug)]
struct Sts {
    endpoint: Shown<String>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_size: u64,
}

impl Sts {
    fn new(
        endpoint: Shown<String>,
        connect_timeout: Duration,
        timeout: Duration,
        retry: RetryPolicy,
        max_response_size: u64,
    ) -> Sts {
        Sts {
            endpoint,
            connect_timeout,
            timeout,
            retry,
            max_response_size,
        }
    }

    /// A client of STS in `region`, signing with `signer` or, without one, sending
    /// `Authorization: SKIP`. Built per refresh (every couple of hours): the region can change
    /// between refreshes, and nothing is worth pooling.
    fn client(
        &self,
        source_name: &'static str,
        region: &str,
        signer: Option<Credentials>,
    ) -> Result<sts::Client, CredentialsError> {
        // Checked first for its message, which names the endpoint without user info.
        parse_endpoint(source_name, &self.endpoint.0)?;
        let builder = match signer {
            Some(credentials) => sts::Client::builder(credentials),
            None => sts::Client::builder(Credentials::new("", "")).unsigned(),
        };
        builder
            .endpoint(&self.endpoint.0)
            .region(region)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // Temporary credentials are fetched rarely and by one caller (see CachedProvider).
            .rate_limit(None)
            .retry(self.retry)
            .max_response_size(self.max_response_size)
            .build()
            .map_err(|e| CredentialsError::Invalid {
                source_name,
                reason: e.to_string(),
            })
    }

    /// Why an STS call failed, as a credentials error. Never quotes the answer: a success
    /// that does not decode still holds secrets.
    fn error(&self, source_name: &'static str, action: &str, error: Error) -> CredentialsError {
        match error.kind() {
            ErrorKind::Api => CredentialsError::Fetch {
                source_name,
                reason: format!(
                    "STS {action} failed: {}: {} (request id {})",
                    error.code().unwrap_or_default(),
                    error.message().unwrap_or_default(),
                    error.request_id().unwrap_or_default()
                ),
                source: None,
            },
            ErrorKind::HttpStatus => CredentialsError::Fetch {
                source_name,
                reason: format!(
                    "STS {action} answered HTTP {} (not an API answer)",
                    error.http_status().unwrap_or_default()
                ),
                source: None,
            },
            ErrorKind::ResponseTooLarge => CredentialsError::TooLarge {
                source_name,
                what: format!("STS's {action} answer"),
                limit: error.response_limit().unwrap_or_default(),
            },
            ErrorKind::Decode => CredentialsError::Invalid {
                source_name,
                reason: format!("STS's {action} answer is not a {action} response"),
            },
            _ => fetch_error(
                source_name,
                format!("STS {action} at {}", self.endpoint),
                error,
            ),
        }
    }
}

/// Credentials out of an STS answer: every member present, the expiry from `ExpiredTime` (Unix
/// seconds) or, failing that, `Expiration` (RFC 3339).
fn read_credentials(
    source_name: &'static str,
    credentials: sts::models::Credentials,
    expired_time: Option<i64>,
    expiration: &str,
) -> Result<Credentials, CredentialsError> {
    let invalid = |reason: String| CredentialsError::Invalid {
        source_name,
        reason,
    };
    let required = |name: &str, value: String| {
        if value.is_empty() {
            Err(invalid(format!(
                "the answer's Response.Credentials.{name} is missing"
            )))
        } else {
            Ok(value)
        }
    };
    let id = required("TmpSecretId", credentials.tmp_secret_id)?;
    let key = required("TmpSecretKey", credentials.tmp_secret_key)?;
    let token = required("Token", credentials.token)?;
    let expiry = match expired_time.filter(|t| *t != 0) {
        Some(seconds) => from_unix(seconds).ok_or_else(|| {
            invalid("the answer's Response.ExpiredTime is not a valid Unix time".into())
        })?,
        None if expiration.is_empty() => {
            return Err(invalid(
                "the answer's Response.ExpiredTime is missing".into(),
            ))
        }
        None => {
            time::OffsetDateTime::parse(expiration, &time::format_description::well_known::Rfc3339)
                .ok()
                .and_then(|t| from_unix(t.unix_timestamp()))
                .ok_or_else(|| {
                    invalid("the answer's Response.Expiration is not an RFC 3339 time".into())
                })?
        }
    };
    Ok(Credentials::new(id, key)
        .with_token(token)
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
    endpoint: Shown<String>,
    region: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    refresh_margin: Duration,
    max_response_size: u64,
    clock: Arc<dyn Clock>,
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

    /// A builder for assuming `role_arn` with the credentials of `base`, to set the duration,
    /// endpoint, region, timeouts, retries or refresh margin.
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
            endpoint: Shown(DEFAULT_STS_ENDPOINT.to_owned()),
            region: DEFAULT_STS_REGION.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            refresh_margin: CachedProvider::DEFAULT_REFRESH_MARGIN,
            clock: clock::system(),
            max_response_size: DEFAULT_STS_MAX_RESPONSE_SIZE,
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
        self.endpoint = Shown(endpoint.into());
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

    /// How failed STS calls are retried (default: 3 attempts; throttling and unknown outcomes,
    /// since issuing credentials changes nothing).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Refresh once fewer than this remain before expiry (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Measures the credentials' expiry against `clock` (default: the system clock); a
    /// [`ManualClock`](crate::clock::ManualClock) lets a test move time instead of sleeping.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The largest STS answer read, in bytes (default [`DEFAULT_STS_MAX_RESPONSE_SIZE`],
    /// 64 KiB); a longer one is [`CredentialsError::TooLarge`] and not retried.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The provider, its answers cached until shortly before they expire.
    pub fn build(self) -> AssumeRoleProvider {
        let fetcher = AssumeRoleFetcher {
            base: self.base,
            role_arn: self.role_arn,
            role_session_name: self.role_session_name,
            duration: self.duration,
            region: self.region,
            sts: Sts::new(
                self.endpoint,
                self.connect_timeout,
                self.timeout,
                self.retry,
                self.max_response_size,
            ),
        };
        AssumeRoleProvider {
            cache: CachedProvider::new(fetcher)
                .named(ASSUME_ROLE)
                .with_refresh_margin(self.refresh_margin)
                .with_clock(self.clock),
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
        let request = sts::models::AssumeRoleRequest::new(&self.role_arn, &self.role_session_name)
            .duration_seconds(duration_seconds(self.duration));
        let response = self
            .sts
            .client(ASSUME_ROLE, &self.region, Some(base))?
            .assume_role(request)
            .await
            .map_err(|e| self.sts.error(ASSUME_ROLE, "AssumeRole", e))?;
        let credentials = read_credentials(
            ASSUME_ROLE,
            response.credentials,
            Some(response.expired_time),
            &response.expiration,
        )?;
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
    endpoint: Shown<String>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    refresh_margin: Duration,
    max_response_size: u64,
    clock: Arc<dyn Clock>,
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

    /// A builder reading the process environment, to inject variables or set the token file,
    /// role, region, endpoint or timeouts.
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
            endpoint: Shown(DEFAULT_STS_ENDPOINT.to_owned()),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            refresh_margin: CachedProvider::DEFAULT_REFRESH_MARGIN,
            clock: clock::system(),
            max_response_size: DEFAULT_STS_MAX_RESPONSE_SIZE,
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
        self.endpoint = Shown(endpoint.into());
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

    /// How failed STS calls are retried (default: 3 attempts; throttling and unknown outcomes,
    /// since issuing credentials changes nothing).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Refresh once fewer than this remain before expiry (default 5 minutes).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Measures the credentials' expiry against `clock` (default: the system clock); a
    /// [`ManualClock`](crate::clock::ManualClock) lets a test move time instead of sleeping.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The largest STS answer read, in bytes (default [`DEFAULT_STS_MAX_RESPONSE_SIZE`],
    /// 64 KiB); a longer one is [`CredentialsError::TooLarge`] and not retried.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The provider, its answers cached until shortly before they expire.
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
            sts: Sts::new(
                self.endpoint,
                self.connect_timeout,
                self.timeout,
                self.retry,
                self.max_response_size,
            ),
        };
        WebIdentityProvider {
            cache: CachedProvider::new(fetcher)
                .named(WEB_IDENTITY)
                .with_refresh_margin(self.refresh_margin)
                .with_clock(self.clock),
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
        // TKE mounts the token readable by the pod (0644 is the projected volume's default), so
        // unlike the profile file its mode is not worth a warning.
        let (token, _mode) = read_small_file(
            WEB_IDENTITY,
            "web identity token file ",
            &token_path,
            MAX_FILE_SIZE,
        )
        .await
        .map_err(|e| match e {
            FileError::NotFound => CredentialsError::Invalid {
                source_name: WEB_IDENTITY,
                reason: format!(
                    "web identity token file {}: cannot be read: it does not exist",
                    token_path.display()
                ),
            },
            FileError::Other(e) => e,
        })?;
        let token = token.trim();
        if token.is_empty() {
            return Err(CredentialsError::Invalid {
                source_name: WEB_IDENTITY,
                reason: format!("web identity token file {} is empty", token_path.display()),
            });
        }
        let session_name = self
            .role_session_name
            .clone()
            .unwrap_or_else(default_session_name);
        let request = sts::models::AssumeRoleWithWebIdentityRequest::new(
            provider_id,
            token,
            &role_arn,
            session_name,
        )
        .duration_seconds(i64::try_from(duration_seconds(self.duration)).unwrap_or(i64::MAX));
        let response = self
            .sts
            .client(WEB_IDENTITY, &region, None)?
            .assume_role_with_web_identity(request)
            .await
            .map_err(|e| self.sts.error(WEB_IDENTITY, "AssumeRoleWithWebIdentity", e))?;
        let credentials = read_credentials(
            WEB_IDENTITY,
            response.credentials,
            i64::try_from(response.expired_time).ok(),
            &response.expiration,
        )?;
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

    fn sts() -> Sts {
        Sts::new(
            Shown(DEFAULT_STS_ENDPOINT.into()),
            Duration::from_secs(1),
            Duration::from_secs(1),
            RetryPolicy::default(),
            DEFAULT_STS_MAX_RESPONSE_SIZE,
        )
    }

    #[test]
    fn api_errors_name_code_and_message() {
        let err = sts().error(
            ASSUME_ROLE,
            "AssumeRole",
            Error::api("AssumeRole", "InvalidParameter.RoleArn", "bad arn", "r-1"),
        );
        assert!(matches!(err, CredentialsError::Fetch { .. }));
        assert_eq!(
            err.to_string(),
            "assume role: STS AssumeRole failed: InvalidParameter.RoleArn: bad arn (request id r-1)"
        );
    }

    #[test]
    fn good_answer_and_missing_member() {
        let mut credentials = sts::models::Credentials::new()
            .tmp_secret_id("AKIDtmp")
            .tmp_secret_key("tmpkey")
            .token("tok");
        let c =
            read_credentials(ASSUME_ROLE, credentials.clone(), Some(1_543_914_376), "").unwrap();
        assert_eq!(
            (c.secret_id(), c.secret_key(), c.token()),
            ("AKIDtmp", "tmpkey", Some("tok"))
        );
        assert_eq!(
            c.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(1_543_914_376))
        );
        let c = read_credentials(
            ASSUME_ROLE,
            credentials.clone(),
            None,
            "2018-12-04T09:06:16Z",
        )
        .unwrap();
        assert_eq!(
            c.expires_at(),
            Some(UNIX_EPOCH + Duration::from_secs(1_543_914_376))
        );

        credentials.tmp_secret_key = String::new();
        let err = read_credentials(ASSUME_ROLE, credentials, Some(1), "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume role: the answer's Response.Credentials.TmpSecretKey is missing"
        );
    }
}
