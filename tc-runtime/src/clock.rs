//! Time as the runtime reads it: a [`Clock`] that caches of temporary credentials and the
//! client's signing ask (so a test can set or move it instead of sleeping), and correcting this machine's clock from a server's
//! `Date`: within a small bound, and only from an answer nobody on the way could have forged.
//!
//! Why the care: a correction makes the client sign requests for the time the answer claims.
//! Whoever wrote that `Date` (an intercepting proxy, anyone on the path of a plain-http
//! request) would otherwise be handed requests signed for tomorrow, which the real API accepts
//! tomorrow. So the `Date` of a plain-http answer is not used unless the client was told to
//! trust it (a local test server), and no `Date` moves the clock by more than
//! 15 minutes: a clock further off is the user's to fix.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the runtime reads the time of day (for credentials' expiry, and the timestamps requests
/// are signed with). [`SystemClock`] in
/// production; [`ManualClock`] in tests, moved forward by hand.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time now.
    fn now(&self) -> SystemTime;
}

/// This machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The system clock by default, shared.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that stands still until [`advance`](Self::advance)d: for tests of expiry and
/// back-off that must not sleep. Clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = now.checked_add(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Clock differences the signature tolerates anyway (the API allows five minutes) are not
/// corrected: seconds.
pub(crate) const TOLERANCE: u64 = 30;

/// The largest correction taken from a server's `Date`: 15 minutes, in seconds. The API accepts
/// a signature for five minutes either side of its timestamp, so a request signed with a
/// corrected clock stays usable for at most this plus five minutes after it was meant for.
pub(crate) const MAX_CORRECTION: u64 = 15 * 60;

/// Why an `AuthFailure.SignatureExpire` answer did not lead to a correction, shown after the
/// error's message.
pub(crate) const NO_DATE_HINT: &str =
    "the answer had no usable Date header to correct this machine's clock from";
pub(crate) const PLAIN_HTTP_HINT: &str =
    "this machine's clock was not corrected from the answer's Date because it came over plain \
     http (ClientBuilder::trust_plain_http_clock(true) trusts it, for test servers only)";

/// What an `AuthFailure.SignatureExpire` answer leads to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Correction {
    /// Sign again with this offset: seconds added to this machine's clock.
    Resend { offset: i64 },
    /// The server's clock is `skew` seconds ahead of this machine's (behind when negative),
    /// more than [`MAX_CORRECTION`]: the user has to set the clock right.
    TooFar { skew: i64 },
    /// Nothing to correct; the error stands, with this hint why.
    Keep(Option<&'static str>),
}

/// What to do about an `AuthFailure.SignatureExpire` answer whose `Date` said `date` (Unix
/// seconds), received at `now` (this machine's clock), for a request signed with `signed_with`
/// seconds of offset. `trusted`: the answer came over HTTPS from the configured endpoint, or
/// the client was told to trust plain http.
pub(crate) fn correction(
    date: Option<i64>,
    trusted: bool,
    now: i64,
    signed_with: i64,
) -> Correction {
    let Some(date) = date else {
        return Correction::Keep(Some(NO_DATE_HINT));
    };
    if !trusted {
        return Correction::Keep(Some(PLAIN_HTTP_HINT));
    }
    let offset = date.saturating_sub(now);
    if offset.unsigned_abs() > MAX_CORRECTION {
        return Correction::TooFar { skew: offset };
    }
    // The request was signed with (about) this time already: the server refuses it for
    // another reason, and signing it again would change nothing.
    if offset.abs_diff(signed_with) <= TOLERANCE {
        return Correction::Keep(None);
    }
    Correction::Resend { offset }
}

/// `skew` seconds (the server's clock minus this machine's) in words: `23 h 0 min 5 s behind`.
pub(crate) fn describe_skew(skew: i64) -> String {
    let seconds = skew.unsigned_abs();
    let (h, min, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let way = if skew > 0 { "behind" } else { "ahead of" };
    format!("{h} h {min} min {s} s {way}")
}

/// `time` in Unix seconds (0 before 1970).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Unix seconds of an HTTP `Date` (`Mon, 30 Nov 2026 10:00:00 GMT`, RFC 9110's IMF-fixdate).
pub(crate) fn http_date(text: &str) -> Option<i64> {
    const IMF_FIXDATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), IMF_FIXDATE)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_032_800;

    #[test]
    fn http_dates_are_read() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Mon, 30 Nov 2026 10:00:00 GMT"),
            Some(1_796_032_800)
        );
        for bad in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 +0800",
            "Sun, 06 Nov 99999 08:49:37 GMT",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn corrections_stop_at_fifteen_minutes_either_way() {
        let max = MAX_CORRECTION as i64;
        for offset in [max, -max, 600, -600, TOLERANCE as i64 + 1] {
            assert_eq!(
                correction(Some(NOW + offset), true, NOW, 0),
                Correction::Resend { offset },
                "{offset}"
            );
        }
        for skew in [max + 1, -max - 1, 23 * 3600, i64::MAX - NOW] {
            assert_eq!(
                correction(Some(NOW + skew), true, NOW, 0),
                Correction::TooFar { skew },
                "{skew}"
            );
        }
        // Dates at the ends of i64 are too far, not an overflow.
        assert!(matches!(
            correction(Some(i64::MIN), true, NOW, 0),
            Correction::TooFar { skew } if skew < 0
        ));
    }

    #[test]
    fn untrusted_or_missing_dates_correct_nothing() {
        assert_eq!(
            correction(Some(NOW + 600), false, NOW, 0),
            Correction::Keep(Some(PLAIN_HTTP_HINT))
        );
        // Not even to say the clock is a day off: an untrusted Date says nothing.
        assert_eq!(
            correction(Some(NOW + 86_400), false, NOW, 0),
            Correction::Keep(Some(PLAIN_HTTP_HINT))
        );
        assert_eq!(
            correction(None, true, NOW, 0),
            Correction::Keep(Some(NO_DATE_HINT))
        );
    }

    #[test]
    fn a_request_already_signed_with_the_servers_time_is_not_sent_again() {
        let tolerance = TOLERANCE as i64;
        assert_eq!(
            correction(Some(NOW + 600), true, NOW, 600 - tolerance),
            Correction::Keep(None)
        );
        assert_eq!(
            correction(Some(NOW + tolerance), true, NOW, 0),
            Correction::Keep(None)
        );
        // Signed with an old correction, the server's clock having moved since: corrected again.
        assert_eq!(
            correction(Some(NOW - 300), true, NOW, 600),
            Correction::Resend { offset: -300 }
        );
    }

    #[test]
    fn skews_are_described_in_hours_minutes_and_seconds() {
        assert_eq!(describe_skew(82_805), "23 h 0 min 5 s behind");
        assert_eq!(describe_skew(-3_725), "1 h 2 min 5 s ahead of");
        assert!(describe_skew(i64::MIN).ends_with("ahead of"));
    }
}
