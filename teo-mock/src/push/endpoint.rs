//! The HTTP sender of a `custom_endpoint` task: the URL (scheme from `Protocol`), the task's
//! receivers in turn (its URL, then [`crate::MockConfig::push_targets`], as behind a load
//! balancer), gzip with `Content-Encoding: gzip`, the default headers overridden by the
//! task's `Headers` (`${batchSize}` replaced), and the `auth_key` signature.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;
use serde_json::Value;

use super::auth::signed_url;

/// The `User-Agent` of pushes unless the task's `Headers` set one.
pub const USER_AGENT: &str = concat!("teo-mock-push/", env!("CARGO_PKG_VERSION"));

/// A task's receivers and how it posts to them.
#[derive(Debug)]
pub(crate) struct Endpoint {
    client: reqwest::Client,
    /// The task's URL first, then the extra receivers.
    urls: Vec<Url>,
    next: usize,
    headers: Vec<(String, String)>,
    gzip: bool,
    /// `(AccessId, AccessKey)`.
    auth: Option<(String, String)>,
}

/// A body ready to send: compressed if the task says so, with its headers.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) body: bytes::Bytes,
    pub(crate) headers: HeaderMap,
}

/// What a request got.
#[derive(Debug)]
pub(crate) enum Sent {
    /// A 2xx answer.
    Ok,
    /// Another answer: its status and its `Retry-After` (seconds) if any.
    Status(u16, Option<Duration>),
    /// No answer: why.
    Failed(String),
}

impl Endpoint {
    /// The sender of a task's `CustomEndpoint` member; `extra` receivers take turns with its
    /// URL. An error in words when the URL is unusable.
    pub(crate) fn new(
        endpoint: &Value,
        extra: &[String],
        timeout: Duration,
    ) -> Result<Endpoint, String> {
        let text = |name: &str| endpoint.get(name).and_then(Value::as_str).unwrap_or("");
        let url = with_scheme(text("Url"), text("Protocol"))?;
        let mut urls = vec![url];
        for target in extra {
            urls.push(Url::parse(target).map_err(|e| format!("push target {target:?}: {e}"))?);
        }
        let headers = endpoint
            .get("Headers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|h| {
                let name = h.get("Name")?.as_str()?;
                Some((name.to_owned(), h.get("Value")?.as_str()?.to_owned()))
            })
            .collect();
        let auth = match (text("AccessId"), text("AccessKey")) {
            ("", _) | (_, "") => None,
            (id, key) => Some((id.to_owned(), key.to_owned())),
        };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Endpoint {
            client,
            urls,
            next: 0,
            headers,
            gzip: text("CompressType") == "gzip",
            auth,
        })
    }

    /// The receivers' URLs, the task's first.
    pub(crate) fn urls(&self) -> &[Url] {
        &self.urls
    }

    /// `body` of `records` records, compressed and with its headers.
    pub(crate) fn prepare(&self, body: Vec<u8>, records: usize) -> Prepared {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("user-agent", HeaderValue::from_static(USER_AGENT));
        let body = if self.gzip {
            headers.insert("content-encoding", HeaderValue::from_static("gzip"));
            gzip(&body)
        } else {
            body
        };
        for (name, value) in &self.headers {
            let value = value.replace("${batchSize}", &records.to_string());
            match (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value),
            ) {
                (Ok(name), Ok(value)) => {
                    headers.insert(name, value);
                }
                _ => tracing::warn!(header = %name, "push header skipped: not a valid header"),
            }
        }
        Prepared {
            body: body.into(),
            headers,
        }
    }

    /// The URL of the next request, signed afresh: the task's own (`first`), or the next
    /// receiver in turn.
    pub(crate) fn url(&mut self, first: bool) -> Url {
        let url = if first {
            &self.urls[0]
        } else {
            let url = &self.urls[self.next % self.urls.len()];
            self.next = self.next.wrapping_add(1);
            url
        };
        match &self.auth {
            None => url.clone(),
            Some((id, key)) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                signed_url(url, id, key, now, fastrand::u64(..1_000_000_000))
            }
        }
    }

    /// POSTs `prepared` to `url`.
    pub(crate) async fn send(&self, url: &Url, prepared: &Prepared) -> Sent {
        let request = self
            .client
            .post(url.clone())
            .headers(prepared.headers.clone())
            .body(prepared.body.clone());
        match request.send().await {
            Ok(answer) => {
                let status = answer.status();
                let retry_after = answer
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                // The whole answer is read: one cut short is no answer (the receiver may or
                // may not have kept the batch), so the batch is resent.
                if let Err(error) = answer.bytes().await {
                    return Sent::Failed(format!("answer {status} cut short: {error}"));
                }
                if status.is_success() {
                    Sent::Ok
                } else {
                    Sent::Status(status.as_u16(), retry_after)
                }
            }
            Err(error) => Sent::Failed(error.to_string()),
        }
    }
}

/// `url` with the scheme `protocol` names (`http`/`https`), if any; a URL without a scheme
/// gets it (`http` when none is named).
fn with_scheme(url: &str, protocol: &str) -> Result<Url, String> {
    let protocol = protocol.to_ascii_lowercase();
    let full = match url.split_once("://") {
        Some((_, rest)) if !protocol.is_empty() => format!("{protocol}://{rest}"),
        Some(_) => url.to_owned(),
        None if protocol.is_empty() => format!("http://{url}"),
        None => format!("{protocol}://{url}"),
    };
    Url::parse(&full).map_err(|e| format!("CustomEndpoint.Url {url:?}: {e}"))
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            with_scheme("a.example/p", "").unwrap().as_str(),
            "http://a.example/p"
        );
        assert_eq!(
            with_scheme("http://a.example/p", "HTTPS").unwrap().as_str(),
            "https://a.example/p"
        );
        assert!(with_scheme("", "").is_err());
    }
}
