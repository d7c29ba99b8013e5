//! `teo configure` and tccli's profile files, with the built `teo` binary (HOME a fresh
//! directory) against teo-mock running in-process — and against tccli itself, each tool using
//! the other's profiles (tccli from `target/tmp/official-clients-venv`, installed on first use
//! by tc-test-support's `tools::official_clients`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tc_test_support::{Answer, TestServer};
use teo_mock::auth::Credential;
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const TEO: &str = env!("CARGO_BIN_EXE_teo");

/// A fresh HOME, removed on drop.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "teo-cli-configure-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Home(path)
    }

    fn tccli(&self) -> PathBuf {
        self.0.join(".tccli")
    }

    /// Writes `~/.tccli/<name>` as tccli does: directory 0700, file as the umask leaves it.
    fn write(&self, name: &str, text: &str) {
        std::fs::create_dir_all(self.tccli()).unwrap();
        std::fs::write(self.tccli().join(name), text).unwrap();
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command with nothing of the developer's environment but PATH: HOME is `home`.
fn clean(program: impl AsRef<std::ffi::OsStr>, home: &Home, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.env("HOME", &home.0).envs(env.iter().copied());
    command
}

/// Runs `teo args…` with `stdin` piped in, off the async runtime so the mock keeps serving.
async fn teo_in(home: &Home, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = clean(TEO, home, env);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("teo runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().expect("teo ends")
    })
    .await
    .unwrap()
}

async fn teo(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Output {
    teo_in(home, args, env, "").await
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Neither stream of `output` shows any of `secrets`.
fn assert_no_secret(output: &Output, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !stdout(output).contains(secret) && !stderr(output).contains(secret),
            "a secret is shown:\n{}\n{}",
            stdout(output),
            stderr(output)
        );
    }
}

fn assert_ok(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The zones of a DescribeZones answer.
fn zone_count(output: &Output) -> u64 {
    let response: Value = serde_json::from_str(&stdout(output)).expect("JSON");
    response["TotalCount"].as_u64().expect("TotalCount")
}

/// tccli from the official clients' virtual environment, installed on first use; `None` (the
/// test skipped with a line, or failed under TEO_REQUIRE_TOOLS=1) when it cannot be had.
fn tccli() -> Option<PathBuf> {
    tc_test_support::tools::official_clients().map(|venv| venv.join("bin/tccli"))
}

const SECRETS: &[&str] = &[DEFAULT_SECRET_KEY, "mock-secret"];

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_then_list_and_get_show_secrets_masked() {
    let home = Home::new("set");
    let set = teo(
        &home,
        &[
            "configure",
            "set",
            "secretId",
            DEFAULT_SECRET_ID,
            "secretKey",
            DEFAULT_SECRET_KEY,
            "token",
            "session-token-abcd",
            "region",
            "ap-singapore",
            "--profile",
            "p",
        ],
        &[],
    )
    .await;
    assert_ok(&set);
    assert_eq!(stdout(&set), "");

    let list = teo(&home, &["configure", "list", "--profile", "p"], &[]).await;
    assert_ok(&list);
    println!("$ teo configure list --profile p\n{}", stdout(&list));
    let id_tail = &DEFAULT_SECRET_ID[DEFAULT_SECRET_ID.len() - 4..];
    assert_eq!(
        stdout(&list),
        format!(
            "credential:\n\
             secretId = ****************{id_tail}\n\
             secretKey = ****************-key\n\
             token = ****************abcd\n\
             configure:\n\
             region = ap-singapore\n\
             output = json\n\
             arrayCount = 10\n\
             warning = off\n\
             teo.version = 2022-09-01\n\
             teo.endpoint = teo.intl.tencentcloudapi.com\n"
        )
    );
    assert_no_secret(
        &list,
        &[DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "session-token"],
    );

    let get = teo(
        &home,
        &[
            "configure",
            "get",
            "region",
            "secretKey",
            "teo.endpoint",
            "--profile",
            "p",
        ],
        &[],
    )
    .await;
    assert_ok(&get);
    assert_eq!(
        stdout(&get),
        "region = ap-singapore\nsecretKey = ****************-key\n\
         teo.endpoint = teo.intl.tencentcloudapi.com\n"
    );
    assert_no_secret(&get, SECRETS);

    let missing = teo(
        &home,
        &["configure", "get", "language", "--profile", "p"],
        &[],
    )
    .await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("language is not set"),
        "{}",
        stderr(&missing)
    );

    // The files are tccli's JSON, owner-only.
    let cred: Value =
        serde_json::from_str(&std::fs::read_to_string(home.tccli().join("p.credential")).unwrap())
            .unwrap();
    assert_eq!(cred["secretKey"], DEFAULT_SECRET_KEY);
    #[cfg(unix)]
    {
        assert_eq!(mode(&home.tccli()), 0o700);
        assert_eq!(mode(&home.tccli().join("p.credential")), 0o600);
        assert_eq!(mode(&home.tccli().join("p.configure")), 0o600);
    }
}

