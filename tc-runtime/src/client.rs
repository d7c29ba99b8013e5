//! The client: configuration, and the one generic `send` every generated method goes through.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, DATE, HOST,
};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Serialize;

use tracing::Instrument;

use crate::body::ReadError;
use crate::clock::{self, http_date, unix_seconds, Clock, Correction};
use crate::credentials::ProvideCredentials;
use crate::error::{codes, BodySummary, Repr};
use crate::hooks::{Attempt, Hook, Hooks};
use crate::rate_limit::RateLimiter;
use crate::redact::Shown;
use crate::retry::RetryPolicy;
use crate::service::Service;
use crate::signing::{SigningInput, SigningKeyCache};
use crate::types::ActionInfo;
use crate::Error;

const CONTENT_TYPE_JSON: &str = "application/json";
const RUNTIME_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Language of error messages and some response text (`X-TC-Language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English (`en-US`), the service's default.
    #[default]
    EnUs,
    /// Simplified Chinese (`zh-CN`).
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

/// Calls per second per action that most Tencent Cloud APIs (EdgeOne among them) allow, and the
/// client's default limit.
pub const DEFAULT_RATE_LIMIT: u32 = 100;

/// The largest response body the client reads unless configured otherwise: 16 MiB. The
/// largest EdgeOne answers (300 log packets of a listing, a zone's whole configuration) are
/// well under 1 MiB; the limit is there so that a misbehaving server or proxy cannot make the
/// client buffer without bound.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 16 << 20;

/// Builds a client of one service: the runtime [`Client`], or a generated service client `C`
/// that wraps it (`teo_client::Client::builder(..)` returns a `ClientBuilder<teo_client::Client>`).
pub struct ClientBuilder<C = Client> {
    settings: Settings,
    client: PhantomData<fn() -> C>,
}

/// What a [`ClientBuilder`] has been told.
#[derive(Clone, Debug)]
struct Settings {
    service: &'static Service,
    credentials: Arc<dyn ProvideCredentials>,
    endpoint: Shown<String>,
    region: Option<String>,
    language: Language,
    request_client_suffix: Option<String>,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
    timeout: Duration,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
    rate_limit: Option<u32>,
    hooks: Hooks,
    unsigned: bool,
    max_response_size: u64,
    proxy: Option<Proxy>,
    trust_plain_http_clock: bool,
    clock: Arc<dyn Clock>,
}

/// A proxy URL, which may carry a user and password: never shown.
#[derive(Clone)]
struct Proxy(String);

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proxy(<redacted>)")
    }
}

// By hand: derived impls would require `C: Clone` / `C: Debug`.
impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        ClientBuilder {
            settings: self.settings.clone(),
            client: PhantomData,
        }
    }
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.settings, f)
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder for `service`, signing with `credentials`: fixed
    /// [`Credentials`](crate::Credentials) or any [`ProvideCredentials`] source.
    pub fn new(service: &'static Service, credentials: impl ProvideCredentials + 'static) -> Self {
        ClientBuilder {
            settings: Settings {
                service,
                credentials: Arc::new(credentials),
                endpoint: Shown(service.endpoint.to_owned()),
                region: None,
                language: Language::default(),
                request_client_suffix: None,
                connect_timeout: Duration::from_secs(10),
                read_timeout: None,
                timeout: Duration::from_secs(60),
                total_timeout: None,
                retry: RetryPolicy::default(),
                rate_limit: Some(DEFAULT_RATE_LIMIT),
                hooks: Hooks::default(),
                unsigned: false,
                max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
                proxy: None,
                trust_plain_http_clock: false,
                clock: clock::system(),
            },
            client: PhantomData,
        }
    }

    /// A builder configured from the environment: credentials from the default chain
    /// (environment variables, profile file, TKE OIDC, CVM role — see
    /// [`DefaultCredentialsChain`](crate::credentials::DefaultCredentialsChain)), the endpoint
    /// from `<SERVICE>_ENDPOINT` (`TEO_ENDPOINT`), the region from `TENCENTCLOUD_REGION`, the
    /// language from `TENCENTCLOUD_LANGUAGE` (`en-US` or `zh-CN`). Unset variables keep the
    /// defaults.
    pub fn from_env(service: &'static Service) -> Self {
        let mut builder =
            ClientBuilder::new(service, crate::credentials::DefaultCredentialsChain::new());
        let endpoint_var = format!("{}_ENDPOINT", service.name.to_ascii_uppercase());
        if let Ok(endpoint) = std::env::var(endpoint_var) {
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

    /// Where requests go, e.g. `https://teo.intl.tencentcloudapi.com` (the default) or
    /// `http://127.0.0.1:8080`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.settings.endpoint = Shown(endpoint.into());
        self
    }

    /// Uses the service's mainland China endpoint (`teo.tencentcloudapi.com`).
    pub fn mainland(self) -> Self {
        let endpoint = self.settings.service.mainland_endpoint;
        self.endpoint(endpoint)
    }

    /// Sent as `X-TC-Region`; global services such as EdgeOne need none.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.settings.region = Some(region.into());
        self
    }

    /// Sets the language of error messages (`X-TC-Language`); English by default.
    pub fn language(mut self, language: Language) -> Self {
        self.settings.language = language;
        self
    }

    /// Appended to `X-TC-RequestClient` (`SDK_RUST_TEO_<version> <suffix>`), to tell your
    /// application's calls apart in the service's logs.
    pub fn request_client_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.settings.request_client_suffix = Some(suffix.into());
        self
    }

    /// Limit on establishing a connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// Limit on each read from the connection. Default none.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.settings.read_timeout = Some(timeout);
        self
    }

    /// Limit on one attempt, connection included. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// Limit on a whole call, retries and their delays included. Default none.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.settings.total_timeout = Some(timeout);
        self
    }

    /// How failed calls are retried; see [`crate::retry`]. Default 3 attempts.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// At most `per_second` calls per second per action, shared by all clones of the client;
    /// `None` turns the limiter off. Default [`DEFAULT_RATE_LIMIT`].
    pub fn rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.settings.rate_limit = per_second;
        self
    }

    /// Adds a hook that sees every attempt: it can add headers before sending and observe the
    /// outcome after (see [`crate::hooks`]). Hooks run in the order added.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.settings.hooks.push(Arc::new(hook));
        self
    }

    /// Sends `Authorization: SKIP` instead of a signature and asks the credentials source for
    /// nothing: for the few actions that authenticate by their body (STS
    /// `AssumeRoleWithWebIdentity`).
    pub fn unsigned(mut self) -> Self {
        self.settings.unsigned = true;
        self
    }

    /// The largest response body read, in bytes (default [`DEFAULT_MAX_RESPONSE_SIZE`],
    /// 16 MiB). A longer one fails with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind) —
    /// at once when its `Content-Length` says so, else as soon as that many bytes have arrived —
    /// and is not retried.
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.settings.max_response_size = bytes;
        self
    }

    /// Sends every request (HTTP and HTTPS) through this proxy, instead of the one the
    /// `HTTPS_PROXY` / `HTTP_PROXY` environment names. The URL may carry `user:password@`; it is
    /// never shown in errors or `Debug`.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.settings.proxy = Some(Proxy(url.into()));
        self
    }

    /// Lets the client correct its clock from the `Date` of a plain-http endpoint's answers —
    /// for a local test server such as `teo-mock`, never for a real endpoint. Default off.
    ///
    /// On `AuthFailure.SignatureExpire` the client compares the answer's `Date` with this
    /// machine's clock, and when they differ by more than 30 s and at most 15 minutes it signs
    /// the request again with the server's time and keeps that offset for later calls. It
    /// takes that `Date` only from an HTTPS answer of the configured endpoint: anyone on the
    /// path of a plain-http request could write one, and would be handed requests signed for
    /// the time they chose. Without this setting a plain-http `SignatureExpire` is returned as
    /// it is, its message saying the clock was not corrected.
    pub fn trust_plain_http_clock(mut self, trust: bool) -> Self {
        self.settings.trust_plain_http_clock = trust;
        self
    }

    /// The clock requests are signed with, and that a server's `Date` is compared with to
    /// correct it (see [`trust_plain_http_clock`](Self::trust_plain_http_clock)). Default: this
    /// machine's ([`SystemClock`](crate::clock::SystemClock)); a
    /// [`ManualClock`](crate::clock::ManualClock) lets a test set the time instead of waiting
    /// for it.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Builds the client; fails with [`ErrorKind::Config`](crate::ErrorKind::Config) when the
    /// configuration is unusable (an endpoint that is not a URL, say).
    pub fn build(self) -> Result<C, Error> {
        self.build_runtime().map(C::from)
    }

    fn build_runtime(self) -> Result<Client, Error> {
        let settings = self.settings;
        let endpoint = crate::credentials::transport::check_endpoint(&settings.endpoint.0)
            .map_err(|reason| Error::from(Repr::Config(reason)))?;
        let host = crate::credentials::transport::host_header(&endpoint);
        // `SDK_RUST_TEO_0.1.0`: the service and the runtime's version, like the official SDKs'.
        let request_client = format!(
            "SDK_RUST_{}_{RUNTIME_VERSION}",
            settings.service.name.to_ascii_uppercase()
        );
        let request_client = match &settings.request_client_suffix {
            Some(suffix) => format!("{request_client} {suffix}"),
            None => request_client,
        };
        // Checked here so that a bad value fails at build time, not on the first call.
        let header = |name: &str, text: &str| {
            HeaderValue::from_str(text).map_err(|_| {
                Error::from(Repr::Config(format!(
                    "{name} {text:?} cannot be sent as an HTTP header"
                )))
            })
        };
        let request_client = header("the request client suffix", &request_client)?;
        let region = settings
            .region
            .as_deref()
            .map(|r| header("region", r))
            .transpose()?;
        let host_header = header("host", &host)?;

        // HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured by reqwest's default proxy settings.
        let mut http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            // A redirect would resend the body and X-TC-Token to another host; the API never
            // redirects, so one is reported as an unexpected status instead.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(read_timeout) = settings.read_timeout {
            http = http.read_timeout(read_timeout);
        }
        if let Some(Proxy(url)) = &settings.proxy {
            // The URL is not repeated: it may hold a password.
            let proxy = reqwest::Proxy::all(url.as_str()).map_err(|_| {
                Error::from(Repr::Config(
                    "the proxy is not a URL like http://proxy.example:3128".into(),
                ))
            })?;
            http = http.proxy(proxy);
        }
        let http = http
            .build()
            .map_err(|e| Error::from(Repr::Config(format!("HTTP client: {e}"))))?;
        let clock_from_date = endpoint.scheme() == "https" || settings.trust_plain_http_clock;
        Ok(Client {
            inner: Arc::new(Inner {
                service: settings.service,
                hooks: settings.hooks,
                unsigned: settings.unsigned,
                max_response_size: settings.max_response_size,
                http,
                endpoint: Shown(endpoint),
                host: host_header,
                signing_host: host,
                credentials: settings.credentials,
                region,
                language: settings.language,
                request_client,
                rate_limiter: settings.rate_limit.map(RateLimiter::new),
                signing_keys: SigningKeyCache::new(),
                clock_offset: AtomicI64::new(0),
                clock_from_date,
                clock: settings.clock,
            }),
            options: CallOptions {
                timeout: settings.timeout,
                total_timeout: settings.total_timeout,
                retry: settings.retry,
            },
        })
    }
}

