//! Tests of `teo configure`: prompts, list, get, set, remove, against real profile files.

use super::*;
use crate::profile::{DIRECTORY, MAX_FILE_SIZE};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh HOME, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new() -> Home {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "teo-configure-unit-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Home(path)
    }

    fn tccli(&self) -> PathBuf {
        self.0.join(DIRECTORY)
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Run {
    result: Result<(), Failure>,
    out: String,
    err: String,
}

fn run_with(home: &Home, args: &[&str], input: &str, vars: &[(&str, &str)]) -> Run {
    let mut vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.insert("HOME".into(), home.0.to_str().unwrap().into());
    let env = move |name: &str| vars.get(name).cloned();
    let mut input = io::Cursor::new(input.as_bytes().to_vec());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let result = execute(
        &args,
        &mut Io {
            input: &mut input,
            out: &mut out,
            err: &mut err,
            terminal: false,
            env: &env,
        },
    );
    Run {
        result,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn run(home: &Home, args: &[&str]) -> Run {
    run_with(home, args, "", &[])
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn masks_keep_only_the_last_four() {
    assert_eq!(mask("AKIDabcdefgh1234"), "****************1234");
    assert_eq!(mask("short"), "****************");
    assert_eq!(mask("密钥密钥密钥密钥"), "****************密钥密钥");
}

#[test]
fn set_writes_tccli_files_owner_only() {
    let home = Home::new();
    let r = run(
        &home,
        &[
            "set",
            "secretId",
            "AKIDexample0001",
            "secretKey",
            "keyexample0002",
            "region",
            "ap-singapore",
            "teo.endpoint",
            "teo.tencentcloudapi.com",
            "--profile",
            "p",
        ],
    );
    r.result.unwrap();
    assert_eq!(r.out, "");
    let cred = json(&home.tccli().join("p.credential"));
    assert_eq!(
        cred,
        serde_json::json!({"secretId": "AKIDexample0001", "secretKey": "keyexample0002"})
    );
    let conf = json(&home.tccli().join("p.configure"));
    assert_eq!(conf["_sys_param"]["region"], "ap-singapore");
    assert_eq!(conf["_sys_param"]["output"], "json");
    assert_eq!(conf["_sys_param"]["arrayCount"], 10);
    assert_eq!(conf["teo"]["endpoint"], "teo.tencentcloudapi.com");
    assert_eq!(conf["teo"]["version"], "2022-09-01");
    // tccli's layout: 2-space indent, sorted keys.
    let text = fs::read_to_string(home.tccli().join("p.credential")).unwrap();
    assert_eq!(
        text,
        "{\n  \"secretId\": \"AKIDexample0001\",\n  \"secretKey\": \"keyexample0002\"\n}\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.tccli()), 0o700);
        assert_eq!(mode(&home.tccli().join("p.credential")), 0o600);
        assert_eq!(mode(&home.tccli().join("p.configure")), 0o600);
    }
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(home.tccli())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn set_merges_into_what_tccli_wrote() {
    let home = Home::new();
    fs::create_dir_all(home.tccli()).unwrap();
    fs::write(
        home.tccli().join("default.configure"),
        r#"{"_sys_param": {"region": "ap-guangzhou", "output": "json"},
            "cvm": {"endpoint": "cvm.intl.tencentcloudapi.com", "version": "2017-03-12"},
            "region": "old-top-level"}"#,
    )
    .unwrap();
    fs::write(
        home.tccli().join("default.credential"),
        r#"{"secretId": "AKIDold0000", "secretKey": "oldkey0000", "type": "sso", "expiresAt": 1}"#,
    )
    .unwrap();
    run(
        &home,
        &["set", "cvm.version", "2099-01-01", "token", "tok12345678"],
    )
    .result
    .unwrap();
    let conf = json(&home.tccli().join("default.configure"));
    assert_eq!(conf["cvm"]["version"], "2099-01-01");
    assert_eq!(conf["cvm"]["endpoint"], "cvm.intl.tencentcloudapi.com");
    // Top-level settings of old tccli versions move into _sys_param, as tccli moves them.
    assert_eq!(conf["_sys_param"]["region"], "old-top-level");
    assert!(conf.get("region").is_none());
    let cred = json(&home.tccli().join("default.credential"));
    assert_eq!(cred["type"], "sso");
    assert_eq!(cred["expiresAt"], 1);
    assert_eq!(cred["token"], "tok12345678");
    assert_eq!(cred["secretId"], "AKIDold0000");
}

#[test]
fn set_rejects_bad_input_and_writes_nothing() {
    let home = Home::new();
    for args in [
        &["set", "region"][..],
        &["set", "output", "yaml"],
        &["set", "language", "fr-FR"],
        &["set", "request-client", "bad client"],
        &["set", "nonsense", "1"],
        &["set", "a.b.c", "1"],
        &["set", "cvm.endpoint", "x"],
    ] {
        let r = run(&home, args);
        assert!(r.result.is_err(), "{args:?}");
    }
    assert!(!home.tccli().join("default.credential").exists());
    assert!(!home.tccli().join("default.configure").exists());
    // The one accepted spelling tccli uses.
    run(&home, &["set", "language", "zh_cn"]).result.unwrap();
    let conf = json(&home.tccli().join("default.configure"));
    assert_eq!(conf["_sys_param"]["language"], "zh-CN");
}

#[test]
fn list_and_get_mask_secrets() {
    let home = Home::new();
    run(
        &home,
        &[
            "set",
            "secretId",
            "AKIDsecretid9999",
            "secretKey",
            "secretkey8888",
            "token",
            "sessiontoken7777",
            "role-arn",
            "qcs::cam::uin/1:roleName/r",
            "role-session-name",
            "s",
        ],
    )
    .result
    .unwrap();
    let r = run(&home, &["list"]);
    r.result.unwrap();
    assert_eq!(
        r.out,
        "credential:\n\
         secretId = ****************9999\n\
         secretKey = ****************8888\n\
         token = ****************7777\n\
         role-arn = qcs::cam::uin/1:roleName/r\n\
         role-session-name = s\n\
         configure:\n\
         region = ap-guangzhou\n\
         output = json\n\
         arrayCount = 10\n\
         warning = off\n\
         teo.version = 2022-09-01\n\
         teo.endpoint = teo.intl.tencentcloudapi.com\n"
    );
    let r = run(&home, &["get", "secretKey", "region", "teo.version"]);
    r.result.unwrap();
    assert_eq!(
        r.out,
        "secretKey = ****************8888\nregion = ap-guangzhou\nteo.version = 2022-09-01\n"
    );
    for secret in ["AKIDsecretid", "secretkey8", "sessiontoken"] {
        assert!(!r.out.contains(secret));
    }
    let r = run(&home, &["get", "language"]);
    assert!(r
        .result
        .unwrap_err()
        .message
        .contains("language is not set"));
}

#[test]
fn tccli_profile_variable_picks_the_profile() {
    let home = Home::new();
    run_with(
        &home,
        &["set", "region", "eu-frankfurt"],
        "",
        &[("TCCLI_PROFILE", "work")],
    )
    .result
    .unwrap();
    assert!(home.tccli().join("work.configure").exists());
    assert!(!home.tccli().join("default.configure").exists());
    let r = run_with(&home, &["get", "region"], "", &[("TCCLI_PROFILE", "work")]);
    assert_eq!(r.out, "region = eu-frankfurt\n");
    // --profile wins over the variable.
    let r = run_with(
        &home,
        &["get", "region", "--profile", "default"],
        "",
        &[("TCCLI_PROFILE", "work")],
    );
    assert!(r.result.is_err());
}

#[test]
fn interactive_reads_answers_from_a_pipe() {
    let home = Home::new();
    let r = run(&home, &["--profile", "p"]);
    // Empty input: every value kept (none yet), defaults for region and output.
    r.result.unwrap();
    assert!(
        r.out.contains("TencentCloud API secretId[None]: \n"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("Warning: SecretId or SecretKey is empty"),
        "{}",
        r.out
    );

    let r = run_with(
        &home,
        &["--profile", "p"],
        "AKIDinteractive0001\nkeyinteractive0002\nap-seoul\ntable\n",
        &[],
    );
    r.result.unwrap();
    assert!(
        r.out.ends_with("Configure saved successfully.\n"),
        "{}",
        r.out
    );
    let cred = json(&home.tccli().join("p.credential"));
    assert_eq!(cred["secretId"], "AKIDinteractive0001");
    assert_eq!(cred["secretKey"], "keyinteractive0002");
    let conf = json(&home.tccli().join("p.configure"));
    assert_eq!(conf["_sys_param"]["region"], "ap-seoul");
    assert_eq!(conf["_sys_param"]["output"], "table");

    // Again, keeping everything: the prompts show the current values, secrets masked.
    let r = run_with(&home, &["--profile", "p"], "\n\n\nyaml\n", &[]);
    r.result.unwrap();
    assert!(
        r.out
            .contains("TencentCloud API secretId[****************0001]: "),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("Default region name[ap-seoul]: "),
        "{}",
        r.out
    );
    assert!(r.out.contains("Kept: table"), "{}", r.out);
    assert!(!r.out.contains("interactive000"), "{}", r.out);
    let cred = json(&home.tccli().join("p.credential"));
    assert_eq!(cred["secretKey"], "keyinteractive0002");
}

#[test]
fn interactive_asks_before_replacing_a_cvm_role() {
    let home = Home::new();
    fs::create_dir_all(home.tccli()).unwrap();
    fs::write(
        home.tccli().join("default.credential"),
        r#"{"type": "cvm-role"}"#,
    )
    .unwrap();
    let r = run_with(&home, &[], "n\n", &[]);
    r.result.unwrap();
    assert!(r.out.contains("Current authentication method: CVM Role."));
    assert!(r.out.contains("No changes were saved"));
    assert_eq!(
        json(&home.tccli().join("default.credential")),
        serde_json::json!({"type": "cvm-role"})
    );
    let r = run_with(&home, &[], "y\nAKIDnew000001\nnewkey000002\n\n\n", &[]);
    r.result.unwrap();
    assert!(r
        .out
        .contains("switched from CVM Role to static credentials"));
    assert_eq!(
        json(&home.tccli().join("default.credential")),
        serde_json::json!({"secretId": "AKIDnew000001", "secretKey": "newkey000002"})
    );
}

#[test]
fn bad_files_are_errors_naming_them() {
    let home = Home::new();
    fs::create_dir_all(home.tccli()).unwrap();
    let path = home.tccli().join("default.credential");
    fs::write(&path, "{\"secretId\": \"AKIDleak\", ").unwrap();
    let message = run(&home, &["list"]).result.unwrap_err().message;
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
    assert!(!message.contains("AKIDleak"), "{message}");

    fs::write(&path, "[1]").unwrap();
    let message = run(&home, &["get", "secretId"]).result.unwrap_err().message;
    assert!(message.contains("is not a JSON object"), "{message}");

    fs::write(&path, vec![b' '; MAX_FILE_SIZE as usize + 1]).unwrap();
    let message = run(&home, &["list"]).result.unwrap_err().message;
    assert!(message.contains("larger than"), "{message}");
}

#[cfg(unix)]
#[test]
fn links_are_refused() {
    let home = Home::new();
    fs::create_dir_all(home.tccli()).unwrap();
    let target = home.0.join("elsewhere.json");
    fs::write(
        &target,
        r#"{"secretId": "AKIDelsewhere", "secretKey": "k"}"#,
    )
    .unwrap();
    let link = home.tccli().join("default.credential");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let message = run(&home, &["list"]).result.unwrap_err().message;
    assert!(message.contains("symbolic link"), "{message}");
    let message = run(&home, &["set", "secretId", "AKIDnew"])
        .result
        .unwrap_err()
        .message;
    assert!(message.contains("symbolic link"), "{message}");
    // The target is untouched, and the link still there.
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("AKIDelsewhere"));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn remove_deletes_both_files() {
    let home = Home::new();
    run(&home, &["set", "secretId", "AKID", "secretKey", "k"])
        .result
        .unwrap();
    let r = run(&home, &["remove"]);
    r.result.unwrap();
    assert_eq!(r.err, "");
    assert!(fs::read_dir(home.tccli()).unwrap().next().is_none());
    let r = run(&home, &["remove"]);
    r.result.unwrap();
    assert!(
        r.err.contains("default.configure does not exist"),
        "{}",
        r.err
    );
}

#[test]
fn set_root_domain_rewrites_every_endpoint() {
    let home = Home::new();
    fs::create_dir_all(home.tccli()).unwrap();
    fs::write(
        home.tccli().join("default.configure"),
        r#"{"_sys_param": {"region": "r"}, "autoscaling": {"endpoint": "x", "version": "v"},
            "teo": {"endpoint": "teo.intl.tencentcloudapi.com", "version": "2022-09-01"}}"#,
    )
    .unwrap();
    run(&home, &["set-root-domain", "internal.example"])
        .result
        .unwrap();
    let conf = json(&home.tccli().join("default.configure"));
    assert_eq!(conf["teo"]["endpoint"], "teo.internal.example");
    assert_eq!(conf["autoscaling"]["endpoint"], "as.internal.example");
    assert_eq!(conf["_sys_param"]["region"], "r");
}

#[test]
fn usage_errors() {
    let home = Home::new();
    for args in [
        &["bogus"][..],
        &["list", "extra"],
        &["--profile"],
        &["get"],
        &["--nope"],
    ] {
        let failure = run(&home, args).result.unwrap_err();
        assert_eq!(
            failure.code,
            crate::failure::EXIT_USAGE,
            "{args:?}: {failure:?}"
        );
    }
    let r = run(&home, &["help"]);
    r.result.unwrap();
    assert!(r.out.starts_with("teo configure:"));
    let r = run(&home, &["set", "--help"]);
    r.result.unwrap();
    assert!(r.out.starts_with("teo configure:"));
}
