//! Compatibility with unmodified OpenWhisk clients: runs the Node.js suite of `tests/compat`
//! (the npm `openwhisk` library, `openwhisk-composer` and the `aio` CLI, see
//! tests/compat/README.md) with `node --test` against a real Gust, standalone and distributed,
//! and fails with node's output when any of its tests fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gust_tests::cluster::Cluster;
use gust_tests::{Deployment, GUEST, Gust, admin, wasm_path};

/// How long the whole suite may take (each aio step starts a Node.js process with all of
/// aio's plugins: seconds each on a loaded two-core machine).
const SUITE_DEADLINE: Duration = Duration::from_secs(30 * 60);

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat")
}

/// The suite's test files: `openwhisk/*.test.mjs`, then `aio.test.mjs`; fails at once, saying
/// what to run, when the clients are not installed.
fn test_files() -> Vec<PathBuf> {
    let dir = compat_dir();
    assert!(
        dir.join("node_modules/openwhisk").is_dir()
            && dir.join("node_modules/openwhisk-composer").is_dir()
            && dir.join("node_modules/.bin/aio").exists(),
        "{}/node_modules is missing or incomplete: run `npm ci --prefix tests/compat` (scripts/test does)",
        dir.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("openwhisk"))
        .unwrap_or_else(|e| panic!("cannot list {}/openwhisk: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    files.push(dir.join("aio.test.mjs"));
    files
}

/// Where Gust is and what the suite may use.
struct Target {
    apihost: String,
    auth: String,
    auth2: Option<String>,
    docker: bool,
}

/// The counts of node's closing summary (`ℹ pass N` ...), by name.
fn summary(output: &str, key: &str) -> Option<u64> {
    output.lines().rev().find_map(|l| l.trim().strip_prefix(&format!("ℹ {key} "))?.trim().parse().ok())
}

/// Runs the suite against `target`; unless every test passed, the error is why, with node's
/// output.
async fn run_suite(files: Vec<PathBuf>, target: Target) -> Result<(), String> {
    let (echo, hello) = (wasm_path("echo"), wasm_path("hello"));
    let logs = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out_path = logs.path().join("node.out");
    let out = std::fs::File::create(&out_path).unwrap_or_else(|e| panic!("create {}: {e}", out_path.display()));
    let err = out.try_clone().unwrap_or_else(|e| panic!("clone: {e}"));
    let mut cmd = Command::new("node");
    cmd.args(["--test", "--test-reporter=spec", "--test-timeout=600000"])
        .args(files)
        .current_dir(compat_dir())
        .env("GUST_APIHOST", &target.apihost)
        .env("GUST_AUTH", &target.auth)
        .env("GUST_WASM_ECHO", &echo)
        .env("GUST_WASM_HELLO", &hello)
        .env("GUST_DOCKER", if target.docker { "1" } else { "0" })
        .env_remove("GUST_AUTH2")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    if let Some(auth2) = &target.auth2 {
        cmd.env("GUST_AUTH2", auth2);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run node (Node.js 20 or later is needed): {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("wait for node: {e}")) {
            break status;
        }
        if started.elapsed() > SUITE_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let output = std::fs::read_to_string(&out_path).unwrap_or_default();
            return Err(format!("the compatibility suite did not finish within {SUITE_DEADLINE:?}\n{output}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let output = std::fs::read_to_string(&out_path).unwrap_or_default();
    let (pass, fail) = (summary(&output, "pass"), summary(&output, "fail"));
    if !(status.success() && fail == Some(0) && pass.is_some_and(|n| n > 0)) {
        return Err(format!(
            "the compatibility suite failed ({status}; pass {pass:?}, fail {fail:?}) against {}:\n{output}",
            target.apihost
        ));
    }
    let tail: Vec<&str> = output.lines().rev().take(9).collect();
    eprintln!(
        "compatibility suite passed in {:?}:\n{}",
        started.elapsed(),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

/// The key of a second namespace, `compat2`, created with `gust admin` on `d`'s store.
async fn second_key(d: &dyn Deployment) -> String {
    let key = admin(d, &["user", "create", "compat2"]).await.unwrap_or_else(|e| panic!("user create: {e}"));
    key.trim().to_owned()
}

#[tokio::test]
async fn openwhisk_clients_drive_standalone() {
    let files = test_files();
    let g = Gust::start().await;
    let target = Target {
        apihost: g.url.clone(),
        auth: format!("{}:{}", GUEST.0, GUEST.1),
        auth2: Some(second_key(&g).await),
        docker: false,
    };
    if let Err(e) = run_suite(files, target).await {
        panic!("{e}");
    }
}

#[tokio::test]
async fn openwhisk_clients_drive_a_distributed_deployment() {
    let files = test_files();
    let c = Cluster::start(1, 1, "").await;
    let target = Target {
        apihost: c.url(0).to_owned(),
        auth: format!("{}:{}", GUEST.0, GUEST.1),
        auth2: Some(second_key(&c).await),
        docker: true,
    };
    if let Err(e) = run_suite(files, target).await {
        panic!("{e}\n{}", c.logs());
    }
}
