//! The real server stopped and started again (scripts/services/couchdb stop, start) while
//! activation records are being written: every record accepted meanwhile is stored once the
//! server is back, and callers that wait for durability simply wait.
//!
//! This binary holds this one test on purpose: cargo runs test binaries one after another, so
//! no other test of this crate runs while the server is down. It needs the server to be the
//! one the script manages (the default); it restarts it on the port of `GUST_TEST_COUCHDB`.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestStore;
use gust_core::action::SemVer;
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::ids::ActivationId;
use gust_core::params::Params;
use gust_core::store::{ActivationQuery, ActivationStore, EntityStore, StoreError};
use gust_couchdb::CouchStore;
use serde_json::json;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/services/couchdb")
}

fn port() -> u16 {
    let url = reqwest::Url::parse(&common::server_url()).expect("GUST_TEST_COUCHDB is a URL");
    url.port_or_known_default().unwrap_or(5984)
}

/// Runs `scripts/services/couchdb <action>` for the test server's port.
fn service(action: &str) -> Result<(), String> {
    let out = std::process::Command::new("bash")
        .arg(script())
        .arg(action)
        .env("GUST_COUCHDB_PORT", port().to_string())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script().display()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stderr}");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "scripts/services/couchdb {action} failed ({}): {stderr}\n(this test restarts the server the script \
             manages; {})",
            out.status,
            common::HINT
        ))
    }
}

async fn service_async(action: &'static str) {
    tokio::task::spawn_blocking(move || service(action)).await.expect("service task").unwrap_or_else(|e| panic!("{e}"));
}

/// Starts the server again if the test ends (or panics) while it is stopped.
struct ServerBack;

impl Drop for ServerBack {
    fn drop(&mut self) {
        if let Err(e) = service("start") {
            eprintln!("could not start the server again: {e}");
        }
    }
}

fn record(producer: u64, i: u64) -> Activation {
    Activation {
        namespace: "guest".into(),
        name: "hello".into(),
        subject: "guest".into(),
        activation_id: ActivationId::generate(),
        start: producer * 1_000_000 + i,
        end: producer * 1_000_000 + i + 1,
        duration: Some(1),
        response: ActivationResponse::success(json!({"producer": producer, "i": i}), None),
        logs: vec![format!("2017-04-27T21:14:13.767000Z    stdout: {producer}/{i}")],
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("path", json!("guest/hello")),
        cause: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_queued_while_the_server_restarts_are_all_stored() {
    const PRODUCERS: u64 = 8;
    const PER_PRODUCER: u64 = 150;
    let store = TestStore::open().await;
    let _server_back = ServerBack;

    // Half the producers queue without waiting (fire and forget, durables collected); the
    // other half wait for each record to be durable before the next, like an invoker that
    // commits its bus offset only then.
    let began = Instant::now();
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let store = store.store.clone();
        producers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut durables = Vec::new();
            for i in 0..PER_PRODUCER {
                let a = record(p, i);
                ids.push(a.activation_id);
                let durable = store.store(Arc::new(a));
                if p % 2 == 0 {
                    durables.push(durable);
                } else {
                    durable.await.expect("durable");
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            for d in durables {
                d.await.expect("durable");
            }
            ids
        }));
    }

    tokio::time::sleep(Duration::from_millis(400)).await;
    service_async("stop").await;
    let stopped = Instant::now();

    // While it is away: queued records are readable here, entity reads say Unavailable.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queued = store.queued();
    assert!(queued > 0, "records should be queued while the server is down");
    assert!(matches!(EntityStore::get(&store.store, "guest/x").await, Err(StoreError::Unavailable(_))));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let queued_before_start = store.queued();

    service_async("start").await;
    let restarted = Instant::now();
    println!(
        "server down for {:.1}s; {queued_before_start} records were queued when it came back",
        stopped.elapsed().as_secs_f64()
    );

    let mut ids = Vec::new();
    for p in producers {
        let produced = tokio::time::timeout(Duration::from_secs(120), p)
            .await
            .expect("every producer finishes once the server is back")
            .expect("producer");
        ids.extend(produced);
    }
    println!(
        "all {} records durable {:.2}s after the restart ({:.1}s in all)",
        ids.len(),
        restarted.elapsed().as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
    assert_eq!(store.queued(), 0);

    // A fresh store reads every record from the server.
    let other = CouchStore::open(store.config()).await.expect("open another store");
    let q = ActivationQuery { namespace: "guest".into(), limit: 1, ..Default::default() };
    assert_eq!(ActivationStore::count(&other, &q).await.expect("count"), PRODUCERS * PER_PRODUCER);
    for id in &ids {
        assert!(ActivationStore::get(&other, "guest", *id).await.expect("get").is_some(), "record {id} was lost");
    }
}
