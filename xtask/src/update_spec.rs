//! `cargo xtask update-spec`: fetch the official descriptions with pip (whatever index pip is
//! configured with) — the intl package and the mainland one — and copy their api.json and
//! examples.json into api-spec/.

use std::fs;
use std::path::Path;
use std::process::Command;

/// A PyPI package of the official command line and the spec directories vendored from it:
/// (directory in the package, directory here).
struct Package {
    name: &'static str,
    dirs: &'static [(&'static str, &'static str)],
}

const PACKAGES: &[Package] = &[
    // The international site's package: English text, the primary spec of every service.
    Package {
        name: "tccli-intl-en",
        dirs: &[
            ("tccli/services/teo/v20220901", "api-spec/teo/v20220901"),
            ("tccli/services/sts/v20180813", "api-spec/sts/v20180813"),
        ],
    },
    // The Chinese mainland site's package: teo's actions and members the intl one lacks, merged
    // in by `tc_spec::merge`.
    Package {
        name: "tccli",
        dirs: &[(
            "tccli/services/teo/v20220901",
            "api-spec/teo/v20220901/mainland",
        )],
    },
];
const FILES: &[&str] = &["api.json", "examples.json"];

/// `version` pins the first (intl) package; the mainland one is always its latest.
pub fn run(root: &Path, version: Option<&str>) -> Result<(), String> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    let work = target.join("update-spec");
    let _ = fs::remove_dir_all(&work);
    let mut fetched = Vec::new();
    for (index, package) in PACKAGES.iter().enumerate() {
        let requirement = match version {
            Some(v) if index == 0 => format!("{}=={v}", package.name),
            _ => package.name.to_owned(),
        };
        let dir = work.join(package.name);
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        python(
            &["-m", "pip", "download", "--no-deps", "--quiet", "-d"],
            &dir,
            &requirement,
        )?;
        let wheel = fs::read_dir(&dir)
            .map_err(|e| format!("listing {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|p| p.extension().is_some_and(|ext| ext == "whl"))
            .ok_or_else(|| format!("pip did not download a wheel of {requirement}"))?;
        let unpacked = dir.join("unpacked");
        python(
            &["-m", "zipfile", "-e"],
            &wheel,
            &unpacked.to_string_lossy(),
        )?;
        for (in_package, here) in package.dirs {
            fs::create_dir_all(root.join(here)).map_err(|e| format!("creating {here}: {e}"))?;
            for file in FILES {
                let from = unpacked.join(in_package).join(file);
                let to = root.join(here).join(file);
                fs::copy(&from, &to)
                    .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
            }
        }
        fetched.push(format!(
            "{} from {}",
            package
                .dirs
                .iter()
                .map(|(_, here)| *here)
                .collect::<Vec<_>>()
                .join(", "),
            wheel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
    }
    println!(
        "updated {}; record the versions in api-spec/README.md, then run `cargo xtask regenerate`",
        fetched.join("; ")
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
