//! The time range of `teo logs download`: absolute (`--start`/`--end`, RFC 3339) or counted back
//! from now (`--since 6h`, `--until 1h`, in whole minutes, hours or days), resolved into two
//! instants by [`resolve`], a pure function of the options and "now" (so it is tested with a
//! fixed clock; the command passes the real one).

use std::fmt;

use teo_client::models::DateTime;
use time::{Duration, OffsetDateTime, UtcOffset};

/// The longest look-back accepted: 10 years. EdgeOne keeps logs for days; anything longer is a
/// typo, and the limit keeps every sum far from the clock's range.
const MAX_AGO_SECONDS: i64 = 10 * 366 * 86_400;

/// A duration before now: `90m`, `6h`, `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ago {
    seconds: i64,
    text: &'static str,
    count: u64,
}

impl fmt::Display for Ago {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.text)
    }
}

/// Parses `--since` / `--until`: a positive whole number and a unit, `m` (minutes), `h` (hours)
/// or `d` (days), at most 10 years. The message says what was wrong and what is expected.
pub(crate) fn ago(text: &str) -> Result<Ago, String> {
    const EXPECTED: &str =
        "expected a positive whole number of minutes, hours or days: 90m, 6h, 2d";
    let unit_at = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i);
    let (digits, unit) = match unit_at {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let (unit_seconds, unit): (i64, &'static str) = match unit {
        "m" => (60, "m"),
        "h" => (3_600, "h"),
        "d" => (86_400, "d"),
        "" if text.is_empty() => return Err(format!("an empty duration ({EXPECTED})")),
        "" => return Err(format!("{text:?} has no unit ({EXPECTED})")),
        _ if text.starts_with('-') => return Err(format!("{text:?} is negative ({EXPECTED})")),
        other => return Err(format!("{text:?}: unknown unit {other:?} ({EXPECTED})")),
    };
    if digits.is_empty() {
        return Err(format!("{text:?} has no number ({EXPECTED})"));
    }
    let too_long = || format!("{text:?} is longer than 10 years ({EXPECTED})");
    let count: u64 = digits.parse().map_err(|_| too_long())?;
    if count == 0 {
        return Err(format!("{text:?} is zero ({EXPECTED})"));
    }
    let seconds = i64::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(unit_seconds))
        .filter(|s| *s <= MAX_AGO_SECONDS)
        .ok_or_else(too_long)?;
    Ok(Ago {
        seconds,
        text: unit,
        count,
    })
}

/// What the command line says about the range.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeArgs {
    pub start: Option<DateTime>,
    pub end: Option<DateTime>,
    pub since: Option<Ago>,
    pub until: Option<Ago>,
}

/// The range to download, both ends as given or counted back from `now` (whole seconds, UTC).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Range {
    pub start: DateTime,
    pub end: DateTime,
}

impl Range {
    /// `2024-05-01T00:00:00Z to 2024-05-01T06:00:00Z (6h)`: both ends in UTC, RFC 3339.
    pub(crate) fn describe(&self) -> String {
        let utc = |t: &DateTime| match t.instant() {
            Some(instant) => DateTime::from(instant.to_offset(UtcOffset::UTC)).to_string(),
            None => t.to_string(),
        };
        let length = match (self.start.instant(), self.end.instant()) {
            (Some(start), Some(end)) => format!(" ({})", length(end - start)),
            _ => String::new(),
        };
        format!("{} to {}{length}", utc(&self.start), utc(&self.end))
    }
}

