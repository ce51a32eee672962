//! Removing old activation records (activation retention) with CouchDB's documented API.
//!
//! The `by_age` view of `_design/gust_retention` lists every record by `start` with its
//! `_rev`. A removal reads the oldest [`BATCH`] rows before the cutoff (`endkey` with
//! `inclusive_end=false`) and deletes them with one `POST /_bulk_docs` of
//! `{"_id", "_rev", "_deleted": true}` documents, then reads again, until no row is left
//! before the cutoff. A deleted document keeps only a small tombstone (its logs and record
//! go with it); CouchDB's compaction reclaims the space. A conflict (another controller
//! removed it first, or it changed) is not an error: the record is gone or the next sweep
//! sees it again.

use std::time::Instant;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::CouchStore;
use crate::client::{Request, Retry};
use crate::error::CouchError;
use crate::schema::{ACTIVATIONS_BY_AGE, RETENTION_DESIGN};
use crate::writer::BulkResult;

/// Most records one `_bulk_docs` deletion carries.
pub(crate) const BATCH: usize = 500;

/// A row of the `by_age` view.
#[derive(Debug, Deserialize)]
struct AgeRow {
    id: String,
    /// The document's `_rev`.
    value: String,
}

#[derive(Debug, Deserialize)]
struct AgePage {
    rows: Vec<AgeRow>,
}

/// A deletion in a `_bulk_docs` body.
#[derive(Debug, Serialize)]
struct Tombstone<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    #[serde(rename = "_rev")]
    rev: &'a str,
    #[serde(rename = "_deleted")]
    deleted: bool,
}

impl CouchStore {
    /// Removes every record that started before `cutoff`, [`BATCH`] at a time.
    pub(crate) async fn remove_activations_before(&self, cutoff: u64) -> Result<u64, CouchError> {
        // Records queued before the call are part of it.
        self.inner.writer.barrier().await?;
        let started = Instant::now();
        let mut removed = 0u64;
        let mut conflicts = 0u64;
        loop {
            let rows = self.oldest_before(cutoff).await?;
            if rows.is_empty() {
                break;
            }
            let (done, conflicted) = self.delete(&rows).await?;
            removed += done;
            conflicts += conflicted;
            // A short page was the last one; a page of which nothing could be deleted (other
            // sweepers got there first) is left for the next sweep rather than read again.
            if rows.len() < BATCH || done == 0 {
                break;
            }
        }
        if removed > 0 || conflicts > 0 {
            tracing::debug!(
                removed,
                conflicts,
                ms = started.elapsed().as_millis() as u64,
                "removed old activation records"
            );
        }
        Ok(removed)
    }

    /// The oldest [`BATCH`] records that started before `cutoff`.
    async fn oldest_before(&self, cutoff: u64) -> Result<Vec<AgeRow>, CouchError> {
        let db = self.inner.dbs.activations.as_str();
        let path = [db, "_design", RETENTION_DESIGN, "_view", ACTIVATIONS_BY_AGE];
        let req = Request::get(&path)
            .query_json("endkey", &json!(cutoff))
            .query("inclusive_end", "false")
            .query("limit", BATCH.to_string());
        let reply = self.inner.couch.send(req).await?;
        if !reply.ok() {
            return Err(reply.error());
        }
        let page: AgePage = reply.json(&format!("{db}/_design/{RETENTION_DESIGN}/_view/{ACTIVATIONS_BY_AGE}"))?;
        Ok(page.rows)
    }

    /// Deletes `rows` with one `_bulk_docs`; returns how many were deleted and how many
    /// conflicted (deleted or changed by someone else).
    async fn delete(&self, rows: &[AgeRow]) -> Result<(u64, u64), CouchError> {
        let docs: Vec<Tombstone<'_>> =
            rows.iter().map(|r| Tombstone { id: &r.id, rev: &r.value, deleted: true }).collect();
        let db = self.inner.dbs.activations.as_str();
        let path = [db, "_bulk_docs"];
        // Repeating a deletion whose answer was lost is harmless: it only conflicts.
        let req = Request::new(Method::POST, &path).json(&json!({ "docs": docs }))?.retry(Retry::Idempotent);
        let reply = self.inner.couch.send(req).await?;
        if !reply.ok() {
            return Err(reply.error());
        }
        let results: Vec<BulkResult> = reply.json("_bulk_docs answer")?;
        let deleted = results.iter().filter(|r| r.ok).count() as u64;
        let conflicts = results.iter().filter(|r| r.error.as_deref() == Some("conflict")).count() as u64;
        if let Some(other) = results.iter().find_map(|r| r.error.as_deref().filter(|e| *e != "conflict")) {
            tracing::warn!(error = other, "CouchDB refused to delete an old activation record");
        }
        Ok((deleted, conflicts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_are_tombstones_with_the_revision() {
        let t = Tombstone { id: "~_guest/abc", rev: "1-x", deleted: true };
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            json!({"_id": "~_guest/abc", "_rev": "1-x", "_deleted": true})
        );
    }
}
