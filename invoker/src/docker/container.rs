//! One running container: its address, a keep-alive HTTP client to its runtime (`/init`,
//! `/run` on port 8080), and its output split into activations.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Mutex, mpsc};

use super::client::OutputStream;
use super::logs::{Chunk, LogReader};

/// The HTTP client shared by every container of an invoker: it keeps connections alive per
/// container address (OpenWhisk opened one per request).
pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A keep-alive HTTP/1.1 client for containers.
pub(crate) fn http_client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(2)));
    Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(600)).build(connector)
}

/// How a call to the runtime failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// No answer within the time limit.
    Timeout,
    /// The connection failed or closed early (the runtime died, or was killed). The request
    /// may have reached the runtime.
    Connection(String),
    /// No connection could be made (nothing listens yet, or any more): the request cannot
    /// have reached the runtime, so it is safe to send again.
    Unreachable(String),
}

/// A runtime's answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The body, up to `max` bytes.
    pub(crate) body: Vec<u8>,
    /// The body's full size.
    pub(crate) size: usize,
}

/// A started container of this invoker.
pub(crate) struct Container {
    /// Docker's id.
    pub(crate) id: String,
    addr: SocketAddr,
    http: HttpClient,
    logs: Mutex<LogReader>,
    reader: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Container {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Container").field("id", &self.id).field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Container {
    /// Wraps a started container whose output is `output` and whose runtime listens on
    /// `addr`. The output is read continuously in the background so the daemon never blocks
    /// on a slow reader.
    pub(crate) fn new(id: String, addr: SocketAddr, http: HttpClient, mut output: OutputStream) -> Self {
        let (tx, rx) = mpsc::unbounded_channel::<Chunk>();
        let reader = tokio::spawn(async move {
            while let Some((is_err, bytes)) = output.next().await {
                if tx.send((is_err, bytes, gust_core::time::now_us())).is_err() {
                    break;
                }
            }
        });
        Self { id, addr, http, logs: Mutex::new(LogReader::new(rx)), reader }
    }

    /// The log reader (one activation at a time).
    pub(crate) fn logs(&self) -> &Mutex<LogReader> {
        &self.logs
    }

    async fn post(&self, path: &str, body: &serde_json::Value, max: usize) -> Result<Answer, CallError> {
        let bytes = serde_json::to_vec(body).map_err(|e| CallError::Connection(e.to_string()))?;
        let req = hyper::Request::post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| CallError::Connection(e.to_string()))?;
        let resp = self.http.request(req).await.map_err(|e| {
            if e.is_connect() { CallError::Unreachable(e.to_string()) } else { CallError::Connection(e.to_string()) }
        })?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut kept = Vec::new();
        let mut size = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| CallError::Connection(e.to_string()))?;
            if let Some(data) = frame.data_ref() {
                size += data.len();
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
        Ok(Answer { status, body: kept, size })
    }

    /// `POST /init`, retrying while the runtime is not listening yet, within `timeout`. Only a
    /// connection that could not be made is retried: once a connection was open, the request
    /// may have been delivered, and a runtime initializes only once.
    pub(crate) async fn init(&self, body: &serde_json::Value, timeout: Duration) -> Result<Answer, CallError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.post("/init", body, 1 << 20)).await {
                Err(_) => return Err(CallError::Timeout),
                Ok(Ok(a)) => return Ok(a),
                Ok(Err(CallError::Unreachable(_))) if Instant::now() < deadline => {
                    // Not listening yet: the runtime is still starting.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok(Err(e)) => return Err(e),
            }
        }
    }

    /// `POST /run` within `timeout`, keeping at most `max` bytes of the answer.
    pub(crate) async fn run(
        &self,
        body: &serde_json::Value,
        timeout: Duration,
        max: usize,
    ) -> Result<Answer, CallError> {
        match tokio::time::timeout(timeout, self.post("/run", body, max)).await {
            Err(_) => Err(CallError::Timeout),
            Ok(r) => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    fn container(addr: SocketAddr) -> Container {
        Container::new("test".into(), addr, http_client(), Box::pin(futures::stream::empty()))
    }

    /// Reads one request's head and body (`content-length` bytes) from `stream`.
    async fn read_request(stream: &mut TcpStream) {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    return;
                }
            }
        }
    }

    #[tokio::test]
    async fn init_is_not_sent_again_once_a_connection_was_open() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let count = received.clone();
        tokio::spawn(async move {
            // A runtime that takes the request and dies before answering.
            while let Ok((mut stream, _)) = listener.accept().await {
                read_request(&mut stream).await;
                count.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        let got = container(addr).init(&serde_json::json!({"value": {}}), Duration::from_secs(3)).await;
        assert!(matches!(got, Err(CallError::Connection(_))), "{got:?}");
        assert_eq!(received.load(Ordering::SeqCst), 1, "the delivered /init was sent once");
    }

    #[tokio::test]
    async fn init_waits_for_a_runtime_that_does_not_listen_yet() {
        let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let c = container(addr);
        let server = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let listener = TcpListener::bind(addr).await.unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            let body = r#"{"ok":true}"#;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(body.as_bytes()).await.unwrap();
            // Keep the connection until the client is done with it.
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        });
        let got = c.init(&serde_json::json!({"value": {}}), Duration::from_secs(30)).await;
        let a = got.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((a.status, a.body), (200, br#"{"ok":true}"#.to_vec()));
        drop(c);
        server.abort();
    }
}
