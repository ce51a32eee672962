//! (b, d, e) Gust standalone end to end: the release binary spawned on a free port with a scratch
//! data directory, driven over HTTP/1.1 keep-alive, one connection per worker. The Docker
//! scenarios (docker.rs) start it with other flags and use the one-off calls at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::load::Caller;
use crate::tempdir::TempDir;

/// OpenWhisk's well-known guest key, which `gust standalone` accepts on loopback.
pub(crate) const GUEST_AUTH: &str =
    "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

/// How long the server may take to answer `/ping`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the server may take to drain and exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(120);

/// A running Gust: `gust standalone`, or the processes of a distributed deployment
/// (cluster.rs) reached through one controller.
#[derive(Debug)]
pub(crate) struct Server {
    /// Every process, stopped in this order (a controller before the invokers it feeds).
    procs: Vec<Child>,
    /// What it is, for messages.
    what: &'static str,
    addr: SocketAddr,
    auth: HeaderValue,
    host: HeaderValue,
    /// Successful blocking invokes sent by every caller, warm-up included.
    invokes: Arc<AtomicU64>,
    dir: TempDir,
}

/// What the server left behind.
#[derive(Debug, Clone)]
pub(crate) struct Persisted {
    /// Activation records the server reports (`?count=true`).
    pub(crate) records: Option<u64>,
    /// Successful blocking invokes the bench made.
    pub(crate) invokes: u64,
    /// Size of the SQLite files at the end, bytes.
    pub(crate) db_bytes: u64,
}

impl Server {
    /// Spawns `bin standalone` on a free port with `flags` (e.g. `--docker off`) and waits until
    /// `/ping` answers.
    pub(crate) async fn start(bin: &Path, flags: &[String]) -> anyhow::Result<Self> {
        let dir = TempDir::new("gust")?;
        let port = free_port()?;
        let mut args: Vec<String> = vec!["standalone".into(), "--port".into(), port.to_string(), "--data-dir".into()];
        args.push(dir.path().join("data").display().to_string());
        args.extend(flags.iter().cloned());
        let child = spawn(bin, &args, &dir)?;
        Self::adopt(vec![child], port, dir, "gust standalone").await
    }

