//! Generation targets and the write / check logic. Everything is generated in memory first, so a
//! spec that fails validation leaves every file on disk untouched.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use codegen::{GeneratedFile, Options};

/// One spec and where its output goes.
pub enum Target {
    /// A service's `api.json` (and its override files beside it): models and client.
    Service {
        spec: &'static str,
        models_dir: &'static str,
        client_dir: &'static str,
        models_path: &'static str,
        runtime_path: &'static str,
        /// See `codegen::Options::action_table_feature`.
        action_table_feature: Option<&'static str>,
    },
    /// A service's `log-fields.json`: the record types with their reader and columns, and the
    /// mock's list of fields.
    LogFields {
        spec: &'static str,
        records_dir: &'static str,
        mock_dir: &'static str,
    },
}

impl Target {
    fn spec(&self) -> &'static str {
        match self {
            Target::Service { spec, .. } | Target::LogFields { spec, .. } => spec,
        }
    }

    /// The directories this target's output fills (and nothing else does).
    fn dirs(&self) -> [&'static str; 2] {
        match self {
            Target::Service {
                models_dir,
                client_dir,
                ..
            } => [models_dir, client_dir],
            Target::LogFields {
                records_dir,
                mock_dir,
                ..
            } => [records_dir, mock_dir],
        }
    }
}

pub const TARGETS: &[Target] = &[
    Target::Service {
        spec: "api-spec/teo/v20220901/api.json",
        models_dir: "teo-models/src/generated",
        client_dir: "teo-client/src/generated",
        models_path: "teo_models",
        runtime_path: "tc_runtime",
        // `teo` looks actions up by name: see teo-models' `action-table` feature.
        action_table_feature: Some("action-table"),
    },
    // EdgeOne's log records.
    Target::LogFields {
        spec: "api-spec/teo/log-fields.json",
        records_dir: "teo-logs/src/generated",
        mock_dir: "teo-mock/src/generated",
    },
    // STS, which the runtime's AssumeRole and web identity credential providers call.
    Target::Service {
        spec: "api-spec/sts/v20180813/api.json",
        models_dir: "tc-runtime/src/generated/sts/models",
        client_dir: "tc-runtime/src/generated/sts/client",
        models_path: "crate::sts::models",
        runtime_path: "crate",
        action_table_feature: None,
    },
    // The generator's own fixture, compiled by the `codegen-fixture` crate.
    Target::Service {
        spec: "codegen/tests/fixture/api.json",
        models_dir: "codegen-fixture/src/generated/models",
        client_dir: "codegen-fixture/src/generated/client",
        models_path: "crate::models",
        runtime_path: "tc_runtime",
        action_table_feature: None,
    },
];

/// Every generated file, by path relative to the workspace root.
pub fn generate_all(root: &Path, targets: &[Target]) -> Result<BTreeMap<PathBuf, String>, String> {
    let mut files = BTreeMap::new();
    for target in targets {
        let started = Instant::now();
        let spec_path = root.join(target.spec());
        let text = fs::read_to_string(&spec_path)
            .map_err(|e| format!("reading {}: {e}", spec_path.display()))?;
        let options = |runtime_path: &str, models_path: &str, table: Option<&str>| Options {
            source: target.spec().to_owned(),
            models_path: models_path.to_owned(),
            runtime_path: runtime_path.to_owned(),
            action_table_feature: table.map(str::to_owned),
        };
        let mut add = |dir: &str, generated: Vec<GeneratedFile>| {
            for file in generated {
                files.insert(Path::new(dir).join(file.name), file.contents);
            }
        };
        match target {
            Target::Service {
                spec,
                models_dir,
                client_dir,
                models_path,
                runtime_path,
                action_table_feature,
            } => {
                // Override files are optional: most specs need none.
                let paging =
                    read_optional(&spec_path.with_file_name(codegen::paging::OVERRIDES_FILE))?;
                let retry = read_optional(
                    &spec_path.with_file_name(codegen::retry_safety::OVERRIDES_FILE),
                )?;
                // The mainland site's description of the same API, merged in where vendored (teo).
                let mainland =
                    read_optional(&spec_path.with_file_name(codegen::merge::SECONDARY_SPEC))?;
                let waiters =
                    read_optional(&spec_path.with_file_name(codegen::waiters::OVERRIDES_FILE))?;
                let overrides = codegen::OverrideTexts {
                    paging: paging.as_deref(),
                    retry: retry.as_deref(),
                    mainland: mainland.as_deref(),
                    waiters: waiters.as_deref(),
                };
                let output = codegen::generate(
                    &text,
                    &overrides,
                    &options(runtime_path, models_path, *action_table_feature),
                )
                .map_err(|e| format!("{spec}: {e}"))?;
                add(models_dir, output.models);
                add(client_dir, output.client);
            }
            Target::LogFields {
                spec,
                records_dir,
                mock_dir,
            } => {
                let output = codegen::generate_log_records(&text, &options("", "", None))
                    .map_err(|e| format!("{spec}: {e}"))?;
                add(records_dir, output.records);
                add(mock_dir, output.mock);
            }
        }
        // Reading, parsing, validating, emitting and formatting; writing excluded.
        eprintln!(
            "{}: generated in {} ms",
            target.spec(),
            started.elapsed().as_millis()
        );
    }
    Ok(files)
}

