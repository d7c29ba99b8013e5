//! Faults of the push, for tests of receivers, armed by count (never by timing), per mock:
//! each applies to the next N batches of records (test objects are never faulted).
//!
//! - *lost 200*: the receiver answered 2xx, and the mock acts as if no answer came: it resends
//!   the batch (same bytes, a fresh `auth_key`) until it gets another 2xx;
//! - *duplicate*: after the 2xx, the batch is sent once more (same bytes, a fresh `auth_key`);
//! - *replay*: after the 2xx, the very same request is sent again (the same `auth_key` too).
//!
//! Alternating receivers are configured instead ([`crate::MockConfig::push_targets`]).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The push faults of a mock (cheap to clone; clones share the counts).
#[derive(Debug, Clone, Default)]
pub struct PushFaults(Arc<[AtomicU32; 3]>);

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
        self.0[PushFault::LostOk as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// The next `batches` batches are each sent twice (the second with a fresh `auth_key`).
    pub fn duplicate(&self, batches: u32) -> &PushFaults {
        self.0[PushFault::Duplicate as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// The next `batches` batches are each sent again with the very same `auth_key`.
    pub fn replay(&self, batches: u32) -> &PushFaults {
        self.0[PushFault::Replay as usize].fetch_add(batches, Ordering::SeqCst);
        self
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        for count in self.0.iter() {
            count.store(0, Ordering::SeqCst);
        }
    }

    /// Whether `fault` is armed; if so one count of it is used.
    pub(crate) fn take(&self, fault: PushFault) -> bool {
        self.0[fault as usize]
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}
