//! The entity store against real SQLite files: revisions, the shared id space, listing.

use std::path::Path;

use gust_core::conformance;
use gust_core::conformance::entities::action;
use gust_core::store::EntityStore;
use gust_sqlite::SqliteStore;

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("gust.db")).expect("open store")
}

#[tokio::test]
async fn created_documents_read_back_with_their_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::created_documents_read_back_with_their_revision(&store).await;
}

#[tokio::test]
async fn creating_an_existing_id_conflicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::creating_an_existing_id_conflicts(&store).await;
}

#[tokio::test]
async fn updates_need_the_current_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::updates_need_the_current_revision(&store).await;
}

#[tokio::test]
async fn updating_a_document_that_is_gone_conflicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::updating_a_document_that_is_gone_conflicts(&store).await;
}

#[tokio::test]
async fn deletes_need_the_current_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::deletes_need_the_current_revision(&store).await;
}

#[tokio::test]
async fn collections_share_one_id_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::collections_share_one_id_space(&store).await;
}

#[tokio::test]
async fn lists_are_newest_first_with_skip_limit_and_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::lists_are_newest_first_with_skip_limit_and_count(&store).await;
}

#[tokio::test]
async fn updates_move_a_document_to_the_front_of_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it(&store).await;
}

#[tokio::test]
async fn packaged_actions_are_listed_under_the_root_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::packaged_actions_are_listed_under_the_root_namespace(&store).await;
}

#[tokio::test]
async fn entities_survive_reopening_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rev = {
        let store = open(dir.path());
        store.put(&action("guest", "hello", 10), None).await.expect("create")
    };
    let store = open(dir.path());
    let got = store.get("guest/hello").await.expect("get").expect("present after reopening");
    assert_eq!(got.rev, rev);
    store.put(&action("guest", "hello", 20), Some(&rev)).await.expect("update with the revision from before");
}

#[tokio::test]
async fn outcomes_match_the_memory_reference_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::outcomes_match_the_memory_reference_store(&store).await;
}
