//! What tells a connection's [`Entry`] what the connection is doing, at the cost of a few
//! atomic operations per request: the socket (bytes arriving), the service (a request in
//! flight until its answer) and the request body (its handler waiting for bytes).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::Service as _;

use super::registry::Entry;

/// The socket, telling the entry when bytes arrive.
#[derive(Debug)]
pub(super) struct WatchedIo {
    tcp: TcpStream,
    entry: Arc<Entry>,
}

impl WatchedIo {
    pub(super) fn new(tcp: TcpStream, entry: Arc<Entry>) -> Self {
        Self { tcp, entry }
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.tcp).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            self.entry.bytes_read();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// A request body, telling the entry when its handler waits for bytes that have not come.
#[derive(Debug)]
struct WatchedBody {
    inner: Incoming,
    entry: Arc<Entry>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        self.entry.body_polled(polled.is_pending());
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        self.entry.body_polled(false);
    }
}

/// The router as one connection's hyper service: a request is in flight from its call to its
/// answer.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    router: Router,
    entry: Arc<Entry>,
}

impl Tracked {
    pub(super) fn new(router: Router, entry: Arc<Entry>) -> Self {
        Self { router, entry }
    }
}

impl hyper::service::Service<http::Request<Incoming>> for Tracked {
    type Response = Response;
    type Error = Infallible;
    type Future = InFlight;

    fn call(&self, req: http::Request<Incoming>) -> InFlight {
        self.entry.begin_request();
        let entry = self.entry.clone();
        let req = req.map(|inner| Body::new(WatchedBody { inner, entry: entry.clone() }));
        // A router is always ready; cloning it is an Arc's count (as `axum::serve` does).
        InFlight { answer: self.router.clone().call(req), _done: Done(entry) }
    }
}

/// Marks the request answered when dropped.
#[derive(Debug)]
struct Done(Arc<Entry>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

pin_project_lite::pin_project! {
    /// A request's answer being made; the request is in flight until it is dropped.
    pub(super) struct InFlight {
        #[pin]
        answer: RouteFuture<Infallible>,
        _done: Done,
    }
}

impl Future for InFlight {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().answer.poll(cx)
    }
}
