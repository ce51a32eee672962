//! The entity store against a real CouchDB-compatible server: revisions, the shared id space,
//! listing, odd ids, and the design documents.

mod common;

use common::{TestStore, raw};
use gust_core::conformance;
use gust_core::conformance::entities::{action, names};
use gust_core::entity::Collection;
use gust_core::store::{EntityQuery, EntityStore, StoreError};
use gust_couchdb::CouchStore;
use serde_json::json;

#[tokio::test]
async fn created_documents_read_back_with_their_revision() {
    let store = TestStore::open().await;
    let rev = conformance::entities::created_documents_read_back_with_their_revision(&store.store).await;
    assert!(rev.0.starts_with("1-"), "CouchDB's _rev: {rev}");
}

#[tokio::test]
async fn creating_an_existing_id_conflicts() {
    let store = TestStore::open().await;
    conformance::entities::creating_an_existing_id_conflicts(&store.store).await;
}

#[tokio::test]
async fn updates_need_the_current_revision() {
    let store = TestStore::open().await;
    conformance::entities::updates_need_the_current_revision(&store.store).await;
}

#[tokio::test]
async fn updating_a_document_that_is_gone_conflicts() {
    let store = TestStore::open().await;
    conformance::entities::updating_a_document_that_is_gone_conflicts(&store.store).await;
}

#[tokio::test]
async fn deletes_need_the_current_revision() {
    let store = TestStore::open().await;
    conformance::entities::deletes_need_the_current_revision(&store.store).await;
}

#[tokio::test]
async fn collections_share_one_id_space() {
    let store = TestStore::open().await;
    conformance::entities::collections_share_one_id_space(&store.store).await;
}

#[tokio::test]
async fn lists_are_newest_first_with_skip_limit_and_count() {
    let store = TestStore::open().await;
    conformance::entities::lists_are_newest_first_with_skip_limit_and_count(&store.store).await;
}

#[tokio::test]
async fn updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it() {
    let store = TestStore::open().await;
    conformance::entities::updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it(&store.store).await;
}

#[tokio::test]
async fn packaged_actions_are_listed_under_the_namespace_and_the_package() {
    let store = TestStore::open().await;
    conformance::entities::packaged_actions_are_listed_under_the_namespace_and_the_package(&store.store).await;
}

#[tokio::test]
async fn every_collection_reads_back_whole() {
    let store = TestStore::open().await;
    conformance::entities::every_collection_reads_back_whole(&store.store).await;
}

#[tokio::test]
async fn public_lists_see_only_shared_packages() {
    let store = TestStore::open().await;
    conformance::entities::public_lists_see_only_shared_packages(&store.store).await;
}

#[tokio::test]
async fn ids_with_spaces_slashes_and_reserved_prefixes_round_trip() {
    let store = TestStore::open().await;
    let cases = [
        action("guest", "my action", 1),
        action("guest/my pkg", "a&b@c.d-e", 2),
        action("_design", "gust", 3),
        action("_under", "x", 4),
        action("~tilde", "x", 5),
    ];
    for e in &cases {
        let rev = store.put(e, None).await.expect("create");
        let got = store.get(&e.doc_id()).await.expect("get").expect("present");
        assert_eq!((&got.doc, &got.rev), (e, &rev), "{}", e.doc_id());
        assert_eq!(store.put(e, None).await, Err(StoreError::Conflict), "{}", e.doc_id());
    }
    let list = |ns: &str| EntityQuery::new(Collection::Actions, ns);
    assert_eq!(names(&store.list(&list("_design")).await.expect("list")), ["_design/gust"]);
    assert_eq!(names(&store.list(&list("guest")).await.expect("list")), ["guest/my pkg/a&b@c.d-e", "guest/my action"]);
    assert_eq!(
        names(&store.list(&list("guest").in_package("my pkg")).await.expect("list")),
        ["guest/my pkg/a&b@c.d-e"]
    );
    // The raw document: one segment for the whole id, the entity beside the query fields.
    let (status, doc) = store.raw_get(&format!("{}whisks/guest%2Fmy%20action", store.prefix)).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!((doc["root"].as_str(), doc["collection"].as_str()), (Some("guest"), Some("actions")));
    assert_eq!(doc["entity"]["name"], "my action");
    // The design document was not touched by the entity with id `_design/gust`.
    let (status, design) = store.raw_get(&format!("{}whisks/_design/gust", store.prefix)).await;
    assert_eq!(status, 200);
    assert!(design["views"]["entities"].is_object(), "{design}");
}

#[tokio::test]
async fn entities_are_seen_by_another_store_on_the_same_databases() {
    let store = TestStore::open().await;
    let rev = store.put(&action("guest", "hello", 10), None).await.expect("create");
    let second = CouchStore::open(store.config()).await.expect("open a second store");
    let got = second.get("guest/hello").await.expect("get").expect("present in the other store");
    assert_eq!(got.rev, rev);
    second.put(&action("guest", "hello", 20), Some(&rev)).await.expect("update with the revision from the first");
    assert_eq!(store.put(&action("guest", "hello", 30), Some(&rev)).await, Err(StoreError::Conflict));
}

#[tokio::test]
async fn design_documents_are_created_kept_when_identical_and_restored_when_changed() {
    let store = TestStore::open().await;
    let path = format!("{}/{}activations/_design/gust", store.url, store.prefix);
    let (status, original) = raw(reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200, "{original}");
    assert!(original["views"]["by_start"]["map"].is_string());
    assert!(original["views"]["by_name"]["map"].is_string());

    // Opening again leaves identical design documents alone.
    CouchStore::open(store.config()).await.expect("open again");
    let (_, same) = raw(reqwest::Method::GET, &path, None).await;
    assert_eq!(same["_rev"], original["_rev"]);

    // A changed one is put back.
    let mut changed = original.clone();
    changed["views"]["by_start"]["map"] = json!("function (doc) { emit(null, null); }");
    let (status, answer) = raw(reqwest::Method::PUT, &path, Some(changed)).await;
    assert_eq!(status, 201, "{answer}");
    CouchStore::open(store.config()).await.expect("open after the change");
    let (_, restored) = raw(reqwest::Method::GET, &path, None).await;
    assert_ne!(restored["_rev"], original["_rev"]);
    assert_eq!(restored["views"], original["views"]);
}

#[tokio::test]
async fn outcomes_match_the_memory_reference_store() {
    let store = TestStore::open().await;
    conformance::entities::outcomes_match_the_memory_reference_store(&store.store).await;
}
