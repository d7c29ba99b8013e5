//! The built `teo` binary against teo-mock running in-process.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use tc_test_support::{Answer, TestServer};
use teo_mock::auth::Credential;
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const TEO: &str = env!("CARGO_BIN_EXE_teo");

/// Runs `teo args…` with a clean credential environment plus `env`, off the async runtime so
/// the in-process mock keeps serving.
async fn teo_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(TEO);
        command.args(&args);
        for name in [
            "TENCENTCLOUD_SECRET_ID",
            "TENCENTCLOUD_SECRET_KEY",
            "TENCENTCLOUD_SESSION_TOKEN",
            "TENCENTCLOUD_PROFILE",
        ] {
            command.env_remove(name);
        }
        // Never the developer's own profile file: a home without one. (Not
        // TENCENTCLOUD_CREDENTIALS_FILE naming a missing file: a file named explicitly and
        // missing is a configuration error that stops the credentials chain.)
        command.env_remove("TENCENTCLOUD_CREDENTIALS_FILE");
        command.env("HOME", "/nonexistent/teo-cli-test-home");
        command.envs(env);
        command.output().expect("teo runs")
    })
    .await
    .expect("the blocking task completes")
}

async fn teo(args: &[&str]) -> Output {
    teo_with_env(args, &[]).await
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The shell form of a command line, for transcripts.
fn shell_line(args: &[&str]) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/+=@".contains(c))
            {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect();
    format!("teo {}", quoted.join(" "))
}

const L4_ARGS: &[&str] = &[
    "DownloadL4Logs",
    "--StartTime",
    "2024-05-01T00:00:00+08:00",
    "--EndTime",
    "2024-05-01T03:00:00+08:00",
    "--ZoneIds",
    r#"["zone-x"]"#,
];

fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(extra).copied().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn download_l4_logs_prints_the_response_without_its_wrapper() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let args = with(
        L4_ARGS,
        &[
            "--endpoint",
            &url,
            "--secretId",
            DEFAULT_SECRET_ID,
            "--secretKey",
            DEFAULT_SECRET_KEY,
        ],
    );
    let output = teo(&args).await;
    println!("$ {}\n{}", shell_line(&args), stdout(&output));
    eprint!("{}", stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).is_empty());

    let text = stdout(&output);
    let response: Value = serde_json::from_str(&text).unwrap();
    assert!(response.get("Response").is_none(), "{text}");
    assert_eq!(response["TotalCount"], 3);
    assert_eq!(response["Data"].as_array().map(Vec::len), Some(3));
    assert!(response["RequestId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    for packet in response["Data"].as_array().unwrap() {
        let url = packet["Url"].as_str().unwrap_or_default();
        assert!(url.contains("_zone-x_"), "{packet}");
    }
    // tccli's layout: 4-space indent, a final newline.
    assert!(text.starts_with("{\n    \""), "{text}");
    assert!(text.contains("\n    \"TotalCount\": 3"), "{text}");
    assert!(text.ends_with("}\n"));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_prints_the_api_error_like_tccli() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let args = with(
        L4_ARGS,
        &[
            "--endpoint",
            &url,
            "--secretId",
            DEFAULT_SECRET_ID,
            "--secretKey",
            "not-the-key",
        ],
    );
    let output = teo(&args).await;
    let err = stderr(&output);
    println!("$ {}\n{err}", shell_line(&args));
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(
        err.starts_with("[TencentCloudSDKException] code:AuthFailure.SignatureFailure message:"),
        "{err}"
    );
    let request_id = err
        .trim_end()
        .rsplit_once("requestId:")
        .map(|(_, id)| id)
        .unwrap_or_default();
    assert!(!request_id.is_empty(), "{err}");
    assert!(!err.contains("not-the-key"));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_parameter_is_rejected_before_sending() {
    // Nothing listens on the endpoint: had the request been sent, this would be a transport
    // error instead.
    let args = [
        "DownloadL4Logs",
        "--EndTime",
        "2024-05-01T03:00:00+08:00",
        "--ZoneIds",
        r#"["zone-x"]"#,
        "--endpoint",
        "http://127.0.0.1:9",
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        DEFAULT_SECRET_KEY,
    ];
    let output = teo(&args).await;
    let err = stderr(&output);
    println!("$ {}\n{err}", shell_line(&args));
    assert_eq!(output.status.code(), Some(2));
    assert!(err.starts_with("[InvalidRequest] DownloadL4Logs:"), "{err}");
    assert!(err.contains("StartTime"), "{err}");
    assert!(stdout(&output).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_from_the_environment() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let output = teo_with_env(
        &with(L4_ARGS, &["--endpoint", &url]),
        &[
            ("TENCENTCLOUD_SECRET_ID", DEFAULT_SECRET_ID),
            ("TENCENTCLOUD_SECRET_KEY", DEFAULT_SECRET_KEY),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // No credentials at all: a clear message, nothing sent.
    let output = teo(&with(L4_ARGS, &["--endpoint", &url])).await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.starts_with("[Credentials] DownloadL4Logs:"), "{err}");
    assert!(err.contains("TENCENTCLOUD_SECRET_ID is not set"), "{err}");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_and_token_from_a_profile() {
    let config = MockConfig::default()
        .add_credential(Credential::new("AKIDPROFILE", "profile-key").with_token("profile-token"));
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();
    let file = temp_file(
        "credentials",
        "[default]\nsecret_id = AKIDWRONG\nsecret_key = wrong\n\n[work]\nsecret_id = AKIDPROFILE\nsecret_key = profile-key\ntoken = profile-token\n",
    );
    let file_env = [("TENCENTCLOUD_CREDENTIALS_FILE", file.to_str().unwrap())];
    let output = teo_with_env(
        &with(L4_ARGS, &["--endpoint", &url, "--profile", "work"]),
        &file_env,
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The default profile's key is wrong: the mock says so.
    let output = teo_with_env(&with(L4_ARGS, &["--endpoint", &url]), &file_env).await;
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("code:AuthFailure."),
        "{}",
        stderr(&output)
    );
    let _ = std::fs::remove_file(file);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_input_json_from_a_file_with_an_override() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let file = temp_file(
        "request.json",
        r#"{"StartTime": "2024-05-01T00:00:00Z", "EndTime": "2024-05-01T06:00:00Z", "ZoneIds": ["zone-y"], "Limit": 1}"#,
    );
    let input = format!("file://{}", file.display());
    let args = [
        "DownloadL4Logs",
        "--cli-input-json",
        &input,
        "--Limit",
        "2",
        "--endpoint",
        &url,
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        DEFAULT_SECRET_KEY,
    ];
    let output = teo(&args).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let response: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(response["TotalCount"], 6);
    assert_eq!(response["Data"].as_array().map(Vec::len), Some(2));
    let _ = std::fs::remove_file(file);
    mock.shutdown().await;
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("teo-cli-test-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn help_lists_every_action() {
    for args in [&["help"][..], &[], &["--help"]] {
        let output = teo(args).await;
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let text = stdout(&output);
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("DownloadL4Logs ")
                    && l.ends_with("Downloads L4 logs")),
            "{text}"
        );
        assert!(text.contains("  DescribeZones "));
    }
}

/// `teo help` and `teo --help` list every command, one line each, before the actions.
#[tokio::test(flavor = "multi_thread")]
async fn help_lists_every_command() {
    for args in [&["help"][..], &["--help"]] {
        let output = teo(args).await;
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let text = stdout(&output);
        let commands: Vec<&str> = text
            .split_once("Commands:\n")
            .and_then(|(_, rest)| rest.split_once("\n\n"))
            .map(|(section, _)| section.lines().collect())
            .unwrap_or_else(|| panic!("no Commands section in {text}"));
        println!("$ teo {}\nCommands:\n{}", args[0], commands.join("\n"));
        for command in [
            "teo <Action> [--<Param> <value>]...",
            "teo <Action> help",
            "teo help ",
            "teo --version ",
            "teo logs download ",
            "teo logs convert ",
            "teo logs summarize ",
            "teo configure ",
            "teo completions ",
        ] {
            let lines: Vec<&&str> = commands
                .iter()
                .filter(|l| l.trim_start().starts_with(command))
                .collect();
            assert_eq!(lines.len(), 1, "{command:?} in {commands:#?}");
            // One line: the usage, then what it does.
            assert!(
                lines[0].split("  ").filter(|p| !p.is_empty()).count() >= 2,
                "{lines:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn action_help_lists_the_parameters() {
    let output = teo(&["DownloadL4Logs", "help"]).await;
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    println!("$ teo DownloadL4Logs help\n{text}");
    let zone_ids = text
        .lines()
        .find(|l| l.trim_start().starts_with("--ZoneIds "))
        .unwrap_or_default();
    assert!(zone_ids.contains("list of string"), "{text}");
    assert!(zone_ids.contains("optional"), "{text}");
    let start_time = text
        .lines()
        .find(|l| l.trim_start().starts_with("--StartTime "))
        .unwrap_or_default();
    assert!(start_time.contains("datetime (RFC 3339)"), "{text}");
    assert!(start_time.contains("required"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn typos_get_the_closest_name() {
    let output = teo(&["DownloadL4Log", "--ZoneIds", r#"["z"]"#]).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "Unknown action DownloadL4Log. Did you mean DownloadL4Logs?\n"
    );
    let output = teo(&["DownloadL4Logs", "--ZoneId", r#"["z"]"#]).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "Unknown parameter --ZoneId for DownloadL4Logs. Did you mean --ZoneIds?\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn skeleton_round_trips_through_cli_input_json() {
    let output = teo(&["DescribeZones", "--generate-cli-skeleton"]).await;
    assert_eq!(output.status.code(), Some(0));
    let skeleton: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(skeleton["Limit"], 0);
    assert!(skeleton["Filters"].is_array());
}

/// `teo <args> --endpoint <mock> --secretId … --secretKey …`.
fn against<'a>(mock: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend([
        "--endpoint",
        mock,
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        DEFAULT_SECRET_KEY,
    ]);
    all
}

/// tccli's output options: `--output table|text`, `--filter` (JMESPath), and their transcripts.
#[tokio::test(flavor = "multi_thread")]
async fn output_formats_and_filters_like_tccli() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();

    let args = against(
        &url,
        &["DescribeZones", "--Limit", "2", "--output", "table"],
    );
    let table = teo(&args).await;
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    println!("$ {}\n{text}", shell_line(&args[..5]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("DescribeZones"), "{text}");
    assert!(lines.iter().any(|l| l.contains("TotalCount")), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("||") && l.contains("Zones")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("zone-2noz3g48ev6k-0")),
        "{text}"
    );
    // Every line of one table is as wide as the others.
    let width = lines[0].chars().count();
    assert!(lines.iter().all(|l| l.chars().count() == width), "{text}");

    let args = against(&url, &["DescribeZones", "--filter", "Zones[0].ZoneId"]);
    let first = teo(&args).await;
    println!("$ {}\n{}", shell_line(&args[..3]), stdout(&first));
    assert_eq!(stdout(&first), "\"zone-2noz3g48ev6k-0\"\n");

    let args = against(
        &url,
        &[
            "DescribeZones",
            "--Limit",
            "3",
            "--filter",
            "Zones[*].[ZoneId, ZoneName]",
            "--output",
            "text",
        ],
    );
    let text = teo(&args).await;
    println!("$ {}\n{}", shell_line(&args[..7]), stdout(&text));
    assert_eq!(
        stdout(&text),
        "zone-2noz3g48ev6k-0\texample.com-0\nzone-2noz3g48ev6k-1\texample.com-1\nzone-2noz3g48ev6k-2\texample.com-2\n"
    );
    // Nothing selected prints nothing; a bad expression is a usage error naming the option.
    let none = teo(&against(&url, &["DescribeZones", "--filter", "Nope"])).await;
    assert!(none.status.success());
    assert_eq!(stdout(&none), "");
    let bad = teo(&against(&url, &["DescribeZones", "--filter", "Zones[0"])).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--filter"), "{}", stderr(&bad));
    let bad = teo(&against(&url, &["DescribeZones", "--output", "yaml"])).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("json, table or text"),
        "{}",
        stderr(&bad)
    );
    mock.shutdown().await;
}

/// `--all-pages` merges every page (43 zones in pages of 10), `--waiter` polls until its
/// expression holds or fails naming the last value, `--cli-unfold-argument` rebuilds dotted
/// parameters, `--dry-run` sends nothing and redacts the signature.
#[tokio::test(flavor = "multi_thread")]
async fn paging_waiting_unfolding_and_dry_runs() {
    // Long enough that the waiter's first poll (a second process, started after the create)
    // still sees the purge processing on a loaded 2-core machine.
    let config = MockConfig::default().task_duration(std::time::Duration::from_millis(2500));
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();

    let all = teo(&against(
        &url,
        &[
            "DescribeZones",
            "--Limit",
            "10",
            "--all-pages",
            "--filter",
            "[TotalCount, length(Zones), Zones[42].ZoneId]",
        ],
    ))
    .await;
    assert!(all.status.success(), "{}", stderr(&all));
    let all: Value = serde_json::from_str(&stdout(&all)).unwrap();
    assert_eq!(all, serde_json::json!([43, 43, "zone-2noz3g48ev6k-42"]));
    let not_paged = teo(&against(
        &url,
        &["DescribeTimingL7AnalysisData", "--all-pages"],
    ))
    .await;
    assert_eq!(not_paged.status.code(), Some(2), "{}", stderr(&not_paged));

    // A purge that finishes later (the mock moves it from processing to success): tccli's
    // --waiter polls DescribePurgeTasks until its status is success.
    let created = teo(&against(
        &url,
        &[
            "CreatePurgeTask",
            "--ZoneId",
            "zone-1",
            "--Type",
            "purge_url",
            "--Targets",
            r#"["https://a.example/x"]"#,
            "--filter",
            "JobId",
        ],
    ))
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let job: String = serde_json::from_str(&stdout(&created)).unwrap();
    let filters = format!(r#"[{{"Name": "job-id", "Values": ["{job}"]}}]"#);
    let args = against(
        &url,
        &[
            "DescribePurgeTasks",
            "--ZoneId",
            "zone-1",
            "--Filters",
            &filters,
            "--waiter",
            r#"{"expr": "Tasks[0].Status", "to": "success", "interval": 0.2}"#,
            "--filter",
            "Tasks[0].[JobId, Status]",
            "--output",
            "text",
        ],
    );
    let done = teo(&args).await;
    println!(
        "$ {}\n{}{}",
        shell_line(&args[..13]),
        stderr(&done),
        stdout(&done)
    );
    assert!(done.status.success(), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("Inquiry result is \"processing\"."),
        "{}",
        stderr(&done)
    );
    assert_eq!(stdout(&done), format!("{job}\tsuccess\n"));
    let started = std::time::Instant::now();
    let never = teo(&against(
        &url,
        &[
            "DescribeZones",
            "--waiter",
            r#"{"expr": "Zones[0].Status", "to": "active", "timeout": 1, "interval": 0.3}"#,
        ],
    ))
    .await;
    assert_eq!(never.status.code(), Some(1));
    let message = stderr(&never);
    assert!(
        message.contains("Inquiry result is \"pending\"."),
        "{message}"
    );
    assert!(message.contains("last request is \"pending\""), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // Data, never code: tccli evaluates --waiter as Python; here it must be JSON.
    let code = teo(&against(
        &url,
        &["DescribeZones", "--waiter", "__import__('os')"],
    ))
    .await;
    assert_eq!(code.status.code(), Some(2));
    assert!(stderr(&code).contains("--waiter"), "{}", stderr(&code));

    let unfold = teo(&against(
        &url,
        &[
            "DescribeZones",
            "--cli-unfold-argument",
            "--Filters.0.Name",
            "zone-name",
            "--Filters.0.Values.0",
            "example.com",
            "--Filters.0.Fuzzy",
            "true",
            "--dry-run",
            "--request-client",
            "my-tool",
        ],
    ))
    .await;
    assert!(unfold.status.success(), "{}", stderr(&unfold));
    let printed = stdout(&unfold);
    println!("$ teo DescribeZones --cli-unfold-argument … --dry-run\n{printed}");
    assert!(printed.starts_with(&format!("POST {url}/\n")), "{printed}");
    assert!(printed.contains("authorization: <redacted>\n"), "{printed}");
    assert!(!printed.contains("TC3-HMAC-SHA256"), "{printed}");
    assert!(printed.contains("x-tc-requestclient: SDK_RUST_TEO_0.1.0 TEO_CLI_0.1.0; my-tool\n"));
    assert!(printed.ends_with(
        "\n{\"Filters\":[{\"Name\":\"zone-name\",\"Values\":[\"example.com\"],\"Fuzzy\":true}]}\n"
    ), "{printed}");
    // A dry run sends nothing: a closed port is fine.
    let closed = teo(&against(
        "http://127.0.0.1:9",
        &["DescribeZones", "--dry-run"],
    ))
    .await;
    assert!(closed.status.success(), "{}", stderr(&closed));
    let gap = teo(&against(
        &url,
        &[
            "DescribeZones",
            "--cli-unfold-argument",
            "--Filters.0.Nope",
            "x",
        ],
    ))
    .await;
    assert_eq!(gap.status.code(), Some(2), "{}", stderr(&gap));
    assert!(stderr(&gap).contains("Nope"), "{}", stderr(&gap));
    let bad_client = teo(&against(
        &url,
        &["DescribeZones", "--request-client", "a b"],
    ))
    .await;
    assert_eq!(bad_client.status.code(), Some(2));
    mock.shutdown().await;
}

/// `teo --version`, `--version <API version>`, `--detail` help, `--warning` on a retried
/// failure, and `--https-proxy` through a relay that counts what it carries.
#[tokio::test(flavor = "multi_thread")]
async fn versions_warnings_details_and_proxies() {
    let config = MockConfig::default().fault(teo_mock::faults::FaultPlan::count(
        "DescribeZones",
        teo_mock::faults::Fault::InternalError,
        1,
    ));
    let mock = MockServer::start(config).await.unwrap();
    let url = mock.url();

    let version = teo(&["--version"]).await;
    assert_eq!(stdout(&version), "teo 0.1.0 (API teo 2022-09-01)\n");
    let old = teo(&against(
        &url,
        &["DescribeZones", "--version", "2022-01-06"],
    ))
    .await;
    assert_eq!(old.status.code(), Some(2));
    assert!(
        stderr(&old).contains("available versions: 2022-09-01"),
        "{}",
        stderr(&old)
    );

    let warned = teo(&against(
        &url,
        &["DescribeZones", "--warning", "--version", "2022-09-01"],
    ))
    .await;
    assert!(warned.status.success(), "{}", stderr(&warned));
    let warning = stderr(&warned);
    assert!(
        warning.contains("warning: DescribeZones attempt 1 failed"),
        "{warning}"
    );
    assert!(warning.contains("InternalError"), "{warning}");

    let detail = teo(&["DescribeZones", "help", "--detail"]).await;
    assert!(
        stdout(&detail).contains("Object AdvancedFilter:"),
        "{}",
        stdout(&detail)
    );
    let plain = teo(&["DescribeZones", "help"]).await;
    assert!(!stdout(&plain).contains("Object AdvancedFilter:"));

    // A relay on 127.0.0.1: reqwest sends `POST http://127.0.0.1:<mock>/` to it, and it
    // forwards the bytes to the mock.
    let relay = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", relay.local_addr().unwrap());
    let target = mock.addr();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in relay.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut client = client;
                let mut head = [0u8; 256];
                let n = client.read(&mut head).unwrap_or(0);
                log.lock().unwrap().push(
                    String::from_utf8_lossy(&head[..n])
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_owned(),
                );
                let mut server = std::net::TcpStream::connect(target).unwrap();
                server.write_all(&head[..n]).unwrap();
                let mut back = server.try_clone().unwrap();
                let mut forth = client.try_clone().unwrap();
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut back, &mut forth);
                });
                let _ = std::io::copy(&mut client, &mut server);
            });
        }
    });
    let proxied = teo(&against(
        &url,
        &[
            "DescribeZones",
            "--https-proxy",
            &proxy,
            "--filter",
            "TotalCount",
        ],
    ))
    .await;
    assert!(proxied.status.success(), "{}", stderr(&proxied));
    assert_eq!(stdout(&proxied), "43\n");
    let lines = seen.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("POST {url}/"))),
        "{lines:?}"
    );
    mock.shutdown().await;
}

