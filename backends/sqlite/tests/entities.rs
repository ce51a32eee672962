//! The entity store against real SQLite files: revisions, the shared id space, listing.

use std::path::Path;

use gust_core::conformance;
use gust_core::conformance::entities::action;
use gust_core::entity::Collection;
use gust_core::store::{EntityQuery, EntityStore};
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
async fn packaged_actions_are_listed_under_the_namespace_and_the_package() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::packaged_actions_are_listed_under_the_namespace_and_the_package(&store).await;
}

#[tokio::test]
async fn every_collection_reads_back_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::every_collection_reads_back_whole(&store).await;
}

#[tokio::test]
async fn public_lists_see_only_shared_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    conformance::entities::public_lists_see_only_shared_packages(&store).await;
}

/// A file written by the first schema (actions only, no path or visibility columns) opens,
/// keeps its documents and revisions, and lists by package and visibility afterwards.
#[tokio::test]
async fn a_version_1_file_is_migrated_in_place_keeping_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gust.db");
    let hello = action("guest", "hello", 10);
    let packaged = action("guest/utils", "cat", 20);
    {
        let conn = rusqlite::Connection::open(&path).expect("create a version 1 file");
        conn.execute_batch(
            "CREATE TABLE entities (doc_id TEXT PRIMARY KEY NOT NULL, namespace TEXT NOT NULL, \
               collection TEXT NOT NULL, generation INTEGER NOT NULL, updated INTEGER NOT NULL, doc TEXT NOT NULL);
             CREATE INDEX entities_by_namespace ON entities (namespace, collection, updated, doc_id);
             CREATE TABLE activations (namespace TEXT NOT NULL, activation_id TEXT NOT NULL, name TEXT NOT NULL, \
               start INTEGER NOT NULL, doc TEXT NOT NULL, logs TEXT NOT NULL, PRIMARY KEY (namespace, activation_id));
             CREATE INDEX activations_by_start ON activations (namespace, start, activation_id);
             CREATE INDEX activations_by_name ON activations (namespace, name, start, activation_id);
             CREATE TABLE subjects (uuid TEXT PRIMARY KEY NOT NULL, subject TEXT NOT NULL, namespace TEXT NOT NULL, \
               salt TEXT NOT NULL, key_hash TEXT NOT NULL);
             PRAGMA user_version = 1;",
        )
        .expect("version 1 schema");
        for (e, generation) in [(&hello, 3), (&packaged, 1)] {
            conn.execute(
                "INSERT INTO entities VALUES (?1, 'guest', 'actions', ?2, ?3, ?4)",
                rusqlite::params![e.doc_id(), generation, e.updated() as i64, e.to_json().to_string()],
            )
            .expect("version 1 row");
        }
    }
    let store = open(dir.path());
    let got = store.get("guest/hello").await.expect("get").expect("kept");
    assert_eq!((got.rev.0.as_str(), &got.doc), ("3", &hello));
    let all = EntityQuery::new(Collection::Actions, "guest");
    assert_eq!(
        conformance::entities::names(&store.list(&all).await.expect("list")),
        ["guest/utils/cat", "guest/hello"]
    );
    let in_utils = store.list(&all.clone().in_package("utils")).await.expect("list");
    assert_eq!(in_utils, vec![packaged]);
    store.put(&action("guest", "hello", 30), Some(&got.rev)).await.expect("update with the old revision");
    drop(store);
    let version: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 4);
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
