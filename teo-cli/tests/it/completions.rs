//! `teo completions bash|zsh|fish`, from the built binary: the scripts name every part of the
//! command line, and the bash one, loaded into a real `bash`, completes actions, parameters
//! and values when its completion function is driven as bash's readline would drive it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TEO: &str = env!("CARGO_BIN_EXE_teo");

fn teo(args: &[&str]) -> Output {
    Command::new(TEO).args(args).output().expect("teo runs")
}

fn script(shell: &str) -> String {
    let output = teo(&["completions", shell]);
    assert!(
        output.status.success(),
        "teo completions {shell}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the script is UTF-8")
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "teo-completions-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How a script names the long option `name`: fish writes `-l name`.
fn long_option(shell: &str, name: &str) -> String {
    match shell {
        "fish" => format!("-l {name}"),
        _ => format!("--{name}"),
    }
}

#[test]
fn every_shell_gets_a_script_naming_actions_options_and_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let script = script(shell);
        for word in ["DescribeZones", "DownloadL4Logs", "logs", "download"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        for option in ["ZoneIds", "output", "cli-input-json", "kind", "language"] {
            let option = long_option(shell, option);
            assert!(script.contains(&option), "{shell}: no {option}");
        }
    }
}

#[test]
fn completions_help_and_usage_errors() {
    let help = teo(&["completions", "--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for shell in ["bash", "zsh", "fish"] {
        assert!(text.contains(shell), "{text}");
    }

    let unknown = teo(&["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(unknown.stdout.is_empty());
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(message.contains("tcsh"), "{message}");
    assert!(message.contains("bash, zsh, fish"), "{message}");

    let missing = teo(&["completions"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("<SHELL>"));
}

/// Loads the bash script and calls the function registered for `teo` as readline does:
/// COMP_WORDS are `words` split the way bash splits them (`:` breaks words), COMP_LINE is
/// `line` with the cursor at its end. Returns COMPREPLY, one candidate a line.
const BASH_DRIVER: &str = r#"
script=$1 line=$2
shift 2
source "$script"
spec=$(complete -p teo) || { echo "nothing is registered for teo" >&2; exit 3; }
function=$(sed -n 's/.* -F \([^ ]*\) .*/\1/p' <<<"$spec")
COMP_WORDBREAKS=$' \t\n"'"'"'><=;|&(:'
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
previous=""
(( COMP_CWORD > 0 )) && previous=${COMP_WORDS[COMP_CWORD-1]}
"$function" teo "${COMP_WORDS[COMP_CWORD]}" "$previous" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
"#;

struct Bash {
    scratch: Scratch,
    script: PathBuf,
}

impl Bash {
    fn new() -> Bash {
        let scratch = Scratch::new("bash");
        let script = scratch.write("teo.bash", &script("bash"));
        Bash { scratch, script }
    }

    /// The candidates for `line`, whose last word (possibly empty) is completed.
    fn complete(&self, line: &str) -> Vec<String> {
        self.complete_in(line, &split(line), &self.scratch.0)
    }

    /// The candidates that are no options (subcommands, values).
    fn words(&self, line: &str) -> Vec<String> {
        let mut words = self.complete(line);
        words.retain(|w| !w.starts_with('-'));
        words
    }

    fn complete_in(&self, line: &str, words: &[&str], dir: &Path) -> Vec<String> {
        let output = Command::new("bash")
            .arg("-c")
            .arg(BASH_DRIVER)
            .arg("bash")
            .arg(&self.script)
            .arg(line)
            .args(words)
            .current_dir(dir)
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "{line:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The words of a line without quotes or `:`, the last one empty after a trailing space.
fn split(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

#[test]
fn bash_script_loads_and_completes() {
    let bash = Bash::new();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&bash.script)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    let actions = bash.complete("teo Descr");
    assert!(actions.contains(&"DescribeZones".to_owned()), "{actions:?}");
    assert!(
        actions.iter().all(|a| a.starts_with("Descr")),
        "{actions:?}"
    );

    assert_eq!(bash.complete("teo DownloadL4Logs --Zo"), ["--ZoneIds"]);
    let options = bash.complete("teo DownloadL4Logs --");
    for option in [
        "--StartTime",
        "--cli-input-json",
        "--output",
        "--secretId",
        "--help",
    ] {
        assert!(
            options.contains(&option.to_owned()),
            "{option}: {options:?}"
        );
    }
    // Global options before the action do not hide it.
    assert_eq!(
        bash.complete("teo --output json DownloadL4Logs --Zo"),
        ["--ZoneIds"]
    );

    assert_eq!(
        bash.complete("teo DescribeZones --output "),
        ["json", "table", "text"]
    );
    assert_eq!(
        bash.complete("teo DescribeZones --language "),
        ["en-US", "zh-CN"]
    );

    let top = bash.complete("teo ");
    for word in ["help", "configure", "completions", "logs", "DownloadL7Logs"] {
        assert!(top.contains(&word.to_owned()), "{word}: {top:?}");
    }
    assert_eq!(bash.complete("teo logs d"), ["download"]);
    let logs = bash.complete("teo logs ");
    for word in ["download", "convert", "summarize"] {
        assert!(logs.contains(&word.to_owned()), "{word}: {logs:?}");
    }
    assert_eq!(bash.complete("teo logs download --kind "), ["l4", "l7"]);
    let download = bash.complete("teo logs download --");
    for option in ["--zone", "--start", "--mock", "--secretId", "--language"] {
        // Without the `mock` feature, teo has no --mock and must not offer it.
        let offered = cfg!(feature = "mock") || option != "--mock";
        assert_eq!(
            download.contains(&option.to_owned()),
            offered,
            "{option}: {download:?}"
        );
    }
    assert!(!download.contains(&"--cli-input-json".to_owned()));
    assert_eq!(
        bash.complete("teo logs download --language "),
        ["en-US", "zh-CN"]
    );
    assert_eq!(bash.words("teo completions "), ["bash", "zsh", "fish"]);
    assert_eq!(
        bash.words("teo configure "),
        ["list", "get", "set", "remove", "set-root-domain"]
    );
    assert!(bash
        .complete("teo configure get --")
        .contains(&"--profile".to_owned()));
    assert_eq!(bash.complete("teo help DownloadL4L"), ["DownloadL4Logs"]);
}

#[test]
fn bash_completes_the_path_of_cli_input_json_file_urls() {
    let bash = Bash::new();
    let dir = Scratch::new("files");
    dir.write("request.json", "{}");
    std::fs::create_dir(dir.0.join("requests")).unwrap();
    let line = "teo DescribeZones --cli-input-json file://req";
    // As bash splits it: `:` is a word of its own, the word completed is `//req`.
    let words = [
        "teo",
        "DescribeZones",
        "--cli-input-json",
        "file",
        ":",
        "//req",
    ];
    let mut candidates = bash.complete_in(line, &words, &dir.0);
    candidates.sort();
    assert_eq!(candidates, ["//request.json", "//requests/"]);

    // Before `file://` is typed, it is offered with the files.
    let candidates = bash.complete_in(
        "teo DescribeZones --cli-input-json ",
        &["teo", "DescribeZones", "--cli-input-json", ""],
        &dir.0,
    );
    assert!(
        candidates.contains(&"file://request.json".to_owned()),
        "{candidates:?}"
    );
}

/// zsh's and fish's scripts parse (`-n`), and fish, driven as it completes (`complete -C`),
/// offers actions, parameters and option values. Without the shells (`.ci/run` installs them and
/// sets TEO_REQUIRE_TOOLS) the check is skipped with a line.
#[test]
fn zsh_and_fish_scripts_parse() {
    for shell in ["zsh", "fish"] {
        let script = script(shell);
        if !tc_test_support::tools::runs(shell) {
            tc_test_support::tools::skip_check(&format!("the {shell} completion script"), shell);
            continue;
        }
        let scratch = Scratch::new(shell);
        let path = scratch.write(&format!("teo.{shell}"), &script);
        let output = Command::new(shell).arg("-n").arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "{shell} -n: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if shell == "fish" {
            let complete = |line: &str| -> Vec<String> {
                let command = format!("source {}; complete -C '{line}'", path.display());
                let output = Command::new("fish")
                    .args(["--no-config", "-c", &command])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .map(|l| l.split('\t').next().unwrap_or("").to_owned())
                    .collect()
            };
            assert!(complete("teo DescribeZ").contains(&"DescribeZones".to_owned()));
            assert_eq!(complete("teo DownloadL4Logs --Zo"), ["--ZoneIds"]);
            let outputs = complete("teo DescribeZones --output ");
            for format in ["json", "table", "text"] {
                assert!(outputs.contains(&format.to_owned()), "{outputs:?}");
            }
        }
    }
}

#[test]
fn zsh_and_fish_complete_file_urls_after_cli_input_json() {
    let zsh = script("zsh");
    assert!(zsh.contains("_teo_cli_input_json() {"));
    assert!(zsh.contains(":JSON | file URL:_teo_cli_input_json'"));
    assert!(!zsh.contains("file://path"));
    // The helper is defined before the script runs `_teo` or registers it.
    assert!(zsh.find("_teo_cli_input_json() {") < zsh.find("if [ \"$funcstack[1]\" = \"_teo\" ]"));

    let fish = script("fish");
    assert!(fish.contains("function __teo_cli_input_json"));
    let lines: Vec<&str> = fish
        .lines()
        .filter(|l| l.contains(" -l cli-input-json "))
        .collect();
    assert!(lines.len() > 200, "{}", lines.len());
    assert!(lines
        .iter()
        .all(|l| l.ends_with(" -r -f -a \"(__teo_cli_input_json)\"")));
}
