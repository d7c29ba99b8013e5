//! The client: configuration, and the one generic `send` every generated method goes through.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::credentials::ProvideCredentials;
use crate::error::Snippet;
use crate::signing::{self, SigningInput};
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

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    credentials: Arc<dyn ProvideCredentials>,
    endpoint: String,
    region: Option<String>,
    language: Language,
    timeout: Duration,
}

impl ClientBuilder {
    /// Where requests go, e.g. `https://teo.intl.tencentcloudapi.com` (the default) or
    /// `http://127.0.0.1:8080`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
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

    /// Limit on a whole call, connection included. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
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
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => {
                return Err(Error::Config(format!(
                    "endpoint {:?} has no host",
                    self.endpoint
                )))
            }
        };
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            // A redirect would resend the body and X-TC-Token to another host; the API never
            // redirects, so one is reported as an unexpected status instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                host,
                credentials: self.credentials,
                region: self.region,
                language: self.language,
            }),
        })
    }
}

/// An EdgeOne client. Cheap to clone; clones share one connection pool.
///
/// Each action is a method (`download_l4_logs`, `describe_zones`, …) generated from the spec;
/// [`Client::call`] reaches any action by name with JSON in and out.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    endpoint: Url,
    /// The `Host` header value, signed and sent.
    host: String,
    credentials: Arc<dyn ProvideCredentials>,
    region: Option<String>,
    language: Language,
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
            timeout: Duration::from_secs(60),
        }
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
        serde_json::from_str(response.get()).map_err(|source| Error::Decode {
            action: action.to_owned(),
            source,
            snippet: Snippet::new(response.get().as_bytes()),
        })
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
        serde_json::from_str(response.get()).map_err(|source| Error::Decode {
            action: action.to_owned(),
            source,
            snippet: Snippet::new(response.get().as_bytes()),
        })
    }

    /// Signs and posts one request body; returns the JSON inside `Response` when it is not an
    /// error.
    async fn send_bytes(&self, action: &str, body: Vec<u8>) -> Result<Box<RawValue>, Error> {
        let inner = &self.inner;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let credentials = inner
            .credentials
            .provide_credentials()
            .await
            .map_err(|source| Error::Credentials {
                action: action.to_owned(),
                source,
            })?;
        let signature = signing::sign(
            credentials.secret_id(),
            credentials.secret_key(),
            &SigningInput {
                service: teo_models::SERVICE,
                method: "POST",
                host: &inner.host,
                content_type: CONTENT_TYPE_JSON,
                query: "",
                payload: &body,
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
        let response = inner
            .http
            .post(inner.endpoint.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|source| Error::Transport {
                action: action.to_owned(),
                source,
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| Error::Transport {
            action: action.to_owned(),
            source,
        })?;
        read_envelope(action, status.as_u16(), &bytes)
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
        headers.insert(HOST, value("Host", &inner.host)?);
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
        headers.insert(
            "X-TC-RequestClient",
            HeaderValue::from_static(REQUEST_CLIENT),
        );
        if let Some(region) = &inner.region {
            headers.insert("X-TC-Region", value("region", region)?);
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
fn read_envelope(action: &str, status: u16, body: &[u8]) -> Result<Box<RawValue>, Error> {
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
        (Ok(envelope), Some(Ok(_))) => Ok(envelope.response),
        (Err(source), _) | (_, Some(Err(source))) => Err(decode_error(source)),
        // `probe` is `Some` whenever `envelope` is `Ok`.
        (Ok(envelope), None) => Ok(envelope.response),
    }
}
