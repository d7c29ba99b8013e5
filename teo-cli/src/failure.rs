//! How a run ends when it does not succeed, and the client every command builds: shared by the
//! tccli grammar ([`crate::run`]) and `teo logs` ([`crate::logs`]).

use std::time::Duration;

use teo_client::{Client, Error, ErrorKind, Language};

use crate::credentials;
use crate::options::GlobalOptions;

/// The API answered with an error, or the call could not be made or completed.
pub const EXIT_FAILED: u8 = 1;
/// The command line, the request or the configuration is unusable; nothing was sent.
pub const EXIT_USAGE: u8 = 2;

/// Why a run ended without output: the exit status and the one-line message for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

/// The client for `options` (endpoint, language, timeout, region), signing with `credentials`.
pub(crate) fn client(
    options: &GlobalOptions,
    credentials: credentials::Source,
) -> Result<Client, Failure> {
    let mut builder = Client::builder(credentials)
        .endpoint(endpoint_url(options.endpoint.as_deref()))
        .language(options.language.unwrap_or(Language::EnUs))
        .timeout(options.timeout.unwrap_or(Duration::from_secs(60)));
    if let Some(region) = &options.region {
        builder = builder.region(region);
    }
    // tccli marks its calls `_CLI_<version>`, a custom client after `; `.
    let mut request_client = format!("TEO_CLI_{}", env!("CARGO_PKG_VERSION"));
    if let Some(custom) = &options.request_client {
        request_client.push_str("; ");
        request_client.push_str(custom);
    }
    builder = builder.request_client_suffix(request_client);
    if let Some(proxy) = &options.https_proxy {
        builder = builder.proxy(proxy);
    }
    if options.warning {
        builder = builder.hook(Warnings);
    }
    builder.build().map_err(client_failure)
}

/// `--warning`: each failed attempt, and whether it is retried, on stderr.
struct Warnings;

impl teo_client::hooks::Hook for Warnings {
    fn after_attempt(&self, attempt: &teo_client::hooks::Attempt<'_>) {
        if let Some(error) = attempt.error {
            let then = if error.is_retryable() {
                "retrying if attempts remain"
            } else {
                "not retried"
            };
            eprintln!(
                "warning: {} attempt {} failed after {} ms ({then}): {}",
                attempt.action,
                attempt.number,
                attempt.latency.as_millis(),
                with_causes(error)
            );
        }
    }
}

/// `--endpoint` as a URL: tccli takes a bare host (`teo.tencentcloudapi.com`), meaning https.
pub(crate) fn endpoint_url(endpoint: Option<&str>) -> String {
    match endpoint {
        None => teo_client::DEFAULT_ENDPOINT.to_owned(),
        Some(url) if url.contains("://") => url.to_owned(),
        Some(host) => format!("https://{host}"),
    }
}

/// The message and status for a client error: tccli's line for API errors, a tagged one-liner
/// (with the causes of transport errors) otherwise.
pub(crate) fn client_failure(error: Error) -> Failure {
    match error.kind() {
        ErrorKind::Api => Failure::failed(format!(
            "[TencentCloudSDKException] code:{} message:{} requestId:{}",
            printable(error.code().unwrap_or_default()),
            printable(error.message().unwrap_or_default()),
            printable(error.request_id().unwrap_or_default())
        )),
        ErrorKind::InvalidRequest => Failure::usage(format!("[InvalidRequest] {error}")),
        ErrorKind::UnknownAction => Failure::usage(format!("[UnknownAction] {error}")),
        ErrorKind::Config => Failure::usage(format!("[Config] {error}")),
        ErrorKind::Credentials => Failure::usage(format!("[Credentials] {error}")),
        kind => {
            let message = with_causes(&error);
            let tag = match kind {
                ErrorKind::Transport => "[Transport]",
                ErrorKind::HttpStatus => "[HttpStatus]",
                ErrorKind::Decode => "[Decode]",
                _ => "[Error]",
            };
            Failure::failed(format!("{tag} {message}"))
        }
    }
}

/// The error's message followed by those of its causes that it does not already contain, made
/// [`printable`] (errors quote what servers sent: messages, packet names).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    printable(&joined_causes(error))
}

fn joined_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// Whether `c` acts on a terminal instead of showing: a control character (C0, DEL, C1) or an
/// invisible format character that reorders or hides text (bidi controls, zero-width ones).
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// [`printable`], line by line: for multi-line text of our own making (a `--dry-run` request).
pub(crate) fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` safe to print on a terminal: control characters (ESC sequences that move the cursor or
/// recolour, `\r` that overwrites a line, `\n` that fakes one) and the invisible format
/// characters that reorder text (bidi overrides, zero-width) are shown escaped (`\x1b`,
/// `\u{202e}`), so a hostile server cannot rewrite what the user sees.
pub(crate) fn printable(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            let _ = match u32::from(c) {
                code @ 0..=0x7f => write!(out, "\\x{code:02x}"),
                code => write!(out, "\\u{{{code:x}}}"),
            };
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        assert_eq!(
            printable("plain text, ünïcode 区域"),
            "plain text, ünïcode 区域"
        );
        assert_eq!(
            printable("bad\x1b[2J\x1b]0;title\x07\rfake\nline\u{202e}txt.exe\u{200b}\u{9b}"),
            "bad\\x1b[2J\\x1b]0;title\\x07\\x0dfake\\x0aline\\u{202e}txt.exe\\u{200b}\\u{9b}"
        );
    }

    #[test]
    fn api_errors_are_printed_without_control_characters() {
        let error = Error::api(
            "DescribeZones",
            "InvalidParameter\x1b[31m",
            "line one\nline two\x1b[2K",
            "req\r-1",
        );
        let failure = client_failure(error);
        assert!(
            !failure.message.chars().any(char::is_control),
            "{}",
            failure.message
        );
        assert!(
            failure.message.contains("line one\\x0aline two\\x1b[2K"),
            "{}",
            failure.message
        );
    }
}
