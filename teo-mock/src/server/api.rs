//! The API pipeline of `POST /` and `GET /`, a stage per function, in the order the module
//! above lists: the body within its limits → the parameters in their form → the signature →
//! version and action → the rate limiter → injected faults → validation → the answer. A stage
//! that refuses ends the pipeline with its answer.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, Method};
use futures_util::FutureExt;
use hyper::body::{Body, Bytes, Incoming};
use serde_json::Value;

use super::{catch_panic, header_str, panicked, shown, Outcome, Shared};
use crate::auth;
use crate::error::{codes, ApiError};
use crate::faults::Fault;
use crate::form::{self, Params};
use crate::logs::LogKind;
use crate::{answers, validate};

/// A stage's refusal: the answer the pipeline ends with.
fn refused(error: ApiError) -> Outcome {
    Outcome::Answer(Err(error))
}

/// Runs the pipeline. Sets `action` once known (for the request log) and `truncate` when the
/// answer is to be cut short.
pub(super) async fn api(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: Incoming,
    action: &mut String,
    truncate: &mut bool,
) -> Outcome {
    match stages(shared, method, headers, query, body, action, truncate).await {
        Ok(outcome) | Err(outcome) => outcome,
    }
}

async fn stages(
    shared: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: Incoming,
    action: &mut String,
    truncate: &mut bool,
) -> Result<Outcome, Outcome> {
    let body = body_within_limits(shared, body).await.map_err(refused)?;
    let (v1, params) = params_of(method, headers, query, &body).map_err(refused)?;
    let method = if *method == Method::GET {
        "GET"
    } else {
        "POST"
    };
    let pairs = match &params {
        Params::Flat(pairs) if v1 => Some(pairs.as_slice()),
        _ => None,
    };
    if shared.verify_signature {
        verify(shared, method, headers, query, &body, pairs).map_err(refused)?;
    }
    // The action first, for the request log, even when the version is wrong.
    *action = common(headers, pairs, "x-tc-action", "Action")
        .unwrap_or("")
        .to_owned();
    check_version(shared, common(headers, pairs, "x-tc-version", "Version")).map_err(refused)?;
    if action.is_empty() {
        return Err(refused(ApiError::new(
            codes::INVALID_ACTION,
            "The request has no action (header X-TC-Action, or parameter Action with HmacSHA1/HmacSHA256).",
        )));
    }
    let params = match params {
        Params::Flat(mut pairs) if v1 => {
            pairs.retain(|(name, _)| !form::V1_COMMON.contains(&name.as_str()));
            Params::Flat(pairs)
        }
        other => other,
    };
    let action = action.as_str();
    if let Some(limiter) = &shared.limiter {
        if !limiter.try_acquire(action) {
            return Err(refused(ApiError::new(
                codes::REQUEST_LIMIT_EXCEEDED,
                format!(
                    "Your request frequency for `{action}` exceeds the limit of {} per second.",
                    limiter.per_second()
                ),
            )));
        }
    }
    let fault = injected_fault(shared, action, truncate).await?;
    let checked = async {
        let input = validate::request_object(&shared.spec, action)?;
        let value = form::to_json(&shared.spec, input, params).await?;
        validate::check_parsed(&shared.spec, input, value)
    };
    let mut request = match AssertUnwindSafe(checked).catch_unwind().await {
        Ok(Ok(request)) => request,
        Ok(Err(error)) => return Err(refused(error)),
        Err(_) => return Err(refused(panicked())),
    };
    if fault == Some(Fault::RepeatPage) {
        // The first page again, whatever was asked (without Offset it already is).
        if let Some(offset) = request.get_mut("Offset") {
            *offset = Value::from(0);
        }
    }
    Ok(Outcome::Answer(answer(shared, action, request).await))
}

/// The body, read within the size and time limits.
async fn body_within_limits(shared: &Shared, body: Incoming) -> Result<Bytes, ApiError> {
    let read = tokio::time::timeout(shared.body_timeout, read_body(body, shared.body_limit));
    match read.await.unwrap_or(Err(BodyError::Timeout)) {
        Ok(body) => Ok(body),
        Err(BodyError::Timeout) => Err(ApiError::new(
            codes::INVALID_PARAMETER,
            format!(
                "The request body did not arrive within {} s.",
                shared.body_timeout.as_secs_f64()
            ),
        )),
        Err(BodyError::TooLarge) => Err(ApiError::new(
            codes::REQUEST_SIZE_LIMIT_EXCEEDED,
            format!(
                "The request body exceeds the limit of {} bytes.",
                shared.body_limit
            ),
        )),
        Err(BodyError::Read) => Err(ApiError::new(
            codes::INVALID_PARAMETER,
            "The request body could not be read.",
        )),
    }
}

/// The signature: TC3 in the headers, or v1 among the flattened parameters (`pairs`).
fn verify(
    shared: &Shared,
    method: &str,
    headers: &HeaderMap,
    query: &str,
    body: &Bytes,
    pairs: Option<&[(String, String)]>,
) -> Result<(), ApiError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    catch_panic(|| match pairs {
        Some(pairs) => {
            let host = header_str(headers, "host").unwrap_or("");
            let replays = &shared.replays;
            auth::verify_v1(&shared.credentials, replays, method, host, "/", pairs, now)
        }
        None => auth::verify(&shared.credentials, method, headers, query, body, now),
    })
    .and_then(|result| result)
}

