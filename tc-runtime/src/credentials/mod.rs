//! Credentials the client signs with, and where they come from.
//!
//! A [`ProvideCredentials`] is asked for [`Credentials`] before every attempt; static credentials
//! answer at once, temporary ones are cached and refreshed by their provider.
//!
//! # Sources
//!
//! | type | where the credentials come from | cached |
//! | --- | --- | --- |
//! | [`Credentials`] | fixed values | — |
//! | [`EnvironmentProvider`] | `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, `TENCENTCLOUD_SESSION_TOKEN` | no (read each call) |
//! | [`ProfileFileProvider`] | `~/.tencentcloud/credentials` or `TENCENTCLOUD_CREDENTIALS_FILE` | after the first good read |
//! | [`InstanceRoleProvider`] | the CVM metadata service (CAM role of the instance) | until near expiry |
//! | [`AssumeRoleProvider`] | STS `AssumeRole`, signed with other credentials | until near expiry |
//! | [`WebIdentityProvider`] | STS `AssumeRoleWithWebIdentity` with a TKE OIDC token | until near expiry |
//! | [`DefaultCredentialsChain`] | the first of environment, profile file, TKE OIDC, CVM role that has anything configured; a misconfigured one stops it | per source |
//!
//! # Caching
//!
//! Temporary credentials are kept by a [`CachedProvider`], which refreshes them when they come
//! within a margin (5 minutes by default) of their expiry, with one refresh shared by every
//! concurrent caller, and refuses answers that have expired or have less than a minute left
//! ([`CredentialsError::Expired`]).
//!
//! # Limits
//!
//! What comes from outside is bounded: metadata and STS answers (64 KiB by default), the
//! profile file and the web identity token file (64 KiB, read with `tokio::fs`), each a
//! [`CredentialsError::TooLarge`] naming the limit when exceeded.
//!
//! No `Debug` or `Display` output of this module, errors included, shows a SecretKey, a session
//! token or a web identity token.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

mod cache;
mod chain;
mod environment;
mod instance_role;
mod profile;
mod sts;
pub(crate) mod transport;

pub use cache::CachedProvider;
pub use chain::{
    CredentialsChain, DefaultChain, DefaultCredentialsChain, DefaultCredentialsChainBuilder,
};
pub use environment::EnvironmentProvider;
pub use instance_role::{
    InstanceRoleProvider, InstanceRoleProviderBuilder, DEFAULT_METADATA_ENDPOINT,
    DEFAULT_METADATA_MAX_RESPONSE_SIZE,
};
pub use profile::ProfileFileProvider;
pub use sts::{
    AssumeRoleProvider, AssumeRoleProviderBuilder, WebIdentityProvider, WebIdentityProviderBuilder,
    DEFAULT_STS_ENDPOINT, DEFAULT_STS_MAX_RESPONSE_SIZE, DEFAULT_STS_REGION,
};

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
    /// Permanent credentials: a SecretId / SecretKey pair, no token, no expiry.
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

    /// When temporary credentials stop working; `None` for permanent ones.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// The SecretId (`AKID…`), sent in the `Authorization` header; not a secret.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The SecretKey requests are signed with; never sent.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The session token of temporary credentials (sent as `X-TC-Token`); `None` for permanent ones.
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
        /// The source that was asked (`environment`, `profile file`, …).
        source_name: &'static str,
        /// Why it has none, for the message.
        reason: String,
    },
    /// The source has credentials but they are unusable (a malformed file, a bad answer).
    #[error("{source_name}: {reason}")]
    Invalid {
        /// The source that was asked.
        source_name: &'static str,
        /// What is wrong with what it has, for the message.
        reason: String,
    },
    /// Fetching temporary credentials failed (metadata service, STS).
    #[error("{source_name}: {reason}")]
    Fetch {
        /// The source that was asked.
        source_name: &'static str,
        /// What failed, for the message.
        reason: String,
        /// The underlying error (a transport or API error), when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The source answered credentials that have expired, or that expire too soon to be used
    /// (within a minute, or within the refresh margin when that is shorter); see
    /// [`CachedProvider`]. Not cached: the next refresh asks again, after a back-off.
    #[error("{source_name}: {reason}")]
    Expired {
        /// The source that was asked.
        source_name: &'static str,
        /// What was answered, for the message.
        reason: String,
        /// When the answered credentials expire(d).
        expires_at: SystemTime,
    },
    /// An answer (metadata service, STS) or a file (profile, web identity token) is larger than
    /// the source's limit; `what` says which and how the limit was hit.
    #[error("{source_name}: {what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The source that was asked.
        source_name: &'static str,
        /// What was too large and how that was found.
        what: String,
        /// The source's limit, in bytes.
        limit: u64,
    },
    /// Every source of a chain came up empty; lists what each said.
    #[error("no credentials found; tried: {}", .tried.join("; "))]
    NoneFound {
        /// Each source's answer, in the order they were asked.
        tried: Vec<String>,
    },
}

/// The future a provider returns.
pub type ProvideFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsError>> + Send + 'a>>;

/// A source of credentials, asked before every attempt. Implementations cache what they fetch.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// The credentials to sign the next attempt with, fetched or refreshed as needed.
    fn provide_credentials(&self) -> ProvideFuture<'_>;
}

/// Fixed credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// Looks up one environment variable; injectable so that tests need not touch the process
/// environment.
pub(crate) type Vars = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment as [`Vars`] (a variable that is not Unicode counts as unset).
pub(crate) fn process_vars() -> Vars {
    Arc::new(|name: &str| std::env::var(name).ok())
}

/// Wraps a caller's lookup function as [`Vars`].
pub(crate) fn injected_vars(vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Vars {
    Arc::new(vars)
}

/// The value of `name`, or `None` when it is unset or blank.
pub(crate) fn var(vars: &Vars, name: &str) -> Option<String> {
    vars(name).filter(|value| !value.trim().is_empty())
}

impl CredentialsError {
    /// A copy of this error for callers that shared one refresh (the underlying `source` of a
    /// [`Fetch`](CredentialsError::Fetch) cannot be cloned; the copy's source carries its text).
    pub(crate) fn duplicate(&self) -> CredentialsError {
        match self {
            CredentialsError::NotFound {
                source_name,
                reason,
            } => CredentialsError::NotFound {
                source_name,
                reason: reason.clone(),
            },
            CredentialsError::Invalid {
                source_name,
                reason,
            } => CredentialsError::Invalid {
                source_name,
                reason: reason.clone(),
            },
            CredentialsError::Fetch {
                source_name,
                reason,
                source,
            } => CredentialsError::Fetch {
                source_name,
                reason: reason.clone(),
                source: source.as_ref().map(|source| {
                    Box::new(SharedCause(error_chain(source.as_ref())))
                        as Box<dyn std::error::Error + Send + Sync>
                }),
            },
            CredentialsError::Expired {
                source_name,
                reason,
                expires_at,
            } => CredentialsError::Expired {
                source_name,
                reason: reason.clone(),
                expires_at: *expires_at,
            },
            CredentialsError::TooLarge {
                source_name,
                what,
                limit,
            } => CredentialsError::TooLarge {
                source_name,
                what: what.clone(),
                limit: *limit,
            },
            CredentialsError::NoneFound { tried } => CredentialsError::NoneFound {
                tried: tried.clone(),
            },
        }
    }
}

/// The text of an error that could not be cloned, standing in for it as a `source`.
#[derive(Debug)]
struct SharedCause(String);

impl fmt::Display for SharedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SharedCause {}

/// An error and its causes, `": "`-joined (reqwest says what failed only in its sources).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        next = cause.source();
    }
    text
}
