//! Actions, packages, triggers and rules in `<prefix>whisks`: one document per
//! [`Entity::doc_id`], CouchDB's `_rev` as the revision.
//!
//! A document is `{"_id", "_rev", "root", "collection", "updated", "entity": <entity JSON>}`;
//! `root` (the first segment of the id, so actions in packages count under their namespace),
//! `collection`, `updated` and the entity's path and visibility feed the `entities` view that
//! lists and counts every [`EntityQuery`] selection.

use async_trait::async_trait;
use gust_core::entity::{Collection, Entity, Revision, Versioned};
use gust_core::store::{EntityQuery, EntityStore, StoreError};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::CouchStore;
use crate::client::Request;
use crate::error::CouchError;
use crate::schema::{ENTITIES, couch_id};
use crate::view::{self, Range};

/// The stored form, as written.
#[derive(Serialize)]
struct EntityDocOut<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    #[serde(rename = "_rev", skip_serializing_if = "Option::is_none")]
    rev: Option<&'a str>,
    root: String,
    collection: &'static str,
    updated: u64,
    entity: Value,
}

/// The stored form, as read.
#[derive(Deserialize)]
struct EntityDocIn {
    #[serde(rename = "_rev")]
    rev: String,
    collection: String,
    entity: Value,
}

/// A successful write's answer.
#[derive(Deserialize)]
pub(crate) struct WriteOk {
    pub(crate) rev: String,
}

/// True for strings shaped like a CouchDB revision (`<generation>-<hash>`); anything else can
/// never be current, and CouchDB answers 400 rather than 409 to some requests carrying one.
pub(crate) fn plausible_rev(rev: &str) -> bool {
    rev.split_once('-').is_some_and(|(generation, hash)| {
        !generation.is_empty()
            && generation.bytes().all(|b| b.is_ascii_digit())
            && !hash.is_empty()
            && hash.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

fn decode(doc_id: &str, doc: EntityDocIn) -> Result<Versioned<Entity>, CouchError> {
    let corrupt = |reason: String| CouchError::Corrupt { id: doc_id.to_owned(), reason };
    let collection = Collection::parse(&doc.collection)
        .ok_or_else(|| corrupt(format!("unknown collection '{}'", doc.collection)))?;
    let entity = Entity::from_json(collection, doc.entity).map_err(|e| corrupt(e.to_string()))?;
    Ok(Versioned { rev: Revision(doc.rev), doc: entity })
}

impl CouchStore {
    async fn entity_get(&self, doc_id: &str) -> Result<Option<Versioned<Entity>>, CouchError> {
        let cid = couch_id(doc_id);
        let path = [self.inner.dbs.whisks.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::get(&path)).await?;
        match reply.status {
            200 => decode(doc_id, reply.json(doc_id)?).map(Some),
            404 => Ok(None),
            _ => Err(reply.error()),
        }
    }

    async fn entity_put(&self, entity: &Entity, rev: Option<&Revision>) -> Result<Revision, CouchError> {
        let doc_id = entity.doc_id();
        let cid = couch_id(&doc_id);
        if let Some(rev) = rev {
            // CouchDB answers 409 to an update of a missing document; pouchdb-server creates
            // it. Checking the current revision first makes both answer Conflict (the write
            // below still carries the revision, so a change in between conflicts too).
            if !plausible_rev(&rev.0)
                || self.inner.couch.current_rev(&self.inner.dbs.whisks, &cid).await?.as_deref() != Some(rev.0.as_str())
            {
                return Err(CouchError::Conflict);
            }
        }
        let doc = EntityDocOut {
            id: &cid,
            rev: rev.map(|r| r.0.as_str()),
            root: entity.root_namespace().to_owned(),
            collection: entity.collection().as_str(),
            updated: entity.updated(),
            entity: entity.to_json(),
        };
        let path = [self.inner.dbs.whisks.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::new(Method::PUT, &path).json(&doc)?).await?;
        match reply.status {
            201 | 202 => Ok(Revision(reply.json::<WriteOk>(&doc_id)?.rev)),
            409 => Err(CouchError::Conflict),
            _ => Err(reply.error()),
        }
    }

    async fn entity_delete(&self, doc_id: &str, rev: &Revision) -> Result<(), CouchError> {
        if !plausible_rev(&rev.0) {
            return Err(CouchError::Conflict);
        }
        let cid = couch_id(doc_id);
        let path = [self.inner.dbs.whisks.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::new(Method::DELETE, &path).query("rev", rev.0.clone())).await?;
        match reply.status {
            200 | 202 => Ok(()),
            // 404: gone already (or never there), like a stale revision for the reference store.
            404 | 409 => Err(CouchError::Conflict),
            _ => Err(reply.error()),
        }
    }

    async fn entity_list(&self, q: &EntityQuery) -> Result<Vec<Entity>, CouchError> {
        if q.limit == 0 {
            return Ok(Vec::new());
        }
        let db = self.inner.dbs.whisks.as_str();
        let rows = view::newest_first::<serde::de::IgnoredAny, EntityDocIn>(
            &self.inner.couch,
            db,
            ENTITIES,
            &range(q),
            q.skip,
            q.limit,
            true,
        )
        .await?;
        rows.into_iter()
            // A document deleted between the index read and the document read is left out.
            .filter_map(|row| row.doc.map(|doc| decode(&row.id, doc).map(|v| v.doc)))
            .collect()
    }

    async fn entity_count(&self, q: &EntityQuery) -> Result<u64, CouchError> {
        let db = self.inner.dbs.whisks.as_str();
        view::count(&self.inner.couch, db, ENTITIES, &range(q)).await
    }
}

/// Every `updated` of the selection `q` makes in the `entities` view.
fn range(q: &EntityQuery) -> Range {
    let (selection, key) = match (q.package_path(), q.public_only) {
        (None, false) => ("ns", q.namespace.clone()),
        (None, true) => ("ns-public", q.namespace.clone()),
        (Some(path), false) => ("path", path),
        (Some(path), true) => ("path-public", path),
    };
    let collection = q.collection.as_str();
    Range { low: json!([selection, key, collection]), high: json!([selection, key, collection, {}]) }
}

#[async_trait]
impl EntityStore for CouchStore {
    async fn get(&self, doc_id: &str) -> Result<Option<Versioned<Entity>>, StoreError> {
        Ok(self.entity_get(doc_id).await?)
    }

    async fn put(&self, entity: &Entity, rev: Option<&Revision>) -> Result<Revision, StoreError> {
        Ok(self.entity_put(entity, rev).await?)
    }

    async fn delete(&self, doc_id: &str, rev: &Revision) -> Result<(), StoreError> {
        Ok(self.entity_delete(doc_id, rev).await?)
    }

    async fn list(&self, query: &EntityQuery) -> Result<Vec<Entity>, StoreError> {
        Ok(self.entity_list(query).await?)
    }

    async fn count(&self, query: &EntityQuery) -> Result<u64, StoreError> {
        Ok(self.entity_count(query).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_revision_shaped_strings_are_plausible() {
        assert!(plausible_rev("1-967a00dff5e02add41819138abb3284d"));
        assert!(plausible_rev("12-abc"));
        for bad in ["", "1", "1-", "-abc", "x-abc", "1-ab c", "not-a-revision"] {
            assert!(!plausible_rev(bad), "{bad}");
        }
    }
}
