//! Deliberate crashes at exact points of a push or a roll, for the tests that prove nothing is
//! lost or doubled when a receiver is killed: armed by count (the n-th time a point is
//! reached), never by timing. The process aborts there, as abruptly as SIGKILL: no destructor
//! runs, nothing is flushed.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where a receiver can be made to die.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A batch is staged and synced, its push not yet answered (the answer is lost).
    Staged,
    /// A roll claimed a batch in the dataset, before writing it.
    Claimed,
    /// A roll wrote its files, before marking its manifest written.
    Written,
    /// A roll marked its manifest written, before removing its staged batches.
    Marked,
}

/// A crash at the `nth` time `step` is reached (counting from 1).
#[derive(Debug)]
pub struct CrashPoint {
    step: Step,
    nth: u32,
    seen: AtomicU32,
}

impl CrashPoint {
    /// A crash at the `nth` time `step` is reached.
    pub fn new(step: Step, nth: u32) -> CrashPoint {
        CrashPoint {
            step,
            nth: nth.max(1),
            seen: AtomicU32::new(0),
        }
    }

    /// Aborts the process if this is the point and the count is reached.
    pub fn reached(&self, step: Step) {
        if step == self.step && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.nth {
            std::process::abort();
        }
    }
}

impl FromStr for CrashPoint {
    type Err = String;

    /// `staged:N`, `claimed:N`, `written:N` or `marked:N`.
    fn from_str(text: &str) -> Result<CrashPoint, String> {
        let (step, nth) = text.split_once(':').unwrap_or((text, "1"));
        let step = match step {
            "staged" => Step::Staged,
            "claimed" => Step::Claimed,
            "written" => Step::Written,
            "marked" => Step::Marked,
            other => return Err(format!("unknown crash step {other:?}")),
        };
        let nth = nth
            .parse()
            .map_err(|_| format!("bad crash count {nth:?}"))?;
        Ok(CrashPoint::new(step, nth))
    }
}

/// Reaches `step` on the armed point, if any.
pub(crate) fn reach(point: &Option<std::sync::Arc<CrashPoint>>, step: Step) {
    if let Some(point) = point {
        point.reached(step);
    }
}
