//! Tests that stop or restart a shared service (CouchDB, the Kafka broker) under load. They
//! live in their own test binary, which cargo runs alone, and take turns inside it, so no
//! other test sees the outage.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// What a load got: the accepted ids, and the refusals (status, message).
type Outcome = (Vec<String>, Vec<(u16, String)>);

/// Non-blocking invokes of `echo` in a loop on its own task, until [`Load::finish`].
struct Load {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Outcome>,
}

impl Load {
    /// A cluster of one controller and one Wasm invoker, `echo` created, under load.
    async fn start() -> (Cluster, gust_tests::Api, Load) {
        let c = Cluster::start(1, 1, "docker = \"off\"").await;
        let api = c.api(0);
        api.create_wasm("echo", "echo", json!({})).await;
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(invoke_until(api.clone(), stop.clone()));
        (c, api, Load { stop, task })
    }

    /// Stops the load; returns what it got.
    async fn finish(self) -> Outcome {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap_or_else(|e| panic!("the load task failed: {e}"))
    }
}

async fn invoke_until(api: gust_tests::Api, stop: Arc<AtomicBool>) -> Outcome {
    let mut ids = vec![];
    let mut refused = vec![];
    let mut i = 0u64;
    while !stop.load(Ordering::SeqCst) {
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

#[tokio::test]
async fn couchdb_down_for_ten_seconds_answers_503_and_recovers_by_itself() {
    let _turn = TURN.lock().await;
    let (c, api, load) = Load::start().await;
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
    let (ids, refused) = load.finish().await;
    eprintln!("{} accepted, {} refused during the outage", ids.len(), refused.len());
    for (status, message) in &refused {
        assert_eq!(*status, 503, "only clear 503s: {message}");
        assert!(!message.is_empty());
    }
    c.await_stored(&ids, Duration::from_secs(120)).await;
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
    let (c, _, load) = Load::start().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    service("kafka", "restart");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (ids, refused) = load.finish().await;
    eprintln!("{} accepted, {} refused around the broker restart", ids.len(), refused.len());
    assert!(refused.iter().all(|(s, _)| *s == 503), "{refused:?}");
    c.await_stored(&ids, Duration::from_secs(180)).await;
}
