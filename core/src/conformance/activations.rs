//! [`ActivationStore`] checks: idempotent stores, the list filters, read-your-writes, removal
//! of old records (retention).

use std::future::Future;
use std::sync::Arc;

use serde_json::json;

use crate::activation::{Activation, ActivationResponse};
use crate::ids::ActivationId;
use crate::memory::MemoryActivationStore;
use crate::params::Params;
use crate::semver::SemVer;
use crate::store::{ActivationQuery, ActivationStore};

/// A record of `namespace` for the action at `path` (`ns/name` or `ns/pkg/name`).
pub fn record(namespace: &str, path: &str, start: u64) -> Activation {
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

/// Everything of `namespace`, with the logs.
pub fn query(namespace: &str) -> ActivationQuery {
    ActivationQuery { namespace: namespace.into(), limit: 1000, docs: true, ..Default::default() }
}

/// The starts of `list`, in order.
pub fn starts(list: &[Activation]) -> Vec<u64> {
    list.iter().map(|a| a.start).collect()
}

/// Stores records starting at 10, 20, ... 90 in `guest`: plain `hello` at 10, 40, 70,
/// `utils/hello` at 20, 50, 80, and `other` at 30, 60, 90.
pub async fn fill(store: &dyn ActivationStore) -> Vec<Activation> {
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

/// A stored record reads back whole, and only in its namespace. Returns it.
pub async fn stored_records_read_back_whole_with_their_logs(store: &dyn ActivationStore) -> Activation {
    let a = record("guest", "guest/hello", 10);
    store.store(Arc::new(a.clone())).await.expect("store");
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a.clone()));
    assert_eq!(store.get("someone-else", a.activation_id).await.expect("get"), None);
    assert_eq!(store.get("guest", ActivationId::generate()).await.expect("get"), None);
    a
}

/// A redelivered activation (same id) keeps the first record; the same id is free in
/// another namespace.
pub async fn storing_the_same_activation_twice_keeps_one_record(store: &dyn ActivationStore) {
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

/// Lists are newest start first, paged by skip and limit, and see one namespace only.
pub async fn lists_are_newest_start_first_with_skip_and_limit(store: &dyn ActivationStore) {
    let all = fill(store).await;
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

/// Records with the same start come in the order of the in-memory reference store.
pub async fn equal_starts_are_ordered_by_activation_id_like_the_reference_store(store: &dyn ActivationStore) {
    let memory = MemoryActivationStore::default();
    for _ in 0..20 {
        let a = Arc::new(record("guest", "guest/hello", 7));
        store.store(a.clone()).await.expect("store");
        memory.store(a).await.expect("store in memory");
    }
    assert_eq!(store.list(&query("guest")).await.expect("list"), memory.list(&query("guest")).await.expect("list"));
}

/// `name` matches the action's name, with its package when it has one.
pub async fn the_name_filter_matches_plain_and_packaged_names(store: &dyn ActivationStore) {
    fill(store).await;
    let plain = ActivationQuery { name: Some("hello".into()), ..query("guest") };
    assert_eq!(starts(&store.list(&plain).await.expect("list")), [70, 40, 10]);
    let packaged = ActivationQuery { name: Some("utils/hello".into()), ..query("guest") };
    assert_eq!(starts(&store.list(&packaged).await.expect("list")), [80, 50, 20]);
    let missing = ActivationQuery { name: Some("nope".into()), ..query("guest") };
    assert!(store.list(&missing).await.expect("list").is_empty());
    assert_eq!(store.count(&packaged).await.expect("count"), 3);
}

/// `since` and `upto` bound `start`, both inclusive; a reversed window is empty.
pub async fn since_and_upto_are_inclusive_bounds_on_start(store: &dyn ActivationStore) {
    fill(store).await;
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

/// `count` honours skip (and the filters) but not limit.
pub async fn count_applies_skip_but_not_limit(store: &dyn ActivationStore) {
    fill(store).await;
    assert_eq!(store.count(&query("guest")).await.expect("count"), 9);
    assert_eq!(store.count(&ActivationQuery { limit: 2, ..query("guest") }).await.expect("count"), 9);
    assert_eq!(store.count(&ActivationQuery { skip: 4, limit: 2, ..query("guest") }).await.expect("count"), 5);
    assert_eq!(store.count(&ActivationQuery { skip: 50, ..query("guest") }).await.expect("count"), 0);
    let window = ActivationQuery { since: Some(20), upto: Some(50), skip: 1, ..query("guest") };
    assert_eq!(store.count(&window).await.expect("count"), 3);
    assert_eq!(store.count(&query("nobody")).await.expect("count"), 0);
}

/// `docs: false` lists everything but the logs.
pub async fn summaries_without_docs_leave_the_logs_out(store: &dyn ActivationStore) {
    let all = fill(store).await;
    let summaries = store.list(&ActivationQuery { docs: false, ..query("guest") }).await.expect("list");
    assert_eq!(summaries.len(), 9);
    assert!(summaries.iter().all(|a| a.logs.is_empty()));
    let newest = &all[8];
    assert_eq!(summaries[0], Activation { logs: Vec::new(), ..newest.clone() });
    let docs = store.list(&query("guest")).await.expect("list");
    assert_eq!(&docs[0], newest);
    assert_eq!(docs[0].logs.len(), 2);
}

/// A queued record (its write not yet durable) is already read, counted and listed.
pub async fn a_queued_record_is_readable_before_it_is_durable(store: &dyn ActivationStore) {
    let a = record("guest", "guest/hello", 10);
    let durable = store.store(Arc::new(a.clone()));
    // Not awaited yet: the record is queued, and this store already answers with it.
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a.clone()));
    let q = ActivationQuery { namespace: "guest".into(), limit: 10, ..Default::default() };
    assert_eq!(store.count(&q).await.expect("count"), 1);
    assert_eq!(store.list(&q).await.expect("list").len(), 1);
    durable.await.expect("durable");
    assert_eq!(store.get("guest", a.activation_id).await.expect("get"), Some(a));
}

/// 200 records written at once; every combination of filters lists and counts what the
/// in-memory reference store does.
pub async fn filters_match_the_memory_reference_store(store: &dyn ActivationStore) {
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

/// 2000 stores spawned at once race `close` (which closes `store`): returns the ids of the
/// stores that were accepted, after checking that a store after the close is refused. The
/// caller then checks that every accepted record is durable.
pub async fn stores_racing_a_close(
    store: Arc<dyn ActivationStore>,
    close: impl Future<Output = ()>,
) -> Vec<ActivationId> {
    let mut tasks = Vec::new();
    for i in 0..2000u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let a = record("guest", "guest/hello", i);
            let id = a.activation_id;
            store.store(Arc::new(a)).await.map(|()| id)
        }));
    }
    tokio::task::yield_now().await;
    close.await;
    let mut accepted = Vec::new();
    for t in tasks {
        if let Ok(id) = t.await.expect("task") {
            accepted.push(id);
        }
    }
    assert!(store.store(Arc::new(record("guest", "guest/late", 1))).await.is_err(), "closed stores refuse writes");
    accepted
}

