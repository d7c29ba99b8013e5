//! What a task pushed: the records acknowledged (answered 2xx at least once) with their full
//! JSON, the test objects, the POSTs, resends and answers. A test awaits a state of it through
//! [`crate::MockServer::push_wait`], woken on every change (no polling).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::watch;

use super::records::Record;

/// Records the ledgers of one mock keep at most, all tasks together (their JSON, a few KiB
/// each with every field: some 100–300 MiB at worst); beyond it only counts go on, and
/// [`PushLedger::overflow`] says so. A task forgotten gives its share back.
pub const MAX_LEDGER_RECORDS: usize = 100_000;

/// A snapshot of a task's ledger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushLedger {
    /// The task.
    pub task_id: String,
    /// Records drawn by the task's traffic, pushed or not (`Sample` keeps a share).
    pub produced: u64,
    /// Records acknowledged: answered 2xx at least once (each counted once).
    pub acknowledged: u64,
    /// The acknowledged records as JSON objects, in the order pushed (within the mock's
    /// [`MAX_LEDGER_RECORDS`]).
    pub records: Vec<Value>,
    /// The test objects posted when the task was created or modified, acknowledged or not.
    pub test_objects: Vec<Value>,
    /// Batches of records acknowledged.
    pub batches: u64,
    /// Requests sent (POSTs or object puts), test objects and resends included.
    pub posts: u64,
    /// Requests that sent a batch again: after a non-2xx answer, a failed connection or an
    /// injected fault.
    pub resends: u64,
    /// Non-2xx answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused or dropped, timeout).
    pub failures: u64,
    /// The last failure or non-2xx answer, in words.
    pub last_error: Option<String>,
    /// Set when the ledger stopped keeping records ([`MAX_LEDGER_RECORDS`]).
    pub overflow: Option<String>,
    /// The pusher ended: its total reached, or the task deleted or disabled.
    pub finished: bool,
    /// Pushers started for the task: 1, and one more per Modify that restarted it.
    pub starts: u64,
}

/// A task's ledger, shared by its pusher and the server.
#[derive(Debug)]
pub(crate) struct Ledger {
    state: Mutex<PushLedger>,
    changed: watch::Sender<u64>,
    /// Records the mock's ledgers may still keep (shared by its tasks).
    budget: Arc<AtomicUsize>,
}

impl Ledger {
    pub(crate) fn new(task_id: &str, budget: Arc<AtomicUsize>) -> Ledger {
        Ledger {
            state: Mutex::new(PushLedger {
                task_id: task_id.to_owned(),
                ..PushLedger::default()
            }),
            changed: watch::channel(0).0,
            budget,
        }
    }

    /// Changes the ledger and wakes those awaiting it.
    pub(crate) fn update(&self, change: impl FnOnce(&mut PushLedger)) {
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut state);
        }
        self.changed.send_modify(|version| *version += 1);
    }

    pub(crate) fn snapshot(&self) -> PushLedger {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether `check` holds, looked at without cloning the ledger.
    pub(crate) fn holds(&self, check: &dyn Fn(&PushLedger) -> bool) -> bool {
        check(&self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Records acknowledged so far.
    pub(crate) fn acknowledged(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .acknowledged
    }

    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// A batch of records acknowledged for the first time.
    pub(crate) fn acknowledge(&self, records: &[Record]) {
        self.update(|ledger| {
            ledger.acknowledged += records.len() as u64;
            ledger.batches += 1;
            for record in records {
                let kept = self
                    .budget
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if !kept {
                    if ledger.overflow.is_none() {
                        let text = format!(
                            "the push ledgers keep at most {MAX_LEDGER_RECORDS} records in all; \
                             task {} counts its later records only (bound the push with \
                             --push-total, or delete tasks)",
                            ledger.task_id
                        );
                        tracing::warn!("{text}");
                        ledger.overflow = Some(text);
                    }
                    break;
                }
                ledger
                    .records
                    .push(Value::Object(record.iter().cloned().collect()));
            }
        });
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let kept = self.state.get_mut().map_or(0, |l| l.records.len());
        self.budget.fetch_add(kept, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_bound_is_shared_and_said() {
        let budget = Arc::new(AtomicUsize::new(3));
        let ledger = Ledger::new("t", Arc::clone(&budget));
        let record: Record = vec![("RequestID".into(), json!("a"))];
        ledger.acknowledge(&[record.clone(), record.clone()]);
        ledger.acknowledge(&[record.clone(), record.clone(), record]);
        let seen = ledger.snapshot();
        assert_eq!(
            (seen.acknowledged, seen.records.len(), seen.batches),
            (5, 3, 2)
        );
        assert!(seen.overflow.unwrap().contains("at most"));
        drop(ledger);
        assert_eq!(budget.load(Ordering::SeqCst), 3);
    }
}
