//! tccli's profiles on disk, read and written in tccli's own files so that a profile made by
//! either tool works in the other: `teo configure` edits them, and every call reads its
//! credentials ([`crate::credentials`]) and settings ([`crate::resolve`]) from them.
//!
//! A profile `NAME` (`--profile`, else `$TCCLI_PROFILE`, else `default`) is two JSON files in
//! `$HOME/.tccli/`:
//!
//! * `NAME.configure`: `{"_sys_param": {"region": "ap-guangzhou", "output": "json",
//!   "arrayCount": 10, "warning": "off", "language": "en-US", "request-client": "…"},
//!   "teo": {"endpoint": "teo.intl.tencentcloudapi.com", "version": "2022-09-01"}, …}` — one
//!   object per service (tccli adds every service it knows the first time it runs; `sts.endpoint`
//!   is where assume-role calls go);
//! * `NAME.credential`: `{"secretId": …, "secretKey": …, "token": …, "role-arn": …,
//!   "role-session-name": …}`, or `"type": "cvm-role"` (the CVM instance role), `"sso"` /
//!   `"oauth"` (temporary keys tccli refreshes, with `"expiresAt"` in Unix seconds).
//!
//! The files are written as tccli writes them (2-space indent, sorted keys) but more carefully:
//! owner-only (0600, directory 0700), atomically (`tc_runtime::fs::AtomicFile`: a hidden
//! temporary file in the same directory, synced and renamed over the old one), never through a
//! symbolic link at the file's path (refused), and read bounded (1 MiB).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use tc_runtime::fs::AtomicFile;

use crate::failure::printable;

