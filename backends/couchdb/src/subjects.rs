//! Credentials and namespace limits in `<prefix>subjects`:
//! - one document per credential uuid holding the salted key hash, never the key
//!   (`{"_id": uuid, "subject", "namespace", "uuid", "salt", "key_hash"}`);
//! - one document per namespace with limits, `{"_id": "<namespace>/limits", "limits": {...}}`
//!   (OpenWhisk's id; a uuid never holds a `/`, so the two kinds never meet).

use async_trait::async_trait;
use gust_core::store::{StoreError, SubjectStore};
use gust_core::subject::{AuthKey, Identity, SubjectRecord};
use gust_core::user_limits::UserLimits;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::CouchStore;
use crate::client::Request;
use crate::error::CouchError;
use crate::schema::couch_id;

/// How often a read-then-write of one document is tried when a concurrent writer keeps
/// changing it.
const ATTEMPTS: usize = 5;

/// Subjects read per `_all_docs` page.
const PAGE: usize = 500;

/// The id of a namespace's limits document.
fn limits_id(namespace: &str) -> String {
    format!("{namespace}/limits")
}

/// The limits document, as written and read.
#[derive(Serialize, Deserialize)]
struct LimitsDoc {
    limits: UserLimits,
}

/// A page of `_all_docs?include_docs=true`.
#[derive(Deserialize)]
struct AllDocs {
    rows: Vec<AllDocsRow>,
}

#[derive(Deserialize)]
struct AllDocsRow {
    id: String,
    doc: Option<Value>,
}

impl CouchStore {
    /// Reads document `id` of the subjects database.
    async fn subjects_get<T: serde::de::DeserializeOwned>(&self, id: &str) -> Result<Option<T>, CouchError> {
        let cid = couch_id(id);
        let path = [self.inner.dbs.subjects.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::get(&path)).await?;
        match reply.status {
            200 => Ok(Some(reply.json(id)?)),
            404 => Ok(None),
            _ => Err(reply.error()),
        }
    }

    /// Writes document `id` of the subjects database over whatever revision is current.
    async fn subjects_upsert(&self, id: &str, body: Value) -> Result<(), CouchError> {
        let db = self.inner.dbs.subjects.as_str();
        let cid = couch_id(id);
        let path = [db, cid.as_ref()];
        for _ in 0..ATTEMPTS {
            let mut doc = body.clone();
            doc["_id"] = json!(cid.as_ref());
            if let Some(rev) = self.inner.couch.current_rev(db, &cid).await? {
                doc["_rev"] = json!(rev);
            }
            let reply = self.inner.couch.send(Request::new(Method::PUT, &path).json(&doc)?).await?;
            match reply.status {
                201 | 202 => return Ok(()),
                409 => continue,
                _ => return Err(reply.error()),
            }
        }
        Err(CouchError::Conflict)
    }

    /// Deletes document `id` of the subjects database, whatever its revision; true if it existed.
    async fn subjects_delete(&self, id: &str) -> Result<bool, CouchError> {
        let db = self.inner.dbs.subjects.as_str();
        let cid = couch_id(id);
        let path = [db, cid.as_ref()];
        for _ in 0..ATTEMPTS {
            let Some(rev) = self.inner.couch.current_rev(db, &cid).await? else {
                return Ok(false);
            };
            let reply = self.inner.couch.send(Request::new(Method::DELETE, &path).query("rev", rev)).await?;
            match reply.status {
                200 | 202 => return Ok(true),
                // Deleted by someone else meanwhile.
                404 => return Ok(false),
                409 => continue,
                _ => return Err(reply.error()),
            }
        }
        Err(CouchError::Conflict)
    }

    async fn subject_list(&self) -> Result<Vec<SubjectRecord>, CouchError> {
        let db = self.inner.dbs.subjects.as_str();
        let path = [db, "_all_docs"];
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut req = Request::get(&path).query("include_docs", "true").query("limit", PAGE.to_string());
            if let Some(last) = &after {
                req = req.query_json("startkey", &json!(last)).query("skip", "1");
            }
            let reply = self.inner.couch.send(req).await?;
            if !reply.ok() {
                return Err(reply.error());
            }
            let page: AllDocs = reply.json(&format!("{db}/_all_docs"))?;
            let full = page.rows.len() == PAGE;
            for row in page.rows {
                after = Some(row.id.clone());
                // Design documents, and namespace limits (`<namespace>/limits`), are not subjects.
                if row.id.starts_with("_design/") || row.id.contains('/') {
                    continue;
                }
                if let Some(doc) = row.doc {
                    let record = serde_json::from_value(doc)
                        .map_err(|e| CouchError::Corrupt { id: row.id.clone(), reason: e.to_string() })?;
                    out.push(record);
                }
            }
            if !full {
                return Ok(out);
            }
        }
    }

    async fn limits_get(&self, namespace: &str) -> Result<Option<UserLimits>, CouchError> {
        Ok(self.subjects_get::<LimitsDoc>(&limits_id(namespace)).await?.map(|d| d.limits))
    }
}

#[async_trait]
impl SubjectStore for CouchStore {
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError> {
        if key.uuid.contains('/') {
            // Not a uuid (and maybe the id of a limits document).
            return Ok(None);
        }
        let found = self.subjects_get::<SubjectRecord>(&key.uuid).await?;
        let Some(r) = found.filter(|r| r.verifies(&key.key)) else { return Ok(None) };
        let limits = self.limits_get(&r.namespace).await?.unwrap_or_default();
        Ok(Some(Identity { limits, ..Identity::new(&r.subject, &r.namespace, key.clone()) }))
    }

    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError> {
        let body = serde_json::to_value(&record).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(self.subjects_upsert(&record.uuid, body).await?)
    }

    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError> {
        Ok(self.subjects_delete(uuid).await?)
    }

    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError> {
        Ok(self.subject_list().await?)
    }

    async fn get_limits(&self, namespace: &str) -> Result<Option<UserLimits>, StoreError> {
        Ok(self.limits_get(namespace).await?)
    }

    async fn put_limits(&self, namespace: &str, limits: &UserLimits) -> Result<(), StoreError> {
        let body =
            serde_json::to_value(LimitsDoc { limits: *limits }).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(self.subjects_upsert(&limits_id(namespace), body).await?)
    }

    async fn delete_limits(&self, namespace: &str) -> Result<bool, StoreError> {
        Ok(self.subjects_delete(&limits_id(namespace)).await?)
    }
}
