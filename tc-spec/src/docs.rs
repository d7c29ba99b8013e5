//! Turns the spec's `document` strings (plain text mixed with HTML such as `<li>`, `<br>`,
//! `<code>`, `<a href>`) into Markdown that rustdoc renders cleanly.

/// Converts one `document` string to Markdown lines (no `///` prefix).
pub fn to_markdown(html: &str) -> Vec<String> {
    let text = convert_tags(html);
    tidy_lines(&text)
}

fn convert_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    let mut rest = html;
    let mut pending_link: Option<String> = None;
    while let Some(start) = rest.find('<') {
        push_text(&mut out, &rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            push_text(&mut out, after);
            rest = "";
            break;
        };
        let tag = &after[1..end];
        match classify(tag) {
            Some(Tag::ListItem) => out.push_str("\n- "),
            Some(Tag::Break) | Some(Tag::ListEnd) => out.push('\n'),
            Some(Tag::Paragraph) => out.push_str("\n\n"),
            Some(Tag::Code) => out.push('`'),
            Some(Tag::Strong) => out.push_str("**"),
            Some(Tag::LinkStart(href)) => {
                out.push('[');
                pending_link = Some(href);
            }
            Some(Tag::LinkEnd) => {
                if let Some(href) = pending_link.take() {
                    out.push_str("](");
                    out.push_str(&href);
                    out.push(')');
                }
            }
            Some(Tag::Ignored) => {}
            // Not HTML (`<Custom prefix>`): keep it as text, escaped so Markdown shows it.
            None => {
                out.push_str("\\<");
                push_text(&mut out, tag);
                out.push('>');
            }
        }
        rest = &after[end + 1..];
    }
    push_text(&mut out, rest);
    if let Some(href) = pending_link {
        out.push_str("](");
        out.push_str(&href);
        out.push(')');
    }
    out
}

enum Tag {
    ListItem,
    ListEnd,
    Break,
    Paragraph,
    Code,
    Strong,
    LinkStart(String),
    LinkEnd,
    Ignored,
}

fn classify(tag: &str) -> Option<Tag> {
    let tag = tag.trim();
    let (closing, body) = match tag.strip_prefix('/') {
        Some(body) => (true, body.trim()),
        None => (false, tag.trim_end_matches('/').trim()),
    };
    let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    let attrs = &body[name_end..];
    Some(match (name.as_str(), closing) {
        ("li", false) => Tag::ListItem,
        ("li", true) | ("ul", _) | ("ol", _) => Tag::ListEnd,
        ("br", _) => Tag::Break,
        ("p", _) | ("div", _) => Tag::Paragraph,
        ("code", _) => Tag::Code,
        ("strong", _) | ("b", _) => Tag::Strong,
        ("a", true) => Tag::LinkEnd,
        ("a", false) => Tag::LinkStart(href(attrs)?),
        ("span", _) | ("i", _) | ("em", _) | ("font", _) => Tag::Ignored,
        _ => return None,
    })
}

/// The value of `href = "..."` or `href='...'`.
fn href(attrs: &str) -> Option<String> {
    let at = attrs.find("href")?;
    let value = attrs[at + 4..].trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &value[1..];
    let end = value.find(quote)?;
    Some(value[..end].to_owned())
}

/// Text between tags: decode the few entities the spec uses and escape what Markdown or
/// rustdoc would misread (stray brackets become broken intra-doc links, bare URLs warn).
fn push_text(out: &mut String, text: &str) {
    let decoded = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let mut rest = decoded.as_str();
    while !rest.is_empty() {
        if let Some(url_len) = bare_url_len(rest) {
            // A URL already inside a Markdown link `](...)` stays as it is.
            if out.ends_with("](") {
                out.push_str(&rest[..url_len]);
            } else {
                out.push('<');
                out.push_str(&rest[..url_len]);
                out.push('>');
            }
            rest = &rest[url_len..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        match c {
            '<' => out.push_str("\\<"),
            '[' | ']' if !is_markdown_link(rest, c) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
}

fn bare_url_len(text: &str) -> Option<usize> {
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    let end = text
        .find(|c: char| {
            c.is_whitespace() || matches!(c, ')' | '>' | '<' | '"' | '\'' | '，' | '。')
        })
        .unwrap_or(text.len());
    // Trailing punctuation belongs to the sentence, not the URL.
    let url = text[..end].trim_end_matches(['.', ',', ';', ':']);
    Some(url.len())
}

/// Whether the bracket at the start of `rest` is part of an inline link `[text](url)`.
fn is_markdown_link(rest: &str, bracket: char) -> bool {
    match bracket {
        '[' => rest
            .find(']')
            .is_some_and(|end| !rest[1..end].contains('[') && rest[end + 1..].starts_with('(')),
        _ => rest[1..].starts_with('('),
    }
}

/// Trims lines, drops runs of blank lines, keeps list items together and separates a list
/// from the prose around it by one blank line (otherwise Markdown folds the next sentence into
/// the last item).
fn tidy_lines(text: &str) -> Vec<String> {
    let is_item = |line: &str| line.starts_with("- ");
    let mut lines: Vec<String> = Vec::new();
    let mut blank_pending = false;
    for raw in text.lines() {
        let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() || line == "-" {
            blank_pending = true;
            continue;
        }
        if let Some(previous) = lines.last() {
            let list_boundary = is_item(previous) != is_item(&line);
            let within_list = is_item(previous) && is_item(&line);
            if list_boundary || (blank_pending && !within_list) {
                lines.push(String::new());
            }
        }
        blank_pending = false;
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::to_markdown;

    #[test]
    fn list_items_become_markdown_items() {
        let doc = "Log query area. Valid values:\n<li>`mainland`: Chinese mainland;</li>\n<li>`overseas`: Global. </li>";
        assert_eq!(
            to_markdown(doc),
            [
                "Log query area. Valid values:",
                "",
                "- `mainland`: Chinese mainland;",
                "- `overseas`: Global."
            ]
        );
    }

    #[test]
    fn prose_after_a_list_is_separated() {
        let doc = "Values:<li>a</li><li>b</li>Default: a.";
        assert_eq!(
            to_markdown(doc),
            ["Values:", "", "- a", "- b", "", "Default: a."]
        );
    }

    #[test]
    fn links_code_breaks_and_placeholders() {
        let doc = "See <a href = 'https://x.test/doc'>the doc</a>.<br>Use <code>on</code> for <Custom prefix>.";
        assert_eq!(
            to_markdown(doc),
            [
                "See [the doc](https://x.test/doc).",
                "Use `on` for \\<Custom prefix>."
            ]
        );
    }

    #[test]
    fn bare_urls_and_stray_brackets_are_escaped() {
        let doc = "Visit https://x.test/a. Range [1, 5] or [docs](https://x.test/b).";
        assert_eq!(
            to_markdown(doc),
            ["Visit <https://x.test/a>. Range \\[1, 5\\] or [docs](https://x.test/b)."]
        );
    }
}
