//! HTTP and JSON plumbing shared by the providers that fetch temporary credentials.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use serde_json::Value;

use super::{error_chain, CredentialsError};

/// A `reqwest::Client` built on first use, so that constructing a provider cannot fail.
#[derive(Debug)]
pub(crate) struct LazyHttp {
    client: OnceLock<reqwest::Client>,
    connect_timeout: Duration,
    timeout: Duration,
    /// The metadata service is link-local: a proxy from the environment must not see it.
    no_proxy: bool,
}

impl LazyHttp {
    pub(crate) fn new(connect_timeout: Duration, timeout: Duration, no_proxy: bool) -> LazyHttp {
        LazyHttp {
            client: OnceLock::new(),
            connect_timeout,
            timeout,
            no_proxy,
        }
    }

    pub(crate) fn get(
        &self,
        source_name: &'static str,
    ) -> Result<reqwest::Client, CredentialsError> {
        if let Some(client) = self.client.get() {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            // Nothing here redirects; following one would resend the request elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if self.no_proxy {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| fetch_error(source_name, "cannot build an HTTP client", e))?;
        // A concurrent first use may have won the race; either client does.
        Ok(self.client.get_or_init(|| client).clone())
    }
}

/// A [`CredentialsError::Fetch`] whose reason ends with the whole chain of `error`.
pub(crate) fn fetch_error(
    source_name: &'static str,
    what: impl std::fmt::Display,
    error: impl std::error::Error + Send + Sync + 'static,
) -> CredentialsError {
    CredentialsError::Fetch {
        source_name,
        reason: format!("{what}: {}", error_chain(&error)),
        source: Some(Box::new(error)),
    }
}

/// Parses an endpoint URL: http or https, a host, no user info. Errors show the endpoint only
/// as [`crate::redact::endpoint`] does: never its user info (`user:password@`) nor its query.
pub(crate) fn parse_endpoint(
    source_name: &'static str,
    endpoint: &str,
) -> Result<Url, CredentialsError> {
    check_endpoint(endpoint).map_err(|reason| CredentialsError::Invalid {
        source_name,
        reason,
    })
}

/// [`parse_endpoint`] for any caller: the reason it is unusable, safe to show.
pub(crate) fn check_endpoint(endpoint: &str) -> Result<Url, String> {
    let shown = crate::redact::endpoint(endpoint);
    // url's parse errors name the kind of problem ("invalid port number"), never the text.
    let url = Url::parse(endpoint).map_err(|e| format!("endpoint {shown:?} is not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "endpoint {shown:?} must not contain user info (user:password@)"
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("endpoint {shown:?} must use http or https"));
    }
    if url.host_str().is_none() {
        return Err(format!("endpoint {shown:?} has no host"));
    }
    Ok(url)
}

/// The `Host` header value for `url`: host, and `:port` when the URL names one.
pub(crate) fn host_header(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}

/// A Unix timestamp in seconds as a `SystemTime`; `None` if negative or out of range.
pub(crate) fn from_unix(seconds: i64) -> Option<SystemTime> {
    let seconds = u64::try_from(seconds).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Reads members of a JSON answer holding secrets. Never uses serde's typed errors, which quote
/// the offending value: a reason names the member and what was wrong, not its content.
pub(crate) struct Fields<'a> {
    pub(crate) source_name: &'static str,
    /// Where the object sits in the answer, for messages (`"Response.Credentials"`).
    pub(crate) path: &'a str,
    pub(crate) object: &'a Value,
}

impl Fields<'_> {
    fn invalid(&self, key: &str, what: &str) -> CredentialsError {
        let at = if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        };
        CredentialsError::Invalid {
            source_name: self.source_name,
            reason: format!("the answer's {at} {what}"),
        }
    }

    /// A non-empty string member.
    pub(crate) fn string(&self, key: &str) -> Result<String, CredentialsError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Err(self.invalid(key, "is missing")),
            Some(Value::String(s)) if s.is_empty() => Err(self.invalid(key, "is empty")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.invalid(key, "is not a string")),
        }
    }

    /// A string member, `None` when absent.
    pub(crate) fn optional_string(&self, key: &str) -> Result<Option<String>, CredentialsError> {
        match self.object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(key, "is not a string")),
        }
    }

    /// The expiry: `ExpiredTime` (Unix seconds, a number or a string of digits) or, failing
    /// that, `Expiration` (RFC 3339).
    pub(crate) fn expiry(&self) -> Result<SystemTime, CredentialsError> {
        match self.object.get("ExpiredTime") {
            Some(Value::Number(n)) => {
                return n
                    .as_i64()
                    .and_then(from_unix)
                    .ok_or_else(|| self.invalid("ExpiredTime", "is not a valid Unix time"));
            }
            Some(Value::String(s)) => {
                return s
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(from_unix)
                    .ok_or_else(|| self.invalid("ExpiredTime", "is not a valid Unix time"));
            }
            None | Some(Value::Null) => {}
            Some(_) => return Err(self.invalid("ExpiredTime", "is not a number")),
        }
        match self.object.get("Expiration") {
            Some(Value::String(s)) => {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .and_then(|t| from_unix(t.unix_timestamp()))
                    .ok_or_else(|| self.invalid("Expiration", "is not an RFC 3339 time"))
            }
            None | Some(Value::Null) => Err(self.invalid("ExpiredTime", "is missing")),
            Some(_) => Err(self.invalid("Expiration", "is not a string")),
        }
    }
}

