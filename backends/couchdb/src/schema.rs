//! The databases, their design documents (views), and how document ids map onto CouchDB ids.
//!
//! Everything here uses only CouchDB's documented HTTP API and JavaScript map functions with
//! the built-in `_count` reduce, which Apache CouchDB and pouchdb-server both run.

use std::borrow::Cow;

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Couch, Request};
use crate::error::CouchError;

/// The design document of every database that has views: `_design/gust`.
pub(crate) const DESIGN: &str = "gust";

/// `<prefix>whisks`: the selections an entity query makes, each by collection and `updated`.
/// Keys `["ns", root, collection, updated]` and `["path", path, collection, updated]` for every
/// entity, and `["ns-public", ...]`, `["path-public", ...]` for shared ones (a published
/// package that is not a binding); value `null`, reduce `_count`.
pub(crate) const ENTITIES: &str = "entities";

/// `<prefix>activations`: records by namespace and start.
/// Key `[namespace, start, activationId]`, value the record without logs, reduce `_count`.
pub(crate) const ACTIVATIONS_BY_START: &str = "by_start";

/// `<prefix>activations`: records by namespace, filter name and start.
/// Key `[namespace, name, start, activationId]`, value the record without logs, reduce `_count`.
pub(crate) const ACTIVATIONS_BY_NAME: &str = "by_name";

/// The design document of `<prefix>activations` that retention uses: `_design/gust_retention`.
/// Its own design document, so that adding it did not make CouchDB rebuild the list views of
/// `_design/gust` (all views of one design document share one index).
pub(crate) const RETENTION_DESIGN: &str = "gust_retention";

/// `<prefix>activations`, in [`RETENTION_DESIGN`]: records of every namespace by start.
/// Key `start`, value the document's `_rev` (what a deletion needs); no reduce.
pub(crate) const ACTIVATIONS_BY_AGE: &str = "by_age";

const ENTITIES_MAP: &str = "function (doc) {\n  \
    var e = doc.entity;\n  \
    if (!e || typeof doc.root !== 'string' || typeof doc.collection !== 'string') return;\n  \
    var path = typeof e.namespace === 'string' ? e.namespace : doc.root;\n  \
    emit(['ns', doc.root, doc.collection, doc.updated], null);\n  \
    emit(['path', path, doc.collection, doc.updated], null);\n  \
    var bound = e.binding && typeof e.binding.name === 'string';\n  \
    if (doc.collection === 'packages' && e.publish === true && !bound) {\n    \
    emit(['ns-public', doc.root, doc.collection, doc.updated], null);\n    \
    emit(['path-public', path, doc.collection, doc.updated], null);\n  }\n}";

const ACTIVATIONS_BY_START_MAP: &str = "function (doc) {\n  \
    if (doc.record && typeof doc.namespace === 'string') {\n    \
    emit([doc.namespace, doc.start, doc.activationId], doc.record);\n  }\n}";

const ACTIVATIONS_BY_NAME_MAP: &str = "function (doc) {\n  \
    if (doc.record && typeof doc.namespace === 'string' && typeof doc.name === 'string') {\n    \
    emit([doc.namespace, doc.name, doc.start, doc.activationId], doc.record);\n  }\n}";

const ACTIVATIONS_BY_AGE_MAP: &str = "function (doc) {\n  \
    if (doc.record && typeof doc.start === 'number') {\n    \
    emit(doc.start, doc._rev);\n  }\n}";

/// The names of the three databases of one store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Databases {
    /// `<prefix>subjects`: one document per credential uuid.
    pub subjects: String,
    /// `<prefix>whisks`: actions, packages, triggers and rules, one id space.
    pub whisks: String,
    /// `<prefix>activations`: activation records, id `namespace/activationId`.
    pub activations: String,
}

impl Databases {
    /// The names for `prefix`; fails when they are not valid CouchDB database names.
    pub(crate) fn new(prefix: &str) -> Result<Databases, CouchError> {
        let dbs = Databases {
            subjects: format!("{prefix}subjects"),
            whisks: format!("{prefix}whisks"),
            activations: format!("{prefix}activations"),
        };
        if !valid_db_name(&dbs.subjects) {
            return Err(CouchError::Config(format!(
                "database prefix '{prefix}': CouchDB database names start with a lowercase letter, \
                 followed by lowercase letters, digits and _$()+-/"
            )));
        }
        Ok(dbs)
    }

    /// All three, in creation order.
    pub fn all(&self) -> [&str; 3] {
        [&self.subjects, &self.whisks, &self.activations]
    }
}

/// CouchDB's rule: `^[a-z][a-z0-9_$()+/-]*$`.
fn valid_db_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_$()+-/".contains(c))
}

