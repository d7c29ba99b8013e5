//! A pushed body's bytes as sent (gzip'd or not) to the bytes of the batch, within limits on
//! both: a small gzip'd body can inflate without end (a "gzip bomb"), so the decoded size is
//! bounded as it is read, not after.

use std::io::Read;

/// Why a body cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The decoded batch is larger than the limit.
    #[error("the body decodes to more than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body says gzip (or starts like it) but is not valid gzip.
    #[error("the body is not valid gzip: {0}")]
    Gzip(String),
    /// A `Content-Encoding` other than gzip or identity.
    #[error("Content-Encoding {0:?} is not supported (gzip or none)")]
    Encoding(String),
}

/// The batch in `body`: gunzipped when `Content-Encoding` says gzip or the body starts with
/// gzip's magic bytes (a pusher may omit the header), at most `limit` bytes.
pub fn decode(
    body: &[u8],
    content_encoding: Option<&str>,
    limit: usize,
) -> Result<Vec<u8>, DecodeError> {
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
    let gzip = match encoding.as_deref() {
        None | Some("") | Some("identity") => body.starts_with(&[0x1f, 0x8b]),
        Some("gzip") | Some("x-gzip") => true,
        Some(other) => return Err(DecodeError::Encoding(other.chars().take(40).collect())),
    };
    if !gzip {
        if body.len() > limit {
            return Err(DecodeError::TooLarge { limit });
        }
        return Ok(body.to_vec());
    }
    // Members one after the other are one stream (gzip allows it).
    let mut out = Vec::with_capacity(expected_size(body).min(limit));
    let reader = flate2::read::MultiGzDecoder::new(body);
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Gzip(e.to_string()))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// The decoded size to make room for at once (growing the buffer as it fills would copy it
/// again and again): what the gzip trailer says of the last member, if a deflate stream of
/// this size can hold that much (at most 1032 times its size), else four times the body.
fn expected_size(body: &[u8]) -> usize {
    let said = body
        .len()
        .checked_sub(4)
        .and_then(|at| body.get(at..))
        .and_then(|tail| <[u8; 4]>::try_from(tail).ok())
        .map_or(0, |tail| u32::from_le_bytes(tail) as usize);
    if said > 0 && said <= body.len().saturating_mul(1032) {
        // One spare byte: reading to the end asks for more room once before it sees the end.
        said + 1
    } else {
        body.len().saturating_mul(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_by_header_or_magic_and_plain_bodies() {
        let z = gzip(b"{\"A\":1}");
        assert_eq!(decode(&z, Some("gzip"), 100).unwrap(), b"{\"A\":1}");
        assert_eq!(decode(&z, None, 100).unwrap(), b"{\"A\":1}");
        assert_eq!(decode(b"[]", None, 100).unwrap(), b"[]");
        assert!(matches!(
            decode(b"[]", Some("gzip"), 100),
            Err(DecodeError::Gzip(_))
        ));
        assert!(matches!(
            decode(b"[]", Some("br"), 100),
            Err(DecodeError::Encoding(_))
        ));
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_limit() {
        let bomb = gzip(&vec![b' '; 50 << 20]);
        assert!(bomb.len() < 100 << 10, "{}", bomb.len());
        assert_eq!(
            decode(&bomb, Some("gzip"), 1 << 20),
            Err(DecodeError::TooLarge { limit: 1 << 20 })
        );
        assert_eq!(
            decode(&[0u8; 11], None, 10),
            Err(DecodeError::TooLarge { limit: 10 })
        );
    }
}
