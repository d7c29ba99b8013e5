//! Which credentials a call signs with, resolved as tccli resolves them (its
//! `parse_global_arg`), built on `teo_client::credentials`.
//!
//! # Sources, in order
//!
//! The profile is `--profile NAME`, else `$TCCLI_PROFILE`, else `default`; its tccli files are
//! `~/.tccli/NAME.credential` and `NAME.configure` (see [`crate::profile`]). The credentials
//! are, in order:
//!
//! 1. `--use-cvm-role`: the CVM instance's role ([`InstanceRoleProvider`]);
//! 2. `--secretId` and `--secretKey` (both; `--token` adds a session token to them);
//! 3. without `--profile`: `TENCENTCLOUD_SECRET_ID` and `TENCENTCLOUD_SECRET_KEY` (both), with
//!    `TENCENTCLOUD_TOKEN` (or the SDK's `TENCENTCLOUD_SESSION_TOKEN`);
//! 4. the profile's `.credential`: `"type": "cvm-role"` is the instance role; otherwise its
//!    `secretId` / `secretKey` / `token` (`"sso"` and `"oauth"` keys that tccli let expire are
//!    an error: tccli refreshes them, teo does not). A file without keys is an error when the
//!    profile was named (`--profile`, `$TCCLI_PROFILE`) and skipped for `default`;
//! 5. else `--profile NAME`: that profile of the SDK's `~/.tencentcloud/credentials` (or
//!    `$TENCENTCLOUD_CREDENTIALS_FILE`), via [`ProfileFileProvider`];
//! 6. else the SDK's [`DefaultCredentialsChain`]: the environment, the SDK profile file
//!    (profile `$TENCENTCLOUD_PROFILE` or `default`), TKE OIDC, the CVM instance role.
//!
//! # Assuming a role
//!
//! A role to assume — `--role-arn` / `--role-session-name`, each else (without `--profile`)
//! `TENCENTCLOUD_ROLE_ARN` / `TENCENTCLOUD_ROLE_SESSION_NAME` (both set), else the
//! `.credential`'s `role-arn` / `role-session-name` — wraps those credentials in STS
//! `AssumeRole` ([`AssumeRoleProvider`]), sent to the `.configure`'s `sts.endpoint` when it has
//! one (as tccli), else `sts.tencentcloudapi.com`.
//!
//! # Errors
//!
//! Files are read when the source is picked (bounded, never through a symbolic link; an
//! invalid one is an error naming it); providers are asked when the call is signed, a failure
//! there being the client's `Error::Credentials`. Messages never contain a secret.
//!
//! # Other profile settings
//!
//! [`profile_defaults_with`] gives the rest of the profile — region, output, language, endpoint — for
//! the caller to use where no option was given.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use teo_client::credentials::{
    AssumeRoleProvider, DefaultCredentialsChain, InstanceRoleProvider, ProfileFileProvider,
    ProvideCredentials, ProvideFuture,
};
use teo_client::Credentials;

use crate::options::GlobalOptions;
use crate::profile::{self, Env, ProfileFiles};

/// The credentials source chosen from the command line, the environment and the profile.
#[derive(Debug)]
pub(crate) enum Source {
    /// `--secretId` / `--secretKey` (/ `--token`).
    Flags(Credentials),
    /// `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` (/ `TENCENTCLOUD_TOKEN`).
    Environment(Credentials),
    /// The keys of a tccli profile's `.credential`.
    Tccli {
        // Read by the tests, shown by `Debug`: which file the keys came from.
        #[allow(dead_code)]
        path: PathBuf,
        credentials: Credentials,
    },
    /// `--use-cvm-role`, or a `.credential` of `"type": "cvm-role"`.
    InstanceRole(InstanceRoleProvider),
    /// `--profile NAME` without tccli files: the SDK's profile file.
    Profile(ProfileFileProvider),
    /// Nothing else: the environment, the default profile, TKE OIDC, the CVM role.
    Default(DefaultCredentialsChain),
    /// A role assumed through STS, signing with another source.
    AssumeRole(Box<AssumedRole>),
}

/// A role assumed with the credentials of `base`. The members besides the provider are read by
/// the tests and shown by `Debug`: what the provider was made from.
#[derive(Debug)]
#[allow(dead_code)]
pub(crate) struct AssumedRole {
    pub role_arn: String,
    pub role_session_name: String,
    /// Where STS is.
    pub sts_endpoint: Option<String>,
    pub base: Arc<Source>,
    provider: AssumeRoleProvider,
}

