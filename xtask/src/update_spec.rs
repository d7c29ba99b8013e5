//! `cargo xtask update-spec`: fetch the official description with pip (whatever index pip is
//! configured with) and copy api.json and examples.json into api-spec/.

use std::fs;
use std::path::Path;
use std::process::Command;

const PACKAGE: &str = "tccli-intl-en";
/// The vendored specs: (directory in the package, directory here).
const SPEC_DIRS: &[(&str, &str)] = &[
    ("tccli/services/teo/v20220901", "api-spec/teo/v20220901"),
    ("tccli/services/sts/v20180813", "api-spec/sts/v20180813"),
];
const FILES: &[&str] = &["api.json", "examples.json"];

pub fn run(root: &Path, version: Option<&str>) -> Result<(), String> {
    let work = root.join("target/update-spec");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let requirement = match version {
        Some(v) => format!("{PACKAGE}=={v}"),
        None => PACKAGE.to_owned(),
    };
    python(
        &["-m", "pip", "download", "--no-deps", "--quiet", "-d"],
        &work,
        &requirement,
    )?;
    let wheel = fs::read_dir(&work)
        .map_err(|e| format!("listing {}: {e}", work.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|p| p.extension().is_some_and(|ext| ext == "whl"))
        .ok_or_else(|| format!("pip did not download a wheel of {requirement}"))?;
    let unpacked = work.join("unpacked");
    python(
        &["-m", "zipfile", "-e"],
        &wheel,
        &unpacked.to_string_lossy(),
    )?;
    for (in_package, here) in SPEC_DIRS {
        for file in FILES {
            let from = unpacked.join(in_package).join(file);
            let to = root.join(here).join(file);
            fs::copy(&from, &to)
                .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
        }
    }
    println!(
        "updated {} from {}; record the version in api-spec/README.md, then run `cargo xtask regenerate`",
        SPEC_DIRS.iter().map(|(_, here)| *here).collect::<Vec<_>>().join(", "),
        wheel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    );
    Ok(())
}

/// Runs `python3 <args> <path> <last>`.
fn python(args: &[&str], path: &Path, last: &str) -> Result<(), String> {
    let status = Command::new("python3")
        .args(args)
        .arg(path)
        .arg(last)
        .status()
        .map_err(|e| format!("running python3: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "python3 {} {} {last} failed ({status})",
            args.join(" "),
            path.display()
        ))
    }
}
