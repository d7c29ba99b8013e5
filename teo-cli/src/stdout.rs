//! The one writer of stdout: what a command prints is written and flushed here, and a reader that
//! stopped early (`teo … | head`) is no error — it has what it wanted.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::failure::EXIT_FAILED;

/// Writes `text` to `out` and flushes it; a closed pipe counts as written.
pub(crate) fn write_to(out: &mut dyn Write, text: &str) -> io::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

/// Writes `text` to stdout and flushes it; a closed pipe counts as written.
pub(crate) fn write(text: &str) -> io::Result<()> {
    write_to(&mut io::stdout().lock(), text)
}

/// Writes `text` to stdout: exit 0, also when the reader stopped early; else the error on
/// stderr, exit 1.
pub(crate) fn print(text: &str) -> ExitCode {
    match write(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the output: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader is gone, or that fails otherwise.
    struct Closed(io::ErrorKind);

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(self.0.into())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_no_error_but_other_errors_are() {
        let mut out = Vec::new();
        write_to(&mut out, "text\n").unwrap();
        assert_eq!(out, b"text\n");
        write_to(&mut Closed(io::ErrorKind::BrokenPipe), "text").unwrap();
        let error = write_to(&mut Closed(io::ErrorKind::StorageFull), "text").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }
}
