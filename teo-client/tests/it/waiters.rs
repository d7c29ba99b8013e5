//! Every generated waiter against teo-mock, whose created tasks and objects really change status
//! with time (`MockConfig::task_duration`): each waits through at least one in-progress poll to
//! success; failure states end a wait early, the deadline ends it with the last state, and a
//! failing call ends it with the call's error.

use std::time::{Duration, Instant};

use teo_client::models::{
    CreateAccelerationDomainRequest, CreatePrefetchTaskRequest, CreatePurgeTaskRequest,
    CreateZoneRequest, IdentifyZoneRequest, OriginInfo,
};
use teo_client::waiter::WaitOptions;
use teo_client::{Client, Credentials, RetryPolicy};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use teo_mock::{MockConfig, MockServer};

const TASK: Duration = Duration::from_millis(400);

async fn mock() -> (MockServer, Client) {
    let mock = MockServer::start(MockConfig::default().task_duration(TASK))
        .await
        .unwrap();
    let client = Client::builder(Credentials::new(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY))
        .endpoint(mock.url())
        .build()
        .unwrap();
    (mock, client)
}

/// Quick polls, so each wait sees the in-progress state before the final one.
fn quick() -> WaitOptions {
    WaitOptions::default()
        .delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(100))
        .timeout(Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_and_prefetch_tasks_are_waited_for() {
    let (mock, client) = mock().await;
    let job = client
        .create_purge_task(
            CreatePurgeTaskRequest::new("zone-1", "purge_url").targets(["https://a.example/x"]),
        )
        .await
        .unwrap()
        .job_id;
    let started = Instant::now();
    let done = client
        .wait_until_purge_task_done("zone-1", job.clone(), quick())
        .await
        .unwrap();
    assert!(started.elapsed() >= TASK - Duration::from_millis(50));
    assert_eq!(done.tasks.len(), 1);
    assert_eq!(
        (done.tasks[0].job_id.as_str(), done.tasks[0].status.as_str()),
        (job.as_str(), "success")
    );

    let job = client
        .create_prefetch_task(
            CreatePrefetchTaskRequest::new("zone-1").targets(["https://a.example/big.mp4"]),
        )
        .await
        .unwrap()
        .job_id;
    let done = client
        .wait_until_prefetch_task_done("zone-1", job, quick())
        .await
        .unwrap();
    assert_eq!(done.tasks[0].status, "success");

    // A task that fails: the wait ends as soon as it is seen failed, naming the state.
    let job = client
        .create_purge_task(
            CreatePurgeTaskRequest::new("zone-1", "purge_url").targets(["https://fail.example/"]),
        )
        .await
        .unwrap()
        .job_id;
    let error = client
        .wait_until_purge_task_done("zone-1", job, quick())
        .await
        .unwrap_err();
    assert!(error.is_failure(), "{error}");
    assert_eq!(error.last_states(), ["failed"]);
    assert!(
        error
            .to_string()
            .contains("PurgeTaskDone: reached a failure state (failed)"),
        "{error}"
    );
    assert!(error.polls() >= 2, "{error:?}");

    // The deadline first: the error names the last state seen.
    let job = client
        .create_purge_task(
            CreatePurgeTaskRequest::new("zone-1", "purge_url").targets(["https://a.example/y"]),
        )
        .await
        .unwrap()
        .job_id;
    let started = Instant::now();
    let error = client
        .wait_until_purge_task_done("zone-1", job, quick().timeout(Duration::from_millis(150)))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.last_states(), ["processing"]);
    assert!(started.elapsed() < Duration::from_secs(2));
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_domains_and_verifications_are_waited_for() {
    let (mock, client) = mock().await;
    let zone = client
        .create_zone(
            CreateZoneRequest::new()
                .zone_name("new.example")
                .r#type("partial"),
        )
        .await
        .unwrap()
        .zone_id;
    let active = client
        .wait_until_zone_active(zone.clone(), quick())
        .await
        .unwrap();
    assert_eq!(
        (
            active.zones[0].zone_id.as_str(),
            active.zones[0].status.as_str()
        ),
        (zone.as_str(), "active")
    );

    client
        .create_acceleration_domain(CreateAccelerationDomainRequest::new(
            zone.clone(),
            "www.new.example",
            OriginInfo::new("IP_DOMAIN", "origin.new.example"),
        ))
        .await
        .unwrap();
    let online = client
        .wait_until_acceleration_domain_online(zone.clone(), "www.new.example", quick())
        .await
        .unwrap();
    assert_eq!(online.acceleration_domains[0].domain_status, "online");

    client
        .identify_zone(IdentifyZoneRequest::new("new.example"))
        .await
        .unwrap();
    let verified = client
        .wait_until_identification_finished("new.example", quick())
        .await
        .unwrap();
    assert_eq!(verified.identifications[0].status, "finished");

    // A poll that fails (a wrong key) ends the wait with the call's error.
    let wrong = Client::builder(Credentials::new(DEFAULT_SECRET_ID, "wrong"))
        .endpoint(mock.url())
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = wrong
        .wait_until_zone_active(zone, quick())
        .await
        .unwrap_err();
    assert_eq!(
        error.call_error().and_then(|e| e.code()),
        Some("AuthFailure.SignatureFailure")
    );
    mock.shutdown().await;
}