/// A client of one service (its [`Service`] descriptor). Cheap to clone; clones share one
/// connection pool and one rate limiter.
///
/// Generated service clients wrap it and add one method per action (`download_l4_logs`, …),
/// each a call of [`Client::send`]. Per-call settings: `client.with_timeout(..)` and
/// `client.with_retry(..)` return a client for those calls that shares everything else.
///
/// Dropping a call's future cancels it: the client starts no background tasks.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    options: CallOptions,
}

#[derive(Debug)]
struct Inner {
    service: &'static Service,
    hooks: Hooks,
    unsigned: bool,
    max_response_size: u64,
    http: reqwest::Client,
    endpoint: Shown<Url>,
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
    /// Seconds to add to this machine's clock when signing, learnt from the server's `Date`
    /// on `AuthFailure.SignatureExpire` (a machine whose clock is off by more than the five
    /// minutes the API allows could otherwise sign nothing); at most 15 minutes either way.
    clock_offset: AtomicI64,
    /// Whether answers' `Date` may correct the clock: the endpoint is HTTPS, or the builder
    /// was told to trust plain http ([`ClientBuilder::trust_plain_http_clock`]).
    clock_from_date: bool,
    /// This machine's clock unless the builder was given another ([`ClientBuilder::clock`]).
    clock: Arc<dyn Clock>,
}

