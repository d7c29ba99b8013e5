//! JSON written straight into the record's string: members, numbers, hex, timestamps (no serde, no allocation per value).

/// `key` (`,"Name":`) and `value` as a JSON string; `value` needs no escaping.
pub(crate) fn str_json(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push('"');
    out.push_str(value);
    out.push('"');
}

pub(crate) fn int_json(out: &mut String, key: &str, value: i64) {
    out.push_str(key);
    push_i64(out, value);
}

/// `n` in decimal.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while n >= 100 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[(n % 100) as usize]);
        n /= 100;
    }
    if n >= 10 {
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[n as usize]);
    } else {
        i -= 1;
        digits[i] = b'0' + n as u8;
    }
    push_ascii(out, &digits[i..]);
}

pub(crate) fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// ASCII bytes (digits, hex) as text: one copy, no per-character pushes.
pub(crate) fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
}

/// "00" to "99".
pub(crate) const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

pub(crate) const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// 16 lowercase hex digits.
pub(crate) fn push_hex(out: &mut String, n: u64) {
    let mut digits = [0u8; 16];
    for (i, digit) in digits.iter_mut().enumerate() {
        *digit = HEX_DIGITS[(n >> (60 - 4 * i)) as usize & 15];
    }
    push_ascii(out, &digits);
}

/// An IPv6 group: lowercase hex without leading zeros.
pub(crate) fn push_group(out: &mut String, group: u16) {
    let digits = [
        HEX_DIGITS[usize::from(group >> 12)],
        HEX_DIGITS[usize::from(group >> 8) & 15],
        HEX_DIGITS[usize::from(group >> 4) & 15],
        HEX_DIGITS[usize::from(group) & 15],
    ];
    let skip = (group.leading_zeros() / 4).min(3) as usize;
    push_ascii(out, &digits[skip..]);
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds (`2024-05-01T10:00:00.000Z`), for
/// years 0 to 9999.
pub(crate) fn push_timestamp(out: &mut String, unix_ms: i64) {
    let seconds = unix_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400) as usize;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as usize;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = (year_of_era + era * 400 + i64::from(month <= 2)).clamp(0, 9999) as usize;
    let ms = unix_ms.rem_euclid(1000) as usize;
    let mut text = *b"0000-00-00T00:00:00.000Z";
    for (at, value) in [
        (0, year / 100),
        (2, year % 100),
        (5, month),
        (8, day),
        (11, of_day / 3600),
        (14, of_day / 60 % 60),
        (17, of_day % 60),
    ] {
        text[at..at + 2].copy_from_slice(&DIGIT_PAIRS[value]);
    }
    text[20] = b'0' + (ms / 100) as u8;
    text[21..23].copy_from_slice(&DIGIT_PAIRS[ms % 100]);
    push_ascii(out, &text);
}
