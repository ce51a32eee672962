//! Serving on several listeners with one shutdown: requests in flight on each are finished,
//! then every listener is closed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use gust_controller::{AppState, ControllerConfig, ServeSettings, serve_all, start};
use gust_core::messages::ControllerId;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::{ACTION, begin_put};

async fn state() -> AppState {
    start(ControllerConfig::new(ControllerId("t".into())), common::services().await)
}

/// Sends the body and reads the whole answer (the server closes the connection after it, as
/// it is shutting down).
async fn finish_put(mut conn: BufReader<TcpStream>) -> String {
    conn.get_mut().write_all(ACTION.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(30), conn.read_to_string(&mut answer)).await.unwrap().unwrap();
    answer
}

#[tokio::test]
async fn one_shutdown_drains_every_listener_then_closes_them() {
    let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr_a, addr_b) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(serve_all(vec![a, b], state().await, ServeSettings::default(), async move {
        let _ = stopped.await;
    }));

    let on_a = begin_put(addr_a, "one").await;
    let on_b = begin_put(addr_b, "two").await;
    stop.send(()).unwrap();
    // The server waits for both requests: it cannot finish before their bodies are sent (it
    // cannot be seen to wait forever: a while will do).
    assert!(tokio::time::timeout(Duration::from_millis(300), &mut server).await.is_err(), "it did not wait");
    let answer_a = finish_put(on_a).await;
    let answer_b = finish_put(on_b).await;
    assert!(answer_a.starts_with("HTTP/1.1 200"), "{answer_a}");
    assert!(answer_b.starts_with("HTTP/1.1 200"), "{answer_b}");
    assert!(answer_a.contains(r#""name":"one""#) && answer_b.contains(r#""name":"two""#));

    tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap().unwrap();
    assert!(TcpStream::connect(addr_a).await.is_err(), "the first listener is closed");
    assert!(TcpStream::connect(addr_b).await.is_err(), "the second listener is closed");
}

#[tokio::test]
async fn serving_on_no_listener_is_an_error() {
    let err = serve_all(vec![], state().await, ServeSettings::default(), std::future::pending()).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
