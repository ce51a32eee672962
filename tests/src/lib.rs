//! The end-to-end harness: builds the `gust` binary and the Wasm fixtures once, starts real
//! `gust standalone` processes on free ports with their own data directories, and talks to
//! them over HTTP.
//!
//! The fixtures are the SDK examples (`hello`, `echo`, `context`) and the odd actions of
//! `tests/actions` (`spin`, `hog`, `chatty`, `garbage`, `scalar`, `fail`, `crash`, `sleep`,
//! `exit`), all built for wasm32-wasip1 by `cargo` the first time a test asks for one.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// OpenWhisk's public guest credential, which `gust standalone` accepts by default.
pub const GUEST: (&str, &str) =
    ("23bc46b1-71f6-4ed5-8c54-816aa4f8c502", "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The target directory and profile directory the tests were built into.
fn profile_dir() -> PathBuf {
    // target/<profile>/deps/<test binary>
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| repo_root().join("target/debug"))
}

fn cargo(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(repo_root())
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo {args:?}: {e}"));
    assert!(status.success(), "cargo {args:?} failed");
}

/// The `gust` binary of this build profile, built on first use.
pub fn gust_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = profile_dir();
        let release = dir.file_name().is_some_and(|n| n == "release");
        let mut args = vec!["build", "-p", "gust-cli", "--bin", "gust"];
        if release {
            args.push("--release");
        }
        cargo(&args);
        dir.join("gust")
    })
}

/// The bytes of a Wasm fixture (an SDK example or a test action), built on first use.
pub fn wasm(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        cargo(&[
            "build",
            "-p",
            "gust-sdk",
            "--examples",
            "-p",
            "gust-test-actions",
            "--bins",
            "--target",
            "wasm32-wasip1",
            "--profile",
            "wasm-action",
        ]);
        profile_dir().parent().map(Path::to_path_buf).unwrap_or_default().join("wasm32-wasip1/wasm-action")
    });
    let example = dir.join("examples").join(format!("{name}.wasm"));
    let path = if example.exists() { example } else { dir.join(format!("{name}.wasm")) };
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// A fixture as the base64 `exec.code` of a `wasm:wasip1` action.
pub fn wasm_b64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(wasm(name))
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A running `gust standalone`, killed when dropped.
#[derive(Debug)]
pub struct Gust {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    data: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// Extra flags it was started with (for restarts).
    args: Vec<String>,
    /// A client with the guest credential.
    pub api: Api,
}

impl Gust {
    /// A fresh standalone with its own data directory and the default (guest) credential.
    pub async fn start() -> Gust {
        Self::start_with(&[]).await
    }

    /// A fresh standalone with extra flags, without Docker (the Wasm path only).
    pub async fn start_with(args: &[&str]) -> Gust {
        let mut all = vec!["--docker", "off"];
        all.extend_from_slice(args);
        Self::start_raw(&all).await
    }

    /// A fresh standalone that uses Docker (the daemon must be running and the runtime images
    /// built: `scripts/test` sees to both), with extra flags.
    pub async fn start_docker(args: &[&str]) -> Gust {
        let mut all = vec!["--docker", "auto"];
        all.extend_from_slice(args);
        Self::start_raw(&all).await
    }

    async fn start_raw(args: &[&str]) -> Gust {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let data = tmp.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let mut g = Self::spawn(data, args, Some(tmp));
        g.wait_ready().await;
        g
    }

    fn spawn(data: PathBuf, args: Vec<String>, tmp: Option<tempfile::TempDir>) -> Gust {
        let port = free_port();
        let child = Command::new(gust_bin())
            .arg("standalone")
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(&data)
            .args(["--wasm-instances", "64"])
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start gust: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let api = Api::new(&url, Some(GUEST));
        Gust { child: Some(child), url, data, _tmp: tmp, args, api }
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/ping", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("gust standalone exited early: {status}");
            }
            assert!(Instant::now() < deadline, "gust standalone did not answer /ping within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the process with SIGTERM (a graceful drain) and waits for it.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap_or_else(|| panic!("already stopped"));
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        child.wait().unwrap_or_else(|e| panic!("wait: {e}"))
    }

    /// Starts the same data directory again (after [`Gust::terminate`]).
    pub async fn restart(&mut self) {
        let tmp = self._tmp.take();
        let mut g = Self::spawn(self.data.clone(), self.args.clone(), tmp);
        g.wait_ready().await;
        std::mem::swap(self, &mut g);
    }
}

impl Drop for Gust {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A response, parsed.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Value::String` of the text when it is not JSON).
    pub body: Value,
}

impl Resp {
    /// The body's `error` message.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// Raw HTTP against a Gust API, with or without credentials.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
}

impl Api {
    /// A client of `base` with `auth` (user, key).
    pub fn new(base: &str, auth: Option<(&str, &str)>) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: base.to_owned(),
            auth: auth.map(|(u, k)| (u.to_owned(), k.to_owned())),
        }
    }

    /// The same server with other credentials.
    pub fn with_auth(&self, auth: Option<(&str, &str)>) -> Api {
        Api::new(&self.base, auth)
    }

    /// Any request; `body` is sent as-is with `content_type` when given.
    pub async fn raw(&self, method: Method, path: &str, content_type: Option<&str>, body: Option<Vec<u8>>) -> Resp {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some((u, k)) = &self.auth {
            rb = rb.basic_auth(u, Some(k));
        }
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        if let Some(b) = body {
            rb = rb.body(b);
        }
        let r = rb.send().await.unwrap_or_else(|e| panic!("request {path}: {e}"));
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap_or_default();
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Resp { status, headers, body }
    }

    /// A JSON request.
    pub async fn json(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        self.raw(method, path, bytes.as_ref().map(|_| "application/json"), bytes).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Resp {
        self.json(Method::GET, path, None).await
    }

    /// Creates (or with `overwrite`, updates) action `name` in `_` from a full PUT body.
    pub async fn put_action(&self, name: &str, body: &Value, overwrite: bool) -> Resp {
        self.json(Method::PUT, &format!("/api/v1/namespaces/_/actions/{name}?overwrite={overwrite}"), Some(body)).await
    }

    /// Creates action `name` from Wasm fixture `fixture`, with extra body fields merged in;
    /// panics unless the server answers 200.
    pub async fn create_wasm(&self, name: &str, fixture: &str, extra: Value) -> Value {
        let mut body = serde_json::json!({"exec": {"kind": "wasm:wasip1", "code": wasm_b64(fixture)}});
        if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
            b.extend(x);
        }
        let r = self.put_action(name, &body, false).await;
        assert_eq!(r.status, StatusCode::OK, "create {name}: {:?}", r.body);
        r.body
    }

    /// Invokes `name` in `_` with `params` and the query string `query` (e.g. `blocking=true`).
    pub async fn invoke(&self, name: &str, query: &str, params: &Value) -> Resp {
        self.json(Method::POST, &format!("/api/v1/namespaces/_/actions/{name}?{query}"), Some(params)).await
    }

    /// Polls `GET activations/{id}` until the record exists (or `within` passes).
    pub async fn await_record(&self, id: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let r = self.get(&format!("/api/v1/namespaces/_/activations/{id}")).await;
            if r.status == StatusCode::OK {
                return r.body;
            }
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
            assert!(Instant::now() < deadline, "no record for {id} within {within:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The value of annotation `key` of a record or action.
pub fn annotation<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc["annotations"].as_array()?.iter().find(|a| a["key"] == key).map(|a| &a["value"])
}
