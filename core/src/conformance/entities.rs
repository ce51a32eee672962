//! [`EntityStore`] checks: revisions, the id space all collections share, listing.

use serde_json::json;

use crate::action::{Action, SemVer};
use crate::entity::{Collection, Entity, Revision};
use crate::exec::Exec;
use crate::limits::ActionLimits;
use crate::memory::MemoryEntityStore;
use crate::params::Params;
use crate::store::{EntityStore, StoreError};

/// An action `namespace/name` last updated at `updated`.
pub fn action(namespace: &str, name: &str, updated: u64) -> Entity {
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

/// The document ids of `list`, in order.
pub fn names(list: &[Entity]) -> Vec<String> {
    list.iter().map(Entity::doc_id).collect()
}

/// A created document reads back with the revision its creation returned, which it returns.
pub async fn created_documents_read_back_with_their_revision(store: &dyn EntityStore) -> Revision {
    let hello = action("guest", "hello", 10);
    let rev = store.put(&hello, None).await.expect("create");
    let got = store.get("guest/hello").await.expect("get").expect("present");
    assert_eq!(got.rev, rev);
    assert_eq!(got.doc, hello);
    assert_eq!(store.get("guest/nope").await.expect("get"), None);
    rev
}

/// Creating a taken id conflicts and leaves the document as it was.
pub async fn creating_an_existing_id_conflicts(store: &dyn EntityStore) {
    store.put(&action("guest", "hello", 10), None).await.expect("create");
    assert_eq!(store.put(&action("guest", "hello", 11), None).await, Err(StoreError::Conflict));
    assert_eq!(store.get("guest/hello").await.expect("get").expect("present").doc.updated(), 10);
}

/// An update needs the current revision: a stale, junk or made-up one conflicts.
pub async fn updates_need_the_current_revision(store: &dyn EntityStore) {
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

/// An update of a deleted or never-created id conflicts and creates nothing; a deleted id
/// can be created again.
pub async fn updating_a_document_that_is_gone_conflicts(store: &dyn EntityStore) {
    let rev = store.put(&action("guest", "hello", 10), None).await.expect("create");
    store.delete("guest/hello", &rev).await.expect("delete");
    assert_eq!(store.put(&action("guest", "hello", 20), Some(&rev)).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&action("guest", "never", 20), Some(&rev)).await, Err(StoreError::Conflict));
    assert_eq!(store.get("guest/never").await.expect("get"), None, "an update must not create");
    store.put(&action("guest", "hello", 30), None).await.expect("create again after delete");
}

/// A delete needs the current revision too.
pub async fn deletes_need_the_current_revision(store: &dyn EntityStore) {
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

/// An action, a trigger and a rule cannot share an id.
pub async fn collections_share_one_id_space(store: &dyn EntityStore) {
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

/// Lists are newest `updated` first, per namespace and collection, with skip, limit and count.
pub async fn lists_are_newest_first_with_skip_limit_and_count(store: &dyn EntityStore) {
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

/// An update moves a document to the front; deletes take documents out of list and count.
pub async fn updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it(store: &dyn EntityStore) {
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

/// An action in a package is listed under its root namespace, not under the package.
pub async fn packaged_actions_are_listed_under_the_root_namespace(store: &dyn EntityStore) {
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

/// The same sequence of writes, deletes and reads has the outcomes of the in-memory
/// reference store.
pub async fn outcomes_match_the_memory_reference_store(store: &dyn EntityStore) {
    let memory = MemoryEntityStore::default();
    let stores: [&dyn EntityStore; 2] = [store, &memory];
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
