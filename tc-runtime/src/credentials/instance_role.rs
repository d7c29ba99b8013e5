//! Credentials of the CAM role bound to a CVM instance, from the instance metadata service.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};

use super::cache::CachedProvider;
use super::transport::{fetch_error, parse_endpoint, parse_json, Fields, LazyHttp};
use super::{error_chain, Credentials, CredentialsError, ProvideCredentials, ProvideFuture};
use crate::body::{read_limited, ReadError};
use crate::clock::{self, Clock};
use crate::redact::Shown;
use crate::retry::{retry_loop, RetryPolicy};

const SOURCE: &str = "instance role";
/// The CVM metadata service.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://metadata.tencentyun.com";
const ROLE_PATH: &str = "/latest/meta-data/cam/security-credentials/";

/// Temporary credentials of the CAM role bound to the CVM instance this runs on.
///
/// Asks the metadata service `GET <endpoint>/latest/meta-data/cam/security-credentials/` for
/// the role name (unless one is [configured](InstanceRoleProviderBuilder::role)), then
/// `GET …/security-credentials/<role>` for `{"TmpSecretId", "TmpSecretKey", "Token",
/// "ExpiredTime", "Code": "Success"}`. The answer is cached and refreshed 5 minutes before it
/// expires (see [`CachedProvider`]).
///
/// The metadata service is asked directly (no proxy), with a 1 s connect timeout and a 5 s
/// limit per request, so that off CVM the provider fails fast.
///
/// Errors: no role bound (a 404 or an empty role list) or no metadata service to connect to
/// (not on a CVM) is [`CredentialsError::NotFound`]; a connection failing later, an unexpected
/// HTTP status or a `Code` other than `Success` is [`CredentialsError::Fetch`]; an answer
/// lacking a member is [`CredentialsError::Invalid`] naming it; one over
/// [`max_response_size`](InstanceRoleProviderBuilder::max_response_size) (64 KiB) is
/// [`CredentialsError::TooLarge`]; credentials that have expired or have under a minute left
/// are [`CredentialsError::Expired`] (see [`CachedProvider`]).
pub struct InstanceRoleProvider {
    cache: CachedProvider,
}

/// Configures an [`InstanceRoleProvider`].
#[derive(Debug, Clone)]
pub struct InstanceRoleProviderBuilder {
    endpoint: Shown<String>,
    role: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    refresh_margin: Duration,
    max_response_size: u64,
    clock: Arc<dyn Clock>,
}

/// The largest metadata answer read unless configured otherwise: 64 KiB. A role's credentials
/// are about 1 KiB.
pub const DEFAULT_METADATA_MAX_RESPONSE_SIZE: u64 = 64 << 10;

impl InstanceRoleProvider {
    /// The provider with the defaults: [`DEFAULT_METADATA_ENDPOINT`], role discovered.
    pub fn new() -> InstanceRoleProvider {
        InstanceRoleProvider::builder().build()
    }

    /// A builder starting from the defaults, to set the endpoint, the role, timeouts or the
    /// refresh margin.
    pub fn builder() -> InstanceRoleProviderBuilder {
        InstanceRoleProviderBuilder {
            endpoint: Shown(DEFAULT_METADATA_ENDPOINT.to_owned()),
            role: None,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            refresh_margin: CachedProvider::DEFAULT_REFRESH_MARGIN,
            clock: clock::system(),
            max_response_size: DEFAULT_METADATA_MAX_RESPONSE_SIZE,
        }
    }

    /// Forgets the cached credentials: the next call asks the metadata service.
    pub fn invalidate(&self) {
        self.cache.invalidate();
    }
}

impl Default for InstanceRoleProvider {
    fn default() -> Self {
        InstanceRoleProvider::new()
    }
}

impl InstanceRoleProviderBuilder {
    /// Where the metadata service is (`http://metadata.tencentyun.com` by default); the paths
    /// above are appended to it.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Shown(endpoint.into());
        self
    }

    /// Use this role instead of asking which one is bound.
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Limit on connecting to the metadata service (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on each request to the metadata service (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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

    /// The largest answer read from the metadata service, in bytes (default
    /// [`DEFAULT_METADATA_MAX_RESPONSE_SIZE`], 64 KiB); a longer one is
    /// [`CredentialsError::TooLarge`] and not retried.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// The provider, its answers cached until shortly before they expire.
    pub fn build(self) -> InstanceRoleProvider {
        let fetcher = Fetcher {
            endpoint: self.endpoint,
            role: self.role,
            max_response_size: self.max_response_size,
            http: LazyHttp::new(self.connect_timeout, self.timeout, true),
        };
        InstanceRoleProvider {
            cache: CachedProvider::new(fetcher)
                .named(SOURCE)
                .with_refresh_margin(self.refresh_margin)
                .with_clock(self.clock),
        }
    }
}

impl ProvideCredentials for InstanceRoleProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for InstanceRoleProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InstanceRoleProvider")
            .field(&self.cache)
            .finish()
    }
}

/// Asks the metadata service on every call; the cache in front of it keeps the answer.
#[derive(Debug)]
struct Fetcher {
    endpoint: Shown<String>,
    role: Option<String>,
    max_response_size: u64,
    http: LazyHttp,
}

