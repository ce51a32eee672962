//! Hostile clients against the real server on loopback: a request head or body trickled or
//! stalled, idle keep-alive connections, more connections than the limit, a shutdown while
//! clients hold connections half-sent, bodies past a route's limit. Every timeout is small
//! here; the bounds asserted are generous (a loaded machine is slow, never early).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use gust_controller::{ControllerConfig, ServeSettings, serve_all, start};
use gust_core::messages::ControllerId;
use gust_core::subject::GUEST_AUTH;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod common;
use common::{ACTION, begin_put};

/// Long enough never to fire in a test that is not about it.
const NEVER: Duration = Duration::from_secs(300);
/// How long a test waits for what must happen.
const PATIENCE: Duration = Duration::from_secs(20);

fn settings() -> ServeSettings {
    ServeSettings {
        header_timeout: NEVER,
        body_timeout: NEVER,
        keep_alive_timeout: NEVER,
        max_connections: 10_000,
        shutdown_grace: NEVER,
    }
}

/// A server on a free port; sending on the channel stops it.
struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn serve(settings: ServeSettings) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = start(ControllerConfig::new(ControllerId("t".into())), common::services().await);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_all(vec![listener], state, settings, async move {
        let _ = stopped.await;
    }));
    Server { addr, stop: Some(stop), task }
}

fn auth() -> String {
    base64::engine::general_purpose::STANDARD.encode(GUEST_AUTH)
}

/// Reads until the server closes the connection (end of stream or reset); how long it took.
async fn closed_within(conn: &mut (impl AsyncReadExt + Unpin), within: Duration) -> Duration {
    let began = Instant::now();
    let mut sink = vec![0u8; 64 << 10];
    let closed = tokio::time::timeout(within, async {
        loop {
            match conn.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server did not close the connection within {within:?}");
    began.elapsed()
}

/// Whether the server closed the connection within `within` (false: still open).
async fn is_closed(conn: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(within, conn.read(&mut byte)).await, Ok(Ok(0) | Err(_)))
}

/// An answer: status line, headers (lower-cased names), body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// Reads one answer with a `Content-Length` body.
async fn answer(conn: &mut BufReader<TcpStream>) -> Answer {
    tokio::time::timeout(PATIENCE, async {
        let mut line = String::new();
        conn.read_line(&mut line).await.unwrap();
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            conn.read_line(&mut line).await.unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else { break };
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        let len = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0u8; len];
        conn.read_exact(&mut body).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
    })
    .await
    .expect("no answer in time")
}

async fn ping(conn: &mut BufReader<TcpStream>) -> Answer {
    conn.get_mut().write_all(b"GET /ping HTTP/1.1\r\nhost: gust\r\n\r\n").await.unwrap();
    answer(conn).await
}

async fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(addr).await.unwrap())
}