/// `6h`, `2d 3h`, `1h 30m`, `45s`.
fn length(duration: Duration) -> String {
    let total = duration.whole_seconds();
    let (d, h, m, s) = (
        total / 86_400,
        total % 86_400 / 3_600,
        total % 3_600 / 60,
        total % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// The range of `args` at `now`: the start is `--start` or now − `--since`; the end is `--end`,
/// now − `--until`, or now when only `--since` gives the start. Errors (usage errors): both or
/// neither of `--start` and `--since`, both `--end` and `--until`, `--start` without an end, an
/// end not after the start.
pub(crate) fn resolve(args: &RangeArgs, now: OffsetDateTime) -> Result<Range, String> {
    // Whole seconds: what the API's examples send, and what a reader compares.
    let now = now
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(now);
    let back = |ago: Ago| -> Result<DateTime, String> {
        now.checked_sub(Duration::seconds(ago.seconds))
            .map(DateTime::from)
            .ok_or_else(|| format!("{ago} before now is out of range"))
    };
    let start = match (&args.start, args.since) {
        (Some(_), Some(_)) => return Err("--since and --start both give the start; use one".into()),
        (None, None) => {
            return Err(
                "give the start of the range: --start <RFC3339> or --since <DURATION>".into(),
            )
        }
        (Some(start), None) => start.clone(),
        (None, Some(since)) => back(since)?,
    };
    let end =
        match (&args.end, args.until) {
            (Some(_), Some(_)) => return Err("--until and --end both give the end; use one".into()),
            (Some(end), None) => end.clone(),
            (None, Some(until)) => back(until)?,
            (None, None) if args.since.is_some() => DateTime::from(now),
            (None, None) => return Err(
                "give the end of the range: --end <RFC3339> or --until <DURATION> (only --since \
                 ends now by default)"
                    .into(),
            ),
        };
    if let (Some(s), Some(e)) = (start.instant(), end.instant()) {
        if e <= s {
            let shown = |time: &DateTime, flag: &str, ago: Option<Ago>, absolute: &str| match ago {
                Some(ago) => format!("{time} ({flag} {ago})"),
                None => format!("{absolute} {time}"),
            };
            let end_text = shown(&end, "--until", args.until, "--end");
            let start_text = shown(&start, "--since", args.since, "--start");
            return Err(format!("{end_text} is not after {start_text}"));
        }
    }
    Ok(Range { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:34:56.789 UTC);

    fn at(text: &str) -> DateTime {
        DateTime::parse(text).unwrap()
    }

    fn range(args: RangeArgs) -> Result<(String, String), String> {
        resolve(&args, NOW).map(|r| (r.start.to_string(), r.end.to_string()))
    }

    #[test]
    fn durations_in_minutes_hours_and_days() {
        for (text, seconds) in [
            ("90m", 5_400),
            ("6h", 21_600),
            ("2d", 172_800),
            ("1m", 60),
            ("3660d", 3_660 * 86_400),
        ] {
            assert_eq!(ago(text).map(|a| a.seconds), Ok(seconds), "{text}");
            assert_eq!(ago(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn bad_durations_say_why() {
        for (text, why) in [
            ("", "an empty duration"),
            ("0h", "is zero"),
            ("-1h", "is negative"),
            ("6", "has no unit"),
            ("h", "has no number"),
            ("6s", "unknown unit \"s\""),
            ("6H", "unknown unit \"H\""),
            ("6 h", "unknown unit \" h\""),
            ("1.5h", "unknown unit \".5h\""),
            ("+6h", "unknown unit \"+6h\""),
            ("3661d", "longer than 10 years"),
            ("99999999999999999999999d", "longer than 10 years"),
            ("9223372036854775807m", "longer than 10 years"),
            ("6h\u{1b}[2J", "unknown unit \"h\\u{1b}[2J\""),
        ] {
            let message = ago(text).unwrap_err();
            assert!(message.contains(why), "{text:?}: {message}");
            assert!(message.contains("90m, 6h, 2d"), "{message}");
        }
    }

    #[test]
    fn since_counts_back_from_now_and_ends_now() {
        let since = |text| RangeArgs {
            since: Some(ago(text).unwrap()),
            ..RangeArgs::default()
        };
        assert_eq!(
            range(since("6h")).unwrap(),
            ("2024-05-01T06:34:56Z".into(), "2024-05-01T12:34:56Z".into())
        );
        assert_eq!(
            range(since("2d")).unwrap(),
            ("2024-04-29T12:34:56Z".into(), "2024-05-01T12:34:56Z".into())
        );
        assert_eq!(
            range(RangeArgs {
                until: Some(ago("1h").unwrap()),
                ..since("90m")
            })
            .unwrap(),
            ("2024-05-01T11:04:56Z".into(), "2024-05-01T11:34:56Z".into())
        );
        // Mixed: an absolute start with a relative end, and the other way round.
        assert_eq!(
            range(RangeArgs {
                start: Some(at("2024-05-01T00:00:00+08:00")),
                until: Some(ago("1h").unwrap()),
                ..RangeArgs::default()
            })
            .unwrap(),
            (
                "2024-05-01T00:00:00+08:00".into(),
                "2024-05-01T11:34:56Z".into()
            )
        );
        assert_eq!(
            range(RangeArgs {
                end: Some(at("2024-05-01T12:00:00Z")),
                ..since("1d")
            })
            .unwrap(),
            ("2024-04-30T12:34:56Z".into(), "2024-05-01T12:00:00Z".into())
        );
    }

    #[test]
    fn absolute_times_are_kept_as_given() {
        let args = RangeArgs {
            start: Some(at("2024-05-01T00:00:00+08:00")),
            end: Some(at("2024-05-01T06:00:00+08:00")),
            ..RangeArgs::default()
        };
        let resolved = resolve(&args, NOW).unwrap();
        assert_eq!(resolved.start.as_str(), "2024-05-01T00:00:00+08:00");
        assert_eq!(
            resolved.describe(),
            "2024-04-30T16:00:00Z to 2024-04-30T22:00:00Z (6h)"
        );
    }

    #[test]
    fn conflicting_or_missing_ends_are_errors() {
        let six = Some(ago("6h").unwrap());
        let one = Some(ago("1h").unwrap());
        let start = Some(at("2024-05-01T00:00:00Z"));
        let end = Some(at("2024-05-01T06:00:00Z"));
        let cases = [
            (
                RangeArgs {
                    start: start.clone(),
                    since: six,
                    ..RangeArgs::default()
                },
                "--since and --start",
            ),
            (
                RangeArgs {
                    since: six,
                    end: end.clone(),
                    until: one,
                    ..RangeArgs::default()
                },
                "--until and --end",
            ),
            (RangeArgs::default(), "--start <RFC3339> or --since"),
            (
                RangeArgs {
                    start: start.clone(),
                    ..RangeArgs::default()
                },
                "--end <RFC3339> or --until",
            ),
            (
                RangeArgs {
                    since: one,
                    until: six,
                    ..RangeArgs::default()
                },
                "2024-05-01T06:34:56Z (--until 6h) is not after 2024-05-01T11:34:56Z (--since 1h)",
            ),
            (
                RangeArgs {
                    start: end,
                    end: start,
                    ..RangeArgs::default()
                },
                "--end 2024-05-01T00:00:00Z is not after --start 2024-05-01T06:00:00Z",
            ),
        ];
        for (args, why) in cases {
            let message = range(args.clone()).unwrap_err();
            assert!(message.contains(why), "{args:?}: {message}");
        }
    }

    #[test]
    fn lengths_read_like_durations() {
        assert_eq!(length(Duration::seconds(6 * 3600)), "6h");
        assert_eq!(length(Duration::seconds(2 * 86_400 + 3 * 3600)), "2d 3h");
        assert_eq!(length(Duration::seconds(5_400)), "1h 30m");
        assert_eq!(length(Duration::seconds(45)), "45s");
    }
}
