//! Credentials from the shared credentials file (`~/.tencentcloud/credentials`).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::transport::{read_small_file, FileError, MAX_FILE_SIZE};
use super::{
    injected_vars, process_vars, var, Credentials, CredentialsError, ProvideCredentials,
    ProvideFuture, Vars,
};

const SOURCE: &str = "profile file";
const FILE_VAR: &str = "TENCENTCLOUD_CREDENTIALS_FILE";
const PROFILE_VAR: &str = "TENCENTCLOUD_PROFILE";
const DEFAULT_PROFILE: &str = "default";

/// Credentials from a profile of the shared credentials file:
///
/// ```ini
/// [default]
/// secret_id = AKID...
/// secret_key = ...
/// # token = ...   (temporary credentials only)
///
/// [ci]
/// secret_id = AKID...
/// secret_key = ...
/// ```
///
/// * **File:** the one set with [`with_path`](Self::with_path), else `TENCENTCLOUD_CREDENTIALS_FILE`,
///   else `$HOME/.tencentcloud/credentials` (`%USERPROFILE%` when `HOME` is unset).
/// * **Profile:** the one set with [`with_profile`](Self::with_profile), else
///   `TENCENTCLOUD_PROFILE`, else `default`.
/// * **Format:** `[section]` lines and `key = value` lines; blank lines and lines starting with
///   `#` or `;` are ignored; keys are case-insensitive, values trimmed. A section may appear
///   more than once (later keys win). Lines of other profiles are not checked.
///
/// Errors — each naming the path and profile, never a value:
/// * the default file (`~/.tencentcloud/credentials`) missing, or lacking the `default`
///   profile, is [`CredentialsError::NotFound`]: nothing was configured, and a
///   [chain](super::CredentialsChain) moves on;
/// * a file or profile asked for explicitly (builder, `TENCENTCLOUD_CREDENTIALS_FILE`,
///   `TENCENTCLOUD_PROFILE`) that is missing is [`CredentialsError::Invalid`], as is a file
///   that cannot be read, is not a regular file or not UTF-8, a missing or empty `secret_id` /
///   `secret_key`, or a line of the profile that is not `key = value` (named by number): a
///   chain stops there instead of signing as another identity;
/// * a file over 64 KiB is [`CredentialsError::TooLarge`].
///
/// The file is read with `tokio::fs` (never blocking the async runtime's threads) until it
/// yields credentials; those are then kept for the life of the provider, so edits to the file
/// are not seen afterwards. On Unix a file accessible to group or others (`mode & 0o077`) is
/// read, with a `tracing` warning naming the path and mode.
pub struct ProfileFileProvider {
    vars: Vars,
    injected: bool,
    path: Option<PathBuf>,
    profile: Option<String>,
    cached: Mutex<Option<Credentials>>,
}

impl ProfileFileProvider {
    /// The file and profile named by the process environment (or the defaults).
    pub fn new() -> ProfileFileProvider {
        ProfileFileProvider::with_vars(process_vars(), false)
    }

    /// Reads `TENCENTCLOUD_CREDENTIALS_FILE`, `TENCENTCLOUD_PROFILE` and `HOME` through `vars`
    /// instead of the process environment.
    pub fn from_vars(
        vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> ProfileFileProvider {
        ProfileFileProvider::with_vars(injected_vars(vars), true)
    }

    pub(crate) fn with_vars(vars: Vars, injected: bool) -> ProfileFileProvider {
        ProfileFileProvider {
            vars,
            injected,
            path: None,
            profile: None,
            cached: Mutex::new(None),
        }
    }

    /// Reads this file, whatever the environment says.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> ProfileFileProvider {
        self.path = Some(path.into());
        self
    }

    /// Reads this profile, whatever the environment says.
    pub fn with_profile(mut self, profile: impl Into<String>) -> ProfileFileProvider {
        self.profile = Some(profile.into());
        self
    }

