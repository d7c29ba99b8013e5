//! `teo logs convert`: packets already on disk (from `teo logs download`, or any `.log.gz` /
//! `.log` JSON lines) or in an object store (what EdgeOne's real-time push to S3 leaves) into a
//! Hive-partitioned Parquet, NDJSON or CSV dataset, by [`teo_logs::Dataset`], a packet per
//! thread; `--watch` converts new objects as they come.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use indicatif::HumanBytes;
use teo_logs::destination::{Destination, StoreOptions};
use teo_logs::encode::CsvCells;
use teo_logs::records::BadLines;
use teo_logs::{staging, ConvertOptions, ConvertReport, Dataset, Format};

use super::args;
use crate::failure::{printable, with_causes, EXIT_FAILED, EXIT_USAGE};
use crate::stdout;

pub(crate) const AFTER_HELP: &str = "\
INPUT is a packet file (.log.gz or .log: gzip is detected by its content) or a directory searched
for them (hidden files and symbolic links are passed over), or an object store prefix
(s3://bucket/EO-logs/, gs://…, az://…) whose every object is a packet: what a real-time log
task of type s3 pushes (JSON Lines, gzip told by the content; object names do not matter).
A rerun downloads only the objects not converted yet; --watch SECONDS keeps polling for new
ones until Ctrl-C. Each packet's records go to
  OUT/kind=<l7|l4|function>/zone=<ZONE>/date=<YYYY-MM-DD>/hour=<HH>/<packet>.<parquet|ndjson|csv>
by the UTC time of each record; without --zone the zone is Hive's null partition.
Files are written under hidden temporary names and renamed once complete; a packet is
marked converted under OUT/_teo_converted/ only when all its files are in place, so a rerun
skips it and an interrupted one is converted again.

Lines that are not records are counted and skipped (the first ones are listed with their file
and line); --strict makes one fail its packet.

Query the dataset, e.g. with DuckDB:
  SELECT EdgeResponseStatusCode, count(*) FROM read_parquet('OUT/kind=l7/**/*.parquet',
    hive_partitioning = true) GROUP BY 1 ORDER BY 2 DESC;

Example:
  teo logs convert edgeone-logs --kind l7 --zone zone-demo --format parquet --out dataset";

#[derive(Args)]
pub(crate) struct ConvertArgs {
    /// Packet files or directories of them, or object store prefixes (s3://bucket/prefix/)
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<String>,
    /// The dataset's directory (created if missing), or s3://bucket/prefix, gs://…, az://…
    #[arg(long, value_name = "DIR|URL", value_parser = args::name)]
    out: String,
    /// An S3-compatible endpoint for s3:// inputs and output (Tencent COS, MinIO…)
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// With object store inputs: where objects wait while converted; private to you
    /// [default: ~/.cache/teo/staging/<hash of the input>]
    #[arg(long, value_name = "DIR")]
    staging: Option<PathBuf>,
    /// With object store inputs: look for new objects every SECONDS until Ctrl-C (1-86400)
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    watch: Option<u64>,
    /// The dataset's file format
    #[arg(long, value_enum, ignore_case = true, default_value = "parquet")]
    format: DatasetFormat,
    /// The records' kind; detected from the first record of each packet when left out
    #[arg(long, ignore_case = true, value_parser = record_kind())]
    kind: Option<teo_logs::Kind>,
    /// The zone= partition of these packets
    #[arg(long, value_name = "ZONE", value_parser = args::name)]
    zone: Option<String>,
    /// A line that is not a record fails its packet (default: counted and skipped)
    #[arg(long)]
    strict: bool,
    /// With --format csv: write every value exactly as sent. By default a text cell that
    /// starts with = + - @ or a tab/CR gets a leading ' so spreadsheets do not run it as a
    /// formula (visitors choose URLs and user agents)
    #[arg(long)]
    csv_raw: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DatasetFormat {
    Parquet,
    Ndjson,
    Csv,
}

impl From<DatasetFormat> for Format {
    fn from(format: DatasetFormat) -> Self {
        match format {
            DatasetFormat::Parquet => Format::Parquet,
            DatasetFormat::Ndjson => Format::Ndjson,
            DatasetFormat::Csv => Format::Csv,
        }
    }
}

/// A kind of the log fields spec, by name (`l7`, `l4`, `function`).
fn record_kind() -> impl clap::builder::TypedValueParser<Value = teo_logs::Kind> {
    use clap::builder::TypedValueParser;
    let names: Vec<&'static str> = teo_logs::Kind::ALL.iter().map(|k| k.as_str()).collect();
    // The parser admits only these names, so one of them is found.
    clap::builder::PossibleValuesParser::new(names).map(|name| {
        let mut kinds = teo_logs::Kind::ALL.iter().copied();
        kinds
            .find(|k| k.as_str() == name)
            .unwrap_or(teo_logs::Kind::L7)
    })
}

/// Directories deeper than this under an INPUT are not searched.
const MAX_DEPTH: usize = 16;

pub(crate) fn run(args: ConvertArgs) -> ExitCode {
    let (remote, local): (Vec<&String>, Vec<&String>) =
        args.inputs.iter().partition(|i| i.contains("://"));
    let mut packets = Vec::new();
    for input in local {
        if let Err(error) = find_packets(Path::new(input), 0, &mut packets) {
            return fail(EXIT_USAGE, &format!("{input}: {error}"));
        }
    }
    packets.sort();
    packets.dedup();
    if packets.is_empty() && remote.is_empty() {
        return fail(
            EXIT_USAGE,
            "no packet (.log.gz or .log) found in the inputs",
        );
    }
    if args.csv_raw && args.format != DatasetFormat::Csv {
        return fail(EXIT_USAGE, "--csv-raw is for --format csv");
    }
    if args.watch.is_some() && (remote.is_empty() || !packets.is_empty()) {
        return fail(
            EXIT_USAGE,
            "--watch is for object store inputs (s3://…) only",
        );
    }
    // Object stores are reached from this thread through the runtime's handle.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(EXIT_FAILED, &format!("cannot start the runtime: {e}")),
    };
    let store_options = StoreOptions {
        s3_endpoint: args.s3_endpoint.clone(),
        ..StoreOptions::default()
    };
    let place = |text: &str| Destination::parse(text, &store_options, runtime.handle().clone());
    let out = match place(&args.out) {
        Ok(out) => out,
        Err(error) => return fail(EXIT_USAGE, &error.to_string()),
    };
    let mut sources = Vec::new();
    for input in remote {
        match place(input) {
            Ok(source) => sources.push((input.clone(), source)),
            Err(error) => return fail(EXIT_USAGE, &error.to_string()),
        }
    }
    let dataset = match Dataset::new(out, args.format.into()) {
        Ok(dataset) => dataset
            .bad_lines(if args.strict {
                BadLines::Fail
            } else {
                BadLines::Skip
            })
            .csv_cells(if args.csv_raw {
                CsvCells::Raw
            } else {
                CsvCells::Neutralized
            }),
        Err(error) => return fail(EXIT_FAILED, &error.to_string()),
    };
    let mut options = ConvertOptions::default();
    options.kind = args.kind;
    options.zone.clone_from(&args.zone);
    let mut results: Vec<Outcome> = packets
        .iter()
        .zip(dataset.convert_files(&packets, options.clone()))
        .map(|(path, result)| {
            (
                path.display().to_string(),
                result.map_err(|e| with_causes(&e)),
            )
        })
        .collect();
    for (input, source) in &sources {
        match convert_objects(&dataset, input, source, &args, &options) {
            Ok(found) => results.extend(found),
            Err(message) => return fail(EXIT_FAILED, &message),
        }
    }
    if let Some(every) = args.watch {
        summarize_run(&args, &results, true);
        return runtime.block_on(watch(&dataset, &sources, &args, &options, every));
    }
    summarize_run(&args, &results, false)
}

/// A packet's name (a path, or `input/key` for an object) and what converting it did.
type Outcome = (String, Result<ConvertReport, String>);

/// Converts the new objects under `source`; each outcome named `input/key`.
fn convert_objects(
    dataset: &Dataset,
    input: &str,
    source: &Destination,
    args: &ConvertArgs,
    options: &ConvertOptions,
) -> Result<Vec<Outcome>, String> {
    let staging = match &args.staging {
        Some(dir) => dir.clone(),
        None => staging::default_dir(&format!("convert {input}")).map_err(|e| e.to_string())?,
    };
    let shown = teo_logs::destination::shown_url(input);
    let outcomes = dataset
        .convert_objects(source, &staging, options.clone())
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(outcomes
        .into_iter()
        .map(|o| {
            let name = format!("{}/{}", shown.trim_end_matches('/'), o.object.key);
            (name, o.result.map_err(|e| with_causes(&e)))
        })
        .collect())
}

/// Polls the object store inputs every `every` seconds until Ctrl-C, a line per new object.
async fn watch(
    dataset: &Dataset,
    sources: &[(String, Destination)],
    args: &ConvertArgs,
    options: &ConvertOptions,
    every: u64,
) -> ExitCode {
    // One Ctrl-C listener for the whole run: one that comes while a conversion runs is kept for
    // the next wait. (A listener made for each wait missed it, and the watch went on forever.)
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => return ExitCode::SUCCESS,
            _ = tokio::time::sleep(std::time::Duration::from_secs(every)) => {}
        }
        for (input, source) in sources {
            let found = {
                let (dataset, source, options) = (dataset.clone(), source.clone(), options.clone());
                let (input, staging) = (input.clone(), args.staging.clone());
                tokio::task::spawn_blocking(move || {
                    let staging = match staging {
                        Some(dir) => dir,
                        None => staging::default_dir(&format!("convert {input}"))
                            .map_err(|e| e.to_string())?,
                    };
                    dataset
                        .convert_objects(&source, &staging, options)
                        .map_err(|e| format!("{}: {e}", teo_logs::destination::shown_url(&input)))
                })
                .await
            };
            match found {
                Ok(Ok(outcomes)) => {
                    for outcome in outcomes
                        .iter()
                        .filter(|o| !matches!(&o.result, Ok(r) if r.skipped))
                    {
                        let line = match &outcome.result {
                            Ok(report) => format!(
                                "converted {}: {} records",
                                outcome.object.key, report.records
                            ),
                            Err(e) => format!("failed {}: {}", outcome.object.key, with_causes(e)),
                        };
                        let _ = writeln!(io::stderr(), "{}", printable(&line));
                    }
                }
                Ok(Err(message)) => {
                    let _ = writeln!(io::stderr(), "{}", printable(&message));
                }
                Err(e) => {
                    let _ = writeln!(io::stderr(), "the conversion task failed: {e}");
                }
            }
        }
    }
}

