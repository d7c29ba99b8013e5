//! `teo <Action>`, tccli's grammar: running an [`Invocation`](crate::args::Invocation) — help,
//! templates, or a call through `teo_client` — and the text and exit status each ends with.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::args::{self, CallOptions, Command, DryRun, GlobalOptions};
use crate::client::{client, client_failure};
use crate::credentials;
#[cfg(test)]
use crate::failure::EXIT_USAGE;
use crate::failure::{printable, printable_lines, Failure};
use crate::output::{self, Output};
use crate::{help, spec, stdout};

/// Runs `teo <Action> …`: what it prints on stdout, or the failure's message on stderr and its
/// exit status.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    match execute(args) {
        Ok(text) => stdout::print(&text),
        Err(failure) => {
            eprintln!("{}", printable(&failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// Runs `teo <Action> …` (the tccli grammar, not `teo logs`) and returns what it prints on
/// stdout, or the failure.
pub(crate) fn execute(args: impl IntoIterator<Item = OsString>) -> Result<String, Failure> {
    let args = args
        .into_iter()
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| Failure::usage(format!("argument {arg:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<String>, Failure>>()?;
    let service = spec::service().map_err(|e| Failure::failed(format!("internal error: {e}")))?;
    let read_file = |path: &str| std::fs::read_to_string(path);
    let invocation =
        args::parse(&args, service, &read_file).map_err(|e| Failure::usage(e.to_string()))?;
    let find = |name: &str| {
        service
            .actions
            .get(name)
            .ok_or_else(|| Failure::failed(format!("internal error: no action {name}")))
    };
    match invocation.command {
        Command::Help => Ok(help::overview(service)),
        Command::Version => Ok(format!(
            "teo {} (API {} {})\n",
            env!("CARGO_PKG_VERSION"),
            service.name,
            service.version
        )),
        Command::ActionHelp(name) => {
            let action = find(&name)?;
            Ok(match invocation.call.detail {
                true => help::action_detail(service, action),
                false => help::action(service, action),
            })
        }
        Command::Skeleton(name) => Ok(help::skeleton(service, find(&name)?).to_pretty() + "\n"),
        Command::Call { action, request } => call(
            &invocation.options,
            &invocation.call,
            find(&action)?,
            request,
        ),
    }
}

fn call(
    options: &GlobalOptions,
    call: &CallOptions,
    spec_action: &tc_spec::model::Action,
    request: Map<String, Value>,
) -> Result<String, Failure> {
    let action = spec_action.name.as_str();
    // The request is checked against the typed request first (as `Client::call` does), so a
    // missing or mistyped member is reported before credentials are even looked for.
    let info = teo_client::models::action(action)
        .ok_or_else(|| Failure::usage(format!("the client does not know the action {action}")))?;
    let body = info
        .normalize_request(Value::Object(request.clone()))
        .map_err(|e| {
            Failure::usage(format!(
                "[InvalidRequest] {action}: {e}. Run `teo {action} help` for its parameters."
            ))
        })?;
    let body = String::from_utf8(body)
        .ok()
        .and_then(|text| RawValue::from_string(text).ok())
        .ok_or_else(|| Failure::failed(format!("internal error: {action}: unencodable request")))?;

    // The tccli profile's settings fill what the command line leaves unset, as in tccli, and
    // exactly as for `teo logs download`: one resolution for both.
    let resolved = crate::resolve::resolve(options)?;
    let output_format = call
        .output
        .or_else(|| resolved.output.as_deref().and_then(Output::parse))
        .unwrap_or_default();
    let options = &resolved.options;
    let client = client(
        options,
        signing_credentials(resolved.credentials, call.dry_run),
    )?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))?;
    if call.dry_run.is_some() {
        let prepared = runtime
            .block_on(client.runtime().prepare(action, &body))
            .map_err(client_failure)?;
        return Ok(printable_lines(&prepared.to_string()) + "\n");
    }
    // `send` rather than `call`: the raw response keeps the server's member order, as tccli's
    // output does.
    let send = |body: &RawValue| -> Result<output::Json, Failure> {
        let response: Box<RawValue> = runtime
            .block_on(client.send(action, &body))
            .map_err(client_failure)?;
        serde_json::from_str(response.get())
            .map_err(|e| Failure::failed(format!("{action}: the response is not JSON: {e}")))
    };
    let fetch = || match (&spec_action.paging, call.all_pages) {
        (Some(paging), true) => crate::pages::all_pages(action, paging, &request, &send),
        (None, true) => Err(Failure::usage(format!(
            "--all-pages: {action} does not page (it takes no Offset and Limit)"
        ))),
        _ => send(&body),
    };
    let mut response = fetch()?;
    if let Some(waiter) = &call.waiter {
        let started = Instant::now();
        loop {
            let seen = output::search(&waiter.expr, &response)
                .map_err(|e| Failure::usage(format!("--waiter: {e}")))?;
            if output::same(&seen, &waiter.to) {
                break;
            }
            if started.elapsed() >= waiter.timeout {
                return Err(Failure::failed(format!(
                    "Request timeout, wait `{}` to `{}` timeout, last request is {}",
                    waiter.expr,
                    waiter.to,
                    printable(&seen.to_string())
                )));
            }
            eprintln!("Inquiry result is {}.", printable(&seen.to_string()));
            let left = waiter.timeout.saturating_sub(started.elapsed());
            std::thread::sleep(waiter.interval.min(left).max(Duration::from_millis(1)));
            response = fetch()?;
        }
    }
    output::render(&response, output_format, call.filter.as_deref(), action)
        .map_err(|e| Failure::usage(format!("--filter: {e}")))
}

/// What a `--dry-run` without `=signed` signs with. Never sent; the signature is redacted.
const PLACEHOLDER_SECRET_ID: &str = "AKIDTEODRYRUNPLACEHOLDER";
const PLACEHOLDER_SECRET_KEY: &str = "teo-dry-run-placeholder";

/// The credentials to sign with: the resolved `source` (always picked, so a dry run still
/// reports an inconsistent command line or an invalid profile file: picking reads files, never
/// the network), or for a plain `--dry-run` placeholders instead, because fetching the real
/// credentials may call STS or the CVM metadata service.
fn signing_credentials(
    source: credentials::Source,
    dry_run: Option<DryRun>,
) -> credentials::Source {
    match dry_run {
        Some(DryRun::Placeholder) => credentials::Source::Flags(teo_client::Credentials::new(
            PLACEHOLDER_SECRET_ID,
            PLACEHOLDER_SECRET_KEY,
        )),
        Some(DryRun::Signed) | None => source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_dry_run_never_asks_the_instance_role() {
        let options = GlobalOptions {
            use_cvm_role: true,
            ..GlobalOptions::default()
        };
        let source = || credentials::source(&options).unwrap();
        let placeholder = signing_credentials(source(), Some(DryRun::Placeholder));
        assert!(
            matches!(&placeholder, credentials::Source::Flags(c) if c.secret_id() == PLACEHOLDER_SECRET_ID),
            "{placeholder:?}"
        );
        for real in [Some(DryRun::Signed), None] {
            let source = signing_credentials(source(), real);
            assert!(
                matches!(source, credentials::Source::InstanceRole(_)),
                "{source:?}"
            );
        }
        // The command line is still checked: a dry run resolves the credentials first.
        let half = GlobalOptions {
            secret_id: Some("AKID".into()),
            ..GlobalOptions::default()
        };
        let message = credentials::source(&half).unwrap_err();
        assert!(message.contains("--secretKey"), "{message}");
    }

    #[test]
    fn missing_required_member_is_rejected_before_sending() {
        let args = ["DownloadL4Logs", "--EndTime", "2024-05-01T03:00:00+08:00"].map(OsString::from);
        let failure = execute(args).unwrap_err();
        assert_eq!(failure.code, EXIT_USAGE);
        assert!(
            failure
                .message
                .starts_with("[InvalidRequest] DownloadL4Logs:"),
            "{failure:?}"
        );
        assert!(failure.message.contains("StartTime"), "{failure:?}");
    }

    #[test]
    fn usage_errors_exit_2() {
        let failure = execute([OsString::from("DownloadL4Log")]).unwrap_err();
        assert_eq!(
            failure,
            Failure::usage("Unknown action DownloadL4Log. Did you mean DownloadL4Logs?")
        );
    }
}
