//! insta snapshots of generated code: every file generated for the fixture spec, and the
//! DownloadL4Logs models of the real EdgeOne spec. The same fixture output is compiled and
//! exercised by the `codegen-fixture` crate, so these snapshots cannot drift into invalid Rust.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::path::Path;

use codegen::{Options, Service};

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn fixture_files() {
    let options = Options {
        source: "codegen/tests/fixture/api.json".into(),
        models_path: "crate::models".into(),
        runtime_path: "tc_runtime".into(),
        action_table_feature: None,
    };
    let waiters = read("tests/fixture/waiters.json");
    let overrides = codegen::OverrideTexts {
        waiters: Some(&waiters),
        ..Default::default()
    };
    let output = codegen::generate(&read("tests/fixture/api.json"), &overrides, &options)
        .expect("fixture generates");
    let mut names = Vec::new();
    for (dir, files) in [("models", &output.models), ("client", &output.client)] {
        for file in files {
            let name = format!("fixture__{dir}__{}", file.name.trim_end_matches(".rs"));
            insta::assert_snapshot!(name.clone(), &file.contents);
            names.push(name);
        }
    }
    assert_eq!(
        names,
        [
            "fixture__models__mod",
            "fixture__models__actions",
            "fixture__models__objects",
            "fixture__models__paging",
            "fixture__client__mod",
            "fixture__client__client",
            "fixture__client__operations",
            "fixture__client__paginators",
            "fixture__client__service",
            "fixture__client__waiters"
        ]
    );
}

#[test]
fn teo_download_l4_logs_models() {
    let service =
        Service::from_json(&read("../api-spec/teo/v20220901/api.json")).expect("teo spec resolves");
    let options = Options {
        source: "api-spec/teo/v20220901/api.json".into(),
        models_path: "teo_models".into(),
        runtime_path: "crate".into(),
        action_table_feature: None,
    };
    for object in [
        "DownloadL4LogsRequest",
        "DownloadL4LogsResponse",
        "L4OfflineLog",
    ] {
        let source = codegen::emit::object_source(&service, object, &options)
            .unwrap_or_else(|| panic!("{object} is in the spec"))
            .expect("renders");
        insta::assert_snapshot!(format!("teo__{object}"), source);
    }
}
