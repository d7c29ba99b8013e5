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
    #[cfg(feature = "libdeflate")]
    if let Some(out) = one_member(body, limit) {
        return Ok(out);
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

/// The body decoded in one call to libdeflate (twice as fast as a stream here), when it is what
/// pushers send: a single gzip member whose trailer tells its size, within `limit`. Anything
/// else — several members, a trailer that lies, a corrupt stream — is `None`, and the
/// streaming decoder, bounded as it reads, decodes it or names the fault.
#[cfg(feature = "libdeflate")]
fn one_member(body: &[u8], limit: usize) -> Option<Vec<u8>> {
    let said = trailer_size(body)?;
    if said == 0 || said > limit || said > body.len().saturating_mul(1032) {
        return None;
    }
    let mut out = Vec::with_capacity(said);
    let read = libdeflate::gzip_decompress(body, &mut out)?;
    // A member that ends before the body does is followed by another: the stream reads them all.
    (read == body.len() && out.len() == said).then_some(out)
}

/// What the gzip trailer at the end of `body` says the last member decodes to.
fn trailer_size(body: &[u8]) -> Option<usize> {
    let at = body.len().checked_sub(4)?;
    let tail = <[u8; 4]>::try_from(body.get(at..)?).ok()?;
    Some(u32::from_le_bytes(tail) as usize)
}

/// libdeflate's gzip decoder, the one call that also tells how much input a member took (the
/// `libdeflater` crate's safe API leaves that out, and without it a second member would be
/// silently dropped).
#[cfg(feature = "libdeflate")]
mod libdeflate {
    use libdeflate_sys as sys;

    /// Decodes the first gzip member of `input` into the room `out` has left (its length grows
    /// by what was written; its capacity is not exceeded): the bytes read, or `None` when it is
    /// not valid gzip or does not fit.
    pub(super) fn gzip_decompress(input: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        let room = out.spare_capacity_mut();
        // SAFETY: the decompressor is checked for null, used by this call only and freed once.
        // libdeflate reads at most `input.len()` bytes of `input` and writes at most
        // `room.len()` bytes into `room` (both live for the whole call; writing into
        // uninitialized memory is what it is for), then the two counts. On success the first
        // `written` bytes of `room` are initialized, so the length may cover them.
        unsafe {
            let d = sys::libdeflate_alloc_decompressor();
            if d.is_null() {
                return None;
            }
            let (mut read, mut written) = (0usize, 0usize);
            let result = sys::libdeflate_gzip_decompress_ex(
                d,
                input.as_ptr().cast(),
                input.len(),
                room.as_mut_ptr().cast(),
                room.len(),
                &mut read,
                &mut written,
            );
            sys::libdeflate_free_decompressor(d);
            if result != sys::libdeflate_result_LIBDEFLATE_SUCCESS || written > room.len() {
                return None;
            }
            out.set_len(out.len() + written);
            Some(read)
        }
    }
}

/// The decoded size to make room for at once (growing the buffer as it fills would copy it
/// again and again): what the gzip trailer says of the last member, if a deflate stream of
/// this size can hold that much (at most 1032 times its size), else four times the body.
fn expected_size(body: &[u8]) -> usize {
    let said = trailer_size(body).unwrap_or(0);
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

    #[test]
    fn every_member_is_decoded_whatever_the_trailer_says() {
        let (a, b) = (gzip(b"[{\"A\":1}"), gzip(b",{\"A\":2}]"));
        let both = [a.clone(), b].concat();
        assert_eq!(decode(&both, None, 100).unwrap(), b"[{\"A\":1},{\"A\":2}]");
        // The same member twice: its first copy alone matches the trailer at the end.
        let twice = [a.clone(), a.clone()].concat();
        #[cfg(feature = "libdeflate")]
        {
            assert_eq!(one_member(&a, 100).unwrap(), b"[{\"A\":1}");
            assert_eq!(one_member(&twice, 100), None, "left to the stream");
        }
        assert_eq!(decode(&twice, None, 100).unwrap(), b"[{\"A\":1}[{\"A\":1}");
        // A trailer saying less or more than the member holds.
        for said in [1u32, 9, 10_000] {
            let mut lying = a.clone();
            let at = lying.len() - 4;
            lying[at..].copy_from_slice(&said.to_le_bytes());
            assert!(
                matches!(decode(&lying, None, 100), Err(DecodeError::Gzip(_))),
                "{said}"
            );
        }
        // Cut short, or a flipped bit in the deflate stream.
        assert!(matches!(
            decode(&a[..a.len() - 6], None, 100),
            Err(DecodeError::Gzip(_))
        ));
        let mut flipped = a.clone();
        flipped[12] ^= 0x40;
        assert!(decode(&flipped, None, 100).is_err());
        // A single member at the limit, and one byte over.
        let big = gzip(&[b'x'; 100]);
        assert_eq!(decode(&big, None, 100).unwrap().len(), 100);
        assert_eq!(
            decode(&big, None, 99),
            Err(DecodeError::TooLarge { limit: 99 })
        );
    }
}
