//! What a call is made with — endpoint, region, language, timeout, proxy, request client and the
//! credentials (an assumed role included) — resolved in one place for every command that calls
//! the API: `teo <Action>` ([`crate::action`]) and `teo logs download` ([`crate::logs`]), so a
//! profile means the same to both.
//!
//! Each setting is the flag, else the environment (`TENCENTCLOUD_REGION`, the credential and
//! role variables), else the named profile (`--profile`, `$TCCLI_PROFILE`), else the default
//! profile: [`credentials::profile_defaults_with`] reads the `.configure` (`_sys_param`, `teo.endpoint`)
//! and [`credentials::source_with`] the `.credential`. Timeout and proxy have no profile setting in
//! tccli's files, so they come from the flags only (the client honours `HTTPS_PROXY` by itself).
//! A profile that was named but exists nowhere is refused first ([`missing_profile`]).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::credentials::{self, Source};
use crate::failure::{printable, Failure};
use crate::options::GlobalOptions;
use crate::profile::{process_env, Env, ProfileFiles};

/// The options of a call with the profile's settings filled in, and its credentials.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The command line's options, with what it left unset taken from the profile.
    pub options: GlobalOptions,
    /// The profile's `_sys_param.output` (json, table, text), for `teo <Action>`.
    pub output: Option<String>,
    /// What the call signs with.
    pub credentials: Source,
}

/// Resolves `options` with the process environment and the profile files under `$HOME`.
pub(crate) fn resolve(options: &GlobalOptions) -> Result<Resolved, Failure> {
    resolve_with(options, &process_env)
}

/// [`resolve`] with the environment given. Every error is a usage error (exit 2): nothing is
/// sent when the configuration is unusable.
pub(crate) fn resolve_with(options: &GlobalOptions, env: Env<'_>) -> Result<Resolved, Failure> {
    let config = |e: String| Failure::usage(format!("[Config] {e}"));
    if let Some(message) = missing_profile(options, env) {
        return Err(config(message));
    }
    let defaults = credentials::profile_defaults_with(options, env).map_err(config)?;
    let mut filled = options.clone();
    defaults.fill(&mut filled).map_err(config)?;
    let credentials = credentials::source_with(&filled, env)
        .map_err(|e| Failure::usage(format!("[Credentials] {e}")))?;
    Ok(Resolved {
        options: filled,
        output: defaults.output,
        credentials,
    })
}

/// The largest SDK credentials file looked into, as the SDK reads it (64 KiB).
const MAX_SDK_FILE: u64 = 64 << 10;

/// When a profile was named — `--profile NAME`, or `$TCCLI_PROFILE` other than `default` (the
/// profile used when none is named, whose absence only means "no settings") — and exists nowhere:
/// the message naming it and every file looked for. A profile exists when its tccli
/// `.credential` or `.configure` exists, or the SDK's credentials file has its `[NAME]` section.
///
/// A file that exists but cannot be read is not judged here: the reader that needs it reports
/// it, naming the file and cause.
pub(crate) fn missing_profile(options: &GlobalOptions, env: Env<'_>) -> Option<String> {
    let from_env = env("TCCLI_PROFILE").filter(|p| !p.trim().is_empty() && p != "default");
    let name = options.profile.clone().or(from_env)?;
    let mut looked = Vec::new();
    match ProfileFiles::locate(&name, env) {
        Ok(files) => {
            for path in [files.credential(), files.configure()] {
                if path.symlink_metadata().is_ok() {
                    return None;
                }
                looked.push(path.display().to_string());
            }
        }
        Err(why) => looked.push(format!("no tccli files ({why})")),
    }
    match sdk_credentials_file(env) {
        Some(path) => match has_section(&path, &name) {
            Some(false) => looked.push(format!("a [{name}] section in {}", path.display())),
            // There, or there and unreadable (its reader will say why).
            Some(true) | None => return None,
        },
        None => looked.push("no SDK credentials file (neither HOME nor USERPROFILE is set)".into()),
    }
    let named_by = match &options.profile {
        Some(_) => "--profile",
        None => "TCCLI_PROFILE",
    };
    Some(format!(
        "profile {:?} (named by {named_by}) does not exist: looked for {}. Create it with \
         `teo configure --profile {}` (or `teo configure set secretId … secretKey … --profile {}`)",
        printable(&name),
        looked.join(", "),
        printable(&name),
        printable(&name),
    ))
}

/// The SDK's credentials file: `$TENCENTCLOUD_CREDENTIALS_FILE`, else
/// `~/.tencentcloud/credentials` (as [`teo_client::credentials::ProfileFileProvider`] finds it).
fn sdk_credentials_file(env: Env<'_>) -> Option<PathBuf> {
    let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(path) = set("TENCENTCLOUD_CREDENTIALS_FILE") {
        return Some(PathBuf::from(path));
    }
    let home = set("HOME").or_else(|| set("USERPROFILE"))?;
    Some(Path::new(&home).join(".tencentcloud").join("credentials"))
}

