//! The client: configuration, and the one generic `send` every generated method goes through.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use tracing::Instrument;

use crate::credentials::ProvideCredentials;
use crate::error::Snippet;
use crate::rate_limit::RateLimiter;
use crate::retry::RetryPolicy;
use crate::signing::{SigningInput, SigningKeyCache};
use crate::Error;

/// The international endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://teo.intl.tencentcloudapi.com";
const CONTENT_TYPE_JSON: &str = "application/json";
const REQUEST_CLIENT: &str = concat!("SDK_RUST_TEO_", env!("CARGO_PKG_VERSION"));

/// Language of error messages and some response text (`X-TC-Language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    EnUs,
    ZhCn,
}

impl Language {
    fn header(self) -> &'static str {
        match self {
            Language::EnUs => "en-US",
            Language::ZhCn => "zh-CN",
        }
    }
}

/// The mainland China endpoint.
pub const MAINLAND_ENDPOINT: &str = "https://teo.tencentcloudapi.com";
/// Calls per second per action that EdgeOne allows, and the client's default limit.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    credentials: Arc<dyn ProvideCredentials>,
    endpoint: String,
    region: Option<String>,
    language: Language,
    request_client_suffix: Option<String>,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    timeout: Duration,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limit: Option<u32>,
}

impl ClientBuilder {
    /// Where requests go, e.g. `https://teo.intl.tencentcloudapi.com` (the default) or
    /// `http://127.0.0.1:8080`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Uses the mainland China endpoint, `teo.tencentcloudapi.com`.
    pub fn mainland(self) -> Self {
        self.endpoint(MAINLAND_ENDPOINT)
    }

    /// Sent as `X-TC-Region`; EdgeOne is a global service and needs none.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// Appended to `X-TC-RequestClient` (`SDK_RUST_TEO_<version> <suffix>`), to tell your
    /// application's calls apart in the service's logs.
    pub fn request_client_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.request_client_suffix = Some(suffix.into());
        self
    }

    /// Limit on establishing a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on each read from the connection. Default none.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Limit on one attempt, connection included. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Limit on a whole call, retries and their delays included. Default none.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// How failed calls are retried; see [`crate::retry`]. Default 3 attempts.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// At most `per_second` calls per second per action, shared by all clones of the client;
    /// `None` turns the limiter off. Default [`DEFAULT_RATE_LIMIT`].
    pub fn rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit = per_second;
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let endpoint = Url::parse(&self.endpoint).map_err(|e| {
            Error::Config(format!("endpoint {:?} is not a URL: {e}", self.endpoint))
        })?;
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            // Not echoed: the URL holds a secret.
            return Err(Error::Config(
                "the endpoint must not contain user info (user:password@)".into(),
            ));
        }
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "endpoint {:?} must use http or https",
                self.endpoint
            )));
        }
        if endpoint.host_str().is_none() {
            return Err(Error::Config(format!(
                "endpoint {:?} has no host",
                self.endpoint
            )));
        }
        let host = crate::credentials::transport::host_header(&endpoint);
        let request_client = match &self.request_client_suffix {
            Some(suffix) => format!("{REQUEST_CLIENT} {suffix}"),
            None => REQUEST_CLIENT.to_owned(),
        };
        // Checked here so that a bad value fails at build time, not on the first call.
        let header = |name: &str, text: &str| {
            HeaderValue::from_str(text).map_err(|_| {
                Error::Config(format!("{name} {text:?} cannot be sent as an HTTP header"))
            })
        };
        let request_client = header("the request client suffix", &request_client)?;
        let region = self
            .region
            .as_deref()
            .map(|r| header("region", r))
            .transpose()?;
        let host_header = header("host", &host)?;

        // HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured by reqwest's default proxy settings.
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            // A redirect would resend the body and X-TC-Token to another host; the API never
            // redirects, so one is reported as an unexpected status instead.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(read_timeout) = self.read_timeout {
            http = http.read_timeout(read_timeout);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                host: host_header,
                signing_host: host,
                credentials: self.credentials,
                region,
                language: self.language,
                request_client,
                rate_limiter: self.rate_limit.map(RateLimiter::new),
                signing_keys: SigningKeyCache::new(),
            }),
            options: CallOptions {
                timeout: self.timeout,
                total_timeout: self.total_timeout,
                retry: self.retry,
            },
        })
    }
}

/// An EdgeOne client. Cheap to clone; clones share one connection pool and one rate limiter.
///
/// Each action is a method (`download_l4_logs`, `describe_zones`, …) generated from the spec;
/// [`Client::call`] reaches any action by name with JSON in and out. Per-call settings:
/// `client.with_timeout(..)` and `client.with_retry(..)` return a client for those calls that
/// shares everything else.
///
/// Dropping a call's future cancels it: the client starts no background tasks.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    options: CallOptions,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    /// The `Host` header value, signed and sent.
    host: HeaderValue,
    signing_host: String,
    credentials: Arc<dyn ProvideCredentials>,
    region: Option<HeaderValue>,
    language: Language,
    request_client: HeaderValue,
    rate_limiter: Option<RateLimiter>,
    /// Derived signing keys, reused for the rest of the UTC day.
    signing_keys: SigningKeyCache,
}

