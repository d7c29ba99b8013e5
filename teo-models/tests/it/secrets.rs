//! Secrets never reach `Debug` output: secret-named members print as `<redacted>`, URLs (log
//! packets' are signed) without their query string.

use serde_json::json;
use teo_models::{CustomEndpoint, InferenceAPIToken, L4OfflineLog, L7OfflineLog, S3};

const SECRET: &str = "sk-SECRET-do-not-print";

fn read<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("reads")
}

#[test]
fn secret_members_are_redacted() {
    let s3: S3 = read(
        json!({"Endpoint": "https://cos.example", "AccessId": "AKID-visible", "AccessKey": SECRET, "Region": "ap-guangzhou", "Bucket": "b"}),
    );
    let endpoint: CustomEndpoint = read(
        json!({"Url": "https://logs.example/in", "AccessId": "AKID-visible", "AccessKey": SECRET}),
    );
    let token: InferenceAPIToken =
        read(json!({"TokenId": "tok-1", "Content": SECRET, "Name": "n"}));
    for debug in [
        format!("{s3:?}"),
        format!("{endpoint:?}"),
        format!("{token:?}"),
        format!("{s3:#?}"),
    ] {
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
    // What is not secret stays readable.
    assert!(format!("{s3:?}").contains("AKID-visible"));
    assert!(format!("{token:?}").contains("tok-1"));
}

#[test]
fn signed_urls_print_without_their_query() {
    let url = format!("https://log.example/20240501-10.log.gz?sign=1714500000-abc-0-{SECRET}&t=1");
    let l4: L4OfflineLog =
        read(json!({"ProxyId": "sid-1", "Url": url, "LogPacketName": "p", "Size": 10}));
    let l7: L7OfflineLog = read(json!({"Domain": "www.example.com", "Url": url}));
    for debug in [format!("{l4:?}"), format!("{l7:?}")] {
        assert!(
            !debug.contains(SECRET) && !debug.contains("sign="),
            "{debug}"
        );
        assert!(
            debug.contains(r#""https://log.example/20240501-10.log.gz?<redacted>""#),
            "{debug}"
        );
    }
    // The value itself is untouched: only its Debug hides the query.
    assert_eq!(l4.url, url);
}
