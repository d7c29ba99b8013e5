//! Rust names for wire names: acronym-aware snake_case and keyword escaping.
//!
//! `heck` splits at every case change, which mangles the mixed-case acronyms Tencent uses
//! (`DDoS` → `d_do_s`, `IPv6` → `i_pv6`, `URLs` → `ur_ls`). Before handing a name to heck we
//! rewrite such acronyms into a single capitalised word (`Ddos`, `Ipv6`, `Urls`), which heck
//! then keeps together.

use heck::ToSnakeCase;

/// Acronyms whose spelling mixes cases. All-caps acronyms (CNAME, HTTPS, IP, L4) need no entry:
/// heck already keeps an upper-case run together.
const MIXED_CASE_ACRONYMS: &[&str] = &["DDoS", "IPv4", "IPv6"];

/// `DescribeDDoSAttackData` → `describe_ddos_attack_data`; keywords are not escaped here.
pub fn snake_case(wire: &str) -> String {
    normalize_acronyms(wire).to_snake_case()
}

/// A snake_case name usable as a Rust identifier: `type` → `r#type`, `self` → `self_`.
pub fn field_ident(wire: &str) -> String {
    escape_keyword(&snake_case(wire))
}

/// Rust names for a list of wire names that must be distinct (the members of one object, the
/// actions of one service), in the list's order.
///
/// The rule, deterministic and stable as the spec grows at its end: each name is
/// [`field_ident`] of its wire name unless an earlier entry (or `reserved`) already took it; then
/// it gets the first free suffix `_2`, `_3`, … (`UUI`, `Uui` → `uui`, `uui_2`; a member `New`
/// beside the constructor `new` → `new_2`).
pub fn disambiguate<'a>(
    wire_names: impl IntoIterator<Item = &'a str>,
    reserved: &[&str],
) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> =
        reserved.iter().map(|r| (*r).to_owned()).collect();
    wire_names
        .into_iter()
        .map(|wire| {
            let plain = field_ident(wire);
            let name = if taken.contains(&plain) {
                let base = plain.trim_start_matches("r#").trim_end_matches('_');
                (2..)
                    .map(|n| format!("{base}_{n}"))
                    .find(|candidate| !taken.contains(candidate))
                    .unwrap_or(plain)
            } else {
                plain
            };
            taken.insert(name.clone());
            name
        })
        .collect()
}

