//! Reading response bodies with a size limit, for the API, STS and the metadata service.

use bytes::Bytes;

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is longer than the limit: announced by `Content-Length` (nothing was read),
    /// or found while reading (`read` bytes had arrived when reading stopped).
    TooLarge {
        limit: u64,
        content_length: Option<u64>,
        read: u64,
    },
    /// The connection failed or timed out while reading.
    Transport(reqwest::Error),
}

impl ReadError {
    /// `"Content-Length 1073741824"` or `"stopped after 1048577 bytes"`: how the limit was hit.
    pub(crate) fn how(content_length: Option<u64>, read: u64) -> String {
        match content_length {
            Some(length) => format!("Content-Length {length}, not read"),
            None => format!("stopped after {read} bytes"),
        }
    }
}

/// The body of `response`, at most `limit` bytes.
///
/// A `Content-Length` above the limit fails before any byte of the body is read; otherwise the
/// body is read chunk by chunk and reading stops at the first chunk that takes it past the
/// limit, so at most `limit` plus one chunk is ever held — a server streaming without end, or
/// lying with a small `Content-Length`, cannot make the client buffer more. (hyper enforces a
/// `Content-Length` it was given: a body longer than announced is a transport error.) The
/// response is dropped unread on failure, which closes its connection rather than draining it.
///
/// A body that arrives in one chunk (an API answer usually does) is returned as that chunk,
/// which shares hyper's read buffer: no copy, and no allocation of the body's size.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Bytes, ReadError> {
    let content_length = response.content_length();
    if let Some(length) = content_length.filter(|length| *length > limit) {
        return Err(ReadError::TooLarge {
            limit,
            content_length: Some(length),
            read: 0,
        });
    }
    let mut body = Held::Nothing;
    let mut read = 0u64;
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        read += chunk.len() as u64;
        if read > limit {
            return Err(ReadError::TooLarge {
                limit,
                content_length: None,
                read,
            });
        }
        body = match body {
            Held::Nothing => Held::One(chunk),
            Held::One(first) => {
                // Preallocate what was announced, within reason: a `Content-Length` is a
                // claim, not bytes.
                let announced = content_length.unwrap_or(0).min(limit).min(1 << 20);
                let capacity = usize::try_from(announced.max(read)).unwrap_or(0);
                let mut joined = Vec::with_capacity(capacity);
                joined.extend_from_slice(&first);
                joined.extend_from_slice(&chunk);
                Held::Joined(joined)
            }
            Held::Joined(mut joined) => {
                joined.extend_from_slice(&chunk);
                Held::Joined(joined)
            }
        };
    }
    Ok(match body {
        Held::Nothing => Bytes::new(),
        Held::One(only) => only,
        Held::Joined(joined) => Bytes::from(joined),
    })
}

/// What [`read_limited`] holds of a body so far.
enum Held {
    Nothing,
    One(Bytes),
    Joined(Vec<u8>),
}
