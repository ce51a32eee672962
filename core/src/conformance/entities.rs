//! [`EntityStore`] checks: revisions, the id space all collections share, every collection
//! read back whole, and lists by namespace, package and visibility.

use std::collections::BTreeMap;

use serde_json::json;

use crate::action::{Action, SemVer};
use crate::entity::{Collection, Entity, EntityMeta, Revision};
use crate::exec::{CodeKind, Exec};
use crate::limits::ActionLimits;
use crate::memory::MemoryEntityStore;
use crate::names::FullyQualifiedName;
use crate::package::{Binding, Package};
use crate::params::Params;
use crate::rule::Rule;
use crate::store::{EntityQuery, EntityStore, StoreError};
use crate::trigger::{ReducedRule, RuleStatus, Trigger, TriggerLimits};

fn meta(namespace: &str, name: &str, updated: u64) -> EntityMeta {
    EntityMeta {
        namespace: namespace.into(),
        name: name.into(),
        version: SemVer::INITIAL,
        publish: false,
        annotations: Params::new(),
        updated,
    }
}

/// An action `namespace/name` last updated at `updated`.
pub fn action(namespace: &str, name: &str, updated: u64) -> Entity {
    Entity::Action(Action {
        meta: EntityMeta {
            annotations: Params::new().with("exec", json!("wasm:wasip1")),
            ..meta(namespace, name, updated)
        },
        exec: Exec::Code { kind: CodeKind::Wasm, code: Some("AGFzbQ==".into()), main: None, binary: true },
        parameters: Params::new().with("greeting", json!("hi")),
        limits: ActionLimits { timeout: 60_000, memory: 256, logs: 10, concurrency: 1 },
    })
}

/// A package `namespace/name`, published or not, binding `binding` (`ns/pkg`) or not.
pub fn package(namespace: &str, name: &str, updated: u64, publish: bool, binding: Option<&str>) -> Entity {
    let binding =
        binding.and_then(|b| b.split_once('/')).map(|(ns, name)| Binding { namespace: ns.into(), name: name.into() });
    Entity::Package(Package {
        meta: EntityMeta {
            publish,
            annotations: Params::new().with("description", json!("a package")),
            ..meta(namespace, name, updated)
        },
        binding,
        parameters: Params::new().with("region", json!("north")),
    })
}

/// A trigger `namespace/name` with one active rule.
pub fn trigger(namespace: &str, name: &str, updated: u64) -> Entity {
    let mut rules = BTreeMap::new();
    rules.insert(
        format!("{namespace}/r"),
        ReducedRule { action: FullyQualifiedName::new(namespace, "hello"), status: RuleStatus::Active },
    );
    Entity::Trigger(Trigger {
        meta: meta(namespace, name, updated),
        parameters: Params::new().with("type", json!("webhook")),
        limits: TriggerLimits::default(),
        rules: Some(rules),
    })
}

/// A rule `namespace/name` from trigger `t` to action `pkg/hello`.
pub fn rule(namespace: &str, name: &str, updated: u64) -> Entity {
    Entity::Rule(Rule {
        meta: meta(namespace, name, updated),
        trigger: FullyQualifiedName::new(namespace, "t"),
        action: FullyQualifiedName::new(format!("{namespace}/pkg"), "hello"),
    })
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
    let trigger = trigger("guest", "thing", 10);
    store.put(&trigger, None).await.expect("create trigger");
    assert_eq!(store.put(&action("guest", "thing", 11), None).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&rule("guest", "thing", 12), None).await, Err(StoreError::Conflict));
    assert_eq!(store.put(&package("guest", "thing", 13, false, None), None).await, Err(StoreError::Conflict));
    let got = store.get("guest/thing").await.expect("get").expect("present");
    assert_eq!(got.doc.collection(), Collection::Triggers);
    assert_eq!(got.doc, trigger);
    assert_eq!(store.count(&EntityQuery::new(Collection::Actions, "guest")).await.expect("count"), 0);
    assert_eq!(store.count(&EntityQuery::new(Collection::Triggers, "guest")).await.expect("count"), 1);
}

