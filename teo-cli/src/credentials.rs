//! Which credentials a call signs with, built on `teo_client::credentials`:
//!
//! 1. `--secretId` and `--secretKey` (both; `--token` adds a session token to them);
//! 2. else `--profile NAME`: that profile of `~/.tencentcloud/credentials` (or
//!    `$TENCENTCLOUD_CREDENTIALS_FILE`), via [`ProfileFileProvider`];
//! 3. else the SDK's [`DefaultCredentialsChain`]: `TENCENTCLOUD_SECRET_ID` /
//!    `TENCENTCLOUD_SECRET_KEY` / `TENCENTCLOUD_SESSION_TOKEN`, then the profile file (profile
//!    `$TENCENTCLOUD_PROFILE` or `default`), then TKE OIDC, then the CVM instance role.
//!
//! The sources are asked when the call is signed; a failure there is the client's
//! `Error::Credentials`, listing what each source said. Messages never contain a secret.

use teo_client::credentials::{
    DefaultCredentialsChain, ProfileFileProvider, ProvideCredentials, ProvideFuture,
};
use teo_client::Credentials;

use crate::options::GlobalOptions;

/// The credentials source chosen from the command line.
#[derive(Debug)]
pub enum Source {
    /// `--secretId` / `--secretKey` (/ `--token`).
    Flags(Credentials),
    /// `--profile NAME`.
    Profile(ProfileFileProvider),
    /// Neither: the environment, the default profile, TKE OIDC, the CVM role.
    Default(DefaultCredentialsChain),
}

impl ProvideCredentials for Source {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        match self {
            Source::Flags(credentials) => credentials.provide_credentials(),
            Source::Profile(provider) => provider.provide_credentials(),
            Source::Default(chain) => chain.provide_credentials(),
        }
    }
}

/// Picks the source for `options`, or says why the flags are inconsistent.
pub fn source(options: &GlobalOptions) -> Result<Source, String> {
    match (&options.secret_id, &options.secret_key, &options.token) {
        (Some(id), Some(key), token) => {
            let credentials = Credentials::new(id, key);
            Ok(Source::Flags(match token {
                Some(token) => credentials.with_token(token),
                None => credentials,
            }))
        }
        (Some(_), None, _) => Err("--secretId is given without --secretKey".into()),
        (None, Some(_), _) => Err("--secretKey is given without --secretId".into()),
        (None, None, Some(_)) => Err(
            "--token is given without --secretId and --secretKey (a session token belongs to \
             the temporary SecretId and SecretKey it was issued with)"
                .into(),
        ),
        (None, None, None) => Ok(match &options.profile {
            Some(profile) => Source::Profile(ProfileFileProvider::new().with_profile(profile)),
            None => Source::Default(DefaultCredentialsChain::new()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(
        id: Option<&str>,
        key: Option<&str>,
        token: Option<&str>,
        profile: Option<&str>,
    ) -> GlobalOptions {
        GlobalOptions {
            secret_id: id.map(str::to_owned),
            secret_key: key.map(str::to_owned),
            token: token.map(str::to_owned),
            profile: profile.map(str::to_owned),
            ..GlobalOptions::default()
        }
    }

    #[test]
    fn flags_win_over_a_profile() {
        let source = source(&options(Some("AKID"), Some("k"), Some("t"), Some("work"))).unwrap();
        match source {
            Source::Flags(credentials) => {
                assert_eq!(credentials, Credentials::new("AKID", "k").with_token("t"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn explicit_profile_is_read() {
        let source = source(&options(None, None, None, Some("work"))).unwrap();
        match source {
            Source::Profile(provider) => assert_eq!(provider.profile(), "work"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn otherwise_the_default_chain() {
        assert!(matches!(
            source(&GlobalOptions::default()).unwrap(),
            Source::Default(_)
        ));
    }

    #[test]
    fn incomplete_flags_are_errors() {
        assert_eq!(
            source(&options(Some("AKID"), None, None, None)).unwrap_err(),
            "--secretId is given without --secretKey"
        );
        assert_eq!(
            source(&options(None, Some("k"), None, None)).unwrap_err(),
            "--secretKey is given without --secretId"
        );
        assert!(source(&options(None, None, Some("t"), None))
            .unwrap_err()
            .starts_with("--token is given without --secretId and --secretKey"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let source = source(&options(Some("AKID"), Some("s3cr3t"), Some("t0k3n"), None)).unwrap();
        let debug = format!("{source:?}");
        assert!(debug.contains("AKID"));
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("t0k3n"),
            "{debug}"
        );
    }
}
