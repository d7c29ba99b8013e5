//! EdgeOne's real-time log delivery, as the mock's own behaviour (issue 21, item 6).
//!
//! `CreateRealtimeLogDeliveryTask` with `TaskType` `custom_endpoint` or `s3` starts a pusher
//! for the task: it posts a test object (custom endpoints), then pushes records of the task's
//! `LogType` for its `EntityList` ([`records`]), with its `Fields` and `Sample`, in its
//! `LogFormat` ([`body`]) to `CustomEndpoint.Url` (`endpoint.rs`, signed as in [`auth`]) or
//! as objects into the `S3` bucket (`s3.rs`), resending what is not acknowledged (below).
//! `ModifyRealtimeLogDeliveryTask` changes the task and restarts its pusher (a new test object
//! first; `DeliveryStatus` `disabled` pauses it), `DeleteRealtimeLogDeliveryTask` stops it,
//! `DescribeRealtimeLogDeliveryTasks` lists the tasks created with the members given (their
//! zone's, when it has any; the usual answer otherwise). What was pushed is in the task's
//! [`ledger`]; tests arm [`faults`].
//!
//! Tasks of other types (`cls`, `log_analysis`, `aws_s3`) are remembered and listed but push
//! nothing. Pushes go only to loopback and private addresses unless
//! [`crate::MockConfig::push_anywhere`] is set, so the official examples, which name real
//! hosts, never send synthetic logs over the internet.
//!
//! # Resend policy (the mock's; EdgeOne documents none)
//!
//! A batch answered with a non-2xx status, or whose request got no answer (connection refused
//! or dropped, an answer cut short, none within [`crate::MockConfig::push_timeout`]), is sent
//! again — the very same body bytes, with a fresh `auth_key`, to the next receiver in turn —
//! after an exponential backoff: `base`, `2·base`, `4·base`… capped at `cap`
//! ([`crate::MockConfig::push_backoff`], defaults 200 ms and 10 s); a `Retry-After: <seconds>`
//! answer is honoured instead, bounded by `cap`. It is sent until a 2xx comes: a batch is never
//! dropped. One batch is in flight per task at a time and the next is drawn only once it is
//! acknowledged, so while the receiver is down the mock produces nothing (backpressure) and
//! holds one pending batch per task. An s3 task's puts are retried the same way.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{codes, ApiError};

pub mod auth;
pub mod body;
mod endpoint;
pub mod faults;
pub mod ledger;
mod pusher;
pub mod records;
#[cfg(feature = "object-store")]
mod s3;
#[cfg(not(feature = "object-store"))]
#[path = "no_s3.rs"]
mod s3;

pub use endpoint::USER_AGENT;
pub use faults::PushFaults;
pub use ledger::PushLedger;
pub(crate) use pusher::PushSettings;

use ledger::Ledger;
use pusher::{Destination, Job};
use records::{Family, Traffic};

/// Tasks remembered at most (deleted ones' ledgers included); the oldest deleted go first.
pub const MAX_TASKS: usize = 1000;

/// The members of a task a Modify may change.
const MODIFIABLE: &[&str] = &[
    "TaskName",
    "DeliveryStatus",
    "EntityList",
    "Fields",
    "CustomFields",
    "CustomExpressionFields",
    "DeliveryConditions",
    "Sample",
    "LogFormat",
    "CustomEndpoint",
    "S3",
    "AWSS3",
];

