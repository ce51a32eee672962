//! The data directory: files only their owner can read, and activation retention.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gust_core::conformance::activations::record;
use gust_core::store::ActivationStore;
use gust_sqlite::SqliteStore;
use gust_tests::{Api, GUEST, Gust, free_port, gust_bin};
use reqwest::StatusCode;
use serde_json::json;

const DAY_MS: u64 = 86_400_000;

/// A `gust standalone` started by hand, stopped (TERM, then KILL) when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every directory and file under `dir` (itself included), with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32, bool)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(p) = todo.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        out.push((p.clone(), meta.permissions().mode() & 0o777, meta.is_dir()));
        if meta.is_dir() {
            for entry in std::fs::read_dir(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())) {
                todo.push(entry.unwrap_or_else(|e| panic!("{e}")).path());
            }
        }
    }
    out
}

/// Under the common umask 022, `gust standalone --data-dir` on a directory that does not exist
/// yet creates it (and its parent) 0700, and the database, its WAL and shared memory, the
/// remembered key and the compiled modules 0600.
#[tokio::test]
async fn data_files_are_owner_only_under_umask_022() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("fresh/data");
    let port = free_port();
    let log_path = tmp.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let child = Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(gust_bin())
        .args(["standalone", "--docker", "off", "--port", &port.to_string(), "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start gust");
    let mut running = Running(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/ping")).await
            && r.status().is_success()
        {
            break;
        }
        if let Ok(Some(status)) = running.0.try_wait() {
            panic!("gust exited early: {status}\n{}", std::fs::read_to_string(&log_path).unwrap_or_default());
        }
        assert!(Instant::now() < deadline, "gust standalone did not answer /ping within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let api = Api::new(&url, Some(GUEST));
    api.create_wasm("hello", "hello", json!({})).await;
    let r = api.invoke("hello", "blocking=true&result=true", &json!({"name": "modes"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let all = modes(&tmp.path().join("fresh"));
    let loose: Vec<_> = all
        .iter()
        .filter(|(_, mode, dir)| *mode != if *dir { 0o700 } else { 0o600 })
        .map(|(p, mode, _)| format!("{} {mode:o}", p.display()))
        .collect();
    assert!(loose.is_empty(), "not owner-only: {loose:?}");
    let names: Vec<String> =
        all.iter().filter_map(|(p, _, _)| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
    for expected in ["gust.db", "gust.db-wal", "gust.db-shm", "standalone-key", "wasm-cache"] {
        assert!(names.iter().any(|n| n == expected), "{expected} is missing from {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".cwasm")), "no compiled module in {names:?}");
    drop(running);
}

/// With the default retention (7 days), the sweep at start removes a record that started 8
/// days ago, logs and all, and keeps one of yesterday.
#[tokio::test]
async fn records_past_the_retention_are_removed_and_newer_ones_stay() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = gust_core::time::now_ms();
    let old = record("guest", "guest/hello", now - 8 * DAY_MS);
    let recent = record("guest", "guest/hello", now - DAY_MS);
    {
        let store = SqliteStore::open(&tmp.path().join("gust.db")).expect("open the store");
        for a in [&old, &recent] {
            store.store(Arc::new(a.clone())).await.expect("store");
        }
        store.close().await.expect("close");
    }
    let g = Gust::start_in(tmp, &[]).await;
    let path = |a: &gust_core::activation::Activation| format!("/api/v1/namespaces/_/activations/{}", a.activation_id);
    let deadline = Instant::now() + Duration::from_secs(60);
    while g.api.get(&path(&old)).await.status == StatusCode::OK {
        assert!(Instant::now() < deadline, "the 8-day-old record is still there after 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(g.api.get(&format!("{}/logs", path(&old))).await.status, StatusCode::NOT_FOUND);
    let kept = g.api.get(&path(&recent)).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert_eq!(kept.body["activationId"], json!(recent.activation_id.to_string()));
    let list = g.api.get("/api/v1/namespaces/_/activations?limit=10").await;
    let ids: Vec<&str> =
        list.body.as_array().expect("a list").iter().filter_map(|a| a["activationId"].as_str()).collect();
    assert_eq!(ids, [recent.activation_id.to_string()]);
}
