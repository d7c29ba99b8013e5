//! Load generator for teo-mock: N keep-alive connections send one correctly signed request
//! over and over for a fixed time, then print requests/s and the error count.
//!
//! ```sh
//! cargo run --release -p teo-mock -- --no-rate-limit --port 18080 &
//! cargo run --release -p teo-mock --example load -- http://127.0.0.1:18080 16 10 DescribeZones '{"Limit":1}'
//! ```
//!
//! The request is signed once (the mock accepts a signature for 5 minutes), so the figure is the
//! mock's cost per request — signature check included — not the generator's.
//!
//! With `--wrk` as the first argument it prints a wrk Lua script carrying the same signed
//! request instead, for a generator that takes less of the machine:
//!
//! ```sh
//! cargo run --release -p teo-mock --example load -- --wrk http://127.0.0.1:18080 DescribeZones '{"Limit":1}' > signed.lua
//! wrk -t2 -c16 -d10s -s signed.lua http://127.0.0.1:18080/
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tc_sign::{sign, SigningInput};
use teo_mock::server::{DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let wrk = args.first().is_some_and(|a| a == "--wrk");
    if wrk {
        // `--wrk <url> [action] [json]`: the same positions as below, minus connections/seconds.
        args.remove(0);
        args.splice(1..1, ["16".to_owned(), "10".to_owned()]);
    }
    let url = args
        .first()
        .ok_or("usage: load <url> [connections] [seconds] [action] [json]")?
        .clone();
    let connections: usize = args.get(1).map_or(Ok(16), |a| a.parse())?;
    let seconds: u64 = args.get(2).map_or(Ok(10), |a| a.parse())?;
    let action = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "DescribeZones".into());
    let body = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| r#"{"Limit":1}"#.into())
        .into_bytes();

    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let input = SigningInput {
        service: "teo",
        method: "POST",
        host: &host,
        content_type: "application/json",
        query: "",
        payload: &body,
        unsigned_payload: false,
        timestamp,
    };
    let authorization = sign(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, &input)?
        .authorization()
        .to_owned();

    if wrk {
        println!("wrk.method = \"POST\"");
        println!("wrk.body = {:?}", String::from_utf8_lossy(&body));
        for (name, value) in [
            ("Content-Type", "application/json".to_owned()),
            ("Authorization", authorization),
            ("X-TC-Action", action),
            ("X-TC-Version", "2022-09-01".to_owned()),
            ("X-TC-Timestamp", timestamp.to_string()),
        ] {
            println!("wrk.headers[{name:?}] = {value:?}");
        }
        return Ok(());
    }

    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        // One client per task: one keep-alive connection each.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (url, body, authorization, action) = (
            url.clone(),
            body.clone(),
            authorization.clone(),
            action.clone(),
        );
        let (ok, failed) = (ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let response = client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("Authorization", &authorization)
                    .header("X-TC-Action", &action)
                    .header("X-TC-Version", "2022-09-01")
                    .header("X-TC-Timestamp", timestamp)
                    .body(body.clone())
                    .send()
                    .await;
                let good = match response {
                    Ok(r) => r
                        .bytes()
                        .await
                        .is_ok_and(|b| !b.windows(8).any(|w| w == b"\"Error\":")),
                    Err(_) => false,
                };
                if good { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let ok = ok.load(Ordering::Relaxed);
    println!(
        "{action}: {ok} ok, {} failed in {elapsed:.1} s over {connections} connections: {:.0} requests/s",
        failed.load(Ordering::Relaxed),
        ok as f64 / elapsed
    );
    Ok(())
}
