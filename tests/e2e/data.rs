//! The data directory: files only their owner can read, and activation retention.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gust_core::conformance::activations::record;
use gust_core::store::ActivationStore;
use gust_sqlite::SqliteStore;
use gust_tests::Gust;
use reqwest::StatusCode;
use serde_json::json;

const DAY_MS: u64 = 86_400_000;

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
    let g = Gust::start_after("umask 022", tmp, data, &[]).await;
    let api = &g.api;
    api.create_wasm("hello", "hello", json!({})).await;
    let r = api.invoke("hello", "blocking=true&result=true", &json!({"name": "modes"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The data directory and the parent it created.
    let all = modes(g.data_dir().parent().expect("the parent"));
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
    drop(g);
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
