//! Hostile clients against `gust standalone`: a shutdown while clients hold requests
//! half-sent, more idle connections than the open-file limit it inherited, bodies past the
//! invoke payload limit. (The timeouts and the connection limit are tested in the
//! controller's `connections` tests, with small values.)

use std::time::Duration;

use gust_tests::{GUEST, Gust};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn addr(g: &Gust) -> String {
    g.url.trim_start_matches("http://").to_owned()
}

fn basic() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", GUEST.0, GUEST.1))
}

/// The head of a POST invoking `name`, with `framing` (a length or chunked) and more headers.
fn invoke_head(name: &str, framing: &str) -> String {
    format!(
        "POST /api/v1/namespaces/_/actions/{name} HTTP/1.1\r\nhost: gust\r\nauthorization: Basic {}\r\n\
         content-type: application/json\r\n{framing}\r\n\r\n",
        basic()
    )
}

#[tokio::test]
async fn sigterm_with_half_sent_requests_exits_within_the_shutdown_grace_and_keeps_accepted_work() {
    let mut g = Gust::start_with(&["--shutdown-grace", "2s"]).await;
    g.api.create_wasm("sleep", "sleep", json!({})).await;
    // A request head cut short, and an invoke whose body stops after 10 bytes (its handler,
    // past auth, is reading it: the server answered `100 Continue`).
    let mut head = TcpStream::connect(addr(&g)).await.unwrap();
    head.write_all(b"POST /api/v1/namespaces/_/actions/sleep HTTP/1.1\r\nhost: gust\r\nauthoriz").await.unwrap();
    let mut body = BufReader::new(TcpStream::connect(addr(&g)).await.unwrap());
    let framing = "content-length: 100\r\nexpect: 100-continue";
    body.get_mut().write_all(invoke_head("sleep", framing).as_bytes()).await.unwrap();
    let mut line = String::new();
    body.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line:?}");
    body.get_mut().write_all(br#"{"ms": 1, "#).await.unwrap();
    let accepted = g.api.invoke("sleep", "", &json!({"ms": 500})).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    let id = accepted.body["activationId"].as_str().unwrap().to_owned();

    let (status, took) = g.terminate_within(Duration::from_secs(40)).expect("gust did not exit after SIGTERM");
    assert!(status.success(), "a clean exit: {status}");
    assert!(took < Duration::from_secs(20), "the 2 s grace bounds the wait for connections: {took:?}");
    drop((head, body));
    g.restart().await;
    let record = g.api.await_record(&id, Duration::from_secs(5)).await;
    assert_eq!(record["response"]["result"], json!({"slept": 500}), "the accepted activation ran");
}

#[tokio::test]
async fn idle_connections_past_the_inherited_open_file_limit_do_not_stop_service() {
    // Started with a soft limit of 256 open files, Gust raises it to the hard limit.
    let g = Gust::start_with_open_files(256, &[]).await;
    let mut flood = Vec::new();
    for _ in 0..400 {
        flood.push(TcpStream::connect(addr(&g)).await.unwrap());
    }
    let served = tokio::time::timeout(
        Duration::from_secs(15),
        g.api.try_raw(reqwest::Method::GET, "/api/v1/namespaces", None, None),
    )
    .await
    .expect("no answer with 400 idle connections open")
    .unwrap();
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, json!(["guest"]));
    drop(flood);
}

/// Reads the status line of an answer.
async fn status_line(conn: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(20), reader.read_line(&mut line)).await;
    assert!(read.is_ok(), "no answer in time");
    line
}

/// Peak resident memory of process `pid` so far, KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_invoke_past_the_payload_limit_is_refused_without_buffering_it() {
    let g = Gust::start().await;
    // Declared: refused from the head alone, the body never sent.
    let mut conn = BufReader::new(TcpStream::connect(addr(&g)).await.unwrap());
    conn.get_mut().write_all(invoke_head("any", "content-length: 45000000").as_bytes()).await.unwrap();
    let mut answer = String::new();
    let read = tokio::time::timeout(Duration::from_secs(20), conn.read_to_string(&mut answer)).await;
    assert!(read.is_ok(), "no answer to the head alone");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""error":"Request larger than allowed: 45000000 > 1048576 bytes.""#), "{answer}");

    // Chunked: 8 clients at once each sending 45 MB are cut at about the limit, and the
    // server's memory does not grow by what they send.
    let pid = g.pid().unwrap();
    let peak_before = peak_rss_kib(pid);
    let clients = (0..8).map(|_| {
        let addr = addr(&g);
        async move {
            let conn = TcpStream::connect(addr).await.unwrap();
            let (mut rd, mut wr) = conn.into_split();
            let sending = tokio::spawn(async move {
                let mut sent = 0usize;
                if wr.write_all(invoke_head("any", "transfer-encoding: chunked").as_bytes()).await.is_err() {
                    return sent;
                }
                let chunk =
                    [format!("{:x}\r\n", 64 << 10).into_bytes(), vec![b' '; 64 << 10], b"\r\n".to_vec()].concat();
                while sent < 45_000_000 {
                    if wr.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += 64 << 10;
                }
                sent
            });
            let line = status_line(&mut rd).await;
            drop(rd);
            (line, sending.await.unwrap())
        }
    });
    for (line, sent) in futures::future::join_all(clients).await {
        assert!(line.starts_with("HTTP/1.1 413"), "{line:?}");
        assert!(sent < 45_000_000, "the body was cut: {sent} bytes sent");
    }
    let grown = peak_rss_kib(pid).saturating_sub(peak_before);
    assert!(grown < 100 << 10, "the server's peak memory grew {grown} KiB for 8 bodies of 45 MB");
}
