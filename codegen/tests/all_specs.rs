//! The generator takes any Tencent Cloud spec: the newest version of every service in the
//! official `tccli-intl-en` package generates — parse, validate, resolve, emit, format — twice,
//! with the same bytes both times, within the time budget.
//! (The specs: see `common`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use codegen::Options;

/// Generating every service once, wall time on all cores, in a test build (the emitter is
/// optimised in dev builds).
const BUDGET: Duration = Duration::from_secs(30);

mod common;
use common::{newest_specs, services_dir};

/// Generates every spec on every core (the services are independent), returning each one's
/// result — a hash of its files, or the error — and the wall time.
fn generate_all(
    specs: &BTreeMap<String, PathBuf>,
) -> (BTreeMap<String, Result<u64, String>>, Duration) {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let specs: Vec<(&String, &PathBuf)> = specs.iter().collect();
    let started = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let specs = &specs;
                scope.spawn(move || {
                    specs
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .map(|(service, path)| ((*service).clone(), generate_one(service, path)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a generator thread panicked"))
            .collect()
    });
    (results, started.elapsed())
}

fn generate_one(service: &str, path: &PathBuf) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let options = Options {
        source: format!("{service}/api.json"),
        models_path: format!("{service}_models"),
        runtime_path: "tc_runtime".into(),
        action_table_feature: None,
    };
    let output =
        codegen::generate(&text, &Default::default(), &options).map_err(|e| e.to_string())?;
    let mut hasher = DefaultHasher::new();
    for file in output.models.iter().chain(&output.client) {
        (&file.name, &file.contents).hash(&mut hasher);
    }
    Ok(hasher.finish())
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
