//! The activation store against a real CouchDB-compatible server: idempotence, filters, read
//! your writes, the bulk writer, close.

mod common;

use std::sync::Arc;

use common::TestStore;
use gust_core::action::SemVer;
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::ids::ActivationId;
use gust_core::memory::MemoryActivationStore;
use gust_core::params::Params;
use gust_core::store::{ActivationQuery, ActivationStore};
use gust_couchdb::CouchStore;
use serde_json::json;

/// A record of `namespace` for the action at `path` (`ns/name` or `ns/pkg/name`).
fn record(namespace: &str, path: &str, start: u64) -> Activation {
    let name = path.rsplit('/').next().unwrap_or(path).to_owned();
    Activation {
        namespace: namespace.into(),
        name,
        subject: namespace.into(),
        activation_id: ActivationId::generate(),
        start,
        end: start + 3,
        duration: Some(3),
        response: ActivationResponse::success(json!({"payload": format!("hello at {start}")}), Some(30)),
        logs: vec![
            format!("2017-04-27T21:14:13.767000Z    stdout: started {start}"),
            "2017-04-27T21:14:13.768000Z    stderr: done".into(),
        ],
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("path", json!(path)).with("kind", json!("wasm:wasip1")),
        cause: None,
    }
}

fn query(namespace: &str) -> ActivationQuery {
    ActivationQuery { namespace: namespace.into(), limit: 1000, docs: true, ..Default::default() }
}

fn starts(list: &[Activation]) -> Vec<u64> {
    list.iter().map(|a| a.start).collect()
}

/// Stores records starting at 10, 20, ... 90 in `guest`: plain `hello` at 10, 40, 70,
/// `utils/hello` at 20, 50, 80, and `other` at 30, 60, 90.
async fn fill(store: &CouchStore) -> Vec<Activation> {
    let mut all = Vec::new();
    for i in 1..=9u64 {
        let path = match i % 3 {
            1 => "guest/hello",
            2 => "guest/utils/hello",
            _ => "guest/other",
        };
        let a = record("guest", path, i * 10);
        store.store(Arc::new(a.clone())).await.expect("store");
        all.push(a);
    }
    all
}

#[tokio::test]
async fn stored_records_read_back_whole_with_their_logs() {
    let store = TestStore::open().await;
    let a = record("guest", "guest/hello", 10);
    store.store(Arc::new(a.clone())).await.expect("store");
    assert_eq!(store.queued(), 0);
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a.clone()));
    assert_eq!(store.get("someone-else", a.activation_id).await.expect("get"), None);
    assert_eq!(store.get("guest", ActivationId::generate()).await.expect("get"), None);
    // A fresh store (nothing queued) reads it from the server.
    let other = CouchStore::open(store.config()).await.expect("open another store");
    assert_eq!(other.get("guest", a.activation_id).await.expect("get"), Some(a));
}

#[tokio::test]
async fn storing_the_same_activation_twice_keeps_one_record() {
    let store = TestStore::open().await;
    let a = record("guest", "guest/hello", 10);
    store.store(Arc::new(a.clone())).await.expect("store");
    let mut redelivered = a.clone();
    redelivered.start = 99;
    store.store(Arc::new(redelivered)).await.expect("second store of the same id");
    assert_eq!(store.count(&query("guest")).await.expect("count"), 1);
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a.clone()));

    let mut elsewhere = a.clone();
    elsewhere.namespace = "other".into();
    store.store(Arc::new(elsewhere.clone())).await.expect("same id in another namespace");
    assert_eq!(store.get("other", a.activation_id).await.expect("get"), Some(elsewhere));
}

#[tokio::test]
async fn the_same_activation_twice_in_one_batch_is_stored_once() {
    let store = TestStore::open().await;
    let a = Arc::new(record("guest", "guest/hello", 10));
    // Queued back to back: both land in one _bulk_docs batch (or two; either way one record).
    let first = store.store(a.clone());
    let second = store.store(a.clone());
    first.await.expect("first");
    second.await.expect("second");
    assert_eq!(store.count(&query("guest")).await.expect("count"), 1);
    // A different store (another invoker) writing it again also succeeds.
    let other = CouchStore::open(store.config()).await.expect("open another store");
    other.store(a.clone()).await.expect("stored again by another store");
    assert_eq!(other.count(&query("guest")).await.expect("count"), 1);
}

