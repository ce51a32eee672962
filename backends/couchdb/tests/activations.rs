//! The activation store against a real CouchDB-compatible server: idempotence, filters, read
//! your writes, the bulk writer, close.

mod common;

use std::sync::Arc;

use common::TestStore;
use gust_core::activation::Activation;
use gust_core::conformance;
use gust_core::conformance::activations::{query, record};
use gust_core::store::{ActivationQuery, ActivationStore};
use gust_couchdb::CouchStore;

#[tokio::test]
async fn stored_records_read_back_whole_with_their_logs() {
    let store = TestStore::open().await;
    let a = conformance::activations::stored_records_read_back_whole_with_their_logs(&store.store).await;
    assert_eq!(store.queued(), 0);
    // A fresh store (nothing queued) reads it from the server.
    let other = CouchStore::open(store.config()).await.expect("open another store");
    assert_eq!(other.get("guest", a.activation_id).await.expect("get"), Some(a));
}

#[tokio::test]
async fn storing_the_same_activation_twice_keeps_one_record() {
    let store = TestStore::open().await;
    conformance::activations::storing_the_same_activation_twice_keeps_one_record(&store.store).await;
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
    conformance::activations::lists_are_newest_start_first_with_skip_and_limit(&store.store).await;
}

#[tokio::test]
async fn equal_starts_are_ordered_by_activation_id_like_the_reference_store() {
    let store = TestStore::open().await;
    conformance::activations::equal_starts_are_ordered_by_activation_id_like_the_reference_store(&store.store).await;
}

#[tokio::test]
async fn the_name_filter_matches_plain_and_packaged_names() {
    let store = TestStore::open().await;
    conformance::activations::the_name_filter_matches_plain_and_packaged_names(&store.store).await;
}

#[tokio::test]
async fn since_and_upto_are_inclusive_bounds_on_start() {
    let store = TestStore::open().await;
    conformance::activations::since_and_upto_are_inclusive_bounds_on_start(&store.store).await;
}

#[tokio::test]
async fn count_applies_skip_but_not_limit() {
    let store = TestStore::open().await;
    conformance::activations::count_applies_skip_but_not_limit(&store.store).await;
}

#[tokio::test]
async fn summaries_without_docs_leave_the_logs_out() {
    let store = TestStore::open().await;
    conformance::activations::summaries_without_docs_leave_the_logs_out(&store.store).await;
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
    conformance::activations::a_queued_record_is_readable_before_it_is_durable(&store.store).await;
    assert_eq!(store.queued(), 0);
}

#[tokio::test]
async fn filters_match_the_memory_reference_store() {
    let store = TestStore::open().await;
    conformance::activations::filters_match_the_memory_reference_store(&store.store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_accepted_before_close_are_all_stored() {
    let store = TestStore::open().await;
    let accepted = conformance::activations::stores_racing_a_close(Arc::new(store.store.clone()), async {
        store.close().await.expect("close")
    })
    .await;
    assert_eq!(store.queued(), 0, "a refused record is not left queued");
    // Reads keep working after close.
    assert_eq!(store.count(&query("guest")).await.expect("count"), accepted.len() as u64);

    let other = CouchStore::open(store.config()).await.expect("open another store");
    for id in &accepted {
        assert!(other.get("guest", *id).await.expect("get").is_some(), "accepted record {id} was lost");
    }
    println!("{} of 2000 stores were accepted before close; all of them are stored", accepted.len());
}

#[tokio::test]
async fn records_started_before_the_cutoff_are_removed_in_every_namespace() {
    let store = TestStore::open().await;
    conformance::activations::records_started_before_the_cutoff_are_removed_in_every_namespace(&store.store).await;
}

#[tokio::test]
async fn many_old_records_are_removed_in_batches_with_queued_ones() {
    let store = TestStore::open().await;
    conformance::activations::many_old_records_are_removed_in_batches_with_queued_ones(&store.store).await;
}

/// The retention sweeper on a real CouchDB: its first sweep removes the record older than
/// the retention and keeps the newer one, as another store (another controller) sees too.
#[tokio::test]
async fn the_retention_sweeper_removes_records_past_the_retention_and_keeps_newer_ones() {
    use gust_core::retention::{DEFAULT_RETENTION, Sweeper};
    const DAY_MS: u64 = 86_400_000;

    let store = TestStore::open().await;
    let now = gust_core::time::now_ms();
    let old = record("guest", "guest/hello", now - 8 * DAY_MS);
    let recent = record("guest", "guest/hello", now - DAY_MS);
    for a in [&old, &recent] {
        store.store(Arc::new(a.clone())).await.expect("store");
    }
    let sweeper = Sweeper::spawn(Arc::new(store.store.clone()), DEFAULT_RETENTION);
    let mut stats = sweeper.stats();
    let done = tokio::time::timeout(std::time::Duration::from_secs(60), stats.wait_for(|s| s.sweeps >= 1))
        .await
        .expect("a sweep within 60 s")
        .map(|s| *s)
        .expect("sweeper running");
    assert_eq!((done.removed, done.failures), (1, 0));
    sweeper.stop();
    let other = CouchStore::open(store.config()).await.expect("open another store");
    assert_eq!(other.get("guest", old.activation_id).await.expect("get"), None);
    assert_eq!(other.get("guest", recent.activation_id).await.expect("get"), Some(recent));
}
