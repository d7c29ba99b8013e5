//! Faults of the push, for tests of receivers, armed by count (never by timing), per mock:
//! each applies to the next N batches of records (test objects are never faulted).
//!
//! - *lost 200*: the receiver answered 2xx, and the mock acts as if no answer came: it resends
//!   the batch (same bytes, a fresh `auth_key`) until it gets another 2xx;
//! - *duplicate*: after the 2xx, the batch is sent once more (same bytes, a fresh `auth_key`);
//! - *replay*: after the 2xx, the very same request is sent again (the same `auth_key` too).
//!
//! [`PushFaults::after`] lets that many batches pass first (so a fault can hit batch k).
//! Alternating receivers are configured instead ([`crate::MockConfig::push_targets`]).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// The push faults of a mock (cheap to clone; clones share the counts).
#[derive(Debug, Clone, Default)]
pub struct PushFaults(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    armed: [AtomicU32; 3],
    /// Batches to let pass before the armed faults apply.
    skip: AtomicU64,
}

/// Which fault.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PushFault {
    LostOk = 0,
    Duplicate = 1,
    Replay = 2,
}

impl PushFaults {
    /// The next `batches` 2xx answers to batches are taken as lost: each batch is resent.
    pub fn lose_ok(&self, batches: u32) -> &PushFaults {
        self.0.armed[PushFault::LostOk as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// The next `batches` batches are each sent twice (the second with a fresh `auth_key`).
    pub fn duplicate(&self, batches: u32) -> &PushFaults {
        self.0.armed[PushFault::Duplicate as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// The next `batches` batches are each sent again with the very same `auth_key`.
    pub fn replay(&self, batches: u32) -> &PushFaults {
        self.0.armed[PushFault::Replay as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// The armed faults apply only after `batches` more batches went through untouched.
    pub fn after(&self, batches: u64) -> &PushFaults {
        self.0.skip.store(batches, Ordering::SeqCst);
        self
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        for count in self.0.armed.iter() {
            count.store(0, Ordering::SeqCst);
        }
        self.0.skip.store(0, Ordering::SeqCst);
    }

    /// Called once per batch: whether faults may apply to it (false while batches are let
    /// pass, see [`PushFaults::after`]).
    pub(crate) fn next_batch(&self) -> bool {
        self.0
            .skip
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
    }

    /// Whether `fault` is armed; if so one count of it is used.
    pub(crate) fn take(&self, fault: PushFault) -> bool {
        self.0.armed[fault as usize]
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Arms a fault from its command-line form, `lost-200:N`, `duplicate:N`, `replay:N` or
    /// `after:K`.
    pub fn arm(&self, text: &str) -> Result<(), String> {
        let (kind, count) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: expected KIND:N"))?;
        let count: u32 = count
            .parse()
            .map_err(|_| format!("{text:?}: {count:?} is not a count"))?;
        match kind {
            "lost-200" => self.lose_ok(count),
            "duplicate" => self.duplicate(count),
            "replay" => self.replay(count),
            "after" => self.after(u64::from(count)),
            _ => {
                return Err(format!(
                    "{text:?}: the kind is lost-200, duplicate, replay or after"
                ))
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_skips() {
        let faults = PushFaults::default();
        faults.arm("lost-200:2").unwrap();
        faults.arm("after:1").unwrap();
        assert!(faults.arm("lost:1").is_err() && faults.arm("replay").is_err());
        assert!(!faults.next_batch());
        assert!(faults.next_batch());
        assert!(faults.take(PushFault::LostOk));
        assert!(faults.take(PushFault::LostOk));
        assert!(!faults.take(PushFault::LostOk));
        assert!(!faults.take(PushFault::Replay));
    }
}
