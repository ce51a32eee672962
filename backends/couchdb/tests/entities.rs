//! The entity store against a real CouchDB-compatible server: revisions, the shared id space,
//! listing, odd ids, and the design documents.

mod common;

use common::{TestStore, raw};
use gust_core::action::{Action, SemVer};
use gust_core::entity::{Collection, Entity, Revision};
use gust_core::exec::Exec;
use gust_core::limits::ActionLimits;
use gust_core::memory::MemoryEntityStore;
use gust_core::params::Params;
use gust_core::store::{EntityStore, StoreError};
use gust_couchdb::CouchStore;
use serde_json::json;

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
    let store = TestStore::open().await;
    let hello = action("guest", "hello", 10);
    let rev = store.put(&hello, None).await.expect("create");
    assert!(rev.0.starts_with("1-"), "CouchDB's _rev: {rev}");
    let got = store.get("guest/hello").await.expect("get").expect("present");
    assert_eq!(got.rev, rev);
    assert_eq!(got.doc, hello);
    assert_eq!(store.get("guest/nope").await.expect("get"), None);
}

#[tokio::test]
async fn creating_an_existing_id_conflicts() {
    let store = TestStore::open().await;
    store.put(&action("guest", "hello", 10), None).await.expect("create");
    assert_eq!(store.put(&action("guest", "hello", 11), None).await, Err(StoreError::Conflict));
    assert_eq!(store.get("guest/hello").await.expect("get").expect("present").doc.updated(), 10);
}

#[tokio::test]
async fn updates_need_the_current_revision() {
    let store = TestStore::open().await;
    let first = store.put(&action("guest", "hello", 10), None).await.expect("create");
    let second = store.put(&action("guest", "hello", 20), Some(&first)).await.expect("update");
    assert_ne!(first, second);
    assert_eq!(store.put(&action("guest", "hello", 30), Some(&first)).await, Err(StoreError::Conflict));
    assert_eq!(
        store.put(&action("guest", "hello", 30), Some(&Revision("not-a-revision".into()))).await,
        Err(StoreError::Conflict)
    );
    assert_eq!(
        store.put(&action("guest", "hello", 30), Some(&Revision("9-0123456789abcdef".into()))).await,
        Err(StoreError::Conflict)
    );
    let got = store.get("guest/hello").await.expect("get").expect("present");
    assert_eq!((got.rev, got.doc.updated()), (second.clone(), 20));
    store.put(&action("guest", "hello", 30), Some(&second)).await.expect("update with the current revision");
}

#[tokio::test]
async fn updating_a_document_that_is_gone_conflicts() {
    let store = TestStore::open().await;
    let rev = store.put(&action("guest", "hello", 10), None).await.expect("create");
    store.delete("guest/hello", &rev).await.expect("delete");
    assert_eq!(store.put(&action("guest", "hello", 20), Some(&rev)).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&action("guest", "never", 20), Some(&rev)).await, Err(StoreError::Conflict));
    assert_eq!(store.get("guest/never").await.expect("get"), None, "an update must not create");
    // A deleted id can be created again.
    store.put(&action("guest", "hello", 30), None).await.expect("create again after delete");
}

#[tokio::test]
async fn deletes_need_the_current_revision() {
    let store = TestStore::open().await;
    let first = store.put(&action("guest", "hello", 10), None).await.expect("create");
    let second = store.put(&action("guest", "hello", 20), Some(&first)).await.expect("update");
    assert_eq!(store.delete("guest/hello", &first).await, Err(StoreError::Conflict));
    assert_eq!(store.delete("guest/hello", &Revision("junk".into())).await, Err(StoreError::Conflict));
    assert!(store.get("guest/hello").await.expect("get").is_some());
    store.delete("guest/hello", &second).await.expect("delete");
    assert_eq!(store.get("guest/hello").await.expect("get"), None);
    assert_eq!(store.delete("guest/hello", &second).await, Err(StoreError::Conflict));
    assert_eq!(store.delete("guest/never", &second).await, Err(StoreError::Conflict));
}

#[tokio::test]
async fn collections_share_one_id_space() {
    let store = TestStore::open().await;
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
    let store = TestStore::open().await;
    for (name, updated) in [("a", 30), ("b", 10), ("c", 50), ("d", 20), ("e", 40)] {
        store.put(&action("guest", name, updated), None).await.expect("create");
    }
    store.put(&action("other", "z", 99), None).await.expect("create elsewhere");
    store.put(&action("guest2", "z", 99), None).await.expect("create in a namespace sharing the prefix");
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
async fn updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it() {
    let store = TestStore::open().await;
    let a = store.put(&action("guest", "a", 10), None).await.expect("create");
    let b = store.put(&action("guest", "b", 20), None).await.expect("create");
    let a = store.put(&action("guest", "a", 30), Some(&a)).await.expect("update");
    let all = store.list("guest", Collection::Actions, 0, 10).await.expect("list");
    assert_eq!(names(&all), ["guest/a", "guest/b"]);
    store.delete("guest/b", &b).await.expect("delete");
    store.delete("guest/a", &a).await.expect("delete");
    assert!(store.list("guest", Collection::Actions, 0, 10).await.expect("list").is_empty());
    assert_eq!(store.count("guest", Collection::Actions).await.expect("count"), 0);
}

#[tokio::test]
async fn packaged_actions_are_listed_under_the_root_namespace() {
    let store = TestStore::open().await;
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
    assert_eq!(names(&store.list("_design", Collection::Actions, 0, 10).await.expect("list")), ["_design/gust"]);
    assert_eq!(
        names(&store.list("guest", Collection::Actions, 0, 10).await.expect("list")),
        ["guest/my pkg/a&b@c.d-e", "guest/my action"]
    );
    // The raw document: one segment for the whole id, the entity beside the query fields.
    let (status, doc) = store.raw_get(&format!("{}whisks/guest%2Fmy%20action", store.prefix)).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!((doc["root"].as_str(), doc["collection"].as_str()), (Some("guest"), Some("actions")));
    assert_eq!(doc["entity"]["name"], "my action");
    // The design document was not touched by the entity with id `_design/gust`.
    let (status, design) = store.raw_get(&format!("{}whisks/_design/gust", store.prefix)).await;
    assert_eq!(status, 200);
    assert!(design["views"]["by_namespace"].is_object(), "{design}");
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
    let couch = TestStore::open().await;
    let memory = MemoryEntityStore::default();
    let stores: [&dyn EntityStore; 2] = [&couch.store, &memory];
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
