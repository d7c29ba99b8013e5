//! Making text from users and servers safe to put in errors and logs: endpoints without their
//! user info or query, serde messages without the values they quote, and bounded lengths.

/// The longest endpoint text an error repeats; a longer one is cut (it came from a user or a
/// variable and could be anything).
const MAX_ENDPOINT_CHARS: usize = 120;

/// An endpoint as errors may show it: without user info (`user:password@` → `…@`), without a
/// query or fragment (a signed URL carries its signature there: `?…`), at most 120 characters.
/// Works on text that is not a URL too, which is when it matters most: the parser's error is
/// the one place the raw text would otherwise be echoed.
pub(crate) fn endpoint(text: &str) -> String {
    // Query and fragment first: an `@` in them is not user info, but they go anyway.
    let (base, cut_query) = match text.find(['?', '#']) {
        Some(at) => (text.get(..at).unwrap_or(""), true),
        None => (text, false),
    };
    // User info ends at the last `@` of the authority, which ends at the first `/` after the
    // scheme's `//` (or, without `//`, anywhere: `user:pw@host` is redacted too).
    let authority_start = base.find("//").map_or(0, |at| at + 2);
    let rest = base.get(authority_start..).unwrap_or("");
    let authority_end = authority_start + rest.find('/').unwrap_or(rest.len());
    let authority = base.get(authority_start..authority_end).unwrap_or("");
    let mut shown = String::with_capacity(base.len());
    match authority.rfind('@') {
        Some(at) => {
            shown.push_str(base.get(..authority_start).unwrap_or(""));
            shown.push('…');
            shown.push_str(base.get(authority_start + at..).unwrap_or(""));
        }
        None => shown.push_str(base),
    }
    if cut_query {
        shown.push_str("?…");
    }
    truncate(&shown, MAX_ENDPOINT_CHARS)
}

/// An endpoint whose `Debug` is [`endpoint`]: a builder, client or provider printed in a log
/// must not show `user:password@` or a signed query.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Shown<T>(pub(crate) T);

impl<T: AsRef<str>> std::fmt::Debug for Shown<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&endpoint(self.0.as_ref()), f)
    }
}

impl<T: AsRef<str>> std::fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&endpoint(self.0.as_ref()))
    }
}

/// At most `max` characters of `text`, control characters replaced by spaces, `…` marking a
/// cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if fits(text, max) {
        return text.to_owned();
    }
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// [`truncate`] of text already owned: kept as it is when it fits (a request id, every call).
pub(crate) fn truncate_owned(text: String, max: usize) -> String {
    if fits(&text, max) {
        text
    } else {
        truncate(&text, max)
    }
}

/// Whether [`truncate`] would change nothing: at most `max` bytes (so chars), none a control.
fn fits(text: &str, max: usize) -> bool {
    text.len() <= max && !text.chars().any(char::is_control)
}

/// A serde message about a *response* without the values it quotes.
///
/// serde describes a value of the wrong type by quoting it (`invalid type: string "…",
/// expected u64`, `unknown variant `…``), and a response member of the wrong type may well be
/// a secret (`TmpSecretKey` as a number, a token where a list was expected). Every `"…"` and
/// `` `…` `` segment is blanked, except the member names of `missing field` / `unknown field`
/// / `duplicate field`, which come from the typed model and say where the problem is. Member
/// paths added by the model's readers (`Rules: Condition: …`) are not quoted and stay.
pub(crate) fn serde_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut chars = message.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                // A Rust-escaped string: skip to the closing quote that is not escaped.
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"…\"");
            }
            '`' => {
                let before = message.get(..at).unwrap_or("");
                let keep = ["missing field ", "unknown field ", "duplicate field "]
                    .iter()
                    .any(|prefix| before.ends_with(prefix));
                let mut quoted = String::new();
                for (_, c) in chars.by_ref() {
                    if c == '`' {
                        break;
                    }
                    quoted.push(c);
                }
                out.push('`');
                out.push_str(if keep { &quoted } else { "…" });
                out.push('`');
            }
            c => out.push(c),
        }
    }
    truncate(&out, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_what_fits_and_cuts_or_cleans_the_rest() {
        for truncated in [truncate, |t: &str, max| truncate_owned(t.to_owned(), max)] {
            assert_eq!(truncated("req-1", 5), "req-1");
            assert_eq!(truncated("req-12", 5), "req-1…");
            assert_eq!(truncated("a\u{1b}[31mb", 20), "a [31mb");
            // Five characters in more than five bytes: kept whole.
            assert_eq!(truncated("ééééé", 5), "ééééé");
            assert_eq!(truncated("éééééé", 5), "ééééé…");
        }
    }

    #[test]
    fn endpoints_lose_user_info_and_query() {
        assert_eq!(
            endpoint("http://user:hunter2@host:notaport/x"),
            "http://…@host:notaport/x"
        );
        assert_eq!(endpoint("user:hunter2@host"), "…@host");
        assert_eq!(
            endpoint("https://a:b@c@example.com/p?Signature=s3cr3t#frag"),
            "https://…@example.com/p?…"
        );
        assert_eq!(
            endpoint("https://example.com/p@x"),
            "https://example.com/p@x"
        );
        assert_eq!(endpoint("not a url"), "not a url");
        let long = format!("http://{}", "h".repeat(500));
        assert_eq!(endpoint(&long).chars().count(), MAX_ENDPOINT_CHARS + 1);
    }

    #[test]
    fn serde_messages_lose_values_but_keep_member_names() {
        assert_eq!(
            serde_message(r#"invalid type: string "s3cr\"et", expected u64 at line 1 column 9"#),
            r#"invalid type: string "…", expected u64 at line 1 column 9"#
        );
        assert_eq!(
            serde_message("Credentials: invalid type: integer `12345`, expected a string"),
            "Credentials: invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            serde_message("missing field `ZoneId` at line 1 column 2"),
            "missing field `ZoneId` at line 1 column 2"
        );
        assert_eq!(
            serde_message("unknown variant `s3cret`, expected `a` or `b`"),
            "unknown variant `…`, expected `…` or `…`"
        );
    }
}