    /// Takes over running processes logging to `<dir>/server.log`, the first of which
    /// serves the API on `port`, and waits until `/ping` answers.
    pub(crate) async fn adopt(procs: Vec<Child>, port: u16, dir: TempDir, what: &'static str) -> anyhow::Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(GUEST_AUTH));
        let mut server = Self {
            procs,
            what,
            addr,
            auth: HeaderValue::from_str(&auth)?,
            host: HeaderValue::from_str(&addr.to_string())?,
            invokes: Arc::new(AtomicU64::new(0)),
            dir,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            for child in &mut self.procs {
                if let Some(status) = child.try_wait()? {
                    bail!("{} exited with {status} before answering /ping:\n{}", self.what, self.log_tail());
                }
            }
            if let Ok((status, _)) = self.request(Method::GET, "/ping", None).await
                && status == StatusCode::OK
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{} did not answer /ping within {START_TIMEOUT:?}:\n{}", self.what, self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Successful blocking invokes made through it so far (every caller's, warm-up included).
    pub(crate) fn invokes(&self) -> u64 {
        self.invokes.load(Ordering::Relaxed)
    }

    /// The ids of its processes.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.procs.iter().filter_map(Child::id).collect()
    }

    /// The last lines the server wrote.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// One request on a fresh connection (setup and checks, not measured).
    async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut conn = connect(self.addr).await?;
        let body = match body {
            Some(v) => Bytes::from(serde_json::to_vec(v)?),
            None => Bytes::new(),
        };
        let req = self.build(method, path, body)?;
        conn.ready().await?;
        let resp = conn.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    fn build(&self, method: Method, path: &str, body: Bytes) -> anyhow::Result<Request<Full<Bytes>>> {
        Ok(Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body))?)
    }

    /// Creates (or replaces) the action `name` from the module bytes.
    pub(crate) async fn deploy(&self, name: &str, wasm: &[u8]) -> anyhow::Result<()> {
        let code = base64::engine::general_purpose::STANDARD.encode(wasm);
        self.deploy_exec(name, json!({ "kind": "wasm:wasip1", "code": code })).await
    }

    /// Creates (or replaces) the action `name` with this `exec` and the default limits.
    pub(crate) async fn deploy_exec(&self, name: &str, exec: Value) -> anyhow::Result<()> {
        let body = json!({ "exec": exec });
        let path = format!("/api/v1/namespaces/_/actions/{name}?overwrite=true");
        let (status, bytes) = self.request(Method::PUT, &path, Some(&body)).await?;
        if status != StatusCode::OK {
            bail!("creating action {name}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(())
    }

    /// The deployment's name (`<data dir>/instance`): its containers carry the label
    /// `gust.invoker=<instance>`. Written at start when Docker is on.
    pub(crate) fn instance(&self) -> anyhow::Result<String> {
        let path = self.dir.path().join("data/instance");
        let name = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = name.trim().to_owned();
        if name.is_empty() {
            bail!("{} is empty", path.display());
        }
        Ok(name)
    }

    /// One blocking `result=true` invoke of `name`, timed from sending the request to the last
    /// byte of the answer (the connection is opened before); checks the result equals `params`.
    /// Returns the latency and the activation id.
    pub(crate) async fn invoke_timed(&self, name: &str, params: &Value) -> anyhow::Result<(Duration, String)> {
        let mut conn = connect(self.addr).await?;
        let path = format!("/api/v1/namespaces/_/actions/{name}?blocking=true&result=true");
        let req = self.build(Method::POST, &path, Bytes::from(serde_json::to_vec(params)?))?;
        conn.ready().await?;
        let begin = Instant::now();
        let resp = conn.send_request(req).await?;
        let status = resp.status();
        let id = resp.headers().get("x-openwhisk-activation-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = resp.into_body().collect().await?.to_bytes();
        let took = begin.elapsed();
        if status != StatusCode::OK {
            bail!("invoking {name}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        }
        if serde_json::from_slice::<Value>(&bytes).ok().as_ref() != Some(params) {
            bail!("invoking {name}: the result differs from the input: {}", String::from_utf8_lossy(&bytes));
        }
        self.invokes.fetch_add(1, Ordering::Relaxed);
        Ok((took, id.with_context(|| format!("invoking {name}: no x-openwhisk-activation-id header"))?))
    }

    /// The activation record `id` (for its `duration` and `waitTime`/`initTime` annotations).
    pub(crate) async fn activation(&self, id: &str) -> anyhow::Result<Value> {
        let path = format!("/api/v1/namespaces/_/activations/{id}");
        let (status, bytes) = self.request(Method::GET, &path, None).await?;
        if status != StatusCode::OK {
            bail!("reading activation {id}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// A worker sending `GET /ping` on its own keep-alive connection.
    pub(crate) async fn ping_caller(&self) -> anyhow::Result<PingCaller> {
        Ok(PingCaller { conn: Some(connect(self.addr).await?), addr: self.addr, host: self.host.clone() })
    }

    /// A worker with its own keep-alive connection, invoking `actions` in turn from `first`.
    pub(crate) async fn caller(
        &self,
        actions: &Arc<[String]>,
        first: usize,
        params: &Value,
    ) -> anyhow::Result<GustCaller> {
        let paths: Arc<[String]> = actions
            .iter()
            .map(|a| format!("/api/v1/namespaces/_/actions/{a}?blocking=true&result=true"))
            .collect::<Vec<_>>()
            .into();
        Ok(GustCaller {
            conn: Some(connect(self.addr).await?),
            addr: self.addr,
            host: self.host.clone(),
            auth: self.auth.clone(),
            paths,
            next: first,
            body: Bytes::from(serde_json::to_vec(params)?),
            expected: params.clone(),
            invokes: self.invokes.clone(),
        })
    }

    /// Counts the persisted records, stops every process with SIGTERM (each drains), and
    /// removes the data directory.
    pub(crate) async fn stop(mut self) -> anyhow::Result<Persisted> {
        // Records are written as activations complete; give the last ones a moment.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let records = match self.request(Method::GET, "/api/v1/namespaces/_/activations?count=true", None).await {
            Ok((StatusCode::OK, body)) => {
                serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("activations").and_then(Value::as_u64))
            }
            _ => None,
        };
        for child in &mut self.procs {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
            }
            // A Docker deployment removes its containers before it exits: give it time.
            if tokio::time::timeout(STOP_TIMEOUT, child.wait()).await.is_err() {
                child.kill().await.with_context(|| format!("cannot kill a process of {}", self.what))?;
            }
        }
        let data = self.dir.path().join("data");
        let db_bytes = ["gust.db", "gust.db-wal", "gust.db-shm"]
            .iter()
            .filter_map(|f| std::fs::metadata(data.join(f)).ok())
            .map(|m| m.len())
            .sum();
        Ok(Persisted { records, invokes: self.invokes.load(Ordering::Relaxed), db_bytes })
    }
}

/// A free TCP port on loopback.
pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The namespace throttles the benchmarked deployments run with (OpenWhisk's 60 a minute would
/// stop every run after its first second).
pub(crate) const UNTHROTTLED: u32 = 1_000_000_000;

/// Spawns `bin args`, its output appended to `<dir>/server.log`; killed if dropped.
pub(crate) fn spawn(bin: &Path, args: &[String], dir: &TempDir) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("server.log"))
        .context("cannot open the server log")?;
    Command::new(bin)
        .args(args)
        // A benchmark is one namespace at full speed: no namespace throttles in the way.
        .env("GUST_INVOCATIONS_PER_MINUTE", UNTHROTTLED.to_string())
        .env("GUST_CONCURRENT_INVOCATIONS", UNTHROTTLED.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {} {}", bin.display(), args.first().map_or("", String::as_str)))
}

/// Opens one HTTP/1.1 connection (Nagle off) and drives it on its own task.
pub(crate) async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends blocking `result=true` invokes back to back on one connection.
#[derive(Debug)]
pub(crate) struct GustCaller {
    conn: Option<SendRequest<Full<Bytes>>>,
    addr: SocketAddr,
    host: HeaderValue,
    auth: HeaderValue,
    paths: Arc<[String]>,
    next: usize,
    body: Bytes,
    expected: Value,
    invokes: Arc<AtomicU64>,
}

impl GustCaller {
    async fn send(&mut self) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => connect(self.addr).await?,
        };
        let path = &self.paths[self.next % self.paths.len()];
        self.next = self.next.wrapping_add(1);
        let req = Request::builder()
            .method(Method::POST)
            .uri(path.as_str())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(self.body.clone()))?;
        conn.ready().await?;
        let resp = conn.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        // Only a connection that completed an exchange is kept; a broken one is replaced next call.
        self.conn = Some(conn);
        Ok((status, bytes))
    }
}

impl Caller for GustCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let (status, body) = self.send().await?;
        if status != StatusCode::OK {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        let same = serde_json::from_slice::<Value>(&body).is_ok_and(|v| v == self.expected);
        if !same {
            bail!("the result differs from the input: {}", String::from_utf8_lossy(&body));
        }
        self.invokes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// (e) `GET /ping` back to back on one connection: no auth, no body, no bus; the HTTP floor.
#[derive(Debug)]
pub(crate) struct PingCaller {
    conn: Option<SendRequest<Full<Bytes>>>,
    addr: SocketAddr,
    host: HeaderValue,
}

impl Caller for PingCaller {
    async fn call(&mut self) -> anyhow::Result<()> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => connect(self.addr).await?,
        };
        let req = Request::builder()
            .method(Method::GET)
            .uri("/ping")
            .header(HOST, self.host.clone())
            .body(Full::new(Bytes::new()))?;
        conn.ready().await?;
        let resp = conn.send_request(req).await?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        self.conn = Some(conn);
        if status != StatusCode::OK || bytes.as_ref() != b"pong" {
            bail!("GET /ping: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(())
    }
}

/// `gust`, next to this binary (both are built into `target/release`).
pub(crate) fn default_gust_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join("gust"))
}