    /// The file that will be read, or why there is none (no `HOME`).
    pub fn path(&self) -> Result<PathBuf, CredentialsError> {
        if let Some(path) = &self.path {
            return Ok(path.clone());
        }
        if let Some(path) = var(&self.vars, FILE_VAR) {
            return Ok(PathBuf::from(path));
        }
        let home = var(&self.vars, "HOME")
            .or_else(|| var(&self.vars, "USERPROFILE"))
            .ok_or_else(|| self.absent(format!("neither {FILE_VAR} nor HOME is set")))?;
        Ok(Path::new(&home).join(".tencentcloud").join("credentials"))
    }

    /// The profile that will be read.
    pub fn profile(&self) -> String {
        self.profile
            .clone()
            .or_else(|| var(&self.vars, PROFILE_VAR).map(|p| p.trim().to_owned()))
            .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
    }

    /// What was asked for explicitly — a file (`with_path`, `TENCENTCLOUD_CREDENTIALS_FILE`) or
    /// a profile (`with_profile`, `TENCENTCLOUD_PROFILE`) — or `None` when only the defaults
    /// apply.
    fn explicit(&self) -> Option<&'static str> {
        if self.path.is_some() {
            Some("the configured file")
        } else if var(&self.vars, FILE_VAR).is_some() {
            Some(FILE_VAR)
        } else if self.profile.is_some() {
            Some("the configured profile")
        } else if var(&self.vars, PROFILE_VAR).is_some() {
            Some(PROFILE_VAR)
        } else {
            None
        }
    }

    /// "Not there": [`CredentialsError::NotFound`] when only the defaults were looked for
    /// (a chain moves on), [`CredentialsError::Invalid`] naming the setting when the file or
    /// profile was asked for — then a chain stops rather than sign as someone else.
    fn absent(&self, reason: String) -> CredentialsError {
        match self.explicit() {
            None => CredentialsError::NotFound {
                source_name: SOURCE,
                reason,
            },
            Some(setting) => CredentialsError::Invalid {
                source_name: SOURCE,
                reason: format!("{reason} (named by {setting})"),
            },
        }
    }

    /// Reads the file now (or returns what an earlier read found). The file is read with
    /// `tokio::fs` (off the runtime's worker threads), at most 64 KiB of it; a file that group or
    /// others may access is read, with a `tracing` warning.
    pub async fn credentials(&self) -> Result<Credentials, CredentialsError> {
        if let Some(credentials) = self.lock_cached().as_ref() {
            return Ok(credentials.clone());
        }
        let path = self.path()?;
        let profile = self.profile();
        let (text, mode) = read_small_file(SOURCE, "", &path, MAX_FILE_SIZE)
            .await
            .map_err(|e| match e {
                FileError::NotFound => self.absent(format!("{}: not found", path.display())),
                FileError::Other(e) => e,
            })?;
        if let Some(mode) = mode.filter(|mode| mode & 0o077 != 0) {
            // Not refused (many setups share a home directory with a group on purpose), but
            // worth saying: the file holds a SecretKey.
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{:o}", mode & 0o777),
                "the credentials file is accessible to group or others; `chmod 600` it"
            );
        }
        let credentials = parse_profile(&text, &profile).map_err(|problem| {
            let reason = match problem {
                Problem::NoProfile => format!("{}: no profile [{profile}]", path.display()),
                Problem::Missing(key) => {
                    format!("{}: profile [{profile}] has no {key}", path.display())
                }
                Problem::Empty(key) => {
                    format!("{}: profile [{profile}] has an empty {key}", path.display())
                }
                Problem::BadLine(line) => format!(
                    "{}: line {line} of profile [{profile}] is not `key = value`",
                    path.display()
                ),
            };
            match problem {
                Problem::NoProfile => self.absent(reason),
                _ => CredentialsError::Invalid {
                    source_name: SOURCE,
                    reason,
                },
            }
        })?;
        *self.lock_cached() = Some(credentials.clone());
        Ok(credentials)
    }

    /// A poisoned lock only means a panic elsewhere between two assignments of an `Option`.
    fn lock_cached(&self) -> std::sync::MutexGuard<'_, Option<Credentials>> {
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for ProfileFileProvider {
    fn default() -> Self {
        ProfileFileProvider::new()
    }
}