/// The CouchDB `_id` of a Gust document id (entity id, `namespace/activationId`, subject
/// uuid).
///
/// Ids starting with `_` are reserved in CouchDB (`_design/...`; a namespace may well start
/// with `_`), and `.`, `..` and the empty string cannot be URL path segments. Those, and ids
/// starting with the escape character `~` itself, get a `~` in front; every other id is used
/// as it is. The mapping is one-to-one (undo it by removing one leading `~`).
pub(crate) fn couch_id(id: &str) -> Cow<'_, str> {
    if id.is_empty() || id == "." || id == ".." || id.starts_with('_') || id.starts_with('~') {
        Cow::Owned(format!("~{id}"))
    } else {
        Cow::Borrowed(id)
    }
}

/// The design document of the whisks database.
fn whisks_design() -> Value {
    json!({
        "language": "javascript",
        "views": {
            ENTITIES: { "map": ENTITIES_MAP, "reduce": "_count" },
        },
    })
}

/// The design document of the activations database.
fn activations_design() -> Value {
    json!({
        "language": "javascript",
        "views": {
            ACTIVATIONS_BY_START: { "map": ACTIVATIONS_BY_START_MAP, "reduce": "_count" },
            ACTIVATIONS_BY_NAME: { "map": ACTIVATIONS_BY_NAME_MAP, "reduce": "_count" },
        },
    })
}

/// The retention design document of the activations database.
fn retention_design() -> Value {
    json!({
        "language": "javascript",
        "views": {
            ACTIVATIONS_BY_AGE: { "map": ACTIVATIONS_BY_AGE_MAP },
        },
    })
}

/// Creates the databases and design documents that are missing and updates design documents
/// that differ from this build's (idempotent; safe to run from several processes at once).
pub(crate) async fn ensure(couch: &Couch, dbs: &Databases) -> Result<(), CouchError> {
    for db in dbs.all() {
        ensure_database(couch, db).await?;
    }
    ensure_design(couch, &dbs.whisks, DESIGN, whisks_design()).await?;
    ensure_design(couch, &dbs.activations, DESIGN, activations_design()).await?;
    ensure_design(couch, &dbs.activations, RETENTION_DESIGN, retention_design()).await?;
    Ok(())
}

async fn ensure_database(couch: &Couch, db: &str) -> Result<(), CouchError> {
    let reply = couch.send(Request::new(Method::PUT, &[db])).await?;
    match reply.status {
        201 | 202 => {
            tracing::info!(db, "created CouchDB database");
            Ok(())
        }
        // 412 file_exists: it is there already.
        412 => Ok(()),
        _ => Err(reply.error()),
    }
}

async fn ensure_design(couch: &Couch, db: &str, design: &str, desired: Value) -> Result<(), CouchError> {
    let path = [db, "_design", design];
    // A concurrent opener may update it between our read and our write: read again.
    for _ in 0..5 {
        let reply = couch.send(Request::get(&path)).await?;
        let mut doc = desired.clone();
        match reply.status {
            200 => {
                let current: Value = reply.json(&format!("{db}/_design/{design}"))?;
                if current.get("language") == desired.get("language") && current.get("views") == desired.get("views") {
                    return Ok(());
                }
                doc["_rev"] = current.get("_rev").cloned().unwrap_or(Value::Null);
            }
            404 => {}
            _ => return Err(reply.error()),
        }
        let put = couch.send(Request::new(Method::PUT, &path).json(&doc)?).await?;
        match put.status {
            201 | 202 => {
                tracing::info!(db, design, "wrote CouchDB design document");
                return Ok(());
            }
            409 => continue,
            _ => return Err(put.error()),
        }
    }
    Err(CouchError::Conflict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_unaddressable_ids_are_escaped_one_to_one() {
        assert_eq!(couch_id("guest/hello world"), "guest/hello world");
        assert_eq!(couch_id("_design/gust"), "~_design/gust");
        assert_eq!(couch_id("~x"), "~~x");
        assert_eq!(couch_id(".."), "~..");
        assert_eq!(couch_id(""), "~");
        assert!(matches!(couch_id("guest/a"), Cow::Borrowed(_)));
    }

    #[test]
    fn database_prefixes_follow_couchdb_rules() {
        assert_eq!(Databases::new("gust_").expect("valid").activations, "gust_activations");
        assert!(Databases::new("t1_$()+-/").is_ok());
        for bad in ["Gust_", "1gust", "gust prod", "_gust"] {
            assert!(matches!(Databases::new(bad), Err(CouchError::Config(_))), "{bad}");
        }
    }
}