/// Looks up an environment variable (injectable for tests).
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as an [`Env`].
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The largest profile file read: 1 MiB (tccli's `.configure`, with every service, is ~15 KiB).
pub(crate) const MAX_FILE_SIZE: u64 = 1 << 20;

/// The directory of the profiles under `$HOME`.
pub(crate) const DIRECTORY: &str = ".tccli";
/// `_sys_param`: the object of a `.configure` holding the general settings.
pub(crate) const SYS_PARAM: &str = "_sys_param";
/// The credential members tccli lists, in its order.
pub(crate) const CREDENTIAL_KEYS: &[&str] = &[
    "secretId",
    "secretKey",
    "token",
    "role-arn",
    "role-session-name",
];
/// The credential members that are secret.
pub(crate) const SECRET_KEYS: &[&str] = &["secretId", "secretKey", "token"];
/// The `_sys_param` members tccli lists, in its order.
pub(crate) const CONFIG_KEYS: &[&str] = &[
    "region",
    "output",
    "arrayCount",
    "warning",
    "language",
    "request-client",
];
/// The service section of teo, and its defaults as tccli-intl writes them.
pub(crate) const SERVICE: &str = "teo";
pub(crate) const SERVICE_ENDPOINT: &str = "teo.intl.tencentcloudapi.com";
pub(crate) const SERVICE_VERSION: &str = "2022-09-01";
const STS_ENDPOINT: &str = "sts.intl.tencentcloudapi.com";
const STS_VERSION: &str = "2018-08-13";

const DEFAULT_PROFILE: &str = "default";
pub(crate) const DEFAULT_REGION: &str = "ap-guangzhou";
pub(crate) const DEFAULT_OUTPUT: &str = "json";

/// The profile name: `flag` (`--profile`), else `$TCCLI_PROFILE`, else `default`.
pub(crate) fn profile_name(flag: Option<&str>, env: Env<'_>) -> String {
    flag.map(str::to_owned)
        .or_else(|| env("TCCLI_PROFILE").filter(|p| !p.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_PROFILE.to_owned())
}

/// The two files of a tccli profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProfileFiles {
    pub name: String,
    pub dir: PathBuf,
}

impl ProfileFiles {
    /// The files of profile `name` under `$HOME/.tccli`. Errors: no `HOME`, or a name that is
    /// no file name (empty, `.`/`..`, a path separator or a NUL in it).
    pub(crate) fn locate(name: &str, env: Env<'_>) -> Result<ProfileFiles, String> {
        let home = env("HOME")
            .filter(|h| !h.is_empty())
            .ok_or("HOME is not set, so there is no ~/.tccli to keep profiles in")?;
        ProfileFiles::new(Path::new(&home).join(DIRECTORY), name)
    }

    pub(crate) fn new(dir: PathBuf, name: &str) -> Result<ProfileFiles, String> {
        let bad = name.is_empty()
            || name == "."
            || name == ".."
            || name.contains(['/', '\\', '\0'])
            || name.chars().any(char::is_control);
        if bad {
            return Err(format!(
                "{:?} is not a profile name (it must be usable as a file name)",
                printable(name)
            ));
        }
        Ok(ProfileFiles {
            name: name.to_owned(),
            dir,
        })
    }

    /// `~/.tccli/NAME.configure`.
    pub(crate) fn configure(&self) -> PathBuf {
        self.dir.join(format!("{}.configure", self.name))
    }

    /// `~/.tccli/NAME.credential`.
    pub(crate) fn credential(&self) -> PathBuf {
        self.dir.join(format!("{}.credential", self.name))
    }
}

/// Reads a JSON object: `Ok(None)` when the file does not exist. Refuses a symbolic link, a
/// non-regular file, a file over [`MAX_FILE_SIZE`], and anything that is not a JSON object,
/// naming the file (never quoting it: it may hold secrets).
pub(crate) fn read_json(path: &Path) -> Result<Option<Map<String, Value>>, String> {
    let shown = path.display();
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {shown}: {e}")),
    };
    refuse_link(path, &metadata)?;
    if !metadata.is_file() {
        return Err(format!("cannot read {shown}: it is not a regular file"));
    }
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large(path));
    }
    let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    // The file opened must be the one checked: a link swapped in between is refused too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file
            .metadata()
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        if opened.dev() != metadata.dev() || opened.ino() != metadata.ino() {
            return Err(format!(
                "cannot read {shown}: it was replaced while being opened"
            ));
        }
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(path));
    }
    // serde_json's messages give a position, never the text.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(format!("{shown} is not a JSON object")),
        Err(e) => Err(format!("{shown} is not valid JSON: {e}")),
    }
}

fn too_large(path: &Path) -> String {
    format!(
        "{} is larger than {MAX_FILE_SIZE} bytes; it is no profile file",
        path.display()
    )
}

fn refuse_link(path: &Path, metadata: &fs::Metadata) -> Result<(), String> {
    if metadata.file_type().is_symlink() {
        return Err(format!(
            "{} is a symbolic link; teo does not follow links at profile files \
             (put the file itself there)",
            path.display()
        ));
    }
    Ok(())
}

/// Writes `map` as tccli does (2-space indent, sorted keys) — owner-only, atomically, never
/// through a symbolic link at `path`. Creates the directory (0700) or narrows it to 0700, as
/// tccli does.
pub(crate) fn write_json(path: &Path, map: &Map<String, Value>) -> Result<(), String> {
    let shown = path.display();
    let dir = path
        .parent()
        .ok_or_else(|| format!("cannot write {shown}: it has no directory"))?;
    if path.file_name().is_none() {
        return Err(format!("cannot write {shown}: no file name"));
    }
    ensure_directory(dir)?;
    check_not_link(path)?;
    let mut text = serde_json::to_string_pretty(&sorted(&Value::Object(map.clone())))
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    text.push('\n');

    let mut file = AtomicFile::create(path)
        .map_err(|e| format!("cannot write in {}: {}", dir.display(), e.source))?;
    let written = owner_only(&file)
        .and_then(|()| file.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", file.temp_path().display()));
    // A link planted while the file was written is refused too (the rename would replace the
    // link, not follow it; refusing says why the profile did not change). Dropped on an error,
    // the temporary file is removed.
    written.and_then(|()| check_not_link(path))?;
    // Synced, renamed over the profile and the directory synced: the change survives a crash.
    file.commit()
        .map_err(|e| format!("cannot replace {shown}: {e}"))
}

/// Makes the temporary file 0600 whatever the umask (which may have narrowed the owner's bits).
fn owner_only(file: &AtomicFile) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

fn check_not_link(path: &Path) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Ok(metadata) => refuse_link(path, &metadata),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot write {}: {e}", path.display())),
    }
}

