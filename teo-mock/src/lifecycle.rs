//! Work that finishes later, as on the real service: purge and prefetch tasks, sites, acceleration
//! domains and ownership verifications created through the mock move through their statuses with
//! time, so code that waits for them (the SDK's `wait_until_…`, `teo --waiter`) is tested
//! against statuses that really change.
//!
//! | created by | seen through (filter) | status while working → done | failure |
//! |---|---|---|---|
//! | CreatePurgeTask | DescribePurgeTasks (`job-id`) | `processing` → `success` | a target containing `fail` → `failed` |
//! | CreatePrefetchTask | DescribePrefetchTasks (`job-id`) | `processing` → `success` | likewise |
//! | CreateZone | DescribeZones (`zone-id`) | `pending` → `active` | a name containing `moved` → `moved` |
//! | CreateAccelerationDomain | DescribeAccelerationDomains (`domain-name`) | `process` → `online` | a name containing `forbidden` → `forbidden` |
//! | IdentifyZone | DescribeIdentifications (`zone-name`) | `pending` → `finished` | — |
//!
//! Each object is done [`MockConfig::task_duration`](crate::MockConfig) after its creation.
//! Answers are the action's usual answer (its official example) with the listed object in
//! place of the example's items; a Describe whose filter names nothing created is answered as
//! before. At most [`MAX_OBJECTS`] objects are remembered (the oldest forgotten first).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

/// Created objects remembered at most; beyond it the oldest are forgotten first.
pub const MAX_OBJECTS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Purge,
    Prefetch,
    Zone,
    Domain,
    Identification,
}