#[derive(Debug)]
struct Task {
    zone: String,
    /// The task as Describe lists it.
    item: Map<String, Value>,
    ledger: Arc<Ledger>,
    deleted: bool,
    pusher: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Task {
    fn stop(&mut self) {
        if let Some((stop, handle)) = self.pusher.take() {
            let _ = stop.send(true);
            // The pusher ends at its next await; dropping the handle does not cancel it.
            drop(handle);
        }
    }
}

/// The real-time log delivery tasks of a mock.
#[derive(Debug)]
pub struct PushHub {
    settings: PushSettings,
    anywhere: bool,
    next: AtomicU64,
    /// Records the ledgers may still keep ([`ledger::MAX_LEDGER_RECORDS`]).
    budget: Arc<AtomicUsize>,
    /// Tasks by id, and their ids in creation order.
    tasks: Mutex<(HashMap<String, Task>, Vec<String>)>,
}

impl PushHub {
    pub(crate) fn new(settings: PushSettings, anywhere: bool) -> PushHub {
        PushHub {
            settings,
            anywhere,
            next: AtomicU64::new(1),
            budget: Arc::new(AtomicUsize::new(ledger::MAX_LEDGER_RECORDS)),
            tasks: Mutex::new((HashMap::new(), Vec::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<String, Task>, Vec<String>)> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The push faults (shared with [`crate::MockConfig::push_faults`]).
    pub fn faults(&self) -> &PushFaults {
        &self.settings.faults
    }

    /// The ids of the tasks not deleted, in creation order.
    pub fn task_ids(&self) -> Vec<String> {
        let guard = self.lock();
        let (tasks, order) = &*guard;
        order
            .iter()
            .filter(|id| tasks.get(*id).is_some_and(|t| !t.deleted))
            .cloned()
            .collect()
    }

    /// A snapshot of a task's ledger (deleted tasks' too).
    pub fn ledger(&self, task_id: &str) -> Option<PushLedger> {
        self.lock().0.get(task_id).map(|t| t.ledger.snapshot())
    }

    /// Waits until `until` holds of the task's ledger, woken by its changes; None for an
    /// unknown task.
    pub async fn wait(
        &self,
        task_id: &str,
        until: impl Fn(&PushLedger) -> bool,
    ) -> Option<PushLedger> {
        let ledger = Arc::clone(&self.lock().0.get(task_id)?.ledger);
        let mut changes = ledger.watch();
        loop {
            changes.borrow_and_update();
            if ledger.holds(&until) {
                return Some(ledger.snapshot());
            }
            if changes.changed().await.is_err() {
                return None;
            }
        }
    }

    /// Stops every pusher (the server is going away).
    pub(crate) fn stop_all(&self) {
        for task in self.lock().0.values_mut() {
            task.stop();
        }
    }

    /// The answer to `action` when it is one of real-time log delivery's and concerns tasks
    /// of this mock; `usual` is the action's usual answer. None: answer as usual.
    pub(crate) fn answer(
        &self,
        action: &str,
        request: &Value,
        usual: &Value,
    ) -> Option<Result<Value, ApiError>> {
        let mut answer = usual.as_object().cloned().unwrap_or_default();
        match action {
            "CreateRealtimeLogDeliveryTask" => {
                let id = match self.create(request) {
                    Ok(id) => id,
                    Err(error) => return Some(Err(error)),
                };
                answer.insert("TaskId".into(), Value::String(id));
            }
            "ModifyRealtimeLogDeliveryTask" => self.modify(request)?,
            "DeleteRealtimeLogDeliveryTask" => {
                let id = request.get("TaskId")?.as_str()?;
                let mut guard = self.lock();
                let task = guard.0.get_mut(id).filter(|t| !t.deleted)?;
                task.stop();
                task.deleted = true;
            }
            "DescribeRealtimeLogDeliveryTasks" => {
                let (total, items) = self.describe(request)?;
                answer.insert("TotalCount".into(), json!(total));
                answer.insert("RealtimeLogDeliveryTasks".into(), Value::Array(items));
            }
            _ => return None,
        }
        Some(Ok(Value::Object(answer)))
    }

    fn create(&self, request: &Value) -> Result<String, ApiError> {
        let text = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or("");
        let task_type = text("TaskType");
        let needs = match task_type {
            "custom_endpoint" => Some("CustomEndpoint"),
            "s3" => Some("S3"),
            _ => None,
        };
        if let Some(member) = needs {
            if !request.get(member).is_some_and(Value::is_object) {
                return Err(ApiError::new(
                    codes::INVALID_PARAMETER,
                    format!("{member} is required when TaskType is {task_type}."),
                ));
            }
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut rng = fastrand::Rng::with_seed(n ^ fastrand::u64(..));
        let hex = |rng: &mut fastrand::Rng, digits: usize| -> String {
            (0..digits)
                .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
                .collect()
        };
        let id = format!(
            "{}-{}-{}-{}-{}",
            hex(&mut rng, 8),
            hex(&mut rng, 4),
            hex(&mut rng, 4),
            hex(&mut rng, 4),
            hex(&mut rng, 12)
        );
        let now = beijing_now();
        let mut item = Map::new();
        item.insert("TaskId".into(), json!(id));
        for name in [
            "TaskName",
            "TaskType",
            "EntityList",
            "LogType",
            "Area",
            "Fields",
        ] {
            item.insert(
                name.into(),
                request.get(name).cloned().unwrap_or(Value::Null),
            );
        }
        item.insert("DeliveryStatus".into(), json!("enabled"));
        for name in [
            "CustomFields",
            "CustomExpressionFields",
            "DeliveryConditions",
        ] {
            item.insert(name.into(), request.get(name).cloned().unwrap_or(json!([])));
        }
        item.insert(
            "Sample".into(),
            request.get("Sample").cloned().unwrap_or(json!(1000)),
        );
        for name in ["LogFormat", "CLS", "CustomEndpoint", "S3", "AWSS3"] {
            item.insert(
                name.into(),
                request.get(name).cloned().unwrap_or(Value::Null),
            );
        }
        item.insert("CreateTime".into(), json!(now));
        item.insert("UpdateTime".into(), json!(now));
        let mut task = Task {
            zone: text("ZoneId").to_owned(),
            item,
            ledger: Arc::new(Ledger::new(&id, Arc::clone(&self.budget))),
            deleted: false,
            pusher: None,
        };
        self.start(&mut task, n);
        let mut guard = self.lock();
        let (tasks, order) = &mut *guard;
        if order.len() >= MAX_TASKS {
            // Forget the oldest deleted task, else the oldest.
            let at = order
                .iter()
                .position(|id| tasks.get(id).is_some_and(|t| t.deleted))
                .unwrap_or(0);
            let old = order.remove(at);
            if let Some(mut old) = tasks.remove(&old) {
                old.stop();
            }
        }
        tasks.insert(id.clone(), task);
        order.push(id.clone());
        Ok(id)
    }

    /// Starts the task's pusher if it pushes (type, status, a destination the mock may
    /// reach); why not is noted in its ledger.
    fn start(&self, task: &mut Task, n: u64) {
        let item = &task.item;
        let text = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or("");
        if text("DeliveryStatus") == "disabled" {
            return;
        }
        let id = text("TaskId").to_owned();
        let destination = match text("TaskType") {
            "custom_endpoint" => endpoint::Endpoint::new(
                item.get("CustomEndpoint").unwrap_or(&Value::Null),
                &self.settings.targets,
                self.settings.timeout,
            )
            .and_then(|e| {
                match e.urls().iter().find(|u| !self.anywhere && !local(u)) {
                    Some(far) => Err(format!("not pushed: {far} is not a loopback or private address (see push_anywhere)")),
                    None => Ok(Destination::Endpoint(e)),
                }
            }),
            "s3" => {
                let s3 = item.get("S3").unwrap_or(&Value::Null);
                let endpoint = s3.get("Endpoint").and_then(Value::as_str).unwrap_or("");
                match reqwest::Url::parse(endpoint) {
                    Ok(url) if self.anywhere || local(&url) => {
                        s3::S3Sink::new(s3, &id).map(Destination::S3)
                    }
                    _ => Err(format!("not pushed: S3 endpoint {endpoint:?} is not a loopback or private address (see push_anywhere)")),
                }
            }
            _ => return,
        };
        let Some(family) = Family::of(text("LogType")) else {
            task.ledger.update(|l| {
                l.last_error = Some(format!(
                    "not pushed: LogType {:?} is not one the mock pushes",
                    text("LogType")
                ))
            });
            return;
        };
        let destination = match destination {
            Ok(destination) => destination,
            Err(why) => {
                tracing::warn!(task = %id, "{why}");
                task.ledger.update(|l| l.last_error = Some(why));
                return;
            }
        };
        let strings = |name: &str| -> Vec<String> {
            item.get(name)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let sample = item.get("Sample").and_then(Value::as_u64).unwrap_or(1000);
        let traffic = Traffic::new(
            family,
            &task.zone,
            strings("EntityList"),
            strings("Fields"),
            u32::try_from(sample).unwrap_or(1000),
            n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fastrand::u64(..),
        );
        let (stop, stop_rx) = watch::channel(false);
        let mut start = 0;
        task.ledger.update(|l| {
            l.starts += 1;
            l.finished = false;
            start = l.starts;
        });
        let job = Job {
            destination,
            traffic,
            format: body::LogFormat::from_request(item.get("LogFormat")),
            ledger: Arc::clone(&task.ledger),
            settings: self.settings.clone(),
            stop: stop_rx,
            start,
        };
        task.pusher = Some((stop, tokio::spawn(job.run())));
    }

    fn modify(&self, request: &Value) -> Option<()> {
        let id = request.get("TaskId")?.as_str()?;
        let mut guard = self.lock();
        let task = guard.0.get_mut(id).filter(|t| !t.deleted)?;
        task.stop();
        for name in MODIFIABLE {
            if let Some(value) = request.get(*name).filter(|v| !v.is_null()) {
                task.item.insert((*name).into(), value.clone());
            }
        }
        task.item.insert("UpdateTime".into(), json!(beijing_now()));
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.start(task, n);
        Some(())
    }

    /// The zone's tasks matching the filters (after Offset, up to Limit), and how many match;
    /// None when the zone has no task created through the mock.
    fn describe(&self, request: &Value) -> Option<(usize, Vec<Value>)> {
        let zone = request.get("ZoneId").and_then(Value::as_str).unwrap_or("");
        let guard = self.lock();
        let (tasks, order) = &*guard;
        let zone_tasks: Vec<&Task> = order
            .iter()
            .filter_map(|id| tasks.get(id))
            .filter(|t| !t.deleted && t.zone == zone)
            .collect();
        if zone_tasks.is_empty() {
            return None;
        }
        let filters: Vec<(String, Vec<String>)> = request
            .get("Filters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| {
                let name = f.get("Name")?.as_str()?.to_ascii_lowercase();
                let values = f
                    .get("Values")?
                    .as_array()?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                Some((name, values))
            })
            .collect();
        let matching: Vec<&Task> = zone_tasks
            .into_iter()
            .filter(|t| {
                filters
                    .iter()
                    .all(|(name, values)| matches(&t.item, name, values))
            })
            .collect();
        let offset = request.get("Offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let limit = request.get("Limit").and_then(Value::as_u64).unwrap_or(20) as usize;
        let items = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|t| Value::Object(t.item.clone()))
            .collect();
        Some((matching.len(), items))
    }
}

/// Whether a task's item passes a Describe filter (names from the API reference; an unknown
/// filter passes everything).
fn matches(item: &Map<String, Value>, name: &str, values: &[String]) -> bool {
    let text = |member: &str| item.get(member).and_then(Value::as_str).unwrap_or("");
    match name {
        "task-id" => values.iter().any(|v| v == text("TaskId")),
        "task-name" => values.iter().any(|v| text("TaskName").contains(v.as_str())),
        "task-type" => values.iter().any(|v| v == text("TaskType")),
        "log-type" => values.iter().any(|v| v == text("LogType")),
        "area" => values.iter().any(|v| v == text("Area")),
        "delivery-status" => values.iter().any(|v| v == text("DeliveryStatus")),
        "entity-list" => item
            .get("EntityList")
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(|e| values.iter().any(|v| e == v.as_str()))),
        _ => true,
    }
}

/// Whether a URL names a loopback or private host (the only ones pushed to by default).
fn local(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || (ip.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => host == "localhost" || host.ends_with(".localhost"),
    }
}

/// Now in Beijing time, as the API writes `CreateTime` (`2024-03-26T03:00:39+08:00`).
fn beijing_now() -> String {
    let t = OffsetDateTime::now_utc() + Duration::from_secs(8 * 3600);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