fn ensure_directory(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    match fs::metadata(dir) {
        Ok(metadata) if !metadata.is_dir() => Err(format!("{shown} is not a directory")),
        Ok(_metadata) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if _metadata.permissions().mode() & 0o777 != 0o700 {
                    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                        .map_err(|e| format!("cannot make {shown} owner-only (0700): {e}"))?;
                }
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(dir)
                .map_err(|e| format!("cannot create {shown}: {e}"))
        }
        Err(e) => Err(format!("cannot use {shown}: {e}")),
    }
}

/// `value` with the keys of every object sorted, as tccli's `json.dump(sort_keys=True)`.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A new `.configure` as tccli starts one (its defaults), with teo's section.
fn new_configure() -> Map<String, Value> {
    let mut sys = Map::new();
    sys.insert("region".into(), DEFAULT_REGION.into());
    sys.insert("output".into(), DEFAULT_OUTPUT.into());
    sys.insert("arrayCount".into(), 10.into());
    sys.insert("warning".into(), "off".into());
    let mut conf = Map::new();
    conf.insert(SYS_PARAM.into(), Value::Object(sys));
    conf.insert(SERVICE.into(), service_section(SERVICE));
    conf
}

pub(crate) fn service_section(service: &str) -> Value {
    let (endpoint, version) = match service {
        "sts" => (STS_ENDPOINT, STS_VERSION),
        _ => (SERVICE_ENDPOINT, SERVICE_VERSION),
    };
    serde_json::json!({ "endpoint": endpoint, "version": version })
}

/// The existing `.configure` (made tccli-shaped: `_sys_param` present, top-level settings of
/// old tccli versions moved into it, teo's section present), or a new one.
pub(crate) fn load_configure(path: &Path) -> Result<Map<String, Value>, String> {
    let Some(mut conf) = read_json(path)? else {
        return Ok(new_configure());
    };
    if !conf.get(SYS_PARAM).is_some_and(Value::is_object) {
        if conf.contains_key(SYS_PARAM) {
            return Err(format!(
                "{}: {SYS_PARAM} is not a JSON object",
                path.display()
            ));
        }
        conf.insert(SYS_PARAM.into(), Value::Object(Map::new()));
    }
    for key in CONFIG_KEYS {
        if conf.get(*key).is_some_and(|v| !v.is_object()) {
            if let Some(value) = conf.remove(*key) {
                sys_param(&mut conf).insert((*key).to_owned(), value);
            }
        }
    }
    if !conf.contains_key(SERVICE) {
        conf.insert(SERVICE.into(), service_section(SERVICE));
    }
    Ok(conf)
}

/// `_sys_param` of a configure made by [`load_configure`].
pub(crate) fn sys_param(conf: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = conf
        .entry(SYS_PARAM)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_come_from_the_flag_then_tccli_profile() {
        let env = |name: &str| (name == "TCCLI_PROFILE").then(|| "work".to_owned());
        assert_eq!(profile_name(Some("p"), &env), "p");
        assert_eq!(profile_name(None, &env), "work");
        assert_eq!(profile_name(None, &|_| None), "default");
        assert_eq!(profile_name(None, &|_| Some(" ".into())), "default");
        for bad in ["", "..", "a/b", "a\\b", "x\0"] {
            assert!(
                ProfileFiles::new(PathBuf::from("/h"), bad).is_err(),
                "{bad:?}"
            );
        }
    }
}