impl ProvideCredentials for Source {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        match self {
            Source::Flags(credentials)
            | Source::Environment(credentials)
            | Source::Tccli { credentials, .. } => credentials.provide_credentials(),
            Source::InstanceRole(provider) => provider.provide_credentials(),
            Source::Profile(provider) => provider.provide_credentials(),
            Source::Default(chain) => chain.provide_credentials(),
            Source::AssumeRole(role) => role.provider.provide_credentials(),
        }
    }
}

/// Picks the source for `options` and the process environment, or says why the options or
/// the profile are unusable. (Calls pick it through [`crate::resolve`], with the profile's
/// settings applied first.)
#[cfg(test)]
pub(crate) fn source(options: &GlobalOptions) -> Result<Source, String> {
    source_with(options, &profile::process_env)
}

/// What a tccli `.credential` says.
#[derive(Debug, Default)]
struct TccliCredential {
    path: PathBuf,
    kind: Option<String>,
    secret_id: Option<String>,
    secret_key: Option<String>,
    token: Option<String>,
    role_arn: Option<String>,
    role_session_name: Option<String>,
    expires_at: Option<i64>,
}

impl TccliCredential {
    fn read(files: &ProfileFiles) -> Result<Option<TccliCredential>, String> {
        let path = files.credential();
        let Some(map) = profile::read_json(&path)? else {
            return Ok(None);
        };
        let member = |key: &str| -> Result<Option<String>, String> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                Some(_) => Err(format!("{}: {key} is not a string", path.display())),
            }
        };
        Ok(Some(TccliCredential {
            kind: member("type")?,
            secret_id: member("secretId")?,
            secret_key: member("secretKey")?,
            token: member("token")?,
            role_arn: member("role-arn")?,
            role_session_name: member("role-session-name")?,
            expires_at: map.get("expiresAt").and_then(Value::as_i64),
            path,
        }))
    }
}

/// The source for `options` and the environment `env`, or why the options or the profile are
/// unusable.
pub(crate) fn source_with(options: &GlobalOptions, env: Env<'_>) -> Result<Source, String> {
    let flags = flag_credentials(options)?;
    if options.use_cvm_role && flags.is_some() {
        return Err(
            "--use-cvm-role signs with the CVM instance's role; it cannot be given \
                    with --secretId/--secretKey"
                .into(),
        );
    }
    let named_profile = options.profile.is_some();
    let profile_env = env("TCCLI_PROFILE").is_some_and(|p| !p.trim().is_empty());
    let name = profile::profile_name(options.profile.as_deref(), env);
    // No HOME, or a name that is no file name (an SDK profile may be called anything): no
    // tccli files.
    let files = ProfileFiles::locate(&name, env).ok();
    let tccli = match &files {
        Some(files) => TccliCredential::read(files)?,
        None => None,
    };
    let role = role(options, env, tccli.as_ref())?;

    let base = if options.use_cvm_role {
        Source::InstanceRole(InstanceRoleProvider::new())
    } else if let Some(credentials) = flags {
        Source::Flags(credentials)
    } else if let Some(credentials) = environment_credentials(options, env) {
        Source::Environment(credentials)
    } else if let Some(file) = tccli.filter(|f| {
        // A file without keys (empty ones, or only a role) stops here when the profile was
        // named; the default profile's is passed over.
        f.kind.is_some()
            || f.secret_id.is_some()
            || f.secret_key.is_some()
            || named_profile
            || profile_env
    }) {
        from_tccli_file(file, &name)?
    } else if let Some(profile) = &options.profile {
        Source::Profile(ProfileFileProvider::new().with_profile(profile))
    } else {
        Source::Default(DefaultCredentialsChain::new())
    };

    let Some((role_arn, role_session_name)) = role else {
        return Ok(base);
    };
    let sts_endpoint = match &files {
        Some(files) => sts_endpoint(files)?,
        None => None,
    };
    let base = Arc::new(base);
    let mut builder = AssumeRoleProvider::builder(
        base.clone() as Arc<dyn ProvideCredentials>,
        &role_arn,
        &role_session_name,
    );
    if let Some(endpoint) = &sts_endpoint {
        builder = builder.endpoint(endpoint);
    }
    Ok(Source::AssumeRole(Box::new(AssumedRole {
        role_arn,
        role_session_name,
        sts_endpoint,
        base,
        provider: builder.build(),
    })))
}