fn escape_keyword(name: &str) -> String {
    // `self`, `Self`, `super`, `crate` and `_` cannot be raw identifiers.
    const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if is_keyword(name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// Strict and reserved keywords of Rust 2021 (plus `gen`, reserved in 2024).
pub fn is_keyword(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
        "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
        "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub",
        "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "try",
        "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
    ];
    KEYWORDS.contains(&name)
}

/// Rewrites acronyms that heck would split into one capitalised word each.
fn normalize_acronyms(wire: &str) -> String {
    let chars: Vec<char> = wire.chars().collect();
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = mixed_case_acronym_at(&chars, i).or_else(|| plural_acronym_at(&chars, i))
        {
            push_capitalised(&mut out, &chars[i..i + len]);
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A table acronym starting a word at `i`, optionally pluralised (`IPv6s`).
fn mixed_case_acronym_at(chars: &[char], i: usize) -> Option<usize> {
    if !starts_word(chars, i) {
        return None;
    }
    MIXED_CASE_ACRONYMS.iter().find_map(|acronym| {
        let len = acronym.chars().count();
        let matches =
            chars.len() >= i + len && chars[i..i + len].iter().copied().eq(acronym.chars());
        if !matches {
            return None;
        }
        let plural = chars.get(i + len) == Some(&'s') && ends_word(chars, i + len + 1);
        let len = if plural { len + 1 } else { len };
        ends_word(chars, i + len).then_some(len)
    })
}

/// An upper-case run followed by a plural `s` (`URLs`, `IDs`, `IPs`) starting a word at `i`.
fn plural_acronym_at(chars: &[char], i: usize) -> Option<usize> {
    if !starts_word(chars, i) {
        return None;
    }
    let run = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_uppercase())
        .count();
    let plural = run >= 2 && chars.get(i + run) == Some(&'s') && ends_word(chars, i + run + 1);
    plural.then_some(run + 1)
}

fn starts_word(chars: &[char], i: usize) -> bool {
    i == 0 || !chars[i - 1].is_ascii_uppercase()
}

fn ends_word(chars: &[char], i: usize) -> bool {
    chars
        .get(i)
        .is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
}

fn push_capitalised(out: &mut String, word: &[char]) {
    for (n, c) in word.iter().enumerate() {
        out.push(if n == 0 {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
    }
}

/// Whether member `wire` of object `object` carries a secret that must never be printed:
/// `SecretKey`, `SecretAccessKey`, `AccessKey` (an S3-style secret; not `AccessKeyId`),
/// `Password`, `PrivateKey`, `Token`, `SessionToken`, and the `Content` of a token object
/// (`InferenceAPIToken.Content`); not `TokenId` or a paging `NextToken`.
pub fn is_sensitive(object: &str, wire: &str) -> bool {
    const SECRET_WORDS: &[&str] = &["Secret", "Password", "PrivateKey"];
    const SECRET_TOKENS: &[&str] = &["SessionToken", "AccessToken", "AuthToken"];
    wire == "Token"
        || wire.ends_with("AccessKey")
        || (wire == "Content" && object.contains("Token"))
        || SECRET_WORDS.iter().any(|word| wire.contains(word))
        || SECRET_TOKENS.iter().any(|token| wire.ends_with(token))
}

/// Whether a (string) member holds URLs (`Url`, `URL`, `RedirectUrl`, `Urls`): log packets'
/// `Url`s carry a signature in their query string, so `Debug` never prints a URL's query.
pub fn is_url(wire: &str) -> bool {
    ["Url", "URL", "Urls", "URLs"]
        .iter()
        .any(|suffix| wire.ends_with(suffix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms_read_as_words() {
        let cases = [
            ("DownloadL4Logs", "download_l4_logs"),
            ("DescribeDDoSAttackData", "describe_ddos_attack_data"),
            ("DescribeL7AccRules", "describe_l7_acc_rules"),
            ("IPv6", "ipv6"),
            ("OriginIPv6s", "origin_ipv6s"),
            ("IPv6Status", "ipv6_status"),
            ("CNAMEStatus", "cname_status"),
            ("ModifySharedCNAME", "modify_shared_cname"),
            ("HTTPSConfig", "https_config"),
            ("DescribeIPRegion", "describe_ip_region"),
            ("ZoneIds", "zone_ids"),
            ("ProxyIDs", "proxy_ids"),
            ("URLs", "urls"),
            ("IPs", "ips"),
            ("AntiDDoSConfig", "anti_ddos_config"),
            ("KVGet", "kv_get"),
            ("Http2", "http2"),
            ("RequestId", "request_id"),
        ];
        for (wire, expected) in cases {
            assert_eq!(snake_case(wire), expected, "{wire}");
        }
    }

    #[test]
    fn secrets_are_recognised() {
        for wire in [
            "SecretKey",
            "BackupSecretKey",
            "SecretAccessKey",
            "AppSecretKey",
            "AccessKey",
            "Password",
            "SessionToken",
        ] {
            assert!(is_sensitive("S3", wire), "{wire}");
        }
        assert!(is_sensitive("InferenceAPIToken", "Content"));
        assert!(is_sensitive("CreateInferenceAPITokenResponse", "Content"));
        assert!(!is_sensitive("CreateDnsRecordRequest", "Content"));
        for wire in [
            "TokenId",
            "Tokens",
            "NextToken",
            "CacheKey",
            "TagKey",
            "Key",
            "AccessKeyId",
        ] {
            assert!(!is_sensitive("S3", wire), "{wire}");
        }
        for wire in ["Url", "RedirectURL", "Urls", "InferenceURL"] {
            assert!(is_url(wire), "{wire}");
        }
        for wire in ["URLPath", "FullUrlCache", "UpstreamURLRewrite"] {
            assert!(!is_url(wire), "{wire}");
        }
    }

    #[test]
    fn colliding_names_get_numbered_suffixes() {
        assert_eq!(
            disambiguate(["UUI", "Uui", "Name", "UUI2", "uui"], &[]),
            ["uui", "uui_2", "name", "uui2", "uui_3"]
        );
        assert_eq!(
            disambiguate(["New", "Type", "type"], &["new"]),
            ["new_2", "r#type", "type_2"]
        );
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(field_ident("Type"), "r#type");
        assert_eq!(field_ident("Match"), "r#match");
        assert_eq!(field_ident("Self"), "self_");
        assert_eq!(field_ident("Types"), "types");
    }
}
