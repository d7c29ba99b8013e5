//! Lists the L4 log packets of the last hour.
//!
//! ```sh
//! TENCENTCLOUD_SECRET_ID=… TENCENTCLOUD_SECRET_KEY=… \
//!   cargo run -p teo-client --example download_l4_logs -- zone-2o3h21ed8bpu [endpoint]
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a failure here is a failed run

use std::time::Duration;

use teo_client::models::time::OffsetDateTime;
use teo_client::models::DownloadL4LogsRequest;
use teo_client::{Client, Credentials, DEFAULT_ENDPOINT};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let zone = args
        .next()
        .ok_or("usage: download_l4_logs <zone-id> [endpoint]")?;
    let endpoint = args.next().unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let credentials = Credentials::new(
        std::env::var("TENCENTCLOUD_SECRET_ID").map_err(|_| "TENCENTCLOUD_SECRET_ID is not set")?,
        std::env::var("TENCENTCLOUD_SECRET_KEY")
            .map_err(|_| "TENCENTCLOUD_SECRET_KEY is not set")?,
    );
    let client = Client::builder(credentials).endpoint(endpoint).build()?;

    let end = OffsetDateTime::now_utc();
    let request = DownloadL4LogsRequest::new(end - Duration::from_secs(3600), end)
        .zone_ids([zone])
        .limit(300);
    let response = client.download_l4_logs(request).await?;
    println!(
        "{} packets (request {})",
        response.total_count, response.request_id
    );
    for packet in &response.data {
        println!(
            "{}  {:>10} bytes  {}",
            packet.log_packet_name, packet.size, packet.url
        );
    }
    Ok(())
}