fn read_optional(path: &Path) -> Result<Option<String>, String> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading {}: {e}", path.display())),
    }
}

/// Paths (relative to `root`) that are missing, differ, or should not exist.
pub fn stale_files(
    root: &Path,
    targets: &[Target],
    expected: &BTreeMap<PathBuf, String>,
) -> Result<Vec<String>, String> {
    let mut stale = Vec::new();
    for (path, contents) in expected {
        match fs::read_to_string(root.join(path)) {
            Ok(on_disk) if &on_disk == contents => {}
            Ok(_) => stale.push(format!("{} (differs)", path.display())),
            Err(_) => stale.push(format!("{} (missing)", path.display())),
        }
    }
    for dir in generated_dirs(targets) {
        for path in files_under(&root.join(dir))? {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if !expected.contains_key(&relative) {
                stale.push(format!("{} (no longer generated)", relative.display()));
            }
        }
    }
    Ok(stale)
}

pub fn run(root: &Path, targets: &[Target], check: bool) -> Result<(), String> {
    let files = generate_all(root, targets)?;
    if check {
        let stale = stale_files(root, targets, &files)?;
        if !stale.is_empty() {
            return Err(format!(
                "{} generated file(s) are stale; run `cargo xtask regenerate`:\n  {}",
                stale.len(),
                stale.join("\n  ")
            ));
        }
        println!("{} generated files are up to date", files.len());
        return Ok(());
    }
    for dir in generated_dirs(targets) {
        let dir = root.join(dir);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("removing {}: {e}", dir.display()))?;
        }
    }
    for (path, contents) in &files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    println!("wrote {} files", files.len());
    Ok(())
}

fn generated_dirs(targets: &[Target]) -> impl Iterator<Item = &'static str> + '_ {
    targets.iter().flat_map(Target::dirs)
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries {
        let path = entry
            .map_err(|e| format!("listing {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            found.extend(files_under(&path)?);
        } else {
            found.push(path);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when someone changed a spec or the generator without running `cargo xtask regenerate`,
    /// or edited a generated file by hand.
    #[test]
    fn generated_files_are_fresh() {
        let root = crate::workspace_root();
        let files =
            generate_all(&root, TARGETS).unwrap_or_else(|e| panic!("generation failed: {e}"));
        let stale = stale_files(&root, TARGETS, &files).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            stale.is_empty(),
            "stale generated files, run `cargo xtask regenerate`:\n{}",
            stale.join("\n")
        );
    }

    const SCRATCH: &[Target] = &[Target::Service {
        spec: "spec/api.json",
        models_dir: "models/src/generated",
        client_dir: "client/src/generated",
        models_path: "models",
        runtime_path: "runtime",
        action_table_feature: None,
    }];

    /// A scratch workspace holding the fixture spec and a stray file in a generated directory.
    fn scratch() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture = crate::workspace_root().join("codegen/tests/fixture/api.json");
        fs::create_dir_all(dir.path().join("spec")).unwrap();
        fs::copy(fixture, dir.path().join("spec/api.json")).unwrap();
        fs::create_dir_all(dir.path().join("models/src/generated")).unwrap();
        fs::write(
            dir.path().join("models/src/generated/removed_action.rs"),
            "// stale",
        )
        .unwrap();
        dir
    }

    #[test]
    fn regenerate_wipes_what_is_no_longer_generated_and_check_sees_it() {
        let dir = scratch();
        let stale = run(dir.path(), SCRATCH, true).unwrap_err();
        assert!(
            stale.contains("models/src/generated/removed_action.rs (no longer generated)"),
            "{stale}"
        );
        assert!(
            stale.contains("client/src/generated/operations.rs (missing)"),
            "{stale}"
        );

        run(dir.path(), SCRATCH, false).unwrap();
        assert!(!dir
            .path()
            .join("models/src/generated/removed_action.rs")
            .exists());
        assert!(dir.path().join("models/src/generated/objects.rs").exists());
        run(dir.path(), SCRATCH, true).unwrap();

        fs::write(
            dir.path().join("client/src/generated/operations.rs"),
            "// edited by hand",
        )
        .unwrap();
        let stale = run(dir.path(), SCRATCH, true).unwrap_err();
        assert!(
            stale.contains("client/src/generated/operations.rs (differs)"),
            "{stale}"
        );
    }

    #[test]
    fn a_broken_spec_writes_nothing() {
        let dir = scratch();
        run(dir.path(), SCRATCH, false).unwrap();
        let before =
            fs::read_to_string(dir.path().join("models/src/generated/actions.rs")).unwrap();
        let spec = dir.path().join("spec/api.json");
        let broken = fs::read_to_string(&spec)
            .unwrap()
            .replace("\"member\": \"RuleNode\"", "\"member\": \"Nope\"");
        fs::write(&spec, broken).unwrap();

        let error = run(dir.path(), SCRATCH, false).unwrap_err();
        assert!(
            error.contains("objects.CreateIPv6RuleRequest.members[2].member"),
            "{error}"
        );
        let after = fs::read_to_string(dir.path().join("models/src/generated/actions.rs")).unwrap();
        assert_eq!(before, after, "the previous output is untouched");
    }
}
