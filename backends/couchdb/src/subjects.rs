//! Credentials in `<prefix>subjects`: one document per uuid holding the salted key hash
//! (`{"_id": uuid, "subject", "namespace", "uuid", "salt", "key_hash"}`), never the key.

use async_trait::async_trait;
use gust_core::store::{StoreError, SubjectStore};
use gust_core::subject::{AuthKey, Identity, SubjectRecord};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::CouchStore;
use crate::client::Request;
use crate::error::CouchError;
use crate::schema::couch_id;

/// How often a read-then-write of one credential is tried when a concurrent writer keeps
/// changing it.
const ATTEMPTS: usize = 5;

/// Subjects read per `_all_docs` page.
const PAGE: usize = 500;

/// The stored form, as written.
#[derive(Serialize)]
struct SubjectDocOut<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    #[serde(rename = "_rev", skip_serializing_if = "Option::is_none")]
    rev: Option<&'a str>,
    #[serde(flatten)]
    record: &'a SubjectRecord,
}

/// A page of `_all_docs?include_docs=true`.
#[derive(Deserialize)]
struct AllDocs {
    rows: Vec<AllDocsRow>,
}

#[derive(Deserialize)]
struct AllDocsRow {
    id: String,
    doc: Option<serde_json::Value>,
}

impl CouchStore {
    async fn subject_find(&self, uuid: &str) -> Result<Option<SubjectRecord>, CouchError> {
        let cid = couch_id(uuid);
        let path = [self.inner.dbs.subjects.as_str(), cid.as_ref()];
        let reply = self.inner.couch.send(Request::get(&path)).await?;
        match reply.status {
            200 => Ok(Some(reply.json(uuid)?)),
            404 => Ok(None),
            _ => Err(reply.error()),
        }
    }

    async fn subject_put(&self, record: &SubjectRecord) -> Result<(), CouchError> {
        let db = self.inner.dbs.subjects.as_str();
        let cid = couch_id(&record.uuid);
        let path = [db, cid.as_ref()];
        for _ in 0..ATTEMPTS {
            let rev = self.inner.couch.current_rev(db, &cid).await?;
            let doc = SubjectDocOut { id: &cid, rev: rev.as_deref(), record };
            let reply = self.inner.couch.send(Request::new(Method::PUT, &path).json(&doc)?).await?;
            match reply.status {
                201 | 202 => return Ok(()),
                409 => continue,
                _ => return Err(reply.error()),
            }
        }
        Err(CouchError::Conflict)
    }

    async fn subject_delete(&self, uuid: &str) -> Result<bool, CouchError> {
        let db = self.inner.dbs.subjects.as_str();
        let cid = couch_id(uuid);
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
                if row.id.starts_with("_design/") {
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
}

#[async_trait]
impl SubjectStore for CouchStore {
    async fn identify(&self, key: &AuthKey) -> Result<Option<Identity>, StoreError> {
        let found = self.subject_find(&key.uuid).await?;
        Ok(found.filter(|r| r.verifies(&key.key)).map(|r| Identity {
            subject: r.subject,
            namespace: r.namespace,
            authkey: key.clone(),
        }))
    }

    async fn put_subject(&self, record: SubjectRecord) -> Result<(), StoreError> {
        Ok(self.subject_put(&record).await?)
    }

    async fn delete_subject(&self, uuid: &str) -> Result<bool, StoreError> {
        Ok(self.subject_delete(uuid).await?)
    }

    async fn list_subjects(&self) -> Result<Vec<SubjectRecord>, StoreError> {
        Ok(self.subject_list().await?)
    }
}
