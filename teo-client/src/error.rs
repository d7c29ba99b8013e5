//! The one error type of the client.

use std::fmt;

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
    /// Connecting, sending or receiving failed.
    #[error("{action}: transport error: {source}")]
    Transport {
        action: String,
        source: reqwest::Error,
    },
    /// The server answered with an HTTP status other than 200 and no API error envelope
    /// (a proxy's HTML 502 page, say).
    #[error("{action}: unexpected HTTP status {status}: {snippet}")]
    HttpStatus {
        action: String,
        status: u16,
        snippet: Snippet,
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