/// Whether the INI file at `path` has a `[name]` section: `Some(false)` when the file is
/// missing, `None` when it cannot be read or is too large to be one (not judged here).
fn has_section(path: &Path, name: &str) -> Option<bool> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(false),
        Err(_) => return None,
    };
    let mut text = String::new();
    file.take(MAX_SDK_FILE + 1).read_to_string(&mut text).ok()?;
    if text.len() as u64 > MAX_SDK_FILE {
        return None;
    }
    Some(text.lines().any(|line| {
        let line = line.trim().trim_start_matches('\u{feff}').trim();
        line.strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .is_some_and(|section| section.trim() == name)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh HOME, removed on drop.
    struct Home(PathBuf);

    impl Home {
        fn new() -> Home {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "teo-resolve-unit-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(path.join(".tccli")).unwrap();
            Home(path)
        }

        fn write(&self, name: &str, text: &str) {
            let path = self.0.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }

        fn env(&self, vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
            let mut map: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            map.insert("HOME".into(), self.0.to_str().unwrap().into());
            move |name: &str| map.get(name).cloned()
        }
    }

    impl Drop for Home {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn named(profile: &str) -> GlobalOptions {
        GlobalOptions {
            profile: Some(profile.into()),
            ..GlobalOptions::default()
        }
    }

    #[test]
    fn a_named_profile_that_exists_nowhere_names_every_file_looked_for() {
        let home = Home::new();
        let failure = resolve_with(&named("nosuch"), &home.env(&[])).unwrap_err();
        assert_eq!(failure.code, crate::failure::EXIT_USAGE);
        let tccli = home.0.join(".tccli");
        for part in [
            "profile \"nosuch\" (named by --profile) does not exist".to_owned(),
            tccli.join("nosuch.credential").display().to_string(),
            tccli.join("nosuch.configure").display().to_string(),
            format!(
                "a [nosuch] section in {}",
                home.0.join(".tencentcloud/credentials").display()
            ),
        ] {
            assert!(failure.message.contains(&part), "{part}: {failure:?}");
        }
        // $TCCLI_PROFILE names one too; $TENCENTCLOUD_CREDENTIALS_FILE is the SDK file looked in.
        let vars = [
            ("TCCLI_PROFILE", "nosuch"),
            ("TENCENTCLOUD_CREDENTIALS_FILE", "/nonexistent/teo-sdk-file"),
        ];
        let failure = resolve_with(&GlobalOptions::default(), &home.env(&vars)).unwrap_err();
        assert!(
            failure.message.contains("(named by TCCLI_PROFILE)")
                && failure
                    .message
                    .contains("a [nosuch] section in /nonexistent/teo-sdk-file"),
            "{failure:?}"
        );
        // Flags do not make a named profile exist.
        let flags = GlobalOptions {
            secret_id: Some("AKID".into()),
            secret_key: Some("k".into()),
            ..named("nosuch")
        };
        assert!(resolve_with(&flags, &home.env(&[])).is_err());
    }

    #[test]
    fn a_profile_exists_in_any_of_its_files() {
        let home = Home::new();
        let env = home.env(&[]);
        // The default profile is never missing: it is what is used when none is named.
        assert!(missing_profile(&GlobalOptions::default(), &env).is_none());
        assert!(missing_profile(
            &GlobalOptions::default(),
            &home.env(&[("TCCLI_PROFILE", "default")])
        )
        .is_none());
        home.write(".tccli/a.configure", "{}");
        home.write(".tccli/b.credential", "{}");
        home.write(
            ".tencentcloud/credentials",
            "\u{feff}[default]\nsecret_id = x\n [ c ] \nsecret_id = y\n# [d]\n",
        );
        for present in ["a", "b", "c"] {
            assert!(
                missing_profile(&named(present), &env).is_none(),
                "{present}"
            );
        }
        assert!(missing_profile(&named("d"), &env).is_some());
        // Unreadable (here a directory): not judged, its reader says why.
        home.write("dir-file/x", "");
        let vars = [(
            "TENCENTCLOUD_CREDENTIALS_FILE",
            home.0.join("dir-file").to_str().unwrap().to_owned(),
        )];
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(missing_profile(&named("d"), &home.env(&vars)).is_none());
        // No HOME at all: said so.
        let message = missing_profile(&named("d"), &|_: &str| None).unwrap();
        assert!(message.contains("HOME is not set"), "{message}");
        assert!(
            message.contains("neither HOME nor USERPROFILE"),
            "{message}"
        );
    }

    #[test]
    fn flags_then_environment_then_profile() {
        let home = Home::new();
        home.write(
            ".tccli/default.configure",
            r#"{"_sys_param": {"region": "ap-guangzhou", "language": "zh-CN", "output": "table",
                "request-client": "ci"}, "teo": {"endpoint": "teo.tencentcloudapi.com"}}"#,
        );
        home.write(
            ".tccli/default.credential",
            r#"{"secretId": "AKIDfile", "secretKey": "filekey"}"#,
        );
        let resolved = resolve_with(&GlobalOptions::default(), &home.env(&[])).unwrap();
        assert_eq!(
            resolved.options.endpoint.as_deref(),
            Some("teo.tencentcloudapi.com")
        );
        assert_eq!(resolved.options.region.as_deref(), Some("ap-guangzhou"));
        assert_eq!(resolved.options.language, Some(teo_client::Language::ZhCn));
        assert_eq!(resolved.options.request_client.as_deref(), Some("ci"));
        assert_eq!(resolved.output.as_deref(), Some("table"));
        assert!(matches!(resolved.credentials, Source::Tccli { .. }));

        let env = home.env(&[("TENCENTCLOUD_REGION", "eu-frankfurt")]);
        let flags = GlobalOptions {
            endpoint: Some("http://127.0.0.1:9".into()),
            ..GlobalOptions::default()
        };
        let resolved = resolve_with(&flags, &env).unwrap();
        assert_eq!(
            resolved.options.endpoint.as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(resolved.options.region.as_deref(), Some("eu-frankfurt"));
        // A bad value in the profile is an error naming it.
        home.write(
            ".tccli/bad.configure",
            r#"{"_sys_param": {"language": "fr-FR"}}"#,
        );
        let failure = resolve_with(&named("bad"), &home.env(&[])).unwrap_err();
        assert!(
            failure
                .message
                .starts_with("[Config] profile bad: language"),
            "{failure:?}"
        );
    }
}