impl Kind {
    /// The Describe action that shows it, its list member, the filter naming it, and its
    /// status member with the working, done and failed states.
    fn shown(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        [&'static str; 3],
    ) {
        match self {
            Kind::Purge => (
                "DescribePurgeTasks",
                "Tasks",
                "job-id",
                "Status",
                ["processing", "success", "failed"],
            ),
            Kind::Prefetch => (
                "DescribePrefetchTasks",
                "Tasks",
                "job-id",
                "Status",
                ["processing", "success", "failed"],
            ),
            Kind::Zone => (
                "DescribeZones",
                "Zones",
                "zone-id",
                "Status",
                ["pending", "active", "moved"],
            ),
            Kind::Domain => (
                "DescribeAccelerationDomains",
                "AccelerationDomains",
                "domain-name",
                "DomainStatus",
                ["process", "online", "forbidden"],
            ),
            Kind::Identification => (
                "DescribeIdentifications",
                "Identifications",
                "zone-name",
                "Status",
                ["pending", "finished", "finished"],
            ),
        }
    }

    fn described_by(action: &str) -> Option<Kind> {
        [
            Kind::Purge,
            Kind::Prefetch,
            Kind::Zone,
            Kind::Domain,
            Kind::Identification,
        ]
        .into_iter()
        .find(|k| k.shown().0 == action)
    }
}

#[derive(Debug)]
struct Created {
    at: Instant,
    fails: bool,
    /// Members of the listed item (its id, name, target…).
    item: Map<String, Value>,
}

/// The objects created so far.
#[derive(Debug)]
pub struct Lifecycle {
    duration: Duration,
    next: AtomicU64,
    /// The objects, and their keys oldest first.
    objects: Mutex<(HashMap<Key, Created>, VecDeque<Key>)>,
}

/// What an object is, and its id or name.
type Key = (Kind, String);

impl Lifecycle {
    /// No objects yet; each one created is done `duration` after its creation.
    pub fn new(duration: Duration) -> Lifecycle {
        Lifecycle {
            duration,
            next: AtomicU64::new(1),
            objects: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    fn remember(
        &self,
        now: Instant,
        kind: Kind,
        key: String,
        fails: bool,
        item: Map<String, Value>,
    ) {
        let mut guard = self.objects.lock().unwrap_or_else(|e| e.into_inner());
        let (objects, order) = &mut *guard;
        while order.len() >= MAX_OBJECTS {
            if let Some(old) = order.pop_front() {
                objects.remove(&old);
            }
        }
        let created = Created {
            at: now,
            fails,
            item,
        };
        if objects.insert((kind, key.clone()), created).is_none() {
            order.push_back((kind, key));
        }
    }

    /// The answer to `action` when it creates or shows an object of this module; `base` is the
    /// action's usual answer, which it adjusts. `None`: answer as usual.
    pub fn answer(&self, action: &str, request: &Value, base: &Value) -> Option<Value> {
        self.answer_at(action, request, base, Instant::now())
    }

    /// [`answer`](Self::answer) at `now`: a test moves time instead of sleeping.
    fn answer_at(
        &self,
        action: &str,
        request: &Value,
        base: &Value,
        now: Instant,
    ) -> Option<Value> {
        let text = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or("");
        let mut answer = base.as_object().cloned().unwrap_or_default();
        let id = || {
            format!(
                "{:x}",
                self.next.fetch_add(1, Ordering::Relaxed) + 0x1379_0000
            )
        };
        match action {
            "CreatePurgeTask" | "CreatePrefetchTask" => {
                let kind = if action == "CreatePurgeTask" {
                    Kind::Purge
                } else {
                    Kind::Prefetch
                };
                let job = format!("job-{}", id());
                let targets: Vec<&str> = request
                    .get("Targets")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let fails = targets.iter().any(|t| t.contains("fail"));
                let item = json!({
                    "JobId": job,
                    "Target": targets.first().copied().unwrap_or(""),
                    "Type": if kind == Kind::Purge { text("Type") } else { "prefetch" },
                });
                self.remember(now, kind, job.clone(), fails, into_map(item));
                answer.insert("JobId".into(), Value::String(job));
                answer.insert("FailedList".into(), json!([]));
            }
            "CreateZone" => {
                let zone = format!("zone-{}", id());
                let name = text("ZoneName").to_owned();
                let item = json!({"ZoneId": zone, "ZoneName": name});
                self.remember(
                    now,
                    Kind::Zone,
                    zone.clone(),
                    name.contains("moved"),
                    into_map(item),
                );
                answer.insert("ZoneId".into(), Value::String(zone));
            }
            "CreateAccelerationDomain" => {
                let name = text("DomainName").to_owned();
                let item = json!({"ZoneId": text("ZoneId"), "DomainName": name});
                self.remember(
                    now,
                    Kind::Domain,
                    name.clone(),
                    name.contains("forbidden"),
                    into_map(item),
                );
            }
            "IdentifyZone" => {
                let name = text("ZoneName").to_owned();
                let item = json!({"ZoneName": name, "Domain": text("Domain")});
                self.remember(now, Kind::Identification, name, false, into_map(item));
            }
            _ => {
                let kind = Kind::described_by(action)?;
                let (_, list, filter, status, [working, done, failed]) = kind.shown();
                let key = filter_value(request, filter)?;
                let guard = self.objects.lock().unwrap_or_else(|e| e.into_inner());
                let created = guard.0.get(&(kind, key))?;
                let state = match (
                    now.saturating_duration_since(created.at) >= self.duration,
                    created.fails,
                ) {
                    (false, _) => working,
                    (true, false) => done,
                    (true, true) => failed,
                };
                // The example's first item, with the object's members and its status.
                let mut item = answer
                    .get(list)
                    .and_then(Value::as_array)
                    .and_then(|items| items.first())
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                item.extend(created.item.clone());
                item.insert(status.into(), Value::String(state.into()));
                answer.insert(list.into(), json!([item]));
                answer.insert("TotalCount".into(), json!(1));
            }
        }
        Some(Value::Object(answer))
    }
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The first value of the filter `name` in the request's `Filters`.
fn filter_value(request: &Value, name: &str) -> Option<String> {
    request
        .get("Filters")?
        .as_array()?
        .iter()
        .find(|f| f.get("Name").and_then(Value::as_str) == Some(name))?
        .get("Values")?
        .as_array()?
        .first()?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_task_moves_from_processing_to_success() {
        let life = Lifecycle::new(Duration::from_millis(50));
        let t0 = Instant::now();
        let created = life
            .answer_at(
                "CreatePurgeTask",
                &json!({"ZoneId": "z", "Type": "purge_url", "Targets": ["https://a/"]}),
                &json!({"JobId": "example"}),
                t0,
            )
            .unwrap();
        let job = created["JobId"].as_str().unwrap().to_owned();
        assert_ne!(job, "example");
        let ask = json!({"ZoneId": "z", "Filters": [{"Name": "job-id", "Values": [job]}]});
        let base = json!({"TotalCount": 3, "Tasks": [{"JobId": "x", "Status": "success", "CreateTime": "t"}]});
        let first = life
            .answer_at("DescribePurgeTasks", &ask, &base, t0)
            .unwrap();
        assert_eq!(first["Tasks"][0]["Status"], "processing");
        assert_eq!(first["Tasks"][0]["JobId"], job.as_str());
        assert_eq!(first["Tasks"][0]["CreateTime"], "t");
        assert_eq!(first["TotalCount"], 1);
        // Time moves by hand: 60 ms later, past the task's 50 ms.
        let later = life
            .answer_at(
                "DescribePurgeTasks",
                &ask,
                &base,
                t0 + Duration::from_millis(60),
            )
            .unwrap();
        assert_eq!(later["Tasks"][0]["Status"], "success");
        // A filter naming nothing created: the usual answer.
        let other = json!({"Filters": [{"Name": "job-id", "Values": ["nope"]}]});
        assert_eq!(life.answer("DescribePurgeTasks", &other, &base), None);
    }

    #[test]
    fn failures_and_the_memory_bound() {
        let life = Lifecycle::new(Duration::ZERO);
        life.answer(
            "CreateAccelerationDomain",
            &json!({"ZoneId": "z", "DomainName": "forbidden.example"}),
            &json!({}),
        );
        let ask = json!({"ZoneId": "z", "Filters": [{"Name": "domain-name", "Values": ["forbidden.example"]}]});
        let seen = life
            .answer("DescribeAccelerationDomains", &ask, &json!({}))
            .unwrap();
        assert_eq!(seen["AccelerationDomains"][0]["DomainStatus"], "forbidden");
        for i in 0..MAX_OBJECTS + 5 {
            life.answer(
                "IdentifyZone",
                &json!({"ZoneName": format!("z{i}.example")}),
                &json!({}),
            );
        }
        let guard = life.objects.lock().unwrap();
        assert!(guard.0.len() <= MAX_OBJECTS && guard.1.len() <= MAX_OBJECTS);
    }
}