/// A request as [`Client::prepare`] builds it. Its `Display` is the HTTP request as text with
/// the secrets (`Authorization`, `X-TC-Token`) redacted; `Debug` likewise.
pub struct PreparedRequest {
    /// The endpoint; every API 3.0 call is a `POST` to it.
    pub url: String,
    /// The headers, signature (`Authorization`) included.
    pub headers: HeaderMap,
    /// The JSON body, exactly the bytes that were signed.
    pub body: Vec<u8>,
}

impl PreparedRequest {
    /// Always `POST`: API 3.0 calls are sent as POST with a JSON body.
    pub fn method(&self) -> &'static str {
        "POST"
    }
}

impl std::fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.method(), self.url)?;
        for (name, value) in &self.headers {
            let secret = name == AUTHORIZATION || name.as_str() == "x-tc-token";
            let shown = if secret {
                "<redacted>".into()
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            writeln!(f, "{name}: {shown}")?;
        }
        writeln!(f)?;
        f.write_str(&String::from_utf8_lossy(&self.body))
    }
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Settings that may differ from call to call.
#[derive(Debug, Clone, Copy)]
struct CallOptions {
    timeout: Duration,
    total_timeout: Option<Duration>,
    retry: RetryPolicy,
}

impl Client {
    /// A builder for a client of `service` signing with `credentials`.
    pub fn builder(
        service: &'static Service,
        credentials: impl ProvideCredentials + 'static,
    ) -> ClientBuilder {
        ClientBuilder::new(service, credentials)
    }