/// Settings that may differ from call to call.
#[derive(Debug, Clone, Copy)]
struct CallOptions {
    timeout: Duration,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
}

impl Client {
    /// A builder signing with `credentials`: fixed [`Credentials`](crate::Credentials) or any
    /// [`ProvideCredentials`] source.
    pub fn builder(credentials: impl ProvideCredentials + 'static) -> ClientBuilder {
        ClientBuilder {
            credentials: Arc::new(credentials),
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            region: None,
            language: Language::default(),
            request_client_suffix: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: None,
            timeout: Duration::from_secs(60),
            total_timeout: None,
            retry: RetryPolicy::default(),
            rate_limit: Some(DEFAULT_RATE_LIMIT),
        }
    }

    /// A builder configured from the environment: credentials from the default chain
    /// (environment variables, profile file, TKE OIDC, CVM role — see
    /// [`DefaultCredentialsChain`](crate::credentials::DefaultCredentialsChain)), the endpoint
    /// from `TEO_ENDPOINT`, the region from `TENCENTCLOUD_REGION`, the language from
    /// `TENCENTCLOUD_LANGUAGE` (`en-US` or `zh-CN`). Unset variables keep the defaults.
    pub fn from_env() -> ClientBuilder {
        let mut builder = Client::builder(crate::credentials::DefaultCredentialsChain::new());
        if let Ok(endpoint) = std::env::var("TEO_ENDPOINT") {
            builder = builder.endpoint(endpoint);
        }
        if let Ok(region) = std::env::var("TENCENTCLOUD_REGION") {
            builder = builder.region(region);
        }
        if let Ok(language) = std::env::var("TENCENTCLOUD_LANGUAGE") {
            builder = builder.language(if language.eq_ignore_ascii_case("zh-CN") {
                Language::ZhCn
            } else {
                Language::EnUs
            });
        }
        builder
    }

    /// This client with another per-attempt time limit.
    pub fn with_timeout(&self, timeout: Duration) -> Client {
        let mut client = self.clone();
        client.options.timeout = timeout;
        client
    }

    /// This client with another limit on whole calls, retries included.
    pub fn with_total_timeout(&self, timeout: Duration) -> Client {
        let mut client = self.clone();
        client.options.total_timeout = Some(timeout);
        client
    }

    /// This client with another retry policy.
    pub fn with_retry(&self, retry: RetryPolicy) -> Client {
        let mut client = self.clone();
        client.options.retry = retry;
        client
    }

    /// Sends `input` as the request of `action` and reads the typed response. Every generated
    /// method is this call; it also reaches actions newer than the generated code.
    pub async fn send<I: Serialize, O: DeserializeOwned>(
        &self,
        action: &str,
        input: &I,
    ) -> Result<O, Error> {
        let body = serde_json::to_vec(input).map_err(|source| Error::InvalidRequest {
            action: action.to_owned(),
            source,
        })?;
        let response = self.send_bytes(action, body).await?;
        decode(action, &response)
    }

    /// Calls any action by name with a JSON request and returns the JSON inside `Response`.
    /// The request is checked against the action's typed request first, so a missing required
    /// member or an unknown one is an [`Error::InvalidRequest`] naming it, before anything is sent.
    pub async fn call(
        &self,
        action: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let info =
            teo_models::action(action).ok_or_else(|| Error::UnknownAction(action.to_owned()))?;
        let body = info
            .normalize_request(input)
            .map_err(|source| Error::InvalidRequest {
                action: action.to_owned(),
                source,
            })?;
        let response = self.send_bytes(action, body).await?;
        decode(action, &response)
    }

