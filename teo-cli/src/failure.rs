//! How a run ends when it does not succeed — the exit status and the message — and text made
//! safe to print: the bottom layer, shared by every command.

/// The API answered with an error, or the call could not be made or completed.
pub(crate) const EXIT_FAILED: u8 = 1;
/// The command line, the request or the configuration is unusable; nothing was sent.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a run ended without output: the exit status and the one-line message for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

/// The error's message followed by those of its causes that it does not already contain, made
/// [`printable`] (errors quote what servers sent: messages, packet names).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    printable(&joined_causes(error))
}

fn joined_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

/// Whether `c` acts on a terminal instead of showing: a control character (C0, DEL, C1) or an
/// invisible format character that reorders or hides text (bidi controls, zero-width ones).
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// [`printable`], line by line: for multi-line text of our own making (a `--dry-run` request).
pub(crate) fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` safe to print on a terminal: control characters (ESC sequences that move the cursor or
/// recolour, `\r` that overwrites a line, `\n` that fakes one) and the invisible format
/// characters that reorder text (bidi overrides, zero-width) are shown escaped (`\x1b`,
/// `\u{202e}`), so a hostile server cannot rewrite what the user sees.
pub(crate) fn printable(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            let _ = match u32::from(c) {
                code @ 0..=0x7f => write!(out, "\\x{code:02x}"),
                code => write!(out, "\\u{{{code:x}}}"),
            };
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        assert_eq!(
            printable("plain text, ünïcode 区域"),
            "plain text, ünïcode 区域"
        );
        assert_eq!(
            printable("bad\x1b[2J\x1b]0;title\x07\rfake\nline\u{202e}txt.exe\u{200b}\u{9b}"),
            "bad\\x1b[2J\\x1b]0;title\\x07\\x0dfake\\x0aline\\u{202e}txt.exe\\u{200b}\\u{9b}"
        );
    }
}