    /// The service this client calls.
    pub fn service(&self) -> &'static Service {
        self.inner.service
    }

    /// The credentials source requests are signed with.
    pub fn credentials(&self) -> &Arc<dyn ProvideCredentials> {
        &self.inner.credentials
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
    pub async fn send<I: Serialize, O: DeserializeOwned + Send>(
        &self,
        action: &str,
        input: &I,
    ) -> Result<O, Error> {
        let body = serde_json::to_vec(input).map_err(|source| {
            Error::from(Repr::InvalidRequest {
                action: action.to_owned(),
                source,
            })
        })?;
        self.exchange(action, body).await
    }

    /// Calls an action by name with a JSON request and returns the JSON inside `Response`.
    /// With the action's table entry (`info`, from the generated models), the request is
    /// checked against the typed request first, so a missing required member or an unknown one
    /// is an error naming it, before anything is sent; without, the JSON is sent as it is.
    pub async fn call(
        &self,
        info: Option<&ActionInfo>,
        action: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, Error> {
        let invalid = |source| {
            Error::from(Repr::InvalidRequest {
                action: action.to_owned(),
                source,
            })
        };
        let body = match info {
            Some(info) => info.normalize_request(input).map_err(invalid)?,
            None => serde_json::to_vec(&input).map_err(invalid)?,
        };
        self.exchange(action, body).await
    }

    /// One call: attempts with retries, within the total time limit, in a span named after the
    /// service (`teo{action}`) with an `attempt{n, request_id}` span per attempt.
    ///
    /// The answer is read as `O` inside each attempt (one pass, see [`crate::answer`]), so an
    /// error it holds is retried or not as that error says; the attempts themselves are not
    /// generic (a generated client has one `O` per action).
    async fn exchange<O: DeserializeOwned + Send>(
        &self,
        action: &str,
        body: Vec<u8>,
    ) -> Result<O, Error> {
        // Filled by the attempt whose answer reads; a lock only because the attempts' future must
        // be `Send` (it is taken once per answer, never contended).
        let output = Mutex::new(None);
        let read = |status: u16, content_type: Option<&str>, answer: &[u8]| {
            let (value, request_id) =
                crate::answer::read::<O>(action, status, content_type, answer)?;
            *output.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            Ok(request_id)
        };
        self.run_attempts(action, body, &read).await?;
        let value = output.into_inner().unwrap_or_else(PoisonError::into_inner);
        // `run_attempts` succeeds only after an answer was read.
        value.ok_or_else(|| {
            Error::from(Repr::Decode {
                action: action.to_owned(),
                reason: "no answer was read".to_owned(),
                body: BodySummary::new(&[], None),
            })
        })
    }

    async fn run_attempts(
        &self,
        action: &str,
        body: Vec<u8>,
        read: &ReadAnswer<'_>,
    ) -> Result<(), Error> {
        let span = tracing::info_span!("call", service = self.inner.service.name, action);
        let attempts = self.attempts(action, &body, read).instrument(span);
        match self.options.total_timeout {
            Some(limit) => tokio::time::timeout(limit, attempts)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::from(Repr::Timeout {
                        action: action.to_owned(),
                        after: limit,
                    }))
                }),
            None => attempts.await,
        }
    }

    async fn attempts(
        &self,
        action: &str,
        body: &[u8],
        read: &ReadAnswer<'_>,
    ) -> Result<(), Error> {
        let safety = self.inner.service.retry_safety(action);
        let retry = self.options.retry;
        crate::retry::retry_loop(
            |n| async move {
                let span = tracing::info_span!("attempt", n, request_id = tracing::field::Empty);
                let started = Instant::now();
                let result = self
                    .attempt(action, body, read)
                    .instrument(span.clone())
                    .await;
                let latency = started.elapsed();
                let _entered = span.enter();
                match &result {
                    Ok(request_id) => {
                        tracing::debug!(latency_ms = latency.as_secs_f64() * 1000.0, "ok");
                        self.inner.hooks.after_attempt(&Attempt {
                            service: self.inner.service.name,
                            action,
                            number: n,
                            latency,
                            request_id: Some(request_id.as_str()),
                            error: None,
                        });
                    }
                    Err(error) => {
                        if let Some(id) = error.request_id() {
                            span.record("request_id", id);
                        }
                        tracing::debug!(
                            latency_ms = latency.as_secs_f64() * 1000.0,
                            error = %error,
                            "failed"
                        );
                        self.inner.hooks.after_attempt(&Attempt {
                            service: self.inner.service.name,
                            action,
                            number: n,
                            latency,
                            request_id: error.request_id(),
                            error: Some(error),
                        });
                    }
                }
                result.map(drop)
            },
            |attempt, error| {
                retry
                    .should_retry(safety, attempt, error)
                    .then(|| retry.delay(attempt))
            },
        )
        .await
    }

    /// One attempt; on `AuthFailure.SignatureExpire` with a trusted server `Date` that shows
    /// this machine's clock off (by at most 15 minutes, see [`crate::clock`]), the clock offset
    /// is corrected and the request signed and sent once more (later calls sign with the
    /// corrected time from the start). A clock further off is [`ErrorKind::ClockSkew`].
    ///
    /// [`ErrorKind::ClockSkew`]: crate::ErrorKind::ClockSkew
    async fn attempt(
        &self,
        action: &str,
        body: &[u8],
        read: &ReadAnswer<'_>,
    ) -> Result<String, Error> {
        let mut answer = Answered::default();
        match self.attempt_once(action, body, &mut answer, read).await {
            Err(error) if error.code() == Some(codes::AUTH_FAILURE_SIGNATURE_EXPIRE) => {
                // The `Date` is read only here: most answers never need it.
                let date = answer
                    .date
                    .as_ref()
                    .and_then(|v| v.to_str().ok())
                    .and_then(http_date);
                match clock::correction(
                    date,
                    self.inner.clock_from_date,
                    unix_seconds(self.inner.clock.now()),
                    answer.signed_with,
                ) {
                    Correction::Resend { offset } => {
                        let previous = self.inner.clock_offset.swap(offset, Ordering::Relaxed);
                        // Concurrent calls refused together all correct to about the same
                        // offset: one warning, not one per call.
                        if offset.abs_diff(previous) > clock::TOLERANCE {
                            tracing::warn!(
                                offset_seconds = offset,
                                previous_offset_seconds = previous,
                                "the server's clock differs from this machine's; signing with the server's time"
                            );
                        }
                        self.attempt_once(action, body, &mut Answered::default(), read)
                            .await
                    }
                    Correction::TooFar { skew } => Err(error.into_clock_skew(skew)),
                    Correction::Keep(hint) => Err(error.with_hint(hint)),
                }
            }
            result => result,
        }
    }

    /// The headers of one attempt: signed for `timestamp` (or `Authorization: SKIP` for an
    /// unsigned client), then given to the hooks.
    async fn signed_headers(
        &self,
        action: &str,
        body: &[u8],
        timestamp: i64,
    ) -> Result<HeaderMap, Error> {
        let inner = &self.inner;
        let mut headers = if inner.unsigned {
            // Actions that authenticate by their body (STS AssumeRoleWithWebIdentity) are sent
            // with `Authorization: SKIP` and no signature, as the API documents.
            self.headers(action, timestamp, "SKIP", None)?
        } else {
            let credentials = inner
                .credentials
                .provide_credentials()
                .await
                .map_err(|source| {
                    Error::from(Repr::Credentials {
                        action: action.to_owned(),
                        source,
                    })
                })?;
            let signature = inner
                .signing_keys
                .sign(
                    credentials.secret_id(),
                    credentials.secret_key(),
                    &SigningInput {
                        service: inner.service.name,
                        method: "POST",
                        host: &inner.signing_host,
                        content_type: CONTENT_TYPE_JSON,
                        query: "",
                        payload: body,
                        unsigned_payload: false,
                        timestamp,
                    },
                )
                .map_err(|source| {
                    Error::from(Repr::Signing {
                        action: action.to_owned(),
                        source,
                    })
                })?;
            self.headers(
                action,
                timestamp,
                signature.authorization(),
                credentials.token(),
            )?
        };
        // After signing: the signature covers Content-Type and Host only, so hooks may add any
        // other header.
        inner
            .hooks
            .before_send(inner.service.name, action, &mut headers);
        Ok(headers)
    }

    /// What a call of `action` with `input` would send now — method, URL, headers (signed, hooks
    /// applied) and body — without sending it: for `--dry-run` and debugging. The credentials
    /// are fetched to sign. [`PreparedRequest`]'s `Display` redacts `Authorization` and
    /// `X-TC-Token`.
    pub async fn prepare<I: Serialize>(
        &self,
        action: &str,
        input: &I,
    ) -> Result<PreparedRequest, Error> {
        let body = serde_json::to_vec(input).map_err(|source| {
            Error::from(Repr::InvalidRequest {
                action: action.to_owned(),
                source,
            })
        })?;
        let timestamp = unix_seconds(self.inner.clock.now())
            .saturating_add(self.inner.clock_offset.load(Ordering::Relaxed));
        let headers = self.signed_headers(action, &body, timestamp).await?;
        Ok(PreparedRequest {
            url: self.inner.endpoint.0.to_string(),
            headers,
            body,
        })
    }

    /// Signs (afresh, with a new timestamp) and posts one attempt; the answer is given to `read`,
    /// which returns its request id, or the error it is. Fills `answer` with the clock offset
    /// signed with and the response's `Date`.
    async fn attempt_once(
        &self,
        action: &str,
        body: &[u8],
        answer: &mut Answered,
        read: &ReadAnswer<'_>,
    ) -> Result<String, Error> {
        let inner = &self.inner;
        if let Some(limiter) = &inner.rate_limiter {
            limiter.acquire(action).await;
        }
        answer.signed_with = inner.clock_offset.load(Ordering::Relaxed);
        let timestamp = unix_seconds(inner.clock.now()).saturating_add(answer.signed_with);
        let headers = self.signed_headers(action, body, timestamp).await?;
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                Error::from(Repr::Timeout {
                    action: action.to_owned(),
                    after: self.options.timeout,
                })
            } else {
                Error::from(Repr::Transport {
                    action: action.to_owned(),
                    // The URL is the endpoint, which the caller knows; its query could be a
                    // signature, so it is not repeated.
                    source: source.without_url(),
                })
            }
        };
        let mut request = reqwest::Request::new(reqwest::Method::POST, inner.endpoint.0.clone());
        // Set whole, not merged into the builder's one by one.
        *request.headers_mut() = headers;
        *request.timeout_mut() = Some(self.options.timeout);
        *request.body_mut() = Some(body.to_vec().into());
        let response = inner.http.execute(request).await.map_err(transport)?;
        let status = response.status();
        answer.date = response.headers().get(DATE).cloned();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = crate::body::read_limited(response, inner.max_response_size)
            .await
            .map_err(|e| match e {
                ReadError::Transport(source) => transport(source),
                ReadError::TooLarge {
                    limit,
                    content_length,
                    read,
                } => Error::from(Repr::ResponseTooLarge {
                    action: action.to_owned(),
                    limit,
                    content_length,
                    read,
                }),
            })?;
        let request_id = read(status.as_u16(), content_type.as_deref(), &bytes)?;
        tracing::Span::current().record("request_id", request_id.as_str());
        Ok(request_id)
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
                Error::from(Repr::Config(format!(
                    "{name} value {text:?} cannot be sent as an HTTP header"
                )))
            })
        };
        // Room for all at once (growing rehashes), names made once (not parsed per call): these
        // ten, and reqwest's `Accept`. 12 is a table of 16 slots; 16 would be one of 32, twice
        // the memory for every call.
        let mut headers = HeaderMap::with_capacity(12);
        headers.insert(HOST, inner.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_JSON));
        let mut authorization = value("Authorization", authorization)?;
        authorization.set_sensitive(true);
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(X_TC_ACTION, value("action", action)?);
        headers.insert(
            X_TC_VERSION,
            HeaderValue::from_static(inner.service.version),
        );
        headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
        headers.insert(
            X_TC_LANGUAGE,
            HeaderValue::from_static(inner.language.header()),
        );
        headers.insert(X_TC_REQUEST_CLIENT, inner.request_client.clone());
        if let Some(region) = &inner.region {
            headers.insert(X_TC_REGION, region.clone());
        }
        if let Some(token) = token {
            let mut token = HeaderValue::from_str(token).map_err(|_| {
                Error::from(Repr::Config(
                    "the session token cannot be sent as an HTTP header".into(),
                ))
            })?;
            token.set_sensitive(true);
            headers.insert(X_TC_TOKEN, token);
        }
        Ok(headers)
    }
}

