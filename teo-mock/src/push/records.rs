//! The records a task pushes: which generator serves each `LogType`, the `Fields` filter, the
//! `Sample` share, and fresh ids and times.
//!
//! L7 and L4 records come from the generator of the mock's offline log packets
//! ([`crate::logs`]), drawn for the current hour and then given what a live record has: a
//! unique id (`RequestID` for L7, `SessionID` for L4, whose `LogTimeStamp` is then unique
//! within the session) and the current time (UTC). Edge function records are drawn here.

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::logs::{live_records, LogKind};

/// One record as pushed: its members in the order of the task's `Fields`.
pub type Record = Vec<(String, Value)>;

/// What a `LogType` pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// L7 access records (`l7-access-logs` and the older `domain`, `web-rateLiming`,
    /// `web-rule`, `web-bot`).
    L7,
    /// L7 records with the `Security*` members filled (`web-attack`).
    Attack,
    /// L4 proxy records (`application`).
    L4,
    /// Edge function records (`function`).
    Function,
}

impl Family {
    /// The family of a `LogType`, if the mock pushes it.
    pub fn of(log_type: &str) -> Option<Family> {
        match log_type {
            "l7-access-logs" | "domain" | "web-rateLiming" | "web-rule" | "web-bot" => {
                Some(Family::L7)
            }
            "web-attack" => Some(Family::Attack),
            "application" => Some(Family::L4),
            "function" => Some(Family::Function),
            _ => None,
        }
    }
}

/// Records drawn at once at most.
const MAX_DRAW: usize = 10_000;

/// Security hits written into `web-attack` records: (module, action, note).
const ATTACKS: &[(&str, &str, &str)] = &[
    ("ManagedRule", "Deny", "-"),
    ("CustomRule", "Deny", "block admin paths"),
    ("RateLimitingRule", "JSChallenge", "burst protection"),
    ("BotManagement", "ManagedChallenge", "-"),
    ("ManagedRule", "Monitor", "-"),
];

/// A task's traffic: draws records, keeps the sampled share, filters and orders their members.
#[derive(Debug)]
pub struct Traffic {
    family: Family,
    zone: String,
    entities: Vec<String>,
    fields: Vec<String>,
    /// Permille of the traffic pushed (1–1000).
    sample: u32,
    /// Sampling accumulator: a record is kept each time it reaches 1000.
    kept: u32,
    /// Tells this task's ids apart from other tasks'.
    tag: u64,
    /// Records drawn so far (the traffic), and draws made (seeds the next).
    produced: u64,
    draws: u64,
    rng: fastrand::Rng,
}

impl Traffic {
    /// The traffic of a task; `sample` outside 1–1000 means all of it.
    pub fn new(
        family: Family,
        zone: &str,
        entities: Vec<String>,
        fields: Vec<String>,
        sample: u32,
        tag: u64,
    ) -> Traffic {
        Traffic {
            family,
            zone: if zone.is_empty() {
                "zone-mock".into()
            } else {
                zone.into()
            },
            entities,
            fields,
            sample: if (1..=1000).contains(&sample) {
                sample
            } else {
                1000
            },
            kept: 0,
            tag,
            produced: 0,
            draws: 0,
            rng: fastrand::Rng::with_seed(tag),
        }
    }

