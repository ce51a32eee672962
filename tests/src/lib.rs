//! The end-to-end harness: builds the `gust` binary and the Wasm fixtures once, starts real
//! `gust standalone` processes on free ports with their own data directories, and talks to
//! them over HTTP.
//!
//! The fixtures are the SDK examples (`hello`, `echo`, `context`) and the odd actions of
//! `tests/actions` (`spin`, `hog`, `chatty`, `garbage`, `scalar`, `fail`, `crash`, `sleep`,
//! `exit`), all built for wasm32-wasip1 by `cargo` the first time a test asks for one.

pub mod burst;
pub mod cluster;

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
    let path = wasm_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// The path of a Wasm fixture (an SDK example or a test action), built on first use.
pub fn wasm_path(name: &str) -> PathBuf {
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
    if example.exists() { example } else { dir.join(format!("{name}.wasm")) }
}

/// A fixture as the base64 `exec.code` of a `wasm:wasip1` action.
pub fn wasm_b64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(wasm(name))
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// The system throttles (invocations per minute, in flight) every test deployment runs with:
/// high enough for the load tests; the throttle tests set a namespace's own limits.
pub const THROTTLES: (u32, u32) = (1_000_000, 100_000);

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
    /// A shell command run before it (`ulimit -S -n 256`, `umask 022`), when it is started
    /// otherwise than the test itself runs.
    prelude: Option<String>,
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

    /// A fresh standalone without Docker started with a soft open-file limit of `soft` (as
    /// a shell with `ulimit -S -n` would start it), with extra flags.
    pub async fn start_with_open_files(soft: u64, args: &[&str]) -> Gust {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let data = tmp.path().to_path_buf();
        Self::start_after(&format!("ulimit -S -n {soft}"), tmp, data, args).await
    }

    /// A standalone without Docker, with extra flags, started by a shell after `prelude`
    /// (such as `umask 022`), on data directory `data` inside `tmp` (it may not exist yet).
    pub async fn start_after(prelude: &str, tmp: tempfile::TempDir, data: PathBuf, args: &[&str]) -> Gust {
        let mut all = vec!["--docker".to_owned(), "off".to_owned()];
        all.extend(args.iter().map(|s| (*s).to_owned()));
        let mut g = Self::spawn(data, all, Some(prelude.to_owned()), Some(tmp));
        g.wait_ready().await;
        g
    }

    /// A standalone on a data directory the test prepared (e.g. a store with records in it),
    /// without Docker, with extra flags.
    pub async fn start_in(tmp: tempfile::TempDir, args: &[&str]) -> Gust {
        let mut all = vec!["--docker".to_owned(), "off".to_owned()];
        all.extend(args.iter().map(|s| (*s).to_owned()));
        let mut g = Self::spawn(tmp.path().to_path_buf(), all, None, Some(tmp));
        g.wait_ready().await;
        g
    }

    async fn start_raw(args: &[&str]) -> Gust {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let data = tmp.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        let mut g = Self::spawn(data, args, None, Some(tmp));
        g.wait_ready().await;
        g
    }

    fn spawn(data: PathBuf, args: Vec<String>, prelude: Option<String>, tmp: Option<tempfile::TempDir>) -> Gust {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::inherit());
        let mut command = match &prelude {
            None => Command::new(gust_bin()),
            Some(prelude) => {
                let mut sh = Command::new("sh");
                sh.args(["-c", &format!("{prelude} && exec \"$0\" \"$@\"")]).arg(gust_bin());
                sh
            }
        };
        let child = command
            .arg("standalone")
            .args(["--port", &port.to_string(), "--data-dir"])
            .arg(&data)
            .args(["--wasm-instances", "64"])
            .args(["--invocations-per-minute", &THROTTLES.0.to_string()])
            .args(["--concurrent-invocations", &THROTTLES.1.to_string()])
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start gust: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let api = Api::new(&url, Some(GUEST));
        Gust { child: Some(child), url, data, _tmp: tmp, args, prelude, api }
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
                let log = std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default();
                panic!("gust standalone exited early: {status}\n{log}");
            }
            assert!(Instant::now() < deadline, "gust standalone did not answer /ping within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the process with SIGTERM (a graceful drain) and waits for it.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap_or_else(|| panic!("already stopped"));
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        child.wait().unwrap_or_else(|e| panic!("wait: {e}"))
    }

    /// Sends SIGTERM and waits at most `within` for the process to exit: its status and how
    /// long it took, or `None` (the process is then killed) when it did not exit in time.
    pub fn terminate_within(&mut self, within: Duration) -> Option<(std::process::ExitStatus, Duration)> {
        let mut child = self.child.take().unwrap_or_else(|| panic!("already stopped"));
        let began = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        while began.elapsed() < within {
            if let Ok(Some(status)) = child.try_wait() {
                return Some((status, began.elapsed()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Kills the process with SIGKILL (no drain, no goodbye) and waits for it.
    pub fn kill(&mut self) {
        let mut child = self.child.take().unwrap_or_else(|| panic!("already stopped"));
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the same data directory again (after [`Gust::terminate`] or [`Gust::kill`]).
    pub async fn restart(&mut self) {
        let tmp = self._tmp.take();
        let mut g = Self::spawn(self.data.clone(), self.args.clone(), self.prelude.clone(), tmp);
        g.wait_ready().await;
        std::mem::swap(self, &mut g);
    }
}

impl Drop for Gust {
    /// Stops the server gracefully (so it removes its containers), killing it only if it does
    /// not stop within 30 s; then removes any container of its instance that is still there.
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline && matches!(c.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        let instance = self.instance();
        if !instance.is_empty() {
            let bin = if Path::new("/usr/bin/docker").exists() { "/usr/bin/docker" } else { "docker" };
            let filter = format!("label=gust.invoker={instance}");
            if let Ok(out) = Command::new(bin).args(["ps", "-aq", "--filter", &filter]).output() {
                for id in String::from_utf8_lossy(&out.stdout).lines() {
                    let _ = Command::new(bin).args(["rm", "-f", id]).output();
                }
            }
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
        self.try_raw(method, path, content_type, body).await.unwrap_or_else(|e| panic!("request {path}: {e}"))
    }

    /// Invokes like [`Api::invoke`], but a server that is gone is `None` instead of a panic.
    pub async fn try_invoke(&self, name: &str, query: &str, params: &Value) -> Option<Resp> {
        let body = serde_json::to_vec(params).unwrap_or_default();
        let path = format!("/api/v1/namespaces/_/actions/{name}?{query}");
        self.try_raw(Method::POST, &path, Some("application/json"), Some(body)).await.ok()
    }

    /// Any request, with transport errors returned.
    pub async fn try_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Resp, reqwest::Error> {
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
        let r = rb.send().await?;
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await?;
        let body =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Ok(Resp { status, headers, body })
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

    /// Creates action `name` from a full exec, with extra body fields; panics unless 200.
    pub async fn create(&self, name: &str, exec: Value, extra: Value) -> Value {
        let mut body = serde_json::json!({ "exec": exec });
        if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
            b.extend(x);
        }
        let r = self.put_action(name, &body, false).await;
        assert_eq!(r.status, StatusCode::OK, "create {name}: {:?}", r.body);
        r.body
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

/// A running Gust, standalone or distributed, as the tests that must pass on both see it.
pub trait Deployment: Sync {
    /// A client of its API with the guest key.
    fn api(&self) -> Api;
    /// The `gust admin` flags that select its store (`--data-dir ...` or `--config ...`).
    fn store_args(&self) -> Vec<String>;
}

impl Deployment for Gust {
    fn api(&self) -> Api {
        self.api.clone()
    }

    fn store_args(&self) -> Vec<String> {
        vec!["--data-dir".into(), self.data.display().to_string()]
    }
}

/// Runs `gust admin <args>` on `d`'s store: its standard output, or its error output when it
/// fails.
pub async fn admin(d: &dyn Deployment, args: &[&str]) -> Result<String, String> {
    let out = tokio::process::Command::new(gust_bin())
        .arg("admin")
        .args(d.store_args())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run gust admin: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A new subject of its own namespace `<prefix>-<random>` on `d`, created with `gust admin`:
/// its namespace and a client with its key.
pub async fn new_user(d: &dyn Deployment, prefix: &str) -> (String, Api) {
    let ns = format!("{prefix}-{}", random_lower(8));
    let key = admin(d, &["user", "create", &ns]).await.unwrap_or_else(|e| panic!("user create {ns}: {e}"));
    let (uuid, secret) = key.trim().split_once(':').unwrap_or_else(|| panic!("not a UUID:KEY: {key:?}"));
    (ns, d.api().with_auth(Some((uuid, secret))))
}

/// The value of annotation `key` of a record or action.
pub fn annotation<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc["annotations"].as_array()?.iter().find(|a| a["key"] == key).map(|a| &a["value"])
}

/// Runs the Docker CLI (the daemon's own client, /usr/bin/docker, when present) and returns its
/// standard output; panics with its error output when it fails.
pub fn docker(args: &[&str]) -> String {
    let bin = if Path::new("/usr/bin/docker").exists() { "/usr/bin/docker" } else { "docker" };
    let out = Command::new(bin).args(args).output().unwrap_or_else(|e| panic!("cannot run docker: {e}"));
    assert!(
        out.status.success(),
        "docker {args:?} failed (is dockerd running? scripts/test starts it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Gust {
    /// The deployment's instance name (its containers carry the label `gust.invoker=<name>`).
    pub fn instance(&self) -> String {
        std::fs::read_to_string(self.data.join("instance")).unwrap_or_default().trim().to_owned()
    }

    /// Names of this deployment's containers (running, paused or stopped).
    pub fn containers(&self) -> Vec<String> {
        let filter = format!("label=gust.invoker={}", self.instance());
        docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]).lines().map(str::to_owned).collect()
    }

    /// Waits until `pred` holds for this deployment's container names.
    pub async fn await_containers(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let names = self.containers();
            if pred(&names) {
                return names;
            }
            assert!(Instant::now() < deadline, "containers never became {what}: {names:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The `hello` SDK example built natively (for the `native` kind), built on first use.
pub fn native_hello() -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let path = BUILT.get_or_init(|| {
        cargo(&["build", "-p", "gust-sdk", "--example", "hello", "--release"]);
        profile_dir().parent().map(Path::to_path_buf).unwrap_or_default().join("release/examples/hello")
    });
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A user image built here: a static server (tests/blackbox) alone in an image `FROM scratch`.
pub fn blackbox_image() -> &'static str {
    static BUILT: OnceLock<String> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target = profile_dir().parent().map(Path::to_path_buf).unwrap_or_default().join("blackbox");
        let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo_bin)
            .args(["build", "--release", "-p", "gust-test-blackbox", "--target", "x86_64-unknown-linux-gnu"])
            .arg("--target-dir")
            .arg(&target)
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .current_dir(repo_root())
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
        assert!(status.success(), "building the static blackbox server failed");
        let ctx = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let bin = target.join("x86_64-unknown-linux-gnu/release/gust-test-blackbox");
        std::fs::copy(&bin, ctx.path().join("server")).unwrap_or_else(|e| panic!("copy {}: {e}", bin.display()));
        std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n")
            .unwrap_or_else(|e| panic!("write Dockerfile: {e}"));
        let tag = "gust-test/blackbox:1";
        docker(&["build", "-q", "-t", tag, &ctx.path().display().to_string()]);
        tag.to_owned()
    })
}

/// A zip archive of `files` (stored, not compressed), base64-encoded as action code.
pub fn zip_b64(files: &[(&str, &str)]) -> String {
    use std::io::Write as _;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, content) in files {
            z.start_file(*name, opts).unwrap_or_else(|e| panic!("zip {name}: {e}"));
            z.write_all(content.as_bytes()).unwrap_or_else(|e| panic!("zip {name}: {e}"));
        }
        z.finish().unwrap_or_else(|e| panic!("zip: {e}"));
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

/// `n` random lowercase letters and digits (names that Docker, Kafka and CouchDB all accept).
pub fn random_lower(n: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut x = seed ^ u128::from(std::process::id()) << 64;
    (0..n)
        .map(|_| {
            // xorshift: enough to keep concurrent tests apart.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            CHARS[(x % CHARS.len() as u128) as usize] as char
        })
        .collect()
}
