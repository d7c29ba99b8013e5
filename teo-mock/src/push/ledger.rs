//! What a task pushed: the records acknowledged (answered 2xx at least once) with their full
//! JSON, the test objects, the POSTs, resends and answers. A test awaits a state of it through
//! [`crate::MockServer::push_wait`], woken on every change (no polling).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::watch;

use super::records::Record;

/// Records kept per task at most (their JSON); beyond it only counts go on, and
/// [`PushLedger::overflow`] says so.
pub const MAX_LEDGER_RECORDS: usize = 200_000;

/// A snapshot of a task's ledger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushLedger {
    /// The task.
    pub task_id: String,
    /// Records drawn by the task's traffic, pushed or not (`Sample` keeps a share).
    pub produced: u64,
    /// Records acknowledged: answered 2xx at least once (each counted once).
    pub acknowledged: u64,
    /// The acknowledged records as JSON objects, in the order pushed (at most
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
}

impl Ledger {
    pub(crate) fn new(task_id: &str) -> Ledger {
        Ledger {
            state: Mutex::new(PushLedger {
                task_id: task_id.to_owned(),
                ..PushLedger::default()
            }),
            changed: watch::channel(0).0,
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
                if ledger.records.len() >= MAX_LEDGER_RECORDS {
                    if ledger.overflow.is_none() {
                        let text = format!(
                            "the push ledger of task {} keeps at most {MAX_LEDGER_RECORDS} records; \
                             later ones are counted only (bound the push with --push-total)",
                            ledger.task_id
                        );
                        tracing::warn!("{text}");
                        ledger.overflow = Some(text);
                    }
                    break;
                }
                ledger.records.push(Value::Object(record.iter().cloned().collect()));
            }
        });
    }
}
