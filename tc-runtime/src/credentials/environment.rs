//! Credentials from environment variables.

use std::fmt;

use super::{
    injected_vars, process_vars, var, Credentials, CredentialsError, ProvideCredentials,
    ProvideFuture, Vars,
};

const SOURCE: &str = "environment";
const SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
const SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
const SESSION_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";

/// Credentials from `TENCENTCLOUD_SECRET_ID` and `TENCENTCLOUD_SECRET_KEY`, with the session
/// token of temporary credentials from `TENCENTCLOUD_SESSION_TOKEN` when it is set.
///
/// The variables are read on every call (a blank value counts as unset), so nothing is cached.
///
/// * neither id nor key set → [`CredentialsError::NotFound`] (`TENCENTCLOUD_SECRET_ID is not set`);
/// * only one of them set (or only the token) → [`CredentialsError::Invalid`] naming the
///   missing one: a [chain](super::CredentialsChain) stops there rather than move on to
///   another identity.
///
/// ```
/// use tc_runtime::credentials::{EnvironmentProvider, ProvideCredentials};
///
/// // Reading a map instead of the process environment:
/// let vars = std::collections::HashMap::from([
///     ("TENCENTCLOUD_SECRET_ID".to_owned(), "AKIDexample".to_owned()),
///     ("TENCENTCLOUD_SECRET_KEY".to_owned(), "secret".to_owned()),
/// ]);
/// let provider = EnvironmentProvider::from_vars(move |name| vars.get(name).cloned());
/// # let _ = provider;
/// ```
#[derive(Clone)]
pub struct EnvironmentProvider {
    vars: Vars,
    injected: bool,
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> EnvironmentProvider {
        EnvironmentProvider {
            vars: process_vars(),
            injected: false,
        }
    }

    /// Reads variables through `vars` (name → value) instead of the process environment.
    pub fn from_vars(
        vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> EnvironmentProvider {
        EnvironmentProvider {
            vars: injected_vars(vars),
            injected: true,
        }
    }

    pub(crate) fn with_vars(vars: Vars) -> EnvironmentProvider {
        EnvironmentProvider {
            vars,
            injected: true,
        }
    }

    /// The credentials the variables hold now.
    pub fn credentials(&self) -> Result<Credentials, CredentialsError> {
        let id = var(&self.vars, SECRET_ID);
        let key = var(&self.vars, SECRET_KEY);
        let (id, key) = match (id, key) {
            (Some(id), Some(key)) => (id, key),
            // A token alone is a half-set configuration too: it belongs to the temporary
            // id and key it was issued with.
            (None, None) if var(&self.vars, SESSION_TOKEN).is_some() => {
                return Err(CredentialsError::Invalid {
                    source_name: SOURCE,
                    reason: format!(
                        "{SESSION_TOKEN} is set but {SECRET_ID} and {SECRET_KEY} are not"
                    ),
                })
            }
            (None, None) => {
                return Err(CredentialsError::NotFound {
                    source_name: SOURCE,
                    reason: format!("{SECRET_ID} is not set"),
                })
            }
            (Some(_), None) => {
                return Err(CredentialsError::Invalid {
                    source_name: SOURCE,
                    reason: format!("{SECRET_ID} is set but {SECRET_KEY} is not"),
                })
            }
            (None, Some(_)) => {
                return Err(CredentialsError::Invalid {
                    source_name: SOURCE,
                    reason: format!("{SECRET_KEY} is set but {SECRET_ID} is not"),
                })
            }
        };
        let credentials = Credentials::new(id.trim(), key.trim());
        Ok(match var(&self.vars, SESSION_TOKEN) {
            Some(token) => credentials.with_token(token.trim()),
            None => credentials,
        })
    }
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        EnvironmentProvider::new()
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(std::future::ready(self.credentials()))
    }
}

impl fmt::Debug for EnvironmentProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvironmentProvider")
            .field(
                "vars",
                &if self.injected {
                    "injected"
                } else {
                    "process environment"
                },
            )
            .finish()
    }
}
