//! The activation store against real SQLite files: idempotence, filters, durability, throughput.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use gust_core::conformance;
use gust_core::conformance::activations::{fill, query, record, starts};
use gust_core::store::{ActivationQuery, ActivationStore};
use gust_sqlite::SqliteStore;

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("gust.db")).expect("open store")
}

#[tokio::test]
async fn stored_records_read_back_whole_with_their_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::stored_records_read_back_whole_with_their_logs(&store).await;
}

#[tokio::test]
async fn storing_the_same_activation_twice_keeps_one_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::storing_the_same_activation_twice_keeps_one_record(&store).await;
}

#[tokio::test]
async fn lists_are_newest_start_first_with_skip_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::lists_are_newest_start_first_with_skip_and_limit(&store).await;
}

#[tokio::test]
async fn equal_starts_are_ordered_by_activation_id_like_the_reference_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::equal_starts_are_ordered_by_activation_id_like_the_reference_store(&store).await;
}

#[tokio::test]
async fn the_name_filter_matches_plain_and_packaged_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::the_name_filter_matches_plain_and_packaged_names(&store).await;
}

#[tokio::test]
async fn since_and_upto_are_inclusive_bounds_on_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::since_and_upto_are_inclusive_bounds_on_start(&store).await;
}

#[tokio::test]
async fn count_applies_skip_but_not_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::count_applies_skip_but_not_limit(&store).await;
}

#[tokio::test]
async fn summaries_without_docs_leave_the_logs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::summaries_without_docs_leave_the_logs_out(&store).await;
}

#[tokio::test]
async fn records_survive_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = {
        let store = open(dir.path());
        fill(&store).await
    };
    let store = open(dir.path());
    assert_eq!(store.count(&query("guest")).await.expect("count"), 9);
    for a in &all {
        assert_eq!(store.get("guest", a.activation_id).await.expect("get").as_ref(), Some(a));
    }
}

#[tokio::test]
async fn filters_match_the_memory_reference_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::filters_match_the_memory_reference_store(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_accepted_before_close_are_all_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let accepted = conformance::activations::stores_racing_a_close(Arc::new(store.clone()), async {
        store.close().await.expect("close")
    })
    .await;
    drop(store);

    let store = open(dir.path());
    for id in &accepted {
        assert!(store.get("guest", *id).await.expect("get").is_some(), "accepted record {id} was lost");
    }
    println!("{} of 2000 stores were accepted before close; all of them are in the file", accepted.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_concurrent_stores_are_all_present_and_the_rate_is_printed() {
    const TASKS: u64 = 2_000;
    const PER_TASK: u64 = 10;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let began = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..PER_TASK {
                let a = record("guest", "guest/hello", t * PER_TASK + i);
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
        "stored {total} activations from {TASKS} concurrent tasks in {:.3}s: {:.0} records/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(store.count(&query("guest")).await.expect("count"), total);
    let newest = store.list(&ActivationQuery { limit: 3, docs: false, ..query("guest") }).await.expect("list");
    assert_eq!(starts(&newest), [total - 1, total - 2, total - 3]);
    for id in ids.iter().step_by(97) {
        assert!(store.get("guest", *id).await.expect("get").is_some());
    }
}

#[tokio::test]
async fn dropping_the_store_checkpoints_everything_into_the_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let all = fill(&store).await;
    store.list(&query("guest")).await.expect("a read, so a reader connection is open");
    drop(store);
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["gust.db"], "the WAL should be checkpointed and removed on a clean stop");
    let store = open(dir.path());
    assert_eq!(store.get("guest", all[3].activation_id).await.expect("get").as_ref(), Some(&all[3]));
}

#[tokio::test]
async fn a_queued_record_is_readable_before_it_is_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::a_queued_record_is_readable_before_it_is_durable(&store).await;
}

#[tokio::test]
async fn records_started_before_the_cutoff_are_removed_in_every_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::records_started_before_the_cutoff_are_removed_in_every_namespace(&store).await;
}

#[tokio::test]
async fn many_old_records_are_removed_in_batches_with_queued_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::activations::many_old_records_are_removed_in_batches_with_queued_ones(&store).await;
}

/// A removal of 20,000 records goes in batches: a record stored while it runs is committed
/// between two of them, long before the removal ends (with one big transaction it would wait
/// for all of it). Prints the time per batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_removal_lets_new_records_commit_between_its_batches() {
    use std::task::{Context, Waker};

    const OLD: u64 = 20_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let writes: Vec<_> = (0..OLD).map(|i| store.store(Arc::new(record("guest", "guest/old", i)))).collect();
    for w in writes {
        w.await.expect("store");
    }

    let began = Instant::now();
    let mut removal = store.remove_older_than(OLD);
    // The first poll hands the first batch to the writer thread; the flush returns once the
    // writer has run it (the removal, not polled meanwhile, has not sent a second one).
    assert!(removal.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_pending());
    store.flush().await.expect("flush");
    let fresh = record("guest", "guest/new", OLD + 1);
    let durable = store.store(Arc::new(fresh.clone()));
    // The removal is asked first: done in one go, it would be ready now.
    let first = tokio::select! {
        biased;
        removed = &mut removal => { removed.expect("remove"); "the removal" }
        stored = durable => { stored.expect("store"); "the new record" }
    };
    let stored_after = began.elapsed();
    assert_eq!(first, "the new record", "a new record waited for the whole removal");
    let removed = removal.await.expect("remove");
    let took = began.elapsed();
    assert_eq!(removed, OLD);
    assert_eq!(starts(&store.list(&query("guest")).await.expect("list")), [OLD + 1]);
    let batches = OLD.div_ceil(1000);
    println!(
        "removed {OLD} records in {:.0} ms ({batches} batches, {:.1} ms each); a record stored meanwhile was durable after {:.1} ms",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e3 / batches as f64,
        stored_after.as_secs_f64() * 1e3
    );
}