    /// One call: attempts with retries, within the total time limit, in a `teo{action}` span
    /// with an `attempt{n, request_id}` span per attempt.
    async fn send_bytes(&self, action: &str, body: Vec<u8>) -> Result<Box<RawValue>, Error> {
        let span = tracing::info_span!("teo", action);
        let attempts = self.attempts(action, &body).instrument(span);
        match self.options.total_timeout {
            Some(limit) => tokio::time::timeout(limit, attempts)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        action: action.to_owned(),
                        after: limit,
                    })
                }),
            None => attempts.await,
        }
    }

    async fn attempts(&self, action: &str, body: &[u8]) -> Result<Box<RawValue>, Error> {
        let retry = self.options.retry;
        let mut attempt = 1;
        loop {
            let span =
                tracing::info_span!("attempt", n = attempt, request_id = tracing::field::Empty);
            let started = Instant::now();
            let result = self.attempt(action, body).instrument(span.clone()).await;
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            let _entered = span.enter();
            match &result {
                Ok(_) => tracing::debug!(latency_ms, "ok"),
                Err(error) => {
                    if let Some(id) = error.request_id() {
                        span.record("request_id", id);
                    }
                    tracing::debug!(latency_ms, error = %error, "failed")
                }
            }
            drop(_entered);
            match result {
                Err(error) if retry.should_retry(action, attempt, &error) => {
                    let delay = retry.delay(attempt);
                    tracing::info!(delay_ms = delay.as_millis() as u64, error = %error, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                // A success after failed attempts is a success: earlier errors are dropped.
                other => return other,
            }
        }
    }

    /// Signs (afresh, with a new timestamp) and posts one attempt; returns the JSON inside
    /// `Response` when it is not an error.
    async fn attempt(&self, action: &str, body: &[u8]) -> Result<Box<RawValue>, Error> {
        let inner = &self.inner;
        if let Some(limiter) = &inner.rate_limiter {
            limiter.acquire(action).await;
        }
        let credentials = inner
            .credentials
            .provide_credentials()
            .await
            .map_err(|source| Error::Credentials {
                action: action.to_owned(),
                source,
            })?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let signature = inner
            .signing_keys
            .sign(
                credentials.secret_id(),
                credentials.secret_key(),
                &SigningInput {
                    service: teo_models::SERVICE,
                    method: "POST",
                    host: &inner.signing_host,
                    content_type: CONTENT_TYPE_JSON,
                    query: "",
                    payload: body,
                    unsigned_payload: false,
                    timestamp,
                },
            )
            .map_err(|source| Error::Signing {
                action: action.to_owned(),
                source,
            })?;

        let headers = self.headers(
            action,
            timestamp,
            signature.authorization(),
            credentials.token(),
        )?;
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                Error::Timeout {
                    action: action.to_owned(),
                    after: self.options.timeout,
                }
            } else {
                Error::Transport {
                    action: action.to_owned(),
                    source,
                }
            }
        };
        let response = inner
            .http
            .post(inner.endpoint.clone())
            .headers(headers)
            .timeout(self.options.timeout)
            .body(body.to_vec())
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        let (response, request_id) = read_envelope(action, status.as_u16(), &bytes)?;
        tracing::Span::current().record("request_id", request_id.as_str());
        Ok(response)
    }

    fn headers(
        &self,
        action: &str,
        timestamp: i64,
        authorization: &str,
        token: Option<&str>,
    ) -> Result<HeaderMap, Error> {
        let inner = &self.inner;
        let value = |name: &str, text: &str| {
            HeaderValue::from_str(text).map_err(|_| {
                Error::Config(format!(
                    "{name} value {text:?} cannot be sent as an HTTP header"
                ))
            })
        };
        let mut headers = HeaderMap::new();
        headers.insert(HOST, inner.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
        let mut authorization = value("Authorization", authorization)?;
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert("X-TC-Action", value("action", action)?);
        headers.insert(
            "X-TC-Version",
            HeaderValue::from_static(teo_models::API_VERSION),
        );
        headers.insert("X-TC-Timestamp", HeaderValue::from(timestamp));
        headers.insert(
            "X-TC-Language",
            HeaderValue::from_static(inner.language.header()),
        );
        headers.insert("X-TC-RequestClient", inner.request_client.clone());
        if let Some(region) = &inner.region {
            headers.insert("X-TC-Region", region.clone());
        }
        if let Some(token) = token {
            let mut token = HeaderValue::from_str(token).map_err(|_| {
                Error::Config("the session token cannot be sent as an HTTP header".into())
            })?;
            token.set_sensitive(true);
            headers.insert("X-TC-Token", token);
        }
        Ok(headers)
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Box<RawValue>,
}

/// The fields of `Response` that say whether the call failed.
#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(rename = "Error")]
    error: Option<ApiError>,
    #[serde(rename = "RequestId", default)]
    request_id: String,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// Unwraps `{"Response": {...}}`, turning `Response.Error` into [`Error::Api`] whatever the HTTP
/// status; any other non-200 answer (a proxy's error page, say) is [`Error::HttpStatus`].
fn read_envelope(action: &str, status: u16, body: &[u8]) -> Result<(Box<RawValue>, String), Error> {
    let envelope = serde_json::from_slice::<Envelope>(body);
    let probe = envelope
        .as_ref()
        .ok()
        .map(|e| serde_json::from_str::<ErrorProbe>(e.response.get()));
    if let Some(Ok(ErrorProbe {
        error: Some(error),
        request_id,
    })) = probe
    {
        return Err(Error::Api {
            action: action.to_owned(),
            code: error.code,
            message: error.message,
            request_id,
        });
    }
    if status != 200 {
        return Err(Error::HttpStatus {
            action: action.to_owned(),
            status,
            snippet: Snippet::new(body),
        });
    }
    let decode_error = |source| Error::Decode {
        action: action.to_owned(),
        source,
        snippet: Snippet::new(body),
    };
    match (envelope, probe) {
        (Ok(envelope), Some(Ok(probe))) => Ok((envelope.response, probe.request_id)),
        (Err(source), _) | (_, Some(Err(source))) => Err(decode_error(source)),
        // `probe` is `Some` whenever `envelope` is `Ok`.
        (Ok(envelope), None) => Ok((envelope.response, String::new())),
    }
}

fn decode<O: DeserializeOwned>(action: &str, response: &RawValue) -> Result<O, Error> {
    serde_json::from_str(response.get()).map_err(|source| Error::Decode {
        action: action.to_owned(),
        source,
        snippet: Snippet::new(response.get().as_bytes()),
    })
}
