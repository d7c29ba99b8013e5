//! Trying several sources in turn.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::{
    injected_vars, process_vars, Credentials, CredentialsError, EnvironmentProvider,
    InstanceRoleProvider, ProfileFileProvider, ProvideCredentials, ProvideFuture, Vars,
    WebIdentityProvider,
};

/// Asks its sources in order and returns the first credentials one provides.
///
/// Only a source that has *nothing configured* — [`CredentialsError::NotFound`], or a nested
/// chain's [`CredentialsError::NoneFound`] — lets the chain move on. Any other error (a half-set
/// pair of variables, a malformed or unreadable profile file, a profile asked for but missing,
/// STS refusing a configured role, expired credentials) stops the chain and is returned as it
/// is, naming its source: the configuration says which identity to use, and falling through
/// to the next source would sign as another one. When every source comes up empty the result
/// is [`CredentialsError::NoneFound`] whose `tried` lists every source's error in order
/// (`"environment: TENCENTCLOUD_SECRET_ID is not set"`, …; a nested chain's list is spliced
/// in).
///
/// The sources are asked anew on every call — the chain does not remember which one worked, so
/// that e.g. setting the environment variables takes effect — and each source caches what it
/// fetched, so a call costs a few variable lookups before reaching the cached answer.
#[derive(Clone, Default)]
pub struct CredentialsChain {
    sources: Vec<Arc<dyn ProvideCredentials>>,
}

impl CredentialsChain {
    /// An empty chain; sources are added in the order they are asked.
    pub fn new() -> CredentialsChain {
        CredentialsChain::default()
    }

    /// Adds a source after the others.
    pub fn push(self, source: impl ProvideCredentials + 'static) -> CredentialsChain {
        self.push_arc(Arc::new(source))
    }

    /// Adds a shared source after the others.
    pub fn push_arc(mut self, source: Arc<dyn ProvideCredentials>) -> CredentialsChain {
        self.sources.push(source);
        self
    }

    async fn first(&self) -> Result<Credentials, CredentialsError> {
        let mut tried = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            match source.provide_credentials().await {
                Ok(credentials) => {
                    tracing::debug!(source = ?source, "credentials found");
                    return Ok(credentials);
                }
                Err(CredentialsError::NoneFound { tried: nested }) => tried.extend(nested),
                Err(error @ CredentialsError::NotFound { .. }) => {
                    tracing::debug!(error = %error, "credentials source came up empty");
                    tried.push(error.to_string());
                }
                Err(error) => {
                    tracing::debug!(error = %error, "credentials source is misconfigured or failed; not trying the next");
                    return Err(error);
                }
            }
        }
        Err(CredentialsError::NoneFound { tried })
    }
}

impl ProvideCredentials for CredentialsChain {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.first())
    }
}

impl fmt::Debug for CredentialsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.sources).finish()
    }
}

/// The usual sources, in the order the official SDKs use:
///
/// 1. [`EnvironmentProvider`] — `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY`;
/// 2. [`ProfileFileProvider`] — `TENCENTCLOUD_CREDENTIALS_FILE` or
///    `~/.tencentcloud/credentials`, profile `TENCENTCLOUD_PROFILE` or `default`;
/// 3. [`WebIdentityProvider`] — TKE OIDC, when the `TKE_*` variables are set (otherwise it
///    answers "not set" at once, without a request);
/// 4. [`InstanceRoleProvider`] — the CAM role of the CVM instance (off CVM this fails within
///    about a second: the metadata service is asked with a 1 s connect timeout).
///
/// See [`CredentialsChain`] for how the sources are asked and what an all-round failure says:
///
/// ```text
/// no credentials found; tried: environment: TENCENTCLOUD_SECRET_ID is not set;
/// profile file: /root/.tencentcloud/credentials: not found; tke oidc: TKE_REGION, …
/// are not set; instance role: metadata service http://metadata.tencentyun.com/… unreachable: …
/// ```
///
/// ```no_run
/// use tc_runtime::credentials::DefaultCredentialsChain;
/// use tc_runtime::sts::Client; // any generated service client
///
/// let client = Client::builder(DefaultCredentialsChain::new()).build()?;
/// # Ok::<(), tc_runtime::Error>(())
/// ```
pub struct DefaultCredentialsChain {
    chain: CredentialsChain,
}

