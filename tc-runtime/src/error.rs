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
    /// The response body is larger than the client's limit
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size));
    /// [`Error::response_limit`] says what the limit was.
    ResponseTooLarge,
    /// The service refused the signature as expired (`AuthFailure.SignatureExpire`) and its
    /// `Date` shows this machine's clock off by more than the 15 minutes the client corrects:
    /// the clock needs setting right. [`Error::clock_skew_seconds`] says by how much.
    ClockSkew,
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
    /// Code, message and request id are the server's, cut to bounded lengths when read.
    /// `hint` is the client's, when it has something to add (why a wrong clock was not
    /// corrected).
    #[error("{action}: {code}: {message} (request id {request_id}){}", Hint(*hint))]
    Api {
        action: String,
        code: String,
        message: String,
        request_id: String,
        hint: Option<&'static str>,
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
    #[error("{action}: unexpected HTTP status {status}: {body}")]
    HttpStatus {
        action: String,
        status: u16,
        body: BodySummary,
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
    /// `reason` is serde's message with the values it quotes blanked
    /// ([`crate::redact::serde_message`]); serde's error itself is not kept as the source, since
    /// its message quotes them.
    #[error("{action}: undecodable response ({reason}): {body}")]
    Decode {
        action: String,
        reason: String,
        body: BodySummary,
    },
    /// The body was longer than the limit: announced so by `Content-Length` (not read), or
    /// found while reading (`read` bytes had arrived when reading stopped).
    #[error(
        "{action}: the response is larger than the limit of {limit} bytes ({})",
        crate::body::ReadError::how(*content_length, *read)
    )]
    ResponseTooLarge {
        action: String,
        limit: u64,
        content_length: Option<u64>,
        read: u64,
    },
    /// `AuthFailure.SignatureExpire`, with a `Date` `skew` seconds ahead of this machine's clock
    /// (behind when negative): too far to correct.
    #[error(
        "{action}: this machine's clock is {} the server's, more than the {} minutes the \
         client corrects; set this machine's clock right (AuthFailure.SignatureExpire, \
         request id {request_id})",
        crate::clock::describe_skew(*skew),
        crate::clock::MAX_CORRECTION / 60
    )]
    ClockSkew {
        action: String,
        skew: i64,
        request_id: String,
    },
}