/// Command lines in the forms tccli's documentation and help show (`tccli <service> <Action>
/// --Param value`, lists as JSON, `--filter`, a Python-dict `--waiter`, `--cli-input-json
/// file://`), with teo's EdgeOne actions and the official examples' values: each runs unchanged
/// under `teo`, and tccli (installed on first use) prints the same JSON for it (RequestId and
/// generated JobIds aside).
#[tokio::test(flavor = "multi_thread")]
async fn tccli_documentation_lines_run_unchanged() {
    let mock = MockServer::start(MockConfig::default()).await.unwrap();
    let url = mock.url();
    let request = temp_file(
        "documented-request.json",
        r#"{"ZoneId": "zone-wz8m9mgx", "StartTime": "2022-02-09T00:00:00+08:00", "EndTime": "2022-02-09T23:59:00+08:00", "Limit": 1, "Offset": 0}"#,
    );
    let input = format!("file://{}", request.display());
    let lines: Vec<Vec<&str>> = vec![
        vec!["DescribeZones"],
        vec!["DescribeZones", "--Limit", "2", "--Offset", "1"],
        vec![
            "DescribeZones",
            "--Filters",
            r#"[{"Name": "zone-name", "Values": ["example.com"], "Fuzzy": false}]"#,
        ],
        vec!["DescribeZones", "--filter", "Zones[0].ZoneId"],
        vec!["DescribeZones", "--waiter", "{'expr':'TotalCount','to':43}"],
        vec![
            "CreatePurgeTask",
            "--ZoneId",
            "zone-ajj243dwrew",
            "--Type",
            "purge_url",
            "--Targets",
            r#"["http://www.example.com/a.txt"]"#,
        ],
        vec!["DescribePurgeTasks", "--cli-input-json", &input],
        vec![
            "DownloadL4Logs",
            "--StartTime",
            "2022-08-01T00:00:00+08:00",
            "--EndTime",
            "2022-08-02T00:00:00+08:00",
            "--ZoneIds",
            r#"["zone-2o3h21ed8bpu"]"#,
            "--ProxyIds",
            r#"["sid-2s69eb5wcms7"]"#,
            "--Limit",
            "100",
            "--Offset",
            "0",
        ],
    ];
    // tccli from the official clients' venv, installed on first use; without it only teo's side
    // is checked (one line says so, or the test fails under TEO_REQUIRE_TOOLS=1).
    let tccli = tc_test_support::tools::official_clients().map(|venv| venv.join("bin/tccli"));
    let home = std::env::temp_dir().join(format!("teo-tccli-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    // What may differ: the request id and ids the mock generates; and tccli prints every member
    // of its typed model, `null` where the server sent none, so nulls are left out on both sides.
    fn without_nulls(value: Value) -> Value {
        match value {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .filter(|(k, v)| !v.is_null() && k != "RequestId" && k != "JobId")
                    .map(|(k, v)| (k, without_nulls(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
            other => other,
        }
    }
    let comparable = |text: &str| without_nulls(serde_json::from_str(text).unwrap_or(Value::Null));
    for line in &lines {
        let args = against(&url, line);
        let ours = teo(&args).await;
        assert!(
            ours.status.success(),
            "{}: {}",
            shell_line(line),
            stderr(&ours)
        );
        let printed = stdout(&ours);
        assert!(serde_json::from_str::<Value>(&printed).is_ok(), "{printed}");
        let Some(tccli) = &tccli else {
            continue;
        };
        let mut command = Command::new(tccli);
        command
            .env("HOME", &home)
            .arg("teo")
            .args(&args)
            .args(["--region", "ap-singapore"]);
        let theirs = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        assert!(
            theirs.status.success(),
            "tccli {}: {}",
            shell_line(line),
            stderr(&theirs)
        );
        assert!(
            comparable(&printed) == comparable(&stdout(&theirs)),
            "teo and tccli print different data for {}",
            shell_line(line)
        );
    }
    let _ = std::fs::remove_dir_all(&home);
    mock.shutdown().await;
}

/// A stand-in server on 127.0.0.1: answers every request with HTTP 200 and `body`, and counts
/// the requests it read (each counted before it is answered, so once `teo` has its answer the
/// count includes it). Serves until the server is dropped.
fn answering(body: String) -> (String, TestServer) {
    let server = TestServer::responding(move |_| {
        Answer::status(200)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .closing()
    });
    (server.url().to_owned(), server)
}

/// Whether `text` holds anything that acts on a terminal besides line breaks and tabs: C0 and
/// C1 controls, bidi and zero-width characters.
fn drives_a_terminal(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\t'))
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    })
}

/// A server whose member names, values, error code, message and RequestId carry terminal
/// sequences (a window title, a screen clear, a C1 CSI, a bidi override): nothing reaches the
/// terminal raw in any output form, nor in the error line.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_never_reach_the_terminal() {
    let response = r#"{"Response": {"\u001b]0;pwned\u0007": "v\u001b[2J", "TotalCount": 1,
        "Zones": [{"ZoneId\u009b2J": "zone-1", "Name\u202egnp.exe": "x", "Tags\u001b[1A": [{"K\u001b[31m": "v"}]}],
        "RequestId": "req\u001b[2K"}}"#;
    let (url, _server) = answering(response.to_owned());
    for output in ["json", "text", "table"] {
        let args = against(&url, &["DescribeZones", "--output", output]);
        let printed = teo(&args).await;
        assert!(printed.status.success(), "{}", stderr(&printed));
        let text = stdout(&printed);
        println!("$ teo DescribeZones --output {output}\n{text}");
        assert!(!drives_a_terminal(&text), "{output}: {text:?}");
        // Where each form shows member names: JSON keys, table titles and headers, and in
        // text only the labels of nested lines.
        let shown: &[&str] = match output {
            "json" => &[
                r"\u001b]0;pwned\u0007",
                r"ZoneId\u009b2J",
                r"Name\u202egnp.exe",
            ],
            "table" => &[r"\x1b]0;pwned\x07", r"ZoneId\u{9b}2J", r"Tags\x1b[1A"],
            _ => &["TAGS\\x1b[1A\tv\n", "v\\x1b[2J\treq\\x1b[2K\t1\n"],
        };
        for name in shown {
            assert!(text.contains(name), "{output}: {name} in {text}");
        }
    }

    let error = r#"{"Response": {"Error": {"Code": "AuthFailure\u001b]0;x\u0007", "Message": "bad\u009b2J\rkey"}, "RequestId": "req\u202e1"}}"#;
    let (url, _server) = answering(error.to_owned());
    let failed = teo(&against(&url, &["DescribeZones"])).await;
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    println!("$ teo DescribeZones\n{message}");
    assert!(!drives_a_terminal(&message), "{message:?}");
    // (The client already blanks controls in the code and message; the RequestId is teo's.)
    assert!(message.contains("code:AuthFailure"), "{message}");
    assert!(message.contains("message:bad"), "{message}");
    assert!(message.contains(r"requestId:req\u{202e}1"), "{message}");
}

