//! `teo configure`: tccli's subcommands on the profile files ([`crate::profile`]), so that a
//! profile made by either tool works in the other.
//!
//! The subcommands are tccli's: `teo configure` (prompts for secretId, secretKey, region and
//! output; answers are read line by line from stdin when it is not a terminal), `list`, `get
//! KEY…`, `set KEY VALUE [KEY VALUE…]`, `remove`, `set-root-domain DOMAIN`. A secret (secretId,
//! secretKey, token) is only ever printed masked: 16 `*` and its last four characters, or
//! nothing of it when it is shorter than 8.

use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value};

use crate::failure::{printable, Failure};
use crate::profile::{
    load_configure, process_env, profile_name, read_json, service_section, sys_param, write_json,
    Env, ProfileFiles, CONFIG_KEYS, CREDENTIAL_KEYS, DEFAULT_OUTPUT, DEFAULT_REGION, SECRET_KEYS,
    SYS_PARAM,
};
use crate::stdout;

const OUTPUTS: &[&str] = &["json", "text", "table"];

/// What `teo configure` reads and writes besides the files.
pub(crate) struct Io<'a> {
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Whether `input` is a terminal (prompts are then answered there; a closed input cancels).
    pub terminal: bool,
    pub env: Env<'a>,
}

/// Runs `teo configure …` (the arguments after `configure`).
pub(crate) fn run(args: &[OsString]) -> ExitCode {
    let stdin = io::stdin();
    let terminal = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut out = io::stdout();
    let mut err = io::stderr();
    let mut io = Io {
        input: &mut input,
        out: &mut out,
        err: &mut err,
        terminal,
        env: &process_env,
    };
    match execute(args, &mut io) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = io.out.flush();
            eprintln!("{}", printable(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Subcommand {
    Interactive,
    List,
    Get(Vec<String>),
    Set(Vec<String>),
    Remove,
    SetRootDomain(Vec<String>),
    Help,
}

/// The subcommand and `--profile`, from the arguments after `configure`.
fn parse(args: &[OsString]) -> Result<(Subcommand, Option<String>), Failure> {
    let mut profile = None;
    let mut words: Vec<String> = Vec::new();
    let mut help = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .to_str()
            .ok_or_else(|| Failure::usage(format!("argument {arg:?} is not valid UTF-8")))?;
        if arg == "--profile" {
            let value = args
                .next()
                .and_then(|v| v.to_str())
                .ok_or_else(|| Failure::usage("--profile needs a profile name"))?;
            profile = Some(value.to_owned());
        } else if let Some(value) = arg.strip_prefix("--profile=") {
            profile = Some(value.to_owned());
        } else if matches!(arg, "--help" | "-h") || (arg == "help" && words.len() <= 1) {
            help = true;
        } else if arg.starts_with("--") {
            return Err(Failure::usage(format!(
                "unknown option {} for `teo configure`; run `teo configure help`",
                printable(arg)
            )));
        } else {
            words.push(arg.to_owned());
        }
    }
    if help {
        return Ok((Subcommand::Help, profile));
    }
    let mut words = words.into_iter();
    let command = match words.next().as_deref() {
        None => Subcommand::Interactive,
        Some("list") => Subcommand::List,
        Some("get") => Subcommand::Get(words.by_ref().collect()),
        Some("set") => Subcommand::Set(words.by_ref().collect()),
        Some("remove") => Subcommand::Remove,
        Some("set-root-domain") => Subcommand::SetRootDomain(words.by_ref().collect()),
        Some(other) => {
            return Err(Failure::usage(format!(
                "unknown subcommand `{}` of `teo configure` (list, get, set, remove, \
                 set-root-domain); run `teo configure help`",
                printable(other)
            )))
        }
    };
    if let Some(extra) = words.next() {
        return Err(Failure::usage(format!(
            "unexpected argument `{}`; run `teo configure help`",
            printable(&extra)
        )));
    }
    Ok((command, profile))
}

/// `teo configure …` with its input and output given: testable without a process.
pub(crate) fn execute(args: &[OsString], io: &mut Io<'_>) -> Result<(), Failure> {
    let (command, profile) = parse(args)?;
    if command == Subcommand::Help {
        return put(io.out, HELP);
    }
    let name = profile_name(profile.as_deref(), io.env);
    let files = ProfileFiles::locate(&name, io.env).map_err(Failure::usage)?;
    match command {
        Subcommand::Help => Ok(()),
        Subcommand::Interactive => interactive(&files, io),
        Subcommand::List => list(&files, io),
        Subcommand::Get(keys) => get(&files, &keys, io),
        Subcommand::Set(pairs) => set(&files, &pairs),
        Subcommand::Remove => remove(&files, io),
        Subcommand::SetRootDomain(domain) => set_root_domain(&files, &domain),
    }
}

const HELP: &str = "\
teo configure: the profiles of teo and tccli (~/.tccli/<profile>.configure and .credential)

Usage:
  teo configure [--profile NAME]                   prompt for secretId, secretKey, region, output
  teo configure list [--profile NAME]              show the profile (secrets masked)
  teo configure get KEY... [--profile NAME]        show settings (secrets masked)
  teo configure set KEY VALUE [KEY VALUE]... [--profile NAME]
  teo configure remove [--profile NAME]            delete the profile's two files
  teo configure set-root-domain DOMAIN [--profile NAME]
                                                   endpoints become <service>.DOMAIN

The profile is --profile, else $TCCLI_PROFILE, else `default`. Calls use it as tccli does:
`teo <Action> --profile NAME`.

Keys:
  secretId, secretKey, token         the credentials (stored in <profile>.credential)
  role-arn, role-session-name        a CAM role to assume with them through STS
  region, output, language           settings (output: json, text or table; language: en-US or
  arrayCount, warning, request-client    zh-CN), stored in <profile>.configure
  teo.endpoint, teo.version          where teo calls go and the API version
  sts.endpoint                       where assume-role calls go

Without a terminal, `teo configure` reads its four answers line by line from stdin (an empty
line keeps the current value). Files are written owner-only (0600, directory 0700).
";

fn put(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    stdout::write_to(out, text)
        .map_err(|e| Failure::failed(format!("cannot write the output: {e}")))
}

fn read(path: &Path) -> Result<Option<Map<String, Value>>, Failure> {
    read_json(path).map_err(Failure::failed)
}

fn write(path: &Path, map: &Map<String, Value>) -> Result<(), Failure> {
    write_json(path, map).map_err(Failure::failed)
}

/// `teo configure list`: tccli's listing, secrets masked.
fn list(files: &ProfileFiles, io: &mut Io<'_>) -> Result<(), Failure> {
    let cred = read(&files.credential())?;
    let conf = read(&files.configure())?;
    let mut text = String::from("credential:\n");
    if let Some(cred) = &cred {
        for key in CREDENTIAL_KEYS {
            if let Some(value) = cred.get(*key).filter(|v| truthy(v)) {
                text.push_str(&format!("{key} = {}\n", shown(key, value)));
            }
        }
    }
    text.push_str("configure:\n");
    if let Some(conf) = &conf {
        if let Some(Value::Object(sys)) = conf.get(SYS_PARAM) {
            for key in CONFIG_KEYS {
                if let Some(value) = sys.get(*key).filter(|v| truthy(v)) {
                    text.push_str(&format!("{key} = {}\n", shown(key, value)));
                }
            }
        }
        let mut services: Vec<&String> = conf.keys().filter(|k| *k != SYS_PARAM).collect();
        services.sort();
        for service in services {
            // As tccli: the version, then the endpoint, of each service that has them.
            let Some(Value::Object(section)) = conf.get(service) else {
                continue;
            };
            let service = printable(service);
            let Some(version) = section.get("version") else {
                continue;
            };
            text.push_str(&format!("{service}.version = {}\n", shown("", version)));
            if let Some(endpoint) = section.get("endpoint") {
                text.push_str(&format!("{service}.endpoint = {}\n", shown("", endpoint)));
            }
        }
    }
    put(io.out, &text)
}

/// `teo configure get KEY…`: `_sys_param`, then the credential, then `service.key`.
fn get(files: &ProfileFiles, keys: &[String], io: &mut Io<'_>) -> Result<(), Failure> {
    if keys.is_empty() {
        return Err(Failure::usage(
            "`teo configure get` needs the keys to show, e.g. `teo configure get region`",
        ));
    }
    let conf = read(&files.configure())?.unwrap_or_default();
    let cred = read(&files.credential())?.unwrap_or_default();
    let sys = conf.get(SYS_PARAM).and_then(Value::as_object);
    let mut text = String::new();
    for key in keys {
        let value = sys
            .and_then(|sys| sys.get(key))
            .filter(|v| truthy(v))
            .or_else(|| cred.get(key).filter(|v| truthy(v)))
            .or_else(|| {
                let (service, member) = key.split_once('.')?;
                conf.get(service)?.get(member)
            });
        let Some(value) = value else {
            return Err(Failure::failed(format!(
                "{} is not set in profile {} ({} / {})",
                printable(key),
                printable(&files.name),
                files.configure().display(),
                files.credential().display()
            )));
        };
        text.push_str(&format!("{} = {}\n", printable(key), shown(key, value)));
    }
    put(io.out, &text)
}

/// `teo configure set KEY VALUE…`: checked whole, then written (the `.configure` is made if
/// missing, as tccli does on every run).
fn set(files: &ProfileFiles, pairs: &[String]) -> Result<(), Failure> {
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(Failure::usage(
            "`teo configure set` takes KEY VALUE pairs, e.g. \
             `teo configure set region ap-guangzhou output json`",
        ));
    }
    let mut credential: Vec<(&str, String)> = Vec::new();
    let mut config: Vec<(&str, String)> = Vec::new();
    let mut sections: Vec<(&str, &str, String)> = Vec::new();
    for pair in pairs.chunks(2) {
        let (key, value) = (pair[0].as_str(), pair[1].clone());
        if CREDENTIAL_KEYS.contains(&key) {
            credential.push((key, value));
        } else if CONFIG_KEYS.contains(&key) {
            config.push((key, checked_setting(key, value)?));
        } else {
            let bad = || {
                Failure::usage(format!(
                    "unknown key `{}`: set secretId, secretKey, token, role-arn, \
                     role-session-name, region, output, language, arrayCount, warning, \
                     request-client, or SERVICE.KEY such as teo.endpoint",
                    printable(key)
                ))
            };
            let (service, member) = key.split_once('.').ok_or_else(bad)?;
            if service.is_empty() || member.is_empty() || member.contains('.') {
                return Err(bad());
            }
            sections.push((service, member, value));
        }
    }

    let conf_path = files.configure();
    let existed = fs::symlink_metadata(&conf_path).is_ok();
    let mut conf = load_configure(&conf_path).map_err(Failure::failed)?;
    let before = conf.clone();
    for (key, value) in config {
        sys_param(&mut conf).insert(key.to_owned(), value.into());
    }
    for (service, member, value) in sections {
        if !conf.contains_key(service) && matches!(service, "teo" | "sts") {
            conf.insert(service.to_owned(), service_section(service));
        }
        let Some(Value::Object(section)) = conf.get_mut(service) else {
            return Err(Failure::usage(format!(
                "{} has no section `{}` (teo adds `teo` and `sts`; tccli adds the other \
                 services the first time it runs)",
                conf_path.display(),
                printable(service)
            )));
        };
        section.insert(member.to_owned(), value.into());
    }
    // Both files are read (and checked) before either is written.
    let cred_path = files.credential();
    let cred = if credential.is_empty() {
        None
    } else {
        let mut cred = read(&cred_path)?.unwrap_or_default();
        for (key, value) in credential {
            cred.insert(key.to_owned(), value.into());
        }
        Some(cred)
    };
    if !existed || conf != before {
        write(&conf_path, &conf)?;
    }
    if let Some(cred) = cred {
        write(&cred_path, &cred)?;
    }
    Ok(())
}

/// A `_sys_param` value, checked where tccli or teo would reject it later.
fn checked_setting(key: &str, value: String) -> Result<String, Failure> {
    match key {
        "output" if !OUTPUTS.contains(&value.as_str()) => Err(Failure::usage(format!(
            "output must be json, text or table, not {:?}",
            printable(&value)
        ))),
        "language" => match crate::options::language(&value) {
            Ok(teo_client::Language::ZhCn) => Ok("zh-CN".into()),
            Ok(_) => Ok("en-US".into()),
            Err(_) => Err(Failure::usage(format!(
                "language must be en-US or zh-CN, not {:?}",
                printable(&value)
            ))),
        },
        "request-client" => crate::options::request_client(&value).map_err(|reason| {
            Failure::usage(format!(
                "request-client: {reason} ([0-9a-zA-Z-_,.], at most 128 characters)"
            ))
        }),
        _ => Ok(value),
    }
}

/// `teo configure remove`: both files (a link is removed, not followed).
fn remove(files: &ProfileFiles, io: &mut Io<'_>) -> Result<(), Failure> {
    for path in [files.configure(), files.credential()] {
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let _ = writeln!(io.err, "profile file {} does not exist", path.display());
            }
            Err(e) => {
                return Err(Failure::failed(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Ok(())
}

/// `teo configure set-root-domain DOMAIN`: every service's endpoint becomes
/// `<service>.DOMAIN` (`as.` for autoscaling, as tccli).
fn set_root_domain(files: &ProfileFiles, args: &[String]) -> Result<(), Failure> {
    let [domain] = args else {
        return Err(Failure::usage(
            "`teo configure set-root-domain` takes one domain, e.g. \
             `teo configure set-root-domain internal.tencentcloudapi.com`",
        ));
    };
    let path = files.configure();
    let mut conf = load_configure(&path).map_err(Failure::failed)?;
    for (service, section) in conf.iter_mut() {
        if service == SYS_PARAM {
            continue;
        }
        if let Value::Object(section) = section {
            let host = if service == "autoscaling" {
                "as"
            } else {
                service
            };
            section.insert("endpoint".into(), format!("{host}.{domain}").into());
        }
    }
    write(&path, &conf)
}

/// One answer: the line without its end and surrounding blanks. A closed input is an empty
/// answer on a pipe, and cancels on a terminal.
fn ask(io: &mut Io<'_>, prompt: &str) -> Result<Option<String>, Failure> {
    put(io.out, prompt)?;
    let mut line = String::new();
    let read = io
        .input
        .read_line(&mut line)
        .map_err(|e| Failure::failed(format!("cannot read the answer: {e}")))?;
    if !io.terminal {
        // The answer is not echoed: end the prompt's line.
        put(io.out, "\n")?;
    }
    if read == 0 && io.terminal {
        return Ok(None);
    }
    Ok(Some(line.trim().to_owned()))
}

fn cancelled(io: &mut Io<'_>) -> Result<(), Failure> {
    put(
        io.out,
        "\nConfiguration cancelled. No changes were saved.\n",
    )
}

fn confirmed(io: &mut Io<'_>) -> Result<Option<bool>, Failure> {
    Ok(ask(io, "Continue? [y/N]: ")?.map(|answer| answer.eq_ignore_ascii_case("y")))
}

/// `teo configure`: tccli's four prompts (secretId, secretKey, region, output), current values
/// shown masked; an empty answer keeps the value. Like tccli, the credential file is rewritten
/// with the two keys only.
fn interactive(files: &ProfileFiles, io: &mut Io<'_>) -> Result<(), Failure> {
    let cred_path = files.credential();
    let conf_path = files.configure();
    let old = read(&cred_path)?.unwrap_or_default();
    let dynamic = dynamic_method(&old, &cred_path)?;
    if let Some(display) = dynamic {
        put(
            io.out,
            &format!(
                "Current authentication method: {display}.\n\
                 Continuing will switch to static SecretId/SecretKey credentials.\n\
                 The existing credential refresh capability will no longer be used.\n"
            ),
        )?;
        if confirmed(io)? != Some(true) {
            return cancelled(io);
        }
    }

    let mut conf = load_configure(&conf_path).map_err(Failure::failed)?;
    let current = |key: &str, default: &str| match conf
        .get(SYS_PARAM)
        .and_then(|sys| sys.get(key))
        .filter(|v| truthy(v))
    {
        Some(value) => text(value),
        None => default.to_owned(),
    };
    let mut region = current("region", DEFAULT_REGION);
    let mut output = current("output", DEFAULT_OUTPUT);

    let mut keys = Vec::new();
    for (key, prompt, field) in [
        ("secretId", "TencentCloud API secretId", "SecretId"),
        ("secretKey", "TencentCloud API secretKey", "SecretKey"),
    ] {
        let old_value = old.get(key).map(text).unwrap_or_default();
        let Some(value) = ask_key(io, prompt, field, &old_value, dynamic.is_some())? else {
            return cancelled(io);
        };
        keys.push((key, value));
    }

    let Some(answer) = ask(io, &format!("Default region name[{region}]: "))? else {
        return cancelled(io);
    };
    if !answer.is_empty() {
        region = answer;
    }
    let Some(answer) = ask(io, &format!("Default output format[{output}]: "))? else {
        return cancelled(io);
    };
    if OUTPUTS.contains(&answer.as_str()) {
        output = answer;
    } else if !OUTPUTS.contains(&output.as_str()) {
        put(
            io.out,
            "Output format must be json, text or table. Set as default: json\n",
        )?;
        output = DEFAULT_OUTPUT.to_owned();
    } else if !answer.is_empty() {
        put(
            io.out,
            &format!("Output format must be json, text or table. Kept: {output}\n"),
        )?;
    }

    let sys = sys_param(&mut conf);
    sys.insert("region".into(), region.into());
    sys.insert("output".into(), output.into());
    write(&conf_path, &conf)?;
    let credential: Map<String, Value> = keys
        .iter()
        .map(|(key, value)| ((*key).to_owned(), Value::from(value.as_str())))
        .collect();
    write(&cred_path, &credential)?;

    let empty = keys.iter().any(|(_, value)| value.is_empty());
    put(io.out, &saved(&files.name, dynamic, empty))
}

/// The authentication method tccli refreshes that a `.credential` of this `type` uses
/// (`None` for static keys), as `teo configure` names it before replacing it.
fn dynamic_method(
    credential: &Map<String, Value>,
    path: &Path,
) -> Result<Option<&'static str>, Failure> {
    let kind = match credential.get("type") {
        None => None,
        Some(Value::String(kind)) => Some(kind.as_str()),
        Some(_) => {
            return Err(Failure::failed(format!(
                "{}: type is not a string",
                path.display()
            )))
        }
    };
    match kind {
        None | Some("default") => Ok(None),
        Some("sso") => Ok(Some("SSO")),
        Some("oauth") => Ok(Some("OAuth")),
        Some("cvm-role") => Ok(Some("CVM Role")),
        Some(other) => Err(Failure::failed(format!(
            "Invalid credential type: {} (in {})",
            printable(other),
            path.display()
        ))),
    }
}

/// Asks for secretId or secretKey (`field`): the answer; for an empty one the `old` value, or
/// when replacing a `dynamic` method, an empty value once confirmed. `None`: cancelled.
fn ask_key(
    io: &mut Io<'_>,
    prompt: &str,
    field: &str,
    old: &str,
    dynamic: bool,
) -> Result<Option<String>, Failure> {
    let shown_value = if old.is_empty() {
        "None".to_owned()
    } else {
        mask(old)
    };
    loop {
        let Some(answer) = ask(io, &format!("{prompt}[{shown_value}]: "))? else {
            return Ok(None);
        };
        if !answer.is_empty() {
            return Ok(Some(answer));
        }
        if !dynamic {
            return Ok(Some(old.to_owned()));
        }
        put(
            io.out,
            &format!("{field} will be replaced with an empty value.\n"),
        )?;
        match confirmed(io)? {
            None => return Ok(None),
            Some(true) => return Ok(Some(String::new())),
            Some(false) => {}
        }
    }
}

/// What `teo configure` says once the profile of `name` is written: switched from a `dynamic`
/// method, or saved, and a warning when a key was left `empty`.
fn saved(name: &str, dynamic: Option<&str>, empty: bool) -> String {
    let mut message = String::new();
    if let Some(display) = dynamic {
        message.push_str(&format!(
            "Profile \"{}\" has been switched from {display} to static credentials.\n",
            printable(name)
        ));
    }
    if empty {
        message.push_str(&format!(
            "Warning: SecretId or SecretKey is empty. Subsequent API requests may fail \
             authentication.\nRun `teo configure --profile {}` to update the credentials.\n",
            printable(name)
        ));
    } else if dynamic.is_none() {
        message.push_str("Configure saved successfully.\n");
    }
    message
}

/// A secret as it may be shown: 16 `*` and its last four characters (tccli's mask), or only
/// the stars when it has fewer than 8 characters (its last four would be half of it).
pub(crate) fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let stars = "*".repeat(16);
    if chars.len() < 8 {
        return stars;
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    stars + &printable(&tail)
}

/// A member's value as tccli prints it: strings bare, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's truthiness of a member (tccli skips "falsy" values when listing and getting).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// How a member is shown: masked when it is a secret, made printable otherwise.
fn shown(key: &str, value: &Value) -> String {
    if SECRET_KEYS.contains(&key) {
        mask(&text(value))
    } else {
        printable(&text(value))
    }
}

#[cfg(test)]
mod tests;