    /// Records drawn so far, pushed or not.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    /// The next `count` records to push (the traffic drawn meanwhile is counted in
    /// [`Traffic::produced`]).
    pub fn next_records(&mut self, count: usize) -> Vec<Record> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            // Enough traffic that the sampled share covers what is missing, about.
            let wanted = count - out.len();
            // At most 10 000 at once: a small Sample must not draw millions in one go.
            let draw = (wanted * 1000)
                .div_ceil(self.sample as usize)
                .clamp(1, MAX_DRAW);
            let drawn = self.draw(draw, false);
            if drawn.is_empty() {
                // Not expected (the ids are checked at creation); never spin on it.
                break;
            }
            for record in drawn {
                self.produced += 1;
                self.kept += self.sample;
                if self.kept >= 1000 {
                    self.kept -= 1000;
                    if out.len() < count {
                        out.push(record);
                    }
                }
            }
        }
        out
    }

    /// The single test object posted when the task is saved: a record of the task's kind
    /// whose id starts with `test-`.
    pub fn test_object(&mut self) -> Record {
        self.draw(1, true).pop().unwrap_or_default()
    }

    /// The entity of a `turn` (the default one when none is given).
    fn entity(&mut self, turn: usize) -> String {
        match self.entities.len() {
            0 => match self.family {
                Family::L4 => "sid-mock".into(),
                _ => "www.example.com".into(),
            },
            n => self.entities[turn % n].clone(),
        }
    }

    /// `count` fresh records, filtered to the task's fields.
    fn draw(&mut self, count: usize, test: bool) -> Vec<Record> {
        self.draws += 1;
        let now = OffsetDateTime::now_utc();
        let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
        let seed = self.tag ^ self.draws.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The entities share the draw: a chunk of records each, in random turns.
        let chunks = self.entities.len().clamp(1, count.max(1));
        let mut full = Vec::with_capacity(count);
        let first = self.rng.usize(..chunks);
        for chunk in 0..chunks {
            let n = count / chunks + usize::from(chunk < count % chunks);
            let entity = self.entity(first + chunk);
            full.extend(self.members(&entity, n, seed ^ chunk as u64, now, now_ms));
        }
        let mut parents = std::collections::HashMap::new();
        let mut sessions = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(full.len());
        for (i, mut record) in full.into_iter().enumerate() {
            let n = self.produced + i as u64;
            let id = format!(
                "{}{:016x}{:016x}",
                if test { "test-" } else { "" },
                self.tag,
                n.wrapping_add(self.draws << 40)
            );
            match self.family {
                Family::L7 | Family::Attack => {
                    if let Some(Value::String(old)) = record.get("RequestID") {
                        parents.insert(old.clone(), id.clone());
                    }
                    record.insert("RequestID".into(), Value::String(id));
                    record.insert("RequestTime".into(), Value::String(rfc3339(now_ms)));
                    let parent = record.get("ParentRequestID").and_then(Value::as_str);
                    if let Some(new) = parent.and_then(|p| parents.get(p)) {
                        record.insert("ParentRequestID".into(), Value::String(new.clone()));
                    }
                    if self.family == Family::Attack
                        && record.get("SecurityAction").and_then(Value::as_str) == Some("-")
                    {
                        let (module, action, note) = ATTACKS[self.rng.usize(..ATTACKS.len())];
                        record.insert("SecurityModule".into(), json!(module));
                        record.insert("SecurityAction".into(), json!(action));
                        record.insert("SecurityUserNote".into(), json!(note));
                        let rule = 1_000_000_000 + self.rng.u64(..9_000_000_000);
                        record.insert("SecurityRuleID".into(), json!(rule.to_string()));
                    }
                }
                Family::L4 => {
                    let old = record
                        .get("SessionID")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    let session = sessions.entry(old).or_insert(id).clone();
                    record.insert("SessionID".into(), Value::String(session));
                    // Unique within the session: records of one draw are a millisecond apart.
                    record.insert("LogTimeStamp".into(), json!(rfc3339(now_ms + i as i64)));
                    let connected = now_ms - self.rng.i64(1_000..600_000);
                    record.insert("ConnectTimeStamp".into(), json!(rfc3339(connected)));
                    if record.get("DisconnetTimeStamp").and_then(Value::as_str) != Some("-") {
                        record.insert("DisconnetTimeStamp".into(), json!(rfc3339(now_ms)));
                    }
                }
                Family::Function => {
                    let digits = format!(
                        "{}{}{:012}",
                        if test { "test-" } else { "" },
                        self.tag % 1_000_000 + 1,
                        n
                    );
                    record.insert("RequestID".into(), Value::String(digits));
                }
            }
            out.push(self.filtered(record));
        }
        out
    }

    /// `count` records of `entity` as the generators write them (all members).
    fn members(
        &mut self,
        entity: &str,
        count: usize,
        seed: u64,
        now: OffsetDateTime,
        now_ms: i64,
    ) -> Vec<serde_json::Map<String, Value>> {
        match self.family {
            Family::Function => (0..count)
                .map(|_| self.function_record(entity, now_ms))
                .collect(),
            family => {
                let kind = if family == Family::L4 {
                    LogKind::L4
                } else {
                    LogKind::L7
                };
                let hour = now.unix_timestamp() - now.unix_timestamp().rem_euclid(3600);
                // A zone or entity the packet generator refuses (over 255 bytes) is drawn
                // as the default one.
                live_records(kind, hour, &self.zone, entity, seed, count)
                    .or_else(|| {
                        let id = if kind == LogKind::L4 {
                            "sid-mock"
                        } else {
                            "www.example.com"
                        };
                        live_records(kind, hour, "zone-mock", id, seed, count)
                    })
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|text| match serde_json::from_str(text) {
                        Ok(Value::Object(map)) => Some(map),
                        _ => None,
                    })
                    .collect()
            }
        }
    }

    /// The task's `Fields` of `record`, in their order (all its members when `Fields` is
    /// empty); a field the record lacks is `"-"`, as EdgeOne writes a missing value.
    fn filtered(&self, mut record: serde_json::Map<String, Value>) -> Record {
        if self.fields.is_empty() {
            return record.into_iter().collect();
        }
        self.fields
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    record.remove(name).unwrap_or_else(|| json!("-")),
                )
            })
            .collect()
    }

    fn function_record(&mut self, host: &str, now_ms: i64) -> serde_json::Map<String, Value> {
        let rng = &mut self.rng;
        let exception = rng.u8(..100) < 4;
        let logs: Vec<Value> = (0..rng.usize(..4))
            .map(|i| {
                let (level, message) = [
                    ("log", "request handled"),
                    ("info", "cache lookup"),
                    ("warn", "origin slow"),
                    ("error", "upstream returned 502"),
                ][rng.usize(..4)];
                json!({"level": level, "message": message, "timestamp": now_ms - 5 + i as i64})
            })
            .collect();
        let exceptions: Vec<Value> = if exception {
            vec![json!(
                "TypeError: Cannot read properties of undefined (reading 'body')"
            )]
        } else {
            Vec::new()
        };
        let cpu = rng.i64(200..20_000);
        let record = json!({
            "EdgeFunctionName": format!("fn-{}", host.split('.').next().unwrap_or("edge")),
            "RequestHost": host,
            "RequestID": "",
            "EventTimestamp": now_ms,
            "Logs": logs,
            "Outcome": if exception { "exception" } else { "ok" },
            "Exceptions": exceptions,
            "CpuTime": cpu,
            "WallTime": cpu + rng.i64(1_000..400_000),
        });
        match record {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds, as L7 records write `RequestTime`.
fn rfc3339(unix_ms: i64) -> String {
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        time.month() as u8,
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_order_sample_and_unique_ids() {
        let fields = vec![
            "RequestTime".to_owned(),
            "RequestID".into(),
            "RequestHost".into(),
        ];
        let mut traffic = Traffic::new(Family::L7, "z", vec!["a.example".into()], fields, 250, 7);
        let records = traffic.next_records(40);
        assert_eq!(records.len(), 40);
        assert_eq!(traffic.produced(), 160);
        let mut ids = std::collections::HashSet::new();
        for record in &records {
            let names: Vec<&str> = record.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["RequestTime", "RequestID", "RequestHost"]);
            assert_eq!(record[2].1, "a.example");
            assert!(ids.insert(record[1].1.as_str().unwrap().to_owned()));
        }
        let test = traffic.test_object();
        assert!(test[1].1.as_str().unwrap().starts_with("test-"));
    }

    #[test]
    fn a_small_sample_draws_in_bounded_steps() {
        let mut traffic = Traffic::new(Family::L4, "z", vec![], vec![], 1, 5);
        assert_eq!(traffic.next_records(15).len(), 15);
        assert_eq!(traffic.produced(), 15_000);
    }

    #[test]
    fn entities_share_each_draw() {
        let entities = vec![
            "a.example".to_owned(),
            "b.example".into(),
            "c.example".into(),
        ];
        let mut traffic = Traffic::new(Family::L7, "z", entities, vec![], 1000, 3);
        let records = traffic.next_records(30);
        let mut hosts: Vec<&Value> = records
            .iter()
            .flat_map(|r| r.iter().filter(|(n, _)| n == "RequestHost").map(|(_, v)| v))
            .collect();
        hosts.sort_by_key(|v| v.to_string());
        hosts.dedup();
        assert_eq!(hosts, ["a.example", "b.example", "c.example"]);
    }

    #[test]
    fn every_family_draws() {
        for family in [Family::L7, Family::Attack, Family::L4, Family::Function] {
            let mut traffic = Traffic::new(family, "z", vec!["e".into()], vec![], 1000, 1);
            let records = traffic.next_records(30);
            assert_eq!(records.len(), 30, "{family:?}");
            let first: serde_json::Map<String, Value> = records[0].iter().cloned().collect();
            match family {
                Family::L4 => {
                    assert_eq!(first["ServiceID"], "e");
                    let pairs: std::collections::HashSet<String> = records
                        .iter()
                        .map(|r| {
                            let m: serde_json::Map<String, Value> = r.iter().cloned().collect();
                            format!("{}{}", m["SessionID"], m["LogTimeStamp"])
                        })
                        .collect();
                    assert_eq!(pairs.len(), 30);
                }
                Family::Function => {
                    assert!(first["EventTimestamp"].as_i64().unwrap() > 1_600_000_000_000);
                    assert!(first["RequestID"]
                        .as_str()
                        .unwrap()
                        .bytes()
                        .all(|b| b.is_ascii_digit()));
                }
                Family::Attack => assert!(records
                    .iter()
                    .all(|r| r.iter().any(|(n, v)| n == "SecurityAction" && v != "-"))),
                Family::L7 => assert_eq!(first["RequestHost"], "e"),
            }
        }
    }
}
