//! Tests that stop or restart a shared service (CouchDB, the Kafka broker) under load. They
//! live in their own test binary, which cargo runs alone, and take turns inside it, so no
//! other test sees the outage.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gust_tests::cluster::Cluster;
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Mutex;

/// One disruption at a time.
static TURN: Mutex<()> = Mutex::const_new(());

fn service(name: &str, action: &str) {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    let status = Command::new(root.join("scripts/services").join(name))
        .arg(action)
        .status()
        .unwrap_or_else(|e| panic!("scripts/services/{name} {action}: {e}"));
    assert!(status.success(), "scripts/services/{name} {action} failed");
}

/// Invokes `echo` non-blocking in a loop until `stop` is set; returns (accepted ids, statuses).
async fn load(api: gust_tests::Api, stop: Arc<std::sync::atomic::AtomicBool>) -> (Vec<String>, Vec<(u16, String)>) {
    let mut ids = vec![];
    let mut refused = vec![];
    let mut i = 0u64;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        i += 1;
        let r = api.invoke("echo", "", &json!({"i": i})).await;
        match r.status {
            StatusCode::ACCEPTED => ids.extend(r.body["activationId"].as_str().map(str::to_owned)),
            s => refused.push((s.as_u16(), r.error().to_owned())),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (ids, refused)
}

async fn all_stored(c: &Cluster, ids: &[String], within: Duration) {
    let t = Instant::now();
    loop {
        let stored = c.stored_activation_ids().await;
        let missing: Vec<&String> = ids.iter().filter(|id| !stored.contains_key(id.as_str())).collect();
        if missing.is_empty() {
            eprintln!("all {} accepted activations stored", ids.len());
            return;
        }
        assert!(t.elapsed() < within, "{} accepted activations have no record\n{}", missing.len(), c.logs());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn couchdb_down_for_ten_seconds_answers_503_and_recovers_by_itself() {
    let _turn = TURN.lock().await;
    let c = Cluster::start(1, 1, "docker = \"off\"").await;
    let api = c.api(0);
    api.create_wasm("echo", "echo", json!({})).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = tokio::spawn(load(api.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    service("couchdb", "stop");
    // While it is down, reads that need CouchDB answer 503 with a clear message.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = api.get("/api/v1/namespaces/_/activations").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert!(r.error().contains("store is not reachable"), "{}", r.error());
    tokio::time::sleep(Duration::from_secs(8)).await;
    service("couchdb", "start");
    // It recovers by itself: blocking calls succeed again.
    let t = Instant::now();
    loop {
        let r = api.invoke("echo", "blocking=true&result=true&timeout=10000", &json!({"back": true})).await;
        if r.status == StatusCode::OK {
            assert_eq!(r.body, json!({"back": true}));
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "never recovered: {:?}\n{}", r.body, c.logs());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("service back {:?} after CouchDB restarted", t.elapsed());
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (ids, refused) = loader.await.unwrap();
    eprintln!("{} accepted, {} refused during the outage", ids.len(), refused.len());
    for (status, message) in &refused {
        assert_eq!(*status, 503, "only clear 503s: {message}");
        assert!(!message.is_empty());
    }
    all_stored(&c, &ids, Duration::from_secs(120)).await;
    // Every stored record reads back whole (nothing corrupt).
    for id in ids.iter().take(200) {
        let r = api.get(&format!("/api/v1/namespaces/_/activations/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{id}: {:?}", r.body);
        assert_eq!(r.body["response"]["status"], "success");
    }
}

#[tokio::test]
async fn a_kafka_restart_under_load_loses_no_accepted_activation() {
    let _turn = TURN.lock().await;
    let c = Cluster::start(1, 1, "docker = \"off\"").await;
    let api = c.api(0);
    api.create_wasm("echo", "echo", json!({})).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = tokio::spawn(load(api.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    service("kafka", "restart");
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (ids, refused) = loader.await.unwrap();
    eprintln!("{} accepted, {} refused around the broker restart", ids.len(), refused.len());
    assert!(refused.iter().all(|(s, _)| *s == 503), "{refused:?}");
    all_stored(&c, &ids, Duration::from_secs(180)).await;
}
