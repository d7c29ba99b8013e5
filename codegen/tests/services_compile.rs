//! Generated code for services other than teo compiles against the shared runtime: `sts`, `cls`,
//! `ssl` and `dnspod` from the official package are generated into a scratch crate that depends
//! on `tc-runtime` and `tc-types` by path, which `cargo check` then type-checks — models, action
//! methods, paginators, the service descriptor.
//!
//! The scratch crate reuses this workspace's `Cargo.lock` (so `--offline` finds every crate) and
//! has a target directory of its own under this one's `tmp/`, so it never waits on the lock of
//! the build that runs the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use codegen::Options;

mod common;
use common::{newest_specs, services_dir};

const SERVICES: &[&str] = &["sts", "cls", "ssl", "dnspod"];

#[test]
fn sts_cls_ssl_and_dnspod_compile_against_the_runtime() {
    let specs = newest_specs(&services_dir());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("services-check");
    let src = scratch.join("src");
    let _ = std::fs::remove_dir_all(&src);
    std::fs::create_dir_all(&src).expect("scratch crate");

    let mut lib = String::from("//! Generated clients of several services, over one runtime.\n");
    for service in SERVICES {
        let spec = specs
            .get(*service)
            .unwrap_or_else(|| panic!("{service} is in the package"));
        let text = std::fs::read_to_string(spec).expect("read spec");
        let options = Options {
            source: format!("tccli-intl-en {service}"),
            models_path: format!("crate::{service}::models"),
            runtime_path: "tc_runtime".into(),
            action_table_feature: None,
        };
        let output = codegen::generate(&text, &Default::default(), &options)
            .unwrap_or_else(|e| panic!("{service} generates: {e}"));
        for (dir, files) in [("models", &output.models), ("client", &output.client)] {
            let dir = src.join(service).join(dir);
            std::fs::create_dir_all(&dir).expect("module directory");
            for file in files {
                std::fs::write(dir.join(&file.name), &file.contents).expect("write");
            }
        }
        std::fs::write(
            src.join(format!("{service}.rs")),
            format!(
                "#[path = \"{service}/models/mod.rs\"]\npub mod models;\n\
                 #[path = \"{service}/client/mod.rs\"]\nmod client;\npub use client::*;\n"
            ),
        )
        .expect("module file");
        lib.push_str(&format!("pub mod {service};\n"));
    }
    std::fs::write(src.join("lib.rs"), lib).expect("lib.rs");
    let path = |crate_dir: &str| {
        workspace
            .join(crate_dir)
            .canonicalize()
            .expect("workspace crate")
            .display()
            .to_string()
    };
    let manifest = format!(
        "[package]\nname = \"services-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[dependencies]\n\
         tc-runtime = {{ path = {:?} }}\ntc-types = {{ path = {:?} }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\n\
         [workspace]\n",
        path("tc-runtime"),
        path("tc-types"),
    );
    std::fs::write(scratch.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::copy(workspace.join("Cargo.lock"), scratch.join("Cargo.lock")).expect("lock file");

    let started = Instant::now();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        // Generated code must compile without a warning, like the workspace.
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("cargo runs");
    println!(
        "cargo check of {} generated services: {:.1} s",
        SERVICES.join(", "),
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "the generated services do not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
