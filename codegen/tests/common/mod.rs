//! The official specs of the `tccli-intl-en` package, for tests that run the generator over them.
//!
//! The package is installed from PyPI (without its dependencies) into the target directory on
//! first use; set `TCCLI_SERVICES` to a `tccli/services` directory to use another copy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "tccli-intl-en==3.1.193.1";

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
#[allow(dead_code)] // not every test uses it
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
