//! Entities as the entity store keeps them: actions, packages, triggers and rules, with the
//! metadata they all share, in one document id space.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::Action;
use crate::names::FullyQualifiedName;
use crate::package::Package;
use crate::params::Params;
use crate::rule::Rule;
use crate::semver::SemVer;
use crate::trigger::Trigger;

/// The REST collections. Actions, packages, triggers and rules share one name space per
/// namespace: a name taken in one collection is taken in all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Collection {
    /// `actions`.
    Actions,
    /// `packages`.
    Packages,
    /// `triggers`.
    Triggers,
    /// `rules`.
    Rules,
}

impl Collection {
    /// Every collection, in the order `wsk namespace get` shows them.
    pub const ALL: [Collection; 4] =
        [Collection::Packages, Collection::Actions, Collection::Triggers, Collection::Rules];

    /// The collection's path segment and JSON key (`actions`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::Actions => "actions",
            Collection::Packages => "packages",
            Collection::Triggers => "triggers",
            Collection::Rules => "rules",
        }
    }

    /// Parses a stored collection name.
    pub fn parse(s: &str) -> Option<Collection> {
        match s {
            "actions" => Some(Collection::Actions),
            "packages" => Some(Collection::Packages),
            "triggers" => Some(Collection::Triggers),
            "rules" => Some(Collection::Rules),
            _ => None,
        }
    }
}

/// A store revision (opaque; CouchDB's `_rev`, or a generation counter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(pub String);

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every entity has, whatever its collection (flattened into its JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityMeta {
    /// Its path: `ns`, or `ns/pkg` for an action inside a package (never a leading slash).
    pub namespace: String,
    /// Simple name.
    pub name: String,
    /// Version, bumped on every update.
    pub version: SemVer,
    /// Shared with other namespaces (packages; other entities carry it as data).
    pub publish: bool,
    /// Annotations.
    pub annotations: Params,
    /// Last write, epoch ms (lists are newest first).
    pub updated: u64,
}

impl EntityMeta {
    /// Fresh metadata for `fqn`: version 0.0.1 unless given, unpublished unless given.
    pub fn new(
        fqn: &FullyQualifiedName,
        version: Option<SemVer>,
        publish: Option<bool>,
        annotations: Params,
        now: u64,
    ) -> Self {
        Self {
            namespace: fqn.path.clone(),
            name: fqn.name.clone(),
            version: version.unwrap_or(SemVer::INITIAL),
            publish: publish.unwrap_or(false),
            annotations,
            updated: now,
        }
    }

    /// The metadata of the next revision: the version given or the next patch, `publish` given
    /// or kept, these annotations, written `now`.
    pub fn next(&self, version: Option<SemVer>, publish: Option<bool>, annotations: Params, now: u64) -> Self {
        Self {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            version: version.unwrap_or_else(|| self.version.bump_patch()),
            publish: publish.unwrap_or(self.publish),
            annotations,
            updated: now,
        }
    }

    /// Its fully qualified name.
    pub fn fqn(&self) -> FullyQualifiedName {
        FullyQualifiedName::new(self.namespace.clone(), self.name.clone())
    }

    /// Its document id (`ns/name`, `ns/pkg/name`).
    pub fn doc_id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The namespace root (first path segment) it lives in.
    pub fn root_namespace(&self) -> &str {
        self.namespace.split('/').next().unwrap_or(&self.namespace)
    }

    /// The fields every list summary starts with: namespace, name, version, publish,
    /// annotations, updated.
    pub fn summary(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("namespace".into(), Value::String(self.namespace.clone()));
        m.insert("name".into(), Value::String(self.name.clone()));
        m.insert("version".into(), Value::String(self.version.to_string()));
        m.insert("publish".into(), Value::Bool(self.publish));
        m.insert("annotations".into(), serde_json::to_value(&self.annotations).unwrap_or(Value::Null));
        m.insert("updated".into(), Value::from(self.updated));
        m
    }
}

/// An entity of any collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    /// An action.
    Action(Action),
    /// A package or a package binding.
    Package(Package),
    /// A trigger.
    Trigger(Trigger),
    /// A rule.
    Rule(Rule),
}

impl Entity {
    /// Which collection it belongs to.
    pub fn collection(&self) -> Collection {
        match self {
            Entity::Action(_) => Collection::Actions,
            Entity::Package(_) => Collection::Packages,
            Entity::Trigger(_) => Collection::Triggers,
            Entity::Rule(_) => Collection::Rules,
        }
    }

    /// The metadata every entity has.
    pub fn meta(&self) -> &EntityMeta {
        match self {
            Entity::Action(a) => &a.meta,
            Entity::Package(p) => &p.meta,
            Entity::Trigger(t) => &t.meta,
            Entity::Rule(r) => &r.meta,
        }
    }

    /// Its document id (`ns/name`, `ns/pkg/name`).
    pub fn doc_id(&self) -> String {
        self.meta().doc_id()
    }

    /// The namespace root (first path segment) it lives in.
    pub fn root_namespace(&self) -> &str {
        self.meta().root_namespace()
    }

    /// Its path (`ns` or `ns/pkg`).
    pub fn path(&self) -> &str {
        &self.meta().namespace
    }

    /// `updated`, epoch ms (list order).
    pub fn updated(&self) -> u64 {
        self.meta().updated
    }

