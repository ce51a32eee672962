//! The journal of accepted activations against real SQLite files: what a process that died
//! left is published again by the next one, and a stored record retires its entry.
//!
//! A crash is a second store opened on the same file while the first is still running (the
//! first never gets to write anything more of its own): what the second finds is what a
//! restarted process would find.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gust_core::activation::Activation;
use gust_core::bus::{InProcessBus, MessageBus};
use gust_core::conformance::activations::record;
use gust_core::ids::{ActivationId, TransactionId};
use gust_core::messages::{ActivationMessage, BusMessage, ControllerId, InvokerId};
use gust_core::names::FullyQualifiedName;
use gust_core::semver::SemVer;
use gust_core::store::ActivationStore;
use gust_core::subject::{AuthKey, Identity};
use gust_sqlite::{JournaledBus, Replayed, SqliteStore};
use serde_json::json;

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("gust.db")).expect("open store")
}

fn message(blocking: bool) -> ActivationMessage {
    ActivationMessage {
        transid: TransactionId::generate(),
        action: FullyQualifiedName::new("guest", "hello"),
        version: SemVer::default(),
        revision: "1".into(),
        user: Arc::new(Identity::new("guest", "guest", AuthKey::generate())),
        activation_id: ActivationId::generate(),
        root_controller: ControllerId("0".into()),
        blocking,
        content: Some(json!({"name": "Ada"})),
        init_args: vec![],
        cause: None,
        binding: None,
        fused: None,
    }
}

fn record_of(m: &ActivationMessage) -> Arc<Activation> {
    let mut r = record("guest", "guest/hello", 10);
    r.activation_id = m.activation_id;
    Arc::new(r)
}

/// What a process opening `dir` after a crash publishes again.
async fn after_crash(dir: &Path) -> (Replayed, Vec<ActivationMessage>) {
    let store = open(dir);
    let inner = InProcessBus::new();
    let (_bus, replayed) = JournaledBus::open(store, inner.clone()).await.expect("journal");
    inner.close();
    let mut consumer = inner.subscribe(&InvokerId(0).topic(), "invoker0").await.expect("subscribe");
    let mut out = vec![];
    while let Some(d) = consumer.next().await.expect("next") {
        match d.message {
            BusMessage::Activation(m) => out.push(*m),
            other => panic!("not an activation: {other:?}"),
        }
    }
    (replayed, out)
}

#[tokio::test]
async fn an_accepted_non_blocking_activation_is_published_again_after_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bus, replayed) = JournaledBus::open(open(dir.path()), InProcessBus::new()).await.expect("journal");
    assert_eq!(replayed, Replayed::default());
    let m = message(false);
    // Returns once the entry is committed: the 202 may go out.
    bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(m.clone()))).await.expect("publish");
    let (replayed, again) = after_crash(dir.path()).await;
    assert_eq!(replayed, Replayed { published: 1, finished: 0 });
    assert_eq!(again, vec![m], "the same message, with its id");
}

#[tokio::test]
async fn a_stored_record_retires_its_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (bus, _) = JournaledBus::open(store.clone(), InProcessBus::new()).await.expect("journal");
    let done = message(false);
    let running = message(false);
    for m in [&done, &running] {
        bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(m.clone()))).await.expect("publish");
    }
    store.store(record_of(&done)).await.expect("store");
    let (replayed, again) = after_crash(dir.path()).await;
    assert_eq!(replayed, Replayed { published: 1, finished: 0 });
    assert_eq!(again, vec![running], "only the one without a record runs again");
}

#[tokio::test]
async fn a_blocking_activation_is_journaled_only_when_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (bus, _) = JournaledBus::open(store.clone(), InProcessBus::new()).await.expect("journal");
    let mut invoker = bus.subscribe(&InvokerId(0).topic(), "invoker0").await.expect("subscribe");
    // Answered with its result: its message is committed once its record is stored, and
    // nothing of it was ever written to the journal; keeping it afterwards is a no-op.
    let answered = message(true);
    bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(answered.clone()))).await.expect("publish");
    let delivered = invoker.next().await.expect("next").expect("a message");
    store.store(record_of(&answered)).await.expect("store");
    delivered.receipt.commit();
    bus.keep(answered.activation_id).await.expect("keep");
    // Running, and not answered yet: nothing written either.
    let running = message(true);
    bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(running.clone()))).await.expect("publish");
    // Outlived its wait: written once `keep` returns, so a 202 may go out.
    let late = message(true);
    bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(late.clone()))).await.expect("publish");
    bus.keep(late.activation_id).await.expect("keep");
    let (replayed, again) = after_crash(dir.path()).await;
    assert_eq!(replayed, Replayed { published: 1, finished: 0 });
    assert_eq!(again, vec![late]);
}

#[tokio::test]
async fn entries_whose_record_another_process_stored_are_dropped_not_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bus, _) = JournaledBus::open(open(dir.path()), InProcessBus::new()).await.expect("journal");
    // A store opened before the entry was written never saw it: it stores the record and
    // leaves the row behind.
    let other = open(dir.path());
    let m = message(false);
    bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(m.clone()))).await.expect("publish");
    other.store(record_of(&m)).await.expect("store");
    let (replayed, again) = after_crash(dir.path()).await;
    assert_eq!(replayed, Replayed { published: 0, finished: 1 });
    assert!(again.is_empty());
    let (replayed, _) = after_crash(dir.path()).await;
    assert_eq!(replayed, Replayed::default(), "the row was removed");
}

#[tokio::test]
async fn a_clean_stop_leaves_nothing_to_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (bus, _) = JournaledBus::open(store.clone(), InProcessBus::new()).await.expect("journal");
    let ms: Vec<_> = (0..200).map(|i| message(i % 2 == 0)).collect();
    for m in &ms {
        bus.publish(&InvokerId(0).topic(), BusMessage::Activation(Box::new(m.clone()))).await.expect("publish");
    }
    for m in &ms {
        store.store(record_of(m)).await.expect("store");
    }
    store.close().await.expect("close");
    tokio::time::timeout(Duration::from_secs(30), async {
        let (replayed, again) = after_crash(dir.path()).await;
        assert_eq!(replayed, Replayed::default());
        assert!(again.is_empty());
    })
    .await
    .expect("in time");
}
