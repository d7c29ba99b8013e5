//! The generator takes any Tencent Cloud spec: the newest version of every service in the
//! official `tccli-intl-en` package generates — parse, validate, resolve, emit, format — twice,
//! with the same bytes both times, within the time budget.
//!
//! The package is installed from PyPI (without its dependencies) into the target directory on
//! first use; set `TCCLI_SERVICES` to a `tccli/services` directory to use another copy.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use codegen::Options;

const PACKAGE: &str = "tccli-intl-en==3.1.193.1";
/// Generating every service once, in a test build (the generator is optimised in dev builds).
const BUDGET: Duration = Duration::from_secs(30);

/// `tccli/services` of the package, installed once per target directory.
pub fn services_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TCCLI_SERVICES") {
        return PathBuf::from(dir);
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tccli-intl-en");
    let marker = root.join("installed.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(PACKAGE) {
        let _ = std::fs::remove_dir_all(&root);
        let output = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-deps", "--target"])
            .arg(&root)
            .arg(PACKAGE)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "pip install {PACKAGE} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&marker, PACKAGE).expect("write marker");
    }
    root.join("tccli/services")
}

/// The newest `v<date>/api.json` of every service, by service name.
pub fn newest_specs(services: &Path) -> BTreeMap<String, PathBuf> {
    let mut specs = BTreeMap::new();
    for entry in std::fs::read_dir(services).expect("services directory") {
        let dir = entry.expect("entry").path();
        let Ok(versions) = std::fs::read_dir(&dir) else {
            continue;
        };
        let newest = versions
            .filter_map(|v| v.ok().map(|v| v.path()))
            .filter(|v| {
                v.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.len() == 9 && n.starts_with('v'))
                    && v.join("api.json").is_file()
            })
            .max();
        if let (Some(newest), Some(name)) = (newest, dir.file_name().and_then(|n| n.to_str())) {
            specs.insert(name.to_owned(), newest.join("api.json"));
        }
    }
    specs
}

fn generate_all(
    specs: &BTreeMap<String, PathBuf>,
) -> (BTreeMap<String, Result<u64, String>>, Duration) {
    let mut results = BTreeMap::new();
    let mut generating = Duration::ZERO;
    for (service, path) in specs {
        let text = std::fs::read_to_string(path).expect("read spec");
        let options = Options {
            source: format!("{service}/api.json"),
            models_path: format!("{service}_models"),
            runtime_path: "tc_runtime".into(),
        };
        let started = Instant::now();
        let result = codegen::generate(&text, &Default::default(), &options);
        generating += started.elapsed();
        let result = result.map_err(|e| e.to_string()).map(|output| {
            let mut hasher = DefaultHasher::new();
            for file in output.models.iter().chain(&output.client) {
                (&file.name, &file.contents).hash(&mut hasher);
            }
            hasher.finish()
        });
        results.insert(service.clone(), result);
    }
    (results, generating)
}

#[test]
fn every_official_spec_generates_deterministically() {
    let specs = newest_specs(&services_dir());
    assert!(specs.len() >= 140, "found only {} services", specs.len());

    let (first, took) = generate_all(&specs);
    let failed: Vec<String> = first
        .iter()
        .filter_map(|(service, r)| r.as_ref().err().map(|e| format!("{service}: {e}")))
        .collect();
    println!(
        "{} services: {} generated, {} failed, in {:.1} s",
        specs.len(),
        specs.len() - failed.len(),
        failed.len(),
        took.as_secs_f64()
    );
    assert!(failed.is_empty(), "failed:\n{}", failed.join("\n"));
    assert!(took < BUDGET, "generation took {took:?}, budget {BUDGET:?}");

    let (second, _) = generate_all(&specs);
    let differing: Vec<&String> = first
        .keys()
        .filter(|service| first[*service] != second[*service])
        .collect();
    assert!(
        differing.is_empty(),
        "output differs between runs: {differing:?}"
    );
}