#[tokio::test]
async fn lists_are_newest_start_first_with_skip_and_limit() {
    let store = TestStore::open().await;
    let all = fill(&store).await;
    store.store(Arc::new(record("other", "other/hello", 55))).await.expect("store elsewhere");
    store.store(Arc::new(record("guest2", "guest2/hello", 56))).await.expect("store in a similar namespace");

    let list = store.list(&query("guest")).await.expect("list");
    assert_eq!(starts(&list), [90, 80, 70, 60, 50, 40, 30, 20, 10]);
    assert_eq!(list[8], all[0]);
    let page = store.list(&ActivationQuery { skip: 2, limit: 3, ..query("guest") }).await.expect("list");
    assert_eq!(starts(&page), [70, 60, 50]);
    let none = store.list(&ActivationQuery { limit: 0, ..query("guest") }).await.expect("list");
    assert!(none.is_empty());
}

#[tokio::test]
async fn equal_starts_are_ordered_by_activation_id_like_the_reference_store() {
    let store = TestStore::open().await;
    let memory = MemoryActivationStore::default();
    for _ in 0..20 {
        let a = Arc::new(record("guest", "guest/hello", 7));
        store.store(a.clone()).await.expect("store");
        memory.store(a).await.expect("store in memory");
    }
    assert_eq!(store.list(&query("guest")).await.expect("list"), memory.list(&query("guest")).await.expect("list"));
}

#[tokio::test]
async fn the_name_filter_matches_plain_and_packaged_names() {
    let store = TestStore::open().await;
    fill(&store).await;
    let plain = ActivationQuery { name: Some("hello".into()), ..query("guest") };
    assert_eq!(starts(&store.list(&plain).await.expect("list")), [70, 40, 10]);
    let packaged = ActivationQuery { name: Some("utils/hello".into()), ..query("guest") };
    assert_eq!(starts(&store.list(&packaged).await.expect("list")), [80, 50, 20]);
    let missing = ActivationQuery { name: Some("nope".into()), ..query("guest") };
    assert!(store.list(&missing).await.expect("list").is_empty());
    assert_eq!(store.count(&packaged).await.expect("count"), 3);
}

#[tokio::test]
async fn since_and_upto_are_inclusive_bounds_on_start() {
    let store = TestStore::open().await;
    fill(&store).await;
    let since = ActivationQuery { since: Some(60), ..query("guest") };
    assert_eq!(starts(&store.list(&since).await.expect("list")), [90, 80, 70, 60]);
    let upto = ActivationQuery { upto: Some(30), ..query("guest") };
    assert_eq!(starts(&store.list(&upto).await.expect("list")), [30, 20, 10]);
    let window = ActivationQuery { since: Some(20), upto: Some(50), ..query("guest") };
    assert_eq!(starts(&store.list(&window).await.expect("list")), [50, 40, 30, 20]);
    let named = ActivationQuery { name: Some("hello".into()), since: Some(40), upto: Some(70), ..query("guest") };
    assert_eq!(starts(&store.list(&named).await.expect("list")), [70, 40]);
    let huge = ActivationQuery { since: Some(u64::MAX), ..query("guest") };
    assert!(store.list(&huge).await.expect("list").is_empty());
    let reversed = ActivationQuery { since: Some(50), upto: Some(20), ..query("guest") };
    assert!(store.list(&reversed).await.expect("list").is_empty());
    assert_eq!(store.count(&reversed).await.expect("count"), 0);
}

#[tokio::test]
async fn count_applies_skip_but_not_limit() {
    let store = TestStore::open().await;
    fill(&store).await;
    assert_eq!(store.count(&query("guest")).await.expect("count"), 9);
    assert_eq!(store.count(&ActivationQuery { limit: 2, ..query("guest") }).await.expect("count"), 9);
    assert_eq!(store.count(&ActivationQuery { skip: 4, limit: 2, ..query("guest") }).await.expect("count"), 5);
    assert_eq!(store.count(&ActivationQuery { skip: 50, ..query("guest") }).await.expect("count"), 0);
    let window = ActivationQuery { since: Some(20), upto: Some(50), skip: 1, ..query("guest") };
    assert_eq!(store.count(&window).await.expect("count"), 3);
    assert_eq!(store.count(&query("nobody")).await.expect("count"), 0);
}

#[tokio::test]
async fn summaries_without_docs_leave_the_logs_out() {
    let store = TestStore::open().await;
    let all = fill(&store).await;
    let summaries = store.list(&ActivationQuery { docs: false, ..query("guest") }).await.expect("list");
    assert_eq!(summaries.len(), 9);
    assert!(summaries.iter().all(|a| a.logs.is_empty()));
    let newest = &all[8];
    assert_eq!(summaries[0], Activation { logs: Vec::new(), ..newest.clone() });
    let docs = store.list(&query("guest")).await.expect("list");
    assert_eq!(&docs[0], newest);
    assert_eq!(docs[0].logs.len(), 2);
}

