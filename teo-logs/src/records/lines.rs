//! JSON Lines input a line at a time, each line held only up to a length bound (a longer one is
//! read past, never held), decompressed when the input starts with the gzip magic bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// A line's number (1-based) and its text trimmed of ASCII white space (maybe empty), `None`
/// when it is longer than the bound.
pub type NumberedLine<'a> = (u64, Option<&'a [u8]>);

/// The lines of JSON Lines input, a line at a time, each held only up to a length bound (a
/// longer one is read past, never held): what [`Records`](super::Records) reads, for readers of other shapes.
pub struct LineReader {
    input: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    pub(super) max_line: usize,
    pub(super) line: u64,
}

impl LineReader {
    /// Lines of `input` (already decompressed), each at most `max_line` bytes.
    pub fn new(input: impl BufRead + Send + 'static, max_line: usize) -> LineReader {
        LineReader {
            input: Box::new(input),
            buf: Vec::new(),
            max_line,
            line: 0,
        }
    }

    /// Lines of `input`, decompressed when it starts with the gzip magic bytes.
    pub fn from_reader(input: impl Read + Send + 'static, max_line: usize) -> LineReader {
        let mut input = BufReader::with_capacity(READ_BUFFER, input);
        // A read error here shows again on the first line read.
        let gzip = input.fill_buf().is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
        if gzip {
            let decoded = BufReader::with_capacity(READ_BUFFER, MultiGzDecoder::new(input));
            LineReader::new(decoded, max_line)
        } else {
            LineReader::new(input, max_line)
        }
    }

    /// Lines of a `.log`/`.log.gz` file (gzip detected by its content).
    pub fn open(path: impl AsRef<Path>, max_line: usize) -> io::Result<LineReader> {
        Ok(LineReader::from_reader(File::open(path)?, max_line))
    }

    /// Lines read so far.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next line: `Ok(None)` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<NumberedLine<'_>>> {
        self.buf.clear();
        let mut any = false;
        let mut fits = true;
        loop {
            let available = match self.input.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (chunk, end) = match memchr::memchr(b'\n', available) {
                Some(at) => (&available[..at], Some(at + 1)),
                None => (available, None),
            };
            if fits && self.buf.len() + chunk.len() <= self.max_line {
                self.buf.extend_from_slice(chunk);
            } else {
                fits = false;
                self.buf.clear();
            }
            let consumed = end.unwrap_or(available.len());
            self.input.consume(consumed);
            if end.is_some() {
                break;
            }
        }
        self.line += 1;
        Ok(Some((self.line, fits.then(|| self.buf.trim_ascii()))))
    }
}

/// Bytes read from a file (and from its decompressor) at a time.
const READ_BUFFER: usize = 256 << 10;