/// Short name of [`DefaultCredentialsChain`].
pub type DefaultChain = DefaultCredentialsChain;

/// Configures a [`DefaultCredentialsChain`].
#[derive(Clone)]
pub struct DefaultCredentialsChainBuilder {
    vars: Vars,
    injected: bool,
    profile: Option<String>,
    profile_file: Option<PathBuf>,
    metadata_endpoint: Option<String>,
    sts_endpoint: Option<String>,
}

impl DefaultCredentialsChain {
    /// The chain reading the process environment.
    pub fn new() -> DefaultCredentialsChain {
        DefaultCredentialsChain::builder().build()
    }

    /// A builder reading the process environment, to inject variables or set the profile, the
    /// credentials file, or the metadata and STS endpoints.
    pub fn builder() -> DefaultCredentialsChainBuilder {
        DefaultCredentialsChainBuilder {
            vars: process_vars(),
            injected: false,
            profile: None,
            profile_file: None,
            metadata_endpoint: None,
            sts_endpoint: None,
        }
    }
}

impl Default for DefaultCredentialsChain {
    fn default() -> Self {
        DefaultCredentialsChain::new()
    }
}

impl DefaultCredentialsChainBuilder {
    /// Every source reads its variables (`TENCENTCLOUD_*`, `HOME`, `TKE_*`) through `vars`
    /// instead of the process environment.
    pub fn vars(mut self, vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.vars = injected_vars(vars);
        self.injected = true;
        self
    }

    /// The profile of the credentials file, instead of `TENCENTCLOUD_PROFILE` / `default`.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The credentials file, instead of `TENCENTCLOUD_CREDENTIALS_FILE` /
    /// `~/.tencentcloud/credentials`.
    pub fn profile_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_file = Some(path.into());
        self
    }

    /// Where the CVM metadata service is (default `http://metadata.tencentyun.com`).
    pub fn metadata_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.metadata_endpoint = Some(endpoint.into());
        self
    }

    /// Where STS is for TKE OIDC (default `https://sts.tencentcloudapi.com`).
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into());
        self
    }

    /// The chain: environment, profile file, web identity (TKE OIDC), instance role, in that
    /// order.
    pub fn build(self) -> DefaultCredentialsChain {
        let environment = EnvironmentProvider::with_vars(self.vars.clone());
        let mut profile = ProfileFileProvider::with_vars(self.vars.clone(), self.injected);
        if let Some(path) = self.profile_file {
            profile = profile.with_path(path);
        }
        if let Some(name) = self.profile {
            profile = profile.with_profile(name);
        }
        let mut web_identity = WebIdentityProvider::builder().shared_vars(self.vars, self.injected);
        if let Some(endpoint) = self.sts_endpoint {
            web_identity = web_identity.endpoint(endpoint);
        }
        let mut instance_role = InstanceRoleProvider::builder();
        if let Some(endpoint) = self.metadata_endpoint {
            instance_role = instance_role.endpoint(endpoint);
        }
        DefaultCredentialsChain {
            chain: CredentialsChain::new()
                .push(environment)
                .push(profile)
                .push(web_identity.build())
                .push(instance_role.build()),
        }
    }
}

impl fmt::Debug for DefaultCredentialsChainBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultCredentialsChainBuilder")
            .field(
                "vars",
                &if self.injected {
                    "injected"
                } else {
                    "process environment"
                },
            )
            .field("profile", &self.profile)
            .field("profile_file", &self.profile_file)
            .field("metadata_endpoint", &self.metadata_endpoint)
            .field("sts_endpoint", &self.sts_endpoint)
            .finish()
    }
}

impl ProvideCredentials for DefaultCredentialsChain {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        self.chain.provide_credentials()
    }
}

impl fmt::Debug for DefaultCredentialsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DefaultCredentialsChain")
            .field(&self.chain)
            .finish()
    }
}
