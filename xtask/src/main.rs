//! Project automation: `cargo xtask regenerate [--check]`, `cargo xtask update-spec [--version V]`,
//! `cargo xtask cycles`.

mod cycles;
mod regenerate;
mod update_spec;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Project automation for the EdgeOne SDK")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Rewrites every `src/generated/` directory from the specs in `api-spec/` and the fixture.
    Regenerate {
        /// Write nothing; fail and list the files that differ from what would be generated.
        #[arg(long)]
        check: bool,
    },
    /// Downloads the `tccli-intl-en` and `tccli` (mainland) packages with pip and refreshes the
    /// vendored api.json and examples.json files.
    UpdateSpec {
        /// Version of `tccli-intl-en`, e.g. 3.1.193.1; the latest when omitted (`tccli`: the latest).
        #[arg(long)]
        version: Option<String>,
    },
    /// Fails on any cycle between the modules of a workspace crate, naming a reference per edge.
    Cycles {
        /// Also list every edge between modules, with the first reference seen.
        #[arg(long)]
        edges: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Regenerate { check } => regenerate::run(&root, regenerate::TARGETS, check),
        Command::UpdateSpec { version } => update_spec::run(&root, version.as_deref()),
        Command::Cycles { edges } => cycles::run(&root, edges),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The directory holding the workspace `Cargo.toml` (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