/// The largest credentials file (profile file, web identity token) read: 64 KiB. A profile
/// file holds a few hundred bytes per profile; a TKE token is about 1 KiB.
pub(crate) const MAX_FILE_SIZE: u64 = 64 << 10;

/// Reads a small text file holding secrets, off the async runtime's threads (`tokio::fs` runs
/// the blocking calls on its blocking pool) and bounded: a file that is not a regular file (a
/// FIFO would block the read forever, `/dev/zero` never ends) or is longer than `limit` is an
/// error naming the path, and at most `limit + 1` bytes are read even if the file grows
/// meanwhile. `io::Error` texts never contain file content, so they are quoted.
///
/// `what` prefixes the path in messages (`"web identity token file "`, or `""`). Returns the
/// text and, on Unix, the file's permission bits.
pub(crate) async fn read_small_file(
    source_name: &'static str,
    what: &str,
    path: &std::path::Path,
    limit: u64,
) -> Result<(String, Option<u32>), FileError> {
    use tokio::io::AsyncReadExt;

    let cannot = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            FileError::NotFound
        } else {
            FileError::Other(CredentialsError::Invalid {
                source_name,
                reason: format!("{what}{}: cannot be read: {e}", path.display()),
            })
        }
    };
    // Opening a FIFO blocks until a writer appears: look before opening.
    let metadata = tokio::fs::metadata(path).await.map_err(cannot)?;
    if !metadata.is_file() {
        return Err(FileError::Other(CredentialsError::Invalid {
            source_name,
            reason: format!("{what}{}: not a regular file", path.display()),
        }));
    }
    let too_large = || {
        FileError::Other(CredentialsError::TooLarge {
            source_name,
            what: format!("{what}{}", path.display()),
            limit,
        })
    };
    if metadata.len() > limit {
        return Err(too_large());
    }
    let file = tokio::fs::File::open(path).await.map_err(cannot)?;
    let mode = file_mode(&file.metadata().await.map_err(cannot)?);
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        FileError::Other(CredentialsError::Invalid {
            source_name,
            // The position only: the bytes around it could be part of a key.
            reason: format!(
                "{what}{}: not UTF-8 (at byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        })
    })?;
    Ok((text, mode))
}

/// Why [`read_small_file`] failed: the file does not exist (the caller decides whether that
/// means "no credentials here" or a configuration error), or anything else.
pub(crate) enum FileError {
    NotFound,
    Other(CredentialsError),
}

#[cfg(unix)]
fn file_mode(metadata: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(metadata.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Parses a body as JSON without echoing it (it may hold secrets).
pub(crate) fn parse_json(
    source_name: &'static str,
    what: &str,
    body: &[u8],
) -> Result<Value, CredentialsError> {
    serde_json::from_slice(body).map_err(|e| CredentialsError::Invalid {
        source_name,
        // serde_json's syntax errors give a position only, never content.
        reason: format!("{what} is not JSON ({} bytes): {e}", body.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(object: &Value) -> Fields<'_> {
        Fields {
            source_name: "test",
            path: "Response",
            object,
        }
    }

    #[test]
    fn expiry_from_number_string_or_rfc3339() {
        let at = from_unix(1_543_914_376).unwrap();
        assert_eq!(
            fields(&json!({"ExpiredTime": 1_543_914_376}))
                .expiry()
                .unwrap(),
            at
        );
        assert_eq!(
            fields(&json!({"ExpiredTime": "1543914376"}))
                .expiry()
                .unwrap(),
            at
        );
        assert_eq!(
            fields(&json!({"Expiration": "2018-12-04T09:06:16Z"}))
                .expiry()
                .unwrap(),
            at
        );
        let err = fields(&json!({})).expiry().unwrap_err().to_string();
        assert_eq!(err, "test: the answer's Response.ExpiredTime is missing");
        assert!(fields(&json!({"ExpiredTime": -5})).expiry().is_err());
    }

    #[test]
    fn wrong_types_are_named_not_quoted() {
        let object = json!({"TmpSecretKey": 12345, "Token": ""});
        let err = fields(&object)
            .string("TmpSecretKey")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "test: the answer's Response.TmpSecretKey is not a string"
        );
        assert!(!err.contains("12345"));
        let err = fields(&object).string("Token").unwrap_err().to_string();
        assert!(err.ends_with("Response.Token is empty"), "{err}");
    }

    #[test]
    fn host_header_keeps_an_explicit_port() {
        let url = parse_endpoint("t", "http://127.0.0.1:8080/x").unwrap();
        assert_eq!(host_header(&url), "127.0.0.1:8080");
        let url = parse_endpoint("t", "https://sts.tencentcloudapi.com").unwrap();
        assert_eq!(host_header(&url), "sts.tencentcloudapi.com");
        for endpoint in [
            "https://user:secret@example.com",
            "https://user:secret@example.com:notaport",
            "user:secret@example.com",
            "https://example.com:bad/?token=secret",
        ] {
            let err = parse_endpoint("t", endpoint).unwrap_err().to_string();
            assert!(!err.contains("secret"), "{err}");
            assert!(err.contains("example.com"), "{err}");
        }
        assert!(parse_endpoint("t", "ftp://example.com").is_err());
    }
}
