//! The `teo` command line: a tccli-compatible front end to the EdgeOne (teo 2022-09-01) API,
//! driven by the same `api.json` the SDK is generated from.
//!
//! `teo <Action> [--<Param> <value>]... [--cli-input-json <JSON | file://path>] [options]`
//!
//! The modules are layers, and dependencies run one way: down this list (within a layer, from a
//! module to those after it). `cargo xtask cycles` fails on any two modules that depend on each
//! other.
//!
//! 1. `run`: the entry point, handing the arguments to a command.
//! 2. The commands: `action` (`teo <Action>`, tccli's grammar), `configure` (`teo
//!    configure`), `completions` (whose scripts include `teo logs`' clap tree) and `logs`
//!    (`teo logs download|convert|summarize`, clap-parsed).
//! 3. tccli's grammar: `args` turns the arguments into an `args::Invocation` (pure,
//!    unit-tested), `help` renders help texts from the spec, `pages` follows `--all-pages`,
//!    `output` prints JSON as tccli does.
//! 4. Calling the API: `resolve` settles what a call is made with (flags, environment,
//!    profile), `client` builds the client and words its errors.
//! 5. `credentials`: what a call signs with.
//! 6. `profile`: tccli's profile files (`~/.tccli/<profile>.configure` / `.credential`),
//!    read and written.
//! 7. The base: `options` (the one table of global options), `spec`, `expression`
//!    (JMESPath), `suggest`, `stdout` (the one writer of stdout), `failure` (exit statuses,
//!    text safe to print).

#![warn(missing_docs)]

mod action;
mod args;
mod client;
mod completions;
mod configure;
mod credentials;
mod expression;
mod failure;
mod help;
mod logs;
mod options;
mod output;
mod pages;
mod profile;
mod resolve;
mod run;
mod spec;
mod stdout;
mod suggest;

pub use run::run;
