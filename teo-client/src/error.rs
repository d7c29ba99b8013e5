//! The one error type of the client.

use std::fmt;

use crate::retry::RetryClass;

/// Why a call failed. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
        source: crate::signing::SigningError,
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
    /// The API error code (`AuthFailure.SignatureFailure`), for [`Error::Api`].
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The server's request id, for [`Error::Api`].
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => Some(request_id),
            _ => None,
        }
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
        match self {
            _ if self.is_throttling() => RetryClass::Always,
            Error::Api { code, .. }
                if code == codes::INTERNAL_ERROR || code == codes::SERVICE_UNAVAILABLE =>
            {
                RetryClass::IfReadOnly
            }
            Error::Transport { .. } | Error::Timeout { .. } => RetryClass::IfReadOnly,
            Error::HttpStatus { status, .. } if *status >= 500 => RetryClass::IfReadOnly,
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
