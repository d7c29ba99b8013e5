//! A client that sends slowly or opens too many connections cannot hold the mock: headers and
//! bodies have read deadlines, connections have a cap. Raw TCP clients on 127.0.0.1 misbehave on
//! purpose.

use std::time::{Duration, Instant};

use teo_mock::{MockConfig, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or `limit` passes); returns what arrived and
/// when the connection ended.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
        }
    }
}

#[tokio::test]
async fn half_sent_headers_lose_the_connection() {
    let config = MockConfig::default().header_timeout(Duration::from_millis(300));
    let mock = MockServer::start(config).await.expect("mock");
    let mut stream = TcpStream::connect(mock.addr()).await.expect("connect");
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: teo.example\r\nX-TC-Action: Desc")
        .await
        .expect("write");
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let closed = closed.expect("the mock closes a connection whose headers never end");
    println!("half-sent headers: closed after {closed:?}");
    assert!(closed < Duration::from_secs(2), "{closed:?}");
    mock.shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_completes_gets_an_api_error_and_the_connection_ends() {
    let config = MockConfig::default().body_timeout(Duration::from_millis(300));
    let mock = MockServer::start(config).await.expect("mock");
    let mut stream = TcpStream::connect(mock.addr()).await.expect("connect");
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: teo.example\r\nContent-Type: application/json\r\n\
              X-TC-Action: DescribeZones\r\nX-TC-Version: 2022-09-01\r\n\
              Content-Length: 1000\r\n\r\n{\"Limit\":",
        )
        .await
        .expect("write");
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let closed = closed.expect("the connection ends");
    println!("half-sent body: answered and closed after {closed:?}");
    assert!(closed < Duration::from_secs(2), "{closed:?}");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#""Code":"InvalidParameter""#),
        "{response}"
    );
    assert!(
        response.contains("did not arrive within 0.3 s"),
        "{response}"
    );
    assert!(response.contains(r#""RequestId""#), "{response}");
    mock.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_on_arrival() {
    let config = MockConfig::default()
        .max_connections(3)
        .header_timeout(Duration::from_secs(30));
    let mock = MockServer::start(config).await.expect("mock");
    // Three idle connections hold every slot.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(mock.addr()).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(mock.addr())
        .await
        .expect("the kernel accepts");
    let (_, closed) = read_until_closed(&mut extra, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "a fourth connection is closed at once");
    // A slot freed is a slot served: the mock answers again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = reqwest::get(format!("{}/logs/none", mock.url()))
        .await
        .expect("an HTTP answer, not a closed connection");
    assert_eq!(answer.status(), 404);
    mock.shutdown().await;
}
