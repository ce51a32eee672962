//! A store whose server does not answer: every call answers `Unavailable` within a bounded
//! time, and activation records stay queued (and readable) instead of being lost.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gust_core::action::SemVer;
use gust_core::activation::{Activation, ActivationResponse};
use gust_core::entity::Collection;
use gust_core::ids::ActivationId;
use gust_core::params::Params;
use gust_core::store::{ActivationQuery, ActivationStore, EntityQuery, EntityStore, StoreError, SubjectStore};
use gust_core::subject::{AuthKey, SubjectRecord};
use gust_couchdb::{CouchConfig, CouchError, CouchStore};
use serde_json::json;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

fn config() -> CouchConfig {
    CouchConfig::new(format!("http://127.0.0.1:{}", closed_port())).with_db_prefix(common::random_prefix())
}

fn record() -> Activation {
    Activation {
        namespace: "guest".into(),
        name: "hello".into(),
        subject: "guest".into(),
        activation_id: ActivationId::generate(),
        start: 1,
        end: 2,
        duration: Some(1),
        response: ActivationResponse::success(json!({}), None),
        logs: vec![],
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("path", json!("guest/hello")),
        cause: None,
    }
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>, began: Instant, bound: Duration) {
    let took = began.elapsed();
    match r {
        Err(StoreError::Unavailable(reason)) => {
            assert!(took < bound, "{what} took {took:?} (bound {bound:?})");
            println!("{what}: Unavailable after {} ms: {reason}", took.as_millis());
        }
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn open_fails_with_unavailable_within_the_retry_budget() {
    let began = Instant::now();
    match CouchStore::open(config()).await {
        Err(CouchError::Unavailable(reason)) => {
            assert!(began.elapsed() < Duration::from_secs(10), "took {:?}", began.elapsed());
            assert!(reason.contains("127.0.0.1"), "the message names the server: {reason}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn every_read_and_write_answers_unavailable_within_a_bounded_time() {
    let store = CouchStore::new(config()).expect("a store needs no server to be created");
    let bound = Duration::from_secs(10);
    let t = Instant::now();
    assert_unavailable("entity get", EntityStore::get(&store, "guest/hello").await, t, bound);
    let trigger = gust_core::conformance::entities::trigger("guest", "t", 1);
    let t = Instant::now();
    assert_unavailable("entity put", store.put(&trigger, None).await, t, bound);
    let t = Instant::now();
    let q = EntityQuery::new(Collection::Actions, "guest");
    assert_unavailable("entity list", EntityStore::list(&store, &q).await, t, bound);
    let t = Instant::now();
    assert_unavailable("get limits", store.get_limits("guest").await, t, bound);
    let t = Instant::now();
    assert_unavailable("identify", store.identify(&AuthKey::generate()).await, t, bound);
    let t = Instant::now();
    let key = AuthKey::generate();
    assert_unavailable("put subject", store.put_subject(SubjectRecord::new("a", "a", &key)).await, t, bound);
    let t = Instant::now();
    assert_unavailable(
        "activation get",
        ActivationStore::get(&store, "guest", ActivationId::generate()).await,
        t,
        bound,
    );
}

#[tokio::test]
async fn queued_records_stay_readable_and_pending_while_the_server_is_away() {
    let mut cfg = config();
    cfg.retry_budget = Duration::from_secs(1);
    let store = CouchStore::new(cfg).expect("store");
    let a = record();
    let mut durable = store.store(Arc::new(a.clone()));
    // The writer keeps retrying: the record is not durable, and not failed either.
    assert!(
        tokio::time::timeout(Duration::from_millis(1500), &mut durable).await.is_err(),
        "a record cannot be durable (or failed) while the server is away"
    );
    assert_eq!(store.queued(), 1);
    assert_eq!(ActivationStore::get(&store, "guest", a.activation_id).await.expect("read your writes"), Some(a));
    // List and count need the server: after the writer has failed for the budget, they say so.
    let q = ActivationQuery { namespace: "guest".into(), limit: 10, ..Default::default() };
    let t = Instant::now();
    assert_unavailable("activation list", ActivationStore::list(&store, &q).await, t, Duration::from_secs(5));
    let t = Instant::now();
    assert_unavailable("activation count", ActivationStore::count(&store, &q).await, t, Duration::from_secs(5));
    assert!(
        tokio::time::timeout(Duration::from_millis(100), &mut durable).await.is_err(),
        "still queued, still not failed"
    );
}
