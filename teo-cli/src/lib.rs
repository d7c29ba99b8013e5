//! The `teo` command line: a tccli-compatible front end to the EdgeOne (teo 2022-09-01) API,
//! driven by the same `api.json` the SDK is generated from.
//!
//! `teo <Action> [--<Param> <value>]... [--cli-input-json <JSON | file://path>] [options]`
//!
//! [`options`] is the one table of global options; [`args`] turns the arguments into an
//! [`args::Invocation`] (pure, unit-tested), [`help`] renders help texts from the spec,
//! [`credentials`] picks what to sign with, [`output`] prints JSON as tccli does, and `run` ties
//! them to `teo_client`. `teo logs download` (clap-parsed, its global options built from the same
//! table) fetches log packets with `teo_client::logs`; `teo logs summarize` ([`summarize`])
//! reports on them with `teo_logs`. `teo configure` ([`configure`]) reads and writes tccli's
//! profile files (`~/.tccli/<profile>.configure` / `.credential`), which [`credentials`] signs
//! with. Dependencies run one way: run → logs → failure → credentials → configure's file
//! functions → options (`teo configure` itself reports through [`Failure`]).

pub mod args;
pub mod completions;
pub mod configure;
mod convert;
pub mod credentials;
mod expression;
mod failure;
pub mod help;
mod logs;
pub mod options;
pub mod output;
mod pages;
mod range;
mod resolve;
mod run;
pub mod spec;
mod suggest;
mod summarize;

pub use run::{execute, run, Failure, EXIT_FAILED, EXIT_USAGE};
