//! The entity store against real SQLite files: revisions, the shared id space, listing.

use std::path::Path;

use gust_core::action::{Action, SemVer};
use gust_core::entity::{Collection, Entity, Revision};
use gust_core::exec::Exec;
use gust_core::limits::ActionLimits;
use gust_core::memory::MemoryEntityStore;
use gust_core::params::Params;
use gust_core::store::{EntityStore, StoreError};
use gust_sqlite::SqliteStore;
use serde_json::json;

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("gust.db")).expect("open store")
}

fn action(namespace: &str, name: &str, updated: u64) -> Entity {
    Entity::Action(Action {
        namespace: namespace.into(),
        name: name.into(),
        exec: Exec::Code { kind: "wasm:wasip1".into(), code: Some("AGFzbQ==".into()), main: None, binary: true },
        parameters: Params::new().with("greeting", json!("hi")),
        limits: ActionLimits { timeout: 60_000, memory: 256, logs: 10, concurrency: 1 },
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new().with("exec", json!("wasm:wasip1")),
        updated,
    })
}

fn other(collection: Collection, namespace: &str, name: &str, updated: u64) -> Entity {
    Entity::Other(collection, json!({"namespace": namespace, "name": name, "updated": updated, "version": "0.0.1"}))
}

fn names(list: &[Entity]) -> Vec<String> {
    list.iter().map(Entity::doc_id).collect()
}

#[tokio::test]
async fn created_documents_read_back_with_their_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let hello = action("guest", "hello", 10);
    let rev = store.put(&hello, None).await.expect("create");
    let got = store.get("guest/hello").await.expect("get").expect("present");
    assert_eq!(got.rev, rev);
    assert_eq!(got.doc, hello);
    assert_eq!(store.get("guest/nope").await.expect("get"), None);
}

#[tokio::test]
async fn creating_an_existing_id_conflicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    store.put(&action("guest", "hello", 10), None).await.expect("create");
    assert_eq!(store.put(&action("guest", "hello", 11), None).await, Err(StoreError::Conflict));
    assert_eq!(store.get("guest/hello").await.expect("get").expect("present").doc.updated(), 10);
}

#[tokio::test]
async fn updates_need_the_current_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let first = store.put(&action("guest", "hello", 10), None).await.expect("create");
    let second = store.put(&action("guest", "hello", 20), Some(&first)).await.expect("update");
    assert_ne!(first, second);
    assert_eq!(store.put(&action("guest", "hello", 30), Some(&first)).await, Err(StoreError::Conflict));
    assert_eq!(
        store.put(&action("guest", "hello", 30), Some(&Revision("not-a-revision".into()))).await,
        Err(StoreError::Conflict)
    );
    let got = store.get("guest/hello").await.expect("get").expect("present");
    assert_eq!((got.rev, got.doc.updated()), (second.clone(), 20));
    store.put(&action("guest", "hello", 30), Some(&second)).await.expect("update with the current revision");
}

#[tokio::test]
async fn updating_a_document_that_is_gone_conflicts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let rev = store.put(&action("guest", "hello", 10), None).await.expect("create");
    store.delete("guest/hello", &rev).await.expect("delete");
    assert_eq!(store.put(&action("guest", "hello", 20), Some(&rev)).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&action("guest", "never", 20), Some(&rev)).await, Err(StoreError::Conflict));
}

#[tokio::test]
async fn deletes_need_the_current_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let first = store.put(&action("guest", "hello", 10), None).await.expect("create");
    let second = store.put(&action("guest", "hello", 20), Some(&first)).await.expect("update");
    assert_eq!(store.delete("guest/hello", &first).await, Err(StoreError::Conflict));
    assert!(store.get("guest/hello").await.expect("get").is_some());
    store.delete("guest/hello", &second).await.expect("delete");
    assert_eq!(store.get("guest/hello").await.expect("get"), None);
    assert_eq!(store.delete("guest/hello", &second).await, Err(StoreError::Conflict));
}

#[tokio::test]
async fn collections_share_one_id_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let trigger = other(Collection::Triggers, "guest", "thing", 10);
    store.put(&trigger, None).await.expect("create trigger");
    assert_eq!(store.put(&action("guest", "thing", 11), None).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&other(Collection::Rules, "guest", "thing", 12), None).await, Err(StoreError::Conflict));
    let got = store.get("guest/thing").await.expect("get").expect("present");
    assert_eq!(got.doc.collection(), Collection::Triggers);
    assert_eq!(got.doc, trigger);
    assert_eq!(store.count("guest", Collection::Actions).await.expect("count"), 0);
    assert_eq!(store.count("guest", Collection::Triggers).await.expect("count"), 1);
}

