//! The receiver's HTTP(S) side: `POST` any path → a push; `GET /metrics`, `GET /healthz`.
//!
//! Bounded everywhere: connections (beyond the cap a new one is closed at once), header and
//! body read times, the body's size (a `Content-Length` over the limit is refused before
//! reading), and pushes processed at once (a push waits for a permit before its body is read,
//! so memory holds at most that many bodies whatever the number of connections).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::receive::ingest::{Ingest, Refusal};
use crate::receive::metrics::Metrics;
use crate::receive::stage::Staging;

/// Time to read a request's headers (its body's: [`Limits::body_time`](super::Limits)).
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Time for a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Time open connections get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What the connections share.
pub(crate) struct Shared {
    pub ingest: Arc<Ingest>,
    pub events: Arc<dyn crate::receive::Events>,
    pub metrics: Arc<Metrics>,
    pub staging: Arc<Staging>,
    pub connections: Arc<Semaphore>,
    pub pushes: Arc<Semaphore>,
    pub tls: Option<TlsAcceptor>,
    /// Woken once `roll_bytes` are staged, so a roll starts then, not at its next look.
    pub roller: Arc<crate::receive::Wake>,
    pub roll_bytes: u64,
}

/// Accepts connections until `shutdown` says stop, then gives open ones [`SHUTDOWN_GRACE`].
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match shared.connections.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let serve = serve(stream, peer, shared.clone(), shutdown.clone());
                        connections.spawn(async move {
                            serve.await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        tracing::warn!(%peer, "connection limit reached; closing a new connection");
                        drop(stream);
                    }
                },
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let all_closed = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, all_closed)
        .await
        .is_err()
    {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Resolves once shutdown is asked for (or the receiver is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    match shared.tls.clone() {
        None => serve_io(TokioIo::new(stream), peer, shared, shutdown).await,
        Some(acceptor) => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => serve_io(TokioIo::new(tls), peer, shared, shutdown).await,
                Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        }
    }
}

async fn serve_io<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(shared, peer, request).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn.as_mut()).await;
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n".into()),
        (&Method::GET, "/metrics") => {
            let gauges = shared.staging.gauges(shared.ingest.clock.now());
            let mut response = text(StatusCode::OK, shared.metrics.render(gauges));
            if let Ok(value) = "text/plain; version=0.0.4".parse() {
                response
                    .headers_mut()
                    .insert(hyper::header::CONTENT_TYPE, value);
            }
            response
        }
        (&Method::POST, _) => {
            // A span per push: its peer and path, and (below) its batch or refusal.
            let span = tracing::info_span!("push", %peer, path = %path);
            match tracing::Instrument::instrument(push(&shared, request), span.clone()).await {
                Ok(response) => response,
                Err(refusal) => {
                    span.in_scope(|| {
                        tracing::warn!(status = refusal.status, reason = %refusal.label, "push refused");
                    });
                    shared.events.refused(peer, &refusal);
                    answer(refusal)
                }
            }
        }
        _ => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST pushes; GET /metrics or /healthz\n".into(),
        ),
    }
}

/// Reads and stores one push: the answer when stored, or the refusal (counted) to answer.
async fn push(
    shared: &Shared,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Refusal> {
    let limit = shared.ingest.limits.body;
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let encoding = header(hyper::header::CONTENT_ENCODING);
    let declared = header(hyper::header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    // Refusals made here, before `Ingest::push` (which counts its own), are counted here.
    let counted = |refusal: Refusal| {
        shared.metrics.reject(refusal.label);
        refusal
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(counted(too_large(limit)));
    }
    // One permit per push being read or stored: memory holds that many bodies at most.
    let Ok(_permit) = shared.pushes.clone().acquire_owned().await else {
        return Err(counted(Refusal::new(
            503,
            "stopping",
            "the receiver is stopping",
        )));
    };
    let body = Limited::new(request.into_body(), limit);
    let body = match tokio::time::timeout(shared.ingest.limits.body_time, body.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(counted(too_large(limit)))
        }
        Ok(Err(_)) => {
            return Err(counted(Refusal::new(
                400,
                "body_read",
                "the body could not be read",
            )))
        }
        Err(_) => {
            return Err(counted(Refusal::new(
                408,
                "body_timeout",
                "the body took too long",
            )))
        }
    };
    let ingest = shared.ingest.clone();
    let stored = tokio::task::spawn_blocking(move || {
        ingest.push(&path, query.as_deref(), encoding.as_deref(), &body)
    })
    .await
    .map_err(|e| {
        counted(Refusal::new(
            500,
            "internal",
            format!("the push failed: {e}"),
        ))
    })?;
    let accepted = stored?;
    if !accepted.resend && shared.staging.pushed_bytes() >= shared.roll_bytes {
        shared.roller.nudge();
    }
    tracing::debug!(batch = %accepted.batch, records = accepted.records, resend = accepted.resend, "batch stored");
    let body = serde_json::json!({
        "batch": accepted.batch,
        "records": accepted.records,
        "resend": accepted.resend,
    });
    Ok(json(StatusCode::OK, body.to_string()))
}

fn too_large(limit: usize) -> Refusal {
    Refusal::new(
        413,
        "too_large",
        format!("the body is larger than {limit} bytes"),
    )
}

fn answer(refusal: Refusal) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({"error": refusal.label, "message": refusal.reason});
    let mut response = json(status, body.to_string());
    if let Some(seconds) = refusal.retry_after {
        if let Ok(value) = seconds.to_string().parse() {
            response
                .headers_mut()
                .insert(hyper::header::RETRY_AFTER, value);
        }
    }
    response
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = text(status, body);
    if let Ok(value) = "application/json".parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// The TLS side from a PEM certificate chain and private key.
pub(crate) fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> io::Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, &e))?;
    if certs.is_empty() {
        return Err(bad(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(cert, &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| bad(key, &e))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
