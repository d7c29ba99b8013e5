//! Errors the mock answers with, in the API's envelope.

use serde_json::{json, Value};

/// An API error: `{"Response":{"Error":{"Code":…,"Message":…},"RequestId":…}}` with HTTP 200,
/// as the real endpoint answers every failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
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
    pub const INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    pub const SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    pub const SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    pub const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    pub const INVALID_ACTION: &str = "InvalidAction";
    pub const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    pub const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
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