/// `--secretId` / `--secretKey` / `--token`, or why they do not go together.
fn flag_credentials(options: &GlobalOptions) -> Result<Option<Credentials>, String> {
    match (&options.secret_id, &options.secret_key, &options.token) {
        (Some(id), Some(key), token) => {
            let credentials = Credentials::new(id, key);
            Ok(Some(match token {
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
        (None, None, None) => Ok(None),
    }
}

fn set(env: Env<'_>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// tccli's environment credentials: both variables set, and no `--profile`.
fn environment_credentials(options: &GlobalOptions, env: Env<'_>) -> Option<Credentials> {
    if options.profile.is_some() {
        return None;
    }
    let id = set(env, "TENCENTCLOUD_SECRET_ID")?;
    let key = set(env, "TENCENTCLOUD_SECRET_KEY")?;
    let credentials = Credentials::new(id, key);
    Some(
        match set(env, "TENCENTCLOUD_TOKEN").or_else(|| set(env, "TENCENTCLOUD_SESSION_TOKEN")) {
            Some(token) => credentials.with_token(token),
            None => credentials,
        },
    )
}

/// The credentials of a tccli `.credential`.
fn from_tccli_file(file: TccliCredential, profile: &str) -> Result<Source, String> {
    if file.kind.as_deref() == Some("cvm-role") {
        return Ok(Source::InstanceRole(InstanceRoleProvider::new()));
    }
    let (Some(id), Some(key)) = (file.secret_id, file.secret_key) else {
        return Err(format!(
            "{} has no secretId and secretKey; set them with `teo configure set secretId … \
             secretKey … --profile {profile}`",
            file.path.display()
        ));
    };
    if let (Some(kind @ ("sso" | "oauth")), Some(expires_at)) =
        (file.kind.as_deref(), file.expires_at)
    {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if expires_at <= now {
            return Err(format!(
                "the {kind} credentials in {} expired (expiresAt {expires_at}); tccli refreshes \
                 them (e.g. `tccli {kind} login --profile {profile}`), teo does not",
                file.path.display()
            ));
        }
    }
    let credentials = Credentials::new(id, key);
    let mut credentials = match file.token {
        Some(token) => credentials.with_token(token),
        None => credentials,
    };
    if let Some(expires_at) = file.expires_at.filter(|_| file.kind.is_some()) {
        if let Ok(seconds) = u64::try_from(expires_at) {
            credentials = credentials.with_expiry(UNIX_EPOCH + Duration::from_secs(seconds));
        }
    }
    Ok(Source::Tccli {
        path: file.path,
        credentials,
    })
}

/// The role to assume: each of the ARN and the session name from its flag, else (without
/// `--profile`) the environment pair, else the `.credential`. Half a role from the flags is an
/// error; half from elsewhere is ignored, as tccli ignores it.
fn role(
    options: &GlobalOptions,
    env: Env<'_>,
    file: Option<&TccliCredential>,
) -> Result<Option<(String, String)>, String> {
    let env_pair = match (
        set(env, "TENCENTCLOUD_ROLE_ARN"),
        set(env, "TENCENTCLOUD_ROLE_SESSION_NAME"),
    ) {
        (Some(arn), Some(name)) if options.profile.is_none() => Some((arn, name)),
        _ => None,
    };
    let arn = options
        .role_arn
        .clone()
        .or_else(|| env_pair.as_ref().map(|p| p.0.clone()))
        .or_else(|| file.and_then(|f| f.role_arn.clone()));
    let name = options
        .role_session_name
        .clone()
        .or_else(|| env_pair.as_ref().map(|p| p.1.clone()))
        .or_else(|| file.and_then(|f| f.role_session_name.clone()));
    match (arn, name) {
        (Some(arn), Some(name)) => Ok(Some((arn, name))),
        (Some(_), None) if options.role_arn.is_some() => {
            Err("--role-arn is given without --role-session-name".into())
        }
        (None, Some(_)) if options.role_session_name.is_some() => {
            Err("--role-session-name is given without --role-arn".into())
        }
        _ => Ok(None),
    }
}

/// The `.configure`'s `sts.endpoint`, as a URL (tccli stores a bare host).
fn sts_endpoint(files: &ProfileFiles) -> Result<Option<String>, String> {
    let Some(conf) = profile::read_json(&files.configure())? else {
        return Ok(None);
    };
    Ok(conf
        .get("sts")
        .and_then(|sts| sts.get("endpoint"))
        .and_then(Value::as_str)
        .filter(|e| !e.trim().is_empty())
        .map(url))
}

fn url(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    }
}

/// The settings of the tccli profile that apply when no option gives them, as tccli's
/// `parse_global_arg` reads them: the `.configure`'s `_sys_param` and `teo` section.
///
/// Every member is the file's text as it is (a bare host for `endpoint`, as tccli stores it);
/// `None` when the file or the member is missing. [`Defaults::fill`] applies them to options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Defaults {
    /// The profile they come from (`--profile`, `$TCCLI_PROFILE`, `default`).
    pub profile: String,
    /// `_sys_param.region`; without `--profile`, `$TENCENTCLOUD_REGION` overrides it.
    pub region: Option<String>,
    /// `_sys_param.output`: json, text or table.
    pub output: Option<String>,
    /// `_sys_param.language`: en-US or zh-CN.
    pub language: Option<String>,
    /// `_sys_param.request-client`.
    pub request_client: Option<String>,
    /// `teo.endpoint`, e.g. `teo.intl.tencentcloudapi.com`.
    pub endpoint: Option<String>,
    /// `teo.version`, e.g. `2022-09-01`.
    pub version: Option<String>,
}

/// The profile's settings for `options` (its `--profile`) and the environment `env`: read
/// `~/.tccli/<profile>.configure` and `$TENCENTCLOUD_REGION`. The caller decides which apply
/// (options given on the command line win, as in tccli): [`crate::resolve`] applies them with
/// [`Defaults::fill`] (endpoint, region, language, request client where unset) and takes the
/// output format from them.
///
/// Errors name the file: unreadable, a symbolic link, over 1 MiB, not a JSON object, or a
/// member that is not a string. No `HOME`, a missing file, or a profile name that is no file
/// name give no settings (only `$TENCENTCLOUD_REGION`).
pub(crate) fn profile_defaults_with(
    options: &GlobalOptions,
    env: Env<'_>,
) -> Result<Defaults, String> {
    let name = profile::profile_name(options.profile.as_deref(), env);
    let mut defaults = Defaults {
        profile: name.clone(),
        ..Defaults::default()
    };
    if let Ok(files) = ProfileFiles::locate(&name, env) {
        let path = files.configure();
        if let Some(conf) = profile::read_json(&path)? {
            let string = |section: &str, key: &str| -> Result<Option<String>, String> {
                let value = match conf.get(section) {
                    None | Some(Value::Null) => return Ok(None),
                    Some(Value::Object(map)) => map.get(key),
                    Some(_) => {
                        return Err(format!("{}: {section} is not an object", path.display()))
                    }
                };
                match value {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                    Some(_) => Err(format!(
                        "{}: {section}.{key} is not a string",
                        path.display()
                    )),
                }
            };
            defaults.region = string(profile::SYS_PARAM, "region")?;
            defaults.output = string(profile::SYS_PARAM, "output")?;
            defaults.language = string(profile::SYS_PARAM, "language")?;
            defaults.request_client = string(profile::SYS_PARAM, "request-client")?;
            defaults.endpoint = string(profile::SERVICE, "endpoint")?;
            defaults.version = string(profile::SERVICE, "version")?;
        }
    }
    if options.profile.is_none() {
        if let Some(region) = set(env, "TENCENTCLOUD_REGION") {
            defaults.region = Some(region);
        }
    }
    Ok(defaults)
}

impl Defaults {
    /// Sets the endpoint, region, language and request client of `options` that are unset,
    /// checking each as the option would be checked; an invalid one is an error naming the
    /// profile.
    pub(crate) fn fill(&self, options: &mut GlobalOptions) -> Result<(), String> {
        let unset = [
            ("endpoint", options.endpoint.is_none(), &self.endpoint),
            ("region", options.region.is_none(), &self.region),
            ("language", options.language.is_none(), &self.language),
            (
                "request-client",
                options.request_client.is_none(),
                &self.request_client,
            ),
        ];
        for (name, unset, value) in unset {
            let Some(value) = value.as_ref().filter(|_| unset) else {
                continue;
            };
            options
                .set(name, value.clone())
                .map_err(|(expected, reason)| {
                    format!(
                        "profile {}: {name}: {reason} (expected {expected})",
                        self.profile
                    )
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// A fresh HOME with a `.tccli` directory, removed on drop.
    struct Home(PathBuf);

    impl Home {
        fn new() -> Home {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "teo-credentials-unit-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(path.join(".tccli")).unwrap();
            Home(path)
        }

        fn write(&self, name: &str, text: &str) -> &Home {
            fs::write(self.0.join(".tccli").join(name), text).unwrap();
            self
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(".tccli").join(name)
        }
    }

    impl Drop for Home {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// An environment of `vars` with HOME at `home`.
    fn env(home: &Home, vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("HOME".into(), home.0.to_str().unwrap().into());
        move |name: &str| map.get(name).cloned()
    }

    fn resolve(
        home: &Home,
        options: &GlobalOptions,
        vars: &[(&str, &str)],
    ) -> Result<Source, String> {
        source_with(options, &env(home, vars))
    }

    fn no_home(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flags_win_over_a_profile() {
        let source = source_with(
            &options(Some("AKID"), Some("k"), Some("t"), Some("work")),
            &no_home,
        )
        .unwrap();
        match source {
            Source::Flags(credentials) => {
                assert_eq!(credentials, Credentials::new("AKID", "k").with_token("t"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn explicit_profile_without_tccli_files_is_the_sdk_profile() {
        let home = Home::new();
        let source = resolve(&home, &options(None, None, None, Some("work")), &[]).unwrap();
        match source {
            Source::Profile(provider) => assert_eq!(provider.profile(), "work"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn otherwise_the_default_chain() {
        let home = Home::new();
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &[]).unwrap(),
            Source::Default(_)
        ));
        assert!(matches!(
            source_with(&GlobalOptions::default(), &no_home).unwrap(),
            Source::Default(_)
        ));
    }

    #[test]
    fn incomplete_flags_are_errors() {
        let check = |o: GlobalOptions| source_with(&o, &no_home).unwrap_err();
        assert_eq!(
            check(options(Some("AKID"), None, None, None)),
            "--secretId is given without --secretKey"
        );
        assert_eq!(
            check(options(None, Some("k"), None, None)),
            "--secretKey is given without --secretId"
        );
        assert!(check(options(None, None, Some("t"), None))
            .starts_with("--token is given without --secretId and --secretKey"));
        let half_role = GlobalOptions {
            role_arn: Some("arn".into()),
            ..GlobalOptions::default()
        };
        assert_eq!(
            check(half_role),
            "--role-arn is given without --role-session-name"
        );
        let cvm_and_keys = GlobalOptions {
            use_cvm_role: true,
            ..options(Some("AKID"), Some("k"), None, None)
        };
        assert!(check(cvm_and_keys).starts_with("--use-cvm-role"));
    }

    #[test]
    fn debug_shows_no_secret() {
        let source = source_with(
            &options(Some("AKID"), Some("s3cr3t"), Some("t0k3n"), None),
            &no_home,
        )
        .unwrap();
        let debug = format!("{source:?}");
        assert!(debug.contains("AKID"));
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("t0k3n"),
            "{debug}"
        );
    }

    const ENV_KEYS: &[(&str, &str)] = &[
        ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
        ("TENCENTCLOUD_SECRET_KEY", "envkey"),
        ("TENCENTCLOUD_TOKEN", "envtoken"),
    ];

    #[test]
    fn environment_keys_come_before_the_profile_unless_one_is_named() {
        let home = Home::new();
        home.write(
            "default.credential",
            r#"{"secretId": "AKIDfile", "secretKey": "filekey"}"#,
        );
        match resolve(&home, &GlobalOptions::default(), ENV_KEYS).unwrap() {
            Source::Environment(c) => {
                assert_eq!(
                    c,
                    Credentials::new("AKIDenv", "envkey").with_token("envtoken")
                )
            }
            other => panic!("{other:?}"),
        }
        // --profile: tccli ignores the environment's keys.
        match resolve(&home, &options(None, None, None, Some("default")), ENV_KEYS).unwrap() {
            Source::Tccli { credentials, path } => {
                assert_eq!(credentials, Credentials::new("AKIDfile", "filekey"));
                assert_eq!(path, home.path("default.credential"));
            }
            other => panic!("{other:?}"),
        }
        // One variable alone is no pair.
        match resolve(
            &home,
            &GlobalOptions::default(),
            &[("TENCENTCLOUD_SECRET_ID", "AKIDenv")],
        )
        .unwrap()
        {
            Source::Tccli { .. } => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_tccli_profile_comes_from_tccli_profile() {
        let home = Home::new();
        home.write(
            "work.credential",
            r#"{"secretId": "AKIDwork", "secretKey": "workkey", "token": "worktoken"}"#,
        );
        match resolve(
            &home,
            &GlobalOptions::default(),
            &[("TCCLI_PROFILE", "work")],
        )
        .unwrap()
        {
            Source::Tccli { credentials, .. } => assert_eq!(
                credentials,
                Credentials::new("AKIDwork", "workkey").with_token("worktoken")
            ),
            other => panic!("{other:?}"),
        }
        // Not without it.
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &[]).unwrap(),
            Source::Default(_)
        ));
    }

    #[test]
    fn a_credential_file_without_keys() {
        let home = Home::new();
        home.write("default.credential", r#"{"secretId": "", "secretKey": ""}"#);
        home.write("p.credential", r#"{"token": null}"#);
        // The default profile's: skipped.
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &[]).unwrap(),
            Source::Default(_)
        ));
        // A named profile's: an error naming the file.
        let message = resolve(&home, &options(None, None, None, Some("p")), &[]).unwrap_err();
        assert!(
            message.contains("p.credential has no secretId"),
            "{message}"
        );
    }

    #[test]
    fn cvm_role_from_flag_or_file() {
        let home = Home::new();
        let flag = GlobalOptions {
            use_cvm_role: true,
            ..GlobalOptions::default()
        };
        assert!(matches!(
            resolve(&home, &flag, &[]).unwrap(),
            Source::InstanceRole(_)
        ));
        home.write("default.credential", r#"{"type": "cvm-role"}"#);
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &[]).unwrap(),
            Source::InstanceRole(_)
        ));
        // Keys given otherwise win over the file's type, as in tccli.
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), ENV_KEYS).unwrap(),
            Source::Environment(_)
        ));
    }

    #[test]
    fn roles_wrap_the_other_credentials() {
        let home = Home::new();
        home.write(
            "default.credential",
            r#"{"secretId": "AKIDfile", "secretKey": "filekey",
                "role-arn": "qcs::cam::uin/1:roleName/file", "role-session-name": "file-session"}"#,
        );
        home.write(
            "default.configure",
            r#"{"_sys_param": {}, "sts": {"endpoint": "sts.example.com", "version": "2018-08-13"}}"#,
        );
        let role = |source: Source| match source {
            Source::AssumeRole(role) => role,
            other => panic!("{other:?}"),
        };
        let from_file = role(resolve(&home, &GlobalOptions::default(), &[]).unwrap());
        assert_eq!(from_file.role_arn, "qcs::cam::uin/1:roleName/file");
        assert_eq!(from_file.role_session_name, "file-session");
        assert_eq!(
            from_file.sts_endpoint.as_deref(),
            Some("https://sts.example.com")
        );
        assert!(matches!(*from_file.base, Source::Tccli { .. }));

        // The environment's pair beats the file's; a flag beats both, field by field.
        let vars = [
            ("TENCENTCLOUD_ROLE_ARN", "env-arn"),
            ("TENCENTCLOUD_ROLE_SESSION_NAME", "env-session"),
        ];
        let from_env = role(resolve(&home, &GlobalOptions::default(), &vars).unwrap());
        assert_eq!(
            (
                from_env.role_arn.as_str(),
                from_env.role_session_name.as_str()
            ),
            ("env-arn", "env-session")
        );
        let flag = GlobalOptions {
            role_arn: Some("flag-arn".into()),
            use_cvm_role: true,
            ..GlobalOptions::default()
        };
        let from_flag = role(resolve(&home, &flag, &vars).unwrap());
        assert_eq!(
            (
                from_flag.role_arn.as_str(),
                from_flag.role_session_name.as_str()
            ),
            ("flag-arn", "env-session")
        );
        assert!(matches!(*from_flag.base, Source::InstanceRole(_)));
        // A half pair in the environment is ignored.
        home.write(
            "default.credential",
            r#"{"secretId": "AKIDfile", "secretKey": "k"}"#,
        );
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &vars[..1]).unwrap(),
            Source::Tccli { .. }
        ));
    }

    #[test]
    fn expired_sso_keys_are_an_error() {
        let home = Home::new();
        home.write(
            "default.credential",
            r#"{"type": "sso", "secretId": "AKIDsso", "secretKey": "ssokey", "token": "t",
                "expiresAt": 1000}"#,
        );
        let message = resolve(&home, &GlobalOptions::default(), &[]).unwrap_err();
        assert!(message.contains("expired"), "{message}");
        home.write(
            "default.credential",
            r#"{"type": "oauth", "secretId": "AKIDsso", "secretKey": "ssokey", "token": "t",
                "expiresAt": 99999999999}"#,
        );
        assert!(matches!(
            resolve(&home, &GlobalOptions::default(), &[]).unwrap(),
            Source::Tccli { .. }
        ));
    }

    #[test]
    fn invalid_files_are_errors_naming_them() {
        let home = Home::new();
        home.write("default.credential", "{\"secretId\": \"AKIDhalf");
        let message = resolve(&home, &GlobalOptions::default(), &[]).unwrap_err();
        assert!(
            message.contains(home.path("default.credential").to_str().unwrap()),
            "{message}"
        );
        assert!(!message.contains("AKIDhalf"), "{message}");
        home.write(
            "default.credential",
            r#"{"secretId": 12, "secretKey": "k"}"#,
        );
        let message = resolve(&home, &GlobalOptions::default(), &[]).unwrap_err();
        assert!(message.contains("secretId is not a string"), "{message}");
    }

    #[test]
    fn profile_defaults_read_the_configure_file() {
        let home = Home::new();
        home.write(
            "default.configure",
            r#"{"_sys_param": {"region": "ap-guangzhou", "output": "table", "language": "zh-CN",
                "arrayCount": 10, "request-client": "ci"},
                "teo": {"endpoint": "teo.tencentcloudapi.com", "version": "2022-09-01"}}"#,
        );
        let defaults = profile_defaults_with(&GlobalOptions::default(), &env(&home, &[])).unwrap();
        assert_eq!(
            defaults,
            Defaults {
                profile: "default".into(),
                region: Some("ap-guangzhou".into()),
                output: Some("table".into()),
                language: Some("zh-CN".into()),
                request_client: Some("ci".into()),
                endpoint: Some("teo.tencentcloudapi.com".into()),
                version: Some("2022-09-01".into()),
            }
        );
        // TENCENTCLOUD_REGION overrides the file, unless a profile is named.
        let vars = [("TENCENTCLOUD_REGION", "eu-frankfurt")];
        let defaults =
            profile_defaults_with(&GlobalOptions::default(), &env(&home, &vars)).unwrap();
        assert_eq!(defaults.region.as_deref(), Some("eu-frankfurt"));
        let named = options(None, None, None, Some("default"));
        let defaults = profile_defaults_with(&named, &env(&home, &vars)).unwrap();
        assert_eq!(defaults.region.as_deref(), Some("ap-guangzhou"));

        // fill: only what is unset.
        let mut options = GlobalOptions {
            region: Some("flag-region".into()),
            ..GlobalOptions::default()
        };
        defaults.fill(&mut options).unwrap();
        assert_eq!(options.region.as_deref(), Some("flag-region"));
        assert_eq!(options.endpoint.as_deref(), Some("teo.tencentcloudapi.com"));
        assert_eq!(options.language, Some(teo_client::Language::ZhCn));
        assert_eq!(options.request_client.as_deref(), Some("ci"));

        // No file: nothing.
        let other = options_profile("missing");
        let defaults = profile_defaults_with(&other, &env(&home, &[])).unwrap();
        assert_eq!(defaults.region, None);
        // A bad one: an error naming it.
        home.write("bad.configure", r#"{"_sys_param": {"region": 1}}"#);
        let message = profile_defaults_with(&options_profile("bad"), &env(&home, &[])).unwrap_err();
        assert!(
            message.contains("bad.configure: _sys_param.region"),
            "{message}"
        );
    }

    fn options_profile(name: &str) -> GlobalOptions {
        options(None, None, None, Some(name))
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_credential_file_is_refused() {
        let home = Home::new();
        let target = home.0.join("real.credential");
        fs::write(&target, r#"{"secretId": "AKID", "secretKey": "k"}"#).unwrap();
        std::os::unix::fs::symlink(&target, home.path("default.credential")).unwrap();
        let message = resolve(&home, &GlobalOptions::default(), &[]).unwrap_err();
        assert!(message.contains("symbolic link"), "{message}");
    }
}