/// A common parameter: TC3 carries it in a header, v1 among the parameters (`pairs`).
fn common<'a>(
    headers: &'a HeaderMap,
    pairs: Option<&'a [(String, String)]>,
    header: &str,
    param: &str,
) -> Option<&'a str> {
    match pairs {
        Some(pairs) => form::param(pairs, param),
        None => header_str(headers, header),
    }
}

/// The version must be this endpoint's.
fn check_version(shared: &Shared, version: Option<&str>) -> Result<(), ApiError> {
    match version {
        Some(version) if version == shared.api_version => Ok(()),
        version => Err(ApiError::new(
            codes::NO_SUCH_VERSION,
            format!(
                "The API version `{}` does not exist; this endpoint answers `{}`.",
                version.unwrap_or(""),
                shared.api_version
            ),
        )),
    }
}

/// The injected fault for `action`, after its latency: an answer that ends the pipeline, or
/// the fault that shapes the answer (`truncate` set for a truncated body).
async fn injected_fault(
    shared: &Shared,
    action: &str,
    truncate: &mut bool,
) -> Result<Option<Fault>, Outcome> {
    let decision = shared.faults.decide(action);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.fault {
        None | Some(Fault::Latency(_)) | Some(Fault::RepeatPage) => {}
        Some(Fault::RequestLimitExceeded) => {
            return Err(refused(ApiError::new(
                codes::REQUEST_LIMIT_EXCEEDED,
                "Your request frequency exceeds the limit (injected fault).",
            )))
        }
        Some(Fault::InternalError) => {
            return Err(refused(ApiError::new(
                codes::INTERNAL_ERROR,
                "An internal error occurred (injected fault).",
            )))
        }
        Some(Fault::BadGateway) => return Err(Outcome::BadGateway),
        Some(Fault::ConnectionReset) => return Err(Outcome::Reset),
        Some(Fault::TruncatedBody) => *truncate = true,
        Some(Fault::MalformedJson | Fault::Corrupt) => return Err(Outcome::MalformedJson),
    }
    Ok(decision.fault)
}

/// The answer to a valid request: log packet listings, real-time log delivery tasks
/// ([`crate::push`]), or the spec's answer moved through the lifecycle of objects created
/// through the mock.
async fn answer(shared: &Arc<Shared>, action: &str, request: Value) -> Result<Value, ApiError> {
    match LogKind::from_action(action) {
        Some(kind) => {
            // On the blocking pool: listing large packets the first time takes a while.
            let shared = Arc::clone(shared);
            tokio::task::spawn_blocking(move || shared.logs.list(kind, &request, &shared.base_url))
                .await
                .unwrap_or_else(|_| Err(panicked()))
        }
        None => catch_panic(|| {
            let usual = answers::answer(&shared.spec, action, &request);
            if let Some(answer) = shared.push.answer(action, &request, &usual) {
                return answer;
            }
            Ok(shared
                .lifecycle
                .answer(action, &request, &usual)
                .unwrap_or(usual))
        })
        .and_then(|answer| answer),
    }
}

/// Where the parameters are, and whether the request is signed the v1 way (no Authorization
/// header; the signature among flattened parameters). See [`crate::form`] for the forms.
fn params_of(
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    body: &Bytes,
) -> Result<(bool, Params), ApiError> {
    let tc3 = headers.contains_key(header::AUTHORIZATION);
    if *method == Method::GET {
        return Ok((!tc3, Params::Flat(form::decode_pairs(query.as_bytes()))));
    }
    let content_type = header_str(headers, "content-type").unwrap_or("");
    let unsupported = |why: &str| {
        Err(ApiError::new(
            codes::INVALID_PARAMETER,
            format!(
                "The Content-Type {} is not accepted here: {why}.",
                shown(content_type)
            ),
        ))
    };
    match form::media_type(content_type).as_str() {
        "" | "application/json" => Ok((false, Params::Json(body.clone()))),
        "application/x-www-form-urlencoded" if tc3 => unsupported(
            "a TC3-HMAC-SHA256 POST sends application/json or multipart/form-data; \
             form-encoded bodies are for HmacSHA1/HmacSHA256",
        ),
        "application/x-www-form-urlencoded" => Ok((true, Params::Flat(form::decode_pairs(body)))),
        "multipart/form-data" => match multer::parse_boundary(content_type) {
            Ok(boundary) => Ok((
                false,
                Params::Multipart {
                    body: body.clone(),
                    boundary,
                },
            )),
            Err(_) => unsupported("multipart/form-data needs a boundary"),
        },
        _ => unsupported(
            "send application/json or multipart/form-data (TC3-HMAC-SHA256), \
             application/x-www-form-urlencoded (HmacSHA1/HmacSHA256), or use GET",
        ),
    }
}

enum BodyError {
    TooLarge,
    Read,
    /// Not complete within [`MockConfig::body_timeout`].
    Timeout,
}

/// Reads a request body of at most `limit` bytes. A larger body is still drained (up to a bound)
/// so the client, still sending, gets the error answer rather than a reset.
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let drain_cap = limit.saturating_mul(4).max(16 << 20);
    let declared = body.size_hint().exact();
    if declared.is_some_and(|length| length > drain_cap as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(_)) => return Err(BodyError::Read),
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                seen = seen.saturating_add(data.len());
                if seen > drain_cap {
                    return Err(BodyError::TooLarge);
                }
                if seen <= limit {
                    bytes.extend_from_slice(&data);
                }
            }
        }
    }
    if seen > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(Bytes::from(bytes))
}
