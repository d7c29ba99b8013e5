//! The file name of each packet in the output directory: safe on every file system, at most
//! 200 bytes, and unique in the run ignoring case (packets that would share a name get suffixes
//! that do not depend on listing order).

use super::packet::{url_path, Packet};

/// Longest file name given to a packet (bytes, `.log.gz` included), leaving room for the
/// temporary name's `.` + `.<16 hex>.part` under the usual 255-byte limit.
const MAX_FILE_NAME: usize = 200;

const LOG_GZ: &str = ".log.gz";

impl Packet {
    /// The packet's file name in the output directory, `.log.gz` included:
    /// `<LogPacketName>_<Area>.log.gz`, every byte outside `[A-Za-z0-9._-]` replaced by `_`,
    /// never hidden, a Windows device name prefixed with `_`, at most 200 bytes (a longer stem
    /// is cut and ends with a hash of the whole). Falls back to the last segment of the URL path
    /// when the name is empty. A run may add a suffix to keep names unique.
    pub fn file_name(&self) -> String {
        let mut stem = if self.name.is_empty() {
            url_path(&self.url)
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".gz")
                .trim_end_matches(".log")
                .to_owned()
        } else {
            self.name.clone()
        };
        if !self.area.is_empty() {
            stem = format!("{stem}_{}", self.area);
        }
        let mut safe: String = stem
            .chars()
            .map(|c| match c {
                'A'..='Z' | 'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        // Never hidden (temporary files are), never `.` or `..`; never a name Windows reserves
        // for a device, whatever the extension (`NUL.x` is the device too).
        let device = safe.split('.').next().is_some_and(is_windows_device);
        if safe.starts_with('.') || safe.is_empty() || device {
            safe.insert(0, '_');
        }
        cap_stem(&safe, MAX_FILE_NAME - LOG_GZ.len()) + LOG_GZ
    }
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case.
fn is_windows_device(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && matches!(upper.as_bytes()[3], b'1'..=b'9'))
}

/// `stem` if at most `max` bytes, else its first bytes and `-<16 hex>`, a hash of the whole, so
/// names that differ only after the cut stay apart. The stem is ASCII (sanitised), so any byte
/// index is a character boundary.
fn cap_stem(stem: &str, max: usize) -> String {
    if stem.len() <= max {
        return stem.to_owned();
    }
    let keep = max.saturating_sub(17);
    format!("{}-{:016x}", &stem[..keep], fnv1a(stem))
}

/// `name` (`<stem>.log.gz`) with `-<suffix>` after the stem, within [`MAX_FILE_NAME`].
fn with_suffix(name: &str, suffix: &str) -> String {
    let stem = name.strip_suffix(LOG_GZ).unwrap_or(name);
    let room = MAX_FILE_NAME - LOG_GZ.len() - suffix.len() - 1;
    format!("{}-{suffix}{LOG_GZ}", cap_stem(stem, room))
}

/// Pairs each packet with its file name, dropping entries listed twice (the same URL path; the
/// query string is a signature that may differ between listings).
///
/// Names are unique in the run ignoring ASCII case, so no two packets share a file even on a
/// case-insensitive file system. Packets that are distinct but share a [`Packet::file_name`]
/// all get a suffix from a hash of their URL path, so their names do not depend on listing
/// order and stay the same in a rerun. Names can still meet — a `LogPacketName` crafted to
/// equal another packet's suffixed name, two paths with one hash — and those are settled in
/// URL path order (again independent of listing order) with a further suffix.
pub(super) fn assign_file_names(packets: Vec<Packet>) -> (Vec<(String, Packet)>, u64) {
    use std::collections::{HashMap, HashSet};
    let mut seen_paths = HashSet::new();
    let mut duplicates = 0;
    let mut unique = Vec::with_capacity(packets.len());
    for packet in packets {
        if seen_paths.insert(url_path(&packet.url).to_owned()) {
            unique.push(packet);
        } else {
            duplicates += 1;
        }
    }
    let key = |name: &str| name.to_ascii_lowercase();
    let mut names: Vec<String> = unique.iter().map(Packet::file_name).collect();
    let mut sharing: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *sharing.entry(key(name)).or_default() += 1;
    }
    for (name, packet) in names.iter_mut().zip(&unique) {
        if sharing[&key(name)] > 1 {
            *name = with_suffix(name, &format!("{:016x}", fnv1a(url_path(&packet.url))));
        }
    }
    // Names now held by one packet only are settled; the rest go in URL path order, the first
    // keeping its name, each other one trying further suffixes until one is free.
    let mut count: HashMap<String, usize> = HashMap::new();
    for name in &names {
        *count.entry(key(name)).or_default() += 1;
    }
    let mut taken: HashSet<String> = names
        .iter()
        .map(|name| key(name))
        .filter(|name| count[name] == 1)
        .collect();
    let mut contested: Vec<usize> = (0..names.len())
        .filter(|&i| count[&key(&names[i])] > 1)
        .collect();
    contested.sort_by(|&a, &b| url_path(&unique[a].url).cmp(url_path(&unique[b].url)));
    for i in contested {
        let path = url_path(&unique[i].url);
        let mut attempt = 0u32;
        let mut name = names[i].clone();
        while !taken.insert(key(&name)) {
            attempt += 1;
            name = with_suffix(
                &names[i],
                &format!("{:016x}", fnv1a(&format!("{path}#{attempt}"))),
            );
        }
        names[i] = name;
    }
    let named = names.into_iter().zip(unique).collect();
    (named, duplicates)
}

/// FNV-1a: a hash that stays the same across Rust versions, for file names.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