#[tokio::test]
async fn a_request_head_trickled_past_the_header_timeout_is_cut() {
    let server = serve(ServeSettings { header_timeout: Duration::from_secs(1), ..settings() }).await;
    let mut conn = TcpStream::connect(server.addr).await.unwrap();
    conn.write_all(b"GET /ping HTTP/1.1\r\nhost: gust\r\n").await.unwrap();
    let (mut rd, mut wr) = conn.into_split();
    // A header line every 100 ms: bytes keep coming, the head never ends.
    let trickle = tokio::spawn(async move {
        for i in 0.. {
            if wr.write_all(format!("x-{i}: y\r\n").as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let took = closed_within(&mut rd, PATIENCE).await;
    assert!(took >= Duration::from_millis(900), "closed before the header timeout: {took:?}");
    trickle.abort();
    // A connection that sends nothing at all is cut the same way.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    closed_within(&mut silent, PATIENCE).await;
    // Others are served.
    assert_eq!(ping(&mut connect(server.addr).await).await.status, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let server = serve(ServeSettings { keep_alive_timeout: Duration::from_secs(1), ..settings() }).await;
    let mut conn = connect(server.addr).await;
    let first = ping(&mut conn).await;
    assert_eq!((first.status, first.body.as_str()), (200, "pong"));
    // Kept alive: the same connection serves the next request.
    assert_eq!(ping(&mut conn).await.status, 200);
    let took = closed_within(&mut conn, PATIENCE).await;
    assert!(took >= Duration::from_millis(900), "closed before the keep-alive timeout: {took:?}");
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_is_cut_after_the_body_timeout() {
    let server = serve(ServeSettings { body_timeout: Duration::from_secs(1), ..settings() }).await;
    let mut conn = begin_put(server.addr, "stalled").await;
    conn.get_mut().write_all(&ACTION.as_bytes()[..10]).await.unwrap();
    let took = closed_within(&mut conn, PATIENCE).await;
    assert!(took >= Duration::from_millis(900), "closed before the body timeout: {took:?}");
    // A request whose handler takes its time is not a stalled body: a whole PUT is served.
    let mut put = begin_put(server.addr, "whole").await;
    put.get_mut().write_all(ACTION.as_bytes()).await.unwrap();
    assert_eq!(answer(&mut put).await.status, 200);
}

#[tokio::test]
async fn past_the_connection_limit_the_oldest_idle_connections_make_room() {
    let server = serve(ServeSettings { max_connections: 10, ..settings() }).await;
    let mut flood = Vec::new();
    for _ in 0..30 {
        flood.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut conn = connect(server.addr).await;
    assert_eq!(ping(&mut conn).await.status, 200, "a new client is served");
    assert!(is_closed(&mut flood[0], PATIENCE).await, "the oldest idle connection was closed");
    let still_open = futures::future::join_all(flood.iter_mut().map(|c| is_closed(c, Duration::from_secs(2)))).await;
    let open = still_open.iter().filter(|closed| !**closed).count();
    assert!(open <= 9, "{open} of the flood are open: the limit is 10 with the new client");
    assert!(!still_open[29], "the newest of the flood is open");
}

#[tokio::test]
async fn at_the_limit_with_every_connection_busy_a_new_one_is_refused_at_once() {
    let server = serve(ServeSettings { max_connections: 2, ..settings() }).await;
    let mut one = begin_put(server.addr, "one").await;
    let mut two = begin_put(server.addr, "two").await;
    let mut third = connect(server.addr).await;
    let refused = answer(&mut third).await;
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(refused.body.contains("Too many connections"), "{refused:?}");
    closed_within(&mut third, PATIENCE).await;
    for conn in [&mut one, &mut two] {
        conn.get_mut().write_all(ACTION.as_bytes()).await.unwrap();
        assert_eq!(answer(conn).await.status, 200, "the requests in flight are served");
    }
}

#[tokio::test]
async fn a_shutdown_drops_half_sent_heads_at_once_and_waits_for_bodies_at_most_the_grace() {
    let mut server = serve(ServeSettings { shutdown_grace: Duration::from_secs(2), ..settings() }).await;
    let mut head = TcpStream::connect(server.addr).await.unwrap();
    head.write_all(b"GET /ping HTTP/1.1\r\nhost: gu").await.unwrap();
    let mut body = begin_put(server.addr, "half").await;
    body.get_mut().write_all(&ACTION.as_bytes()[..10]).await.unwrap();

    let began = Instant::now();
    server.stop.take().unwrap().send(()).unwrap();
    let head_closed = tokio::spawn(async move {
        closed_within(&mut head, PATIENCE).await;
        Instant::now()
    });
    tokio::time::timeout(PATIENCE, &mut server.task).await.expect("the server did not stop").unwrap().unwrap();
    let stopped = Instant::now();
    assert!(stopped - began >= Duration::from_millis(1900), "it waited the grace for the body: {:?}", stopped - began);
    assert!(head_closed.await.unwrap() < began + Duration::from_millis(1900), "the half-sent head was not kept");
    closed_within(&mut body, PATIENCE).await;
    assert!(TcpStream::connect(server.addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn a_shutdown_lets_a_request_in_flight_finish_within_the_grace() {
    let mut server = serve(ServeSettings { shutdown_grace: Duration::from_secs(30), ..settings() }).await;
    let mut put = begin_put(server.addr, "late").await;
    let mut idle = connect(server.addr).await;
    assert_eq!(ping(&mut idle).await.status, 200);
    server.stop.take().unwrap().send(()).unwrap();
    closed_within(&mut idle, PATIENCE).await;
    put.get_mut().write_all(ACTION.as_bytes()).await.unwrap();
    let done = answer(&mut put).await;
    assert_eq!(done.status, 200, "{done:?}");
    tokio::time::timeout(PATIENCE, &mut server.task).await.expect("the server did not stop").unwrap().unwrap();
}

/// The head of an invoke of `x` (no such action: the size is checked first).
fn invoke_head(framing: &str) -> String {
    format!(
        "POST /api/v1/namespaces/_/actions/x HTTP/1.1\r\nhost: gust\r\nauthorization: Basic {}\r\n\
         content-type: application/json\r\n{framing}\r\n\r\n",
        auth()
    )
}

fn error_of(a: &Answer) -> String {
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("{a:?}"));
    v["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_invoke_declaring_more_than_the_payload_limit_is_refused_before_its_body() {
    let server = serve(settings()).await;
    let mut conn = connect(server.addr).await;
    conn.get_mut().write_all(invoke_head("content-length: 45000000").as_bytes()).await.unwrap();
    let refused = answer(&mut conn).await;
    assert_eq!(refused.status, 413, "{refused:?}");
    assert_eq!(error_of(&refused), "Request larger than allowed: 45000000 > 1048576 bytes.");
    // An action PUT may be larger, up to 50 MiB.
    let mut conn = connect(server.addr).await;
    let head = format!(
        "PUT /api/v1/namespaces/_/actions/big HTTP/1.1\r\nhost: gust\r\nauthorization: Basic {}\r\n\
         content-type: application/json\r\ncontent-length: 60000000\r\n\r\n",
        auth()
    );
    conn.get_mut().write_all(head.as_bytes()).await.unwrap();
    let refused = answer(&mut conn).await;
    assert_eq!(refused.status, 413, "{refused:?}");
    assert_eq!(error_of(&refused), "Request larger than allowed: 60000000 > 52428800 bytes.");
}

#[tokio::test]
async fn a_chunked_invoke_is_cut_as_soon_as_it_passes_the_payload_limit() {
    let server = serve(settings()).await;
    let conn = TcpStream::connect(server.addr).await.unwrap();
    let (rd, mut wr) = conn.into_split();
    wr.write_all(invoke_head("transfer-encoding: chunked").as_bytes()).await.unwrap();
    // 1.25 MiB in 64 KiB chunks, and then the body neither goes on nor ends (the server may
    // close before it has all: a failed write ends the sending).
    let sending = tokio::spawn(async move {
        let chunk = vec![b' '; 64 << 10];
        for _ in 0..20 {
            let framed = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
            if wr.write_all(&framed).await.is_err() {
                break;
            }
        }
        wr
    });
    let mut rd = BufReader::new(rd);
    let mut line = String::new();
    tokio::time::timeout(PATIENCE, rd.read_line(&mut line)).await.expect("no answer while the body is open").unwrap();
    assert!(line.starts_with("HTTP/1.1 413"), "{line:?}");
    drop(sending.await.unwrap());
}

#[tokio::test]
async fn bodies_within_the_limits_are_read_whole() {
    let server = serve(settings()).await;
    // A chunked PUT of an action: read to its end.
    let mut conn = connect(server.addr).await;
    let head = format!(
        "PUT /api/v1/namespaces/_/actions/chunked HTTP/1.1\r\nhost: gust\r\nauthorization: Basic {}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        auth()
    );
    let (a, b) = ACTION.split_at(20);
    let body = format!("{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len());
    conn.get_mut().write_all(format!("{head}{body}").as_bytes()).await.unwrap();
    let put = answer(&mut conn).await;
    assert_eq!(put.status, 200, "{put:?}");
    assert!(put.body.contains(r#""name":"chunked""#), "{put:?}");
    assert!(put.headers.iter().any(|(n, _)| n == "x-request-id"));
}