#[tokio::test]
async fn lists_are_newest_first_with_skip_limit_and_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    for (name, updated) in [("a", 30), ("b", 10), ("c", 50), ("d", 20), ("e", 40)] {
        store.put(&action("guest", name, updated), None).await.expect("create");
    }
    store.put(&action("other", "z", 99), None).await.expect("create elsewhere");
    store.put(&other(Collection::Packages, "guest", "pkg", 99), None).await.expect("create package");

    let all = store.list("guest", Collection::Actions, 0, 100).await.expect("list");
    assert_eq!(names(&all), ["guest/c", "guest/e", "guest/a", "guest/d", "guest/b"]);
    let page = store.list("guest", Collection::Actions, 1, 2).await.expect("list");
    assert_eq!(names(&page), ["guest/e", "guest/a"]);
    assert!(store.list("guest", Collection::Actions, 5, 10).await.expect("list").is_empty());
    assert!(store.list("guest", Collection::Actions, 0, 0).await.expect("list").is_empty());
    assert_eq!(store.count("guest", Collection::Actions).await.expect("count"), 5);
    assert_eq!(store.count("guest", Collection::Packages).await.expect("count"), 1);
    assert_eq!(store.count("nobody", Collection::Actions).await.expect("count"), 0);
}

#[tokio::test]
async fn updates_move_a_document_to_the_front_of_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let a = store.put(&action("guest", "a", 10), None).await.expect("create");
    store.put(&action("guest", "b", 20), None).await.expect("create");
    store.put(&action("guest", "a", 30), Some(&a)).await.expect("update");
    let all = store.list("guest", Collection::Actions, 0, 10).await.expect("list");
    assert_eq!(names(&all), ["guest/a", "guest/b"]);
}

#[tokio::test]
async fn packaged_actions_are_listed_under_the_root_namespace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    store.put(&action("guest", "top", 10), None).await.expect("create");
    let packaged = action("guest/utils", "hello", 20);
    store.put(&packaged, None).await.expect("create packaged");
    let all = store.list("guest", Collection::Actions, 0, 10).await.expect("list");
    assert_eq!(names(&all), ["guest/utils/hello", "guest/top"]);
    assert_eq!(all[0], packaged);
    assert_eq!(store.count("guest", Collection::Actions).await.expect("count"), 2);
    assert!(store.list("guest/utils", Collection::Actions, 0, 10).await.expect("list").is_empty());
    assert!(store.get("guest/utils/hello").await.expect("get").is_some());
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
    let sqlite = open(dir.path());
    let memory = MemoryEntityStore::default();
    let stores: [&dyn EntityStore; 2] = [&sqlite, &memory];
    let mut outcomes = Vec::new();
    for store in stores {
        let mut o = Vec::new();
        let a1 = store.put(&action("guest", "a", 1), None).await;
        o.push(format!("{:?}", a1.as_ref().err()));
        o.push(format!("{:?}", store.put(&action("guest", "a", 2), None).await.err()));
        let rev = a1.expect("created");
        let a2 = store.put(&action("guest", "a", 3), Some(&rev)).await;
        o.push(format!("{:?}", a2.as_ref().err()));
        o.push(format!("{:?}", store.put(&action("guest", "a", 4), Some(&rev)).await.err()));
        o.push(format!("{:?}", store.delete("guest/a", &rev).await.err()));
        o.push(format!("{:?}", store.put(&other(Collection::Rules, "guest", "a", 5), None).await.err()));
        o.push(format!("{:?}", store.put(&action("guest/p", "b", 6), None).await.err()));
        o.push(format!("{:?}", store.put(&other(Collection::Triggers, "guest", "t", 7), None).await.err()));
        o.push(format!("{:?}", store.delete("guest/a", &a2.expect("updated")).await.err()));
        o.push(format!("{:?}", store.get("guest/a").await.expect("get").map(|v| v.doc)));
        for c in [Collection::Actions, Collection::Triggers, Collection::Rules] {
            o.push(format!("{:?}", names(&store.list("guest", c, 0, 10).await.expect("list"))));
            o.push(format!("{:?}", store.count("guest", c).await.expect("count")));
        }
        outcomes.push(o);
    }
    assert_eq!(outcomes[0], outcomes[1]);
}