impl Fetcher {
    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        parse_endpoint(SOURCE, &self.endpoint.0)?;
        let roles_url = parse_endpoint(
            SOURCE,
            &format!("{}{ROLE_PATH}", self.endpoint.0.trim_end_matches('/')),
        )?;
        let http = self.http.get(SOURCE)?;
        let role = match &self.role {
            Some(role) => role.trim().to_owned(),
            None => self.discover_role(&http, &roles_url).await?,
        };
        if role.is_empty() {
            return Err(CredentialsError::Invalid {
                source_name: SOURCE,
                reason: "the configured role name is empty".into(),
            });
        }
        let mut url = roles_url.clone();
        url.path_segments_mut()
            .map_err(|()| CredentialsError::Invalid {
                source_name: SOURCE,
                reason: format!("endpoint {:?} cannot have a path", self.endpoint),
            })?
            .pop_if_empty()
            .push(&role);
        let (status, body) = get(&http, &url, self.max_response_size).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(CredentialsError::NotFound {
                source_name: SOURCE,
                reason: format!(
                    "role {role:?} is not bound to this instance (404 from {})",
                    Shown(url.as_str())
                ),
            });
        }
        if status != StatusCode::OK {
            return Err(CredentialsError::Fetch {
                source_name: SOURCE,
                reason: format!("{} answered HTTP {status}", Shown(url.as_str())),
                source: None,
            });
        }
        let answer = parse_json(SOURCE, "the metadata service's answer", &body)?;
        let fields = Fields {
            source_name: SOURCE,
            path: "",
            object: &answer,
        };
        match fields.optional_string("Code")?.as_deref() {
            Some("Success") => {}
            Some(code) => {
                return Err(CredentialsError::Fetch {
                    source_name: SOURCE,
                    reason: format!(
                        "the metadata service answered Code {code:?} for role {role:?}"
                    ),
                    source: None,
                })
            }
            None => {
                return Err(CredentialsError::Invalid {
                    source_name: SOURCE,
                    reason: "the answer's Code is missing".into(),
                })
            }
        }
        let credentials = Credentials::new(
            fields.string("TmpSecretId")?,
            fields.string("TmpSecretKey")?,
        )
        .with_token(fields.string("Token")?)
        .with_expiry(fields.expiry()?);
        tracing::debug!(role = %role, expires_at = ?credentials.expires_at(), "fetched instance role credentials");
        Ok(credentials)
    }

    /// The first line of the role list.
    async fn discover_role(
        &self,
        http: &reqwest::Client,
        url: &Url,
    ) -> Result<String, CredentialsError> {
        let (status, body) = get(http, url, self.max_response_size).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(CredentialsError::NotFound {
                source_name: SOURCE,
                reason: format!(
                    "no CAM role is bound to this instance (404 from {})",
                    Shown(url.as_str())
                ),
            });
        }
        if status != StatusCode::OK {
            return Err(CredentialsError::Fetch {
                source_name: SOURCE,
                reason: format!("{} answered HTTP {status}", Shown(url.as_str())),
                source: None,
            });
        }
        String::from_utf8_lossy(&body)
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| CredentialsError::NotFound {
                source_name: SOURCE,
                reason: format!(
                    "no CAM role is bound to this instance (empty list from {})",
                    Shown(url.as_str())
                ),
            })
    }
}

/// GETs `url` through the runtime's retry loop: an HTTP 5xx or 429, or a connection that
/// breaks mid-answer, is tried again (3 attempts, 50–500 ms apart); a refused or timed-out
/// connection is not, so that off a CVM the default chain does not wait on the metadata service.
async fn get(
    http: &reqwest::Client,
    url: &Url,
    limit: u64,
) -> Result<(StatusCode, Vec<u8>), CredentialsError> {
    let policy = RetryPolicy::default()
        .base_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(500));
    retry_loop(
        |_| get_once(http, url, limit),
        |attempt, failure: &Failure| {
            (failure.retryable && attempt < policy.attempts()).then(|| policy.delay(attempt))
        },
    )
    .await
    .map_err(|failure| failure.error)
}

/// A failed metadata request, and whether another attempt may help.
struct Failure {
    error: CredentialsError,
    retryable: bool,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

async fn get_once(
    http: &reqwest::Client,
    url: &Url,
    limit: u64,
) -> Result<(StatusCode, Vec<u8>), Failure> {
    let response = http.get(url.clone()).send().await.map_err(|e| Failure {
        retryable: !(e.is_connect() || e.is_timeout()),
        // No connection at all is how "not on a CVM" looks: nothing is configured here, and a
        // chain may move on. A connection that fails later is a failure of a service that is
        // there.
        error: if e.is_connect() {
            CredentialsError::NotFound {
                source_name: SOURCE,
                reason: format!(
                    "metadata service {} unreachable: {}",
                    Shown(url.as_str()),
                    error_chain(&e.without_url())
                ),
            }
        } else {
            fetch_error(
                SOURCE,
                format!("metadata service {} unreachable", Shown(url.as_str())),
                e.without_url(),
            )
        },
    })?;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure {
            error: CredentialsError::Fetch {
                source_name: SOURCE,
                reason: format!("{} answered HTTP {status}", Shown(url.as_str())),
                source: None,
            },
            retryable: true,
        });
    }
    let body = read_limited(response, limit).await.map_err(|e| match e {
        ReadError::Transport(e) => Failure {
            retryable: !e.is_timeout(),
            error: fetch_error(
                SOURCE,
                format!("reading the answer of {}", Shown(url.as_str())),
                e.without_url(),
            ),
        },
        // The same answer would come again.
        ReadError::TooLarge {
            limit,
            content_length,
            read,
        } => Failure {
            retryable: false,
            error: CredentialsError::TooLarge {
                source_name: SOURCE,
                what: format!(
                    "the answer of {} ({})",
                    Shown(url.as_str()),
                    ReadError::how(content_length, read)
                ),
                limit,
            },
        },
    })?;
    Ok((status, Vec::from(body)))
}

impl ProvideCredentials for Fetcher {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.fetch())
    }
}