/// Lists are newest `updated` first, per namespace and collection, with skip, limit and count.
pub async fn lists_are_newest_first_with_skip_limit_and_count(store: &dyn EntityStore) {
    for (name, updated) in [("a", 30), ("b", 10), ("c", 50), ("d", 20), ("e", 40)] {
        store.put(&action("guest", name, updated), None).await.expect("create");
    }
    store.put(&action("other", "z", 99), None).await.expect("create elsewhere");
    store.put(&action("guest2", "z", 99), None).await.expect("create in a namespace sharing the prefix");
    store.put(&package("guest", "pkg", 99, false, None), None).await.expect("create package");

    let actions = EntityQuery::new(Collection::Actions, "guest");
    let all = store.list(&actions.clone().page(0, 100)).await.expect("list");
    assert_eq!(names(&all), ["guest/c", "guest/e", "guest/a", "guest/d", "guest/b"]);
    let page = store.list(&actions.clone().page(1, 2)).await.expect("list");
    assert_eq!(names(&page), ["guest/e", "guest/a"]);
    assert!(store.list(&actions.clone().page(5, 10)).await.expect("list").is_empty());
    assert!(store.list(&actions.clone().page(0, 0)).await.expect("list").is_empty());
    assert_eq!(store.count(&actions.clone().page(3, 1)).await.expect("count"), 5, "count ignores skip and limit");
    assert_eq!(store.count(&EntityQuery::new(Collection::Packages, "guest")).await.expect("count"), 1);
    assert_eq!(store.count(&EntityQuery::new(Collection::Actions, "nobody")).await.expect("count"), 0);
}

/// An update moves a document to the front; deletes take documents out of list and count.
pub async fn updates_move_a_document_to_the_front_of_the_list_and_deletes_remove_it(store: &dyn EntityStore) {
    let a = store.put(&action("guest", "a", 10), None).await.expect("create");
    let b = store.put(&action("guest", "b", 20), None).await.expect("create");
    let a = store.put(&action("guest", "a", 30), Some(&a)).await.expect("update");
    let q = EntityQuery::new(Collection::Actions, "guest");
    let all = store.list(&q).await.expect("list");
    assert_eq!(names(&all), ["guest/a", "guest/b"]);
    store.delete("guest/b", &b).await.expect("delete");
    store.delete("guest/a", &a).await.expect("delete");
    assert!(store.list(&q).await.expect("list").is_empty());
    assert_eq!(store.count(&q).await.expect("count"), 0);
}

/// An action in a package is listed under its root namespace, and under its package alone
/// when the query names the package.
pub async fn packaged_actions_are_listed_under_the_namespace_and_the_package(store: &dyn EntityStore) {
    store.put(&action("guest", "top", 10), None).await.expect("create");
    let packaged = action("guest/utils", "hello", 20);
    store.put(&packaged, None).await.expect("create packaged");
    store.put(&action("guest/utils", "bye", 15), None).await.expect("create packaged");
    store.put(&action("guest/utilsx", "hello", 30), None).await.expect("create in a package sharing the prefix");
    store.put(&action("other/utils", "hello", 40), None).await.expect("create elsewhere");
    let q = EntityQuery::new(Collection::Actions, "guest");
    let all = store.list(&q).await.expect("list");
    assert_eq!(names(&all), ["guest/utilsx/hello", "guest/utils/hello", "guest/utils/bye", "guest/top"]);
    assert_eq!(all[1], packaged);
    assert_eq!(store.count(&q).await.expect("count"), 4);
    let in_utils = q.clone().in_package("utils");
    assert_eq!(names(&store.list(&in_utils).await.expect("list")), ["guest/utils/hello", "guest/utils/bye"]);
    assert_eq!(names(&store.list(&in_utils.clone().page(1, 5)).await.expect("list")), ["guest/utils/bye"]);
    assert_eq!(store.count(&in_utils).await.expect("count"), 2);
    assert_eq!(store.count(&q.clone().in_package("nothing")).await.expect("count"), 0);
    assert!(store.list(&EntityQuery::new(Collection::Actions, "guest/utils")).await.expect("list").is_empty());
    assert!(store.get("guest/utils/hello").await.expect("get").is_some());
}

