//! Credentials the client signs with, and where they come from.
//!
//! A [`ProvideCredentials`] is asked for [`Credentials`] before every attempt; static credentials
//! answer at once, temporary ones are cached and refreshed by their provider.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

/// A SecretId / SecretKey pair, with a session token for temporary credentials.
/// `Debug` shows the SecretId only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    expires_at: Option<SystemTime>,
}

impl Credentials {
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Credentials {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expires_at: None,
        }
    }

    /// Adds the session token of temporary credentials (sent as `X-TC-Token`).
    pub fn with_token(mut self, token: impl Into<String>) -> Credentials {
        self.token = Some(token.into());
        self
    }

    /// Marks temporary credentials with the time they stop working.
    pub fn with_expiry(mut self, expires_at: SystemTime) -> Credentials {
        self.expires_at = Some(expires_at);
        self
    }

    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
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
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why no credentials could be had. Messages never contain secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// The source has no credentials (an unset variable, a missing file or profile).
    #[error("{source_name}: {reason}")]
    NotFound {
        source_name: &'static str,
        reason: String,
    },
    /// The source has credentials but they are unusable (a malformed file, a bad answer).
    #[error("{source_name}: {reason}")]
    Invalid {
        source_name: &'static str,
        reason: String,
    },
    /// Fetching temporary credentials failed (metadata service, STS).
    #[error("{source_name}: {reason}")]
    Fetch {
        source_name: &'static str,
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Every source of a chain came up empty; lists what each said.
    #[error("no credentials found; tried: {}", .tried.join("; "))]
    NoneFound { tried: Vec<String> },
}

/// The future a provider returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials, asked before every attempt. Implementations cache what they fetch.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    fn provide_credentials(&self) -> ProvideFuture<'_>;
}

/// Fixed credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}