/// `p.credential` / `p.configure` exactly as tccli 3.1 writes them (2-space indent, sorted
/// keys, no final newline; the `.configure` cut to two of its ~150 services).
const TCCLI_CREDENTIAL: &str = "{\n  \"secretId\": \"AKIDMOCKMOCKMOCKMOCKMOCKMOCKMOCKMOCK\",\n  \"secretKey\": \"mock-secret-key\"\n}";
const TCCLI_CONFIGURE: &str = r#"{
  "_sys_param": {
    "arrayCount": 10,
    "output": "json",
    "region": "ap-guangzhou",
    "warning": "off"
  },
  "sts": {
    "endpoint": "sts.intl.tencentcloudapi.com",
    "version": "2018-08-13"
  },
  "teo": {
    "endpoint": "teo.intl.tencentcloudapi.com",
    "version": "2022-09-01"
  }
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_in_tccli_format_signs_calls() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("tccli-format");
    home.write("p.credential", TCCLI_CREDENTIAL);
    home.write("p.configure", TCCLI_CONFIGURE);

    let zones = teo(
        &home,
        &["DescribeZones", "--profile", "p", "--endpoint", &url],
        &[],
    )
    .await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);
    assert_no_secret(&zones, SECRETS);

    // It is the profile that signs: a wrong key in it is refused by the server.
    home.write(
        "q.credential",
        &TCCLI_CREDENTIAL.replace(DEFAULT_SECRET_KEY, "wrong-secret-key"),
    );
    let wrong = teo(
        &home,
        &["DescribeZones", "--profile", "q", "--endpoint", &url],
        &[],
    )
    .await;
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("AuthFailure.SignatureFailure"),
        "{}",
        stderr(&wrong)
    );
    assert_no_secret(&wrong, &["wrong-secret"]);

    // teo configure reads it as tccli would list it.
    let list = teo(&home, &["configure", "list", "--profile", "p"], &[]).await;
    assert_ok(&list);
    assert!(stdout(&list).contains("sts.endpoint = sts.intl.tencentcloudapi.com\n"));
    assert_no_secret(&list, &[DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tccli_profile_picks_the_profile() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("tccli-profile");
    home.write("work.credential", TCCLI_CREDENTIAL);
    // The default profile has keys the server refuses.
    home.write(
        "default.credential",
        &TCCLI_CREDENTIAL.replace(DEFAULT_SECRET_KEY, "wrong-secret-key"),
    );
    let env = [("TCCLI_PROFILE", "work")];

    let zones = teo(&home, &["DescribeZones", "--endpoint", &url], &env).await;
    assert_ok(&zones);
    let without = teo(&home, &["DescribeZones", "--endpoint", &url], &[]).await;
    assert!(
        stderr(&without).contains("AuthFailure"),
        "{}",
        stderr(&without)
    );
    // --profile wins over it.
    let named = teo(
        &home,
        &["DescribeZones", "--endpoint", &url, "--profile", "default"],
        &env,
    )
    .await;
    assert!(stderr(&named).contains("AuthFailure"), "{}", stderr(&named));

    // `teo configure` follows it too.
    let set = teo(&home, &["configure", "set", "region", "eu-frankfurt"], &env).await;
    assert_ok(&set);
    assert!(home.tccli().join("work.configure").exists());
    assert!(!home.tccli().join("default.configure").exists());

    // Without --profile, TENCENTCLOUD_SECRET_ID/KEY come first, as in tccli.
    let env_keys = [
        ("TCCLI_PROFILE", "default"),
        ("TENCENTCLOUD_SECRET_ID", DEFAULT_SECRET_ID),
        ("TENCENTCLOUD_SECRET_KEY", DEFAULT_SECRET_KEY),
    ];
    let zones = teo(&home, &["DescribeZones", "--endpoint", &url], &env_keys).await;
    assert_ok(&zones);
    for output in [&zones, &without, &named, &set] {
        assert_no_secret(output, SECRETS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_configure_from_a_pipe_then_a_call() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("interactive");
    let answers = format!("{DEFAULT_SECRET_ID}\n{DEFAULT_SECRET_KEY}\nap-singapore\n\n");
    let configure = teo_in(&home, &["configure", "--profile", "p"], &[], &answers).await;
    assert_ok(&configure);
    println!("$ teo configure --profile p\n{}", stdout(&configure));
    assert!(stdout(&configure).contains("TencentCloud API secretId[None]: "));
    assert!(stdout(&configure).ends_with("Configure saved successfully.\n"));

    // Again, keeping every value: the prompts mask them.
    let again = teo_in(&home, &["configure", "--profile", "p"], &[], "\n\n\n\n").await;
    assert_ok(&again);
    assert!(
        stdout(&again).contains("TencentCloud API secretKey[****************-key]: "),
        "{}",
        stdout(&again)
    );
    assert!(stdout(&again).contains("Default region name[ap-singapore]: "));
    assert_no_secret(&again, &[DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY]);

    let zones = teo(
        &home,
        &["DescribeZones", "--profile", "p", "--endpoint", &url],
        &[],
    )
    .await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_profile_file_is_refused() {
    let home = Home::new("link");
    std::fs::create_dir_all(home.tccli()).unwrap();
    let target = home.0.join("elsewhere.json");
    std::fs::write(&target, TCCLI_CREDENTIAL).unwrap();
    std::os::unix::fs::symlink(&target, home.tccli().join("p.credential")).unwrap();

    let call = teo(
        &home,
        &[
            "DescribeZones",
            "--profile",
            "p",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        &[],
    )
    .await;
    assert_eq!(call.status.code(), Some(2), "{}", stderr(&call));
    assert!(
        stderr(&call).contains("p.credential is a symbolic link"),
        "{}",
        stderr(&call)
    );

    let set = teo(
        &home,
        &[
            "configure",
            "set",
            "secretKey",
            "replaced",
            "--profile",
            "p",
        ],
        &[],
    )
    .await;
    assert_eq!(set.status.code(), Some(1));
    assert!(stderr(&set).contains("symbolic link"), "{}", stderr(&set));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), TCCLI_CREDENTIAL);
    for output in [&call, &set] {
        assert_no_secret(output, SECRETS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_json_is_an_error_naming_the_file() {
    let home = Home::new("corrupt");
    // Cut short: the secret key in it must not be quoted back.
    home.write(
        "p.credential",
        &TCCLI_CREDENTIAL[..TCCLI_CREDENTIAL.len() - 4],
    );
    let path = home.tccli().join("p.credential");

    let call = teo(
        &home,
        &[
            "DescribeZones",
            "--profile",
            "p",
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        &[],
    )
    .await;
    assert_eq!(call.status.code(), Some(2));
    assert!(
        stderr(&call).contains(&format!("{} is not valid JSON", path.display())),
        "{}",
        stderr(&call)
    );
    let list = teo(&home, &["configure", "list", "--profile", "p"], &[]).await;
    assert_eq!(list.status.code(), Some(1));
    assert!(
        stderr(&list).contains(path.to_str().unwrap()),
        "{}",
        stderr(&list)
    );
    for output in [&call, &list] {
        assert_no_secret(output, &[DEFAULT_SECRET_ID, "mock-secret"]);
    }
}

/// A stand-in for STS: answers every request with temporary credentials and records the
/// `X-TC-Action` and `Authorization` headers it was sent.
fn sts_stub(tmp_id: &str, tmp_key: &str, token: &str) -> (String, Stub) {
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 7200;
    let body = serde_json::json!({"Response": {
        "Credentials": {"TmpSecretId": tmp_id, "TmpSecretKey": tmp_key, "Token": token},
        "ExpiredTime": expires,
        "Expiration": "",
        "RequestId": "sts-stub-1"
    }})
    .to_string();
    stub(body, &["x-tc-action:", "authorization:"])
}

/// A server on 127.0.0.1 answering every request with `body` (JSON), and what it was sent.
struct Stub {
    server: TestServer,
    /// The header names (lower case, with the colon) [`Stub::seen`] shows.
    recorded: &'static [&'static str],
}

impl Stub {
    /// Per request, the header lines that start with one of `recorded`, joined by newlines.
    fn seen(&self) -> Vec<String> {
        self.server
            .requests()
            .iter()
            .map(|request| {
                let lines: Vec<String> = request
                    .headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}"))
                    .filter(|line| {
                        let lower = line.to_ascii_lowercase();
                        self.recorded.iter().any(|prefix| lower.starts_with(prefix))
                    })
                    .collect();
                lines.join("\n")
            })
            .collect()
    }
}

fn stub(body: String, recorded: &'static [&'static str]) -> (String, Stub) {
    let server = TestServer::responding(move |_| {
        Answer::status(200)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .closing()
    });
    (server.url().to_owned(), Stub { server, recorded })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_in_the_profile_is_assumed_through_sts() {
    let (tmp_id, tmp_key, token) = ("AKIDTEMPORARY0001", "temporary-key-0002", "session-token-3");
    let (sts_url, seen) = sts_stub(tmp_id, tmp_key, token);
    // The server only knows the temporary credentials: the base ones would be refused.
    let mock = MockServer::start(MockConfig {
        credentials: vec![Credential::new(tmp_id, tmp_key).with_token(token)],
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let url = mock.url();
    let home = Home::new("role");
    let set = teo(
        &home,
        &[
            "configure",
            "set",
            "secretId",
            DEFAULT_SECRET_ID,
            "secretKey",
            DEFAULT_SECRET_KEY,
            "role-arn",
            "qcs::cam::uin/100000000001:roleName/edgeone",
            "role-session-name",
            "teo-test",
            "sts.endpoint",
            &sts_url,
            "--profile",
            "r",
        ],
        &[],
    )
    .await;
    assert_ok(&set);

    let zones = teo(
        &home,
        &["DescribeZones", "--profile", "r", "--endpoint", &url],
        &[],
    )
    .await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);
    let seen = seen.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("AssumeRole"), "{seen:?}");
    assert!(
        seen[0].contains(DEFAULT_SECRET_ID),
        "signed with the base keys: {seen:?}"
    );
    assert_no_secret(&zones, &[DEFAULT_SECRET_KEY, tmp_key, token]);

    // The flags name a role too; half a role is a usage error.
    let half = teo(
        &home,
        &[
            "DescribeZones",
            "--profile",
            "r",
            "--endpoint",
            &url,
            "--role-session-name",
            "x",
            "--role-arn",
        ],
        &[],
    )
    .await;
    assert_ne!(half.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_tccli_writes_works_in_teo() {
    let Some(tccli) = tccli() else { return };
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("by-tccli");
    let mut set = clean(&tccli, &home, &[]);
    set.args([
        "configure",
        "set",
        "secretId",
        DEFAULT_SECRET_ID,
        "secretKey",
        DEFAULT_SECRET_KEY,
        "region",
        "ap-singapore",
        "--profile",
        "p",
    ]);
    assert_ok(&run(set).await);
    println!(
        "tccli wrote p.credential:\n{}",
        std::fs::read_to_string(home.tccli().join("p.credential"))
            .unwrap()
            .replace(DEFAULT_SECRET_KEY, "<secret>")
    );

    let zones = teo(
        &home,
        &["DescribeZones", "--profile", "p", "--endpoint", &url],
        &[],
    )
    .await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);
    let get = teo(
        &home,
        &["configure", "get", "region", "secretKey", "--profile", "p"],
        &[],
    )
    .await;
    assert_ok(&get);
    assert_eq!(
        stdout(&get),
        "region = ap-singapore\nsecretKey = ****************-key\n"
    );
    for output in [&zones, &get] {
        assert_no_secret(output, SECRETS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_teo_writes_works_in_tccli() {
    let Some(tccli) = tccli() else { return };
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("by-teo");
    let set = teo(
        &home,
        &[
            "configure",
            "set",
            "secretId",
            DEFAULT_SECRET_ID,
            "secretKey",
            DEFAULT_SECRET_KEY,
            "--profile",
            "p",
        ],
        &[],
    )
    .await;
    assert_ok(&set);

    let mut call = clean(&tccli, &home, &[]);
    call.args(["teo", "DescribeZones", "--profile", "p", "--endpoint", &url]);
    let zones = run(call).await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);

    // tccli's own reading of it, secrets masked by tccli.
    let mut get = clean(&tccli, &home, &[]);
    get.args(["configure", "get", "region", "secretId", "--profile", "p"]);
    let get = run(get).await;
    assert_ok(&get);
    println!(
        "$ tccli configure get region secretId --profile p\n{}",
        stdout(&get)
    );
    assert!(
        stdout(&get).starts_with("region = ap-guangzhou\n"),
        "{}",
        stdout(&get)
    );

    // tccli rewrote p.configure with all its services; teo still reads it.
    let list = teo(&home, &["configure", "list", "--profile", "p"], &[]).await;
    assert_ok(&list);
    assert!(
        stdout(&list).contains("cvm.version = "),
        "{}",
        stdout(&list)
    );
    let again = teo(
        &home,
        &["DescribeZones", "--profile", "p", "--endpoint", &url],
        &[],
    )
    .await;
    assert_ok(&again);

    // And with TCCLI_PROFILE rather than --profile (teo made the .configure tccli needs).
    let home = Home::new("by-teo-env");
    let env = [("TCCLI_PROFILE", "w")];
    let set = teo(
        &home,
        &[
            "configure",
            "set",
            "secretId",
            DEFAULT_SECRET_ID,
            "secretKey",
            DEFAULT_SECRET_KEY,
        ],
        &env,
    )
    .await;
    assert_ok(&set);
    let mut call = clean(&tccli, &home, &env);
    call.args(["teo", "DescribeZones", "--endpoint", &url]);
    let zones_env = run(call).await;
    assert_ok(&zones_env);
    for output in [&set, &zones, &get, &list, &again, &zones_env] {
        assert_no_secret(output, SECRETS);
    }
}

/// The issue's proof: `teo configure set … teo.endpoint URL`, then `teo logs download` without
/// `--endpoint` goes to that endpoint (here teo-mock) and downloads, as `teo DescribeZones` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_set_teo_endpoint_then_logs_download_reaches_it() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let home = Home::new("logs-endpoint");
    let out = home.0.join("out");
    let out = out.to_str().unwrap();
    let set_args = [
        "configure",
        "set",
        "secretId",
        DEFAULT_SECRET_ID,
        "secretKey",
        DEFAULT_SECRET_KEY,
        "teo.endpoint",
        &url,
    ];
    let set = teo(&home, &set_args, &[]).await;
    assert_ok(&set);
    let zones = teo(&home, &["DescribeZones"], &[]).await;
    assert_ok(&zones);
    assert!(zone_count(&zones) > 0);

    let args = [
        "logs",
        "download",
        "--kind",
        "l4",
        "--start",
        "2024-05-01T00:00:00+08:00",
        "--end",
        "2024-05-01T02:00:00+08:00",
        "--zone",
        "zone-x",
        "--out",
        out,
    ];
    let download = teo(&home, &args, &[]).await;
    println!(
        "$ teo configure set secretId … secretKey … teo.endpoint {url}\n$ teo {}\n{}{}",
        args.join(" "),
        stderr(&download),
        stdout(&download)
    );
    assert_ok(&download);
    let files: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.is_empty(), "nothing downloaded");
    assert!(files.iter().all(|f| f.ends_with(".log.gz")), "{files:?}");
    assert!(
        stdout(&download).ends_with(&format!("complete: every listed packet is in {out}\n")),
        "{}",
        stdout(&download)
    );
    assert_no_secret(&download, SECRETS);
    mock.shutdown().await;
}

/// `teo configure set ARGS…` in `home`, which must succeed.
async fn configure_set(home: &Home, args: &[&str]) {
    let mut full = vec!["configure", "set"];
    full.extend(args);
    assert_ok(&teo(home, &full, &[]).await);
}

/// An API that refuses every call, recording what identifies how it was called.
fn refusing_api() -> (String, Stub) {
    let body = serde_json::json!({"Response": {
        "Error": {"Code": "InvalidParameter", "Message": "recorded by the test"},
        "RequestId": "stub-1"
    }})
    .to_string();
    stub(
        body,
        &[
            "x-tc-region:",
            "x-tc-language:",
            "x-tc-requestclient:",
            "authorization:",
        ],
    )
}

/// What a recorded request was made with: its region, language, request client and the
/// SecretId it was signed with (not the signature, which differs per request), sorted.
fn made_with(recorded: &str) -> Vec<String> {
    let mut lines: Vec<String> = recorded
        .lines()
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            match line.split_once("Credential=") {
                Some((_, rest)) => format!("credential: {}", rest.split('/').next().unwrap()),
                None => lower,
            }
        })
        .collect();
    lines.sort();
    lines
}

/// `teo DescribeZones` and `teo logs download`, with the same extra arguments and environment
/// and the same profile files: what each request was made with (they must be the same).
async fn both_paths(home: &Home, seen: &Stub, extra: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let out = home.0.join("out");
    let out = out.to_str().unwrap();
    let mut action = vec!["DescribeZones"];
    action.extend(extra);
    let mut logs = vec![
        "logs", "download", "--kind", "l7", "--since", "1h", "--zone", "zone-x", "--out", out,
    ];
    logs.extend(extra);
    let mut made = Vec::new();
    for args in [action, logs] {
        let before = seen.seen().len();
        let output = teo(home, &args, env).await;
        // The stub refuses the call: the API error, as tccli prints it.
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("code:InvalidParameter message:recorded by the test"),
            "{args:?}: {}",
            stderr(&output)
        );
        let seen = seen.seen();
        assert!(
            seen.len() > before,
            "{args:?} sent nothing to the profile's endpoint"
        );
        made.push(made_with(&seen[seen.len() - 1]));
    }
    assert_eq!(made[0], made[1], "{extra:?} {env:?}: the two paths differ");
    made.remove(0)
}

/// Flag > environment > named profile > default profile, for endpoint, region, language, request
/// client and credentials (an assumed role included): the same on both paths, from the same
/// profile files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_and_logs_download_resolve_the_profile_alike() {
    let (api, seen) = refusing_api();
    let home = Home::new("resolve-alike");
    configure_set(
        &home,
        &[
            "secretId",
            "AKIDDEFAULTPROFILE",
            "secretKey",
            "default-key",
            "region",
            "ap-singapore",
            "language",
            "zh-CN",
            "request-client",
            "mytool",
            "teo.endpoint",
            &api,
        ],
    )
    .await;
    configure_set(
        &home,
        &[
            "secretId",
            "AKIDWORKPROFILE",
            "secretKey",
            "work-key",
            "region",
            "na-ashburn",
            "teo.endpoint",
            &api,
            "--profile",
            "work",
        ],
    )
    .await;
    let has = |made: &[String], line: &str| {
        assert!(
            made.iter().any(|l| l.starts_with(line)),
            "{line:?} in {made:?}"
        );
    };

    // The default profile.
    let made = both_paths(&home, &seen, &[], &[]).await;
    has(&made, "x-tc-region: ap-singapore");
    has(&made, "x-tc-language: zh-cn");
    assert!(
        made.iter()
            .any(|l| l.starts_with("x-tc-requestclient: ") && l.contains("teo_cli_0.1.0; mytool")),
        "{made:?}"
    );
    has(&made, "credential: AKIDDEFAULTPROFILE");
    // The environment over the profile.
    let made = both_paths(
        &home,
        &seen,
        &[],
        &[("TENCENTCLOUD_REGION", "eu-frankfurt")],
    )
    .await;
    has(&made, "x-tc-region: eu-frankfurt");
    // A named profile: by --profile, or by TCCLI_PROFILE.
    let made = both_paths(&home, &seen, &["--profile", "work"], &[]).await;
    has(&made, "x-tc-region: na-ashburn");
    has(&made, "credential: AKIDWORKPROFILE");
    assert!(!made.iter().any(|l| l.contains("mytool")), "{made:?}");
    let by_env = both_paths(&home, &seen, &[], &[("TCCLI_PROFILE", "work")]).await;
    assert_eq!(by_env, made);
    // Flags over everything.
    let made = both_paths(
        &home,
        &seen,
        &[
            "--profile",
            "work",
            "--region",
            "ap-tokyo",
            "--language",
            "en-US",
        ],
        &[],
    )
    .await;
    has(&made, "x-tc-region: ap-tokyo");
    has(&made, "x-tc-language: en-us");

    // A role in the profile: both paths assume it through the profile's sts.endpoint.
    let (tmp_id, tmp_key, token) = ("AKIDTEMPORARY0001", "temporary-key-0002", "session-token-3");
    let (sts, sts_seen) = sts_stub(tmp_id, tmp_key, token);
    configure_set(
        &home,
        &[
            "secretId",
            "AKIDROLEBASE",
            "secretKey",
            "base-key",
            "role-arn",
            "qcs::cam::uin/1:roleName/logs",
            "role-session-name",
            "teo-test",
            "teo.endpoint",
            &api,
            "sts.endpoint",
            &sts,
            "--profile",
            "role",
        ],
    )
    .await;
    let made = both_paths(&home, &seen, &["--profile", "role"], &[]).await;
    has(&made, &format!("credential: {tmp_id}"));
    let sts_seen = sts_seen.seen();
    assert_eq!(sts_seen.len(), 2, "{sts_seen:?}");
    assert!(
        sts_seen.iter().all(|r| r.contains("AKIDROLEBASE")),
        "{sts_seen:?}"
    );
}

/// A profile named by --profile or TCCLI_PROFILE that exists nowhere: exit 2 naming it and every
/// file looked for, on both paths, nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_profile_names_itself_and_the_files_looked_for() {
    let (api, seen) = refusing_api();
    let home = Home::new("missing-profile");
    home.write("default.configure", "{}");
    let out = home.0.join("out");
    let out = out.to_str().unwrap();
    let action = ["DescribeZones", "--endpoint", &api];
    let logs = [
        "logs",
        "download",
        "--kind",
        "l4",
        "--since",
        "6h",
        "--zone",
        "zone-x",
        "--out",
        out,
        "--endpoint",
        &api,
    ];
    let tccli = home.tccli();
    let sdk_file = home.0.join(".tencentcloud").join("credentials");
    for (args, env, named_by) in [
        (&action[..], &[][..], "--profile"),
        (&logs[..], &[][..], "--profile"),
        (
            &action[..],
            &[("TCCLI_PROFILE", "nosuch")][..],
            "TCCLI_PROFILE",
        ),
        (
            &logs[..],
            &[("TCCLI_PROFILE", "nosuch")][..],
            "TCCLI_PROFILE",
        ),
    ] {
        let mut args = args.to_vec();
        if named_by == "--profile" {
            args.extend(["--profile", "nosuch"]);
        }
        let output = teo(&home, &args, env).await;
        println!(
            "$ teo {}\n{}(exit {:?})",
            args.join(" "),
            stderr(&output),
            output.status.code()
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        for part in [
            format!("[Config] profile \"nosuch\" (named by {named_by}) does not exist"),
            tccli.join("nosuch.credential").display().to_string(),
            tccli.join("nosuch.configure").display().to_string(),
            format!("a [nosuch] section in {}", sdk_file.display()),
            "teo configure --profile nosuch".to_owned(),
        ] {
            assert!(message.contains(&part), "{part:?} in {message}");
        }
    }
    assert!(seen.seen().is_empty(), "a call was sent");
    assert!(!Path::new(out).exists());
}