/// A client's hint after an API error's message: `; <hint>`, or nothing.
#[derive(Debug, Clone, Copy)]
struct Hint(Option<&'static str>);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(hint) => write!(f, "; {hint}"),
            None => Ok(()),
        }
    }
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
            Repr::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Repr::ClockSkew { .. } => ErrorKind::ClockSkew,
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
            | Repr::Decode { action, .. }
            | Repr::ResponseTooLarge { action, .. }
            | Repr::ClockSkew { action, .. } => Some(action),
            Repr::Config(_) => None,
        }
    }

    /// The API error code (`AuthFailure.SignatureFailure`) of an API error; for
    /// [`ErrorKind::ClockSkew`], the server's `AuthFailure.SignatureExpire`.
    pub fn code(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { code, .. } => Some(code),
            Repr::ClockSkew { .. } => Some(codes::AUTH_FAILURE_SIGNATURE_EXPIRE),
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

    /// The server's request id of an API error (and of [`ErrorKind::ClockSkew`]).
    pub fn request_id(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { request_id, .. } | Repr::ClockSkew { request_id, .. } => Some(request_id),
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

    /// What is known of the body of an unexpected status or an undecodable response — its
    /// length, content type, and the first characters only when it is not JSON (see
    /// [`BodySummary`]).
    pub fn body(&self) -> Option<&BodySummary> {
        match &*self.0 {
            Repr::HttpStatus { body, .. } | Repr::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The size limit a response exceeded, in bytes, for [`ErrorKind::ResponseTooLarge`].
    pub fn response_limit(&self) -> Option<u64> {
        match &*self.0 {
            Repr::ResponseTooLarge { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// For [`ErrorKind::ClockSkew`]: how far the server's clock (its `Date`) is ahead of this
    /// machine's, in seconds; negative when this machine's clock is ahead.
    pub fn clock_skew_seconds(&self) -> Option<i64> {
        match &*self.0 {
            Repr::ClockSkew { skew, .. } => Some(*skew),
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
            hint: None,
        }
        .into()
    }

    /// This API error with the client's hint after its message.
    pub(crate) fn with_hint(mut self, new: Option<&'static str>) -> Error {
        if let Repr::Api { hint, .. } = &mut *self.0 {
            *hint = new;
        }
        self
    }

    /// This API error (`AuthFailure.SignatureExpire`) as a clock `skew` seconds too far off to
    /// correct; other errors unchanged.
    pub(crate) fn into_clock_skew(self, skew: i64) -> Error {
        match *self.0 {
            Repr::Api {
                action, request_id, ..
            } => Repr::ClockSkew {
                action,
                skew,
                request_id,
            }
            .into(),
            repr => Error(Box::new(repr)),
        }
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
            // Asking again would fetch the same oversized answer.
            Repr::ResponseTooLarge { .. } => RetryClass::Never,
            _ => RetryClass::Never,
        }
    }
}

/// The error codes common to every Tencent Cloud API 3.0 service, for comparing with
/// [`Error::code`]. Service-specific codes (`ResourceUnavailable.RecordUnExpected`, …) are
/// strings from the service.
pub mod codes {
    /// The action has been taken offline.
    pub const ACTION_OFFLINE: &str = "ActionOffline";
    /// The `Authorization` header is malformed.
    pub const AUTH_FAILURE_INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    /// The SecretId is not of a valid form.
    pub const AUTH_FAILURE_INVALID_SECRET_ID: &str = "AuthFailure.InvalidSecretId";
    /// Multi-factor authentication failed.
    pub const AUTH_FAILURE_MFA_FAILURE: &str = "AuthFailure.MFAFailure";
    /// No key has this SecretId (deleted, disabled or mistyped).
    pub const AUTH_FAILURE_SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    /// The request's timestamp is too far from the server's clock; the client corrects small
    /// offsets itself (see [`ErrorKind::ClockSkew`](crate::ErrorKind::ClockSkew)).
    pub const AUTH_FAILURE_SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    /// The signature does not match the request (a wrong SecretKey, or a request changed
    /// after signing).
    pub const AUTH_FAILURE_SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    /// The session token is missing, invalid or expired.
    pub const AUTH_FAILURE_TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    /// The request is not authorized: the key's account lacks permission.
    pub const AUTH_FAILURE_UNAUTHORIZED_OPERATION: &str = "AuthFailure.UnauthorizedOperation";
    /// The request would have succeeded, but it was a dry run.
    pub const DRY_RUN_OPERATION: &str = "DryRunOperation";
    /// The operation failed.
    pub const FAILED_OPERATION: &str = "FailedOperation";
    /// The service failed internally; the outcome is unknown.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// The service has no such action.
    pub const INVALID_ACTION: &str = "InvalidAction";
    /// A parameter is wrong.
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    /// A parameter's value is invalid.
    pub const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    /// The request body is malformed.
    pub const INVALID_REQUEST: &str = "InvalidRequest";
    /// The caller's IP address is blocked.
    pub const IP_IN_BLACKLIST: &str = "IpInBlacklist";
    /// The caller's IP address is not in the allowlist.
    pub const IP_NOT_IN_WHITELIST: &str = "IpNotInWhitelist";
    /// A quota is exceeded.
    pub const LIMIT_EXCEEDED: &str = "LimitExceeded";
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    /// The service (product) does not exist.
    pub const NO_SUCH_PRODUCT: &str = "NoSuchProduct";
    /// The API version does not exist.
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    /// Too many requests: throttled, safe to retry after a pause.
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    /// Too many requests from this IP address.
    pub const REQUEST_LIMIT_EXCEEDED_IP_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.IPLimitExceeded";
    /// Too many requests from this account (UIN).
    pub const REQUEST_LIMIT_EXCEEDED_UIN_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.UinLimitExceeded";
    /// Too many requests from this account across all regions.
    pub const REQUEST_LIMIT_EXCEEDED_GLOBAL_REGION_UIN_LIMIT_EXCEEDED: &str =
        "RequestLimitExceeded.GlobalRegionUinLimitExceeded";
    /// The request body is larger than the service accepts.
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    /// The resource is in use.
    pub const RESOURCE_IN_USE: &str = "ResourceInUse";
    /// Not enough resources.
    pub const RESOURCE_INSUFFICIENT: &str = "ResourceInsufficient";
    /// The resource does not exist.
    pub const RESOURCE_NOT_FOUND: &str = "ResourceNotFound";
    /// The resource is unavailable.
    pub const RESOURCE_UNAVAILABLE: &str = "ResourceUnavailable";
    /// The response would be larger than the service sends.
    pub const RESPONSE_SIZE_LIMIT_EXCEEDED: &str = "ResponseSizeLimitExceeded";
    /// The service is temporarily unavailable.
    pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";
    /// The operation is not authorized.
    pub const UNAUTHORIZED_OPERATION: &str = "UnauthorizedOperation";
    /// A parameter the action does not have (often a misspelt name).
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    /// The operation is not supported.
    pub const UNSUPPORTED_OPERATION: &str = "UnsupportedOperation";
    /// The HTTP method or protocol is not supported (API 3.0 takes `GET` and `POST`).
    pub const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
    /// The action is not available in the region.
    pub const UNSUPPORTED_REGION: &str = "UnsupportedRegion";
}

/// What an error may say about a response body without showing it: its length, its
/// `Content-Type`, and — only for a body that is not JSON — its first 64 characters.
///
/// Why so little: the bodies behind these errors are answers that did not decode (a truncated
/// STS answer holds `TmpSecretKey` and `Token`; a teo action may return keys or signed URLs)
/// or pages of a proxy in between. A JSON body (a `json` content type, or a body starting with
/// `{` or `[`) is never quoted, whatever its keys: telling a secret-bearing member apart from
/// a harmless one is not a guess worth making. A body that is not JSON is typically a proxy's
/// HTML or text error page, whose first characters (`<html><head><title>502 Bad Gateway`)
/// say what answered; 64 characters is enough for that and too few for a page echoing request
/// headers to reach them. Text that is not UTF-8 is not quoted either.
#[derive(Clone, PartialEq, Eq)]
pub struct BodySummary {
    len: usize,
    content_type: Option<String>,
    text: Option<String>,
}

impl BodySummary {
    const MAX_TEXT_CHARS: usize = 64;
    const MAX_CONTENT_TYPE_CHARS: usize = 100;

    pub(crate) fn new(body: &[u8], content_type: Option<&str>) -> BodySummary {
        let content_type =
            content_type.map(|ct| crate::redact::truncate(ct, Self::MAX_CONTENT_TYPE_CHARS));
        let json_type = content_type
            .as_deref()
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        let json_body = matches!(first, Some(b'{' | b'['));
        let text = if json_type || json_body || body.is_empty() {
            None
        } else {
            // At most 4 bytes per character; a cut character at the end is dropped below.
            let head = body
                .get(..body.len().min(Self::MAX_TEXT_CHARS * 4))
                .unwrap_or(body);
            let head = match std::str::from_utf8(head) {
                Ok(text) => Some(text),
                Err(e) if e.error_len().is_none() => head
                    .get(..e.valid_up_to())
                    .and_then(|h| std::str::from_utf8(h).ok()),
                Err(_) => None,
            };
            head.map(|text| {
                let mut shown = crate::redact::truncate(text, Self::MAX_TEXT_CHARS);
                if !shown.ends_with('…') && body.len() > text.len() {
                    shown.push('…');
                }
                shown
            })
        };
        BodySummary {
            len: body.len(),
            content_type,
            text,
        }
    }

    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the server sent no body.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `Content-Type` the server sent (at most 100 characters).
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The first 64 characters of a body that is not JSON (control characters as spaces, `…`
    /// when cut); `None` for JSON, binary or empty bodies.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }
}

impl fmt::Display for BodySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes", self.len)?;
        if let Some(content_type) = &self.content_type {
            write!(f, " of {content_type}")?;
        }
        match &self.text {
            Some(text) => write!(f, ": {text:?}"),
            None if self.len > 0 => f.write_str(" (content not shown)"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for BodySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_never_quoted() {
        let body = br#"{"Response":{"Credentials":{"TmpSecretKey":"s3cret"#;
        for content_type in [Some("application/json"), Some("text/plain"), None] {
            let summary = BodySummary::new(body, content_type);
            assert_eq!(summary.text(), None);
            assert!(!summary.to_string().contains("s3cret"), "{summary}");
            assert_eq!(summary.len(), body.len());
        }
        let summary = BodySummary::new(b"TmpSecretKey=s3cret", Some("application/json; a=b"));
        assert_eq!(
            summary.to_string(),
            "19 bytes of application/json; a=b (content not shown)"
        );
    }

    #[test]
    fn pages_show_their_first_characters() {
        let page = format!(
            "<html>\r\n<title>502 Bad Gateway</title>{}",
            "x".repeat(1000)
        );
        let summary = BodySummary::new(page.as_bytes(), Some("text/html"));
        let text = summary.text().unwrap();
        assert!(text.starts_with("<html>  <title>502 Bad Gateway"), "{text}");
        assert_eq!(text.chars().count(), 65, "64 and the ellipsis");
        assert!(text.ends_with('…'));
        assert_eq!(
            BodySummary::new(b"oops", None).to_string(),
            "4 bytes: \"oops\""
        );
        assert_eq!(BodySummary::new(b"\xff\xfe\x00", None).text(), None);
        // A multi-byte character cut by the 256-byte window is dropped, not an error.
        let long = "€".repeat(200);
        assert_eq!(
            BodySummary::new(long.as_bytes(), None)
                .text()
                .map(|t| t.chars().count()),
            Some(65)
        );
    }
}
