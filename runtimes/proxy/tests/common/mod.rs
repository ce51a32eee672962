//! Shared by the integration tests: the real `gust-proxy` binary on a free port, its stdout and
//! stderr captured, and a plain HTTP/1.1 client.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// OpenWhisk's end-of-activation log line.
pub(crate) const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

/// Whether process `pid` holds the listening TCP socket of `port` (from /proc: the socket's
/// inode in /proc/net/tcp, among the process's descriptors).
fn listens_on(pid: u32, port: u16) -> bool {
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let wanted = format!(":{port:04X}");
    let inodes: Vec<String> = tcp
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() > 9 && f[1].ends_with(&wanted) && f[3] == "0A").then(|| format!("socket:[{}]", f[9]))
        })
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| inodes.iter().any(|i| target.to_str() == Some(i.as_str())))
}

/// A running proxy whose stdout and stderr are captured.
pub(crate) struct Proxy {
    child: Child,
    /// The port it listens on.
    pub(crate) port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// Starts a proxy for `runtime`, with the launchers of `runtimes/images/<runtime>/`.
    pub(crate) fn start(runtime: &str) -> Self {
        Self::start_with_env(runtime, &[])
    }

    /// Starts a proxy for `runtime` with variables added to its environment.
    pub(crate) fn start_with_env(runtime: &str, env: &[(&str, &str)]) -> Self {
        // A port picked here may be taken by someone else before the proxy binds it (tests run
        // in parallel): a proxy that exits before it listens is started again on another port.
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let launchers = concat!(env!("CARGO_MANIFEST_DIR"), "/../images/");
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_gust-proxy"))
                .env("GUST_RUNTIME", runtime)
                .env("GUST_LAUNCHER_DIR", format!("{launchers}{runtime}"))
                .env("GUST_PROXY_PORT", port.to_string())
                .env("GUST_ACTION_DIR", dir.path().join("action"))
                .env_remove("__OW_ALLOW_CONCURRENT")
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = capture(child.stdout.take().unwrap());
            let stderr = capture(child.stderr.take().unwrap());
            let mut proxy = Self { child, port, stdout, stderr, _dir: dir };
            let start = Instant::now();
            loop {
                if proxy.child.try_wait().unwrap().is_some() {
                    break;
                }
                // Listening itself: another test's proxy may have been given the same port and
                // answer on it while this one is still starting (then fails to bind).
                if listens_on(proxy.child.id(), port) {
                    return proxy;
                }
                assert!(start.elapsed() < Duration::from_secs(10), "the proxy did not start listening");
                thread::sleep(Duration::from_millis(20));
            }
            eprintln!("the proxy exited before listening on {port}, starting another: {}", proxy.stderr());
        }
        panic!("the proxy never started listening");
    }

    /// The action directory (the real path, as the action sees it).
    pub(crate) fn action_dir(&self) -> PathBuf {
        self._dir.path().canonicalize().unwrap().join("action")
    }

    /// The process ids of the proxy's living children (its launchers), ascending.
    pub(crate) fn launcher_pids(&self) -> Vec<u32> {
        let proxy = self.child.id();
        let mut pids: Vec<u32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                // "pid (comm) state ppid ...": the command name may hold spaces and parentheses.
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
                let Some((_, rest)) = stat.rsplit_once(')') else { return false };
                let mut fields = rest.split_whitespace();
                let (state, ppid) = (fields.next(), fields.next());
                state != Some("Z") && ppid == Some(proxy.to_string().as_str())
            })
            .collect();
        pids.sort_unstable();
        pids
    }

    /// The process id of the launcher the proxy started ahead of `/init`.
    pub(crate) fn zygote_pid(&self) -> u32 {
        match self.launcher_pids()[..] {
            [pid] => pid,
            ref other => panic!("expected exactly one launcher before /init, found {other:?}"),
        }
    }

    /// What the proxy printed to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// POSTs `body` to `path`; a failed exchange panics with what the proxy printed.
    pub(crate) fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        try_post(self.port, path, body).unwrap_or_else(|e| panic!("POST {path}: {e}\nproxy stderr:\n{}", self.stderr()))
    }

    /// `/init` with plain code and an env map.
    pub(crate) fn init(&self, code: &str, env: Value) -> (u16, Value) {
        self.post(
            "/init",
            &json!({ "value": { "name": "t", "main": "main", "binary": false, "code": code, "env": env } }),
        )
    }

    /// `/run` with `value`.
    pub(crate) fn run(&self, value: Value) -> (u16, Value) {
        self.post("/run", &json!({ "value": value, "activation_id": "a1", "deadline": "0" }))
    }

    /// Waits until both streams hold `n` sentinels, then returns (stdout, stderr).
    pub(crate) fn logs_with_sentinels(&self, n: usize) -> (String, String) {
        let start = Instant::now();
        loop {
            let (out, err) = (self.stdout.lock().unwrap().clone(), self.stderr.lock().unwrap().clone());
            if out.matches(SENTINEL).count() >= n && err.matches(SENTINEL).count() >= n {
                assert_eq!(out.matches(SENTINEL).count(), n, "stdout: {out}");
                assert_eq!(err.matches(SENTINEL).count(), n, "stderr: {err}");
                return (out, err);
            }
            assert!(start.elapsed() < Duration::from_secs(5), "expected {n} sentinels:\n{out}\n---\n{err}");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

trait Stream: Read + Send + 'static {}
impl Stream for ChildStdout {}
impl Stream for ChildStderr {}

fn capture(stream: impl Stream) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    text
}

/// One HTTP/1.1 POST on a fresh connection; the status and the JSON body.
pub(crate) fn post(port: u16, path: &str, body: &Value) -> (u16, Value) {
    try_post(port, path, body).unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// [`post`], with the transport's errors returned.
pub(crate) fn try_post(port: u16, path: &str, body: &Value) -> std::io::Result<(u16, Value)> {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
    Ok((status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"))))
}

/// A zip archive of `(name, text)` files.
pub(crate) fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        zip.start_file(*name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