/// Expressions deeper than a parser's stack and answers deeper than a printer's are errors with
/// exit statuses, never an abort: `--waiter` with 2,000 nested parentheses and `--filter` with
/// 1,000 `.a` segments are usage errors naming the option; the largest expressions allowed
/// evaluate; an answer nested 10,000 deep is refused, one nested 120 deep printed.
#[tokio::test(flavor = "multi_thread")]
async fn deep_expressions_and_answers_are_errors_not_crashes() {
    let deep_waiter = format!(
        r#"{{"expr": "{}a{}", "to": 1}}"#,
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let long_filter = format!("a{}", ".a".repeat(1000));
    let closed = "http://127.0.0.1:9";
    for (option, value) in [("--waiter", &deep_waiter), ("--filter", &long_filter)] {
        let refused = teo(&against(closed, &["DescribeZones", option, value])).await;
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        let message = stderr(&refused);
        assert!(
            message.starts_with(&format!("Invalid value for {option}")),
            "{message}"
        );
        assert!(
            message.contains("nested deeper than 64") || message.contains("more than 256"),
            "{message}"
        );
    }

    let nested = 120;
    let deep_value = format!("{}1{}", r#"{"a": "#.repeat(nested), "}".repeat(nested));
    let (url, _server) = answering(format!(
        r#"{{"Response": {{"A": {deep_value}, "RequestId": "r"}}}}"#
    ));
    // The limits themselves: 64 nested parentheses, and 256 operators (`.a` segments; past
    // the data's depth they select nothing, so nothing is printed).
    let at_limits = [
        (format!("{}A{}", "(".repeat(64), ")".repeat(64)), "{\n"),
        (format!("A{}", ".a".repeat(nested)), "1\n"),
        (format!("A{}", ".a".repeat(256)), ""),
    ];
    for (filter, printed) in &at_limits {
        let found = teo(&against(&url, &["DescribeZones", "--filter", filter])).await;
        assert!(found.status.success(), "{}", stderr(&found));
        assert!(stdout(&found).starts_with(printed), "{}", stdout(&found));
    }
    let many = format!("{}A", "!".repeat(256));
    let found = teo(&against(&url, &["DescribeZones", "--filter", &many])).await;
    assert_eq!(stdout(&found), "true\n", "{}", stderr(&found));
    for output in ["json", "text", "table"] {
        let printed = teo(&against(&url, &["DescribeZones", "--output", output])).await;
        assert!(printed.status.success(), "{output}: {}", stderr(&printed));
        assert!(stdout(&printed).contains('1'), "{output}");
    }

    let (url, _server) = answering(format!(
        r#"{{"Response": {{"A": {}1{}, "RequestId": "r"}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    ));
    for output in ["json", "text", "table"] {
        let refused = teo(&against(&url, &["DescribeZones", "--output", output])).await;
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("the response is not JSON: recursion limit exceeded"),
            "{}",
            stderr(&refused)
        );
    }
}

/// A plain `--dry-run` signs with placeholder credentials: with `--role-arn`, STS (a stand-in on
/// 127.0.0.1 named by the profile's `sts.endpoint`) is not asked; `--dry-run=signed` asks it and
/// signs with the temporary credentials it gives (their session token is the X-TC-Token header).
#[tokio::test(flavor = "multi_thread")]
async fn dry_runs_fetch_no_credentials_unless_signed() {
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 7200;
    let (sts, asked) = answering(
        serde_json::json!({"Response": {
            "Credentials": {"TmpSecretId": "AKIDTMP", "TmpSecretKey": "tmp-key", "Token": "tmp-token"},
            "ExpiredTime": expires,
            "Expiration": "",
            "RequestId": "sts-1"
        }})
        .to_string(),
    );
    let home = std::env::temp_dir().join(format!("teo-cli-dry-run-home-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".tccli")).unwrap();
    std::fs::write(
        home.join(".tccli/default.configure"),
        serde_json::json!({"sts": {"endpoint": sts}}).to_string(),
    )
    .unwrap();
    let home_env = [("HOME", home.to_str().unwrap())];
    let role = [
        "DescribeZones",
        "--role-arn",
        "qcs::cam::uin/100000000001:roleName/teo-reader",
        "--role-session-name",
        "dry",
    ];
    let count = || asked.request_count();

    let mut plain_args = against("http://127.0.0.1:9", &role);
    plain_args.push("--dry-run");
    let plain = teo_with_env(&plain_args, &home_env).await;
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert_eq!(count(), 0, "a plain --dry-run asked STS");
    assert!(stdout(&plain).contains("authorization: <redacted>\n"));
    assert!(!stdout(&plain).contains("x-tc-token"), "{}", stdout(&plain));

    let mut signed_args = against("http://127.0.0.1:9", &role);
    signed_args.push("--dry-run=signed");
    let signed = teo_with_env(&signed_args, &home_env).await;
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert_eq!(count(), 1, "--dry-run=signed did not ask STS");
    let printed = stdout(&signed);
    assert!(printed.contains("x-tc-token: <redacted>\n"), "{printed}");
    assert!(!printed.contains("tmp-token"), "{printed}");

    let bad = teo(&["DescribeZones", "--dry-run=later"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--dry-run"), "{}", stderr(&bad));
    let _ = std::fs::remove_dir_all(&home);
}
