//! A task's pusher: paces the traffic (`--push-rate`), batches it (`--push-batch`), and
//! delivers each batch until it is acknowledged, by the resend policy stated in the parent
//! module.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::body::{self, LogFormat};
use super::endpoint::{Endpoint, Sent};
use super::faults::{PushFault, PushFaults};
use super::ledger::Ledger;
use super::records::{Record, Traffic};
use super::s3::S3Sink;

/// How the mock pushes (from [`crate::MockConfig`]).
#[derive(Debug, Clone)]
pub(crate) struct PushSettings {
    pub(crate) rate: u32,
    pub(crate) batch: usize,
    pub(crate) total: Option<u64>,
    pub(crate) backoff: Duration,
    pub(crate) backoff_cap: Duration,
    pub(crate) timeout: Duration,
    pub(crate) targets: Vec<String>,
    pub(crate) faults: PushFaults,
}

/// Where a task's batches go.
#[derive(Debug)]
pub(crate) enum Destination {
    Endpoint(Endpoint),
    S3(S3Sink),
}

/// What a pusher needs of its task.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) destination: Destination,
    pub(crate) traffic: Traffic,
    pub(crate) format: Option<LogFormat>,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) settings: PushSettings,
    pub(crate) stop: watch::Receiver<bool>,
    /// Which start of the task this pusher is ([`super::PushLedger::starts`]).
    pub(crate) start: u64,
}

/// Resolves when the task is stopped.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

impl Job {
    /// Runs until the total is pushed or the task is stopped.
    pub(crate) async fn run(mut self) {
        if matches!(self.destination, Destination::Endpoint(_)) {
            let test = self.traffic.test_object();
            let bytes = body::test_object(&test);
            let value = serde_json::Value::Object(test.into_iter().collect());
            self.ledger.update(|l| l.test_objects.push(value));
            if !self.deliver_post(bytes, 1, true).await {
                return self.finish();
            }
        }
        let start = Instant::now();
        let rate = f64::from(self.settings.rate.max(1));
        let mut pushed: u64 = 0;
        loop {
            let done = self.ledger.acknowledged();
            let remaining = match self.settings.total {
                Some(total) => total.saturating_sub(done),
                None => u64::MAX,
            };
            if remaining == 0 {
                break;
            }
            let count = (self.settings.batch.max(1) as u64).min(remaining) as usize;
            // A batch is released at the start of its share of time.
            let due = start + Duration::from_secs_f64(pushed as f64 / rate);
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = stopped(&mut self.stop) => return self.finish(),
            }
            let before = self.traffic.produced();
            let records = self.traffic.next_records(count);
            let drawn = self.traffic.produced() - before;
            self.ledger.update(|l| l.produced += drawn);
            let delivered = match &self.destination {
                Destination::Endpoint(_) => {
                    let bytes = body::render(&records, self.format.as_ref());
                    self.deliver_post(bytes, records.len(), false).await
                }
                Destination::S3(_) => self.deliver_object(&records).await,
            };
            if !delivered {
                return self.finish();
            }
            self.ledger.acknowledge(&records);
            pushed += count as u64;
        }
        self.finish();
    }

    /// Marks the ledger finished, unless a newer pusher of the task (after a Modify) runs.
    fn finish(&self) {
        let start = self.start;
        self.ledger.update(|l| {
            if l.starts == start {
                l.finished = true;
            }
        });
    }

    /// The wait before attempt `attempt` (1 for the first resend).
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let cap = self.settings.backoff_cap;
        match retry_after {
            Some(wait) => wait.min(cap),
            None => self
                .settings
                .backoff
                .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
                .min(cap),
        }
    }

    /// Waits `wait`; false when the task is stopped meanwhile.
    async fn pause(&mut self, wait: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(wait) => true,
            _ = stopped(&mut self.stop) => false,
        }
    }

    /// POSTs a body until a 2xx (see the module's policy), then applies the duplicate and
    /// replay faults to batches (`test` false). False when the task was stopped first.
    async fn deliver_post(&mut self, bytes: Vec<u8>, records: usize, test: bool) -> bool {
        let Destination::Endpoint(endpoint) = &mut self.destination else {
            return false;
        };
        let prepared = endpoint.prepare(bytes, records);
        let faults = self.settings.faults.clone();
        // Test objects are never faulted, nor the batches let pass first.
        let faulted = !test && faults.next_batch();
        let mut attempt = 0u32;
        let url = loop {
            let Destination::Endpoint(endpoint) = &mut self.destination else {
                return false;
            };
            let url = endpoint.url(test);
            let sent = tokio::select! {
                sent = endpoint.send(&url, &prepared) => sent,
                _ = stopped(&mut self.stop) => return false,
            };
            self.ledger.update(|l| {
                l.posts += 1;
                if attempt > 0 {
                    l.resends += 1;
                }
            });
            attempt += 1;
            let wait = match sent {
                Sent::Ok if faulted && faults.take(PushFault::LostOk) => {
                    // As if the 2xx never came: resend at once.
                    continue;
                }
                Sent::Ok => break url,
                Sent::Status(status, retry_after) => {
                    self.ledger.update(|l| {
                        *l.statuses.entry(status).or_default() += 1;
                        l.last_error = Some(format!("HTTP {status} from {url}"));
                    });
                    self.backoff(attempt, retry_after)
                }
                Sent::Failed(error) => {
                    self.ledger.update(|l| {
                        l.failures += 1;
                        l.last_error = Some(format!("{url}: {error}"));
                    });
                    self.backoff(attempt, None)
                }
            };
            if !self.pause(wait).await {
                return false;
            }
        };
        if test {
            return true;
        }
        let Destination::Endpoint(endpoint) = &mut self.destination else {
            return true;
        };
        let mut again = Vec::new();
        if faulted && faults.take(PushFault::Duplicate) {
            again.push(endpoint.url(false));
        }
        if faulted && faults.take(PushFault::Replay) {
            again.push(url);
        }
        for url in again {
            let sent = endpoint.send(&url, &prepared).await;
            self.ledger.update(|l| {
                l.posts += 1;
                l.resends += 1;
                match sent {
                    Sent::Ok => {}
                    Sent::Status(status, _) => *l.statuses.entry(status).or_default() += 1,
                    Sent::Failed(_) => l.failures += 1,
                }
            });
        }
        true
    }

    /// Puts a batch's object until it is stored. False when the task was stopped first.
    async fn deliver_object(&mut self, records: &[Record]) -> bool {
        let Destination::S3(sink) = &mut self.destination else {
            return false;
        };
        let (name, bytes) = sink.object(records);
        let mut attempt = 0u32;
        loop {
            let Destination::S3(sink) = &self.destination else {
                return false;
            };
            let put = tokio::select! {
                put = sink.put(&name, bytes.clone()) => put,
                _ = stopped(&mut self.stop) => return false,
            };
            self.ledger.update(|l| {
                l.posts += 1;
                if attempt > 0 {
                    l.resends += 1;
                }
            });
            attempt += 1;
            match put {
                Ok(()) => return true,
                Err(error) => self.ledger.update(|l| {
                    l.failures += 1;
                    l.last_error = Some(format!("put {name}: {error}"));
                }),
            }
            if !self.pause(self.backoff(attempt, None)).await {
                return false;
            }
        }
    }
}