impl ProvideCredentials for ProfileFileProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(self.credentials())
    }
}

impl fmt::Debug for ProfileFileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded = self
            .cached
            .lock()
            .map(|c| c.is_some())
            .unwrap_or_else(|e| e.into_inner().is_some());
        f.debug_struct("ProfileFileProvider")
            .field(
                "vars",
                &if self.injected {
                    "injected"
                } else {
                    "process environment"
                },
            )
            .field("path", &self.path)
            .field("profile", &self.profile)
            .field("loaded", &loaded)
            .finish()
    }
}

/// What is wrong with the profile (values never appear).
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    NoProfile,
    Missing(&'static str),
    Empty(&'static str),
    /// 1-based line number.
    BadLine(usize),
}

/// Finds `[profile]` in an INI text and reads its credentials.
fn parse_profile(text: &str, profile: &str) -> Result<Credentials, Problem> {
    let mut found = false;
    let mut in_profile = false;
    let mut keys: HashMap<String, String> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let line = line.strip_prefix('\u{feff}').unwrap_or(line).trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            found |= in_profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        match line.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                keys.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
            _ => return Err(Problem::BadLine(index + 1)),
        }
    }
    if !found {
        return Err(Problem::NoProfile);
    }
    let mut take = |key: &'static str| match keys.remove(key) {
        None => Err(Problem::Missing(key)),
        Some(value) if value.is_empty() => Err(Problem::Empty(key)),
        Some(value) => Ok(value),
    };
    let id = take("secret_id")?;
    let key = take("secret_key")?;
    let credentials = Credentials::new(id, key);
    Ok(match keys.remove("token").filter(|t| !t.is_empty()) {
        Some(token) => credentials.with_token(token),
        None => credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_named_profile_only() {
        let text = "\u{feff}# comment\n[default]\nsecret_id = AKID1\nsecret_key=key1\n\n\
                    [other]\nthis line is junk\n[ci]\n; c\nSECRET_ID = AKID2 \n secret_key = key2\ntoken = tok\n";
        let c = parse_profile(text, "default").unwrap();
        assert_eq!(
            (c.secret_id(), c.secret_key(), c.token()),
            ("AKID1", "key1", None)
        );
        let c = parse_profile(text, "ci").unwrap();
        assert_eq!(
            (c.secret_id(), c.secret_key(), c.token()),
            ("AKID2", "key2", Some("tok"))
        );
        assert_eq!(parse_profile(text, "other"), Err(Problem::BadLine(7)));
        assert_eq!(parse_profile(text, "nope"), Err(Problem::NoProfile));
    }

    #[test]
    fn missing_and_empty_keys_are_named() {
        assert_eq!(
            parse_profile("[default]\nsecret_id = a\n", "default"),
            Err(Problem::Missing("secret_key"))
        );
        assert_eq!(
            parse_profile("[default]\nsecret_key = a\n", "default"),
            Err(Problem::Missing("secret_id"))
        );
        assert_eq!(
            parse_profile("[default]\nsecret_id =\nsecret_key = k\n", "default"),
            Err(Problem::Empty("secret_id"))
        );
        // A section repeated: later keys win, earlier ones stay.
        let c = parse_profile(
            "[default]\nsecret_id = a\n[x]\n[default]\nsecret_key = k\nsecret_id = b\n",
            "default",
        )
        .unwrap();
        assert_eq!((c.secret_id(), c.secret_key()), ("b", "k"));
    }
}
