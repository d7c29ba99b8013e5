//! "Did you mean …?": the closest valid name to a mistyped one.

/// The candidate closest to `input`, if any is close enough to be a likely typo. A candidate
/// equal but for case wins outright (names are case-sensitive, so `--zoneids` means `--ZoneIds`);
/// otherwise the smallest edit distance wins, ties going to the most similar prefix.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = input.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    let mut best: Option<(usize, f64, &'a str)> = None;
    for candidate in candidates {
        let lower = candidate.to_lowercase();
        if lower == wanted {
            return Some(candidate);
        }
        let distance = strsim::damerau_levenshtein(&wanted, &lower);
        let similarity = strsim::jaro_winkler(&wanted, &lower);
        if distance > limit && similarity < 0.9 {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, s, _)) => distance < d || (distance == d && similarity > s),
        };
        if better {
            best = Some((distance, similarity, candidate));
        }
    }
    best.map(|(_, _, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    const ACTIONS: &[&str] = &[
        "DownloadL4Logs",
        "DownloadL7Logs",
        "DescribeZones",
        "CreateZone",
    ];

    #[test]
    fn one_edit_away() {
        assert_eq!(
            closest("DownloadL4Log", ACTIONS.iter().copied()),
            Some("DownloadL4Logs")
        );
        assert_eq!(
            closest("DescribeZone", ACTIONS.iter().copied()),
            Some("DescribeZones")
        );
    }

    #[test]
    fn case_only_difference_wins() {
        assert_eq!(
            closest("downloadl7logs", ACTIONS.iter().copied()),
            Some("DownloadL7Logs")
        );
    }

    #[test]
    fn truncated_name_is_recognised() {
        assert_eq!(
            closest("DownloadL7", ACTIONS.iter().copied()),
            Some("DownloadL7Logs")
        );
    }

    #[test]
    fn nothing_close() {
        assert_eq!(closest("PurgeEverything", ACTIONS.iter().copied()), None);
    }
}