/// `remove_older_than(cutoff)` removes the records of every namespace that started before
/// `cutoff`, with their logs, and says how many; records at or after it stay; removing again
/// removes nothing.
pub async fn records_started_before_the_cutoff_are_removed_in_every_namespace(store: &dyn ActivationStore) {
    let all = fill(store).await;
    let mut others = Vec::new();
    for start in [5, 50, 95] {
        let a = record("other", "other/hello", start);
        store.store(Arc::new(a.clone())).await.expect("store elsewhere");
        others.push(a);
    }
    assert_eq!(store.remove_older_than(0).await.expect("remove nothing"), 0);
    assert_eq!(store.remove_older_than(50).await.expect("remove"), 5, "guest 10..40 and other 5");
    assert_eq!(starts(&store.list(&query("guest")).await.expect("list")), [90, 80, 70, 60, 50]);
    assert_eq!(starts(&store.list(&query("other")).await.expect("list")), [95, 50]);
    assert_eq!(store.count(&query("guest")).await.expect("count"), 5);
    for gone in all.iter().filter(|a| a.start < 50).chain(&others[..1]) {
        assert_eq!(store.get(&gone.namespace, gone.activation_id).await.expect("get"), None, "{}", gone.start);
    }
    let kept = &all[4];
    assert_eq!(store.get("guest", kept.activation_id).await.expect("get"), Some(kept.clone()), "logs stay too");
    assert_eq!(store.remove_older_than(50).await.expect("remove again"), 0);
    assert_eq!(store.remove_older_than(91).await.expect("remove more"), 6);
    assert_eq!(starts(&store.list(&query("other")).await.expect("list")), [95]);
    assert!(store.list(&query("guest")).await.expect("list").is_empty());
}

/// 1200 old records (more than a backend's removal batch) go, including ones whose write
/// is still queued; newer ones stay, and a removed id can be stored again.
pub async fn many_old_records_are_removed_in_batches_with_queued_ones(store: &dyn ActivationStore) {
    let mut writes = Vec::new();
    let mut old = Vec::new();
    for i in 0..1200u64 {
        let ns = if i % 2 == 0 { "guest" } else { "other" };
        let a = Arc::new(record(ns, &format!("{ns}/a{}", i % 7), 1000 + i));
        old.push(a.clone());
        writes.push(store.store(a));
    }
    let mut new = Vec::new();
    for i in 0..10u64 {
        let a = Arc::new(record("guest", "guest/new", 5000 + i));
        new.push(a.clone());
        writes.push(store.store(a));
    }
    // Not awaited: the removal still sees every record stored before it.
    assert_eq!(store.remove_older_than(5000).await.expect("remove"), 1200);
    for w in writes {
        w.await.expect("store");
    }
    assert_eq!(starts(&store.list(&query("guest")).await.expect("list")), (5000..5010).rev().collect::<Vec<_>>());
    assert_eq!(store.count(&query("other")).await.expect("count"), 0);
    assert_eq!(store.remove_older_than(5000).await.expect("remove again"), 0);

    let again = old[0].clone();
    store.store(again.clone()).await.expect("store a removed id again");
    assert_eq!(store.get("guest", again.activation_id).await.expect("get"), Some((*again).clone()));
    assert_eq!(store.count(&query("guest")).await.expect("count"), 11);
}
