//! Serving the API over HTTP: on one listener, or on several (for example loopback and the
//! Docker bridge) that share one router and stop together.

use std::future::Future;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::{AppState, app};

/// Serves `app(state)` on `listener` until `shutdown` resolves, then finishes the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_all(vec![listener], state, shutdown).await
}

/// Serves `app(state)` on every listener until `shutdown` resolves, then stops accepting on
/// all of them and finishes the requests in flight on each; returns when all are done. An
/// error of one server ends the others. `listeners` must not be empty.
pub async fn serve_all(
    listeners: Vec<TcpListener>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if listeners.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "no listener to serve on"));
    }
    let router = app(state);
    // One signal, seen by every server: `true` once `shutdown` has resolved.
    let (stop, stopping) = watch::channel(false);
    let servers = listeners.into_iter().map(|listener| {
        let listener = listener.tap_io(|tcp| {
            // Small request/response pairs on keep-alive connections: never wait for Nagle.
            let _ = tcp.set_nodelay(true);
        });
        let mut stopping = stopping.clone();
        let signal = async move {
            // An error means the sender is gone, which happens only once serving is over.
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        std::future::IntoFuture::into_future(axum::serve(listener, router.clone()).with_graceful_shutdown(signal))
    });
    let signal = tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let served = futures::future::try_join_all(servers).await;
    signal.abort();
    served.map(|_| ())
}
