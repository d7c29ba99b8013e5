//! EdgeOne's offline logs as data. Log packets (gzip'd JSON lines, read as typed records by
//! [`records`]) become datasets that engines read: Hive-partitioned Parquet,
//! NDJSON or CSV ([`Dataset`]); and summaries of packets or datasets ([`summarize`]) as a terminal
//! table, an HTML report or JSON.
//!
//! ```no_run
//! # fn run() -> Result<(), teo_logs::ConvertError> {
//! use teo_logs::{ConvertOptions, Dataset, Format};
//!
//! let dataset = Dataset::local("dataset/", Format::Parquet)?;
//! let report = dataset.convert_file("logs/20240501-10-example.com_mainland.log.gz", ConvertOptions::default().zone("zone-2o3h21ed8bpu"))?;
//! println!("{} records, {} bad lines", report.records, report.bad_lines);
//! # Ok(()) }
//! ```
//!
//! The Parquet schema is [`encode::schema`]; `README.md` lists it.

#![warn(missing_docs)]

pub mod columns;
pub mod dataset;
pub mod destination;
pub mod encode;
pub mod export;
mod members;
#[rustfmt::skip] // generated code is formatted by the generator (prettyplease)
mod generated;
pub mod objects;
pub mod receive;
pub mod records;
pub mod staging;
pub mod summary;

use std::fmt;
use std::str::FromStr;

pub use columns::{Column, ColumnType, Table};
pub use dataset::{ConvertError, ConvertOptions, ConvertReport, Dataset};
pub use summary::{
    render_html, render_json, render_text, summarize, SummarizeOptions, Summary, SummaryError,
};

/// A dataset's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Apache Parquet: typed columns, zstd, row groups for engines.
    Parquet,
    /// JSON lines with the wire names; absent members left out.
    Ndjson,
    /// CSV with a header row of the wire names.
    Csv,
}

impl Format {
    /// The files' extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" => Ok(Format::Parquet),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("unknown format {s:?} (parquet, ndjson or csv)")),
        }
    }
}

pub(crate) use generated::records::with_record;
pub use generated::records::Kind;

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