#[tokio::test]
async fn odd_namespaces_and_big_logs_round_trip() {
    let store = TestStore::open().await;
    let mut big = record("_under", "_under/pkg/x y", 5);
    big.logs =
        (0..2000).map(|i| format!("2017-04-27T21:14:13.767000Z    stdout: line {i} {}", "x".repeat(200))).collect();
    let tilde = record("~t", "~t/a", 6);
    for a in [&big, &tilde] {
        store.store(Arc::new(a.clone())).await.expect("store");
    }
    let other = CouchStore::open(store.config()).await.expect("open another store");
    assert_eq!(other.get("_under", big.activation_id).await.expect("get"), Some(big.clone()));
    assert_eq!(other.get("~t", tilde.activation_id).await.expect("get"), Some(tilde.clone()));
    let named = ActivationQuery { name: Some("pkg/x y".into()), ..query("_under") };
    assert_eq!(other.list(&named).await.expect("list"), [big.clone()]);
    let summaries = other.list(&ActivationQuery { docs: false, ..query("_under") }).await.expect("list");
    assert_eq!(summaries, [Activation { logs: Vec::new(), ..big }]);
}

#[tokio::test]
async fn records_are_readable_before_they_are_durable() {
    let store = TestStore::open().await;
    let a = record("guest", "guest/hello", 10);
    let durable = store.store(Arc::new(a.clone()));
    // Not awaited yet: the record is queued, and this store already answers with it.
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a.clone()));
    let q = ActivationQuery { namespace: "guest".into(), limit: 10, ..Default::default() };
    assert_eq!(store.count(&q).await.expect("count"), 1);
    assert_eq!(store.list(&q).await.expect("list").len(), 1);
    durable.await.expect("durable");
    assert_eq!(store.queued(), 0);
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a));
}

#[tokio::test]
async fn filters_match_the_memory_reference_store() {
    let store = TestStore::open().await;
    let memory = MemoryActivationStore::default();
    let paths = ["guest/a", "guest/b", "guest/pkg/a", "other/a"];
    let mut writes = Vec::new();
    for i in 0..200u64 {
        let path = paths[(i % 4) as usize];
        let ns = path.split('/').next().unwrap_or_default();
        let a = Arc::new(record(ns, path, (i * 7919) % 50));
        writes.push(store.store(a.clone()));
        memory.store(a).await.expect("store in memory");
    }
    for w in writes {
        w.await.expect("store");
    }
    for name in [None, Some("a"), Some("pkg/a"), Some("b"), Some("c")] {
        for (since, upto) in
            [(None, None), (Some(10), None), (None, Some(20)), (Some(15), Some(15)), (Some(30), Some(10))]
        {
            for (skip, limit) in [(0, 1000), (3, 7), (100, 5), (0, 0)] {
                for docs in [true, false] {
                    let q = ActivationQuery {
                        namespace: "guest".into(),
                        name: name.map(str::to_owned),
                        since,
                        upto,
                        skip,
                        limit,
                        docs,
                    };
                    let mut expected = memory.list(&q).await.expect("memory list");
                    if !docs {
                        expected.iter_mut().for_each(|a| a.logs.clear());
                    }
                    assert_eq!(store.list(&q).await.expect("list"), expected, "{q:?}");
                    assert_eq!(store.count(&q).await.expect("count"), memory.count(&q).await.expect("count"), "{q:?}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_accepted_before_close_are_all_stored() {
    let store = TestStore::open().await;
    let mut tasks = Vec::new();
    for i in 0..2000u64 {
        let store = store.store.clone();
        tasks.push(tokio::spawn(async move {
            let a = record("guest", "guest/hello", i);
            let id = a.activation_id;
            store.store(Arc::new(a)).await.map(|()| id)
        }));
    }
    tokio::task::yield_now().await;
    store.close().await.expect("close");
    let mut accepted = Vec::new();
    for t in tasks {
        if let Ok(id) = t.await.expect("task") {
            accepted.push(id);
        }
    }
    assert!(store.store(Arc::new(record("guest", "guest/late", 1))).await.is_err(), "closed stores refuse writes");
    assert_eq!(store.queued(), 0, "a refused record is not left queued");
    // Reads keep working after close.
    assert_eq!(store.count(&query("guest")).await.expect("count"), accepted.len() as u64);

    let other = CouchStore::open(store.config()).await.expect("open another store");
    for id in &accepted {
        assert!(other.get("guest", *id).await.expect("get").is_some(), "accepted record {id} was lost");
    }
    println!("{} of 2000 stores were accepted before close; all of them are stored", accepted.len());
}
