//! Credentials the client signs with.

use std::fmt;

/// A SecretId / SecretKey pair, with a session token for temporary credentials.
/// `Debug` shows the SecretId only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
}

impl Credentials {
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Credentials {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
        }
    }

    /// Adds the session token of temporary credentials (sent as `X-TC-Token`).
    pub fn with_token(mut self, token: impl Into<String>) -> Credentials {
        self.token = Some(token.into());
        self
    }

    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}