/// The summary on stdout; exit 0 when nothing failed (and when `watching`, the first pass).
fn summarize_run(args: &ConvertArgs, results: &[Outcome], watching: bool) -> ExitCode {
    let packets = results;

    let mut totals = ConvertReport::default();
    let (mut converted, mut skipped, mut failed) = (0, 0, Vec::new());
    for (path, result) in results {
        match result {
            Ok(report) if report.skipped => skipped += 1,
            Ok(report) => {
                converted += 1;
                totals.records += report.records;
                totals.bad_lines += report.bad_lines;
                totals.bytes_written += report.bytes_written;
                let room = 20usize.saturating_sub(totals.bad.len());
                totals.bad.extend(report.bad.iter().take(room).cloned());
                totals.files.extend(report.files.iter().cloned());
            }
            Err(error) => failed.push((path, error)),
        }
    }
    let mut lines = vec![
        format!("packets     {}", packets.len()),
        format!("converted   {converted}"),
        format!("skipped     {skipped}  (already in the dataset)"),
        format!(
            "records     {} ({} bad lines skipped)",
            totals.records, totals.bad_lines
        ),
    ];
    lines.extend(totals.bad.iter().map(|bad| format!("  {bad}")));
    lines.push(format!("failed      {}", failed.len()));
    lines.extend(
        failed
            .iter()
            .map(|(path, error)| format!("  {path}: {error}")),
    );
    lines.push(format!(
        "written     {} ({} bytes) in {} files to {}",
        HumanBytes(totals.bytes_written),
        totals.bytes_written,
        totals.files.len(),
        teo_logs::destination::shown_url(&args.out)
    ));
    // File names and reasons come from the inputs: shown escaped, a line each.
    let text: String = lines.iter().map(|line| printable(line) + "\n").collect();
    // As ever: a summary that cannot be written is not reported (the dataset is the result).
    let _ = stdout::write(&text);
    if watching {
        let _ = writeln!(io::stderr(), "watching for new objects (Ctrl-C to stop)");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    let _ = writeln!(io::stderr(), "{}", printable(message));
    ExitCode::from(code)
}

fn is_packet(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".log.gz") || name.ends_with(".log"))
}

/// Packet files at `path`: the file itself, or those under the directory (no links followed).
fn find_packets(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            find_packets(&entry.path(), depth + 1, out)?;
        } else if kind.is_file() && is_packet(&name) {
            out.push(entry.path());
        }
    }
    Ok(())
}
