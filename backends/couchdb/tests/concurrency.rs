//! Thousands of concurrent activation stores against the real server: all present, and the
//! rate the bulk writer reaches is printed (a report, never a pass/fail threshold).

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::TestStore;
use gust_core::action::SemVer;
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::ids::ActivationId;
use gust_core::params::Params;
use gust_core::store::{ActivationQuery, ActivationStore};
use gust_couchdb::CouchStore;
use serde_json::json;

fn record(start: u64) -> Activation {
    Activation {
        namespace: "guest".into(),
        name: "hello".into(),
        subject: "guest".into(),
        activation_id: ActivationId::generate(),
        start,
        end: start + 1,
        duration: Some(1),
        response: ActivationResponse::success(json!({"payload": "Hello, World!"}), Some(27)),
        logs: vec!["2017-04-27T21:14:13.767000Z    stdout: hello".into()],
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new()
            .with("path", json!("guest/hello"))
            .with("kind", json!("wasm:wasip1"))
            .with("waitTime", json!(3))
            .with("limits", json!({"timeout": 60000, "memory": 256, "logs": 10, "concurrency": 1})),
        cause: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_stores_are_all_present_and_the_rate_is_printed() {
    const TASKS: u64 = 2_000;
    const PER_TASK: u64 = 5;
    let store = TestStore::open().await;
    let began = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..PER_TASK {
                let a = record(t * PER_TASK + i);
                ids.push(a.activation_id);
                store.store(Arc::new(a)).await.expect("store");
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.expect("task"));
    }
    let elapsed = began.elapsed();
    let total = TASKS * PER_TASK;
    println!(
        "stored {total} activations from {TASKS} concurrent tasks ({PER_TASK} each, one after another) \
         in {:.3}s: {:.0} records/s durable, via _bulk_docs",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );

    // Another store sees every one of them (from the server, not from a queue).
    let other = CouchStore::open(store.config()).await.expect("open another store");
    let q = ActivationQuery { namespace: "guest".into(), limit: 10, ..Default::default() };
    let counted = Instant::now();
    assert_eq!(other.count(&q).await.expect("count"), total);
    println!("first count after the writes (indexes {total} records): {:.3}s", counted.elapsed().as_secs_f64());
    let page = ActivationQuery { limit: 200, docs: false, ..q.clone() };
    let listed = other.list(&page).await.expect("list");
    assert_eq!(listed.len(), 200);
    assert_eq!(listed[0].start, total - 1);
    for id in ids.iter().step_by(97) {
        assert!(other.get("guest", *id).await.expect("get").is_some(), "record {id} is missing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_queued_at_once_is_group_committed() {
    const RECORDS: u64 = 5_000;
    let store = TestStore::open().await;
    let began = Instant::now();
    let durables: Vec<_> = (0..RECORDS).map(|i| store.store(Arc::new(record(i)))).collect();
    let queued = began.elapsed();
    for d in durables {
        d.await.expect("store");
    }
    let elapsed = began.elapsed();
    println!(
        "queued {RECORDS} activations in {:.3}s; all durable after {:.3}s: {:.0} records/s",
        queued.as_secs_f64(),
        elapsed.as_secs_f64(),
        RECORDS as f64 / elapsed.as_secs_f64()
    );
    let q = ActivationQuery { namespace: "guest".into(), limit: 1, ..Default::default() };
    assert_eq!(store.count(&q).await.expect("count"), RECORDS);
}
