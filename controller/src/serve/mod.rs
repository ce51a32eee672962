//! Serving the API over HTTP/1.1: on one listener, or on several (for example loopback and
//! the Docker bridge) that share one router, one connection limit and one shutdown.
//!
//! Each connection is served by hyper in a task of its own, watched ([`registry`]) so that
//! a client cannot hold it for free: a request head must arrive within the header timeout,
//! a request body must keep arriving (never stalled for the body timeout), an idle
//! keep-alive connection is closed after the keep-alive timeout, and past the connection
//! limit the oldest connections without a request in flight are closed to admit new ones
//! (with none, a new connection is answered 503 and closed at once). On shutdown the
//! listeners close, connections without a request in flight close at once, the requests in
//! flight get the shutdown grace to finish, and whatever is left is closed.

mod nofile;
mod registry;
mod watch;

use std::future::Future;
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

pub use nofile::{DEFAULT_MAX_CONNECTIONS, default_max_connections, raise_open_file_limit};
use registry::{Order, Registry};

use crate::{AppState, app};

/// How long clients may take, how many connections may be open, and how long a shutdown
/// waits for the requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeSettings {
    /// The longest a request head may take to arrive, from its first byte (or from the
    /// connection's opening, for its first request).
    pub header_timeout: Duration,
    /// The longest a request body may stall: no byte arriving while its handler waits.
    pub body_timeout: Duration,
    /// The longest a connection is kept open between requests.
    pub keep_alive_timeout: Duration,
    /// The most connections open at once (all listeners together).
    pub max_connections: usize,
    /// The longest a shutdown waits for the requests in flight before closing their
    /// connections.
    pub shutdown_grace: Duration,
}

impl Default for ServeSettings {
    /// 10 s to send a request head, 30 s of body stall, 60 s of keep-alive, 10,000
    /// connections, 20 s of shutdown grace.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            keep_alive_timeout: Duration::from_secs(60),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then finishes the requests
/// in flight (within the shutdown grace).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_all(vec![listener], state, settings, shutdown).await
}

/// Serves `app(state)` on every listener until `shutdown` resolves, then stops accepting on
/// all of them, closes the connections without a request in flight and gives the requests in
/// flight the shutdown grace to finish; returns once every connection is closed.
/// `listeners` must not be empty.
pub async fn serve_all(
    listeners: Vec<TcpListener>,
    state: AppState,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if listeners.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "no listener to serve on"));
    }
    let router = app(state);
    let registry = Arc::new(Registry::new(&settings));
    let sweeper = tokio::spawn(sweep(Arc::downgrade(&registry), registry.sweep_period()));
    let accepting = futures::future::join_all(
        listeners.into_iter().map(|listener| accept(listener, router.clone(), registry.clone())),
    );
    tokio::select! {
        _ = accepting => {}
        () = shutdown => {}
    }
    // The accept loops and their listeners are dropped: no new connection.
    registry.order_all(Order::Drain);
    if tokio::time::timeout(settings.shutdown_grace, registry.emptied()).await.is_err() {
        tracing::warn!(
            connections = registry.len(),
            grace = ?settings.shutdown_grace,
            "Closing the connections whose requests did not finish within the shutdown grace."
        );
        registry.order_all(Order::Kill);
        registry.emptied().await;
    }
    sweeper.abort();
    Ok(())
}

/// Enforces the timeouts every `period` while the registry lives.
async fn sweep(registry: Weak<Registry>, period: Duration) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(registry) = registry.upgrade() else { return };
        registry.sweep();
    }
}

/// Accepts connections on `listener` and serves each in a task of its own (never returns).
async fn accept(listener: TcpListener, router: Router, registry: Arc<Registry>) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                accept_failed(e).await;
                continue;
            }
        };
        match registry.admit() {
            Some(entry) => {
                tokio::spawn(connection(tcp, router.clone(), registry.clone(), entry));
            }
            None => refuse(tcp),
        }
    }
}

/// After a failed accept: an aborted connection is nothing; out of descriptors (or any other
/// error), a pause so as not to spin while connections close.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "Cannot accept a connection.");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The answer to a connection past the limit when every open connection has a request in
/// flight, written without waiting (the connection is closed at once either way).
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
connection: close\r\ncontent-length: 60\r\n\r\n{\"error\":\"Too many connections: try again later.\",\"code\":\"\"}";

fn refuse(tcp: TcpStream) {
    let _ = tcp.try_write(REFUSAL);
}

/// Forgets a connection in the registry once it is closed (after its socket is dropped).
struct Registered {
    registry: Arc<Registry>,
    entry: Arc<registry::Entry>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.remove(&self.entry);
    }
}

/// Serves one connection until it closes, or the server orders it closed.
async fn connection(tcp: TcpStream, router: Router, registry: Arc<Registry>, entry: Arc<registry::Entry>) {
    let _registered = Registered { registry, entry: entry.clone() };
    // Small request/response pairs on keep-alive connections: never wait for Nagle.
    let _ = tcp.set_nodelay(true);
    let io = TokioIo::new(watch::WatchedIo::new(tcp, entry.clone()));
    let service = watch::Tracked::new(router, entry.clone());
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    std::future::poll_fn(|cx| {
        while let Poll::Ready(order) = entry.poll_order(cx) {
            match order {
                Order::Close if entry.busy() => entry.spared(),
                Order::Drain if entry.busy() => conn.as_mut().graceful_shutdown(),
                Order::None => {}
                Order::Close | Order::Drain | Order::Kill => return Poll::Ready(()),
            }
        }
        // An error is the client's doing (gone, or a malformed request hyper answered).
        conn.as_mut().poll(cx).map(|_| ())
    })
    .await;
    // Returning drops the connection (closing its socket), then forgets it.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_well_formed() {
        let text = std::str::from_utf8(REFUSAL).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.split("\r\n").any(|h| h == format!("content-length: {}", body.len())), "{head}");
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok(), "{body}");
    }
}
