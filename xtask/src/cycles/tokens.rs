//! A Rust tokenizer just good enough to find module paths: comments are dropped, and string,
//! character and number literals become opaque tokens, so `// see crate::x` or
//! `"crate::x"` are no references. Each token keeps its line for the report.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier or keyword (`r#type` is `type`).
    Ident(String),
    /// A string literal's text as written (escapes not processed): only `#[path = "…"]` reads it.
    Str(String),
    /// `::`.
    PathSep,
    /// Any other punctuation character.
    Punct(char),
    /// A number, character or byte literal, or a lifetime.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
}

fn ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The tokens of `text`.
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        let mut push = |tok: Tok| {
            tokens.push(Token {
                tok,
                line: start_line,
            })
        };
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let mut depth = 1;
            i += 2;
            while i < chars.len() && depth > 0 {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if ident_start(c) {
            let start = i;
            while i < chars.len() && ident_continue(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut hashes = 0;
            while at(i + hashes) == '#' {
                hashes += 1;
            }
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && at(i + hashes) == '"' {
                let (text, end) = raw_string(&chars, i + hashes + 1, hashes, &mut line);
                push(Tok::Str(text));
                i = end;
            } else if word == "r" && hashes == 1 && ident_start(at(i + 1)) {
                // A raw identifier: r#type.
                let start = i + 1;
                i = start;
                while i < chars.len() && ident_continue(chars[i]) {
                    i += 1;
                }
                push(Tok::Ident(chars[start..i].iter().collect()));
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                let (text, end) = string(&chars, i + 1, &mut line);
                push(Tok::Str(text));
                i = end;
            } else if word == "b" && at(i) == '\'' {
                i = char_literal_end(&chars, i);
                push(Tok::Other);
            } else {
                push(Tok::Ident(word));
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && ident_continue(chars[i]) {
                i += 1;
            }
            push(Tok::Other);
        } else if c == '"' {
            let (text, end) = string(&chars, i + 1, &mut line);
            push(Tok::Str(text));
            i = end;
        } else if c == '\'' {
            if at(i + 1) == '\\' || at(i + 2) == '\'' {
                i = char_literal_end(&chars, i);
            } else {
                // A lifetime or a label: 'a, 'static.
                i += 1;
                while i < chars.len() && ident_continue(chars[i]) {
                    i += 1;
                }
            }
            push(Tok::Other);
        } else if c == ':' && at(i + 1) == ':' {
            push(Tok::PathSep);
            i += 2;
        } else {
            push(Tok::Punct(c));
            i += 1;
        }
    }
    tokens
}

/// A quoted string from `i` (after its `"`): its text and the index after its closing quote.
fn string(chars: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let start = i;
    while i < chars.len() && chars[i] != '"' {
        if chars[i] == '\\' {
            i += 1;
        }
        if chars.get(i) == Some(&'\n') {
            *line += 1;
        }
        i += 1;
    }
    let end = i.min(chars.len());
    (chars[start..end].iter().collect(), end + 1)
}

/// A raw string from `i` (after its opening `"`), ended by `"` and `hashes` `#`.
fn raw_string(chars: &[char], mut i: usize, hashes: usize, line: &mut usize) -> (String, usize) {
    let start = i;
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return (chars[start..i].iter().collect(), i + 1 + hashes);
        }
        if chars[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    (chars[start..].iter().collect(), chars.len())
}

/// The index after a character literal whose `'` is at `i`: `'a'`, `'\''`, `'\u{1F600}'`.
fn char_literal_end(chars: &[char], i: usize) -> usize {
    let mut j = i + 1;
    if chars.get(j) == Some(&'\\') {
        // The escaped character, then whatever follows up to the quote (\u{…}, \x41).
        j += 2;
    } else {
        j += 1;
    }
    while j < chars.len() && chars[j] != '\'' && chars[j] != '\n' {
        j += 1;
    }
    j + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Ident(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_and_literals_hide_what_is_in_them() {
        let text = "a // crate::x\n/* crate::y /* nested */ crate::z */ b \"crate::s \\\" q\" \
                    r#\"crate::r\"# '\\'' 'c' 'life c2 b'x' br\"q\" r#type";
        assert_eq!(idents(text), ["a", "b", "c2", "type"]);
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let tokens = tokenize("a\n/* x\n y */ \"s\n t\" b\n");
        let b = tokens
            .iter()
            .find(|t| t.tok == Tok::Ident("b".into()))
            .unwrap();
        assert_eq!(b.line, 4);
    }
}