/// Packages, bindings, triggers and rules read back exactly as written, and updates keep
/// their type.
pub async fn every_collection_reads_back_whole(store: &dyn EntityStore) {
    for e in [
        package("guest", "plain", 1, true, None),
        package("guest", "bound", 2, false, Some("whisk.system/utils")),
        trigger("guest", "t", 3),
        rule("guest", "r", 4),
        action("guest/plain", "a", 5),
    ] {
        let rev = store.put(&e, None).await.expect("create");
        let got = store.get(&e.doc_id()).await.expect("get").expect("present");
        assert_eq!((&got.rev, &got.doc), (&rev, &e));
        assert_eq!(got.doc.to_json(), e.to_json());
    }
    let Entity::Package(mut p) = package("guest", "plain", 1, true, None) else { unreachable!() };
    let rev = store.get("guest/plain").await.expect("get").expect("present").rev;
    p.binding = None;
    p.meta.publish = false;
    p.meta.updated = 9;
    store.put(&Entity::Package(p.clone()), Some(&rev)).await.expect("update");
    assert_eq!(store.get("guest/plain").await.expect("get").expect("present").doc, Entity::Package(p));
}

/// Public lists see published packages that are not bindings, and nothing else.
pub async fn public_lists_see_only_shared_packages(store: &dyn EntityStore) {
    store.put(&package("guest", "shared", 10, true, None), None).await.expect("create");
    store.put(&package("guest", "private", 20, false, None), None).await.expect("create");
    store.put(&package("guest", "published-binding", 30, true, Some("guest/shared")), None).await.expect("create");
    store.put(&package("guest", "shared2", 40, true, None), None).await.expect("create");
    store.put(&package("other", "shared", 50, true, None), None).await.expect("create");
    let q = EntityQuery::new(Collection::Packages, "guest");
    assert_eq!(store.count(&q).await.expect("count"), 4);
    let public = q.clone().public();
    assert_eq!(names(&store.list(&public).await.expect("list")), ["guest/shared2", "guest/shared"]);
    assert_eq!(store.count(&public).await.expect("count"), 2);
    assert_eq!(names(&store.list(&public.clone().page(1, 1)).await.expect("list")), ["guest/shared"]);

    // Unsharing takes a package out of public lists; sharing puts it in.
    let rev = store.get("guest/shared2").await.expect("get").expect("present").rev;
    store.put(&package("guest", "shared2", 60, false, None), Some(&rev)).await.expect("unshare");
    let rev = store.get("guest/private").await.expect("get").expect("present").rev;
    store.put(&package("guest", "private", 70, true, None), Some(&rev)).await.expect("share");
    assert_eq!(names(&store.list(&public).await.expect("list")), ["guest/private", "guest/shared"]);
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
        o.push(format!("{:?}", store.put(&rule("guest", "a", 5), None).await.err()));
        o.push(format!("{:?}", store.put(&action("guest/p", "b", 6), None).await.err()));
        o.push(format!("{:?}", store.put(&trigger("guest", "t", 7), None).await.err()));
        o.push(format!("{:?}", store.put(&package("guest", "p", 8, true, None), None).await.err()));
        o.push(format!("{:?}", store.put(&package("guest", "q", 8, true, Some("guest/p")), None).await.err()));
        o.push(format!("{:?}", store.delete("guest/a", &a2.expect("updated")).await.err()));
        o.push(format!("{:?}", store.get("guest/a").await.expect("get").map(|v| v.doc)));
        for c in Collection::ALL {
            for q in [
                EntityQuery::new(c, "guest"),
                EntityQuery::new(c, "guest").in_package("p"),
                EntityQuery::new(c, "guest").public(),
            ] {
                o.push(format!("{:?}", names(&store.list(&q).await.expect("list"))));
                o.push(format!("{:?}", store.count(&q).await.expect("count")));
            }
        }
        outcomes.push(o);
    }
    assert_eq!(outcomes[0], outcomes[1]);
}
