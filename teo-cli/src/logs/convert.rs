//! `teo logs convert`: packets already on disk (from `teo logs download`, or any `.log.gz` /
//! `.log` JSON lines) into a Hive-partitioned Parquet, NDJSON or CSV dataset, by
//! [`teo_logs::Dataset`], a packet per thread.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use indicatif::HumanBytes;
use teo_logs::encode::CsvCells;
use teo_logs::records::BadLines;
use teo_logs::{ConvertOptions, ConvertReport, Dataset, Format};

use super::args::{self, Kind};
use crate::failure::{printable, with_causes, EXIT_FAILED, EXIT_USAGE};
use crate::stdout;

pub(crate) const AFTER_HELP: &str = "\
INPUT is a packet file (.log.gz or .log: gzip is detected by its content) or a directory searched
for them (hidden files and symbolic links are passed over). Each packet's records go to
  OUT/kind=<l4|l7>/zone=<ZONE>/date=<YYYY-MM-DD>/hour=<HH>/<packet>.<parquet|ndjson|csv>
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
    /// Packet files or directories of them
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
    /// The dataset's directory, created if missing
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The dataset's file format
    #[arg(long, value_enum, ignore_case = true, default_value = "parquet")]
    format: DatasetFormat,
    /// The records' kind; detected from the first record of each packet when left out
    #[arg(long, value_enum, ignore_case = true)]
    kind: Option<Kind>,
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

/// Directories deeper than this under an INPUT are not searched.
const MAX_DEPTH: usize = 16;

pub(crate) fn run(args: ConvertArgs) -> ExitCode {
    let mut packets = Vec::new();
    for input in &args.inputs {
        if let Err(error) = find_packets(input, 0, &mut packets) {
            return fail(EXIT_USAGE, &format!("{}: {error}", input.display()));
        }
    }
    packets.sort();
    packets.dedup();
    if packets.is_empty() {
        return fail(
            EXIT_USAGE,
            "no packet (.log.gz or .log) found in the inputs",
        );
    }
    if args.csv_raw && args.format != DatasetFormat::Csv {
        return fail(EXIT_USAGE, "--csv-raw is for --format csv");
    }
    let dataset = match Dataset::local(&args.out, args.format.into()) {
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
    options.kind = args.kind.map(Into::into);
    options.zone.clone_from(&args.zone);
    let results = dataset.convert_files(&packets, options);

    let mut totals = ConvertReport::default();
    let (mut converted, mut skipped, mut failed) = (0, 0, Vec::new());
    for (path, result) in packets.iter().zip(results) {
        match result {
            Ok(report) if report.skipped => skipped += 1,
            Ok(report) => {
                converted += 1;
                totals.records += report.records;
                totals.bad_lines += report.bad_lines;
                totals.bytes_written += report.bytes_written;
                let room = 20usize.saturating_sub(totals.bad.len());
                totals.bad.extend(report.bad.into_iter().take(room));
                totals.files.extend(report.files);
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
            .map(|(path, error)| format!("  {}: {}", path.display(), with_causes(error))),
    );
    lines.push(format!(
        "written     {} ({} bytes) in {} files to {}",
        HumanBytes(totals.bytes_written),
        totals.bytes_written,
        totals.files.len(),
        args.out.display()
    ));
    // File names and reasons come from the inputs: shown escaped, a line each.
    let text: String = lines.iter().map(|line| printable(line) + "\n").collect();
    // As ever: a summary that cannot be written is not reported (the dataset is the result).
    let _ = stdout::write(&text);
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
