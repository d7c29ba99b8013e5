//! The one error type of the client: opaque, so it can grow, with accessors for what callers
//! decide on (`code()`, `request_id()`, `is_retryable()`, …) and the cause as `source()`.

use std::fmt;

use crate::retry::RetryClass;

/// Why a call failed. Messages never contain secrets.
///
/// Ask it what you need: [`kind`](Error::kind), [`action`](Error::action),
/// [`code`](Error::code) and [`message`](Error::message) of an API error,
/// [`request_id`](Error::request_id), [`http_status`](Error::http_status),
/// [`is_timeout`](Error::is_timeout), [`is_throttling`](Error::is_throttling),
/// [`is_retryable`](Error::is_retryable). The underlying cause (a transport error, a JSON error,
/// a [`CredentialsError`](crate::CredentialsError)) is its `source()`.
pub struct Error(Box<Repr>);

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The service answered with `Response.Error` ([`Error::code`] says which).
    Api,
    /// The request does not match the action's typed request, or could not be encoded.
    InvalidRequest,
    /// `call` was given an action the service does not have.
    UnknownAction,
    /// The client configuration is unusable.
    Config,
    /// No usable credentials.
    Credentials,
    /// The request could not be signed.
    Signing,
    /// Connecting, sending or receiving failed.
    Transport,
    /// An attempt or the whole call took longer than its limit.
    Timeout,
    /// An HTTP status other than 200 without the API's error envelope.
    HttpStatus,
    /// Paging stopped because the server misbehaved.
    Paging,
    /// The response is not the envelope or does not match the typed response.
    Decode,
}

impl From<Repr> for Error {
    fn from(repr: Repr) -> Error {
        Error(Box::new(repr))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.0)
    }
}

