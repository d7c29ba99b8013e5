//! Errors the mock answers with, in the API's envelope.

use serde_json::{json, Value};

/// An API error: `{"Response":{"Error":{"Code":…,"Message":…},"RequestId":…}}` with HTTP 200,
/// as the real endpoint answers every failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The error code, one of [`codes`] (`AuthFailure.SignatureFailure`).
    pub code: &'static str,
    /// What went wrong, in words, for the caller to read.
    pub message: String,
}

impl ApiError {
    /// An error with `code` (one of [`codes`]) and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// The whole response body.
    pub fn envelope(&self, request_id: &str) -> Value {
        json!({
            "Response": {
                "Error": { "Code": self.code, "Message": self.message },
                "RequestId": request_id,
            }
        })
    }
}

/// The error codes the mock produces (a subset of the common API 3.0 codes).
pub mod codes {
    /// The `Authorization` header (or a v1 request's `Signature`) is missing or malformed.
    pub const INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    /// The SecretId is not one of the configured credentials.
    pub const SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    /// The signature does not match the request, or a v1 request was replayed.
    pub const SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    /// The request's timestamp is more than [`MAX_CLOCK_SKEW_SECONDS`](crate::auth::MAX_CLOCK_SKEW_SECONDS)
    /// from the server's clock.
    pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    /// The credential needs a session token and the request sent none or another.
    pub const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    /// The request names no action or one the API does not have, or goes to a path other than
    /// `/`.
    pub const INVALID_ACTION: &str = "InvalidAction";
    /// A request to `/` with an HTTP method other than `POST` or `GET`.
    pub const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
    /// The request's `X-TC-Version` is not the API version served.
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    /// A required parameter is absent.
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    /// A parameter the action's request does not have (a misspelt name).
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    /// A parameter or the request itself is malformed (bad JSON, a body that came too late).
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    /// A parameter's value has the wrong type or format.
    pub const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    /// The body is larger than [`MockConfig::body_limit`](crate::MockConfig::body_limit).
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    /// The action's rate limit was reached, or the fault was injected.
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    /// The mock failed, or the fault was injected.
    pub const INTERNAL_ERROR: &str = "InternalError";
}

/// A fresh RequestId in the API's format (a random UUID v4).
pub fn request_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        0x8000 | fastrand::u16(..0x4000),
        fastrand::u64(..1 << 48)
    )
}
