//! The client every command that calls the API builds — endpoint, language, timeout, region,
//! request client, proxy, `--warning` — and the message and exit status of its errors.

use std::time::Duration;

use teo_client::{Client, Error, ErrorKind, Language};

use crate::credentials;
use crate::failure::{printable, with_causes, Failure};
use crate::options::GlobalOptions;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_forms() {
        assert_eq!(endpoint_url(None), "https://teo.intl.tencentcloudapi.com");
        assert_eq!(
            endpoint_url(Some("teo.tencentcloudapi.com")),
            "https://teo.tencentcloudapi.com"
        );
        assert_eq!(
            endpoint_url(Some("http://127.0.0.1:8080")),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn api_errors_print_like_tccli() {
        let failure = client_failure(teo_client::Error::api(
            "DownloadL4Logs",
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated.",
            "req-1",
        ));
        assert_eq!(
            failure,
            Failure::failed(
                "[TencentCloudSDKException] code:AuthFailure.SignatureFailure \
                 message:The provided credentials could not be validated. requestId:req-1"
            )
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