const X_TC_ACTION: HeaderName = HeaderName::from_static("x-tc-action");
const X_TC_VERSION: HeaderName = HeaderName::from_static("x-tc-version");
const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_LANGUAGE: HeaderName = HeaderName::from_static("x-tc-language");
const X_TC_REQUEST_CLIENT: HeaderName = HeaderName::from_static("x-tc-requestclient");
const X_TC_REGION: HeaderName = HeaderName::from_static("x-tc-region");
const X_TC_TOKEN: HeaderName = HeaderName::from_static("x-tc-token");

/// Reads an answer (HTTP status, `Content-Type`, body): its request id, the value kept by the
/// reader; or the error the answer is.
type ReadAnswer<'a> = dyn Fn(u16, Option<&str>, &[u8]) -> Result<String, Error> + Sync + 'a;

/// What an attempt learnt for correcting the clock.
#[derive(Default)]
struct Answered {
    /// The clock offset the request was signed with.
    signed_with: i64,
    /// The response's `Date`, as sent.
    date: Option<HeaderValue>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;

    /// Only an HTTPS endpoint's answers correct the clock, unless plain http is trusted
    /// explicitly. (The integration tests have no TLS server, so this is where HTTPS is covered.)
    #[test]
    fn the_clock_is_corrected_from_https_answers_or_by_opt_in() {
        let trusted = |endpoint: &str, opt_in: Option<bool>| {
            let mut builder = Client::builder(&crate::sts::SERVICE, Credentials::new("id", "key"))
                .endpoint(endpoint);
            if let Some(trust) = opt_in {
                builder = builder.trust_plain_http_clock(trust);
            }
            builder.build().map(|c| c.inner.clock_from_date)
        };
        assert_eq!(
            trusted("https://sts.tencentcloudapi.com", None).ok(),
            Some(true)
        );
        assert_eq!(
            trusted("https://127.0.0.1:8443", Some(false)).ok(),
            Some(true)
        );
        assert_eq!(trusted("http://127.0.0.1:8080", None).ok(), Some(false));
        assert_eq!(
            trusted("http://127.0.0.1:8080", Some(false)).ok(),
            Some(false)
        );
        assert_eq!(
            trusted("http://127.0.0.1:8080", Some(true)).ok(),
            Some(true)
        );
    }
}