/// The inside of an [`Error`]; private so variants can change.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Repr {
    /// The service answered with `Response.Error`.
    #[error("{action}: {code}: {message} (request id {request_id})")]
    Api {
        action: String,
        code: String,
        message: String,
        request_id: String,
    },
    /// The request was rejected before sending: it does not match the action's typed request
    /// (the message names the member), or it could not be encoded.
    #[error("{action}: invalid request: {source}")]
    InvalidRequest {
        action: String,
        source: serde_json::Error,
    },
    /// `call` was given an action the service does not have.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// The client configuration is unusable (for example an endpoint that is not a URL).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// No usable credentials (see [`crate::credentials`]).
    #[error("{action}: credentials: {source}")]
    Credentials {
        action: String,
        source: crate::credentials::CredentialsError,
    },
    /// The request could not be signed.
    #[error("{action}: signing failed: {source}")]
    Signing {
        action: String,
        source: tc_sign::SigningError,
    },
    /// Connecting, sending or receiving failed (a reset connection, a truncated body).
    #[error("{action}: transport error: {source}")]
    Transport {
        action: String,
        source: reqwest::Error,
    },
    /// The attempt (or the whole call, retries included) took longer than its time limit.
    #[error("{action}: timed out after {after:?}")]
    Timeout {
        action: String,
        after: std::time::Duration,
    },
    /// The server answered with an HTTP status other than 200 and no API error envelope
    /// (a proxy's HTML 502 page, say).
    #[error("{action}: unexpected HTTP status {status}: {snippet}")]
    HttpStatus {
        action: String,
        status: u16,
        snippet: Snippet,
    },
    /// Paging through a list action stopped because the server misbehaved (it served a page
    /// again instead of the one at `offset`); see [`crate::paginate`].
    #[error("{action}: paging stopped at offset {offset}: {reason}")]
    Paging {
        action: String,
        offset: u64,
        reason: String,
    },
    /// The body is not the `{"Response": …}` envelope or does not match the typed response.
    #[error("{action}: undecodable response ({source}): {snippet}")]
    Decode {
        action: String,
        source: serde_json::Error,
        snippet: Snippet,
    },
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &*self.0 {
            Repr::Api { .. } => ErrorKind::Api,
            Repr::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Repr::UnknownAction(_) => ErrorKind::UnknownAction,
            Repr::Config(_) => ErrorKind::Config,
            Repr::Credentials { .. } => ErrorKind::Credentials,
            Repr::Signing { .. } => ErrorKind::Signing,
            Repr::Transport { .. } => ErrorKind::Transport,
            Repr::Timeout { .. } => ErrorKind::Timeout,
            Repr::HttpStatus { .. } => ErrorKind::HttpStatus,
            Repr::Paging { .. } => ErrorKind::Paging,
            Repr::Decode { .. } => ErrorKind::Decode,
        }
    }

    /// The action of the failed call (`DescribeZones`); `None` for configuration errors.
    pub fn action(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { action, .. }
            | Repr::InvalidRequest { action, .. }
            | Repr::UnknownAction(action)
            | Repr::Credentials { action, .. }
            | Repr::Signing { action, .. }
            | Repr::Transport { action, .. }
            | Repr::Timeout { action, .. }
            | Repr::HttpStatus { action, .. }
            | Repr::Paging { action, .. }
            | Repr::Decode { action, .. } => Some(action),
            Repr::Config(_) => None,
        }
    }

    /// The API error code (`AuthFailure.SignatureFailure`) of an API error.
    pub fn code(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The service's message of an API error.
    pub fn message(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The server's request id of an API error.
    pub fn request_id(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { request_id, .. } => Some(request_id),
            _ => None,
        }
    }

    /// The HTTP status of an answer without the API's envelope (a proxy's 502 page).
    pub fn http_status(&self) -> Option<u16> {
        match &*self.0 {
            Repr::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The first bytes of the body, for an unexpected status or an undecodable response.
    pub fn body_snippet(&self) -> Option<&Snippet> {
        match &*self.0 {
            Repr::HttpStatus { snippet, .. } | Repr::Decode { snippet, .. } => Some(snippet),
            _ => None,
        }
    }

    /// The offset where paging stopped, for a paging error.
    pub fn paging_offset(&self) -> Option<u64> {
        match &*self.0 {
            Repr::Paging { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// Whether an attempt or the whole call ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(&*self.0, Repr::Timeout { .. })
    }

    /// The time limit that ran out, for a timeout.
    pub fn timeout(&self) -> Option<std::time::Duration> {
        match &*self.0 {
            Repr::Timeout { after, .. } => Some(*after),
            _ => None,
        }
    }

    /// An API error as the service would answer it: for tests of code that handles errors.
    pub fn api(
        action: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Error {
        Repr::Api {
            action: action.into(),
            code: code.into(),
            message: message.into(),
            request_id: request_id.into(),
        }
        .into()
    }

    /// An error of the client itself, for generated code: `call` of an action the service lacks.
    #[doc(hidden)]
    pub fn unknown_action(action: &str) -> Error {
        Repr::UnknownAction(action.to_owned()).into()
    }

    /// Whether the client would retry this error for a read-only action (see [`crate::retry`]).
    pub fn is_retryable(&self) -> bool {
        self.retry_class() != RetryClass::Never
    }

    /// Whether the service throttled the call (`RequestLimitExceeded` or one of its sub-codes).
    pub fn is_throttling(&self) -> bool {
        self.code().is_some_and(|code| {
            code == codes::REQUEST_LIMIT_EXCEEDED || code.starts_with("RequestLimitExceeded.")
        })
    }

    pub(crate) fn retry_class(&self) -> RetryClass {
        match &*self.0 {
            _ if self.is_throttling() => RetryClass::Always,
            Repr::Api { code, .. }
                if code == codes::INTERNAL_ERROR || code == codes::SERVICE_UNAVAILABLE =>
            {
                RetryClass::IfReadOnly
            }
            Repr::Transport { .. } | Repr::Timeout { .. } => RetryClass::IfReadOnly,
            Repr::HttpStatus { status, .. } if *status >= 500 => RetryClass::IfReadOnly,
            _ => RetryClass::Never,
        }
    }
}

/// The error codes common to every Tencent Cloud API 3.0 service, for comparing with
/// [`Error::code`]. Service-specific codes (`ResourceUnavailable.RecordUnExpected`, …) are
/// strings from the service.
pub mod codes {
    pub const ACTION_OFFLINE: &str = "ActionOffline";
    pub const AUTH_FAILURE_INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    pub const AUTH_FAILURE_INVALID_SECRET_ID: &str = "AuthFailure.InvalidSecretId";
    pub const AUTH_FAILURE_MFA_FAILURE: &str = "AuthFailure.MFAFailure";
    pub const AUTH_FAILURE_SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    pub const AUTH_FAILURE_SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    pub const AUTH_FAILURE_SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    pub const AUTH_FAILURE_TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    pub const AUTH_FAILURE_UNAUTHORIZED_OPERATION: &str = "AuthFailure.UnauthorizedOperation";
    pub const DRY_RUN_OPERATION: &str = "DryRunOperation";
    pub const FAILED_OPERATION: &str = "FailedOperation";
    pub const INTERNAL_ERROR: &str = "InternalError";
    pub const INVALID_ACTION: &str = "InvalidAction";
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    pub const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    pub const INVALID_REQUEST: &str = "InvalidRequest";
    pub const IP_IN_BLACKLIST: &str = "IpInBlacklist";
    pub const IP_NOT_IN_WHITELIST: &str = "IpNotInWhitelist";
    pub const LIMIT_EXCEEDED: &str = "LimitExceeded";
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    pub const NO_SUCH_PRODUCT: &str = "NoSuchProduct";
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    pub const REQUEST_LIMIT_EXCEEDED_IP_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.IPLimitExceeded";
    pub const REQUEST_LIMIT_EXCEEDED_UIN_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.UinLimitExceeded";
    pub const REQUEST_LIMIT_EXCEEDED_GLOBAL_REGION_UIN_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded";
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    pub const RESOURCE_IN_USE: &str = "ResourceInUse";
    pub const RESOURCE_INSUFFICIENT: &str = "ResourceInsufficient";
    pub const RESOURCE_NOT_FOUND: &str = "ResourceNotFound";
    pub const RESOURCE_UNAVAILABLE: &str = "ResourceUnavailable";
    pub const RESPONSE_SIZE_LIMIT_EXCEEDED: &str = "ResponseSizeLimitExceeded";
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    pub const UNAUTHORIZED_OPERATION: &str = "UnauthorizedOperation";
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    pub const UNSUPPORTED_OPERATION: &str = "UnsupportedOperation";
    pub const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
    pub const UNSUPPORTED_REGION: &str = "UnsupportedRegion";
}

/// The first bytes of a response body, for error messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Snippet(String);

impl Snippet {
    const MAX_CHARS: usize = 200;

    pub fn new(body: &[u8]) -> Snippet {
        let text = String::from_utf8_lossy(body);
        let mut snippet: String = text.chars().take(Self::MAX_CHARS).collect();
        if text.chars().count() > Self::MAX_CHARS {
            snippet.push('…');
        }
        Snippet(snippet)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