    /// True when other namespaces see it in public lists: a published package that is not a
    /// binding. (Published actions, triggers and rules are not listed across namespaces.)
    pub fn is_shared(&self) -> bool {
        match self {
            Entity::Package(p) => p.meta.publish && p.binding.is_none(),
            _ => false,
        }
    }

    /// The stored JSON.
    pub fn to_json(&self) -> Value {
        let v = match self {
            Entity::Action(a) => serde_json::to_value(a),
            Entity::Package(p) => serde_json::to_value(p),
            Entity::Trigger(t) => serde_json::to_value(t),
            Entity::Rule(r) => serde_json::to_value(r),
        };
        v.unwrap_or(Value::Null)
    }

    /// Reads stored JSON of `collection`.
    pub fn from_json(collection: Collection, v: Value) -> Result<Entity, serde_json::Error> {
        match collection {
            Collection::Actions => serde_json::from_value(v).map(Entity::Action),
            Collection::Packages => serde_json::from_value(v).map(Entity::Package),
            Collection::Triggers => serde_json::from_value(v).map(Entity::Trigger),
            Collection::Rules => serde_json::from_value(v).map(Entity::Rule),
        }
    }

    /// The list-summary view of its collection.
    pub fn summary(&self) -> Value {
        match self {
            Entity::Action(a) => a.summary(),
            Entity::Package(p) => p.summary(),
            Entity::Trigger(t) => t.summary(),
            Entity::Rule(r) => r.summary(),
        }
    }

    /// The action, if this is one.
    pub fn as_action(&self) -> Option<&Action> {
        match self {
            Entity::Action(a) => Some(a),
            _ => None,
        }
    }
}

/// A document with the revision it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The revision to pass back on update.
    pub rev: Revision,
    /// The document.
    pub doc: T,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_collection_reads_back_what_it_wrote() {
        let docs = [
            (
                Collection::Packages,
                json!({"namespace": "guest", "name": "p", "binding": {}, "parameters": [],
                "version": "0.0.1", "publish": true, "annotations": [], "updated": 5}),
            ),
            (
                Collection::Triggers,
                json!({"namespace": "guest", "name": "t", "parameters": [], "limits": {},
                "version": "0.0.2", "publish": false, "annotations": [], "updated": 6}),
            ),
            (
                Collection::Rules,
                json!({"namespace": "guest", "name": "r", "version": "0.0.1", "publish": false,
                "annotations": [], "updated": 7, "trigger": {"path": "guest", "name": "t"},
                "action": {"path": "guest/p", "name": "a"}}),
            ),
        ];
        for (c, doc) in docs {
            let e = Entity::from_json(c, doc.clone()).unwrap();
            assert_eq!(e.collection(), c);
            assert_eq!(e.to_json(), doc, "{c:?}");
        }
    }

    #[test]
    fn summaries_are_the_metadata_and_what_each_collection_adds() {
        let keys = |v: Value| {
            let mut k: Vec<String> = v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            k.sort();
            k
        };
        let meta = ["annotations", "name", "namespace", "publish", "updated", "version"];
        let with = |extra: &[&str]| {
            let mut k: Vec<String> = meta.iter().chain(extra).map(|s| (*s).to_owned()).collect();
            k.sort();
            k
        };
        let pkg = Entity::from_json(
            Collection::Packages,
            json!({"namespace": "guest", "name": "p", "binding": {}, "parameters": [{"key": "a", "value": 1}],
                "version": "0.0.1", "publish": true, "annotations": [], "updated": 5}),
        )
        .unwrap();
        assert_eq!(keys(pkg.summary()), with(&["binding"]));
        assert_eq!(pkg.summary()["binding"], false);
        assert_eq!(pkg.summary()["version"], "0.0.1");
        let action = Entity::from_json(
            Collection::Actions,
            json!({"namespace": "guest", "name": "a", "exec": {"kind": "wasm:wasip1", "code": "AA==", "binary": true},
                "parameters": [], "limits": {"timeout": 1, "memory": 128, "logs": 0, "concurrency": 1},
                "version": "0.0.2", "publish": false, "annotations": [], "updated": 6}),
        )
        .unwrap();
        assert_eq!(keys(action.summary()), with(&["exec", "limits"]));
        assert_eq!(action.summary()["exec"], json!({"binary": true}));
        let trigger = Entity::from_json(
            Collection::Triggers,
            json!({"namespace": "guest", "name": "t", "parameters": [], "limits": {},
                "version": "0.0.1", "publish": false, "annotations": [], "updated": 7}),
        )
        .unwrap();
        assert_eq!(keys(trigger.summary()), with(&[]));
    }

    #[test]
    fn only_published_packages_that_are_not_bindings_are_shared() {
        let pkg = |publish: bool, binding: Value| {
            Entity::from_json(
                Collection::Packages,
                json!({"namespace": "guest", "name": "p", "binding": binding, "parameters": [],
                    "version": "0.0.1", "publish": publish, "annotations": [], "updated": 5}),
            )
            .unwrap()
        };
        assert!(pkg(true, json!({})).is_shared());
        assert!(!pkg(false, json!({})).is_shared());
        assert!(!pkg(true, json!({"namespace": "a", "name": "b"})).is_shared());
    }
}
