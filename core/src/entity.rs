//! Entities as the entity store keeps them: one document id space shared by every collection.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::Action;

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

/// An entity of any collection.
#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    /// An action.
    Action(Action),
    /// Any other kind of document, kept as JSON until its collection is built.
    Other(Collection, Value),
}

impl Entity {
    /// Which collection it belongs to.
    pub fn collection(&self) -> Collection {
        match self {
            Entity::Action(_) => Collection::Actions,
            Entity::Other(c, _) => *c,
        }
    }

    /// Its document id (`ns/name`, `ns/pkg/name`).
    pub fn doc_id(&self) -> String {
        match self {
            Entity::Action(a) => format!("{}/{}", a.namespace, a.name),
            Entity::Other(_, v) => format!(
                "{}/{}",
                v.get("namespace").and_then(Value::as_str).unwrap_or_default(),
                v.get("name").and_then(Value::as_str).unwrap_or_default()
            ),
        }
    }

    /// The namespace root (first path segment) it lives in.
    pub fn root_namespace(&self) -> String {
        self.doc_id().split('/').next().unwrap_or_default().to_owned()
    }

    /// `updated`, epoch ms (list order).
    pub fn updated(&self) -> u64 {
        match self {
            Entity::Action(a) => a.updated,
            Entity::Other(_, v) => v.get("updated").and_then(Value::as_u64).unwrap_or(0),
        }
    }

    /// The stored JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Entity::Action(a) => serde_json::to_value(a).unwrap_or(Value::Null),
            Entity::Other(_, v) => v.clone(),
        }
    }

    /// Reads stored JSON of `collection`.
    pub fn from_json(collection: Collection, v: Value) -> Result<Entity, serde_json::Error> {
        match collection {
            Collection::Actions => serde_json::from_value(v).map(Entity::Action),
            other => Ok(Entity::Other(other, v)),
        }
    }

    /// The action, if this is one.
    pub fn as_action(&self) -> Option<&Action> {
        match self {
            Entity::Action(a) => Some(a),
            Entity::Other(..) => None,
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
