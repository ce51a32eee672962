//! Reading views: one key range, newest first, with skip and limit; and counts via `_count`.

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Couch, Request};
use crate::error::CouchError;
use crate::schema::DESIGN;

/// A view answer.
#[derive(Debug, Deserialize)]
struct Page<V, D> {
    rows: Vec<Row<V, D>>,
}

/// One row of a view answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Row<V, D> {
    /// The document's CouchDB id (absent in reduce rows).
    #[serde(default)]
    pub(crate) id: String,
    /// The emitted value (the count, in reduce rows).
    pub(crate) value: V,
    /// The document, with `include_docs=true` (`null` if it was deleted meanwhile).
    pub(crate) doc: Option<D>,
}

/// A key range of a view, inclusive at both ends, lowest key first.
#[derive(Debug, Clone)]
pub(crate) struct Range {
    /// The lowest key.
    pub(crate) low: Value,
    /// The highest key.
    pub(crate) high: Value,
}

/// Rows of `view` in `range`, highest key first, after skipping `skip`, at most `limit`
/// (which must not be 0: CouchDB would read that as no limit in some versions).
pub(crate) async fn newest_first<V: DeserializeOwned, D: DeserializeOwned>(
    couch: &Couch,
    db: &str,
    view: &str,
    range: &Range,
    skip: usize,
    limit: usize,
    include_docs: bool,
) -> Result<Vec<Row<V, D>>, CouchError> {
    let path = [db, "_design", DESIGN, "_view", view];
    let mut req = Request::new(Method::GET, &path)
        .query("reduce", "false")
        .query("descending", "true")
        .query_json("startkey", &range.high)
        .query_json("endkey", &range.low)
        .query("limit", limit.to_string());
    if skip > 0 {
        req = req.query("skip", skip.to_string());
    }
    if include_docs {
        req = req.query("include_docs", "true");
    }
    let reply = couch.send(req).await?;
    if !reply.ok() {
        return Err(reply.error());
    }
    let page: Page<V, D> = reply.json(&format!("{db}/_design/{DESIGN}/_view/{view}"))?;
    Ok(page.rows)
}

/// How many rows of `view` fall in `range` (the view's `_count` reduce).
pub(crate) async fn count(couch: &Couch, db: &str, view: &str, range: &Range) -> Result<u64, CouchError> {
    let path = [db, "_design", DESIGN, "_view", view];
    let req = Request::new(Method::GET, &path)
        .query("reduce", "true")
        .query_json("startkey", &range.low)
        .query_json("endkey", &range.high);
    let reply = couch.send(req).await?;
    if !reply.ok() {
        return Err(reply.error());
    }
    let page: Page<u64, serde::de::IgnoredAny> = reply.json(&format!("{db}/_design/{DESIGN}/_view/{view}"))?;
    // No row at all when nothing is in the range.
    Ok(page.rows.first().map_or(0, |r| r.value))
}
